// W14's hand-written CNN step (bench/baselines/w14.ts) against finite differences of its own
// loss and against leibniz's jit(valueAndGrad) of the same network (conv + relu + maxPool +
// dense + softmax cross-entropy), in float64 on a small instance.
import { describe, expect, it } from 'vitest'
import { type CnnDims, type CnnParams, cnnValueAndGrad } from '../../bench/baselines/w14'
import { uniform64 } from '../../bench/harness/rng'
import { type NDArray, jit, lax, nn, np, valueAndGrad } from '../../src'

const D: CnnDims = { batch: 2, size: 8, c0: 2, c1: 3, c2: 4, nOut: 5 }
const F = (D.size / 4) ** 2 * D.c2
const P: CnnParams = {
  W1: uniform64(1, 9 * D.c0 * D.c1, -0.5, 0.5), b1: uniform64(2, D.c1, -0.1, 0.1),
  W2: uniform64(3, 9 * D.c1 * D.c2, -0.5, 0.5), b2: uniform64(4, D.c2, -0.1, 0.1),
  W3: uniform64(5, F * D.nOut, -0.5, 0.5), b3: uniform64(6, D.nOut, -0.1, 0.1),
}
const X = uniform64(7, D.batch * D.size * D.size * D.c0, 0, 1)
const Y = new Float64Array(D.batch * D.nOut)
Y[1] = 1
Y[D.nOut + 3] = 1

describe('W14 baseline: a CNN training step by hand', () => {
  const r = cnnValueAndGrad(P, X, Y, D)
  it('agrees with leibniz (conv_general_dilated, reduce_window_max) on the loss and all six gradients', () => {
    const conv = (x: NDArray, w: NDArray, b: NDArray) =>
      nn.relu(lax.convGeneralDilated(x, w, [1, 1], 'SAME', { dimensionNumbers: ['NHWC', 'HWIO', 'NHWC'] }).add(b))
    const loss = (q: Record<string, NDArray>, x: NDArray, y: NDArray) => {
      const h1 = nn.maxPool(conv(x, q.W1, q.b1), [2, 2], [2, 2])
      const h2 = nn.maxPool(conv(h1, q.W2, q.b2), [2, 2], [2, 2])
      return np.mean(nn.softmaxCrossEntropy(np.matmul(h2.reshape([D.batch, F]), q.W3).add(q.b3), y))
    }
    const q = {
      W1: np.array(P.W1 as Float64Array).reshape([3, 3, D.c0, D.c1]), b1: np.array(P.b1 as Float64Array),
      W2: np.array(P.W2 as Float64Array).reshape([3, 3, D.c1, D.c2]), b2: np.array(P.b2 as Float64Array),
      W3: np.array(P.W3 as Float64Array).reshape([F, D.nOut]), b3: np.array(P.b3 as Float64Array),
    }
    const [v, g] = jit(valueAndGrad(loss))(q, np.array(X).reshape([D.batch, D.size, D.size, D.c0]), np.array(Y).reshape([D.batch, D.nOut]))
    expect(v.item()).toBeCloseTo(r.loss, 12)
    for (const k of ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'] as const) {
      const want = r[`d${k}`]
      const got = g[k].toTypedArray()
      got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThan(1e-6 + 1e-5 * Math.abs(want[i])))
    }
  })
  it('each gradient = central differences of its loss (a few entries per weight)', () => {
    const lossAt = (key: keyof CnnParams, i: number, h: number): number => {
      const w = Float64Array.from(P[key])
      w[i] += h
      return cnnValueAndGrad({ ...P, [key]: w }, X, Y, D).loss
    }
    for (const key of ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'] as const) {
      const g = r[`d${key}`]
      for (const i of [0, Math.floor(P[key].length / 2), P[key].length - 1]) {
        const h = 1e-5
        const fd = (lossAt(key, i, h) - lossAt(key, i, -h)) / (2 * h)
        expect(Math.abs(fd - g[i])).toBeLessThan(1e-6)
      }
    }
  })
})
