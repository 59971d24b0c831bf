/** W1: sum(tanh(1.5x + 0.5) · exp(−x²)), x: 1e6 float32, jit. */
import { w1Value } from '../baselines/w1'
import { uniform32 } from '../harness/rng'
import type { Workload } from '../harness/types'

export const N1 = 1_000_000

export const w1: Workload<{ x: Float32Array }> = {
  id: 'W1',
  title: 'sum(tanh(1.5x+0.5)·exp(−x²)), x: 1e6 f32, jit',
  dtype: 'float32',
  targetText: '≤ 1.0× jax-js; ≤ 3.5 ms on one core',
  targets: [
    { kind: 'ratio', metric: 'median', vs: 'jax-js', max: 1.0 },
    { kind: 'absolute', metric: 'median', maxMs: 3.5 },
  ],
  // a float32 sum of 1e6 terms (the baseline sums in double): sequential float32
  // accumulation (jax-js, tfjs-wasm) is off by 3e-4 here, well inside its error bound n·u·Σ|tᵢ|
  tolerance: { float32: 1e-3, float64: 1e-12 },
  makeInputs: () => ({ x: uniform32(1, N1, -2, 2) }),
  scaling: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7], unit: 'element', inputs: (n) => ({ x: uniform32(1, n, -2, 2) }) },
  baseline: ({ x }) => ({ call: () => ({ value: [w1Value(x)] }), dtype: 'float64' }),
  leibniz: ({ np, jit }, { x }) => {
    const f = jit((x: any) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg()))))
    const xa = np.array(x)
    return { call: () => ({ value: [Number(f(xa).item())] }), program: { f, args: [xa], read: (v: any) => ({ value: [Number(v.item())] }) } }
  },
  jaxjs: (jax, { x }) => {
    const np = jax.numpy
    const f = jax.jit((x: any) => np.sum(np.tanh(x.ref.mul(1.5).add(0.5)).mul(np.exp(x.ref.mul(x).neg()))))
    const xa = np.array(x)
    return { call: () => ({ value: f(xa.ref).dataSync() }) }
  },
  python: { script: 'bench/python/w1.py', args: ['value'] },
  tfjs: (tf, { x }) => {
    const xt = tf.tensor1d(x)
    const f = (x: any) => tf.sum(tf.mul(tf.tanh(tf.add(tf.mul(x, 1.5), 0.5)), tf.exp(tf.neg(tf.mul(x, x)))))
    return {
      call: () => {
        const out = tf.tidy(() => f(xt))
        const v = out.dataSync()
        out.dispose()
        return { value: v }
      },
      note: 'eager (no jit)',
    }
  },
}
