/**
 * Turning child results into the report: correctness against the baseline, ratios,
 * targets, and the printed table.
 */
import type { ChildResult } from '../child'
import { compareParts, type Parts } from './compare'
import { stats, type Stats } from './measure'
import type { AnyWorkload, ImplId, Target } from './types'

export interface ImplReport {
  readonly impl: ImplId
  readonly status: 'ok' | 'unavailable' | 'error' | 'timeout'
  readonly reason?: string
  readonly median?: number
  readonly min?: number
  readonly max?: number
  readonly runs?: number
  readonly batch?: number
  /** first call after import, per fresh process */
  readonly first?: Stats & { readonly samples: readonly number[] }
  readonly loadMs?: number
  /** leibniz median / this median */
  readonly leibnizRatio?: number
  readonly maxAbsErr?: number
  readonly relErr?: number
  readonly worstPart?: string
  readonly tolerance?: number
  readonly correct?: boolean
  readonly repeatRel?: number
  readonly dtype?: string
  readonly note?: string
  readonly rssPeakMiB?: number
  readonly rssDeltaMiB?: number
}

export interface TargetReport {
  readonly text: string
  readonly met: boolean | null
  readonly detail: string
}

export interface WorkloadReport {
  readonly id: string
  readonly title: string
  readonly dtype: string
  readonly target: string
  readonly impls: readonly ImplReport[]
  readonly targets: readonly TargetReport[]
  /** true: all met; false: one missed; null: cannot be judged (leibniz not available/failed) */
  readonly met: boolean | null
  /** 1-minute load average sampled before each measurement of this workload */
  readonly loadAvg: { readonly min: number; readonly max: number }
}

/** The benchmark keeps about one core busy; more than half a core beyond that is someone else. */
export const BUSY_LOAD = 1.5

const MiB = 1024 * 1024

export const implReport = (
  w: AnyWorkload,
  impl: ImplId,
  r: ChildResult | { status: 'timeout'; reason: string },
  out: Parts | undefined,
  ref: Parts | undefined,
  extraFirst: readonly number[],
): ImplReport => {
  if (r.status !== 'ok') return { impl, status: r.status, reason: r.reason }
  const firstSamples = [r.firstMs, ...extraFirst]
  const base = {
    impl,
    status: 'ok' as const,
    median: r.stats.median,
    min: r.stats.min,
    max: r.stats.max,
    runs: r.stats.n,
    batch: r.batch,
    first: { ...stats(firstSamples), samples: firstSamples },
    loadMs: r.loadMs,
    dtype: r.dtype,
    repeatRel: r.repeatRel,
    ...(r.note !== undefined ? { note: r.note } : {}),
    rssPeakMiB: r.rss.peak / MiB,
    rssDeltaMiB: (r.rss.peak - r.rss.loaded) / MiB,
  }
  const tol = w.tolerance[r.dtype as 'float32' | 'float64']
  if (out === undefined || ref === undefined) return { ...base, tolerance: tol }
  const e = compareParts(out, ref)
  const correct = e.rel <= tol && r.repeatRel <= tol
  return { ...base, maxAbsErr: e.maxAbs, relErr: e.rel, worstPart: e.worst, tolerance: tol, correct }
}

const targetText = (t: Target): string =>
  t.kind === 'ratio' ? `median ≤ ${t.max}× ${t.vs}` : t.metric === 'first' ? `first call ≤ ${t.maxMs} ms` : `median ≤ ${t.maxMs} ms`

export const judge = (w: AnyWorkload, impls: readonly ImplReport[]): TargetReport[] => {
  const get = (id: ImplId) => impls.find((r) => r.impl === id)
  const lb = get('leibniz')
  return w.targets.map((t): TargetReport => {
    const text = targetText(t)
    if (lb === undefined) return { text, met: null, detail: 'leibniz not run' }
    if (lb.status !== 'ok') return { text, met: null, detail: `leibniz ${lb.status}: ${lb.reason}` }
    if (lb.correct === false) return { text, met: false, detail: 'leibniz answer is WRONG' }
    if (t.kind === 'ratio') {
      const vs = get(t.vs)
      if (vs === undefined || vs.status !== 'ok' || vs.median === undefined) return { text, met: null, detail: `${t.vs} ${vs?.status ?? 'not run'}` }
      const ratio = lb.median! / vs.median
      const caveat = vs.correct === false ? ` (${t.vs}'s answer is WRONG)` : ''
      return { text, met: ratio <= t.max, detail: `leibniz ${fmtRatio(ratio)} ${t.vs}${caveat}` }
    }
    const v = t.metric === 'first' ? lb.first!.median : lb.median!
    const how = t.metric !== 'first' ? '' : lb.first!.n > 1 ? ` (median of ${lb.first!.n} fresh processes)` : ' (in a fresh process)'
    return { text, met: v <= t.maxMs, detail: `leibniz ${fmtMs(v)} ms${how}` }
  })
}

export const overall = (ts: readonly TargetReport[]): boolean | null =>
  ts.some((t) => t.met === false) ? false : ts.some((t) => t.met === null) ? null : true

// ---- formatting --------------------------------------------------------------------------

export const fmtMs = (x: number | undefined): string => {
  if (x === undefined || !Number.isFinite(x)) return '—'
  if (x >= 1000) return x.toFixed(0)
  if (x >= 100) return x.toFixed(1)
  if (x >= 10) return x.toFixed(2)
  if (x >= 1) return x.toFixed(3)
  if (x >= 0.001) return x.toFixed(4)
  return x.toExponential(2)
}

export const fmtRatio = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`)

const fmtErr = (x: number | undefined): string => (x === undefined ? '—' : x === 0 ? '0' : !Number.isFinite(x) ? String(x) : x.toExponential(1))

const pad = (s: string, n: number, right = false): string => (right ? s.padStart(n) : s.padEnd(n))

const COLS: readonly [string, number, boolean][] = [
  ['impl', 10, false],
  ['median ms', 10, true],
  ['min', 9, true],
  ['max', 9, true],
  ['runs', 6, true],
  ['first ms', 9, true],
  ['lbz÷this', 9, true],
  ['max abs err', 12, true],
  ['rel err', 8, true],
  ['check', 6, true],
  ['RSS MiB', 8, true],
  ['(+Δ)', 7, true],
]

export const header = (): string => '  ' + COLS.map(([h, n, r]) => pad(h, n, r)).join(' ') + '  note'

export const row = (r: ImplReport, workloadDType: string): string => {
  if (r.status !== 'ok') return `  ${pad(r.impl, COLS[0][1])} ${r.status}: ${r.reason ?? ''}`
  const check = r.impl === 'baseline' ? 'ref' : r.correct === undefined ? '?' : r.correct ? 'ok' : 'WRONG'
  const notes = [
    r.note,
    r.dtype !== undefined && r.dtype !== workloadDType ? `computes in ${r.dtype}` : undefined,
    r.batch !== undefined && r.batch > 1 ? `timed in batches of ${r.batch}` : undefined,
    r.correct === false && r.repeatRel !== undefined && r.repeatRel > (r.tolerance ?? 0) ? `repeated calls disagree (rel ${fmtErr(r.repeatRel)})` : undefined,
    r.correct === false && r.worstPart !== undefined ? `worst part: ${r.worstPart}` : undefined,
  ].filter((s) => s !== undefined)
  const cells = [
    r.impl,
    fmtMs(r.median),
    fmtMs(r.min),
    fmtMs(r.max),
    String(r.runs ?? '—'),
    fmtMs(r.first?.median),
    r.impl === 'leibniz' ? '—' : fmtRatio(r.leibnizRatio),
    r.impl === 'baseline' ? '' : fmtErr(r.maxAbsErr),
    r.impl === 'baseline' ? '' : fmtErr(r.relErr),
    check,
    r.rssPeakMiB === undefined ? '—' : r.rssPeakMiB.toFixed(0),
    r.rssDeltaMiB === undefined ? '—' : `+${r.rssDeltaMiB.toFixed(0)}`,
  ]
  return '  ' + cells.map((c, i) => pad(c, COLS[i][1], COLS[i][2])).join(' ') + '  ' + notes.join('; ')
}

const metText = (m: boolean | null): string => (m === true ? 'MET' : m === false ? 'NOT MET' : 'n/a')

export const block = (w: WorkloadReport, firstProcesses: number, cpus: number): string => {
  const lines = [`${w.id}  ${w.title}   [target: ${w.target}]`, header(), ...w.impls.map((r) => row(r, w.dtype))]
  if (w.loadAvg.max > BUSY_LOAD) {
    lines.push(
      `  warning: the machine was busy (1-min load average ${w.loadAvg.min.toFixed(1)}–${w.loadAvg.max.toFixed(1)} on ${cpus} cpus, ` +
        'this benchmark adds about 1): times are inflated and ratios less reliable',
    )
  }
  if (firstProcesses > 1) {
    const parts = w.impls
      .filter((r) => r.status === 'ok' && r.first !== undefined)
      .map((r) => `${r.impl} ${fmtMs(r.first!.median)} (${fmtMs(r.first!.min)}–${fmtMs(r.first!.max)}; import+init ${fmtMs(r.loadMs)})`)
    lines.push(`  first call, median (min–max) of ${firstProcesses} fresh processes, ms: ${parts.join(', ')}`)
  }
  const head = headline(w)
  if (head !== undefined) lines.push(`  ${head}`)
  for (const t of w.targets) lines.push(`  target ${t.text}: ${t.detail} → ${metText(t.met)}`)
  return lines.join('\n')
}

/** The headline ratios of one workload, measured in this run: leibniz ÷ JAX on one core and on all
 *  cores, and leibniz ÷ the strong plain-JS baseline (undefined when leibniz did not run). */
export const headline = (w: WorkloadReport): string | undefined => {
  const lb = w.impls.find((r) => r.impl === 'leibniz')
  if (lb?.median === undefined) return undefined
  const part = (id: ImplId, label: string): string | undefined => {
    const r = w.impls.find((x) => x.impl === id)
    return r?.leibnizRatio === undefined ? undefined : `lbz÷${label} ${fmtRatio(r.leibnizRatio)}${r.correct === false ? ' (its answer is WRONG)' : ''}`
  }
  const parts = [part('jax', 'jax (1 core)'), part('jax-all', 'jax-all'), part('baseline', 'strong JS')].filter((x) => x !== undefined)
  return parts.length === 0 ? undefined : `headline: ${parts.join(', ')}`
}

export const summary = (ws: readonly WorkloadReport[]): string => {
  const lines = ['Summary (leibniz vs the targets)']
  for (const w of ws) {
    const wrong = w.impls.filter((r) => r.correct === false).map((r) => r.impl)
    const failed = w.impls.filter((r) => r.status === 'error' || r.status === 'timeout').map((r) => `${r.impl} ${r.status}`)
    const extra = [wrong.length > 0 ? `wrong answers: ${wrong.join(', ')}` : '', failed.length > 0 ? failed.join(', ') : ''].filter((s) => s !== '')
    const head = headline(w)
    lines.push(`  ${pad(w.id, 4)} ${pad(metText(w.met), 8)} ${w.targets.map((t) => `${t.text}: ${t.detail}`).join('; ')}${extra.length > 0 ? `   [${extra.join('; ')}]` : ''}`)
    if (head !== undefined) lines.push(`       ${head}`)
  }
  return lines.join('\n')
}
