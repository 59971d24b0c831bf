import { describe, expect, it } from 'vitest'
import { AxisError, DTypeError, ShapeError, ValueError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import * as nn from '../../src/nn'
import { sum } from '../../src/numpy/reductions'
import { grad, jvp } from '../../src/transforms/autodiff'
import { vmap } from '../../src/transforms/vmap'
import { arr, at, expectClose, ints, multiIndices, rand, relErr, vals } from '../numpy/dense'

const f64 = (data: number[], shape: number[] = [data.length]) => arr(data, shape)
const sig = (z: number): number => 1 / (1 + Math.exp(-z))
const finite = (x: Tracer) => vals(x).forEach((v) => expect(Number.isFinite(v), `value ${v}`).toBe(true))

// ---- an independent erf / erfc (series and continued fraction) ----------------------------

/** erf(t) = 2/√π e^{−t²} Σ 2ⁿ t^{2n+1} / (1·3·…·(2n+1)): all terms positive, no cancellation. */
const erfSeries = (t: number): number => {
  let term = t
  let s = t
  for (let n = 1; n < 200; n++) {
    term *= (2 * t * t) / (2 * n + 1)
    s += term
    if (term < 1e-18 * s) break
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-t * t) * s
}
/** erfc(t) for t ≥ 1: e^{−t²}/√π / (t + (1/2)/(t + 1/(t + (3/2)/(t + …)))). */
const erfcFraction = (t: number): number => {
  let k = t
  for (let n = 400; n >= 1; n--) k = t + n / 2 / k
  return Math.exp(-t * t) / Math.sqrt(Math.PI) / k
}
const erfcRef = (x: number): number => {
  const t = Math.abs(x)
  const e = t < 1 ? 1 - erfSeries(t) : erfcFraction(t)
  return x >= 0 ? e : 2 - e
}
/** Φ(x) x = ½ x erfc(−x/√2). */
const geluRef = (x: number): number => 0.5 * x * erfcRef(-x / Math.SQRT2)
const phi = (x: number): number => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI)

describe('reference erf (sanity of the test oracle)', () => {
  it('matches tabulated values', () => {
    const table: [number, number][] = [
      [0.5, 1 - 0.5204998778130465], [1, 1 - 0.8427007929497149], [2, 0.004677734981047266],
      [3, 2.209049699858544e-5], [5, 1.5374597944280349e-12], [10, 2.088487583762545e-45],
    ]
    for (const [t, want] of table) expect(relErr(erfcRef(t) / want, 1)).toBeLessThan(1e-13)
  })
})

describe('activations', () => {
  it('relu: values, dtype kept, and relu′(0) = 0', () => {
    expectClose(nn.relu(f64([-2, 0, 3.5])), [3], [0, 0, 3.5], 0)
    const r = nn.relu(ints([-1, 0, 4]))
    expect(r.dtype).toBe('int32')
    expect(r.tolist()).toEqual([0, 0, 4])
    expectClose(grad((x: Tracer) => sum(nn.relu(x)))(f64([-1, 0, 2])), [3], [0, 0, 1], 0)
  })
  it('sigmoid: values, extreme inputs, float32, ints become float64', () => {
    const z = [-1000, -40, -3, 0, 0.5, 40, 1000]
    expectClose(nn.sigmoid(f64(z)), [7], z.map(sig), 1e-15)
    const s32 = nn.sigmoid(arr([0.5, -2], [2], 'float32'))
    expect(s32.dtype).toBe('float32')
    expectClose(s32, [2], [Math.fround(sig(Math.fround(0.5))), Math.fround(sig(-2))], 1e-7)
    expect(nn.sigmoid(ints([0])).dtype).toBe('float64')
  })
  it('softplus = log(1 + eˣ) without overflow; softplus′ = σ (½ at 0)', () => {
    const z = [-1000, -40, -1, 0, 1e-10, 2, 40, 1000]
    const ref = z.map((v) => (v > 30 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))))
    expectClose(nn.softplus(f64(z)), [8], ref, 1e-15)
    finite(nn.softplus(f64(z)))
    const g = grad((x: Tracer) => sum(nn.softplus(x)))(f64(z))
    vals(g).forEach((v, i) => expect(relErr(v, sig(z[i])) * Math.max(1, 1 / Math.max(sig(z[i]), 1e-300))).toBeLessThan(1e-12))
    // softplus″ = σ(1 − σ): ¼ at 0 from either side (no kink from the |x| inside)
    const pts = [-3, -1e-8, 0, 1e-8, 3]
    const h = grad((x: Tracer) => sum(grad((y: Tracer) => sum(nn.softplus(y)))(x)))(f64(pts))
    vals(h).forEach((v, i) => expect(v).toBeCloseTo(sig(pts[i]) * (1 - sig(pts[i])), 14))
  })
  it('logSigmoid = log σ, finite at the extremes', () => {
    const z = [-1000, -40, -1, 0, 3, 40, 1000]
    const ref = z.map((v) => (v < -30 ? v - Math.log1p(Math.exp(v)) : -Math.log1p(Math.exp(-v))))
    expectClose(nn.logSigmoid(f64(z)), [7], ref, 1e-15)
    const g = grad((x: Tracer) => sum(nn.logSigmoid(x)))(f64(z))
    expectClose(g, [7], z.map((v) => sig(-v)), 1e-15)
  })
  it('gelu (tanh approximation, the default) matches its formula', () => {
    const z = [-1000, -6, -1, 0, 0.3, 2, 50]
    const ref = z.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))))
    expectClose(nn.gelu(f64(z)), [7], ref, 1e-15)
    expectClose(nn.gelu(f64(z), { approximate: true }), [7], ref, 1e-15)
  })
  it('gelu exact = x Φ(x) to ~1e-14 relative (≈ x²ε in the far tail) across every erfc branch', () => {
    const z: number[] = []
    for (let v = -38; v <= 12; v += 0.0973) z.push(v)
    z.push(0, 1e-8, -1e-8, 1.1932, 1.1933, 1.7677, 1.7678, 4.0406, 4.0407)
    const got = vals(nn.gelu(f64(z), { approximate: false }))
    got.forEach((g, i) => {
      const ref = geluRef(z[i])
      const rel = ref === 0 ? Math.abs(g) : Math.abs(g - ref) / Math.abs(ref)
      // ~1e-14 for moderate x; in the far left tail Φ's conditioning costs ≈ x²·ε
      expect(rel, `x = ${z[i]}: got ${g}, want ${ref}`).toBeLessThan(4e-15 * Math.max(4, z[i] * z[i]))
    })
    finite(nn.gelu(f64([-1000, 1000, -40, 40]), { approximate: false }))
  })
  it('gelu exact derivative = Φ(x) + x φ(x), finite at the extremes', () => {
    const z = [-8, -3, -1.5, -0.7, 0, 0.2, 1, 1.5, 2.5, 3.5, 5, 9]
    const g = grad((x: Tracer) => sum(nn.gelu(x, { approximate: false })))(f64(z))
    vals(g).forEach((v, i) => {
      const ref = 0.5 * erfcRef(-z[i] / Math.SQRT2) + z[i] * phi(z[i])
      expect(Math.abs(v - ref), `x = ${z[i]}`).toBeLessThan(1e-13 * Math.max(1, Math.abs(ref)))
    })
    finite(grad((x: Tracer) => sum(nn.gelu(x, { approximate: false })))(f64([-1000, -40, 40, 1000])))
  })
  it('vmap over scalars (0-d per example) and jvp through the exact gelu', () => {
    const z = [-2, -0.3, 0, 1.7, 5]
    expectClose(vmap((t: Tracer) => nn.relu(t))(f64(z)), [5], z.map((v) => Math.max(v, 0)), 0)
    expectClose(vmap((t: Tracer) => nn.gelu(t, { approximate: false }))(f64(z)), [5], z.map(geluRef), 1e-14)
    expectClose(vmap((t: Tracer) => nn.softmax(t))(rand([2, 3])).sum(1), [2], [1, 1], 1e-15)
    const [, dt] = jvp((t: Tracer) => nn.gelu(t, { approximate: false }), [f64([0.5])], [f64([1])])
    expectClose(dt as Tracer, [1], [0.5 * erfcRef(-0.5 / Math.SQRT2) + 0.5 * phi(0.5)], 1e-14)
  })
  it('gelu exact in float32', () => {
    const z = [-3, -0.5, 0.5, 2]
    const r = nn.gelu(arr(z, [4], 'float32'), { approximate: false })
    expect(r.dtype).toBe('float32')
    vals(r).forEach((v, i) => expect(relErr(v, geluRef(z[i]))).toBeLessThan(1e-6))
  })
})

describe('softmax and logSoftmax', () => {
  const x = rand([3, 4])
  const rowsOf = (t: Tracer) => [0, 1, 2].map((r) => vals(t).slice(4 * r, 4 * r + 4))
  const softmaxRow = (row: number[]) => {
    const m = Math.max(...row)
    const e = row.map((v) => Math.exp(v - m))
    const s = e.reduce((a, b) => a + b, 0)
    return e.map((v) => v / s)
  }
  it('match their formulas along the last axis (default) and along axis 0', () => {
    expectClose(nn.softmax(x), [3, 4], rowsOf(x).flatMap(softmaxRow), 1e-15)
    expectClose(nn.logSoftmax(x), [3, 4], rowsOf(x).flatMap(softmaxRow).map(Math.log), 1e-14)
    const cols = [0, 1, 2, 3].map((c) => softmaxRow([0, 1, 2].map((r) => at(x, [r, c]))))
    expectClose(nn.softmax(x, 0), [3, 4], multiIndices([3, 4]).map(([r, c]) => cols[c][r]), 1e-15)
    const all = softmaxRow(vals(x))
    expectClose(nn.softmax(x, [0, 1]), [3, 4], all, 1e-15)
  })
  it('extreme logits: no NaN or infinity; −∞ entries get probability 0', () => {
    const z = f64([1000, -1000, 0, 999])
    const p = nn.softmax(z)
    finite(p)
    expectClose(p, [4], [1 / (1 + Math.exp(-1)), 0, 0, Math.exp(-1) / (1 + Math.exp(-1))], 1e-15)
    finite(nn.logSoftmax(z).add(0).mul(0))
    expectClose(nn.logSoftmax(f64([1000, 1000])), [2], [-Math.LN2, -Math.LN2], 1e-15)
    expectClose(nn.softmax(f64([-Infinity, 0, 0])), [3], [0, 0.5, 0.5], 1e-15)
  })
  it('gradients: the stop-gradient max changes nothing (∂/∂x Σ w·logSoftmax = w − softmax·Σw)', () => {
    const w = rand([3, 4])
    const g = grad((t: Tracer) => sum(nn.logSoftmax(t).mul(w)))(x)
    const p = rowsOf(x).map(softmaxRow)
    const ws = rowsOf(w)
    expectClose(g, [3, 4], multiIndices([3, 4]).map(([r, c]) => ws[r][c] - p[r][c] * ws[r].reduce((a, b) => a + b, 0)), 1e-13)
    // forward mode: d softmax = p ⊙ (dx − Σ p dx) per row
    const dx = rand([3, 4])
    const [, t] = jvp((v: Tracer) => nn.softmax(v), [x], [dx])
    const ds = rowsOf(dx)
    expectClose(t as Tracer, [3, 4], multiIndices([3, 4]).map(([r, c]) => p[r][c] * (ds[r][c] - p[r].reduce((s, q, k) => s + q * ds[r][k], 0))), 1e-14)
  })
  it('vmap of softmax equals softmax along the mapped rows', () => {
    expectClose(vmap((r: Tracer) => nn.softmax(r))(x), [3, 4], vals(nn.softmax(x)), 1e-15)
  })
  it('logsumexp is re-exported from np', () => {
    expectClose(nn.logsumexp(f64([1000, 1000])), [], [1000 + Math.LN2], 1e-15)
  })
  it('bad axes', () => {
    expect(() => nn.softmax(x, 2)).toThrow(AxisError)
    expect(() => nn.logSoftmax(x, [0, 0])).toThrow(AxisError)
  })
})

describe('losses', () => {
  it('binaryCrossEntropyWithLogits = −y log σ(z) − (1−y) log(1−σ(z)), per example', () => {
    const z = [-3, -0.5, 0, 0.7, 2.5]
    const y = [0, 1, 0.5, 1, 0.2]
    const ref = z.map((v, i) => -y[i] * Math.log(sig(v)) - (1 - y[i]) * Math.log(1 - sig(v)))
    expectClose(nn.binaryCrossEntropyWithLogits(f64(z), f64(y)), [5], ref, 1e-14)
  })
  it('extreme logits (|z| = 40, 1000): finite values and gradient σ(z) − y, no NaN', () => {
    const z = [-1000, -40, 40, 1000, -1000, -40, 40, 1000]
    const y = [0, 0, 0, 0, 1, 1, 1, 1]
    const loss = nn.binaryCrossEntropyWithLogits(f64(z), f64(y))
    finite(loss)
    // softplus(z) − y z, computed in exact arithmetic: for z = 40, y = 1: log1p(e^{−40})
    expectClose(loss, [8], [0, Math.log1p(Math.exp(-40)), 40 + Math.log1p(Math.exp(-40)), 1000, 1000, 40 + Math.log1p(Math.exp(-40)), Math.log1p(Math.exp(-40)), 0], 1e-15)
    const g = grad((t: Tracer) => sum(nn.binaryCrossEntropyWithLogits(t, f64(y))))(f64(z))
    finite(g)
    vals(g).forEach((v, i) => {
      const want = sig(z[i]) - y[i]
      expect(Math.abs(v - want), `z = ${z[i]}, y = ${y[i]}`).toBeLessThanOrEqual(1e-16 + 1e-15 * Math.abs(want))
    })
    // the tiny tail is relative-accurate: σ(−40) ≈ 4.25e−18
    expect(relErr(vals(g)[1] / sig(-40), 1)).toBeLessThan(1e-14)
  })
  it('labels broadcast against logits; the gradient in the labels is −z', () => {
    const z = rand([2, 3])
    const r = nn.binaryCrossEntropyWithLogits(z, 1)
    expectClose(r, [2, 3], vals(z).map((v) => -Math.log(sig(v))), 1e-14)
    const gy = grad((y: Tracer) => sum(nn.binaryCrossEntropyWithLogits(z, y)))(f64([0.3, 0.4, 0.5]))
    expectClose(gy, [3], [0, 1, 2].map((c) => -(at(z, [0, c]) + at(z, [1, c]))), 1e-14)
    expect(() => nn.binaryCrossEntropyWithLogits(rand([2, 3]), rand([2]))).toThrow(ShapeError)
  })
  it('softmaxCrossEntropy = −Σ y · logSoftmax(z), per example; gradient softmax(z) − y', () => {
    const z = rand([3, 4])
    const y = nn.oneHot(ints([2, 0, 3]), 4)
    const loss = nn.softmaxCrossEntropy(z, y)
    expect(loss.shape).toEqual([3])
    const lse = [0, 1, 2].map((r) => Math.log([0, 1, 2, 3].reduce((s, c) => s + Math.exp(at(z, [r, c])), 0)))
    expectClose(loss, [3], [lse[0] - at(z, [0, 2]), lse[1] - at(z, [1, 0]), lse[2] - at(z, [2, 3])], 1e-14)
    const g = grad((t: Tracer) => sum(nn.softmaxCrossEntropy(t, y)))(z)
    expectClose(g, [3, 4], multiIndices([3, 4]).map(([r, c]) => Math.exp(at(z, [r, c]) - lse[r]) - at(y, [r, c])), 1e-14)
    // soft labels, along axis 0
    const p = f64([0.2, 0.8, 0.5, 0.5], [2, 2])
    const zz = f64([1, -1, 0.5, 3], [2, 2])
    const l0 = nn.softmaxCrossEntropy(zz, p, 0)
    const lcol = [0, 1].map((c) => Math.log(Math.exp(at(zz, [0, c])) + Math.exp(at(zz, [1, c]))))
    expectClose(l0, [2], [0, 1].map((c) => -[0, 1].reduce((s, r) => s + at(p, [r, c]) * (at(zz, [r, c]) - lcol[c]), 0)), 1e-14)
  })
  it('softmaxCrossEntropy with extreme logits stays finite', () => {
    const z = f64([1000, -1000, 0, -1000, 1000, 0], [2, 3])
    const y = nn.oneHot(ints([1, 1]), 3)
    const loss = nn.softmaxCrossEntropy(z, y)
    expectClose(loss, [2], [2000, 0], 1e-15)
    finite(grad((t: Tracer) => sum(nn.softmaxCrossEntropy(t, y)))(z))
    expect(() => nn.softmaxCrossEntropy(f64([1], []), f64([1], []))).toThrow(ValueError)
  })
})

describe('oneHot', () => {
  it('encodes along a new last axis; out-of-range rows are zero; dtype option', () => {
    const r = nn.oneHot(ints([0, 2, -1, 3, 1, 1], [2, 3]), 3)
    expect(r.shape).toEqual([2, 3, 3])
    expect(r.dtype).toBe('float64')
    expect(r.tolist()).toEqual([
      [[1, 0, 0], [0, 0, 1], [0, 0, 0]],
      [[0, 0, 0], [0, 1, 0], [0, 1, 0]],
    ])
    expect(nn.oneHot(ints([1]), 2, { dtype: 'bool' }).tolist()).toEqual([[false, true]])
    expect(nn.oneHot(ints([1]), 2, { dtype: 'int32' }).dtype).toBe('int32')
    expect(nn.oneHot(1, 3).tolist()).toEqual([0, 1, 0])
  })
  it('errors: float indices, bad class counts', () => {
    expect(() => nn.oneHot(f64([1]), 3)).toThrow(DTypeError)
    expect(() => nn.oneHot(ints([1]), -1)).toThrow(ValueError)
    expect(() => nn.oneHot(ints([1]), 2.5)).toThrow(/numClasses must be a non-negative integer, got 2.5/)
  })
})
