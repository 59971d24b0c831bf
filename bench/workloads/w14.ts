/**
 * W14: a small CNN training step, f32, batch 32 on 32×32×3 images: conv3x3(3→16) + relu +
 * maxpool 2×2, conv3x3(16→32) + relu + maxpool 2×2, dense 2048 → 10, softmax cross-entropy
 * (mean over the batch); the loss and its gradient w.r.t. all six weights.
 */
import { type CnnDims, cnnValueAndGrad } from '../baselines/w14'
import { rng, uniform32 } from '../harness/rng'
import type { Output, Workload } from '../harness/types'

export const CNN: CnnDims = { batch: 32, size: 32, c0: 3, c1: 16, c2: 32, nOut: 10 }

export interface CnnInputs {
  readonly p: {
    readonly W1: Float32Array; readonly b1: Float32Array; readonly W2: Float32Array
    readonly b2: Float32Array; readonly W3: Float32Array; readonly b3: Float32Array
  }
  readonly X: Float32Array // [batch, size, size, c0]
  readonly Y: Float32Array // one-hot [batch, nOut]
}

const F3 = (d: CnnDims) => (d.size / 4) * (d.size / 4) * d.c2

export const cnnInputs = (d: CnnDims): CnnInputs => {
  const Y = new Float32Array(d.batch * d.nOut)
  const r = rng(9)
  for (let i = 0; i < d.batch; i++) Y[i * d.nOut + Math.floor(r() * d.nOut)] = 1
  return {
    p: {
      W1: uniform32(11, 9 * d.c0 * d.c1, -0.3, 0.3),
      b1: uniform32(12, d.c1, -0.1, 0.1),
      W2: uniform32(13, 9 * d.c1 * d.c2, -0.1, 0.1),
      b2: uniform32(14, d.c2, -0.1, 0.1),
      W3: uniform32(15, F3(d) * d.nOut, -0.05, 0.05),
      b3: uniform32(16, d.nOut, -0.1, 0.1),
    },
    X: uniform32(10, d.batch * d.size * d.size * d.c0, 0, 1),
    Y,
  }
}

/** Reorder a dense array between layouts: out[perm-ordered index] = a[index]. */
const permute = (a: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array => {
  const n = a.length
  const out = new Float32Array(n)
  const st = shape.map((_, i) => shape.slice(i + 1).reduce((x, y) => x * y, 1))
  const oshape = perm.map((q) => shape[q])
  const ost = oshape.map((_, i) => oshape.slice(i + 1).reduce((x, y) => x * y, 1))
  const idx = shape.map(() => 0)
  for (let f = 0; f < n; f++) {
    let r = f
    for (let d = 0; d < shape.length; d++) (idx[d] = Math.floor(r / st[d])), (r %= st[d])
    let o = 0
    perm.forEach((q, d) => (o += idx[q] * ost[d]))
    out[o] = a[f]
  }
  return out
}

export const w14: Workload<CnnInputs> = {
  id: 'W14',
  title: 'CNN 2×(conv3x3+relu+maxpool)+dense value+grad, batch 32, 32×32×3, f32',
  dtype: 'float32',
  targetText: '≤ 1.0× jax-js',
  targets: [{ kind: 'ratio', metric: 'median', vs: 'jax-js', max: 1.0 }],
  tolerance: { float32: 1e-4, float64: 1e-12 },
  makeInputs: () => cnnInputs(CNN),
  baseline: ({ p, X, Y }) => ({
    call: () => {
      const r = cnnValueAndGrad(p, X, Y, CNN)
      return { loss: [r.loss], dW1: r.dW1, db1: r.db1, dW2: r.dW2, db2: r.db2, dW3: r.dW3, db3: r.db3 }
    },
    note: 'direct loops',
  }),
  leibniz: ({ np, nn, lax, jit, valueAndGrad }, { p, X, Y }) => {
    const { batch, size, c0, c1, c2, nOut } = CNN
    const conv = (x: any, w: any, b: any) =>
      nn.relu(lax.convGeneralDilated(x, w, [1, 1], 'SAME', { dimensionNumbers: ['NHWC', 'HWIO', 'NHWC'] }).add(b))
    const loss = (q: any, x: any, y: any) => {
      const h1 = nn.maxPool(conv(x, q.W1, q.b1), [2, 2], [2, 2])
      const h2 = nn.maxPool(conv(h1, q.W2, q.b2), [2, 2], [2, 2])
      const z = np.matmul(h2.reshape([batch, F3(CNN)]), q.W3).add(q.b3)
      return np.mean(nn.softmaxCrossEntropy(z, y))
    }
    const f = jit(valueAndGrad(loss))
    const q = {
      W1: np.array(p.W1).reshape([3, 3, c0, c1]), b1: np.array(p.b1),
      W2: np.array(p.W2).reshape([3, 3, c1, c2]), b2: np.array(p.b2),
      W3: np.array(p.W3).reshape([F3(CNN), nOut]), b3: np.array(p.b3),
    }
    const Xa = np.array(X).reshape([batch, size, size, c0])
    const Ya = np.array(Y).reshape([batch, nOut])
    return {
      call: (): Output => {
        const [v, g] = f(q, Xa, Ya)
        return {
          loss: [Number(v.item())], dW1: g.W1.toTypedArray(), db1: g.b1.toTypedArray(), dW2: g.W2.toTypedArray(),
          db2: g.b2.toTypedArray(), dW3: g.W3.toTypedArray(), db3: g.b3.toTypedArray(),
        }
      },
      note: 'jit; im2col + wasm matmul',
    }
  },
  jaxjs: (jax, { p, X, Y }) => {
    const np = jax.numpy
    const { batch, size, c0, c1, c2, nOut } = CNN
    // jax-js convolutions are NCHW / OIHW: inputs and kernels are reordered once, outside the
    // timed call, and the kernel gradients back to HWIO after it
    const pool = (a: any, c: number, s: number) => np.max(a.reshape([batch, c, s / 2, 2, s / 2, 2]), [3, 5])
    const conv = (x: any, w: any, b: any) =>
      jax.nn.relu(jax.lax.convGeneralDilated(x, w, [1, 1], 'SAME').add(b.reshape([-1, 1, 1])))
    const loss = (q: any, x: any, y: any) => {
      const h1 = pool(conv(x, q.W1, q.b1), c1, size)
      const h2 = pool(conv(h1, q.W2, q.b2), c2, size / 2)
      const flat = np.transpose(h2, [0, 2, 3, 1]).reshape([batch, F3(CNN)])
      const z = np.matmul(flat, q.W3).add(q.b3)
      return np.mean(np.sum(y.mul(jax.nn.logSoftmax(z)), -1)).neg()
    }
    const f = jax.jit(jax.valueAndGrad(loss))
    const q = {
      W1: np.array(permute(p.W1, [3, 3, c0, c1], [3, 2, 0, 1])).reshape([c1, c0, 3, 3]), b1: np.array(p.b1),
      W2: np.array(permute(p.W2, [3, 3, c1, c2], [3, 2, 0, 1])).reshape([c2, c1, 3, 3]), b2: np.array(p.b2),
      W3: np.array(p.W3).reshape([F3(CNN), nOut]), b3: np.array(p.b3),
    }
    const Xa = np.array(permute(X, [batch, size, size, c0], [0, 3, 1, 2])).reshape([batch, c0, size, size])
    const Ya = np.array(Y).reshape([batch, nOut])
    return {
      call: (): Output => {
        const qq = { W1: q.W1.ref, b1: q.b1.ref, W2: q.W2.ref, b2: q.b2.ref, W3: q.W3.ref, b3: q.b3.ref }
        const [v, g] = f(qq, Xa.ref, Ya.ref) as any
        return {
          loss: v.dataSync(),
          dW1: permute(g.W1.dataSync(), [c1, c0, 3, 3], [2, 3, 1, 0]), db1: g.b1.dataSync(),
          dW2: permute(g.W2.dataSync(), [c2, c1, 3, 3], [2, 3, 1, 0]), db2: g.b2.dataSync(),
          dW3: g.W3.dataSync(), db3: g.b3.dataSync(),
        }
      },
      note: 'jit; NCHW; pool as reshape + max',
    }
  },
  python: { script: 'bench/python/w14.py', args: [], payload: (i) => ({ ...i, dims: CNN }) },
  tfjs: (tf, { p, X, Y }) => {
    const { batch, size, c0, c1, c2, nOut } = CNN
    const Xt = tf.tensor4d(X, [batch, size, size, c0])
    const Yt = tf.tensor2d(Y, [batch, nOut])
    const ws = [
      tf.tensor4d(p.W1, [3, 3, c0, c1]), tf.tensor1d(p.b1), tf.tensor4d(p.W2, [3, 3, c1, c2]), tf.tensor1d(p.b2),
      tf.tensor2d(p.W3, [F3(CNN), nOut]), tf.tensor1d(p.b3),
    ]
    const loss = (W1: any, b1: any, W2: any, b2: any, W3: any, b3: any) => {
      const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(Xt, W1, 1, 'same'), b1)) as any, [2, 2], [2, 2], 'valid')
      const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, W2, 1, 'same'), b2)) as any, [2, 2], [2, 2], 'valid')
      const z = tf.add(tf.matMul(tf.reshape(h2, [batch, F3(CNN)]), W3), b3)
      return tf.neg(tf.mean(tf.sum(tf.mul(Yt, tf.logSoftmax(z)), -1)))
    }
    const vg = tf.valueAndGrads(loss)
    return {
      call: (): Output => {
        const { value, grads } = tf.tidy(() => vg(ws))
        const out = {
          loss: value.dataSync(), dW1: grads[0].dataSync(), db1: grads[1].dataSync(), dW2: grads[2].dataSync(),
          db2: grads[3].dataSync(), dW3: grads[4].dataSync(), db3: grads[5].dataSync(),
        }
        tf.dispose([value, ...grads])
        return out
      },
      note: 'eager tf.valueAndGrads',
    }
  },
}
