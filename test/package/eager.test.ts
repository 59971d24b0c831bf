/**
 * The build's eager-compile rewrite (tsup.eager.ts): the hinted functions become parenthesized
 * function expressions with the same meaning, on the same lines, with esbuild's source map moved
 * to match; and the committed hints (tsup.eager.json) still name the library's functions.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode, encode } from '@jridgewell/sourcemap-codec'
import { describe, expect, it } from 'vitest'
import config from '../../tsup.config'
import { buildWithoutHints, type EagerHints, markEager, readEagerHints } from '../../tsup.eager'

/** Run a chunk as a function body and return what it returns. */
const run = (code: string): unknown => new Function(code)()

const chunk = (body: string, path = 'src/hot.ts'): string => `var helper = (a) => a + 1;\n// ${path}\n${body}\n`

describe('eager-compile rewrite', () => {
  it('turns the hinted arrows, with the callbacks in them, into parenthesized functions with the same results', () => {
    const body = [
      'const add = (a, b) => { return a + b };',
      'const twice = x=>x * 2;',
      'const pair = (a) => ({ a, b: [a] });',
      'const curried = (a) => (b) => { return a - b };',
      'const deflt = (f = (y) => y * 3, g = () => 4) => f(g());',
      'const multiline = (a) =>',
      '  a.map((v) => v + 1)',
      '   .filter((v) => v > 2);',
      'const outer = () => { const inner = () => 1; const hinted = () => 2; return inner() + hinted() };',
      'const cold = (a) => a;',
      'return [add(2, 3), twice(4), pair(5), curried(9)(4), deflt(), multiline([1, 2, 3]), outer(), cold(6), add.name, twice.name, curried(1).name];',
    ].join('\n')
    const before = chunk(body)
    const hints: EagerHints = { 'src/hot.ts': ['add', 'twice', 'pair', 'curried', 'deflt', 'multiline', 'outer', 'outer.hinted'] }
    const out = markEager(before, 'chunk.js', hints)
    // 8 named functions, the arrow curried returns, deflt's two defaults, multiline's two
    // callbacks; not outer.inner (not hinted) nor cold
    expect(out.rewritten).toBe(13)
    expect(out.matched.size).toBe(8)
    const code = out.code
    expect(code.startsWith('var helper = (a) => a + 1;')).toBe(true)
    expect(code).toContain('const add = (function (a, b)  { return a + b });')
    expect(code).toContain('const twice = (function (x){ return x * 2 });')
    expect(code).toContain('const curried = (function (a)  { return (function (b)  { return a - b }) });')
    expect(code).toContain('const inner = () => 1;')
    expect(code).toContain('const hinted = (function ()  { return 2 });')
    expect(code).toContain('const cold = (a) => a;')
    expect(run(code)).toEqual(run(before))
    expect(run(code)).toEqual([5, 8, { a: 5, b: [5] }, 5, 12, [3, 4], 3, 6, 'add', 'twice', ''])
    // lines do not move
    expect(code.split('\n').length).toBe(before.split('\n').length)
  })

  it('keeps arrows whose this, arguments, super or new.target a function would change, and what is inside a class member', () => {
    const body = [
      'const usesThis = function () { return [1, 2].map((v) => v * this.k) };',
      'const usesArgs = function () { return (() => arguments.length)() };',
      'const own = (a) => [a].map(function (v) { return ((w) => w + v)(1) });',
      'class C { m() { const local = () => 5; return local() } }',
      'return [usesThis.call({ k: 10 }), usesArgs(1, 2, 3), own(0), new C().m()];',
    ].join('\n')
    const before = chunk(body)
    const out = markEager(before, 'chunk.js', { 'src/hot.ts': ['usesThis', 'usesArgs', 'own', 'C', 'C.m', 'C.m.local'] })
    // usesThis and usesArgs become `(function …)`; their arrows read this / arguments and stay;
    // own and the callbacks in it are rewritten; the method's arrow is compiled with the method
    expect(out.code).toContain('const usesThis = (function () { return [1, 2].map((v) => v * this.k) });')
    expect(out.code).toContain('const usesArgs = (function () { return (() => arguments.length)() });')
    expect(out.code).toContain('const own = (function (a)  { return [a].map((function (v) { return ((function (w)  { return w + v }))(1) })) });')
    expect(out.code).toContain('const local = () => 5;')
    expect(run(out.code)).toEqual([[10, 20], 3, [1], 5])
    expect(run(out.code)).toEqual(run(before))
  })

  it('rewrites async arrows', async () => {
    const body = 'const f = async (a) => a + 1;\nconst g = async x => { return (await f(x)) * 2 };\nreturn g(3);'
    const out = markEager(chunk(body), 'chunk.js', { 'src/hot.ts': ['f', 'g'] })
    expect(out.rewritten).toBe(2)
    expect(out.code).toContain('const f = (async function (a)  { return a + 1 });')
    expect(out.code).toContain('const g = (async function (x)  {')
    await expect(run(out.code)).resolves.toBe(8)
  })

  it('leaves other modules unchanged', () => {
    const before = chunk('const f = (a) => a;\nreturn f(1);', 'src/cold.ts')
    const out = markEager(before, 'chunk.js', { 'src/hot.ts': ['f'] })
    expect(out.rewritten).toBe(0)
    expect(out.code).toBe(before)
  })

  it('moves the source map with the edits', () => {
    const body = 'const add = (a, b) => a + b;\nconst after = 1;\nconst f = async x => [x].map((y) => y);\nreturn add(after, 2);'
    const before = chunk(body)
    const lines = before.split('\n')
    // a map as esbuild's: each token of the module's lines at its column, from "src/hot.ts"
    const tokenAt = (line: string, col: number): string => /^([\w$]+|[^\s\w$])/.exec(line.slice(col))?.[1] ?? ''
    const tokens = (line: string): number[] => [...line.matchAll(/[\w$]+|[^\s\w$]/g)].map((m) => m.index)
    const mappings = encode(lines.map((l, i) => (i < 2 ? [] : tokens(l).map((c) => [c, 0, i, c] as [number, number, number, number]))))
    const out = markEager(before, 'chunk.js', { 'src/hot.ts': ['add', 'f'] }, { version: 3, sources: ['src/hot.ts'], mappings })
    const outLines = out.code.split('\n')
    expect(outLines[2]).toBe('const add = (function (a, b)  { return a + b });')
    const moved = decode((out.map as { mappings: string }).mappings)
    const checked = new Set<string>()
    moved.forEach((segments, line) => {
      segments.forEach((seg, k) => {
        const [col, , origLine, origCol] = seg as [number, number, number, number]
        const original = tokenAt(lines[origLine], origCol)
        // each segment points at the token it maps to, or at text inserted just before it
        // (then the next segment maps to the same place and points at the token)
        const next = segments[k + 1] as [number, number, number, number] | undefined
        if (tokenAt(outLines[line], col) === original) checked.add(`${origLine}:${origCol}`)
        else expect(next !== undefined && next[2] === origLine && next[3] === origCol && tokenAt(outLines[line], next[0]) === original, `segment ${line}:${col}`).toBe(true)
      })
    })
    // every token but the removed `=>`s (two tokens each, two arrows per rewritten line 4)
    expect(checked.size).toBe(lines.slice(2).reduce((n, l) => n + tokens(l).length, 0) - 3 * 2)
  })
})

describe('the committed compile hints', () => {
  it('name functions of the library as it is built now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leibniz-eager-'))
    try {
      const hints = readEagerHints()
      const total = Object.values(hints).reduce((n, p) => n + p.length, 0)
      expect(total).toBeGreaterThan(200)
      await buildWithoutHints(config, dir)
      const matched = new Set<string>()
      let rewritten = 0
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.js'))) {
        const out = markEager(readFileSync(join(dir, f), 'utf8'), f, hints)
        for (const m of out.matched) matched.add(m)
        rewritten += out.rewritten
      }
      // a hint that names nothing is a function renamed or removed since the hints were
      // written: `npx tsx bench/first/hints.ts` writes them again
      const stale = Object.entries(hints).flatMap(([m, paths]) => paths.filter((p) => !matched.has(`${m} ${p}`)).map((p) => `${m} ${p}`))
      expect(stale.length, `stale compile hints: ${stale.slice(0, 20).join(', ')}`).toBeLessThanOrEqual(total * 0.05)
      expect(rewritten).toBeGreaterThan(total / 2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
