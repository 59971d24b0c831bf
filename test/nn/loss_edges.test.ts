/**
 * Losses at the edges: binaryCrossEntropyWithLogits without cancellation (references from
 * test/numpy/edge_values_constants.py), and integer class labels.
 */
import { describe, expect, it } from 'vitest'
import { np, nn, grad, jit, vmap, DTypeError, ShapeError } from '../../src'
import type { Array } from '../../src'

const bce = (z: number, y: number) => nn.binaryCrossEntropyWithLogits(np.array(z), np.array(y)).item()
const dbce = (z: number, y: number) => grad((t: Array) => nn.binaryCrossEntropyWithLogits(t, np.array(y)))(np.array(z)).item()
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))

describe('binaryCrossEntropyWithLogits', () => {
  it('keeps e^{-40}: loss log1p(e^{-40}) and gradient σ(40) − 1', () => {
    expect(bce(40, 1)).toBe(4.248354255291589e-18)
    expect(dbce(40, 1)).toBe(-4.248354255291589e-18)
    expect(bce(-40, 0)).toBe(4.248354255291589e-18)
    expect(dbce(-40, 0)).toBe(4.248354255291589e-18)
    const big = np.full([300], 40) // the compiled kernels
    expect((nn.binaryCrossEntropyWithLogits(big, np.onesLike(big)).tolist() as number[])[5]).toBe(4.248354255291589e-18)
    const jg = jit(grad((t: Array) => nn.binaryCrossEntropyWithLogits(t, np.onesLike(t)).sum()))(big).tolist() as number[]
    expect(jg[5]).toBe(-4.248354255291589e-18)
  })
  it('matches softplus(z) − y z and σ(z) − y where those are accurate; σ′ at 0 is ¼', () => {
    for (const [z, y] of [[0, 0.3], [2, 0.3], [-2, 1], [0.5, 0], [-7, 0.9]]) {
      const want = Math.log1p(Math.exp(z)) - y * z
      expect(Math.abs(bce(z, y) - want)).toBeLessThanOrEqual(4 * 2 ** -52 * Math.abs(want))
      expect(Math.abs(dbce(z, y) - (sigmoid(z) - y))).toBeLessThanOrEqual(3e-16)
    }
    expect(bce(1000, 0)).toBe(1000)
    expect(bce(-1000, 1)).toBe(1000)
    expect(grad(grad((t: Array) => nn.binaryCrossEntropyWithLogits(t, np.array(1))))(np.array(0)).item()).toBe(0.25)
  })
})

describe('softmax cross-entropy with integer labels', () => {
  const logits = np.array([[1, 2, 3], [0.5, -1, 4], [0, 0, 0]])
  const labels = np.array([2, 0, 1], { dtype: 'int32' })
  it('softmaxCrossEntropy rejects int32 labels and names the integer-label form', () => {
    expect(() => nn.softmaxCrossEntropy(logits, labels)).toThrow(DTypeError)
    expect(() => nn.softmaxCrossEntropy(logits, labels)).toThrow(/softmaxCrossEntropyWithIntegerLabels/)
  })
  it('equals the one-hot form, with its gradient softmax − onehot', () => {
    const a = nn.softmaxCrossEntropyWithIntegerLabels(logits, labels).tolist() as number[]
    const b = nn.softmaxCrossEntropy(logits, nn.oneHot(labels, 3)).tolist() as number[]
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-15))
    // closed form: log Σ e^z − z[label]
    expect(Math.abs(a[0] - (Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3))).toBeLessThan(1e-15)
    expect(a[2]).toBeCloseTo(Math.log(3), 15)
    const g = grad((l: Array) => nn.softmaxCrossEntropyWithIntegerLabels(l, labels).sum())(logits).tolist() as number[][]
    const want = (nn.softmax(logits).sub(nn.oneHot(labels, 3))).tolist() as number[][]
    g.flat().forEach((v, i) => expect(Math.abs(v - want.flat()[i])).toBeLessThanOrEqual(1e-15))
  })
  it('other axes, jit and vmap', () => {
    const t = logits.T // classes on axis 0
    const a = nn.softmaxCrossEntropyWithIntegerLabels(t, labels, 0).tolist() as number[]
    const b = nn.softmaxCrossEntropyWithIntegerLabels(logits, labels).tolist() as number[]
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 15))
    expect(jit((l: Array, y: Array) => nn.softmaxCrossEntropyWithIntegerLabels(l, y))(logits, labels).tolist()).toEqual(b)
    expect(vmap((l: Array, y: Array) => nn.softmaxCrossEntropyWithIntegerLabels(l, y))(logits, labels).tolist()).toEqual(b)
  })
  it('out-of-range labels give NaN; bad dtypes and shapes are named errors', () => {
    const out = nn.softmaxCrossEntropyWithIntegerLabels(logits, np.array([3, -1, 0], { dtype: 'int32' })).tolist() as number[]
    expect(out[0]).toBeNaN()
    expect(out[1]).toBeNaN()
    expect(out[2]).toBeCloseTo(Math.log(3), 15)
    expect(() => nn.softmaxCrossEntropyWithIntegerLabels(logits, np.array([2, 0, 1]))).toThrow(DTypeError)
    expect(() => nn.softmaxCrossEntropyWithIntegerLabels(logits, np.array([2, 0], { dtype: 'int32' }))).toThrow(ShapeError)
  })
})
