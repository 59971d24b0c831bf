/** W2: gradient of W1 w.r.t. x (1e6 outputs). */
import { w2Grad } from '../baselines/w2'
import { uniform32 } from '../harness/rng'
import type { Workload } from '../harness/types'
import { N1 } from './w1'
import { tfGradCall } from '../harness/peers'

export const w2: Workload<{ x: Float32Array }> = {
  id: 'W2',
  title: 'grad of W1, 1e6 outputs, f32',
  dtype: 'float32',
  targetText: '≤ 1.0× jax-js; ≤ 4.5 ms on one core',
  targets: [
    { kind: 'ratio', metric: 'median', vs: 'jax-js', max: 1.0 },
    { kind: 'absolute', metric: 'median', maxMs: 4.5 },
  ],
  tolerance: { float32: 1e-5, float64: 1e-12 },
  makeInputs: () => ({ x: uniform32(1, N1, -2, 2) }),
  scaling: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7], unit: 'element', inputs: (n) => ({ x: uniform32(1, n, -2, 2) }) },
  baseline: ({ x }) => ({ call: () => ({ grad: w2Grad(x) }), note: 'fused analytic' }),
  leibniz: ({ np, jit, grad }, { x }) => {
    const g = jit(grad((x: any) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg())))))
    const xa = np.array(x)
    return { call: () => ({ grad: g(xa).toTypedArray() }), program: { f: g, args: [xa], read: (v: any) => ({ grad: v.toTypedArray() }) } }
  },
  jaxjs: (jax, { x }) => {
    const np = jax.numpy
    const g = jax.jit(jax.grad((x: any) => np.sum(np.tanh(x.ref.mul(1.5).add(0.5)).mul(np.exp(x.ref.mul(x).neg())))))
    const xa = np.array(x)
    return { call: () => ({ grad: g(xa.ref).dataSync() }) }
  },
  python: { script: 'bench/python/w1.py', args: ['grad'] },
  tfjs: (tf, { x }) => {
    const xt = tf.tensor1d(x)
    const g = tf.grad((x: any) => tf.sum(tf.mul(tf.tanh(tf.add(tf.mul(x, 1.5), 0.5)), tf.exp(tf.neg(tf.mul(x, x))))))
    return tfGradCall(tf, g, xt, 'eager tf.grad')
  },
}
