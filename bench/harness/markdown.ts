/**
 * The rows of the results table in docs/performance.md, from a run's report: per workload the
 * medians of leibniz, the strong plain-JS baseline, JAX on one core and on all cores, and
 * jax-js (with the minimum in brackets when the median is more than 1.5× it: a busy machine), the
 * ratio leibniz ÷ JAX (one core) and leibniz ÷ strong JS (of the medians), and where the time goes.
 * Printed by `npm run bench -- --markdown`, or from a saved `--json` file by
 * `npx tsx bench/markdown.ts FILE.json`. Every cell is escaped for a Markdown table.
 */
import type { ImplId } from './types'
import type { ImplReport, WorkloadReport } from './report'
import { fmtMs, fmtRatio } from './report'

/** Where the time goes, per workload: the engineers' reading of the figures (update it with them). */
export const WHY: Readonly<Record<string, string>> = {
  W1: 'one wasm SIMD reduction with exp and tanh at ≈ 2.5 ns/element (128-bit lanes, no FMA); XLA runs 256-bit AVX2 FMA polynomials',
  W2: 'one wasm SIMD map (≈ 2.5 ns/element) plus the data path: ≈ 1.2 ms per 1e6 outputs with toTypedArray\'s copy, ≈ 0.5 ms read with toTypedArray({ copy: false }) (bench/phases/w2.ts)',
  W3: 'matmuls at the wasm SIMD roof (128-bit, no FMA) against XLA on AVX',
  W4: 'one fused pass (pads split into boxes, the inner box a wasm map, faster than the hand loop on its own); the second fresh array toTypedArray() copies into is the gap to the hand loop (W4V reads without it)',
  W4V: 'W4 with the Array\'s own buffer read out (toTypedArray({ copy: false })): one fresh output, as the hand-written loop and JAX\'s np.asarray',
  W5: 'the loop is one generated function with the 12 carried values in locals, as the hand-written code',
  W6: 'one wasm SIMD row kernel (the row sums in float64 lanes, the per-row logistic once per row, the outer product 4 lanes at a time) and the copy out',
  W7: 'steady: one generated kernel; the first call is tracing, passes and code generation',
  W8: 'eager dispatch per primitive (no jit); no JAX column',
  W9: 'the loop in the wasm arena: per step, the boxes of the rolled stencil as strided f64x2 calls (a pass for u, v and one for the two tangent planes), nothing copied between steps; compute-bound at ≈ 15 GFLOP/s',
  W11: 'compiled whole as W5, the call around the loop ≈ 2 µs; jacfwd multiplies by the one-hot tangent seeds (379 arithmetic ops per step against ≈ 300 by hand: dropping x·0 is not exact for NaN/Inf)',
  W11R: 'forward and backward loops each compiled whole; JAX runs the backward scan as XLA while-loop iterations with per-step dispatch',
  W12: 'adaptive Tsit5 with jacfwd, the step loop compiled whole (controller and dense output in locals); JAX\'s column is Diffrax',
  W13: 'stiff Rodas4 with a 20×20 Jacobian per step; JAX\'s column is Diffrax',
  W14: 'convolutions as im2col + wasm matmul against XLA\'s convolution',
}

/** `|` and line breaks would end a Markdown cell; `<`, `>` and `&` could become HTML. */
export const escapeCell = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')

const cell = (r: ImplReport | undefined): string => {
  if (r === undefined) return 'not run'
  if (r.status !== 'ok' || r.median === undefined) return r.status === 'unavailable' ? '—' : r.status
  // on a busy machine the median can be far above the unloaded time: then the minimum too
  const min = r.min !== undefined && r.min * 1.5 < r.median ? ` [${fmtMs(r.min)}]` : ''
  return `${fmtMs(r.median)}${min}${r.correct === false ? ' (wrong)' : ''}`
}

const ratio = (a: ImplReport | undefined, b: ImplReport | undefined): string =>
  a?.median !== undefined && b?.median !== undefined && a.status === 'ok' && b.status === 'ok' ? fmtRatio(a.median / b.median) : '—'

export interface MarkdownInput {
  readonly machine: { readonly date: string; readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly loadAvgAtStart: readonly number[] }
  readonly workloads: readonly WorkloadReport[]
}

export const markdownTable = (run: MarkdownInput): string => {
  const head = '| | leibniz | strong JS | JAX, 1 core | JAX, all cores | jax-js | lbz÷JAX (1 core) | lbz÷strong JS | where the time goes |'
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---|'
  const rows = run.workloads.map((w) => {
    const get = (id: ImplId) => w.impls.find((r) => r.impl === id)
    const lb = get('leibniz')
    // the ODE workloads (W12, W13) have Diffrax where the others have JAX itself
    const jax = get('jax')?.status === 'ok' || get('diffrax') === undefined ? get('jax') : get('diffrax')
    const cells = [
      `${w.id} ${w.title}`,
      cell(lb),
      cell(get('baseline')),
      cell(jax) + (jax?.impl === 'diffrax' && jax.status === 'ok' ? ' (Diffrax)' : ''),
      cell(get('jax-all')),
      cell(get('jax-js')),
      ratio(lb, jax),
      ratio(lb, get('baseline')),
      WHY[w.id] ?? '',
    ]
    // W7's target is its first call in a fresh process: a row of its own
    const firstOf = (id: ImplId): number | undefined => (get(id)?.status === 'ok' ? get(id)?.first?.median : undefined)
    const [lf, jf] = [firstOf('leibniz'), firstOf('jax')]
    const first = w.id !== 'W7' ? [] : [
      'W7 first call (fresh process)', fmtMs(lf), '—', fmtMs(jf), fmtMs(firstOf('jax-all')), fmtMs(firstOf('jax-js')),
      lf !== undefined && jf !== undefined ? fmtRatio(lf / jf) : '—', '—',
      'leibniz: tracing, passes, planning and code generation in a cold process; JAX: tracing and XLA compilation',
    ]
    return [cells, first].filter((c) => c.length > 0).map((c) => `| ${c.map(escapeCell).join(' | ')} |`).join('\n')
  })
  const m = run.machine
  const caption = `Milliseconds per call (medians), measured ${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cpus} × ${m.cpuModel}, Node ${m.node}; 1-min load average ${m.loadAvgAtStart[0]?.toFixed(1) ?? '?'} at the start.`
  return [escapeCell(caption), '', head, rule, ...rows].join('\n')
}
