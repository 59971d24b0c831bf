/** W8: eager overhead — grad of f(x) = Σ tanh(2 sin x + 1) (5 ops) on 16 float32, no jit. */
import { smallGrad } from '../baselines/w8'
import { uniform32 } from '../harness/rng'
import type { Workload } from '../harness/types'
import { tfGradCall } from '../harness/peers'

export const w8: Workload<{ x: Float32Array }> = {
  id: 'W8',
  title: 'eager grad of a 5-op fn, 16 f32, per call',
  dtype: 'float32',
  targetText: '≤ 0.1 ms a call',
  targets: [{ kind: 'absolute', metric: 'median', maxMs: 0.1 }],
  tolerance: { float32: 1e-5, float64: 1e-12 },
  makeInputs: () => ({ x: uniform32(41, 16, -2, 2) }),
  baseline: ({ x }) => ({ call: () => ({ grad: smallGrad(x) }), note: 'analytic' }),
  leibniz: ({ np, grad }, { x }) => {
    const g = grad((x: any) => np.sum(np.tanh(np.sin(x).mul(2).add(1))))
    const xa = np.array(x)
    return { call: () => ({ grad: g(xa).toTypedArray() }), note: 'eager grad' }
  },
  jaxjs: (jax, { x }) => {
    const np = jax.numpy
    const g = jax.grad((x: any) => np.sum(np.tanh(np.sin(x).mul(2).add(1))))
    const xa = np.array(x)
    return { call: () => ({ grad: g(xa.ref).dataSync() }), note: 'eager grad' }
  },
  tfjs: (tf, { x }) => {
    const g = tf.grad((x: any) => tf.sum(tf.tanh(tf.add(tf.mul(tf.sin(x), 2), 1))))
    const xt = tf.tensor1d(x)
    return tfGradCall(tf, g, xt, 'eager tf.grad')
  },
}
