// Every option that reaches the text of toDot / toMermaid is whitelisted (a named error for
// anything else), and every user string is escaped: hostile values never become attributes,
// statements or links in the output.
import { describe, expect, it } from 'vitest'
import { jit, makeJaxpr, np, ValueError } from '../../src'
import type { Array } from '../../src'
import { toDot, toMermaid } from '../../src/graph'

const j = makeJaxpr((x: Array) => x.sin().mul(2))(np.array([1, 2, 3]))
const render = [toDot, toMermaid] as const
const XSS = 'javascript:alert(1)'

/** DOT with every double-quoted string removed: what is left is structure. */
const dotStructure = (text: string): string => text.replace(/"(?:[^"\\]|\\.)*"/g, '""')
/** Mermaid with quoted labels and the front-matter title removed. */
const mermaidStructure = (text: string): string => text.replace(/^title: .*$/m, '').replace(/"[^"]*"/g, '""')

describe('graph options are whitelisted', () => {
  it.each([
    'LR"]; a [href="javascript:alert(1)"]; b [label="',
    `TB\nclick n0 "${XSS}"`,
    'TB; n0 -> n1 [URL="javascript:alert(1)"]',
    'RL',
    'lr',
    '',
  ])('direction %j is a ValueError naming the accepted values', (direction) => {
    for (const r of render) {
      const call = () => r(j, { direction: direction as 'TB' })
      expect(call).toThrow(ValueError)
      expect(call).toThrow(/option direction must be one of "TB", "LR", got the string/)
    }
  })

  it('non-string titles, non-object values, non-finite numbers and non-object options are rejected', () => {
    const hostile = { toString: () => `"];\nclick n0 "${XSS}"` }
    const bad: [unknown, RegExp][] = [
      [{ title: hostile }, /option title must be a string, got an object/],
      [{ title: 42 }, /option title must be a string, got 42/],
      [{ values: 'x' }, /option values must be an object/],
      [{ values: { args: 'x' } }, /values: option args must be a list/],
      [{ values: {} }, /values needs args/],
      [{ values: { args: [np.array([1, 2, 3])], grad: 'yes' } }, /option grad must be true or false, got the string "yes"/],
      [{ depth: NaN }, /depth must be an integer >= 0, got NaN/],
      [{ maxElements: -1 }, /maxElements must be an integer >= 0/],
      [{ digits: Infinity }, /digits must be an integer from 1 to 17/],
      [{ digits: '4' }, /digits must be an integer from 1 to 17/],
      ['LR', /options must be an object/],
    ]
    for (const r of render) {
      for (const [opts, message] of bad) {
        expect(() => r(j, opts as never), String(opts)).toThrow(ValueError)
        expect(() => r(j, opts as never), JSON.stringify(opts)).toThrow(message)
      }
    }
  })

  it('the accepted directions still work', () => {
    expect(toDot(j, { direction: 'LR' })).toContain('rankdir=LR')
    expect(toDot(j)).toContain('rankdir=TB')
    expect(toMermaid(j, { direction: 'LR' })).toMatch(/^flowchart LR$/m)
    expect(toMermaid(j)).toMatch(/^flowchart TB$/m)
  })
})

describe('hostile labels stay inside their strings', () => {
  // A function name is user text that reaches a node label and a cluster title.
  const names = [
    `x"]; n0 [URL="${XSS}"]; n9 [label="`,
    `x\nclick n0 "${XSS}"\n`,
    `x]]; n0-->n1; click n0 href "${XSS}"; %%`,
    'x\\"\\\\" <script>alert(1)</script> #quot; &lt; `md` *b* _i_ ~s~ |p| {c} (r) [s]',
    'x\u2028\u2029\r\t\u0000 end',
  ]
  it.each(names)('name %j', (name) => {
    const g = (x: Array) => x.cos()
    Object.defineProperty(g, 'name', { value: name })
    const jj = makeJaxpr((x: Array) => jit(g)(x).add(1))(np.array([1, 2]))
    const title = `${name} title`
    const dot = toDot(jj, { title })
    const dotRest = dotStructure(dot)
    expect(dotRest).not.toMatch(/javascript|URL|href|script|click/i)
    // Outside strings, DOT here is only ids, arrows, attribute names and braces.
    for (const line of dotRest.split('\n')) expect(line).toMatch(/^[\w\s[\]{}=,;>\-"#.]*$/)
    const mmd = toMermaid(jj, { title })
    const mmdRest = mermaidStructure(mmd)
    expect(mmdRest).not.toMatch(/javascript|href|script|click/i)
    for (const line of mmd.split('\n')) expect(line).not.toMatch(/^\s*(click|style|linkStyle|%%)/)
    // The title line is one YAML double-quoted scalar on one line (long titles are clipped).
    const titleLine = mmd.split('\n')[1]
    const read = JSON.parse(titleLine.slice('title: '.length)) as string
    expect(read.startsWith('x')).toBe(true)
    expect(read).not.toMatch(/[\r\n]/)
    expect(mmd.split('\n')[2]).toBe('---')
  })
})
