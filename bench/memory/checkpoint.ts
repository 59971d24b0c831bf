/**
 * Reverse mode through a long loop under each checkpoint policy: time and peak memory of
 * `jit(grad(f))` for f = Σ foriLoop(0, N, c ↦ 0.999·c + 10⁻³·sin(c), x) with a [100] float64
 * carry, each configuration in a fresh process (peak RSS from process.resourceUsage().maxRSS),
 * against the plain forward pass `jit(f)` run the same way. Checks that every policy gives the
 * same gradient bit for bit (a hash of the float64 words).
 *
 * Run: `npx tsx bench/memory/checkpoint.ts [N] [--json out.json]` (N = 10⁶ by default;
 * 'recompute' takes O(N²) steps, so it runs on min(N, 1000) steps, compared with a forward pass of as many).
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { grad, jit, lax, np } from '../../src'
import type { Array, lax as laxNs } from '../../src'

type Policy = laxNs.CheckpointPolicy
const WIDTH = 100

const run = (what: string, n: number): { ms: number; rssMiB: number; hash: string } => {
  const policy: Policy | undefined = what === 'forward' ? undefined : (JSON.parse(what) as Policy)
  const f = (x: Array) => lax.foriLoop(0, n, (_i: Array, c: Array) => c.mul(0.999).add(np.sin(c).mul(1e-3)), x, policy === undefined ? {} : { checkpoint: policy }).sum()
  const x = np.linspace(0, 1, WIDTH)
  const g = policy === undefined ? jit(f) : jit(grad(f))
  const t0 = performance.now()
  const out = g(x).toTypedArray()
  const ms = performance.now() - t0
  const words = new Uint32Array(new Float64Array(out).buffer)
  let h = 2166136261
  for (const w of words) h = Math.imul(h ^ w, 16777619) >>> 0
  return { ms, rssMiB: process.resourceUsage().maxRSS / 1024, hash: h.toString(16) }
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
  console.log(`grad through foriLoop of N = ${n} steps, carry f64[${WIDTH}]; each row a fresh process\n`)
  const base = measure('forward', n)
  const rows: { policy: string; steps: number; ms: number; rssMiB: number; overMiB: number; timeRatio: number; hash: string }[] = []
  rows.push({ policy: 'forward pass (jit f)', steps: n, ms: base.ms, rssMiB: base.rssMiB, overMiB: 0, timeRatio: 1, hash: '' })
  const policies: Policy[] = ['store', 'sqrt', { binomial: 100 }, { binomial: 20 }, 'recompute']
  const ref: Record<number, string> = {}
  for (const p of policies) {
    const steps = p === 'recompute' ? Math.min(n, 1000) : n
    const fwd = steps === n ? base : measure('forward', steps)
    const r = measure(JSON.stringify(p), steps)
    ref[steps] ??= steps === n ? r.hash : measure(JSON.stringify('store'), steps).hash
    rows.push({ policy: JSON.stringify(p), steps, ms: r.ms, rssMiB: r.rssMiB, overMiB: r.rssMiB - fwd.rssMiB, timeRatio: r.ms / fwd.ms, hash: r.hash })
    if (r.hash !== ref[steps]) console.log(`!! ${JSON.stringify(p)}: gradient differs from 'store' (${r.hash} vs ${ref[steps]})`)
  }
  console.log('policy                 steps     time (ms)  × forward  peak RSS (MiB)  above forward  gradient hash')
  for (const r of rows) {
    console.log(`${r.policy.padEnd(21)} ${String(r.steps).padStart(8)} ${r.ms.toFixed(0).padStart(12)} ${r.timeRatio.toFixed(2).padStart(9)} ${r.rssMiB.toFixed(0).padStart(15)} ${r.overMiB.toFixed(0).padStart(14)}  ${r.hash}`)
  }
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify({ n, width: WIDTH, rows }, null, 2) + '\n')
}
