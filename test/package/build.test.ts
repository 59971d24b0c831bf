// `npm run build` produces ESM, CJS and type declarations for '.' and './laws', sharing one
// copy of the core (so arrays made through one entry point work with the other).
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../..')
// Inside the project, so the built files resolve fast-check from node_modules as a user's would.
const cache = join(root, 'node_modules/.cache')
mkdirSync(cache, { recursive: true })
const out = mkdtempSync(join(cache, 'leibniz-build-'))

// The declaration build dominates: about a minute alone, two or more on a busy 2-core machine.
beforeAll(() => {
  execFileSync(join(root, 'node_modules/.bin/tsup'), ['--out-dir', out], { cwd: root, stdio: 'pipe' })
}, 300_000)
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
  it('its dependencies are what the built code imports: nothing bundled is also installed (fp-ts)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const runtime = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})])
    // import/export … from '…', import '…', import('…'), require('…') — not text inside strings
    const spec = /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"'./][^"']*)["']|^\s*import\s*["']([^"'./][^"']*)["']|\b(?:require|import)\(["']([^"'./][^"']*)["']\)/gm
    const importsOf = (pattern: RegExp): string[] => {
      const names = new Set<string>()
      for (const f of readdirSync(out).filter((n) => pattern.test(n))) {
        for (const m of readFileSync(join(out, f), 'utf8').matchAll(spec)) {
          const name = m[1] ?? m[2] ?? m[3]
          if (name.startsWith('node:')) continue
          const parts = name.split('/')
          names.add(name.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0])
        }
      }
      return [...names].sort()
    }
    // the code imports exactly the runtime dependencies (the optional engines of leibniz/export
    // are loaded by name at run time, so that bundlers do not try to resolve them), the
    // declarations nothing else
    const byName = ['onnxruntime-node', 'onnxruntime-web']
    expect(importsOf(/\.c?js$/)).toEqual([...runtime].filter((n) => !byName.includes(n)).sort())
    const exportCode = readFileSync(join(out, 'export.js'), 'utf8')
    for (const n of byName) expect(exportCode).toContain(`"${n}"`)
    expect(importsOf(/\.d\.c?ts$/).filter((n) => !runtime.has(n))).toEqual([])
  })
  it('bundles of a few names leave out the namespaces they do not use, and still compute', async () => {
    // A consumer whose node_modules/leibniz is this build with this package.json (sideEffects).
    const consumer = mkdtempSync(join(tmpdir(), 'leibniz-consumer-'))
    try {
      const pkgDir = join(consumer, 'node_modules', 'leibniz')
      mkdirSync(join(pkgDir, 'dist'), { recursive: true })
      copyFileSync(join(root, 'package.json'), join(pkgDir, 'package.json'))
      for (const f of readdirSync(out).filter((n) => n.endsWith('.js'))) copyFileSync(join(out, f), join(pkgDir, 'dist', f))
      const { build } = await import('esbuild')
      const bundle = async (contents: string): Promise<string> => {
        const r = await build({
          stdin: { contents, resolveDir: consumer, loader: 'js' }, bundle: true, minify: true, format: 'esm',
          platform: 'browser', external: ['fast-check'], write: false, logLevel: 'silent',
        })
        return r.outputFiles[0].text
      }
      const small = await bundle(`import { np, grad } from 'leibniz'
        console.log(JSON.stringify(grad((x) => np.sin(x).mul(x).sum())(np.array([0.5, 1])).tolist()))`)
      const whole = await bundle(`import * as leibniz from 'leibniz'\nconsole.log(Object.keys(leibniz).length)`)
      // names that only the nn, random and lax namespace objects hold
      for (const marker of ['binaryCrossEntropyWithLogits', 'foldIn', 'broadcastedIota']) {
        expect(whole.includes(marker), `${marker} in the whole package`).toBe(true)
        expect(small.includes(marker), `${marker} in np + grad`).toBe(false)
      }
      // the rule table and the array methods (the package's intended side effects) are kept
      writeFileSync(join(consumer, 'small.mjs'), small)
      const g = JSON.parse(execFileSync(process.execPath, [join(consumer, 'small.mjs')]).toString()) as number[]
      const d = (x: number) => Math.sin(x) + x * Math.cos(x) // d/dx x sin x
      expect(g[0]).toBeCloseTo(d(0.5), 14)
      expect(g[1]).toBeCloseTo(d(1), 14)
    } finally {
      rmSync(consumer, { recursive: true, force: true })
    }
  }, 60_000)
})
