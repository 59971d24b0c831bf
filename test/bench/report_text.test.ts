/**
 * The bench's text outputs: the scaling chart (hand-written SVG) must be well-formed XML with
 * every text escaped, and the Markdown rows of docs/performance.md must escape their cells.
 */
import { describe, expect, it } from 'vitest'
import { escapeXml, scalingSvg, type Panel } from '../../bench/scaling/svg'
import { escapeCell, markdownTable } from '../../bench/harness/markdown'
import type { WorkloadReport } from '../../bench/harness/report'

/**
 * A strict well-formedness check for the subset of XML the writer emits: one prolog, elements
 * properly nested and closed, attributes double-quoted, no raw '<' or '&' outside markup except
 * the five predefined entities and numeric references. Returns the element names in order.
 */
const checkXml = (doc: string): string[] => {
  const names: string[] = []
  const stack: string[] = []
  let s = doc.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '')
  expect(s.startsWith('<svg ')).toBe(true)
  const entity = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/
  const checkText = (t: string): void => {
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '<' || t[i] === '>') throw new Error(`raw ${t[i]} in text: ${t}`)
      if (t[i] === '&' && !entity.test(t.slice(i))) throw new Error(`bare & in text: ${t}`)
    }
  }
  while (s.length > 0) {
    const lt = s.indexOf('<')
    if (lt < 0) {
      checkText(s)
      break
    }
    checkText(s.slice(0, lt))
    const gt = s.indexOf('>', lt)
    if (gt < 0) throw new Error('unterminated tag')
    const tag = s.slice(lt + 1, gt)
    s = s.slice(gt + 1)
    if (tag.startsWith('/')) {
      const name = tag.slice(1)
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`)
      continue
    }
    const selfClosing = tag.endsWith('/')
    const m = /^([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*\/?$/.exec(tag)
    if (m === null) throw new Error(`malformed tag <${tag}>`)
    for (const a of m[2].matchAll(/="([^"]*)"/g)) checkText(a[1])
    names.push(m[1])
    if (!selfClosing) stack.push(m[1])
  }
  if (stack.length !== 0) throw new Error(`unclosed ${stack.join(', ')}`)
  return names
}

const hostile = 'a<b> & "c" \'d\' </text><script>x</script>'

describe('scaling chart SVG', () => {
  const panels: Panel[] = [
    { title: 'W1: map+sum', xLabel: 'n (elements)', series: [{ label: 'baseline', points: [[1e3, 0.02], [1e4, 0.2], [1e7, 300]] }, { label: 'jax (1 core)', points: [[1e3, 0.01], [1e7, 15]] }] },
    { title: hostile, xLabel: hostile, series: [{ label: hostile, points: [[100, 0.01], [1e6, 40], [1e4, NaN], [0, 1]] }] },
    { title: 'empty', xLabel: 'steps', series: [] },
  ]
  const svg = scalingSvg(`title ${hostile}`, `caption ${hostile}`, panels)

  it('is well-formed XML with one svg root and a polyline per non-empty series', () => {
    const names = checkXml(svg)
    expect(names[0]).toBe('svg')
    expect(names.filter((n) => n === 'svg')).toHaveLength(1)
    expect(names.filter((n) => n === 'polyline')).toHaveLength(3)
    expect(names).not.toContain('script')
  })
  it('escapes every text: the hostile string appears only escaped', () => {
    expect(svg).not.toContain('<script>')
    expect(svg).not.toContain(hostile)
    expect(svg).toContain(escapeXml(hostile))
    expect(escapeXml(hostile)).toBe('a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39; &lt;/text&gt;&lt;script&gt;x&lt;/script&gt;')
  })
  it('places points on a log-log scale: a decade is the same length on both series', () => {
    const line = /<polyline[^>]*points="([^"]*)"/.exec(svg)![1].split(' ').map((p) => p.split(',').map(Number))
    // baseline: 1e3→1e4 is one decade, 1e4→1e7 three: x distances 1 : 3
    const dx1 = line[1][0] - line[0][0]
    const dx2 = line[2][0] - line[1][0]
    expect(dx2 / dx1).toBeCloseTo(3, 1)
    // time falls upwards on screen: 0.02 ms → 300 ms goes up
    expect(line[2][1]).toBeLessThan(line[0][1])
  })
  it('skips non-finite and non-positive points rather than writing NaN', () => {
    expect(svg).not.toMatch(/NaN|Infinity/)
  })
})

describe('Markdown rows of docs/performance.md', () => {
  const impl = (i: string, median: number, extra: object = {}) => ({ impl: i, status: 'ok', median, correct: true, ...extra })
  const w: WorkloadReport = {
    id: 'W5', title: 'Lorenz | 10k', dtype: 'float64', target: '', targets: [], met: null, loadAvg: { min: 1, max: 1 },
    impls: [
      impl('baseline', 0.11, { min: 0.1 }), impl('leibniz', 0.33, { min: 0.2 }), impl('jax', 0.22), impl('jax-all', 0.2),
      { impl: 'jax-js', status: 'unavailable', reason: 'no loop' },
    ] as WorkloadReport['impls'],
  }
  const md = markdownTable({ machine: { date: '2026-12-07T08:00:00.000Z', cpus: 2, cpuModel: 'CPU <x>', node: 'v20', loadAvgAtStart: [1.5] }, workloads: [w] })
  it('one row per workload with the ratios of the same run', () => {
    const row = md.split('\n').find((l) => l.startsWith('| W5'))!
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim()).slice(1, -1)
    expect(cells).toHaveLength(9)
    expect(cells[0]).toBe('W5 Lorenz \\| 10k')
    // leibniz's median is more than 1.5× its minimum (a busy machine): the minimum is shown too
    expect(cells.slice(1, 6)).toEqual(['0.3300 [0.2000]', '0.1100', '0.2200', '0.2000', '—'])
    expect(cells[6]).toBe('1.50×')
    expect(cells[7]).toBe('3.00×')
  })
  it('escapes pipes, angle brackets and line breaks in cells', () => {
    expect(escapeCell('a|b<c>\nd & e')).toBe('a\\|b&lt;c&gt; d &amp; e')
    expect(md).toContain('CPU &lt;x&gt;')
  })
})
