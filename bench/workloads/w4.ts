/**
 * W4: Hessian-vector product of Rosenbrock, x: 1e5 float64, read out with `toTypedArray()` (a
 * copy the caller owns). W4V: the same call read out with `toTypedArray({ copy: false })`, the
 * Array's own buffer — the read-out JAX's column makes (`np.asarray` of a CPU array is a
 * read-only view, no copy) and the one the hand-written baseline makes (it returns the one
 * fresh array it wrote). The difference between the two rows is the cost of the copy.
 */
import { rosenbrockHvp } from '../baselines/w4'
import { uniform64 } from '../harness/rng'
import type { Workload } from '../harness/types'

export const N4 = 100_000

type W4Inputs = { x: Float64Array; v: Float64Array }

const workload = (id: string, copy: boolean): Workload<W4Inputs> => ({
  id,
  title: copy ? 'HVP of Rosenbrock, x: 1e5 f64' : 'HVP of Rosenbrock, x: 1e5 f64, zero-copy read-out',
  dtype: 'float64',
  targetText: '≤ 1.2× strong plain JS, ≤ 1× JAX on one core',
  targets: [
    { kind: 'ratio', metric: 'median', vs: 'baseline', max: 1.2 },
    { kind: 'ratio', metric: 'median', vs: 'jax', max: 1 },
  ],
  tolerance: { float32: 1e-4, float64: 1e-12 },
  makeInputs: () => ({ x: uniform64(11, N4, -1.5, 1.5), v: uniform64(12, N4, -1, 1) }),
  baseline: ({ x, v }) => ({ call: () => ({ hv: rosenbrockHvp(x, v) }), note: 'analytic, one fused branch-free pass' }),
  leibniz: ({ np, lax, jit, hvp }, { x, v }) => {
    const n = x.length
    // f(x) = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)²
    const f = (x: any) => {
      const a = lax.slice(x, [0], [n - 1])
      const b = lax.slice(x, [1], [n])
      return np.sum(np.square(b.sub(np.square(a))).mul(100).add(np.square(np.subtract(1, a))))
    }
    const h = jit((x: any, v: any) => hvp(f, [x], [v]))
    const xa = np.array(x)
    const va = np.array(v)
    return copy
      ? { call: () => ({ hv: h(xa, va).toTypedArray() }), note: 'jit(hvp)' }
      : { call: () => ({ hv: h(xa, va).toTypedArray({ copy: false }) }), note: 'jit(hvp), zero-copy read-out' }
  },
  jaxjs: (jax, { x, v }) => {
    const np = jax.numpy
    const n = x.length
    const f = (x: any) => {
      const a = x.ref.slice([0, n - 1])
      const b = x.slice([1, n])
      return np.sum(np.square(b.sub(np.square(a.ref))).mul(100).add(np.square(np.subtract(1, a))))
    }
    const h = jax.jit((x: any, v: any) => jax.jvp(jax.grad(f), [x], [v])[1])
    const xa = np.array(x)
    const va = np.array(v)
    if (xa.dtype !== 'float64') return { unavailable: `np.array(Float64Array) gave ${xa.dtype}` }
    return { call: () => ({ hv: h(xa.ref, va.ref).dataSync() }), note: 'jit(jvp(grad))' }
  },
  python: { script: 'bench/python/w4.py', args: [] },
  tfjs: (tf, { x, v }) => {
    const n = x.length
    const xt = tf.tensor1d(Float32Array.from(x))
    const vt = tf.tensor1d(Float32Array.from(v))
    const f = (x: any) => {
      const a = tf.slice(x, [0], [n - 1])
      const b = tf.slice(x, [1], [n - 1])
      return tf.sum(tf.add(tf.mul(tf.square(tf.sub(b, tf.square(a))), 100), tf.square(tf.sub(1, a))))
    }
    const gf = tf.grad(f)
    const hv = tf.grad((x: any) => tf.sum(tf.mul(gf(x), vt)))
    return {
      call: () => {
        const out = tf.tidy(() => hv(xt))
        const r = out.dataSync()
        out.dispose()
        return { hv: r }
      },
      dtype: 'float32',
      note: 'grad of grad (tfjs has no float64)',
    }
  },
})

export const w4 = workload('W4', true)
export const w4v = workload('W4V', false)
