/**
 * W3: MLP 784→256→10, tanh, softmax cross-entropy (mean over the batch), batch 128, f32:
 * the loss and its gradient w.r.t. all weights (W1, b1, W2, b2).
 */
import { type MlpDims, mlpValueAndGrad } from '../baselines/w3'
import { rng, uniform32 } from '../harness/rng'
import type { Output, Workload } from '../harness/types'

export const MLP: MlpDims = { batch: 128, nIn: 784, nHid: 256, nOut: 10 }

export interface MlpInputs {
  readonly p: { readonly W1: Float32Array; readonly b1: Float32Array; readonly W2: Float32Array; readonly b2: Float32Array }
  readonly X: Float32Array
  readonly Y: Float32Array // one-hot [batch, nOut]
}

export const mlpInputs = (d: MlpDims): MlpInputs => {
  const Y = new Float32Array(d.batch * d.nOut)
  const r = rng(7)
  for (let i = 0; i < d.batch; i++) Y[i * d.nOut + Math.floor(r() * d.nOut)] = 1
  return {
    p: {
      W1: uniform32(3, d.nIn * d.nHid, -0.08, 0.08),
      b1: uniform32(4, d.nHid, -0.1, 0.1),
      W2: uniform32(5, d.nHid * d.nOut, -0.2, 0.2),
      b2: uniform32(6, d.nOut, -0.1, 0.1),
    },
    X: uniform32(2, d.batch * d.nIn, 0, 1),
    Y,
  }
}

export const w3: Workload<MlpInputs> = {
  id: 'W3',
  title: 'MLP 784→256→10 value+grad, batch 128, f32',
  dtype: 'float32',
  targetText: '≤ 1.0× jax-js',
  targets: [{ kind: 'ratio', metric: 'median', vs: 'jax-js', max: 1.0 }],
  tolerance: { float32: 1e-4, float64: 1e-12 },
  makeInputs: () => mlpInputs(MLP),
  baseline: ({ p, X, Y }) => ({
    call: () => {
      const r = mlpValueAndGrad(p, X, Y, MLP)
      return { loss: [r.loss], dW1: r.dW1, db1: r.db1, dW2: r.dW2, db2: r.db2 }
    },
    note: 'i-k-j loops',
  }),
  leibniz: ({ np, nn, jit, valueAndGrad }, { p, X, Y }) => {
    const { batch, nIn, nHid, nOut } = MLP
    const loss = (q: any, X: any, Y: any) => {
      const h = np.tanh(np.matmul(X, q.W1).add(q.b1))
      const z = np.matmul(h, q.W2).add(q.b2)
      return np.mean(nn.softmaxCrossEntropy(z, Y))
    }
    const f = jit(valueAndGrad(loss))
    const q = {
      W1: np.array(p.W1).reshape([nIn, nHid]),
      b1: np.array(p.b1),
      W2: np.array(p.W2).reshape([nHid, nOut]),
      b2: np.array(p.b2),
    }
    const Xa = np.array(X).reshape([batch, nIn])
    const Ya = np.array(Y).reshape([batch, nOut])
    const read = ([v, g]: any): Output => ({ loss: [Number(v.item())], dW1: g.W1.toTypedArray(), db1: g.b1.toTypedArray(), dW2: g.W2.toTypedArray(), db2: g.b2.toTypedArray() })
    return { call: (): Output => read(f(q, Xa, Ya)), program: { f, args: [q, Xa, Ya], read } }
  },
  jaxjs: (jax, { p, X, Y }) => {
    const np = jax.numpy
    const { batch, nIn, nHid, nOut } = MLP
    const loss = (q: any, X: any, Y: any) => {
      const h = np.tanh(np.matmul(X, q.W1).add(q.b1))
      const z = np.matmul(h, q.W2).add(q.b2)
      return np.mean(np.sum(Y.mul(jax.nn.logSoftmax(z)), -1)).neg()
    }
    const f = jax.jit(jax.valueAndGrad(loss))
    const q = {
      W1: np.array(p.W1).reshape([nIn, nHid]),
      b1: np.array(p.b1),
      W2: np.array(p.W2).reshape([nHid, nOut]),
      b2: np.array(p.b2),
    }
    const Xa = np.array(X).reshape([batch, nIn])
    const Ya = np.array(Y).reshape([batch, nOut])
    return {
      call: (): Output => {
        const [v, g] = f({ W1: q.W1.ref, b1: q.b1.ref, W2: q.W2.ref, b2: q.b2.ref }, Xa.ref, Ya.ref) as any
        return { loss: v.dataSync(), dW1: g.W1.dataSync(), db1: g.b1.dataSync(), dW2: g.W2.dataSync(), db2: g.b2.dataSync() }
      },
      note: 'jit',
    }
  },
  python: { script: 'bench/python/w3.py', args: [], payload: (i) => ({ ...i, dims: MLP }) },
  tfjs: (tf, { p, X, Y }) => {
    const { batch, nIn, nHid, nOut } = MLP
    const Xt = tf.tensor2d(X, [batch, nIn])
    const Yt = tf.tensor2d(Y, [batch, nOut])
    const ws = [tf.tensor2d(p.W1, [nIn, nHid]), tf.tensor1d(p.b1), tf.tensor2d(p.W2, [nHid, nOut]), tf.tensor1d(p.b2)]
    const loss = (W1: any, b1: any, W2: any, b2: any) => {
      const h = tf.tanh(tf.add(tf.matMul(Xt, W1), b1))
      const z = tf.add(tf.matMul(h, W2), b2)
      return tf.neg(tf.mean(tf.sum(tf.mul(Yt, tf.logSoftmax(z)), -1)))
    }
    const vg = tf.valueAndGrads(loss)
    return {
      call: (): Output => {
        const { value, grads } = tf.tidy(() => vg(ws))
        const out = { loss: value.dataSync(), dW1: grads[0].dataSync(), db1: grads[1].dataSync(), dW2: grads[2].dataSync(), db2: grads[3].dataSync() }
        tf.dispose([value, ...grads])
        return out
      },
      note: 'eager tf.valueAndGrads',
    }
  },
}
