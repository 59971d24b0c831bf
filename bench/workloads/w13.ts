/**
 * W13: the stiff POLLU air-pollution model (20 species, 25 rate constants, t ∈ [0, 60]): the
 * full 20×25 Jacobian of y(60) w.r.t. the rate constants by jit(jacfwd(solve)) with the stiff
 * solver (Rodas4; Diffrax: Kvaerno5), rtol 1e-6, atol 1e-10. Anchor: Julia ForwardDiff
 * 9.9 ms (another machine). No plain-JS baseline: the Diffrax column, when present, is the
 * second opinion on the answer.
 */
import { BALANCE, POLLU_K, POLLU_Y0, REACTANTS, pollu } from '../baselines/ode'
import type { Workload } from '../harness/types'
import type { NDArray as Arr } from '../../src/index'

interface PolluSetup {
  readonly k: readonly number[]
  readonly y0: readonly number[]
  readonly rtol: number
  readonly atol: number
  readonly reactants: readonly (readonly number[])[]
  readonly balance: readonly (readonly number[])[]
}

const none = { unavailable: 'no ODE solver' }

export const w13: Workload<PolluSetup> = {
  id: 'W13',
  title: 'POLLU (stiff), jit(jacfwd) of y(60) w.r.t. 25 rate constants, f64',
  dtype: 'float64',
  targetText: 'report beside Julia 9.9 ms and Diffrax (Kvaerno5)',
  targets: [],
  tolerance: { float32: 1e-2, float64: 1e-3 },
  measure: { leibniz: { minRuns: 3, minMs: 0 } },
  makeInputs: () => ({ k: [...POLLU_K], y0: [...POLLU_Y0], rtol: 1e-6, atol: 1e-10, reactants: REACTANTS, balance: BALANCE }),
  baseline: () => ({ unavailable: 'no plain-JS stiff solver with sensitivities' }),
  leibniz: (L, s) => {
    const { np, ode, jit, jacfwd } = L
    const f = pollu(L)
    const y0 = np.array([...s.y0])
    const J = jit(jacfwd((k: Arr) => ode.solve({ f, y0, t0: 0, t1: 60, args: k, solver: 'rodas4', rtol: s.rtol, atol: s.atol }).ys))
    const k = np.array([...s.k])
    return { call: () => ({ jac: J(k).toTypedArray() }), note: 'jit(jacfwd(ode.solve)), rodas4' }
  },
  jaxjs: () => none,
  tfjs: () => none,
  diffrax: { script: 'w13_diffrax.py' },
}
