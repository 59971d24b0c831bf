import { describe, expect, it } from 'vitest'
import { AxisError, ValueError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { shaped } from '../../src/ir/aval'
import * as np from '../../src/numpy/reductions'
import { bool, check, f32, f64, i32, indices, offset } from './helpers'

const fr = Math.fround

/** Brute-force reduction over `axes` with nested multi-index loops. */
const ref = (
  data: readonly number[],
  shape: readonly number[],
  axes: readonly number[],
  init: number,
  combine: (acc: number, v: number) => number,
): { shape: number[]; values: number[] } => {
  const outShape = shape.filter((_, i) => !axes.includes(i))
  const values = new Array(outShape.reduce((a, b) => a * b, 1)).fill(init)
  for (const idx of indices(shape)) {
    const o = offset(outShape, idx.filter((_, i) => !axes.includes(i)))
    values[o] = combine(values[o], data[offset(shape, idx)])
  }
  return { shape: outShape, values }
}

const shape3 = [2, 3, 4]
const data3 = [...Array(24).keys()].map((i) => ((i * 7) % 11) - 4.5)
const x3 = () => f64(data3, shape3)
const plus = (a: number, b: number) => a + b
const times = (a: number, b: number) => a * b

describe('sum and prod', () => {
  it('reduce over all, one, negative and several axes', () => {
    for (const [axis, axes] of [[undefined, [0, 1, 2]], [null, [0, 1, 2]], [0, [0]], [-1, [2]], [[0, 2], [0, 2]], [[-1, 0], [0, 2]], [[1], [1]]] as const) {
      const r = ref(data3, shape3, axes, 0, plus)
      check(np.sum(x3(), axis as never), { shape: r.shape, dtype: 'float64' }, r.values)
      const p = ref(data3, shape3, axes, 1, times)
      check(np.prod(x3(), axis as never), { shape: p.shape, dtype: 'float64' }, p.values, 1e-14)
    }
  })
  it('keepdims keeps size-1 axes', () => {
    const r = ref(data3, shape3, [1], 0, plus)
    check(np.sum(x3(), 1, { keepdims: true }), { shape: [2, 1, 4], dtype: 'float64' }, r.values)
    check(np.sum(x3(), null, { keepdims: true }), { shape: [1, 1, 1], dtype: 'float64' }, [data3.reduce(plus)])
  })
  it('an empty axis list returns the array unchanged', () => {
    const x = x3()
    expect(np.sum(x, [])).toBe(x)
  })
  it('dtypes: bool → int32, int32 stays, float32 stays, dtype option', () => {
    check(np.sum(bool([true, false, true, true])), { shape: [], dtype: 'int32' }, [3])
    check(np.prod(bool([true, false])), { shape: [], dtype: 'int32' }, [0])
    check(np.sum(i32([1, 2, 3], [3, 1]), 0), { shape: [1], dtype: 'int32' }, [6])
    check(np.sum(f32([0.1, 0.2, 0.3])), { shape: [], dtype: 'float32' }, [fr(fr(0.1) + fr(0.2) + fr(0.3))])
    check(np.sum(i32([1, 2]), null, { dtype: 'float32' }), { shape: [], dtype: 'float32' }, [3])
  })
  it('empty arrays: sum 0, prod 1', () => {
    check(np.sum(f64([], [0, 3]), 0), { shape: [3], dtype: 'float64' }, [0, 0, 0])
    check(np.prod(f64([], [0])), { shape: [], dtype: 'float64' }, [1])
    check(np.sum(f64([], [2, 0]), 1), { shape: [2], dtype: 'float64' }, [0, 0])
  })
  it('bad axes → AxisError', () => {
    expect(() => np.sum(x3(), 3)).toThrow(AxisError)
    expect(() => np.sum(x3(), -4)).toThrow(/sum: axis -4 is out of range for an array of rank 3/)
    expect(() => np.sum(x3(), [0, -3])).toThrow(/sum: repeated axis/)
    expect(() => np.sum(x3(), 0.5)).toThrow(AxisError)
  })
})

describe('max, min, all, any, ptp', () => {
  it('match brute force and propagate NaN', () => {
    for (const axes of [[0], [1, 2], [0, 1, 2]]) {
      const mx = ref(data3, shape3, axes, -Infinity, Math.max)
      const mn = ref(data3, shape3, axes, Infinity, Math.min)
      check(np.max(x3(), axes), { shape: mx.shape, dtype: 'float64' }, mx.values)
      check(np.min(x3(), axes), { shape: mn.shape, dtype: 'float64' }, mn.values)
      check(np.ptp(x3(), axes), { shape: mn.shape, dtype: 'float64' }, mx.values.map((v, i) => v - mn.values[i]))
    }
    check(np.max(f64([1, NaN, 3])), { shape: [], dtype: 'float64' }, [NaN])
    check(np.min(i32([4, -7, 2], [3, 1]), 0, { keepdims: true }), { shape: [1, 1], dtype: 'int32' }, [-7])
    check(np.amax(bool([false, true])), { shape: [], dtype: 'bool' }, [1])
  })
  it('reducing an empty axis is a ValueError (no identity)', () => {
    expect(() => np.max(f64([], [0]))).toThrow(ValueError)
    expect(() => np.min(f64([], [2, 0]), 1)).toThrow(/min: zero-size reduction over axes \(1\) of f64\[2,0\]/)
    check(np.max(f64([], [0, 2]), 1), { shape: [0], dtype: 'float64' }, [])
  })
  it('all and any test for nonzero', () => {
    const x = f64([0, 1, 2, 3, 0, 0], [2, 3])
    check(np.all(x, 1), { shape: [2], dtype: 'bool' }, [0, 0])
    check(np.any(x, 1), { shape: [2], dtype: 'bool' }, [1, 1])
    check(np.all(x, 0), { shape: [3], dtype: 'bool' }, [0, 0, 0])
    check(np.any(i32([0, 0, 0, 5], [2, 2]), 0, { keepdims: true }), { shape: [1, 2], dtype: 'bool' }, [0, 1])
    check(np.all(bool([])), { shape: [], dtype: 'bool' }, [1])
    check(np.any(bool([])), { shape: [], dtype: 'bool' }, [0])
  })
})

describe('mean, var, std', () => {
  const refMean = (axes: number[]) => {
    const s = ref(data3, shape3, axes, 0, plus)
    const n = axes.reduce((a, d) => a * shape3[d], 1)
    return { shape: s.shape, values: s.values.map((v) => v / n), n }
  }
  it('mean over axes', () => {
    for (const axes of [[0], [2], [0, 2], [0, 1, 2]]) {
      const m = refMean(axes)
      check(np.mean(x3(), axes), { shape: m.shape, dtype: 'float64' }, m.values, 1e-15)
    }
    check(np.mean(x3(), -2, { keepdims: true }), { shape: [2, 1, 4], dtype: 'float64' }, refMean([1]).values, 1e-15)
  })
  it('mean of ints and bools is float64; of float32 is float32; empty is NaN', () => {
    check(np.mean(i32([1, 2, 4])), { shape: [], dtype: 'float64' }, [7 / 3])
    check(np.mean(bool([true, false, false, false])), { shape: [], dtype: 'float64' }, [0.25])
    check(np.mean(f32([1, 2])), { shape: [], dtype: 'float32' }, [1.5])
    check(np.mean(f64([], [0])), { shape: [], dtype: 'float64' }, [NaN])
    check(np.mean(i32([1, 2]), null, { dtype: 'float32' }), { shape: [], dtype: 'float32' }, [1.5])
  })
  it('var and std with ddof match a two-pass reference', () => {
    for (const axes of [[0], [1, 2], [0, 1, 2]]) {
      for (const ddof of [0, 1]) {
        const m = refMean(axes)
        const outShape = m.shape
        const ss = new Array(m.values.length).fill(0)
        for (const idx of indices(shape3)) {
          const o = offset(outShape, idx.filter((_, i) => !axes.includes(i)))
          ss[o] += (data3[offset(shape3, idx)] - m.values[o]) ** 2
        }
        const v = ss.map((s) => s / (m.n - ddof))
        check(np.variance(x3(), axes, { ddof }), { shape: outShape, dtype: 'float64' }, v, 1e-14)
        check(np.var(x3(), axes, { ddof }), { shape: outShape, dtype: 'float64' }, v, 1e-14)
        check(np.std(x3(), axes, { ddof }), { shape: outShape, dtype: 'float64' }, v.map(Math.sqrt), 1e-14)
      }
    }
    check(np.var(i32([1, 2, 3, 4])), { shape: [], dtype: 'float64' }, [1.25])
    check(np.std(f64([2, 4, 4, 4, 5, 5, 7, 9], [2, 4]), null, { keepdims: true }), { shape: [1, 1], dtype: 'float64' }, [2])
    check(np.var(f64([5])), { shape: [], dtype: 'float64' }, [0])
    check(np.var(f64([5]), null, { ddof: 1 }), { shape: [], dtype: 'float64' }, [NaN])
    expect(() => np.var(f64([1]), null, { ddof: NaN })).toThrow(ValueError)
  })
})

describe('argmax and argmin', () => {
  it('flattened by default, first index on ties, NaN wins', () => {
    check(np.argmax(f64([1, 5, 5, 2], [2, 2])), { shape: [], dtype: 'int32' }, [1])
    check(np.argmin(f64([3, 1, 1, 2])), { shape: [], dtype: 'int32' }, [1])
    check(np.argmax(f64([1, NaN, 5])), { shape: [], dtype: 'int32' }, [1])
    check(np.argmin(f64([1, NaN, -5])), { shape: [], dtype: 'int32' }, [1])
    check(np.argmax(f64([1, 5, 5, 2], [2, 2]), null, { keepdims: true }), { shape: [1, 1], dtype: 'int32' }, [1])
  })
  it('along an axis (negative allowed), with keepdims', () => {
    for (const axis of [0, 1, 2, -1]) {
      const a = (axis + 3) % 3
      const outShape = shape3.filter((_, i) => i !== a)
      const best = new Array(outShape.reduce((p, q) => p * q, 1)).fill(-1)
      const bestV = new Array(best.length).fill(-Infinity)
      for (const idx of indices(shape3)) {
        const o = offset(outShape, idx.filter((_, i) => i !== a))
        const v = data3[offset(shape3, idx)]
        if (v > bestV[o]) [bestV[o], best[o]] = [v, idx[a]]
      }
      check(np.argmax(x3(), axis), { shape: outShape, dtype: 'int32' }, best)
    }
    check(np.argmin(i32([3, 1, 2, 0, 5, -1], [2, 3]), 1, { keepdims: true }), { shape: [2, 1], dtype: 'int32' }, [1, 2])
  })
  it('empty input → ValueError, bad axis → AxisError', () => {
    expect(() => np.argmax(f64([], [0]))).toThrow(ValueError)
    expect(() => np.argmin(f64([], [2, 0]), 1)).toThrow(/argmin: attempt to get argmin of an empty axis 1 of f64\[2,0\]/)
    expect(() => np.argmax(x3(), 3)).toThrow(AxisError)
  })
})

describe('logsumexp', () => {
  it('matches log Σ exp for moderate values, over axes and with keepdims', () => {
    const r = ref(data3, shape3, [2], 0, (acc, v) => acc + Math.exp(v))
    check(np.logsumexp(x3(), -1), { shape: [2, 3], dtype: 'float64' }, r.values.map(Math.log), 1e-15)
    const all = Math.log(data3.reduce((acc, v) => acc + Math.exp(v), 0))
    check(np.logsumexp(x3()), { shape: [], dtype: 'float64' }, [all], 1e-15)
    check(np.logsumexp(x3(), [0, 1], { keepdims: true }), { shape: [1, 1, 4], dtype: 'float64' },
      ref(data3, shape3, [0, 1], 0, (acc, v) => acc + Math.exp(v)).values.map(Math.log), 1e-15)
  })
  it('is stable for large values and handles infinities without NaN', () => {
    check(np.logsumexp(f64([1000, 1000])), { shape: [], dtype: 'float64' }, [1000 + Math.LN2])
    check(np.logsumexp(f64([-1000, -1000])), { shape: [], dtype: 'float64' }, [-1000 + Math.LN2])
    check(np.logsumexp(f64([-Infinity, -Infinity, 0, 1], [2, 2]), 1), { shape: [2], dtype: 'float64' }, [-Infinity, Math.log(1 + Math.E)], 1e-15)
    check(np.logsumexp(f64([Infinity, 1])), { shape: [], dtype: 'float64' }, [Infinity])
    check(np.logsumexp(f64([], [2, 0]), 1), { shape: [2], dtype: 'float64' }, [-Infinity, -Infinity])
  })
  it('ints become float64; float32 stays float32', () => {
    check(np.logsumexp(i32([0, 0])), { shape: [], dtype: 'float64' }, [Math.LN2], 1e-15)
    expect(np.logsumexp(f32([0, 0])).dtype).toBe('float32')
  })
  it('subtracts the max under stop_gradient', () => {
    const j = traceToJaxpr((x: Tracer) => [np.logsumexp(x, 0)], [shaped([3], 'float64')])
    expect(j.jaxpr.eqns.map((e) => e.prim)).toContain('stop_gradient')
  })
})

describe('cumsum', () => {
  it('flattens when no axis is given; otherwise along the axis', () => {
    check(np.cumsum(f64([1, 2, 3, 4], [2, 2])), { shape: [4], dtype: 'float64' }, [1, 3, 6, 10])
    check(np.cumsum(f64([1, 2, 3, 4], [2, 2]), 0), { shape: [2, 2], dtype: 'float64' }, [1, 2, 4, 6])
    check(np.cumsum(f64([1, 2, 3, 4], [2, 2]), -1), { shape: [2, 2], dtype: 'float64' }, [1, 3, 3, 7])
    check(np.cumsum(bool([true, true, false, true])), { shape: [4], dtype: 'int32' }, [1, 2, 2, 3])
    check(np.cumsum(i32([1, 2]), 0, { dtype: 'float32' }), { shape: [2], dtype: 'float32' }, [1, 3])
    check(np.cumsum(f64([], [0])), { shape: [0], dtype: 'float64' }, [])
    expect(() => np.cumsum(f64([1]), 1)).toThrow(AxisError)
  })
})
