/**
 * The scaling table (`npm run bench -- --scaling`): W1 and W2 at n = 1e3 … 1e7 elements and W5
 * at 1e2 … 1e6 steps, for the baseline, leibniz and JAX on one core (when a Python with jax is
 * found), each point a fresh child process with a shorter sampling than the main tables (at
 * least 5 timed runs and 0.3 s). Prints time and time per element / step, checks every answer
 * against the baseline at the same size, and writes a log-log chart to bench/results/scaling.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compareParts } from '../harness/compare'
import { fmtMs } from '../harness/report'
import { readParts, runChild } from '../harness/spawn'
import type { ImplId, MeasureOpts } from '../harness/types'
import { workloadById } from '../workloads/index'
import { scalingSvg, type Panel } from './svg'

const HERE = dirname(fileURLToPath(import.meta.url))
export const SCALING_SVG = join(HERE, '..', 'results', 'scaling.svg')

export const SCALING_WORKLOADS = ['W1', 'W2', 'W5'] as const
export const SCALING_IMPLS: readonly ImplId[] = ['baseline', 'leibniz', 'jax']

const MEASURE: Partial<MeasureOpts> = { warmupRuns: 2, warmupMs: 100, minRuns: 5, minMs: 300, maxMs: 3000 }
const QUICK: Partial<MeasureOpts> = { warmupRuns: 1, warmupMs: 0, minRuns: 2, minMs: 0, maxMs: 0 }

export interface ScalingPoint {
  readonly workload: string
  readonly size: number
  readonly unit: string
  readonly impl: ImplId
  readonly status: string
  readonly reason?: string
  readonly median?: number
  /** median / size, in nanoseconds */
  readonly nsPerUnit?: number
  /** rel. error against the baseline at this size, and whether it is within the tolerance */
  readonly relErr?: number
  readonly correct?: boolean
}

const fmtNs = (x: number | undefined): string => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

const fmtSize = (n: number): string => `1e${Math.round(Math.log10(n))}`

export const runScaling = async (impls: readonly ImplId[], dir: string, quick: boolean): Promise<{ points: ScalingPoint[]; text: string; svg: string }> => {
  const use = SCALING_IMPLS.filter((i) => i === 'baseline' || impls.includes(i))
  const points: ScalingPoint[] = []
  const loads: number[] = []
  const t0 = performance.now()
  for (const id of SCALING_WORKLOADS) {
    const w = workloadById(id)!
    const sc = w.scaling!
    for (const size of sc.sizes) {
      let ref: ReturnType<typeof readParts>
      for (const impl of use) {
        loads.push(loadavg()[0])
        const out = join(dir, `scaling-${id}-${size}-${impl}`)
        const r = await runChild({ workload: id, impl, mode: 'full', out, size, measure: quick ? QUICK : MEASURE })
        process.stderr.write(`  scaling ${id} ${fmtSize(size)} ${impl.padEnd(9)} ${r.status === 'ok' ? 'done' : `${r.status}: ${r.reason}`}\n`)
        if (r.status !== 'ok') {
          points.push({ workload: id, size, unit: sc.unit, impl, status: r.status, reason: r.reason })
          continue
        }
        const parts = readParts(r, `${out}.bin`)
        if (impl === 'baseline') ref = parts
        const e = parts !== undefined && ref !== undefined ? compareParts(parts, ref).rel : undefined
        const tol = w.tolerance[r.dtype]
        points.push({
          workload: id, size, unit: sc.unit, impl, status: 'ok', median: r.stats.median, nsPerUnit: (r.stats.median * 1e6) / size,
          ...(e !== undefined ? { relErr: e, correct: e <= tol } : {}),
        })
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000
  const lines = [
    `Scaling: median ms per call (ns per element or step) — fresh process per point, ${quick ? '2 timed runs without warm-up (--quick: NOT benchmark figures)' : '≥ 5 timed runs and ≥ 0.3 s each after a warm-up'}`,
    `  ${'workload'.padEnd(9)}${'size'.padStart(6)}  ${use.map((i) => i.padStart(22)).join('')}  ${use.includes('jax') ? 'lbz÷jax'.padStart(8) : ''}`,
  ]
  for (const id of SCALING_WORKLOADS) {
    const sc = workloadById(id)!.scaling!
    for (const size of sc.sizes) {
      const cells = use.map((impl) => {
        const p = points.find((q) => q.workload === id && q.size === size && q.impl === impl)
        if (p?.median === undefined) return (p?.status ?? '—').padStart(22)
        return `${fmtMs(p.median)} (${fmtNs(p.nsPerUnit)} ns)${p.correct === false ? '!' : ''}`.padStart(22)
      })
      const lb = points.find((q) => q.workload === id && q.size === size && q.impl === 'leibniz')?.median
      const jx = points.find((q) => q.workload === id && q.size === size && q.impl === 'jax')?.median
      const ratio = lb !== undefined && jx !== undefined ? `${(lb / jx).toFixed(2)}×` : '—'
      lines.push(`  ${`${id} ${sc.unit}s`.padEnd(9)}${fmtSize(size).padStart(6)}  ${cells.join('')}  ${use.includes('jax') ? ratio.padStart(8) : ''}`)
    }
  }
  const unavailable = points.filter((p) => p.status !== 'ok')
  const reasons = [...new Set(unavailable.map((p) => `${p.impl}: ${p.reason ?? p.status}`))]
  for (const r of reasons) lines.push(`  (${r})`)
  if (points.some((p) => p.correct === false)) lines.push('  ! = the answer at that size is WRONG (outside the workload\'s tolerance against the baseline)')
  lines.push(`  1-min load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; the scaling table took ${seconds.toFixed(0)} s`)
  const panels: Panel[] = SCALING_WORKLOADS.map((id) => {
    const w = workloadById(id)!
    return {
      title: `${id}: ${w.title.split(',')[0]}`,
      xLabel: w.scaling!.unit === 'step' ? 'steps' : 'n (elements)',
      series: use.map((impl) => ({
        label: impl === 'jax' ? 'jax (1 core)' : impl,
        points: points.filter((p) => p.workload === id && p.impl === impl && p.median !== undefined).map((p) => [p.size, p.median!] as const),
      })),
    }
  })
  const svg = scalingSvg(
    'leibniz bench: time per call against problem size (log-log)',
    `${new Date().toISOString().slice(0, 10)}; medians of fresh processes; W5: dt = min(0.001, 10 / steps)${quick ? '; --quick run, not benchmark figures' : ''}`,
    panels,
  )
  mkdirSync(dirname(SCALING_SVG), { recursive: true })
  writeFileSync(SCALING_SVG, svg)
  lines.push(`  chart: ${relative(process.cwd(), SCALING_SVG)}`)
  return { points, text: lines.join('\n'), svg: SCALING_SVG }
}
