/**
 * The library under a real address-space limit (`ulimit -v`, Linux): a WebAssembly memory
 * cannot be created there (each reserves several GiB of address space), so every op runs its
 * generated-JS kernel (one warning); an array larger than the limit is a ResourceError naming
 * what was asked for. Runs the bundled sources in a child node process.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../../..')
const dir = mkdtempSync(join(tmpdir(), 'leibniz-ulimit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SCRIPT = `
import { np, jit, ResourceError } from './leibniz.js'
const x = np.array(Float32Array.from({ length: 1000 }, (_, i) => i / 100))
const out = { eager: Array.from(np.sin(x).toTypedArray()), jitted: Array.from(jit((v) => np.exp(v.mul(-1)).mul(2))(x).toTypedArray()) }
try {
  np.zeros([1 << 15, 1 << 15], { dtype: 'float32' }) // 4 GiB: past the limit
  out.big = 'allocated'
} catch (e) {
  out.big = { name: e.name, isResourceError: e instanceof ResourceError, isRangeError: e instanceof RangeError, message: e.message }
}
console.log(JSON.stringify(out))
`

const haveBash = process.platform === 'linux' && spawnSync('bash', ['-c', 'true']).status === 0

describe.skipIf(!haveBash)('under ulimit -v 3 GB', () => {
  it('float ops run in JS with one warning; a 4 GiB array is a ResourceError', async () => {
    await build({ entryPoints: [join(root, 'src/index.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'leibniz.js'), logLevel: 'silent' })
    writeFileSync(join(dir, 'main.mjs'), SCRIPT)
    const r = spawnSync('bash', ['-c', `ulimit -v 3000000 && exec "${process.execPath}" main.mjs`], { cwd: dir, encoding: 'utf8', timeout: 50_000 })
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { eager: number[]; jitted: number[]; big: Record<string, unknown> | string }
    out.eager.forEach((v, i) => expect(v).toBe(Math.fround(Math.sin(Math.fround(i / 100)))))
    out.jitted.forEach((v, i) => expect(v).toBeCloseTo(2 * Math.exp(-Math.fround(i / 100)), 6))
    expect(out.big).toMatchObject({ name: 'ResourceError', isResourceError: true, isRangeError: true })
    expect((out.big as { message: string }).message).toMatch(/float32 array of shape \[32768, 32768\].*4294967296 bytes/)
    expect(r.stderr.match(/WebAssembly memory could not be created/g)?.length).toBe(1)
  })
})
