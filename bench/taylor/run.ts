/**
 * W10 (bench/README.md): derivatives of orders 1…10 of f(x) = sin(x)·exp(−x²/2) by nested
 * `grad` and by Taylor mode (`jet`), each order in fresh processes (bench/taylor/child.ts: the
 * first call is the median of five, `--quick` one), and
 * JAX's nested `grad` beside them when a Python with JAX is available: LEIBNIZ_BENCH_PYTHON
 * names it, else a `python3` that can `import jax` is used, else the column is left out.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { W10Method, W10Result } from './child'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const MAX_ORDER = 10
const TIMEOUT_MS = 240_000

interface JaxRow {
  readonly order: number
  readonly eqns: number
  readonly firstMs: number
  readonly steadyMs: number
  readonly value: number
  readonly jax: string
}

/** The Python to run JAX with, or null (with the reason) when there is none. */
export const findJaxPython = (): { python: string | null; why: string } => {
  const env = process.env.LEIBNIZ_BENCH_PYTHON
  const candidates = env !== undefined && env !== '' ? [env] : ['python3']
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import jax'], { timeout: 60_000, stdio: 'ignore' })
    if (r.status === 0) return { python: py, why: env ? 'LEIBNIZ_BENCH_PYTHON' : 'python3 on PATH' }
  }
  return { python: null, why: env ? `LEIBNIZ_BENCH_PYTHON=${env} cannot import jax` : 'no python3 with jax (set LEIBNIZ_BENCH_PYTHON)' }
}

const runChild = (method: W10Method, order: number, runs: number): W10Result | string => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'child.ts'), JSON.stringify({ method, order, runs })], {
    cwd: ROOT,
    timeout: TIMEOUT_MS,
    encoding: 'utf8',
  })
  if (r.status !== 0) return `failed: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? r.signal}`
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as W10Result
}

/** A first call varies from process to process (whether a collection of the young generation
 *  falls into it, what else the machine runs): the first call is the median of this many fresh
 *  processes, as for the bench's other first-call targets. */
const FIRST_PROCESSES = 5

/** `runChild` in `n` fresh processes: the first one's result, with the median first call. */
const firstOfFresh = (method: W10Method, order: number, runs: number, n: number): W10Result | string => {
  const first = runChild(method, order, runs)
  if (typeof first === 'string') return first
  const firsts = [first.firstMs]
  for (let i = 1; i < n; i++) {
    const r = runChild(method, order, 1)
    if (typeof r === 'string') return r
    firsts.push(r.firstMs)
  }
  firsts.sort((a, b) => a - b)
  return { ...first, firstMs: firsts[firsts.length >> 1] }
}

const runJax = (python: string, runs: number): JaxRow[] | string => {
  const r = spawnSync(python, [join(HERE, 'jax_nested_grad.py'), String(MAX_ORDER), String(runs)], { timeout: TIMEOUT_MS * 2, encoding: 'utf8' })
  if (r.status !== 0) return `failed: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? r.signal}`
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as JaxRow)
}

const ms = (v: number | undefined): string => (v === undefined ? '—' : v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0))
const pad = (cells: readonly string[], widths: readonly number[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ')

/** Run W10 and return its report as text (and the rows, for --json). */
export const runW10 = (quick: boolean): { text: string; rows: unknown } => {
  const runs = quick ? 3 : 200
  const grad: (W10Result | string)[] = []
  const jet: (W10Result | string)[] = []
  for (let k = 1; k <= MAX_ORDER; k++) {
    grad.push(firstOfFresh('grad', k, runs, quick ? 1 : FIRST_PROCESSES))
    jet.push(firstOfFresh('jet', k, runs, quick ? 1 : FIRST_PROCESSES))
    process.stderr.write(`  W10 order ${k} done\n`)
  }
  // About the part of a first call that any program pays: jit of f itself, no derivative (5
  // equations, whose own work is small), in fresh processes the same way.
  const plain = firstOfFresh('plain', 0, runs, quick ? 1 : FIRST_PROCESSES)
  const py = findJaxPython()
  const jax = py.python === null ? py.why : runJax(py.python, runs)
  const ok = <T>(x: T | string): T | undefined => (typeof x === 'string' ? undefined : x)
  const lines: string[] = []
  lines.push(`W10 — derivatives of f(x) = sin(x)·exp(−x²/2) at x = 0.7, float64, under jit; each order in fresh processes (leibniz first calls: median of ${quick ? 1 : FIRST_PROCESSES})`)
  lines.push(`    jet = derivatives(f, k) (all orders 0…k in one pass); grad = grad applied k times; JAX = jax.grad k times${typeof jax === 'string' ? ` (JAX column: ${jax})` : ` (JAX ${jax[0]?.jax}, ${py.why})`}`)
  const widths = [5, 9, 8, 9, 11, 10, 10, 12, 11, 11, 9]
  lines.push(pad(['order', 'eqns grad', 'eqns jet', 'eqns JAX', 'first grad', 'first jet', 'first JAX', 'steady grad', 'steady jet', 'steady JAX', 'rel diff'], widths))
  let worstRel = 0
  for (let k = 1; k <= MAX_ORDER; k++) {
    const g = ok(grad[k - 1])
    const j = ok(jet[k - 1])
    const x = typeof jax === 'string' ? undefined : jax[k - 1]
    const rel = g && j ? Math.abs(g.value - j.value) / Math.max(Math.abs(g.value), 1e-300) : NaN
    if (Number.isFinite(rel)) worstRel = Math.max(worstRel, rel)
    lines.push(pad([String(k), g ? String(g.eqns) : 'fail', j ? String(j.eqns) : 'fail', x ? String(x.eqns) : '—', ms(g?.firstMs), ms(j?.firstMs), ms(x?.firstMs), ms(g?.steadyMs), ms(j?.steadyMs), ms(x?.steadyMs), Number.isNaN(rel) ? '—' : rel.toExponential(1)], widths))
  }
  for (const e of [...grad, ...jet, plain]) if (typeof e === 'string') lines.push(`  ${e}`)
  // Targets: jet's jaxpr grows no faster than K²; its first call at order 10 within 10 ms.
  const sizes = [2, 4, 6, 8, 10].map((k) => ({ k, eqns: ok(jet[k - 1])?.eqns }))
  lines.push(`jet jaxpr size, K = 2 4 6 8 10: ${sizes.map((s) => s.eqns ?? '—').join(' / ')}; eqns/K²: ${sizes.map((s) => (s.eqns === undefined ? '—' : (s.eqns / (s.k * s.k)).toFixed(1))).join(' / ')}`)
  const s2 = sizes[0].eqns
  const s10 = sizes[4].eqns
  const growthOk = s2 !== undefined && s10 !== undefined && s10 / s2 <= 25
  const first10 = ok(jet[MAX_ORDER - 1])?.firstMs
  lines.push(`target: jet size growth ≤ K² (×25 from K = 2 to 10): ${s2 !== undefined && s10 !== undefined ? `×${(s10 / s2).toFixed(1)}` : '—'} ${growthOk ? 'met' : 'NOT met'}`)
  lines.push(`target: jet first call at order 10 ≤ 10 ms: ${ms(first10)} ms ${first10 !== undefined && first10 <= 10 ? 'met' : 'NOT met'}`)
  const p = ok(plain)
  lines.push(`  jit(f) itself, no derivative (${p ? p.eqns : '—'} eqns): first call ${ms(p?.firstMs)} ms, steady ${ms(p?.steadyMs)} ms — about what a first call costs whatever the program`)
  lines.push(`grad and jet agree on the k-th derivative to ${worstRel.toExponential(1)} (worst relative difference)`)
  return { text: lines.join('\n'), rows: { grad, jet, plain, jax } }
}
