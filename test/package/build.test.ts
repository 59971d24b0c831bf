// `npm run build` produces ESM, CJS and type declarations for '.' and './laws', sharing one
// copy of the core (so arrays made through one entry point work with the other).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../..')
// Inside the project, so the built files resolve fast-check from node_modules as a user's would.
const cache = join(root, 'node_modules/.cache')
mkdirSync(cache, { recursive: true })
const out = mkdtempSync(join(cache, 'leibniz-build-'))

beforeAll(() => {
  execFileSync(join(root, 'node_modules/.bin/tsup'), ['--out-dir', out], { cwd: root, stdio: 'pipe' })
}, 120_000)
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('the package build', () => {
  it('emits ESM, CJS and declarations for both entry points, as package.json exports them', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    for (const entry of ['.', './laws']) {
      for (const kind of ['import', 'require'] as const) {
        for (const file of [pkg.exports[entry][kind].default, pkg.exports[entry][kind].types]) {
          expect(existsSync(join(out, file.replace('./dist/', '')))).toBe(true)
        }
      }
    }
  })
  it('the ESM and CJS builds compute, and laws share the core with the main entry', () => {
    const esm = join(out, 'check.mjs')
    writeFileSync(esm, `
      import { np, grad, Array as A } from './index.js'
      import { checkGrads } from './laws.js'
      const g = grad((x) => np.sin(x).sum())(np.array([0.5]))
      checkGrads((x) => np.tanh(x), [np.array([0.1, 0.2])])
      console.log(JSON.stringify([g.tolist(), g instanceof A]))`)
    const cjs = join(out, 'check.cjs')
    writeFileSync(cjs, `
      const { np, grad } = require('./index.cjs')
      const { checkGrads } = require('./laws.cjs')
      checkGrads((x) => np.tanh(x), [np.array([0.1, 0.2])])
      console.log(JSON.stringify(grad((x) => np.cos(x))(np.array(0.5)).item()))`)
    const [gv, inst] = JSON.parse(execFileSync(process.execPath, [esm], { cwd: out }).toString())
    expect(gv[0]).toBeCloseTo(Math.cos(0.5), 14)
    expect(inst).toBe(true)
    expect(Number(execFileSync(process.execPath, [cjs], { cwd: out }).toString())).toBeCloseTo(-Math.sin(0.5), 14)
  })
  it('the main entry does not import fast-check (only leibniz/laws does)', () => {
    const main = readFileSync(join(out, 'index.js'), 'utf8')
    expect(main).not.toMatch(/fast-check/)
    expect(readFileSync(join(out, 'laws.js'), 'utf8')).toMatch(/fast-check/)
  })
  it('the ESM build imports no Node builtin (worker threads are looked up only when asked for)', () => {
    for (const f of readdirSync(out).filter((n) => n.endsWith('.js'))) {
      const src = readFileSync(join(out, f), 'utf8')
      expect(src, f).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|^import\s*["']node:/m)
    }
  })
})
