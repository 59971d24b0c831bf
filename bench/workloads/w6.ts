/**
 * W6: per-example gradients of logistic regression ℓ(w; x, y) = softplus(w·x) − y w·x,
 * 100 features × 256 examples, float32: jit(vmap(grad(ℓ), inAxes [null, 0, 0])).
 */
import { perExampleGrads } from '../baselines/w6'
import { rng, uniform32 } from '../harness/rng'
import type { Workload } from '../harness/types'

const D = 100
const N = 256

interface Inputs {
  readonly w: Float32Array
  readonly X: Float32Array
  readonly y: Float32Array
}

export const w6: Workload<Inputs> = {
  id: 'W6',
  title: 'per-example grads, logistic regr. 100×256, f32',
  dtype: 'float32',
  targetText: '≤ 1.5× plain JS',
  targets: [{ kind: 'ratio', metric: 'median', vs: 'baseline', max: 1.5 }],
  tolerance: { float32: 1e-5, float64: 1e-12 },
  makeInputs: () => {
    const r = rng(23)
    return {
      w: uniform32(21, D, -0.3, 0.3),
      X: uniform32(22, N * D, -1, 1),
      y: Float32Array.from({ length: N }, () => (r() < 0.5 ? 0 : 1)),
    }
  },
  baseline: ({ w, X, y }) => ({ call: () => ({ grads: perExampleGrads(w, X, y) }) }),
  leibniz: ({ np, nn, jit, vmap, grad }, { w, X, y }) => {
    const loss = (w: any, x: any, y: any) => {
      const z = np.dot(w, x)
      return nn.softplus(z).sub(y.mul(z))
    }
    const pe = jit(vmap(grad(loss), { inAxes: [null, 0, 0] }))
    const wa = np.array(w)
    const Xa = np.array(X).reshape([N, D])
    const ya = np.array(y)
    return { call: () => ({ grads: pe(wa, Xa, ya).toTypedArray() }), note: 'jit(vmap(grad))', program: { f: pe, args: [wa, Xa, ya], read: (v: any) => ({ grads: v.toTypedArray() }) } }
  },
  jaxjs: (jax, { w, X, y }) => {
    const np = jax.numpy
    const loss = (w: any, x: any, y: any) => {
      const z = np.dot(w, x)
      return jax.nn.softplus(z.ref).sub(y.mul(z))
    }
    const pe = jax.jit(jax.vmap(jax.grad(loss), [null, 0, 0]))
    const wa = np.array(w)
    const Xa = np.array(X).reshape([N, D])
    const ya = np.array(y)
    return { call: () => ({ grads: pe(wa.ref, Xa.ref, ya.ref).dataSync() }), note: 'jit(vmap(grad))' }
  },
  python: { script: 'bench/python/w6.py', args: [], payload: (i) => ({ ...i, n: N, d: D }) },
  tfjs: (tf, { w, X, y }) => {
    // no vmap: the batched trick — ∂/∂W of Σᵢ ℓ(Wᵢ; xᵢ, yᵢ) at W = w tiled over the batch
    const Xt = tf.tensor2d(X, [N, D])
    const yt = tf.tensor1d(y)
    const wt = tf.tensor2d(w, [1, D])
    const g = tf.grad((W: any) => {
      const z = tf.sum(tf.mul(W, Xt), 1)
      return tf.sum(tf.sub(tf.softplus(z), tf.mul(yt, z)))
    })
    return {
      call: () => {
        const out = tf.tidy(() => g(tf.tile(wt, [N, 1])))
        const r = out.dataSync()
        out.dispose()
        return { grads: r }
      },
      note: 'batched trick (tiled w)',
    }
  },
}
