/**
 * W5: Lorenz (σ=10, ρ=28, β=8/3) from (1, 1, 1), explicit Euler dt = 0.001, 10,000 steps:
 * the Jacobian of the final state w.r.t. (σ, ρ, β), float64, layout J[i][j] = ∂sᵢ/∂pⱼ.
 *
 * leibniz has no loop primitive yet: its implementation is used only when `lax.foriLoop`
 * exists (written to DESIGN.md's signature `foriLoop(lower, upper, body(i, carry), init)`),
 * and is reported "not available yet" otherwise (never unrolled).
 */
import { type LorenzSetup, lorenzSensitivity } from '../baselines/w5'
import type { Workload } from '../harness/types'

export const LORENZ: LorenzSetup = { sigma: 10, rho: 28, beta: 8 / 3, x0: [1, 1, 1], dt: 0.001, steps: 10_000 }
/** jax-js: Euler steps per jitted block (the workaround described in bench/README.md) */
const BLOCK = 10

export const w5: Workload<LorenzSetup> = {
  id: 'W5',
  title: 'Lorenz 10k Euler steps, d(final)/d(σ,ρ,β), f64',
  dtype: 'float64',
  targetText: '≤ 1.3× strong plain JS, ≤ 0.8× JAX on one core, first call ≤ 50 ms',
  targets: [
    { kind: 'ratio', metric: 'median', vs: 'baseline', max: 1.3 },
    { kind: 'ratio', metric: 'median', vs: 'jax', max: 0.8 },
    { kind: 'absolute', metric: 'first', maxMs: 50 },
  ],
  // chaotic: rounding differences grow by ~1e4 over t = 10 (Lyapunov exponent ≈ 0.9), so
  // 1e4 × eps with a margin; a float64 run with dt rounded to float32 is off by 1.5e-6
  tolerance: { float32: 1e-3, float64: 1e-9 },
  measure: {
    'jax-js': { warmupRuns: 1, warmupMs: 0, minRuns: 5, minMs: 0, maxMs: 0 },
    // 15–22 s for one run: the first call is the only measurement
    'tfjs-wasm': { minRuns: 0 },
    'tfjs-cpu': { minRuns: 0 },
  },
  makeInputs: () => LORENZ,
  // up to 1e4 steps: dt = 0.001 (t up to 10); beyond, the same trajectory t ∈ [0, 10] in finer
  // steps, dt = 10 / steps (at dt = 0.001 a million steps would reach t = 1000, where the
  // chaotic tangents overflow float64; coarser steps than 0.001 make explicit Euler unstable)
  scaling: { sizes: [1e2, 1e3, 1e4, 1e5, 1e6], unit: 'step', inputs: (steps) => ({ ...LORENZ, steps, dt: Math.min(0.001, 10 / steps) }) },
  baseline: (s) => ({ call: () => ({ jac: lorenzSensitivity(s).jac }), note: 'tangent recurrences, scalar locals' }),
  leibniz: (L, s) => {
    const foriLoop = (L.lax as Record<string, unknown>).foriLoop
    if (typeof foriLoop !== 'function') return { unavailable: 'not available yet: no loop primitive (lax.foriLoop / lax.scan)' }
    const loop = foriLoop as (lo: number, hi: number, body: (i: any, c: any) => any, init: any) => any
    const { np, lax, jit, jacfwd } = L
    const final = (p: any) => {
      const sg = lax.reshape(lax.slice(p, [0], [1]), [])
      const rh = lax.reshape(lax.slice(p, [1], [2]), [])
      const be = lax.reshape(lax.slice(p, [2], [3]), [])
      const [x, y, z] = loop(0, s.steps, (_i: any, [x, y, z]: any[]) => [
        x.add(sg.mul(y.sub(x)).mul(s.dt)),
        y.add(x.mul(rh.sub(z)).sub(y).mul(s.dt)),
        z.add(x.mul(y).sub(be.mul(z)).mul(s.dt)),
      ], s.x0.map((v) => np.array(v)))
      return np.stack([x, y, z])
    }
    const jac = jit(jacfwd(final))
    const p = np.array([s.sigma, s.rho, s.beta])
    return { call: () => ({ jac: jac(p).toTypedArray() }), note: 'jit(jacfwd(foriLoop))', program: { f: jac, args: [p], read: (v: any) => ({ jac: v.toTypedArray() }) } }
  },
  jaxjs: (jax, s) => {
    // No loop primitive, and unrolling all 10,000 steps does not compile in minutes: a
    // jitted block of BLOCK Euler steps, called steps/BLOCK times, carries the state and
    // T = ∂state/∂params: with J = ∂block/∂(state, params), T' = J_s T + J_p. (jacfwd of
    // the block was 2× faster here than three jvp calls per block.)
    const np = jax.numpy
    const f64 = { dtype: np.float64 }
    // v = [x, y, z, σ, ρ, β] ↦ the state after BLOCK steps
    const h = (v: any) => {
      let x = v.ref.slice(0)
      let y = v.ref.slice(1)
      let z = v.ref.slice(2)
      const sg = v.ref.slice(3)
      const rh = v.ref.slice(4)
      const be = v.slice(5)
      for (let k = 0; k < BLOCK; k++) {
        const nx = x.ref.add(sg.ref.mul(y.ref.sub(x.ref)).mul(s.dt))
        const ny = y.ref.add(x.ref.mul(rh.ref.sub(z.ref)).sub(y.ref).mul(s.dt))
        const nz = z.ref.add(x.mul(y).sub(be.ref.mul(z)).mul(s.dt))
        x = nx
        y = ny
        z = nz
      }
      sg.dispose()
      rh.dispose()
      be.dispose()
      return np.stack([x, y, z])
    }
    const block = jax.jit((st: any, p: any, T: any) => {
      const v = np.concatenate([st, p])
      const J = jax.jacfwd(h)(v.ref)
      // JAX's layout is [3, 6]; jax-js 0.1.25 returns the transpose
      const Jt = J.shape[0] === 6 ? np.transpose(J) : J
      const Js = Jt.ref.slice([], [0, 3])
      const Jp = Jt.slice([], [3, 6])
      return [h(v), np.matmul(Js, T).add(Jp)]
    })
    const p = np.array([s.sigma, s.rho, s.beta], f64)
    const x0 = np.array([...s.x0], f64)
    if (p.dtype !== 'float64') return { unavailable: `np.array(..., float64) gave ${p.dtype}` }
    return {
      call: () => {
        let st = x0.ref
        let T = np.zeros([3, 3], f64)
        for (let k = 0; k < s.steps / BLOCK; k++) {
          ;[st, T] = block(st, p.ref, T) as any
          // jax-js is lazy: unless each block is realized, 1,000 chained calls build one
          // pending graph (slower and slower, then "Maximum call stack size exceeded")
          st.ref.dataSync()
          T.ref.dataSync()
        }
        st.dispose()
        return { jac: T.dataSync() }
      },
      note: `jit(jacfwd(${BLOCK}-step block)) ×${s.steps / BLOCK}`,
    }
  },
  python: { script: 'bench/python/w5.py', args: [] },
  tfjs: (tf, s) => {
    // no loop primitive, no forward mode: eager, unrolled, one tf.grads per output
    const sim = (sg: any, rh: any, be: any) => {
      let x: any = tf.scalar(s.x0[0])
      let y: any = tf.scalar(s.x0[1])
      let z: any = tf.scalar(s.x0[2])
      for (let k = 0; k < s.steps; k++) {
        const nx = tf.add(x, tf.mul(tf.mul(sg, tf.sub(y, x)), s.dt))
        const ny = tf.add(y, tf.mul(tf.sub(tf.mul(x, tf.sub(rh, z)), y), s.dt))
        const nz = tf.add(z, tf.mul(tf.sub(tf.mul(x, y), tf.mul(be, z)), s.dt))
        x = nx
        y = ny
        z = nz
      }
      return [x, y, z]
    }
    const params = [tf.scalar(s.sigma), tf.scalar(s.rho), tf.scalar(s.beta)]
    return {
      call: () => {
        const jac = new Float32Array(9)
        for (let i = 0; i < 3; i++) {
          const gs = tf.tidy(() => tf.grads((a: any, b: any, c: any) => sim(a, b, c)[i])(params))
          for (let j = 0; j < 3; j++) jac[i * 3 + j] = gs[j].dataSync()[0]
          tf.dispose(gs)
        }
        return { jac }
      },
      dtype: 'float32',
      note: 'eager, unrolled, tf.grads ×3 (tfjs has no float64)',
    }
  },
}
