import { describe, expect, it } from 'vitest'
import { AxisError, DTypeError, ShapeError, ValueError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import { type IndexEntry, argsort, at, sort, take, takeAlongAxis } from '../../src/numpy/indexing'
import { sum } from '../../src/numpy/reductions'
import { grad } from '../../src/transforms/autodiff'
import { vmap } from '../../src/transforms/vmap'
import { arr, at as elem, expectClose, ints, multiIndices, rand, rnd, sizeOf, strides, vals } from './dense'

const iota = (shape: number[]) => arr([...Array(sizeOf(shape)).keys()], shape)

/**
 * NumPy advanced indexing, straight from its definition: integers and index arrays broadcast
 * to B; B replaces the indexed axes if they are adjacent, else goes first; each output
 * element reads the source element its multi-index names (positions wrapped once, clamped).
 */
const reference = (x: Tracer, entries: IndexEntry[]): { shape: number[]; data: number[] } => {
  const adv = entries.map((e, a) => (e === null ? -1 : a)).filter((a) => a >= 0)
  const advShapes = adv.map((a) => (typeof entries[a] === 'number' ? [] : [...(entries[a] as Tracer).shape]))
  const nb = Math.max(0, ...advShapes.map((s) => s.length))
  const B = Array.from({ length: nb }, (_, k) => Math.max(1, ...advShapes.map((s) => s[k - (nb - s.length)] ?? 1)))
  const rest = x.shape.map((_, a) => a).filter((a) => !adv.includes(a))
  const adjacent = adv.every((a, k) => k === 0 || a === adv[k - 1] + 1)
  const pos = adv.length === 0 ? 0 : adjacent ? adv[0] : 0
  const restShape = rest.map((a) => x.shape[a])
  const shape = [...restShape.slice(0, pos), ...B, ...restShape.slice(pos)]
  const data = multiIndices(shape).map((o) => {
    const b = o.slice(pos, pos + nb)
    const r = [...o.slice(0, pos), ...o.slice(pos + nb)]
    const src = x.shape.map((n, a) => {
      if (!adv.includes(a)) return r[rest.indexOf(a)]
      const e = entries[a]
      let v: number
      if (typeof e === 'number') v = e
      else {
        const t = e as Tracer
        v = elem(t, t.shape.map((d, k) => (d === 1 ? 0 : b[k + nb - t.ndim])))
      }
      if (v < 0) v += n
      return Math.min(Math.max(v, 0), n - 1)
    })
    return elem(x, src)
  })
  return { shape, data }
}

describe('at(x, idx).get()', () => {
  const x = iota([2, 3, 4])
  it('NumPy examples with known answers', () => {
    expect(at(x, [ints([0, 1]), null, ints([2, 3])]).get().tolist()).toEqual([[2, 6, 10], [15, 19, 23]])
    expect(at(x, [null, ints([0, 2]), ints([1, 3])]).get().tolist()).toEqual([[1, 11], [13, 23]])
    // an integer counts as an index array: separated from [0, 1] by a slice, B goes first
    expect(at(x, [1, null, ints([0, 1])]).get().tolist()).toEqual([[12, 16, 20], [13, 17, 21]])
    expect(at(x, [1, null, 2]).get().tolist()).toEqual([14, 18, 22])
    expect(at(x, -1).get().tolist()).toEqual([[12, 13, 14, 15], [16, 17, 18, 19], [20, 21, 22, 23]])
    expect(at(x, [0, -1, -2]).get().item()).toBe(10)
    expect(at(x, null).get().tolist()).toEqual(x.tolist())
  })
  const y = rand([4, 5, 6])
  const i = ints([0, 3, -1, 1], [2, 2])
  const j = ints([4, -5, 2], [3])
  const k = ints([1, 0], [2, 1])
  const cases: [string, IndexEntry[]][] = [
    ['x[i]', [i]],
    ['x[:, j]', [null, j]],
    ['x[j, k]', [ints([0, 1, 3]), k]],
    ['x[:, j, k]', [null, j, k]],
    ['x[k, :, j]', [k, null, j]],
    ['x[0, :, k]', [0, null, k]],
    ['x[:, 1, j]', [null, 1, j]],
    ['x[2, j]', [2, j]],
    ['x[-1, :, -2]', [-1, null, -2]],
    ['x[i, j broadcast]', [ints([1, 2, 3]), null, ints([0, 5, 1, 2, 3, 4], [2, 3])]],
  ]
  it.each(cases)('%s follows NumPy advanced indexing', (_name, entries) => {
    const ref = reference(y, entries)
    expectClose(at(y, entries).get(), ref.shape, ref.data, 0)
  })
  it('out-of-range array positions are clamped on read', () => {
    const v = arr([10, 11, 12, 13, 14], [5])
    expect(at(v, ints([7, -7, -1, 0])).get().tolist()).toEqual([14, 10, 14, 10])
  })
  it('derivative: the cotangent of a read is scattered back (duplicates accumulate)', () => {
    const v = rand([5])
    const w = rand([4])
    const g = grad((t: Tracer) => sum(at(t, ints([1, 3, 1, -1])).get().mul(w)))(v)
    const wv = vals(w)
    expectClose(g, [5], [0, wv[0] + wv[2], 0, wv[1], wv[3]])
  })
  it('vmap over the array and over the positions', () => {
    const X = rand([3, 4, 5])
    const idx = ints([4, 0, -2])
    const out = vmap((t: Tracer) => at(t, [null, idx]).get())(X)
    const ref = reference(X, [null, null, idx])
    expectClose(out, ref.shape, ref.data, 0)
    const I = ints([0, 1, 2, 3, 3, 2], [3, 2])
    const v = rand([4, 2])
    const out2 = vmap((p: Tracer) => at(v, p).get())(I)
    expectClose(out2, [3, 2, 2], vals(I).flatMap((p) => [elem(v, [p, 0]), elem(v, [p, 1])]), 0)
  })
})

describe('at(x, idx).add / .set', () => {
  it('add accumulates duplicates and wraps negatives (np.add.at)', () => {
    const x = arr([0, 0, 0, 0, 0], [5])
    expect(at(x, ints([0, 0, 2, -1])).add(arr([1, 2, 3, 4], [4])).tolist()).toEqual([3, 0, 3, 0, 4])
  })
  it('set writes unique positions exactly and averages duplicates', () => {
    const x = arr([9, 9, 9, 9, 9], [5])
    expect(at(x, ints([3, -5])).set(arr([1, 2], [2])).tolist()).toEqual([2, 9, 9, 1, 9])
    expect(at(x, ints([1, 1, 4])).set(arr([2, 4, 7], [3])).tolist()).toEqual([9, 3, 9, 9, 7])
  })
  it('out-of-range updates are dropped; in-range ones still land', () => {
    const x = arr([1, 2, 3], [3])
    expect(at(x, ints([5, 0, -4])).add(arr([10, 20, 30], [3])).tolist()).toEqual([21, 2, 3])
    expect(at(x, ints([5, 2])).set(arr([10, 20], [2])).tolist()).toEqual([1, 2, 20])
  })
  it('multi-axis updates match manual copies (non-adjacent advanced axes, broadcast values)', () => {
    const x = rand([4, 5, 6])
    const p = ints([0, 3, -1])
    const q = ints([5, 1, 2])
    const v = rand([3, 5])
    // x[p, :, q] has shape [3, 5]
    const manual = vals(x)
    const st = strides(x.shape)
    const added = manual.slice()
    const setv = manual.slice()
    vals(p).forEach((pi, b) => {
      const a0 = pi < 0 ? pi + 4 : pi
      for (let m = 0; m < 5; m++) {
        const o = a0 * st[0] + m * st[1] + vals(q)[b] * st[2]
        added[o] += elem(v, [b, m])
        setv[o] = elem(v, [b, m])
      }
    })
    expectClose(at(x, [p, null, q]).add(v), [4, 5, 6], added)
    expectClose(at(x, [p, null, q]).set(v), [4, 5, 6], setv)
    // a scalar value broadcasts over the whole selection
    const zeroed = manual.slice()
    for (let a = 0; a < 4; a++) for (let c = 0; c < 6; c++) zeroed[a * st[0] + 2 * st[1] + c] = 0
    expectClose(at(x, [null, 2]).set(0), [4, 5, 6], zeroed)
  })
  it('values are cast to the array dtype; int32 and bool arrays', () => {
    const x = arr([1, 2, 3], [3], 'float32')
    const r = at(x, 1).set(arr([0.1], []))
    expect(r.dtype).toBe('float32')
    expect(vals(r)[1]).toBe(Math.fround(0.1))
    const n = ints([1, 2, 3])
    const rn = at(n, ints([0, 2])).add(5)
    expect(rn.dtype).toBe('int32')
    expect(rn.tolist()).toEqual([6, 2, 8])
    const bools = arr([0, 0, 1], [3], 'bool')
    const rb = at(bools, ints([0, 2])).set(arr([1, 0], [2], 'bool'))
    expect(rb.dtype).toBe('bool')
    expect(rb.tolist()).toEqual([true, false, false])
    expect(() => at(bools, 0).add(true)).toThrow(DTypeError)
  })
  it('set with every axis taken whole is a broadcast; add is an addition', () => {
    const x = rand([2, 3])
    expectClose(at(x, null).set(7), [2, 3], Array(6).fill(7))
    expectClose(at(x, [null, null]).add(1), [2, 3], vals(x).map((v) => v + 1))
  })
  it('derivatives: set passes x where not overwritten and v where written; add passes both', () => {
    const x = rand([5])
    const v = rand([2])
    const w = rand([5])
    const idx = ints([3, -5])
    const f = (t: Tracer, u: Tracer) => sum(at(t, idx).set(u).mul(w))
    const [gx, gv] = grad(f, { argnums: [0, 1] })(x, v) as Tracer[]
    const wv = vals(w)
    expectClose(gx, [5], [0, wv[1], wv[2], 0, wv[4]])
    expectClose(gv, [2], [wv[3], wv[0]])
    const h = (t: Tracer, u: Tracer) => sum(at(t, idx).add(u).mul(w))
    const [hx, hv] = grad(h, { argnums: [0, 1] })(x, v) as Tracer[]
    expectClose(hx, [5], wv)
    expectClose(hv, [2], [wv[3], wv[0]])
    // duplicates under set: each written value gets its share 1/count of the cotangent
    const gd = grad((u: Tracer) => sum(at(x, ints([2, 2])).set(u).mul(w)))(v)
    expectClose(gd, [2], [wv[2] / 2, wv[2] / 2])
  })
  it('vmap of an update over a batch of arrays and values', () => {
    const X = rand([3, 4])
    const V = rand([3, 2])
    const idx = ints([1, 3])
    const out = vmap((t: Tracer, u: Tracer) => at(t, idx).add(u))(X, V)
    const ref = vals(X)
    for (let b = 0; b < 3; b++) {
      ref[b * 4 + 1] += elem(V, [b, 0])
      ref[b * 4 + 3] += elem(V, [b, 1])
    }
    expectClose(out, [3, 4], ref)
  })
  it('errors: too many indices, static out-of-bounds integers, masks, float positions, shapes', () => {
    const x = rand([2, 3])
    expect(() => at(x, [0, 0, 0])).toThrow(AxisError)
    expect(() => at(x, [0, 0, 0])).toThrow(/too many indices for an array of shape \[2, 3\]/)
    expect(() => at(x, [0, 3])).toThrow(/index 3 is out of bounds for axis 1 with size 3/)
    expect(() => at(x, -3)).toThrow(AxisError)
    expect(() => at(x, 0.5)).toThrow(ValueError)
    expect(() => at(x, arr([1, 0], [2], 'bool'))).toThrow(/boolean mask indices are not supported.*np\.where/)
    expect(() => at(x, arr([1, 0], [2]))).toThrow(/index arrays must be int32, got f64\[2\] for axis 0.*dtype: 'int32'/)
    expect(() => at(x, [ints([0, 1]), ints([0, 1, 2])])).toThrow(ShapeError)
    expect(() => at(x, ints([0, 1])).set(rand([4]))).toThrow(ShapeError)
    expect(() => at(x, ints([0, 1])).set(rand([4]))).toThrow(/at\(\.\.\.\)\.set: a value of shape \[4\] does not broadcast to the indexed selection x\[idx\] of shape \[2, 3\]/)
  })
})

describe('take', () => {
  const x = rand([3, 4])
  it('without an axis: positions in the flattened array', () => {
    expectClose(take(x, ints([0, 11, -1, 5])), [4], [0, 11, 11, 5].map((f) => vals(x)[f]), 0)
    expectClose(take(x, [[1, 2], [3, 4]]), [2, 2], [1, 2, 3, 4].map((f) => vals(x)[f]), 0)
  })
  it('along an axis: x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]', () => {
    const idx = ints([3, -1, 0, 2, 2, 1], [2, 3])
    const r = take(x, idx, 1)
    expect(r.shape).toEqual([3, 2, 3])
    expectClose(r, [3, 2, 3], multiIndices([3, 2, 3]).map(([a, b, c]) => {
      const p = vals(idx)[b * 3 + c]
      return elem(x, [a, p < 0 ? p + 4 : p])
    }), 0)
    expectClose(take(x, [2, 0], 0), [2, 4], [...vals(x).slice(8), ...vals(x).slice(0, 4)], 0)
    expectClose(take(x, 1, -1), [3], [elem(x, [0, 1]), elem(x, [1, 1]), elem(x, [2, 1])], 0)
  })
  it('clamps out-of-range positions; validates positions', () => {
    expectClose(take(x, [9, -9], 0), [2, 4], [...vals(x).slice(8), ...vals(x).slice(0, 4)], 0)
    expect(() => take(x, arr([0, 1], [2]))).toThrow(/indices must be int32.*dtype: 'int32'/)
    expect(() => take(x, [0.5])).toThrow(ValueError)
    expect(() => take(x, [0], 2)).toThrow(AxisError)
  })
  it('gradient scatters back', () => {
    const g = grad((t: Tracer) => sum(take(t, [0, 0, 2], 1)))(x)
    expectClose(g, [3, 4], [2, 0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0])
  })
})

describe('takeAlongAxis', () => {
  it('matches manual picks, wraps negatives, broadcasts the other axes', () => {
    const x = rand([3, 4])
    const idx = ints([3, -1, 0, 1, 2, 2, -4, 0, 1, 1, 1, 1], [3, 4])
    expectClose(takeAlongAxis(x, idx, 1), [3, 4], multiIndices([3, 4]).map(([a, b]) => {
      const p = elem(idx, [a, b])
      return elem(x, [a, p < 0 ? p + 4 : p])
    }), 0)
    expectClose(takeAlongAxis(x, ints([2, 0, 1, 0], [1, 4]), 0), [1, 4], [elem(x, [2, 0]), elem(x, [0, 1]), elem(x, [1, 2]), elem(x, [0, 3])], 0)
    const m = arr([1, 2, 3, 4, 5, 6], [2, 3])
    expect(takeAlongAxis(m, ints([1, 0], [2, 1]), 0).tolist()).toEqual([[4, 5, 6], [1, 2, 3]])
    expect(takeAlongAxis(m, ints([2, 0], [1, 2]), 1).tolist()).toEqual([[3, 1], [6, 4]])
    expectClose(takeAlongAxis(x, [11, 0], null), [2], [vals(x)[11], vals(x)[0]], 0)
  })
  it('errors: rank mismatch, non-integer positions', () => {
    expect(() => takeAlongAxis(rand([3, 4]), ints([0, 1]), 1)).toThrow(ShapeError)
    expect(() => takeAlongAxis(rand([3, 4]), arr([0], [1, 1]), 1)).toThrow(DTypeError)
    expect(() => takeAlongAxis(rand([3, 4]), ints([0], [1, 1]), null)).toThrow(ValueError)
  })
})

describe('sort and argsort', () => {
  it('sort matches a JS sort along each axis; NaN sorts last', () => {
    const x = rand([3, 5])
    const rows = [0, 1, 2].map((r) => vals(x).slice(r * 5, r * 5 + 5).sort((a, b) => a - b))
    expectClose(sort(x), [3, 5], rows.flat(), 0)
    const cols = [0, 1, 2, 3, 4].map((c) => [0, 1, 2].map((r) => elem(x, [r, c])).sort((a, b) => a - b))
    expectClose(sort(x, 0), [3, 5], multiIndices([3, 5]).map(([r, c]) => cols[c][r]), 0)
    expectClose(sort(x, null), [15], vals(x).sort((a, b) => a - b), 0)
    expectClose(sort(arr([3, NaN, -1, 2], [4])), [4], [-1, 2, 3, NaN], 0)
  })
  it('argsort is stable: equal elements keep their order', () => {
    const data = Array.from({ length: 40 }, () => Math.floor(rnd() * 5))
    const x = arr(data, [4, 10])
    const ref = [0, 1, 2, 3].flatMap((r) =>
      [...Array(10).keys()].sort((a, b) => data[r * 10 + a] - data[r * 10 + b] || a - b),
    )
    const got = argsort(x)
    expect(got.dtype).toBe('int32')
    expect(vals(got)).toEqual(ref)
    expect(vals(argsort(ints(data.slice(0, 10)), 0))).toEqual(ref.slice(0, 10))
    expect(vals(argsort(arr([1, 1, 1], [3])))).toEqual([0, 1, 2])
    expect(vals(argsort(arr([2, 1, 3, 0], [2, 2]), null))).toEqual([3, 1, 0, 2])
    expect(() => sort(arr([1], []))).toThrow(AxisError)
  })
  it('the gradient of sort is the cotangent permuted back', () => {
    const x = arr([0.3, -1.2, 2.5, 0.1], [4])
    const w = arr([1, 2, 3, 4], [4])
    // sorted order: -1.2 (1), 0.1 (3), 0.3 (0), 2.5 (2)
    expectClose(grad((t: Tracer) => sum(sort(t).mul(w)))(x), [4], [3, 1, 4, 2])
  })
})
