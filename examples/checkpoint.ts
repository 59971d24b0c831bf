/**
 * `npm run example -- checkpoint` — memory of reverse mode through a long scan, with and without checkpoint.
 *
 * A 100-dimensional nonlinear ODE, ẋ = tanh(W x + b) − x/2, integrated by 2,000 RK4 steps inside
 * lax.scan; the gradient of a loss of the final state w.r.t. W. Reverse mode keeps residuals
 * of every step for the backward pass. Plain, those are all of a step's intermediates (RK4 has
 * many); with the step wrapped in checkpoint, only the step's input, and the backward pass
 * recomputes the rest. Measured three ways, each in a fresh child process: the bytes of the
 * stacked residuals in the gradient's jaxpr, the array memory held by a vjp's pullback, and
 * the peak resident set size of the process while computing jit(grad(loss)).
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { checkpoint, grad, jit, lax, makeJaxpr, np, vjp } from '../src'
import type { NDArray } from '../src'

const N = 100
const STEPS = 2_000
const DT = 0.01

const f = (W: NDArray, b: NDArray, x: NDArray) => np.tanh(np.matmul(W, x).add(b)).sub(x.mul(0.5))
const rk4 = (W: NDArray, b: NDArray, x: NDArray): NDArray => {
  const k1 = f(W, b, x)
  const k2 = f(W, b, x.add(k1.mul(DT / 2)))
  const k3 = f(W, b, x.add(k2.mul(DT / 2)))
  const k4 = f(W, b, x.add(k3.mul(DT)))
  return x.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(DT / 6))
}
const loss = (remat: boolean) => (W: NDArray, b: NDArray, x0: NDArray): NDArray => {
  const body = (x: NDArray, _t: null): [NDArray, null] => [rk4(W, b, x), null]
  const [xT] = lax.scan(remat ? checkpoint(body) : body, x0, null, { length: STEPS })
  return np.sum(np.square(xT.sub(1)))
}

/** Deterministic inputs: W with entries ±0.1·pseudo-random, b and x0 small. */
const inputs = (): [NDArray, NDArray, NDArray] => {
  let s = 12345
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1
  const W = np.array(Array.from({ length: N * N }, () => 0.1 * rnd())).reshape([N, N])
  return [W, np.array(Array.from({ length: N }, () => 0.1 * rnd())), np.array(Array.from({ length: N }, () => rnd()))]
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`

/** Bytes of the stacked arrays ([STEPS, …]) that the gradient's jaxpr materializes at top level. */
const stackedBytes = (remat: boolean): number => {
  const j = makeJaxpr(grad(loss(remat)))(...inputs()).jaxpr
  let bytes = 0
  for (const e of j.eqns) {
    for (const v of e.outVars) if (v.aval.shape[0] === STEPS) bytes += v.aval.shape.reduce((a, d) => a * d, 1) * 8
  }
  return bytes
}

const child = (mode: string, remat: boolean): void => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const args = inputs()
  const buffers = () => {
    gc()
    return process.memoryUsage().arrayBuffers
  }
  let result: Record<string, number | string> = {}
  if (mode === 'vjp') {
    const before = buffers()
    const [, pullback] = vjp(loss(remat), args)
    const held = buffers() - before
    const g = pullback(np.array(1))[0] as NDArray
    result = { held, gradNorm: Math.sqrt(np.sum(np.square(g)).item() as number) }
  } else if (mode === 'jit') {
    const g = jit(grad(loss(remat)))(...args)
    result = { gradNorm: Math.sqrt(np.sum(np.square(g)).item() as number) }
  } else {
    result = { loss: jit(loss(remat))(...args).item() as number }
  }
  result.maxRSS = process.resourceUsage().maxRSS * 1024
  console.log(JSON.stringify(result))
}

const runChild = (mode: string, remat: boolean): Record<string, number> => {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, String(remat)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop() as string)
}

const argv = process.argv
const at = argv.indexOf('--child')
if (at >= 0) {
  child(argv[at + 1], argv[at + 2] === 'true')
} else {
  console.log(`Reverse mode through lax.scan: ${N}-dim state, ${STEPS} RK4 steps, float64; gradient w.r.t. W (${N}×${N})\n`)
  const perStep = N * 8
  console.log(`one state is ${perStep} bytes; the ${STEPS} states of the trajectory are ${MB(perStep * STEPS)}\n`)
  const base = runChild('forward', false).maxRSS
  console.log(`peak RSS of a process that only evaluates jit(loss) (the baseline): ${MB(base)}\n`)
  const rows: string[][] = [['', 'stacked residuals', 'held by the pullback', 'peak RSS, jit(grad)', 'peak RSS, vjp', '|∇W|']]
  for (const remat of [false, true]) {
    const v = runChild('vjp', remat)
    const j = runChild('jit', remat)
    const overBase = (rss: number) => `${MB(rss)} (+${MB(rss - base)})`
    rows.push([remat ? 'checkpoint(step)' : 'plain step', MB(stackedBytes(remat)), MB(v.held), overBase(j.maxRSS), overBase(v.maxRSS), v.gradNorm.toPrecision(12)])
    if (Math.abs(v.gradNorm - j.gradNorm) > 1e-9 * j.gradNorm) throw new Error('jit and eager gradients disagree')
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  for (const r of rows) console.log('  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   '))
  console.log('\n(stacked residuals: bytes of the [steps, …] arrays in makeJaxpr(grad(loss)); held: array memory alive between vjp and')
  console.log(' its pullback, measured after a gc; peak RSS: maxRSS of a fresh process computing the gradient — includes the runtime)')
}
