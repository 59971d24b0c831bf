/**
 * Reverse mode through a long loop under each checkpoint policy: time and peak memory of
 * `jit(grad(f))` for f = Σ foriLoop(0, N, c ↦ 0.999·c + 10⁻³·sin(c), x) with a [100] float64
 * carry, each configuration in a fresh process (peak RSS from process.resourceUsage().maxRSS),
 * against the plain forward pass `jit(f)` run the same way. Times are of the first call (trace,
 * compile and run), as wall-clock and as the process's CPU time (user + system, all threads):
 * on a shared machine the CPU time is the steadier of the two, and the ratios use it. Checks
 * that every policy gives the same gradient bit for bit (a hash of the float64 words), and
 * counts the steps each gradient program runs (./stepcount.ts): advances (forward steps that
 * only recompute a carry), taped steps (forward steps that store residuals) and adjoint steps,
 * beside the advances revolve (Griewank–Walther) needs with as many snapshots.
 *
 * Run: `npx tsx bench/memory/checkpoint.ts [N] [--json out.json]` (N = 10⁶ by default;
 * 'recompute' takes O(N²) steps, so it runs on min(N, 1000) steps, compared with a forward pass of as many).
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { grad, jit, lax, makeJaxpr, np } from '../../src'
import type { Array, lax as laxNs } from '../../src'
import { type StepCounts, countSteps, revolveAdvances } from './stepcount'

type Policy = laxNs.CheckpointPolicy
const WIDTH = 100

const loss = (n: number, policy: Policy | undefined) => (x: Array) =>
  lax.foriLoop(0, n, (_i: Array, c: Array) => c.mul(0.999).add(np.sin(c).mul(1e-3)), x, policy === undefined ? {} : { checkpoint: policy }).sum()

const run = (what: string, n: number): { ms: number; cpuMs: number; rssMiB: number; hash: string } => {
  const policy: Policy | undefined = what === 'forward' ? undefined : (JSON.parse(what) as Policy)
  const f = loss(n, policy)
  const x = np.linspace(0, 1, WIDTH)
  const g = policy === undefined ? jit(f) : jit(grad(f))
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const out = g(x).toTypedArray()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  const words = new Uint32Array(new Float64Array(out).buffer)
  let h = 2166136261
  for (const w of words) h = Math.imul(h ^ w, 16777619) >>> 0
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMiB: process.resourceUsage().maxRSS / 1024, hash: h.toString(16) }
}

/** The steps the gradient program runs, per loop step (a while loop's are unknown: NaN). */
const stepsOf = (p: Policy, n: number): StepCounts => {
  const c = countSteps(makeJaxpr(grad(loss(n, p)))(np.zeros([WIDTH])).jaxpr)
  return { advances: c.advances / n, taped: c.taped / n, adjoint: c.adjoint / n }
}

const child = process.argv[2] === '--child'
if (child) {
  console.log(JSON.stringify(run(process.argv[3], Number(process.argv[4]))))
} else {
  const n = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 1e6)
  const jsonAt = process.argv.indexOf('--json')
  const self = fileURLToPath(import.meta.url)
  const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname
  const measure = (what: string, steps: number) =>
    JSON.parse(execFileSync(tsx, [self, '--child', what, String(steps)], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop() as string) as ReturnType<typeof run>
  console.log(`grad through foriLoop of N = ${n} steps, carry f64[${WIDTH}]; each row a fresh process; times of the first call\n`)
  const base = measure('forward', n)
  interface Row {
    policy: string; steps: number; ms: number; cpuMs: number; rssMiB: number; overMiB: number; timeRatio: number; wallRatio: number; hash: string
    advances: number; taped: number; adjoint: number; revolveAdvances: number | null
  }
  const rows: Row[] = []
  rows.push({ policy: 'forward pass (jit f)', steps: n, ms: base.ms, cpuMs: base.cpuMs, rssMiB: base.rssMiB, overMiB: 0, timeRatio: 1, wallRatio: 1, hash: '', advances: 1, taped: 0, adjoint: 0, revolveAdvances: null })
  const policies: Policy[] = ['store', 'sqrt', { binomial: 2000 }, { binomial: 300 }, { binomial: 100 }, { binomial: 20 }, 'recompute']
  const ref: Record<number, string> = {}
  for (const p of policies) {
    const steps = p === 'recompute' ? Math.min(n, 1000) : n
    const fwd = steps === n ? base : measure('forward', steps)
    const r = measure(JSON.stringify(p), steps)
    ref[steps] ??= steps === n ? r.hash : measure(JSON.stringify('store'), steps).hash
    // 'recompute' runs a while loop per step: step i advances i times, N(N − 1)/2 in all
    const counted = p === 'recompute' ? { advances: (steps - 1) / 2, taped: 1, adjoint: 1 } : stepsOf(p, steps)
    rows.push({
      policy: JSON.stringify(p), steps, ms: r.ms, cpuMs: r.cpuMs, rssMiB: r.rssMiB, overMiB: r.rssMiB - fwd.rssMiB, timeRatio: r.cpuMs / fwd.cpuMs, wallRatio: r.ms / fwd.ms, hash: r.hash,
      ...counted, revolveAdvances: typeof p === 'object' ? revolveAdvances(p.binomial, steps) / steps : null,
    })
    if (r.hash !== ref[steps]) console.log(`!! ${JSON.stringify(p)}: gradient differs from 'store' (${r.hash} vs ${ref[steps]})`)
  }
  console.log('policy                 steps   CPU (ms)  × fwd  wall (ms)  × fwd  peak RSS (MiB)  above fwd  advances/N  taped/N  adjoint/N  revolve adv./N  gradient hash')
  for (const r of rows) {
    const f = (v: number, w: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '?').padStart(w)
    console.log(
      `${r.policy.padEnd(21)} ${String(r.steps).padStart(8)} ${f(r.cpuMs, 10, 0)} ${f(r.timeRatio, 6)} ${f(r.ms, 10, 0)} ${f(r.wallRatio, 6)} ${f(r.rssMiB, 15, 0)} ${f(r.overMiB, 10, 0)}` +
        ` ${f(r.advances, 11)} ${f(r.taped, 8)} ${f(r.adjoint, 10)} ${r.revolveAdvances === null ? '               ' : f(r.revolveAdvances, 15)}  ${r.hash}`,
    )
  }
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify({ n, width: WIDTH, load: loadavg(), rows }, null, 2) + '\n')
}
