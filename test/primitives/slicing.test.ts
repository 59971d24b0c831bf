import { describe, expect, it } from 'vitest'
import '../../src/rules'
import { ConcreteArray, scalar } from '../../src/core/array'
import { AxisError, DTypeError, ShapeError, ValueError } from '../../src/core/errors'
import {
  type AbstractEvalRule, type BDim, type BatchRule, type ImplRule, type JvpRule, type Tangent, type TransposeRule,
  UndefPrimal, Zero, isZero, registerRules,
} from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { type Shape, shapeStr, sizeOf } from '../../src/ir/aval'
import { type DType, allocate } from '../../src/ir/dtypes'
import type { ParamsMap } from '../../src/ir/params'
import { traceToJaxpr } from '../../src/interpret/stage'
import { gatherRules } from '../../src/primitives/gather'
import { concatenate, dynamicSlice, dynamicUpdateSlice, pad, slice, slicingRules } from '../../src/primitives/slicing'

registerRules(slicingRules)
registerRules(gatherRules)

type Prim = 'slice' | 'pad' | 'concatenate' | 'dynamic_slice' | 'dynamic_update_slice'
interface Rules<P extends Prim> {
  abstractEval: AbstractEvalRule<P>
  impl: ImplRule<P>
  jvp: JvpRule<P>
  transpose: TransposeRule<P>
  batch: BatchRule<P>
}
const rules = <P extends Prim>(p: P): Rules<P> => slicingRules[p] as unknown as Rules<P>

// ---- test helpers: deterministic data, multi-indices, brute-force references --------------

const mulberry = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const rng = mulberry(12345)

const arr = (data: number[], shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const d = allocate(dtype, data.length)
  data.forEach((v, i) => (d[i] = v))
  return new ConcreteArray(d, shape, dtype)
}

const randomValue = (dtype: DType): number =>
  dtype === 'bool' ? (rng() < 0.5 ? 1 : 0)
  : dtype === 'int32' ? Math.floor(rng() * 21) - 10
  : dtype === 'float32' ? Math.fround(rng() * 2 - 1)
  : rng() * 2 - 1

const rand = (shape: Shape, dtype: DType = 'float64'): ConcreteArray =>
  arr(Array.from({ length: sizeOf(shape) }, () => randomValue(dtype)), shape, dtype)

const i32 = (v: number): ConcreteArray => scalar(v, 'int32')

/** All multi-indices of a shape, in row-major order. */
const multiIndices = (shape: Shape): number[][] => {
  let out: number[][] = [[]]
  for (const d of shape) {
    const next: number[][] = []
    for (const prefix of out) for (let i = 0; i < d; i++) next.push([...prefix, i])
    out = next
  }
  return out
}
const at = (x: ConcreteArray, idx: readonly number[]): number => {
  let flat = 0
  idx.forEach((v, d) => (flat = flat * x.shape[d] + v))
  return x.data[flat]
}
const fromFn = (shape: Shape, dtype: DType, f: (idx: number[]) => number): ConcreteArray =>
  arr(multiIndices(shape).map(f), shape, dtype)

const expectSame = (got: Tracer, want: ConcreteArray): void => {
  expect(got).toBeInstanceOf(ConcreteArray)
  const g = got as ConcreteArray
  expect(g.shape).toEqual(want.shape)
  expect(g.dtype).toBe(want.dtype)
  expect(Array.from(g.data)).toEqual(Array.from(want.data))
}
const expectClose = (got: Tracer, want: ConcreteArray, tol = 1e-6): void => {
  const g = got as ConcreteArray
  expect(g.shape).toEqual(want.shape)
  g.data.forEach((v, i) => expect(Math.abs(v - want.data[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want.data[i]))))
}

const clamp = (s: number, dim: number, size: number): number => Math.min(Math.max(s, 0), dim - size)

const refSlice = (x: ConcreteArray, start: number[], limit: number[], strides: number[] | null): ConcreteArray => {
  const st = strides ?? start.map(() => 1)
  const shape = start.map((s, d) => Math.ceil((limit[d] - s) / st[d]))
  return fromFn(shape, x.dtype, (o) => at(x, o.map((k, d) => start[d] + k * st[d])))
}
/** For each output position: which input element (if any) landed there. */
const refPad = (x: ConcreteArray, v: number, cfg: [number, number, number][]): ConcreteArray => {
  const shape = x.shape.map((d, i) => cfg[i][0] + cfg[i][1] + d + Math.max(0, d - 1) * cfg[i][2])
  return fromFn(shape, x.dtype, (o) => {
    const src = o.map((p, d) => {
      const q = p - cfg[d][0]
      const step = cfg[d][2] + 1
      return q >= 0 && q % step === 0 && q / step < x.shape[d] ? q / step : -1
    })
    return src.includes(-1) ? v : at(x, src)
  })
}
const refConcat = (xs: ConcreteArray[], dim: number): ConcreteArray => {
  const shape = xs[0].shape.map((d, i) => (i === dim ? xs.reduce((s, x) => s + x.shape[dim], 0) : d))
  return fromFn(shape, xs[0].dtype, (o) => {
    let k = o[dim]
    for (const x of xs) {
      if (k < x.shape[dim]) return at(x, o.map((v, i) => (i === dim ? k : v)))
      k -= x.shape[dim]
    }
    throw new Error('unreachable')
  })
}
const refDynamicSlice = (x: ConcreteArray, starts: number[], sizes: number[]): ConcreteArray => {
  const s = starts.map((v, d) => clamp(v, x.shape[d], sizes[d]))
  return fromFn(sizes, x.dtype, (o) => at(x, o.map((k, d) => k + s[d])))
}
const refDynamicUpdateSlice = (x: ConcreteArray, u: ConcreteArray, starts: number[]): ConcreteArray => {
  const s = starts.map((v, d) => clamp(v, x.shape[d], u.shape[d]))
  return fromFn(x.shape, x.dtype, (o) => {
    const inside = o.every((k, d) => k >= s[d] && k < s[d] + u.shape[d])
    return inside ? at(u, o.map((k, d) => k - s[d])) : at(x, o)
  })
}

const DTYPES: DType[] = ['float64', 'float32', 'int32', 'bool']

/** Abstract eval must agree with the impl (the traced and eager paths see the same avals). */
const checkAval = <P extends Prim>(prim: P, xs: ConcreteArray[], params: ParamsMap[P], y: Tracer): void => {
  const [a] = rules(prim).abstractEval(xs.map((x) => x.aval), params)
  expect(a.shape).toEqual(y.shape)
  expect(a.dtype).toBe(y.dtype)
  expect(a.weakType).toBe(y.weakType)
}

// ---- impls against the references ---------------------------------------------------------

describe('slice impl', () => {
  const cases: [Shape, number[], number[], number[] | null][] = [
    [[4, 5], [1, 0], [4, 5], [2, 3]],
    [[6], [0], [6], null],
    [[3, 4, 5], [0, 1, 2], [3, 4, 5], [1, 2, 2]],
    [[5], [1], [5], [7]], // stride beyond the range: one element
    [[], [], [], null], // 0-d
    [[0, 3], [0, 1], [0, 3], null], // empty operand
    [[4], [2], [2], [3]], // empty window
  ]
  for (const dtype of DTYPES) {
    it(`matches the reference (${dtype})`, () => {
      for (const [shape, start, limit, strides] of cases) {
        const x = rand(shape, dtype)
        const y = slice(x, start, limit, strides)
        expectSame(y, refSlice(x, start, limit, strides))
        checkAval('slice', [x], { startIndices: start, limitIndices: limit, strides }, y)
      }
    })
  }
  it('by hand', () => {
    const x = arr([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [3, 4])
    expect(slice(x, [0, 1], [3, 4], [2, 2]).tolist()).toEqual([[1, 3], [9, 11]])
    expect(slice(x, [1, 0], [2, 4]).tolist()).toEqual([[4, 5, 6, 7]])
  })
})

describe('pad impl', () => {
  const cases: [Shape, [number, number, number][]][] = [
    [[3], [[1, 2, 0]]],
    [[3], [[0, 0, 2]]],
    [[4, 3], [[-1, 2, 1], [2, -3, 0]]],
    [[5], [[-2, -2, 0]]],
    [[3], [[-4, 0, 1]]],
    [[4], [[-7, 0, 2]]], // only the last element survives
    [[2], [[-3, 1, 0]]], // crops to nothing
    [[0], [[2, 1, 3]]], // empty operand
    [[], []], // 0-d
    [[2, 3], [[0, 0, 0], [1, 1, 1]]],
    [[2, 2, 3], [[1, -1, 2], [0, 1, 0], [-2, 3, 1]]],
  ]
  for (const dtype of DTYPES) {
    it(`matches the reference (${dtype})`, () => {
      for (const [shape, cfg] of cases) {
        const x = rand(shape, dtype)
        const v = dtype === 'bool' ? 1 : dtype === 'int32' ? -5 : dtype === 'float32' ? Math.fround(0.3) : Math.PI
        const y = pad(x, scalar(v, dtype), cfg)
        expectSame(y, refPad(x, v, cfg))
        checkAval('pad', [x, scalar(v, dtype)], { paddingConfig: cfg }, y)
      }
    })
  }
  it('by hand, and a NaN pad value', () => {
    const x = arr([1, 2, 3], [3])
    expect(pad(x, scalar(0, 'float64'), [[1, 0, 1]]).tolist()).toEqual([0, 1, 0, 2, 0, 3])
    expect(pad(x, scalar(9, 'float64'), [[-1, -1, 0]]).tolist()).toEqual([2])
    expect(pad(x, scalar(NaN, 'float64'), [[1, 0, 0]]).tolist()).toEqual([NaN, 1, 2, 3])
  })
  it('keeps the operand weak type', () => {
    const x = new ConcreteArray(new Float64Array([1, 2]), [2], 'float64', true)
    expect(pad(x, scalar(0, 'float64'), [[1, 1, 0]]).weakType).toBe(true)
  })
})

describe('concatenate impl', () => {
  const cases: [Shape[], number][] = [
    [[[2, 3], [4, 3]], 0],
    [[[2, 1], [2, 0], [2, 4]], 1],
    [[[2, 3, 2], [2, 1, 2], [2, 2, 2]], 1],
    [[[2, 3, 2], [2, 3, 1]], 2],
    [[[5]], 0],
    [[[0, 2], [0, 3]], 1],
  ]
  for (const dtype of DTYPES) {
    it(`matches the reference (${dtype})`, () => {
      for (const [shapes, dim] of cases) {
        const xs = shapes.map((s) => rand(s, dtype))
        const y = concatenate(xs, dim)
        expectSame(y, refConcat(xs, dim))
        checkAval('concatenate', xs, { dimension: dim }, y)
      }
    })
  }
  it('normalizes a negative dimension; weak only if all operands are', () => {
    const a = arr([1, 2], [1, 2])
    const b = new ConcreteArray(new Float64Array([3, 4]), [1, 2], 'float64', true)
    const y = concatenate([a, b], -1)
    expect(y.tolist()).toEqual([[1, 2, 3, 4]])
    expect(y.weakType).toBe(false)
    expect(concatenate([b, b], 0).weakType).toBe(true)
  })
})

describe('dynamic_slice impl', () => {
  const cases: [Shape, number[], number[]][] = [
    [[5, 6], [1, 2], [3, 2]],
    [[5, 6], [-3, 10], [3, 2]], // clamped both ways
    [[5, 6], [4, 0], [0, 6]],
    [[4], [2], [4]], // clamps to 0
    [[3, 2, 4], [1, 1, 3], [2, 1, 2]],
    [[], [], []], // 0-d
    [[0, 2], [3, 1], [0, 1]], // empty operand
  ]
  for (const dtype of DTYPES) {
    it(`matches the reference (${dtype})`, () => {
      for (const [shape, starts, sizes] of cases) {
        const x = rand(shape, dtype)
        const y = dynamicSlice(x, starts.map(i32), sizes)
        expectSame(y, refDynamicSlice(x, starts, sizes))
        checkAval('dynamic_slice', [x, ...starts.map(i32)], { sliceSizes: sizes }, y)
      }
    })
  }
  it('by hand: clamping keeps the window inside', () => {
    const x = arr([0, 1, 2, 3, 4], [5])
    expect(dynamicSlice(x, [i32(3)], [3]).tolist()).toEqual([2, 3, 4])
    expect(dynamicSlice(x, [i32(-2)], [2]).tolist()).toEqual([0, 1])
  })
})

describe('dynamic_update_slice impl', () => {
  const cases: [Shape, Shape, number[]][] = [
    [[5, 6], [2, 3], [1, 4]], // clamped to 3 on axis 1
    [[5, 6], [2, 3], [-1, 0]],
    [[5, 6], [5, 6], [2, 2]],
    [[4, 3], [0, 3], [1, 0]], // empty update
    [[3, 2, 4], [1, 2, 2], [2, 0, 1]],
    [[], [], []], // 0-d: the update replaces everything
  ]
  for (const dtype of DTYPES) {
    it(`matches the reference (${dtype})`, () => {
      for (const [xs, us, starts] of cases) {
        const x = rand(xs, dtype)
        const u = rand(us, dtype)
        const y = dynamicUpdateSlice(x, u, starts.map(i32))
        expectSame(y, refDynamicUpdateSlice(x, u, starts))
        checkAval('dynamic_update_slice', [x, u, ...starts.map(i32)], {}, y)
      }
    })
  }
  it('by hand, without touching the operand', () => {
    const x = arr([0, 0, 0, 0], [4])
    expect(dynamicUpdateSlice(x, arr([7, 8], [2]), [i32(9)]).tolist()).toEqual([0, 0, 7, 8])
    expect(x.tolist()).toEqual([0, 0, 0, 0])
  })
})

// ---- errors ------------------------------------------------------------------------------

describe('validation', () => {
  const x = rand([3, 4])
  it('slice', () => {
    expect(() => slice(x, [0, 0], [4, 4])).toThrow(ShapeError)
    expect(() => slice(x, [0, 0], [4, 4])).toThrow(/slice: axis 0 of f64\[3,4\] needs 0 <= start <= limit <= 3/)
    expect(() => slice(x, [2, 0], [1, 4])).toThrow(/start 2, limit 1/)
    expect(() => slice(x, [-1, 0], [2, 4])).toThrow(ShapeError)
    expect(() => slice(x, [0], [3])).toThrow(/startIndices \(0\) must have one entry per axis of f64\[3,4\]/)
    expect(() => slice(x, [0, 0], [3, 4], [1, 0])).toThrow(ValueError)
    expect(() => slice(x, [0, 0], [3, 4], [1, 0])).toThrow(/strides must be >= 1/)
    expect(() => slice(x, [0.5, 0], [3, 4])).toThrow(/must be integers/)
  })
  it('pad', () => {
    const z = scalar(0, 'float64')
    expect(() => pad(x, z, [[0, 0, 0]])).toThrow(ShapeError)
    expect(() => pad(x, z, [[0, 0, 0]])).toThrow(/one \[lo, hi, interior\] per axis of f64\[3,4\]/)
    expect(() => pad(x, z, [[0, 0, -1], [0, 0, 0]])).toThrow(ValueError)
    expect(() => pad(x, z, [[0, 0, -1], [0, 0, 0]])).toThrow(/interior padding must be >= 0/)
    expect(() => pad(x, z, [[-2, -2, 0], [0, 0, 0]])).toThrow(ShapeError)
    expect(() => pad(x, z, [[-2, -2, 0], [0, 0, 0]])).toThrow(/would have size -1/)
    expect(() => pad(x, z, [[0, 0, 0.5], [0, 0, 0]])).toThrow(/three integers/)
    expect(() => pad(x, scalar(0, 'float32'), [[0, 0, 0], [0, 0, 0]])).toThrow(DTypeError)
    expect(() => pad(x, scalar(0, 'float32'), [[0, 0, 0], [0, 0, 0]])).toThrow(/padding value f32\[\] must have the operand's dtype/)
    expect(() => pad(x, rand([1]), [[0, 0, 0], [0, 0, 0]])).toThrow(/padding value must be 0-d, got f64\[1\]/)
  })
  it('concatenate', () => {
    expect(() => concatenate([x, rand([3, 5])], 0)).toThrow(ShapeError)
    expect(() => concatenate([x, rand([3, 5])], 0)).toThrow(/equal shapes except along dimension 0, got f64\[3,4\], f64\[3,5\]/)
    expect(() => concatenate([x, rand([3, 4, 1])], 0)).toThrow(ShapeError)
    expect(() => concatenate([x, rand([3, 4], 'float32')], 0)).toThrow(DTypeError)
    expect(() => concatenate([], 0)).toThrow(ValueError)
    expect(() => concatenate([], 0)).toThrow(/at least one operand/)
    expect(() => concatenate([x], 2)).toThrow(AxisError)
    expect(() => concatenate([scalar(1), scalar(2)], 0)).toThrow(AxisError)
    expect(() => rules('concatenate').abstractEval([x.aval], { dimension: -1 })).toThrow(/dimension -1 is out of range/)
  })
  it('dynamic_slice', () => {
    expect(() => dynamicSlice(x, [i32(0)], [1, 1])).toThrow(ShapeError)
    expect(() => dynamicSlice(x, [i32(0)], [1, 1])).toThrow(/one start index per axis of f64\[3,4\] \(2\), got 1/)
    expect(() => dynamicSlice(x, [scalar(0, 'float64'), i32(0)], [1, 1])).toThrow(DTypeError)
    expect(() => dynamicSlice(x, [scalar(0, 'float64'), i32(0)], [1, 1])).toThrow(/start index 0 must be int32, got f64\[\]/)
    expect(() => dynamicSlice(x, [i32(0), arr([0], [1], 'int32')], [1, 1])).toThrow(/start index 1 must be a 0-d int32 array, got i32\[1\]/)
    expect(() => dynamicSlice(x, [i32(0), i32(0)], [4, 1])).toThrow(ShapeError)
    expect(() => dynamicSlice(x, [i32(0), i32(0)], [4, 1])).toThrow(/sliceSizes \(4, 1\) must lie in 0 … the operand's shape \[3, 4\]/)
    expect(() => dynamicSlice(x, [i32(0), i32(0)], [1])).toThrow(/sliceSizes \(1\) must have one entry per axis/)
  })
  it('dynamic_update_slice', () => {
    const idx = [i32(0), i32(0)]
    expect(() => dynamicUpdateSlice(x, rand([4, 1]), idx)).toThrow(ShapeError)
    expect(() => dynamicUpdateSlice(x, rand([4, 1]), idx)).toThrow(/update f64\[4,1\] must have the operand's rank and fit inside it \(f64\[3,4\]\)/)
    expect(() => dynamicUpdateSlice(x, rand([4]), idx)).toThrow(ShapeError)
    expect(() => dynamicUpdateSlice(x, rand([1, 1], 'int32'), idx)).toThrow(DTypeError)
    expect(() => dynamicUpdateSlice(x, rand([1, 1]), [i32(0), scalar(true)])).toThrow(/start index 1 must be int32, got bool\[\]/)
    expect(() => dynamicUpdateSlice(x, rand([1, 1]), [i32(0)])).toThrow(/one start index per axis/)
  })
  it('throws the same errors while tracing', () => {
    expect(() => traceToJaxpr((a) => [slice(a, [0, 0], [4, 4])], [x.aval])).toThrow(/needs 0 <= start <= limit <= 3/)
    expect(() => traceToJaxpr((a) => [pad(a, scalar(0, 'float64'), [[0, 0, 0]])], [x.aval])).toThrow(ShapeError)
  })
})

// ---- jvp against central finite differences -----------------------------------------------

const EPS = 1e-6
const axpy = (x: ConcreteArray, t: Tangent, s: number): ConcreteArray =>
  isZero(t) ? x : arr(Array.from(x.data, (v, i) => v + s * (t as ConcreteArray).data[i]), x.shape)

/** Check jvp(primals, tangents) against (f(x + εt) − f(x − εt)) / 2ε; `diff` marks which
 *  primals are differentiated (the others are start indices, held fixed). */
const checkJvp = <P extends Prim>(prim: P, primals: ConcreteArray[], tangents: Tangent[], params: ParamsMap[P]): void => {
  const f = (xs: ConcreteArray[]) => rules(prim).impl(xs, params)[0]
  const [[y], [dy]] = rules(prim).jvp(primals, tangents, params)
  expectSame(y, f(primals))
  const plus = f(primals.map((x, i) => axpy(x, tangents[i], EPS)))
  const minus = f(primals.map((x, i) => axpy(x, tangents[i], -EPS)))
  const fd = arr(Array.from(plus.data, (v, i) => (v - minus.data[i]) / (2 * EPS)), plus.shape)
  expect(isZero(dy)).toBe(false)
  expectClose(dy as Tracer, fd)
}

const zeroOf = (x: ConcreteArray): Zero => new Zero(x.aval)

describe('jvp', () => {
  it('slice', () => {
    const x = rand([4, 5])
    checkJvp('slice', [x], [rand([4, 5])], { startIndices: [1, 0], limitIndices: [4, 5], strides: [2, 3] })
    const [[], [dy]] = rules('slice').jvp([x], [zeroOf(x)], { startIndices: [0, 0], limitIndices: [2, 2], strides: null })
    expect(dy).toBeInstanceOf(Zero)
    expect(dy.aval.shape).toEqual([2, 2])
  })
  it('pad: jointly linear in x and the pad value, with either tangent zero', () => {
    const x = rand([3, 4])
    const v = scalar(0.7, 'float64')
    const p = { paddingConfig: [[-1, 2, 1], [2, -1, 0]] as [number, number, number][] }
    checkJvp('pad', [x, v], [rand([3, 4]), scalar(0.3, 'float64')], p)
    checkJvp('pad', [x, v], [zeroOf(x), scalar(-1.1, 'float64')], p)
    checkJvp('pad', [x, v], [rand([3, 4]), zeroOf(v)], p)
    const [[], [dy]] = rules('pad').jvp([x, v], [zeroOf(x), zeroOf(v)], p)
    expect(dy).toBeInstanceOf(Zero)
  })
  it('concatenate, with some tangents zero', () => {
    const xs = [rand([2, 3]), rand([2, 1]), rand([2, 2])]
    checkJvp('concatenate', xs, xs.map((x) => rand(x.shape)), { dimension: 1 })
    checkJvp('concatenate', xs, [zeroOf(xs[0]), rand([2, 1]), zeroOf(xs[2])], { dimension: 1 })
  })
  it('dynamic_slice: indices get no tangent and pass through', () => {
    const x = rand([5, 6])
    for (const s of [[1, 2], [4, -3]]) {
      const idx = s.map(i32)
      checkJvp('dynamic_slice', [x, ...idx], [rand([5, 6]), ...idx.map(zeroOf)], { sliceSizes: [2, 3] })
    }
  })
  it('dynamic_update_slice: linear in x and the update jointly', () => {
    const x = rand([5, 6])
    const u = rand([2, 3])
    const idx = [i32(3), i32(5)]
    const z = idx.map(zeroOf)
    checkJvp('dynamic_update_slice', [x, u, ...idx], [rand([5, 6]), rand([2, 3]), ...z], {})
    checkJvp('dynamic_update_slice', [x, u, ...idx], [zeroOf(x), rand([2, 3]), ...z], {})
    checkJvp('dynamic_update_slice', [x, u, ...idx], [rand([5, 6]), zeroOf(u), ...z], {})
    const [[], [dy]] = rules('dynamic_update_slice').jvp([x, u, ...idx], [zeroOf(x), zeroOf(u), ...z], {})
    expect(dy).toBeInstanceOf(Zero)
  })
})

// ---- transpose: the adjoint identity <ct, L(t)> = <L^T(ct), t> ------------------------------

const dot = (a: ConcreteArray, b: ConcreteArray): number => {
  expect(a.shape).toEqual(b.shape)
  let s = 0
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i]
  return s
}

/** `'lin'` marks the linear inputs (UndefPrimal in the transpose, random tangents of `shapes`);
 *  the other entries are known inputs (arrays held fixed, or start indices). */
const checkAdjoint = <P extends Prim>(
  prim: P,
  args: (ConcreteArray | 'lin')[],
  shapes: Shape[],
  params: ParamsMap[P],
): void => {
  const ts = shapes.map((s) => rand(s))
  const primals = args.map((a, i) => (a === 'lin' ? ts[i] : a))
  const y = rules(prim).impl(primals, params)[0]
  const ct = rand(y.shape)
  const undefs = args.map((a, i) => (a === 'lin' ? new UndefPrimal(ts[i].aval) : a))
  const cts = rules(prim).transpose([ct], undefs, params)
  expect(cts.length).toBe(args.length)
  let rhs = 0
  // L is linear in the 'lin' inputs jointly; fixed array inputs are held at their values, so
  // compare with L applied with the fixed array inputs zeroed (start indices kept).
  const lin = args.map((a, i) => (a === 'lin' ? ts[i] : a.dtype === 'int32' && a.ndim === 0 ? a : arr(new Array(a.size).fill(0), a.shape, a.dtype)))
  const lhs = dot(ct, rules(prim).impl(lin, params)[0])
  cts.forEach((c, i) => {
    if (args[i] !== 'lin') {
      expect(c).toBeNull()
      return
    }
    expect(c).not.toBeNull()
    expect(c!.aval.shape).toEqual(ts[i].shape)
    expect(c!.aval.dtype).toBe(ts[i].dtype)
    expect(c!.aval.weakType).toBe(ts[i].weakType)
    if (!isZero(c)) rhs += dot(c as ConcreteArray, ts[i])
  })
  expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(lhs)))
}

describe('transpose (adjoint identity)', () => {
  it('slice', () => {
    const cases: [Shape, number[], number[], number[] | null][] = [
      [[4, 5], [1, 0], [4, 5], [2, 3]],
      [[7], [2], [7], [2]],
      [[7], [2], [6], [2]],
      [[5, 3], [1, 1], [1, 3], null], // empty window
      [[], [], [], null],
    ]
    for (const [s, start, limit, strides] of cases) {
      checkAdjoint('slice', ['lin'], [s], { startIndices: start, limitIndices: limit, strides })
    }
  })
  it('pad (both, and each alone), with negative and interior padding', () => {
    const cfgs: [Shape, [number, number, number][]][] = [
      [[3, 4], [[1, 2, 0], [0, 1, 2]]],
      [[3, 4], [[-1, 2, 1], [2, -3, 0]]],
      [[4], [[-7, 0, 2]]],
      [[2], [[-3, 1, 0]]],
      [[0, 2], [[1, 1, 1], [-1, 0, 0]]],
      [[], []],
    ]
    for (const [s, cfg] of cfgs) {
      const p = { paddingConfig: cfg }
      checkAdjoint('pad', ['lin', 'lin'], [s, []], p)
      checkAdjoint('pad', ['lin', scalar(0.5, 'float64')], [s, []], p)
      checkAdjoint('pad', [rand(s), 'lin'], [s, []], p)
    }
  })
  it('concatenate, with known operands', () => {
    const shapes: Shape[] = [[2, 3], [2, 0], [2, 2]]
    checkAdjoint('concatenate', ['lin', 'lin', 'lin'], shapes, { dimension: 1 })
    checkAdjoint('concatenate', [rand([2, 3]), 'lin', 'lin'], shapes, { dimension: 1 })
    checkAdjoint('concatenate', ['lin', rand([3, 3])], [[1, 3], [3, 3]], { dimension: 0 })
  })
  it('dynamic_slice', () => {
    for (const s of [[1, 2], [9, -4], [0, 0]]) {
      checkAdjoint('dynamic_slice', ['lin', ...s.map(i32)], [[5, 6], [], []], { sliceSizes: [3, 2] })
    }
  })
  it('dynamic_update_slice (both, and each alone)', () => {
    for (const s of [[1, 2], [9, -4]]) {
      const idx = s.map(i32)
      checkAdjoint('dynamic_update_slice', ['lin', 'lin', ...idx], [[5, 6], [2, 3], [], []], {})
      checkAdjoint('dynamic_update_slice', [rand([5, 6]), 'lin', ...idx], [[5, 6], [2, 3], [], []], {})
      checkAdjoint('dynamic_update_slice', ['lin', rand([2, 3]), ...idx], [[5, 6], [2, 3], [], []], {})
    }
  })
  it('a symbolic zero cotangent gives symbolic zeros of the inputs', () => {
    const x = rand([3, 4])
    const u = new UndefPrimal(x.aval)
    const [c1] = rules('slice').transpose([new Zero(rand([1, 4]).aval)], [u], { startIndices: [0, 0], limitIndices: [1, 4], strides: null })
    expect(c1).toBeInstanceOf(Zero)
    expect(c1!.aval.shape).toEqual([3, 4])
    const v = scalar(0, 'float64')
    const cs = rules('pad').transpose([new Zero(rand([5, 4]).aval)], [u, new UndefPrimal(v.aval)], { paddingConfig: [[1, 1, 0], [0, 0, 0]] })
    expect(cs.map((c) => c!.aval.shape)).toEqual([[3, 4], []])
    expect(cs.every(isZero)).toBe(true)
    const [cx, cu, ci] = rules('dynamic_update_slice').transpose(
      [new Zero(x.aval)], [u, new UndefPrimal(rand([1, 1]).aval), i32(0), i32(0)], {},
    )
    expect([isZero(cx), isZero(cu), ci]).toEqual([true, true, null])
    expect(cu!.aval.shape).toEqual([1, 1])
  })
  it('keeps the weak type of a weak operand', () => {
    const w = new ConcreteArray(new Float64Array([1, 2]), [2], 'float64', true)
    const ct = rand([4])
    const [cw, cs] = rules('concatenate').transpose([ct], [new UndefPrimal(w.aval), new UndefPrimal(rand([2]).aval)], { dimension: 0 })
    expect(cw!.aval.weakType).toBe(true)
    expect(cs!.aval.weakType).toBe(false)
    expect((cw as ConcreteArray).tolist()).toEqual(Array.from(ct.data.slice(0, 2)))
  })
  it('transpose rules stage (they are programs in primitives)', () => {
    const x = rand([5, 6])
    const cj = traceToJaxpr(
      (ct, i, j) => rules('dynamic_update_slice').transpose([ct], [new UndefPrimal(x.aval), new UndefPrimal(rand([2, 3]).aval), i, j], {}).slice(0, 2) as Tracer[],
      [x.aval, i32(0).aval, i32(0).aval],
    )
    expect(cj.jaxpr.eqns.map((e) => e.prim)).toEqual(['broadcast_in_dim', 'dynamic_update_slice', 'dynamic_slice'])
  })
})

// ---- batching law: batch(stacked) = stack(per-example impl) ---------------------------------

const stack = (xs: ConcreteArray[], axis: number): ConcreteArray => {
  const s = xs[0].shape
  const shape = [...s.slice(0, axis), xs.length, ...s.slice(axis)]
  return fromFn(shape, xs[0].dtype, (o) => at(xs[o[axis]], o.filter((_, d) => d !== axis)))
}
const take = (y: ConcreteArray, axis: number, i: number): ConcreteArray =>
  fromFn(y.shape.filter((_, d) => d !== axis), y.dtype, (o) => at(y, [...o.slice(0, axis), i, ...o.slice(axis)]))

/** `make(i)` gives example i's operands; operands with bdim null use example 0's. */
const checkBatch = <P extends Prim>(
  prim: P,
  n: number,
  make: (i: number) => ConcreteArray[],
  bdims: BDim[],
  params: ParamsMap[P],
): void => {
  const shared = make(0)
  const per = Array.from({ length: n }, (_, i) => make(i).map((a, k) => (bdims[k] === null ? shared[k] : a)))
  const batched = bdims.map((b, k) => (b === null ? shared[k] : stack(per.map((a) => a[k]), b)))
  const [[y], [by]] = rules(prim).batch(n, batched, bdims, params)
  const want = per.map((a) => rules(prim).impl(a, params)[0])
  expect(by).not.toBeNull()
  want.forEach((w, i) => expectSame(take(y as ConcreteArray, by as number, i), w))
}

describe('batch', () => {
  it('slice, batch axis anywhere', () => {
    const p = { startIndices: [1, 0], limitIndices: [4, 5], strides: [2, 3] }
    for (const b of [0, 1, 2]) checkBatch('slice', 3, () => [rand([4, 5])], [b], p)
    checkBatch('slice', 2, () => [rand([6])], [1], { startIndices: [1], limitIndices: [5], strides: null })
  })
  it('pad, with batched or shared pad values', () => {
    const p = { paddingConfig: [[-1, 2, 1], [1, 0, 0]] as [number, number, number][] }
    const mk = () => [rand([3, 2]), scalar(randomValue('float64'), 'float64')]
    for (const b of [0, 1, 2]) {
      checkBatch('pad', 3, mk, [b, null], p)
      checkBatch('pad', 3, mk, [b, 0], p)
    }
    checkBatch('pad', 3, mk, [null, 0], p)
    const mkInt = () => [rand([4], 'int32'), scalar(randomValue('int32'), 'int32')]
    checkBatch('pad', 2, mkInt, [1, 0], { paddingConfig: [[2, -1, 1]] })
  })
  it('concatenate, with unbatched operands', () => {
    const mk = () => [rand([2, 3]), rand([2, 1]), rand([2, 2])]
    checkBatch('concatenate', 3, mk, [0, 1, 2], { dimension: 1 })
    checkBatch('concatenate', 3, mk, [null, 2, null], { dimension: 1 })
    checkBatch('concatenate', 2, () => [rand([1, 2], 'bool'), rand([2, 2], 'bool')], [1, null], { dimension: 0 })
  })
  const idxs = (dims: Shape) => dims.map((d) => i32(Math.floor(rng() * (d + 4)) - 2))
  it('dynamic_slice with shared indices', () => {
    const idx = idxs([5, 6])
    for (const b of [0, 1, 2]) checkBatch('dynamic_slice', 3, () => [rand([5, 6]), ...idx], [b, null, null], { sliceSizes: [2, 4] })
  })
  it('dynamic_slice with per-example indices (a gather)', () => {
    const p = { sliceSizes: [2, 4] }
    const mk = () => [rand([5, 6]), ...idxs([5, 6])]
    for (const b of [0, 1, 2]) {
      checkBatch('dynamic_slice', 4, mk, [b, 0, 0], p)
      checkBatch('dynamic_slice', 4, mk, [b, null, 0], p)
    }
    checkBatch('dynamic_slice', 4, mk, [null, 0, null], p)
    checkBatch('dynamic_slice', 3, () => [rand([4], 'bool'), ...idxs([4])], [1, 0], { sliceSizes: [3] })
  })
  it('dynamic_update_slice with shared indices', () => {
    const idx = idxs([5, 6])
    const mk = () => [rand([5, 6]), rand([2, 3]), ...idx]
    for (const b of [0, 1, 2]) {
      checkBatch('dynamic_update_slice', 3, mk, [b, 2, null, null], {})
      checkBatch('dynamic_update_slice', 3, mk, [b, null, null, null], {})
      checkBatch('dynamic_update_slice', 3, mk, [null, b, null, null], {})
    }
  })
  it('dynamic_update_slice with per-example indices (scatter and select)', () => {
    const mk = () => [rand([5, 6]), rand([2, 3]), ...idxs([5, 6])]
    for (const b of [0, 1, 2]) {
      checkBatch('dynamic_update_slice', 4, mk, [b, 1, 0, 0], {})
      checkBatch('dynamic_update_slice', 4, mk, [b, null, null, 0], {})
      checkBatch('dynamic_update_slice', 4, mk, [null, b, 0, null], {})
    }
    checkBatch('dynamic_update_slice', 4, mk, [null, null, 0, 0], {})
    for (const dtype of ['bool', 'int32', 'float32'] as DType[]) {
      checkBatch('dynamic_update_slice', 3, () => [rand([4], dtype), rand([2], dtype), ...idxs([4])], [0, 0, 0], {})
    }
  })
  it('per-example indices with an empty batch', () => {
    const [[y]] = rules('dynamic_slice').batch(0, [rand([0, 5]), arr([], [0], 'int32')], [0, 0], { sliceSizes: [2] })
    expect(y.shape).toEqual([0, 2])
  })
})

// ---- staging -----------------------------------------------------------------------------

describe('staging', () => {
  it('records the equations with their params', () => {
    const cj = traceToJaxpr(
      (x, i) => [dynamicSlice(concatenate([slice(x, [0], [4], [2]), pad(x, scalar(0, 'float64'), [[1, 0, 0]])], -1), [i], [3])],
      [rand([4]).aval, i32(0).aval],
    )
    const e = cj.jaxpr.eqns
    expect(e.map((q) => q.prim)).toEqual(['slice', 'pad', 'concatenate', 'dynamic_slice'])
    expect(e[2].params).toEqual({ dimension: 0 })
    expect(e[3].outVars[0].aval.shape).toEqual([3])
    expect(shapeStr(e[2].outVars[0].aval.shape)).toBe('[7]')
  })
})
