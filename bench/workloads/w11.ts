/**
 * W11: Lotka–Volterra (α, β, γ, δ) = (1.1, 0.4, 0.4, 0.1) from (10, 5), classical RK4 with
 * dt = 0.01, 1,000 steps, float64: the Jacobian of the final state w.r.t. the four parameters,
 * layout J[i][j] = ∂sᵢ/∂pⱼ — by forward mode, `jit(jacfwd)` (W11), and by reverse mode through
 * the loop, `jit(jacrev)` (W11R). The baseline carries the sensitivities by hand.
 * The peers: jax-js and TensorFlow.js have no loop primitive (see W5), so only JAX itself (a
 * Python with jax, when one is available: bench/harness/python.ts) runs alongside.
 */
import { type LotkaSetup, lotkaSensitivity } from '../baselines/w11'
import type { LeibnizModule, Prepared, Workload } from '../harness/types'

export const LOTKA: LotkaSetup = { alpha: 1.1, beta: 0.4, gamma: 0.4, delta: 0.1, x0: [10, 5], dt: 0.01, steps: 1000 }

const noLoop: Prepared = { unavailable: 'no loop primitive (an unrolled 1,000-step RK4 does not compile in minutes; see W5)' }

/** The final state as a function of p = [α, β, γ, δ], RK4 in a foriLoop (also timed by
 *  bench/firstcall/loops.ts). */
export const lotkaFinal = (L: LeibnizModule, s: LotkaSetup) => {
  const { np, lax } = L
  return (p: any) => {
    const [a, b, g, d] = [0, 1, 2, 3].map((i) => lax.reshape(lax.slice(p, [i], [i + 1]), []))
    // F(x, y) = (αx − βxy, δxy − γy)
    const F = (x: any, y: any): [any, any] => {
      const xy = x.mul(y)
      return [a.mul(x).sub(b.mul(xy)), d.mul(xy).sub(g.mul(y))]
    }
    const h = s.dt
    const [x, y] = lax.foriLoop(0, s.steps, (_i: any, [x, y]: [any, any]): [any, any] => {
      const [k1x, k1y] = F(x, y)
      const [k2x, k2y] = F(x.add(k1x.mul(h / 2)), y.add(k1y.mul(h / 2)))
      const [k3x, k3y] = F(x.add(k2x.mul(h / 2)), y.add(k2y.mul(h / 2)))
      const [k4x, k4y] = F(x.add(k3x.mul(h)), y.add(k3y.mul(h)))
      return [
        x.add(k1x.add(k2x.mul(2)).add(k3x.mul(2)).add(k4x).mul(h / 6)),
        y.add(k1y.add(k2y.mul(2)).add(k3y.mul(2)).add(k4y).mul(h / 6)),
      ]
    }, [np.array(s.x0[0]), np.array(s.x0[1])])
    return np.stack([x, y])
  }
}

/** leibniz: jit(jacfwd) or jit(jacrev) of the final state. */
const leibniz = (L: LeibnizModule, s: LotkaSetup, mode: 'jacfwd' | 'jacrev'): Prepared => {
  const { np, jit } = L
  const jac = jit(L[mode](lotkaFinal(L, s)))
  const p = np.array([s.alpha, s.beta, s.gamma, s.delta])
  return { call: () => ({ jac: jac(p).toTypedArray() }), note: `jit(${mode}(foriLoop RK4))` }
}

const workload = (id: string, mode: 'jacfwd' | 'jacrev'): Workload<LotkaSetup> => ({
  id,
  title: `Lotka–Volterra RK4, 1,000 steps, d(final)/d(α,β,γ,δ) by ${mode}, f64`,
  dtype: 'float64',
  targetText: `steady ≤ JAX on one core${mode === 'jacfwd' ? ' and ≤ 1.3× strong plain JS' : ''}, first call ≤ 50 ms`,
  targets: [
    { kind: 'ratio', metric: 'median', vs: 'jax', max: 1 },
    ...(mode === 'jacfwd' ? [{ kind: 'ratio', metric: 'median', vs: 'baseline', max: 1.3 } as const] : []),
    { kind: 'absolute', metric: 'first', maxMs: 50 },
  ],
  // not chaotic: the orders of summation differ by a few ulps per step
  tolerance: { float32: 1e-4, float64: 1e-11 },
  makeInputs: () => LOTKA,
  baseline: (s) => ({ call: () => ({ jac: lotkaSensitivity(s).jac }), note: 'sensitivity recurrences by hand, scalar locals' }),
  leibniz: (L, s) => leibniz(L, s, mode),
  jaxjs: () => noLoop,
  tfjs: () => noLoop,
  python: { script: 'bench/python/w11.py', args: [mode] },
})

export const w11 = workload('W11', 'jacfwd')
export const w11r = workload('W11R', 'jacrev')
