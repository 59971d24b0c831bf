/**
 * W7: jit(grad(f)), f = sum of a 50-op elementwise chain on a 1000-vector, float32:
 * 5 rounds of sin, scale, shift, tanh, square, neg, exp, cos, add x, halve.
 * Measured twice: the first call in a fresh process (5 processes), and steady state.
 */
import { chainGrad, ROUNDS } from '../baselines/w7'
import { uniform32 } from '../harness/rng'
import type { Workload } from '../harness/types'
import { tfGradCall } from '../harness/peers'

export const w7: Workload<{ x: Float32Array }> = {
  id: 'W7',
  title: 'jit(grad) of a 50-op chain, 1000 f32: first call, steady',
  dtype: 'float32',
  targetText: 'first call ≤ 15 ms; steady ≤ 1.2× plain JS',
  targets: [
    { kind: 'absolute', metric: 'first', maxMs: 15 },
    { kind: 'ratio', metric: 'median', vs: 'baseline', max: 1.2 },
  ],
  tolerance: { float32: 1e-5, float64: 1e-12 },
  firstCallProcesses: 5,
  makeInputs: () => ({ x: uniform32(31, 1000, -2, 2) }),
  baseline: ({ x }) => ({ call: () => ({ grad: chainGrad(x) }), note: 'hand-written reverse, fused' }),
  leibniz: ({ np, jit, grad }, { x }) => {
    const f = (x: any) => {
      let y = x
      for (let r = 0; r < ROUNDS; r++) {
        y = np.tanh(np.sin(y).mul(1.3).add(0.2))
        y = np.cos(np.exp(np.square(y).neg()))
        y = y.add(x).mul(0.5)
      }
      return np.sum(y)
    }
    const g = jit(grad(f))
    const xa = np.array(x)
    return { call: () => ({ grad: g(xa).toTypedArray() }), note: 'jit(grad)' }
  },
  jaxjs: (jax, { x }) => {
    const np = jax.numpy
    const f = (x: any) => {
      let y = x.ref
      for (let r = 0; r < ROUNDS; r++) {
        y = np.tanh(np.sin(y).mul(1.3).add(0.2))
        y = np.cos(np.exp(np.square(y).neg()))
        y = y.add(x.ref).mul(0.5)
      }
      x.dispose()
      return np.sum(y)
    }
    const g = jax.jit(jax.grad(f))
    const xa = np.array(x)
    return { call: () => ({ grad: g(xa.ref).dataSync() }), note: 'jit(grad)' }
  },
  python: { script: 'bench/python/w7.py', args: [] },
  tfjs: (tf, { x }) => {
    const f = (x: any) => {
      let y = x
      for (let r = 0; r < ROUNDS; r++) {
        y = tf.tanh(tf.add(tf.mul(tf.sin(y), 1.3), 0.2))
        y = tf.cos(tf.exp(tf.neg(tf.square(y))))
        y = tf.mul(tf.add(y, x), 0.5)
      }
      return tf.sum(y)
    }
    const g = tf.grad(f)
    const xt = tf.tensor1d(x)
    return tfGradCall(tf, g, xt, 'no jit: eager tf.grad')
  },
}
