import { describe, expect, it } from 'vitest'
import '../../src/rules'
import { ConcreteArray } from '../../src/core/array'
import { AxisError, ShapeError, ValueError } from '../../src/core/errors'
import { type BDim, type Tangent, Zero, isZero, registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { type Shape, sizeOf } from '../../src/ir/aval'
import { type DType, allocate } from '../../src/ir/dtypes'
import { gatherRules } from '../../src/primitives/gather'
import { sort, sortRules } from '../../src/primitives/sort'

registerRules(gatherRules)
registerRules(sortRules)
const R = sortRules.sort

// ---- helpers ---------------------------------------------------------------------------

let seed = 24680
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0
  return ((seed >>> 8) & 0xffff) / 0x10000
}
/** Random data; `levels` > 0 draws from that many distinct values (to force ties). */
const rand = (shape: Shape, dtype: DType = 'float64', levels = 0): ConcreteArray => {
  const data = allocate(dtype, sizeOf(shape))
  for (let i = 0; i < data.length; i++) {
    const u = rnd()
    data[i] = dtype === 'bool' ? (u < 0.5 ? 1 : 0) : levels > 0 ? Math.floor(u * levels) - 1 : dtype === 'int32' ? Math.floor(u * 2000) - 1000 : u * 4 - 2
  }
  return new ConcreteArray(data, shape, dtype)
}
const arr = (data: number[], shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const d = allocate(dtype, data.length)
  d.set(data)
  return new ConcreteArray(d, shape, dtype)
}
const c = (x: Tracer | Tangent): ConcreteArray => x as ConcreteArray
const vals = (x: Tracer | Tangent): number[] => Array.from(c(x).data)

const multiIndices = (shape: Shape): number[][] =>
  shape.reduce<number[][]>((acc, n) => acc.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i])), [[]])
const flat = (shape: Shape, idx: readonly number[]): number => idx.reduce((acc, v, d) => acc * shape[d] + v, 0)

/** x < y in NumPy's order (NaN last, −0 = 0). */
const less = (x: number, y: number): boolean => (Number.isNaN(x) ? false : Number.isNaN(y) ? true : x < y)

/**
 * Reference sort by ranking: along each lane, element j goes to position
 * #{i : key_i precedes key_j lexicographically, or keys tie and i < j}.
 */
const refSort = (xs: ConcreteArray[], dim: number, numKeys: number): number[][] => {
  const shape = xs[0].shape
  const outs = xs.map((x) => new Array<number>(x.size))
  for (const m of multiIndices(shape)) {
    if (m[dim] !== 0) continue
    const at = (j: number) => flat(shape, m.map((v, d) => (d === dim ? j : v)))
    const precedes = (i: number, j: number): boolean => {
      for (let k = 0; k < numKeys; k++) {
        const [a, b] = [xs[k].data[at(i)], xs[k].data[at(j)]]
        if (less(a, b)) return true
        if (less(b, a)) return false
      }
      return i < j
    }
    const n = shape[dim]
    for (let j = 0; j < n; j++) {
      let rank = 0
      for (let i = 0; i < n; i++) if (i !== j && precedes(i, j)) rank++
      xs.forEach((x, o) => (outs[o][at(rank)] = x.data[at(j)]))
    }
  }
  return outs
}

const slab = (x: ConcreteArray, axis: number, i: number): ConcreteArray => {
  const shape = x.shape.filter((_, a) => a !== axis)
  const data = allocate(x.dtype, sizeOf(shape))
  multiIndices(shape).forEach((m, f) => (data[f] = x.data[flat(x.shape, [...m.slice(0, axis), i, ...m.slice(axis)])]))
  return new ConcreteArray(data, shape, x.dtype)
}
const withAxis = (shape: Shape, axis: number, n: number): number[] => [...shape.slice(0, axis), n, ...shape.slice(axis)]
const axpy = (x: ConcreteArray, t: ConcreteArray, e: number): ConcreteArray =>
  new ConcreteArray(Float64Array.from(x.data, (v, i) => v + e * t.data[i]), x.shape, x.dtype)

// ---- impl --------------------------------------------------------------------------------

describe('sort impl', () => {
  it('sorts a vector (hand-computed)', () => {
    expect(vals(sort([arr([3, 1, 2, -5, 0], [5])], 0)[0])).toEqual([-5, 0, 1, 2, 3])
  })

  it('puts NaNs last and treats -0 as 0 (stable)', () => {
    const x = arr([NaN, 1, -0, NaN, 0, -Infinity, Infinity], [7])
    const pos = arr([0, 1, 2, 3, 4, 5, 6], [7], 'int32')
    const [y, p] = sort([x, pos], 0)
    expect(vals(p)).toEqual([5, 2, 4, 1, 6, 0, 3])
    expect(Object.is(vals(y)[1], -0)).toBe(true)
    expect(vals(y).slice(5).every(Number.isNaN)).toBe(true)
  })

  it('is stable: equal keys keep their order', () => {
    const keys = arr([2, 1, 2, 1, 2, 1], [6])
    const tag = arr([0, 1, 2, 3, 4, 5], [6])
    const [k, t] = sort([keys, tag], 0)
    expect(vals(k)).toEqual([1, 1, 1, 2, 2, 2])
    expect(vals(t)).toEqual([1, 3, 5, 0, 2, 4])
  })

  it('sorts lexicographically by numKeys keys (hand-computed)', () => {
    const a = arr([1, 0, 1, 0], [4], 'int32')
    const b = arr([5, 7, 2, 3], [4])
    const tag = arr([10, 11, 12, 13], [4], 'int32')
    expect(sort([a, b, tag], 0, 2).map(vals)).toEqual([[0, 0, 1, 1], [3, 7, 2, 5], [13, 11, 12, 10]])
    // with one key, b only follows a's (stable) order
    expect(sort([a, b, tag], 0, 1).map(vals)).toEqual([[0, 0, 1, 1], [7, 3, 5, 2], [11, 13, 10, 12]])
  })

  for (const dtype of ['float64', 'float32', 'int32', 'bool'] as const) {
    for (const [shape, dim] of [[[7], 0], [[3, 5], 0], [[3, 5], 1], [[2, 4, 3], 1], [[2, 3, 4], 2]] as Array<[number[], number]>) {
      it(`${dtype} [${shape}] along ${dim} with ties, 1 and 2 keys: matches the reference`, () => {
        const key = rand(shape, dtype, dtype === 'bool' ? 0 : 4)
        const key2 = rand(shape, 'float64', 3)
        const payload = rand(shape, 'float32')
        for (const numKeys of [1, 2]) {
          const ins = [key, key2, payload]
          const outs = R.impl(ins, { dimension: dim, numKeys })
          expect(outs.map((o) => Array.from(o.data))).toEqual(refSort(ins, dim, numKeys))
          expect(outs.map((o) => o.aval)).toEqual(R.abstractEval(ins.map((x) => x.aval), { dimension: dim, numKeys }))
        }
      })
    }
  }

  it('long lanes (insertion runs and merges) with ties and NaNs against the reference', () => {
    for (const [shape, dim] of [[[100], 0], [[37, 3], 0], [[2, 65], 1], [[16], 0], [[17], 0], [[33, 2], 0]] as Array<[number[], number]>) {
      const key = rand(shape, 'float64', 9)
      for (let i = 0; i < key.size; i += 7) key.data[i] = NaN
      const tag = arr([...Array(key.size).keys()], shape, 'int32')
      expect(R.impl([key, tag], { dimension: dim, numKeys: 1 }).map((o) => Array.from(o.data))).toEqual(refSort([key, tag], dim, 1))
      const key2 = rand(shape, 'int32', 3)
      expect(R.impl([key2, key, tag], { dimension: dim, numKeys: 2 }).map((o) => Array.from(o.data))).toEqual(refSort([key2, key, tag], dim, 2))
    }
  })

  it('float keys with NaNs against the reference', () => {
    const x = rand([4, 6])
    for (const i of [1, 5, 6, 13, 23]) x.data[i] = NaN
    const tag = arr([...Array(24).keys()], [4, 6], 'int32')
    for (const dim of [0, 1]) expect(R.impl([x, tag], { dimension: dim, numKeys: 1 }).map((o) => Array.from(o.data))).toEqual(refSort([x, tag], dim, 1))
  })

  it('negative dimension in the wrapper; dtypes and weak types kept', () => {
    const x = arr([3, 1, 2, 0, 5, 4], [2, 3], 'float32')
    const w = new ConcreteArray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3], 'float64', true)
    const [y, z] = sort([x, w], -1)
    expect(vals(y)).toEqual([1, 2, 3, 0, 4, 5])
    expect(vals(z)).toEqual([2, 3, 1, 4, 6, 5])
    expect(y.dtype).toBe('float32')
    expect(z.weakType).toBe(true)
  })

  it('empty arrays', () => {
    expect(sort([rand([0])], 0)[0].shape).toEqual([0])
    expect(sort([rand([3, 0])], 0)[0].shape).toEqual([3, 0])
    expect(sort([rand([0, 3])], 1)[0].shape).toEqual([0, 3])
  })

  it('validates', () => {
    expect(() => sort([], 0)).toThrow(ValueError)
    expect(() => sort([rand([3]), rand([4])], 0)).toThrow(ShapeError)
    expect(() => sort([rand([3]), rand([4])], 0)).toThrow(/equal shapes/)
    expect(() => sort([arr([1], [])], 0)).toThrow(AxisError)
    expect(() => sort([rand([2, 3])], 2)).toThrow(AxisError)
    expect(() => sort([rand([2, 3])], 0, 2)).toThrow(/numKeys/)
    expect(() => sort([rand([2, 3])], 0, 0)).toThrow(ValueError)
    expect(() => R.abstractEval([rand([2, 3]).aval], { dimension: -1, numKeys: 1 })).toThrow(/normalized/)
    expect(() => R.abstractEval([arr([1], []).aval], { dimension: 0, numKeys: 1 })).toThrow(/0-d/)
    expect(() => R.impl([rand([2, 3])], { dimension: 1, numKeys: 1.5 })).toThrow(ValueError)
  })
})

// ---- rules -------------------------------------------------------------------------------

describe('sort rules', () => {
  for (const [shape, dim] of [[[6], 0], [[3, 5], 0], [[3, 5], 1], [[2, 4, 3], 1]] as Array<[number[], number]>) {
    it(`jvp matches finite differences: [${shape}] along ${dim}`, () => {
      const x = rand(shape)
      const v = rand(shape)
      const [dx, dv] = [rand(shape), rand(shape)]
      const p = { dimension: dim, numKeys: 1 }
      const [ys, ts] = R.jvp([x, v], [dx, dv], p)
      expect(ys.map(vals)).toEqual(R.impl([x, v], p).map((o) => Array.from(o.data)))
      const eps = 1e-6
      const plus = R.impl([axpy(x, dx, eps), axpy(v, dv, eps)], p)
      const minus = R.impl([axpy(x, dx, -eps), axpy(v, dv, -eps)], p)
      ts.forEach((t, o) => {
        const fd = Array.from(plus[o].data, (a, i) => (a - minus[o].data[i]) / (2 * eps))
        vals(t).forEach((g, i) => expect(Math.abs(g - fd[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd[i]))))
      })
    })
  }

  it('jvp with two keys and an int32 key: tangents follow the permutation', () => {
    const a = arr([1, 0, 1, 0], [4], 'int32')
    const b = arr([5, 7, 2, 3], [4])
    const db = arr([0.5, 0.7, 0.2, 0.3], [4])
    const [ys, [ta, tb]] = R.jvp([a, b], [new Zero(a.aval), db], { dimension: 0, numKeys: 2 })
    expect(ys.map(vals)).toEqual([[0, 0, 1, 1], [3, 7, 2, 5]])
    expect(isZero(ta)).toBe(true)
    expect(vals(tb)).toEqual([0.3, 0.7, 0.2, 0.5])
  })

  it('all-zero tangents stay symbolic', () => {
    const x = rand([3, 2])
    const [ys, ts] = R.jvp([x], [new Zero(x.aval)], { dimension: 0, numKeys: 1 })
    expect(ys.length).toBe(1)
    expect(isZero(ts[0])).toBe(true)
    expect((ts[0] as Zero).aval.shape).toEqual([3, 2])
  })

  it('jvp over an empty sort axis', () => {
    const x = rand([2, 0])
    const [, [t]] = R.jvp([x], [rand([2, 0])], { dimension: 1, numKeys: 1 })
    expect(c(t).shape).toEqual([2, 0])
  })

  const cases: Array<[string, number[], number, number, BDim[]]> = [
    ['one operand at 0', [4, 3], 1, 1, [0]],
    ['one operand at the end', [4, 3], 0, 1, [-1]],
    ['keys batched in the middle, payload unbatched', [3, 5], 1, 1, [1, null]],
    ['key unbatched, payload batched', [5], 0, 1, [null, 0]],
    ['two keys at different axes', [3, 4], 0, 2, [0, 2, null]],
  ]
  for (const [name, shape, dim, numKeys, bdims0] of cases) {
    it(`batch: ${name}`, () => {
      const n = 3
      const bdims = bdims0.map((b) => (b === null ? null : b < 0 ? shape.length : b))
      const xs = bdims.map((b, k) => rand(b === null ? shape : withAxis(shape, b, n), k === 0 ? 'float64' : 'int32', 3))
      const p = { dimension: dim, numKeys }
      const [outs, obs] = R.batch(n, xs, bdims, p)
      for (let i = 0; i < n; i++) {
        const ex = xs.map((x, k) => (bdims[k] === null ? x : slab(x, bdims[k] as number, i)))
        const want = R.impl(ex, p)
        outs.forEach((o, k) => {
          const got = slab(c(o), obs[k] as number, i)
          expect(got.shape).toEqual(want[k].shape)
          expect(Array.from(got.data)).toEqual(Array.from(want[k].data))
        })
      }
    })
  }
})
