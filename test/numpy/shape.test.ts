import { describe, expect, it } from 'vitest'
import { AxisError, ShapeError, ValueError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { shaped } from '../../src/ir/aval'
import * as np from '../../src/numpy/shape'
import { check, f32, f64, i32, indices, offset, vals } from './helpers'

const shape3 = [2, 3, 4]
const data3 = [...Array(24).keys()].map((i) => i * 1.5 - 7)
const x3 = () => f64(data3, shape3)

/** out[idx] = x[src(idx)] over all output multi-indices. */
const gatherRef = (data: readonly number[], shape: readonly number[], outShape: readonly number[], src: (idx: number[]) => number[] | null, fill = 0): number[] =>
  indices(outShape).map((idx) => {
    const s = src(idx)
    return s === null ? fill : data[offset(shape, s)]
  })

const permRef = (perm: readonly number[]) => {
  const outShape = perm.map((p) => shape3[p])
  return {
    shape: outShape,
    values: gatherRef(data3, shape3, outShape, (idx) => {
      const s = new Array(perm.length)
      perm.forEach((p, i) => (s[p] = idx[i]))
      return s
    }),
  }
}

describe('reshape and ravel', () => {
  it('infers one -1 and keeps row-major order', () => {
    check(np.reshape(x3(), [4, -1]), { shape: [4, 6], dtype: 'float64' }, data3)
    check(np.reshape(x3(), [-1]), { shape: [24], dtype: 'float64' }, data3)
    check(np.reshape(x3(), 24), { shape: [24], dtype: 'float64' }, data3)
    check(np.reshape(f64([5], []), [1, 1]), { shape: [1, 1], dtype: 'float64' }, [5])
    check(np.reshape(f64([], [0, 3]), [3, 0]), { shape: [3, 0], dtype: 'float64' }, [])
    const x = x3()
    expect(np.reshape(x, [2, 3, 4])).toBe(x)
    check(np.ravel(x), { shape: [24], dtype: 'float64' }, data3)
  })
  it('rejects two unknowns, wrong sizes, bad entries', () => {
    expect(() => np.reshape(x3(), [-1, -1])).toThrow(ValueError)
    expect(() => np.reshape(x3(), [-1, -1])).toThrow(/can only specify one unknown dimension/)
    expect(() => np.reshape(x3(), [5, -1])).toThrow(ShapeError)
    expect(() => np.reshape(x3(), [5, -1])).toThrow(/reshape: cannot reshape f64\[2,3,4\] \(24 elements\) to \[5, -1\]/)
    expect(() => np.reshape(x3(), [5, 5])).toThrow(ShapeError)
    expect(() => np.reshape(f64([], [0]), [0, -1])).toThrow(ShapeError)
    expect(() => np.reshape(x3(), [-2, -12])).toThrow(ValueError)
  })
})

describe('transpose, swapaxes, moveaxis', () => {
  it('transpose reverses axes by default and accepts negative axes', () => {
    const r = permRef([2, 1, 0])
    check(np.transpose(x3()), { shape: r.shape, dtype: 'float64' }, r.values)
    const q = permRef([1, 2, 0])
    check(np.transpose(x3(), [1, -1, 0]), { shape: q.shape, dtype: 'float64' }, q.values)
    const x = x3()
    expect(np.transpose(x, [0, 1, 2])).toBe(x)
    check(np.transpose(f64([3], [])), { shape: [], dtype: 'float64' }, [3])
  })
  it('transpose rejects non-permutations', () => {
    expect(() => np.transpose(x3(), [0, 0, 1])).toThrow(AxisError)
    expect(() => np.transpose(x3(), [0, 1])).toThrow(/not a permutation of the 3 axes of f64\[2,3,4\]/)
    expect(() => np.transpose(x3(), [0, 1, 3])).toThrow(AxisError)
  })
  it('swapaxes and moveaxis', () => {
    const s = permRef([2, 1, 0])
    check(np.swapaxes(x3(), 0, -1), { shape: s.shape, dtype: 'float64' }, s.values)
    const m = permRef([1, 2, 0])
    check(np.moveaxis(x3(), 0, -1), { shape: m.shape, dtype: 'float64' }, m.values)
    // NumPy: moveaxis(x, [0, 1], [-1, -2]).shape == (4, 3, 2)
    const mm = permRef([2, 1, 0])
    check(np.moveaxis(x3(), [0, 1], [-1, -2]), { shape: [4, 3, 2], dtype: 'float64' }, mm.values)
    const back = permRef([2, 0, 1])
    check(np.moveaxis(x3(), 2, 0), { shape: back.shape, dtype: 'float64' }, back.values)
    expect(() => np.moveaxis(x3(), [0, 1], [0])).toThrow(ValueError)
    expect(() => np.moveaxis(x3(), [0, 0], [1, 2])).toThrow(AxisError)
    const t = np.matrixTranspose(x3())
    const mt = permRef([0, 2, 1])
    check(t, { shape: mt.shape, dtype: 'float64' }, mt.values)
  })
})

describe('expandDims, squeeze, broadcastTo, atleast*', () => {
  it('expandDims inserts size-1 axes at result positions', () => {
    check(np.expandDims(f64([1, 2]), 0), { shape: [1, 2], dtype: 'float64' }, [1, 2])
    check(np.expandDims(f64([1, 2]), -1), { shape: [2, 1], dtype: 'float64' }, [1, 2])
    check(np.expandDims(f64([1, 2]), [0, 2]), { shape: [1, 2, 1], dtype: 'float64' }, [1, 2])
    check(np.expandDims(f64([1], []), [-1, 0]), { shape: [1, 1], dtype: 'float64' }, [1])
    expect(() => np.expandDims(f64([1, 2]), [0, 0])).toThrow(AxisError)
    expect(() => np.expandDims(f64([1, 2]), 3)).toThrow(AxisError)
  })
  it('squeeze removes all or the given size-1 axes', () => {
    const x = f64([1, 2, 3], [1, 3, 1])
    check(np.squeeze(x), { shape: [3], dtype: 'float64' }, [1, 2, 3])
    check(np.squeeze(x, -1), { shape: [1, 3], dtype: 'float64' }, [1, 2, 3])
    check(np.squeeze(x, [0, 2]), { shape: [3], dtype: 'float64' }, [1, 2, 3])
    const y = f64([1, 2])
    expect(np.squeeze(y)).toBe(y)
    expect(() => np.squeeze(x, 1)).toThrow(ShapeError)
    expect(() => np.squeeze(x, 1)).toThrow(/axis 1 of f64\[1,3,1\] has size 3/)
  })
  it('broadcastTo follows NumPy rules', () => {
    check(np.broadcastTo(i32([1, 2, 3]), [2, 3]), { shape: [2, 3], dtype: 'int32' }, [1, 2, 3, 1, 2, 3])
    check(np.broadcastTo(5, [2]), { shape: [2], dtype: 'int32', weak: true }, [5, 5])
    check(np.broadcastTo(f64([1, 2], [2, 1]), [2, 2]), { shape: [2, 2], dtype: 'float64' }, [1, 1, 2, 2])
    expect(() => np.broadcastTo(f64([1, 2]), [3])).toThrow(ShapeError)
    expect(() => np.broadcastTo(f64([1, 2]), [-1])).toThrow(ValueError)
  })
  it('broadcastShapes and broadcastArrays', () => {
    expect(np.broadcastShapes([3, 1], [4])).toEqual([3, 4])
    expect(() => np.broadcastShapes([3], [4])).toThrow('broadcastShapes: operands could not be broadcast together with shapes [3] [4]')
    const [a, b] = np.broadcastArrays(f64([1, 2]), i32([7], []))
    check(a, { shape: [2], dtype: 'float64' }, [1, 2])
    check(b, { shape: [2], dtype: 'int32' }, [7, 7])
  })
  it('atleast1d and atleast2d', () => {
    check(np.atleast1d(f64([4], [])), { shape: [1], dtype: 'float64' }, [4])
    const v = f64([1, 2])
    expect(np.atleast1d(v)).toBe(v)
    check(np.atleast2d(v), { shape: [1, 2], dtype: 'float64' }, [1, 2])
    check(np.atleast2d(3), { shape: [1, 1], dtype: 'int32', weak: true }, [3])
  })
})

describe('concatenate, stack, split', () => {
  it('concatenate along axes, promoting dtypes', () => {
    const a = f64([1, 2, 3, 4], [2, 2])
    const b = f64([5, 6], [1, 2])
    check(np.concatenate([a, b]), { shape: [3, 2], dtype: 'float64' }, [1, 2, 3, 4, 5, 6])
    check(np.concatenate([a, f64([7, 8], [2, 1])], -1), { shape: [2, 3], dtype: 'float64' }, [1, 2, 7, 3, 4, 8])
    check(np.concatenate([i32([1]), f32([0.5, 2])]), { shape: [3], dtype: 'float32' }, [1, 0.5, 2])
    check(np.concatenate([a, b], null), { shape: [6], dtype: 'float64' }, [1, 2, 3, 4, 5, 6])
    check(np.concatenate([f64([], [0]), f64([1])]), { shape: [1], dtype: 'float64' }, [1])
    check(np.concatenate([i32([1, 2])]), { shape: [2], dtype: 'int32' }, [1, 2])
  })
  it('concatenate errors', () => {
    expect(() => np.concatenate([])).toThrow(ValueError)
    expect(() => np.concatenate([f64([1], []), f64([2], [])])).toThrow(/zero-dimensional arrays cannot be concatenated/)
    expect(() => np.concatenate([f64([1, 2, 3, 4], [2, 2]), f64([1, 2, 3], [1, 3])])).toThrow(ShapeError)
    expect(() => np.concatenate([f64([1, 2, 3, 4], [2, 2]), f64([1, 2, 3], [1, 3])])).toThrow(
      /concatenate: all input array dimensions except for the concatenation axis 0 must match exactly, got shapes \[2, 2\] \[1, 3\]/,
    )
    expect(() => np.concatenate([f64([1]), f64([1], [1, 1])])).toThrow(ShapeError)
    expect(() => np.concatenate([f64([1])], 1)).toThrow(AxisError)
  })
  it('stack along a new axis', () => {
    const a = f64([1, 2, 3])
    const b = f64([4, 5, 6])
    check(np.stack([a, b]), { shape: [2, 3], dtype: 'float64' }, [1, 2, 3, 4, 5, 6])
    check(np.stack([a, b], 1), { shape: [3, 2], dtype: 'float64' }, [1, 4, 2, 5, 3, 6])
    check(np.stack([a, b], -1), { shape: [3, 2], dtype: 'float64' }, [1, 4, 2, 5, 3, 6])
    check(np.stack([f64([1], []), 2, i32([3], [])]), { shape: [3], dtype: 'float64' }, [1, 2, 3])
    check(np.stack([a]), { shape: [1, 3], dtype: 'float64' }, [1, 2, 3])
    expect(() => np.stack([a, f64([1, 2])])).toThrow(ShapeError)
    expect(() => np.stack([a, f64([1, 2])])).toThrow('stack: all input arrays must have the same shape, got [3] [2]')
    expect(() => np.stack([])).toThrow(ValueError)
    expect(() => np.stack([a, b], 2)).toThrow(AxisError)
  })
  it('vstack and hstack', () => {
    check(np.vstack([f64([1, 2]), f64([3, 4])]), { shape: [2, 2], dtype: 'float64' }, [1, 2, 3, 4])
    check(np.hstack([f64([1, 2]), f64([3])]), { shape: [3], dtype: 'float64' }, [1, 2, 3])
    check(np.hstack([f64([1, 2], [2, 1]), f64([3, 4], [2, 1])]), { shape: [2, 2], dtype: 'float64' }, [1, 3, 2, 4])
  })
  it('split into sections or at indices', () => {
    const parts = np.split(x3(), 3, 1)
    expect(parts.length).toBe(3)
    parts.forEach((p, k) => {
      const want = gatherRef(data3, shape3, [2, 1, 4], (idx) => [idx[0], k, idx[2]])
      check(p, { shape: [2, 1, 4], dtype: 'float64' }, want)
    })
    const v = f64([0, 1, 2, 3, 4, 5])
    expect(np.split(v, [2, 3]).map(vals)).toEqual([[0, 1], [2], [3, 4, 5]])
    expect(np.split(v, [-2, 10]).map(vals)).toEqual([[0, 1, 2, 3], [4, 5], []])
    expect(np.split(v, [4, 2]).map(vals)).toEqual([[0, 1, 2, 3], [], [2, 3, 4, 5]])
    expect(np.split(x3(), 2, -1).map((p) => p.shape)).toEqual([[2, 3, 2], [2, 3, 2]])
    expect(() => np.split(v, 4)).toThrow(ValueError)
    expect(() => np.split(v, 4)).toThrow(/array split does not result in an equal division: axis 0 of size 6 into 4 sections/)
    expect(() => np.split(v, 0)).toThrow(ValueError)
    expect(() => np.split(f64([1], []), 1)).toThrow(ValueError)
  })
})

describe('flip and roll', () => {
  it('flip reverses one, several or all axes', () => {
    for (const axis of [0, 1, -1]) {
      const a = (axis + 3) % 3
      const want = gatherRef(data3, shape3, shape3, (idx) => idx.map((v, d) => (d === a ? shape3[d] - 1 - v : v)))
      check(np.flip(x3(), axis), { shape: shape3, dtype: 'float64' }, want)
    }
    const all = gatherRef(data3, shape3, shape3, (idx) => idx.map((v, d) => shape3[d] - 1 - v))
    check(np.flip(x3()), { shape: shape3, dtype: 'float64' }, all)
    const two = gatherRef(data3, shape3, shape3, (idx) => idx.map((v, d) => (d !== 1 ? shape3[d] - 1 - v : v)))
    check(np.flip(x3(), [0, 2]), { shape: shape3, dtype: 'float64' }, two)
    check(np.flip(i32([1, 2, 3])), { shape: [3], dtype: 'int32' }, [3, 2, 1])
    check(np.flip(f64([], [0, 2]), 0), { shape: [0, 2], dtype: 'float64' }, [])
    check(np.flip(f64([7], [])), { shape: [], dtype: 'float64' }, [7])
    expect(() => np.flip(x3(), 3)).toThrow(AxisError)
  })
  it('roll shifts cyclically', () => {
    const v = f64([0, 1, 2, 3, 4])
    const rollRef = (s: number) => [0, 1, 2, 3, 4].map((i) => (((i - s) % 5) + 5) % 5)
    for (const s of [0, 1, 2, -1, 7, -12]) check(np.roll(v, s), { shape: [5], dtype: 'float64' }, rollRef(s))
    const m = f64([1, 2, 3, 4, 5, 6], [2, 3])
    check(np.roll(m, 1, 1), { shape: [2, 3], dtype: 'float64' }, [3, 1, 2, 6, 4, 5])
    check(np.roll(m, 1), { shape: [2, 3], dtype: 'float64' }, [6, 1, 2, 3, 4, 5])
    expect(() => np.roll(v, 0.5)).toThrow(ValueError)
  })
})

describe('pad, tile, repeat', () => {
  const m = () => f64([1, 2, 3, 4], [2, 2])
  const padRef = (shape: number[], data: number[], pairs: [number, number][], c: number) => {
    const outShape = shape.map((d, i) => d + pairs[i][0] + pairs[i][1])
    return {
      shape: outShape,
      values: gatherRef(data, shape, outShape, (idx) => {
        const s = idx.map((v, d) => v - pairs[d][0])
        return s.every((v, d) => v >= 0 && v < shape[d]) ? s : null
      }, c),
    }
  }
  it('pad with n, [before, after], per-axis pairs and a constant', () => {
    let r = padRef([2, 2], [1, 2, 3, 4], [[1, 1], [1, 1]], 0)
    check(np.pad(m(), 1), { shape: r.shape, dtype: 'float64' }, r.values)
    r = padRef([2, 2], [1, 2, 3, 4], [[1, 2], [1, 2]], 0)
    check(np.pad(m(), [1, 2]), { shape: r.shape, dtype: 'float64' }, r.values)
    r = padRef([2, 2], [1, 2, 3, 4], [[0, 1], [2, 0]], -9)
    check(np.pad(m(), [[0, 1], [2, 0]], { constantValues: -9 }), { shape: r.shape, dtype: 'float64' }, r.values)
    r = padRef([2, 2], [1, 2, 3, 4], [[3, 0], [3, 0]], 0)
    check(np.pad(m(), [[3, 0]]), { shape: r.shape, dtype: 'float64' }, r.values)
    check(np.pad(i32([5]), [2, 1], { constantValues: 7.9 }), { shape: [4], dtype: 'int32' }, [7, 7, 5, 7])
    check(np.pad(f32([1]), 1, { constantValues: f64([0.5], []) }), { shape: [3], dtype: 'float32' }, [0.5, 1, 0.5])
    const x = m()
    expect(np.pad(x, 0)).toBe(x)
  })
  it('pad rejects negative or malformed widths', () => {
    expect(() => np.pad(m(), -1)).toThrow(ValueError)
    expect(() => np.pad(m(), -1)).toThrow(/padWidth must be non-negative/)
    expect(() => np.pad(m(), [1, 2, 3])).toThrow(/padWidth must be n, \[before, after\], or one \[before, after\] per axis \(2\)/)
    expect(() => np.pad(m(), [[1, 1], [1, 1], [1, 1]])).toThrow(ValueError)
    expect(() => np.pad(m(), 1.5)).toThrow(ValueError)
    expect(() => np.pad(m(), 1, { constantValues: f64([1, 2]) })).toThrow(ShapeError)
  })
  it('tile repeats the whole array', () => {
    const tileRef = (shape: number[], data: number[], reps: number[]) => {
      const nd = Math.max(shape.length, reps.length)
      const s = [...Array(nd - shape.length).fill(1), ...shape]
      const r = [...Array(nd - reps.length).fill(1), ...reps]
      const outShape = s.map((d, i) => d * r[i])
      return { shape: outShape, values: gatherRef(data, s, outShape, (idx) => idx.map((v, d) => v % s[d])) }
    }
    for (const [shape, reps] of [[[2], [2, 2]], [[2, 2], [3]], [[2, 2], [2, 1, 1]], [[2, 3], [2, 3]], [[2], [0]]] as const) {
      const n = shape.reduce((a, b) => a * b, 1)
      const data = [...Array(n).keys()].map((i) => i + 1)
      const r = tileRef([...shape], data, [...reps])
      check(np.tile(f64(data, [...shape]), [...reps]), { shape: r.shape, dtype: 'float64' }, r.values)
    }
    check(np.tile(i32([1, 2]), 2), { shape: [4], dtype: 'int32' }, [1, 2, 1, 2])
    expect(() => np.tile(f64([1]), [-1])).toThrow(ValueError)
  })
  it('repeat repeats each element', () => {
    check(np.repeat(m(), 2), { shape: [8], dtype: 'float64' }, [1, 1, 2, 2, 3, 3, 4, 4])
    check(np.repeat(m(), 3, 1), { shape: [2, 6], dtype: 'float64' }, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
    check(np.repeat(m(), 2, 0), { shape: [4, 2], dtype: 'float64' }, [1, 2, 1, 2, 3, 4, 3, 4])
    check(np.repeat(m(), 0, -1), { shape: [2, 0], dtype: 'float64' }, [])
    const x = m()
    expect(np.repeat(x, 1, 0)).toBe(x)
    expect(() => np.repeat(m(), -1)).toThrow(ValueError)
    expect(() => np.repeat(m(), 2, 2)).toThrow(AxisError)
  })
})

describe('traceability', () => {
  it('shape functions stage into jaxprs', () => {
    const f = (x: Tracer) => [np.flip(np.pad(np.stack([x, x], 1), 1), 0), ...np.split(np.tile(x, 2), 2)]
    const j = traceToJaxpr(f, [shaped([3], 'float32')])
    expect(j.jaxpr.outs.map((o) => o.aval.shape)).toEqual([[5, 4], [3], [3]])
    const prims = new Set(j.jaxpr.eqns.map((e) => e.prim))
    for (const p of ['gather', 'pad', 'concatenate', 'slice', 'broadcast_in_dim']) expect(prims).toContain(p)
  })
})
