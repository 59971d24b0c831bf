/**
 * `npm run example -- progress` — a terminal progress bar for a jitted 200,000-step simulation, and its gradient.
 *
 * A damped pendulum, ẍ = −(g/L) sin x − c ẋ, by semi-implicit Euler in float64, inside
 * `jit(lax.foriLoop(…))`: the loop's `progress` option calls back into JavaScript every 2,000
 * steps, so the bar moves while the compiled loop runs. Then the gradient of the final angle
 * with respect to (g/L, c) by reverse mode through the same loop — the progress reports come
 * from the forward pass; derivatives are those of the loop without the option (to rounding:
 * checked here).
 */
import { grad, jit, lax, np } from '../src'
import type { NDArray } from '../src'

const STEPS = 200_000
const DT = 1e-4

/** A bar on one terminal line (redrawn in place), or a line per 10% where stdout is not a terminal. */
const bar = (label: string) => {
  let lastTenth = -1
  return (step: number, total: number | null): void => {
    const n = total ?? step
    const frac = step / n
    if (process.stdout.isTTY) {
      const width = 40
      const full = Math.round(frac * width)
      process.stdout.write(`\r${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * frac).toFixed(0).padStart(3)}% (${step}/${n})`)
      if (step === n) process.stdout.write('\n')
    } else if (Math.floor(frac * 10) > lastTenth) {
      lastTenth = Math.floor(frac * 10)
      console.log(`${label} ${(100 * frac).toFixed(0)}% (${step}/${n})`)
    }
  }
}

type State = [NDArray, NDArray]
type Params = { w2: NDArray; c: NDArray }
// one semi-implicit Euler step: v ← v − (w² sin x + c v) dt, then x ← x + v dt
const step = (p: Params) => (_i: NDArray, [x, v]: State): State => {
  const v2 = v.sub(p.w2.mul(np.sin(x)).add(p.c.mul(v)).mul(DT))
  return [x.add(v2.mul(DT)), v2]
}

const finalAngle = (report: ((s: number, t: number | null) => void) | null) => (p: Params): NDArray => {
  const init: State = [np.array(1.0), np.array(0.0)]
  const opts = report === null ? {} : { progress: { report, every: 2_000 } }
  return lax.foriLoop(0, STEPS, step(p), init, opts)[0]
}

const p: Params = { w2: np.array(9.81), c: np.array(0.3) }
const t0 = performance.now()
const x = jit(finalAngle(bar('simulate')))(p)
console.log(`final angle after ${STEPS} steps: ${(x.item() as number).toFixed(12)} rad (${(performance.now() - t0).toFixed(0)} ms with compilation)`)

const g = jit(grad(finalAngle(bar('gradient'))))(p)
const plain = jit(grad(finalAngle(null)))(p)
console.log(`∂x/∂g/L = ${(g.w2.item() as number).toExponential(6)}, ∂x/∂c = ${(g.c.item() as number).toExponential(6)}`)
// (the chunked loop sums the parameters' cotangents chunk by chunk: the same terms, added in
// another order, so equal to rounding)
const rel = Math.max(...(['w2', 'c'] as const).map((k) => Math.abs((g[k].item() as number) / (plain[k].item() as number) - 1)))
console.log(`relative difference to the gradient without progress reports: ${rel.toExponential(1)}`)
