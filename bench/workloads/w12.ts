/**
 * W12: Lotka–Volterra (α, β, γ, δ = 1.5, 1, 3, 1; y0 = [1, 1]; t ∈ [0, 10]), Tsit5 with
 * rtol 1e-7, atol 1e-5: the full 2×4 Jacobian of y(10) w.r.t. the parameters by
 * jit(jacfwd(solve)). Anchor: Julia's ForwardDiff through OrdinaryDiffEq, 48.8 µs (SciML's
 * published benchmark, another machine); Diffrax (JAX, CPU) is measured here when available.
 */
import { LV_PARAMS, LV_Y0, lotkaVolterra } from '../baselines/ode'
import { type LvSetup, lvSensitivity } from '../baselines/w12'
import type { Workload } from '../harness/types'
import type { NDArray as Arr } from '../../src/index'

const none = { unavailable: 'no ODE solver' }

export const w12: Workload<LvSetup> = {
  id: 'W12',
  title: 'Lotka–Volterra Tsit5, jit(jacfwd) of y(10) w.r.t. 4 params, f64',
  dtype: 'float64',
  targetText: '≤ 146 µs (3× Julia 48.8 µs), ahead of Diffrax; first call ≤ 100 ms',
  targets: [
    { kind: 'absolute', metric: 'median', maxMs: 3 * 0.0488 },
    { kind: 'ratio', metric: 'median', vs: 'diffrax', max: 1 },
    { kind: 'absolute', metric: 'first', maxMs: 100 },
  ],
  // the baseline differentiates the ODE (forward sensitivities), leibniz and Diffrax the
  // discretisation: they agree to the tolerance, not to rounding
  tolerance: { float32: 1e-3, float64: 1e-4 },
  // (a first-call target: the median of 5 fresh processes, as W7's, not one process's reading)
  firstCallProcesses: 5,
  makeInputs: () => ({ p: [...LV_PARAMS], y0: [...LV_Y0], t1: 10, rtol: 1e-7, atol: 1e-5 }),
  baseline: (s) => ({ call: () => ({ jac: lvSensitivity(s) }), note: 'Tsit5 on the sensitivity system' }),
  leibniz: (L, s) => {
    const { np, ode, jit, jacfwd } = L
    const f = lotkaVolterra(L)
    const y0 = np.array([...s.y0])
    const J = jit(jacfwd((p: Arr) => ode.solve({ f, y0, t0: 0, t1: s.t1, args: p, solver: 'tsit5', rtol: s.rtol, atol: s.atol }).ys))
    const p = np.array([...s.p])
    return { call: () => ({ jac: J(p).toTypedArray() }), note: 'jit(jacfwd(ode.solve))' }
  },
  jaxjs: () => none,
  tfjs: () => none,
  diffrax: { script: 'w12_diffrax.py' },
}
