/**
 * `npm run example -- lorenz` — sensitivities of the Lorenz system to (σ, ρ, β) through a 10,000-step loop.
 *
 * Explicit Euler with dt = 0.001 for 10,000 steps (t = 0 … 10) from (1, 1, 1), in float64. Prints
 * the final state; its Jacobian w.r.t. the parameters by forward mode (jacfwd through
 * lax.foriLoop); the same sensitivities by reverse mode (grad, and grad of a scan whose step is
 * checkpointed); a finite-difference check; and the size of the staged programs. Writes
 * docs/img/lorenz.svg: the trajectory in the x–z plane, and ∂x(t)/∂ρ over time from one jvp.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkpoint, grad, jacfwd, jit, jvp, lax, makeJaxpr, np } from '../src'
import type { NDArray } from '../src'
import { svgPlots } from './lib/svg'

type Params = { sigma: NDArray; rho: NDArray; beta: NDArray }
type State = [NDArray, NDArray, NDArray]

const DT = 0.001
const STEPS = 10_000

// One Euler step of  ẋ = σ(y − x),  ẏ = x(ρ − z) − y,  ż = xy − βz.
const step = (p: Params, [x, y, z]: State): State => [
  x.add(p.sigma.mul(y.sub(x)).mul(DT)),
  y.add(x.mul(p.rho.sub(z)).sub(y).mul(DT)),
  z.add(x.mul(y).sub(p.beta.mul(z)).mul(DT)),
]
const start = (): State => [np.array(1), np.array(1), np.array(1)]

/** The state at t = 10, as f64[3]: one staged loop, not 10,000 traced steps. */
const finalState = (p: Params): NDArray => np.stack(lax.foriLoop(0, STEPS, (_i: NDArray, s: State) => step(p, s), start()))

/** The same with lax.scan and a checkpointed step: reverse mode stores only each step's input. */
const finalStateCheckpointed = (p: Params): NDArray => {
  const body = checkpoint((s: State, _x: null): [State, null] => [step(p, s), null])
  return np.stack(lax.scan(body, start(), null, { length: STEPS })[0])
}

/** Every state, f64[10000, 3] (the ys of a scan). */
const trajectory = (p: Params): NDArray =>
  lax.scan((s: State, _x: null): [State, NDArray] => {
    const next = step(p, s)
    return [next, np.stack(next)]
  }, start(), null, { length: STEPS })[1]

const params: Params = { sigma: np.array(10), rho: np.array(28), beta: np.array(8 / 3) }
const names = ['sigma', 'rho', 'beta'] as const
const timed = <T>(f: () => T): [T, string] => {
  const t0 = performance.now()
  const r = f()
  return [r, `${((performance.now() - t0) / 1000).toFixed(2)} s`]
}
const fmt = (v: number) => (v >= 0 ? ' ' : '') + v.toExponential(9)
const list = (x: NDArray) => x.tolist() as number[]
const maxRel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.abs(b[i])))

console.log(`Lorenz system, σ = 10, ρ = 28, β = 8/3; Euler, dt = ${DT}, ${STEPS} steps from (1, 1, 1); float64\n`)
// Every transformed function below is wrapped in jit: compiled once, then run by fused kernels.
const finalJit = jit(finalState)
const [s, tJit] = timed(() => list(finalJit(params)))
console.log(`final state (x, y, z) at t = 10:  ${s.map(fmt).join('  ')}   [${tJit}]`)

// Forward mode: one pass per parameter direction, carried through the loop with the state.
const [J, tFwd] = timed(() => jit(jacfwd(finalState))(params) as Params)
console.log(`\nforward mode — jacfwd through lax.foriLoop   [${tFwd}]`)
console.log(`            ${names.map((n) => `∂/∂${n}`.padEnd(17)).join('  ')}`.trimEnd())
;['x', 'y', 'z'].forEach((c, i) => console.log(`  ∂${c}(10)   ${names.map((n) => fmt(list(J[n])[i])).join('  ')}`))

// Reverse mode: one backward pass for the gradient of a scalar, here x + y + z.
const [g, tRev] = timed(() => jit(grad((p: Params) => finalState(p).sum()))(params) as Params)
const colSums = names.map((n) => list(J[n]).reduce((a, b) => a + b, 0))
const gList = names.map((n) => g[n].item() as number)
console.log(`\nreverse mode — grad of x + y + z through lax.foriLoop   [${tRev}]`)
console.log(`  ∇(x + y + z)  ${gList.map(fmt).join('  ')}`)
console.log(`  column sums of the forward Jacobian agree to ${maxRel(gList, colSums).toExponential(1)} (max relative difference)`)
const [gc, tCk] = timed(() => jit(grad((p: Params) => finalStateCheckpointed(p).sum()))(params) as Params)
console.log(`  with checkpoint(step) inside lax.scan: agrees to ${maxRel(names.map((n) => gc[n].item() as number), gList).toExponential(1)}   [${tCk}]`)

// Central differences along ρ (h = 1e-6): a sanity check, good to ~1e-7 here.
const h = 1e-6
const [up, down] = [h, -h].map((d) => list(finalJit({ ...params, rho: np.array(28 + d) })))
const fd = up.map((v, i) => (v - down[i]) / (2 * h))
console.log(`\ncentral differences along ρ (h = 1e-6):  ${fd.map(fmt).join('  ')}`)
console.log(`  vs jacfwd: max relative difference ${maxRel(fd, list(J.rho)).toExponential(1)}`)

const eqns = (text: string) => text.split('\n').filter((l) => / = [a-z_]+/.test(l)).length
console.log(`\nstaged program: ${eqns(String(makeJaxpr(finalState)(params)))} equations for the loop (its body included), ` +
  `${eqns(String(makeJaxpr(grad((p: Params) => finalState(p).sum()))(params)))} for its gradient — independent of the ${STEPS} steps`)

// The whole sensitivity history ∂state(t)/∂ρ from one forward pass over the trajectory.
const trajJvp = jit((p: Params, dp: Params) => jvp(trajectory, [p], [dp]))
const [traj, dTraj] = trajJvp(params, { sigma: np.array(0), rho: np.array(1), beta: np.array(0) }) as [NDArray, NDArray]
const T = traj.tolist() as number[][]
const D = dTraj.tolist() as number[][]
const peak = D.reduce((m, r, i) => (Math.abs(r[0]) > Math.abs(m[1]) ? [i, r[0]] : m), [0, 0])
console.log(`\n∂x(t)/∂ρ over the trajectory (one jvp of the scan): largest |∂x/∂ρ| = ${Math.abs(peak[1]).toFixed(2)} at t = ${((peak[0] + 1) * DT).toFixed(3)}`)

const every = 4
const idx = Array.from({ length: STEPS / every }, (_, k) => k * every)
const times = idx.map((i) => (i + 1) * DT)
const fdTraj = (() => {
  const trajJit = jit(trajectory)
  const up = trajJit({ ...params, rho: np.array(28 + h) }).tolist() as number[][]
  const down = trajJit({ ...params, rho: np.array(28 - h) }).tolist() as number[][]
  return Array.from({ length: 10 }, (_, k) => (k + 1) * 1000 - 1).map((i) => ({ x: (i + 1) * DT, y: (up[i][0] - down[i][0]) / (2 * h), color: '#d62728' }))
})()
const svg = svgPlots(
  [
    {
      title: 'Lorenz trajectory, x–z projection (t = 0 … 10)',
      xLabel: 'x',
      yLabel: 'z',
      series: [{ xs: idx.map((i) => T[i][0]), ys: idx.map((i) => T[i][2]), color: '#1f77b4', width: 0.8 }],
      markers: [{ x: 1, y: 1, color: '#2ca02c', label: 'start (1, 1, 1)' }, { x: s[0], y: s[2], color: '#d62728', label: 'state at t = 10' }],
    },
    {
      title: 'Sensitivity ∂x(t)/∂ρ (forward mode, one jvp)',
      xLabel: 't',
      yLabel: '∂x/∂ρ',
      zeroLine: true,
      series: [{ xs: times, ys: idx.map((i) => D[i][0]), color: '#9467bd', label: 'jvp through lax.scan' }],
      markers: fdTraj.map((m, k) => (k === 0 ? { ...m, label: 'central differences' } : m)),
    },
  ],
  { caption: `Euler, dt = ${DT}, ${STEPS} steps, float64, σ = 10, ρ = 28, β = 8/3 — generated by npm run example -- lorenz` },
)
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'img', 'lorenz.svg')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, svg)
console.log(`wrote ${out.slice(out.lastIndexOf('docs'))}`)
