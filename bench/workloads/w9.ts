/**
 * W9: Gray–Scott reaction–diffusion, 128×128 periodic grid, 500 explicit Euler steps (dt = 1),
 * Du = 0.16, Dv = 0.08, F = 0.035, k = 0.065, float64: `jit(jacfwd)` of (Σu_final, Σv_final)
 * w.r.t. (F, k), a 2×2 Jacobian (layout J[i][j] = ∂outᵢ/∂pⱼ). The Laplacian is the 5-point
 * stencil with periodic wrap (`np.roll`). Initial state: bench/baselines/w9.ts.
 */
import { grayScottInit, grayScottJacobian, type GrayScottSetup } from '../baselines/w9'
import { uniform64 } from '../harness/rng'
import type { LeibnizModule, Prepared, Workload } from '../harness/types'

export const grayScottSetup = (n: number, steps: number): GrayScottSetup => ({
  n,
  steps,
  Du: 0.16,
  Dv: 0.08,
  F: 0.035,
  k: 0.065,
  dt: 1,
  ...grayScottInit(n, (seed, len) => uniform64(seed, len, -0.01, 0.01)),
})

const leibniz = (L: LeibnizModule, s: GrayScottSetup): Prepared => {
  const { np, lax, jit, jacfwd } = L
  const lap = (a: any) => np.roll(a, 1, 0).add(np.roll(a, -1, 0)).add(np.roll(a, 1, 1)).add(np.roll(a, -1, 1)).sub(a.mul(4))
  const final = (p: any) => {
    const F = lax.reshape(lax.slice(p, [0], [1]), [])
    const k = lax.reshape(lax.slice(p, [1], [2]), [])
    const [u, v] = lax.foriLoop(0, s.steps, (_i: any, [u, v]: [any, any]): [any, any] => {
      const uvv = u.mul(v).mul(v)
      return [
        u.add(lap(u).mul(s.Du).sub(uvv).add(F.mul(np.subtract(1, u))).mul(s.dt)),
        v.add(lap(v).mul(s.Dv).add(uvv).sub(F.add(k).mul(v)).mul(s.dt)),
      ]
    }, [np.array(s.u0).reshape([s.n, s.n]), np.array(s.v0).reshape([s.n, s.n])])
    return np.stack([np.sum(u), np.sum(v)])
  }
  const jac = jit(jacfwd(final))
  const p = np.array([s.F, s.k])
  return { call: () => ({ jac: jac(p).toTypedArray() }), note: 'jit(jacfwd(foriLoop)), np.roll stencil' }
}

export const w9: Workload<GrayScottSetup> = {
  id: 'W9',
  title: 'Gray–Scott 128², 500 Euler steps, d(Σu,Σv)/d(F,k) by jacfwd, f64',
  dtype: 'float64',
  targetText: 'steady ≤ JAX on one core',
  targets: [{ kind: 'ratio', metric: 'median', vs: 'jax', max: 1 }],
  // sums of 16,384 cells after 500 steps, summed in different orders: a few hundred ulps
  tolerance: { float32: 1e-3, float64: 1e-10 },
  measure: { baseline: { minRuns: 10 }, leibniz: { minRuns: 10 }, jax: { minRuns: 10 }, 'jax-all': { minRuns: 10 } },
  makeInputs: () => grayScottSetup(128, 500),
  baseline: (s) => ({ call: () => ({ jac: grayScottJacobian(s).jac }), note: 'one fused stencil pass per step: u, v and 4 tangent fields' }),
  leibniz,
  jaxjs: () => ({ unavailable: 'no loop primitive: 500 steps would be unrolled (≈ 10,000 ops on 128² arrays; see W5)' }),
  tfjs: () => ({
    unavailable: 'no loop primitive and no forward mode: 500 unrolled eager steps taped for tf.grads (≈ 10,000 128² intermediates), and no float64',
  }),
  python: { script: 'bench/python/w9.py', args: [] },
}
