import { describe, expect, it } from 'vitest'
import '../../src/rules'
import { ConcreteArray } from '../../src/core/array'
import { AxisError, DTypeError, ShapeError } from '../../src/core/errors'
import { type BDim, UndefPrimal, Zero, isZero, registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { type Shape, shaped, sizeOf, stridesOf } from '../../src/ir/aval'
import { type DType, allocate } from '../../src/ir/dtypes'
import type { DotDimensionNumbers } from '../../src/ir/params'
import { dotGeneral, dotRules } from '../../src/primitives/dot'

registerRules(dotRules)
const rules = dotRules.dot_general

// ---- helpers ---------------------------------------------------------------------------

let seed = 12345
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0
  return ((seed >>> 8) & 0xffff) / 0x10000 - 0.5
}
const rand = (shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const data = allocate(dtype, sizeOf(shape))
  for (let i = 0; i < data.length; i++) data[i] = dtype === 'int32' ? Math.floor(rnd() * 20) : rnd() * 4
  return new ConcreteArray(data, shape, dtype)
}
const arr = (data: number[], shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const d = allocate(dtype, data.length)
  d.set(data)
  return new ConcreteArray(d, shape, dtype)
}
const c = (x: Tracer): ConcreteArray => x as ConcreteArray
const dn = (lc: number[], rc: number[], lb: number[] = [], rb: number[] = []): DotDimensionNumbers => ({
  lhsContracting: lc,
  rhsContracting: rc,
  lhsBatch: lb,
  rhsBatch: rb,
})
const P = (d: DotDimensionNumbers, preferredElementType: DType | null = null) => ({ dimensionNumbers: d, preferredElementType })

/** Iterate over all multi-indices of a shape (row-major). */
const multiIndices = (shape: Shape): number[][] => {
  const out: number[][] = []
  const n = sizeOf(shape)
  for (let f = 0; f < n; f++) {
    const idx: number[] = []
    let r = f
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d])
      r = Math.floor(r / shape[d])
    }
    out.push(idx)
  }
  return out
}
const at = (x: ConcreteArray, idx: readonly number[]): number => {
  const st = stridesOf(x.shape)
  return x.data[idx.reduce((s, v, d) => s + v * st[d], 0)]
}

/** Brute-force dot_general over multi-indices; `mac` combines acc with one product. */
const refDot = (
  x: ConcreteArray,
  y: ConcreteArray,
  d: DotDimensionNumbers,
  mac: (acc: number, a: number, b: number) => number = (acc, a, b) => acc + a * b,
): { shape: number[]; values: number[] } => {
  const lf = [...Array(x.ndim).keys()].filter((a) => !d.lhsContracting.includes(a) && !d.lhsBatch.includes(a))
  const rf = [...Array(y.ndim).keys()].filter((a) => !d.rhsContracting.includes(a) && !d.rhsBatch.includes(a))
  const shape = [...d.lhsBatch.map((a) => x.shape[a]), ...lf.map((a) => x.shape[a]), ...rf.map((a) => y.shape[a])]
  const cshape = d.lhsContracting.map((a) => x.shape[a])
  const values = multiIndices(shape).map((o) => {
    const xi = new Array<number>(x.ndim).fill(0)
    const yi = new Array<number>(y.ndim).fill(0)
    d.lhsBatch.forEach((a, i) => ((xi[a] = o[i]), (yi[d.rhsBatch[i]] = o[i])))
    lf.forEach((a, i) => (xi[a] = o[d.lhsBatch.length + i]))
    rf.forEach((a, i) => (yi[a] = o[d.lhsBatch.length + lf.length + i]))
    let acc = 0
    for (const k of multiIndices(cshape)) {
      d.lhsContracting.forEach((a, i) => (xi[a] = k[i]))
      d.rhsContracting.forEach((a, i) => (yi[a] = k[i]))
      acc = mac(acc, at(x, xi), at(y, yi))
    }
    return acc
  })
  return { shape, values }
}

const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-12): void => {
  expect(got.length).toBe(want.length)
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]))
    if (!(err <= tol)) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]} (rel err ${err})`)
  }
}
const vdot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}
const axpy = (x: ConcreteArray, t: ConcreteArray, e: number): ConcreteArray =>
  new ConcreteArray(Float64Array.from(x.data, (v, i) => v + e * t.data[i]), x.shape, x.dtype)

/** x[..., i, ...] along `axis` (a copy). */
const takeAt = (x: ConcreteArray, axis: number, i: number): ConcreteArray => {
  const shape = x.shape.filter((_, d) => d !== axis)
  const data = allocate(x.dtype, sizeOf(shape))
  multiIndices(shape).forEach((idx, f) => {
    const full = [...idx]
    full.splice(axis, 0, i)
    data[f] = at(x, full)
  })
  return new ConcreteArray(data, shape, x.dtype)
}
/** Stack arrays of equal shape along a new `axis`. */
const stack = (xs: ConcreteArray[], axis: number): ConcreteArray => {
  const shape = [...xs[0].shape]
  shape.splice(axis, 0, xs.length)
  const data = allocate(xs[0].dtype, sizeOf(shape))
  multiIndices(shape).forEach((idx, f) => {
    const rest = idx.filter((_, d) => d !== axis)
    data[f] = at(xs[idx[axis]], rest)
  })
  return new ConcreteArray(data, shape, xs[0].dtype)
}

// A spread of dimension numbers, with non-leading batch axes and contractions out of order.
const CASES: Array<{ name: string; x: Shape; y: Shape; d: DotDimensionNumbers }> = [
  { name: 'matmul', x: [3, 4], y: [4, 5], d: dn([1], [0]) },
  { name: 'matmul, rhs transposed', x: [3, 4], y: [5, 4], d: dn([1], [1]) },
  { name: 'matvec', x: [3, 4], y: [4], d: dn([1], [0]) },
  { name: 'inner product', x: [6], y: [6], d: dn([0], [0]) },
  { name: 'outer product', x: [3], y: [2, 2], d: dn([], []) },
  { name: 'scalar × scalar', x: [], y: [], d: dn([], []) },
  { name: 'batched matmul', x: [2, 3, 4], y: [2, 4, 5], d: dn([2], [1], [0], [0]) },
  { name: 'batch axes in the middle/end', x: [3, 2, 4], y: [4, 5, 2], d: dn([2], [0], [1], [2]) },
  { name: 'two contractions out of order', x: [2, 3, 4, 5], y: [5, 3, 2, 6], d: dn([3, 1], [0, 1], [0], [2]) },
  { name: 'contractions crossed', x: [2, 3, 4, 5], y: [5, 3, 6], d: dn([1, 3], [1, 0]) },
  { name: 'two batch axes, swapped', x: [2, 3, 4], y: [3, 2, 4], d: dn([2], [2], [0, 1], [1, 0]) },
  { name: 'lhs only contracting', x: [4, 3], y: [4, 3], d: dn([0, 1], [0, 1]) },
]

// ---- impl --------------------------------------------------------------------------------

describe('dot_general impl', () => {
  it('multiplies matrices (hand-computed)', () => {
    const x = arr([1, 2, 3, 4, 5, 6], [2, 3])
    const y = arr([7, 8, 9, 10, 11, 12], [3, 2])
    const z = c(dotGeneral(x, y, dn([1], [0])))
    expect(z.shape).toEqual([2, 2])
    expect(z.tolist()).toEqual([[58, 64], [139, 154]])
    // xᵀ·x contracts axis 0 with axis 0
    expect(c(dotGeneral(x, x, dn([0], [0]))).tolist()).toEqual([[17, 22, 27], [22, 29, 36], [27, 36, 45]])
  })

  for (const k of CASES) {
    it(`agrees with a brute-force reference: ${k.name} (float64)`, () => {
      const x = rand(k.x)
      const y = rand(k.y)
      const z = c(dotGeneral(x, y, k.d))
      const want = refDot(x, y, k.d)
      expect(z.shape).toEqual(want.shape)
      expect(z.dtype).toBe('float64')
      expectClose(z.data, want.values)
    })
  }

  it('float32: accumulates in float64 and rounds at the store', () => {
    for (const k of CASES) {
      const x = rand(k.x, 'float32')
      const y = rand(k.y, 'float32')
      const z = c(dotGeneral(x, y, k.d))
      expect(z.dtype).toBe('float32')
      expect(z.data).toBeInstanceOf(Float32Array)
      // products of float32 values are exact in float64; only the order of the sum may differ
      expectClose(z.data, refDot(x, y, k.d).values.map(Math.fround), 1e-7)
    }
    // a sum that float32 accumulation would lose: 1 + 2⁻²⁴ + 2⁻²⁴ rounds up only if summed in float64
    const x = arr([1, 2 ** -24, 2 ** -24], [3], 'float32')
    const y = arr([1, 1, 1], [3], 'float32')
    expect(c(dotGeneral(x, y, dn([0], [0]))).item()).toBe(Math.fround(1 + 2 ** -23))
  })

  it('int32: exact products with wraparound, as XLA', () => {
    for (const k of CASES) {
      const x = rand(k.x, 'int32')
      const y = rand(k.y, 'int32')
      const z = c(dotGeneral(x, y, k.d))
      expect(z.dtype).toBe('int32')
      expect(Array.from(z.data)).toEqual(refDot(x, y, k.d, (acc, a, b) => (acc + Math.imul(a, b)) | 0).values)
    }
    const big = arr([65536, 2 ** 30], [2], 'int32')
    const two = arr([65536, 4], [2], 'int32')
    // 2³² + 2³² wraps to 0
    expect(c(dotGeneral(big, two, dn([0], [0]))).item()).toBe(0)
    expect(c(dotGeneral(arr([46341], [1], 'int32'), arr([46341], [1], 'int32'), dn([0], [0]))).item()).toBe(Math.imul(46341, 46341))
  })

  it('preferredElementType sets the output dtype', () => {
    const x = rand([3, 4], 'int32')
    const y = rand([4, 2], 'int32')
    const z = c(dotGeneral(x, y, dn([1], [0]), 'float64'))
    expect(z.dtype).toBe('float64')
    expectClose(z.data, refDot(x, y, dn([1], [0])).values)
    const xf = rand([3, 4], 'float32')
    const yf = rand([4, 2], 'float32')
    const zf = c(dotGeneral(xf, yf, dn([1], [0]), 'float64'))
    expect(zf.dtype).toBe('float64')
    expectClose(zf.data, refDot(xf, yf, dn([1], [0])).values, 1e-15)
    expect(c(dotGeneral(x, y, dn([1], [0]), null)).dtype).toBe('int32')
  })

  it('handles empty contractions and empty outputs', () => {
    const z = c(dotGeneral(rand([3, 0]), rand([0, 2]), dn([1], [0])))
    expect(z.tolist()).toEqual([[0, 0], [0, 0], [0, 0]])
    const e = c(dotGeneral(rand([0, 4]), rand([4, 2]), dn([1], [0])))
    expect(e.shape).toEqual([0, 2])
    const b = c(dotGeneral(rand([0, 2, 3]), rand([0, 3, 2]), dn([2], [1], [0], [0])))
    expect(b.shape).toEqual([0, 2, 2])
  })

  it('propagates NaN and Inf through zero coefficients (no zero skipping)', () => {
    const z = c(dotGeneral(arr([0, 1], [1, 2]), arr([Infinity, 2, 3, 4], [2, 2]), dn([1], [0])))
    expect(Number.isNaN(z.data[0])).toBe(true)
    expect(z.data[1]).toBe(4)
  })

  it('weak type only when both operands are weak', () => {
    const w = new ConcreteArray(new Float64Array([2]), [], 'float64', true)
    expect(c(dotGeneral(w, w, dn([], []))).weakType).toBe(true)
    expect(c(dotGeneral(w, arr([3], []), dn([], []))).weakType).toBe(false)
  })
})

// ---- validation --------------------------------------------------------------------------

describe('dot_general validation', () => {
  const x = rand([2, 3])
  const y = rand([3, 4])
  it('rejects unequal dtypes, bools, and float → int preferred types', () => {
    expect(() => dotGeneral(x, rand([3, 4], 'float32'), dn([1], [0]))).toThrow(DTypeError)
    expect(() => dotGeneral(x, rand([3, 4], 'float32'), dn([1], [0]))).toThrow(/dtypes must be equal.*f64\[2,3\].*f32\[3,4\]/)
    const b = arr([1, 0], [2], 'bool')
    expect(() => dotGeneral(b, b, dn([0], [0]))).toThrow(/dot_general needs numeric operands/)
    expect(() => dotGeneral(x, y, dn([1], [0]), 'int32')).toThrow(DTypeError)
    expect(() => dotGeneral(x, y, dn([1], [0]), 'bool')).toThrow(/preferredElementType must be a numeric dtype/)
  })
  it('rejects mismatched sizes and lengths', () => {
    expect(() => dotGeneral(x, y, dn([0], [0]))).toThrow(ShapeError)
    expect(() => dotGeneral(x, y, dn([0], [0]))).toThrow(/contracting axis 0 of lhs \(size 2\) and axis 0 of rhs \(size 3\) differ.*f64\[2,3\] · f64\[3,4\]/)
    expect(() => dotGeneral(x, y, dn([1], []))).toThrow(/lhsContracting and rhsContracting must have equal lengths/)
    expect(() => dotGeneral(x, y, dn([1], [0], [0], []))).toThrow(/lhsBatch and rhsBatch must have equal lengths/)
    expect(() => dotGeneral(rand([2, 3, 4]), rand([5, 4, 6]), dn([2], [1], [0], [0]))).toThrow(/batch axis 0 of lhs \(size 2\) and axis 0 of rhs \(size 5\)/)
  })
  it('rejects bad axes', () => {
    expect(() => dotGeneral(x, y, dn([2], [0]))).toThrow(AxisError)
    expect(() => dotGeneral(x, y, dn([2], [0]))).toThrow(/lhs axis 2 is out of range for f64\[2,3\]/)
    expect(() => dotGeneral(x, y, dn([-1], [0]))).toThrow(AxisError)
    expect(() => dotGeneral(x, rand([3, 3]), dn([1, 1], [0, 1]))).toThrow(/lhs axes repeat/)
    expect(() => dotGeneral(rand([3, 3]), rand([3, 3]), dn([0], [0], [1], [0]))).toThrow(/rhs axes repeat/)
  })
  it('staged abstract eval gives the same aval and errors', () => {
    const j = traceToJaxpr((a, b) => [dotGeneral(a, b, dn([3, 1], [0, 1], [0], [2]))], [shaped([2, 3, 4, 5], 'float32'), shaped([5, 3, 2, 6], 'float32')])
    expect(j.jaxpr.outs[0].aval.shape).toEqual([2, 4, 6])
    expect(() => traceToJaxpr((a, b) => [dotGeneral(a, b, dn([0], [0]))], [shaped([2, 3], 'float64'), shaped([3, 4], 'float64')])).toThrow(ShapeError)
  })
})

// ---- jvp ---------------------------------------------------------------------------------

describe('dot_general jvp', () => {
  for (const k of CASES) {
    it(`matches central finite differences: ${k.name}`, () => {
      const [x, y, dx, dy] = [rand(k.x), rand(k.y), rand(k.x), rand(k.y)]
      const eps = 1e-6
      const [[z], [t]] = rules.jvp([x, y], [dx, dy], P(k.d))
      expectClose(c(z).data, refDot(x, y, k.d).values)
      const fp = c(dotGeneral(axpy(x, dx, eps), axpy(y, dy, eps), k.d)).data
      const fm = c(dotGeneral(axpy(x, dx, -eps), axpy(y, dy, -eps), k.d)).data
      const fd = Array.from(fp, (v, i) => (v - fm[i]) / (2 * eps))
      expectClose(c(t as Tracer).data, fd, 1e-6)
    })
  }
  it('skips symbolic zeros: one term, or a Zero out', () => {
    const [x, y, dx] = [rand([2, 3]), rand([3, 4]), rand([2, 3])]
    const d = dn([1], [0])
    const [, [t1]] = rules.jvp([x, y], [dx, new Zero(y.aval)], P(d))
    expectClose(c(t1 as Tracer).data, refDot(dx, y, d).values)
    const dy = rand([3, 4])
    const [, [t2]] = rules.jvp([x, y], [new Zero(x.aval), dy], P(d))
    expectClose(c(t2 as Tracer).data, refDot(x, dy, d).values)
    const [[z], [t3]] = rules.jvp([x, y], [new Zero(x.aval), new Zero(y.aval)], P(d))
    expect(isZero(t3)).toBe(true)
    expect((t3 as Zero).aval.shape).toEqual(z.shape)
  })
})

// ---- transpose ---------------------------------------------------------------------------

describe('dot_general transpose', () => {
  for (const k of CASES) {
    it(`satisfies <ct, x·y> = <xᵀ(ct), t> for each operand: ${k.name}`, () => {
      const [x, y] = [rand(k.x), rand(k.y)]
      const z = c(dotGeneral(x, y, k.d))
      const ct = rand(z.shape)
      // linear in x (y fixed)
      const tx = rand(k.x)
      const [ctx, n1] = rules.transpose([ct], [new UndefPrimal(x.aval), y], P(k.d))
      expect(n1).toBeNull()
      expect(c(ctx as Tracer).shape).toEqual(x.shape)
      expect(vdot(c(ctx as Tracer).data, tx.data)).toBeCloseTo(vdot(ct.data, c(dotGeneral(tx, y, k.d)).data), 10)
      // linear in y (x fixed)
      const ty = rand(k.y)
      const [n2, cty] = rules.transpose([ct], [x, new UndefPrimal(y.aval)], P(k.d))
      expect(n2).toBeNull()
      expect(c(cty as Tracer).shape).toEqual(y.shape)
      expect(vdot(c(cty as Tracer).data, ty.data)).toBeCloseTo(vdot(ct.data, c(dotGeneral(x, ty, k.d)).data), 10)
    })
  }
  it('a Zero cotangent gives a Zero of the operand aval', () => {
    const [x, y] = [rand([2, 3]), rand([3, 4])]
    const [ctx] = rules.transpose([new Zero(shaped([2, 4], 'float64'))], [new UndefPrimal(x.aval), y], P(dn([1], [0])))
    expect(isZero(ctx)).toBe(true)
    expect((ctx as Zero).aval.shape).toEqual([2, 3])
  })
  it('returns cotangents of the operand dtype when preferredElementType widens', () => {
    const [x, y] = [rand([2, 3], 'float32'), rand([3, 4], 'float32')]
    const ct = rand([2, 4])
    const d = dn([1], [0])
    const [ctx] = rules.transpose([ct], [new UndefPrimal(x.aval), y], P(d, 'float64'))
    expect(c(ctx as Tracer).dtype).toBe('float32')
    const [, cty] = rules.transpose([ct], [x, new UndefPrimal(y.aval)], P(d, 'float64'))
    expect(c(cty as Tracer).dtype).toBe('float32')
    const want = refDot(ct, new ConcreteArray(Float64Array.from(y.data), y.shape, 'float64'), dn([1], [1]))
    expectClose(c(ctx as Tracer).data, want.values.map(Math.fround), 1e-7)
  })
  it('rejects two linear operands', () => {
    const x = rand([2, 2])
    expect(() => rules.transpose([x], [new UndefPrimal(x.aval), new UndefPrimal(x.aval)], P(dn([1], [0])))).toThrow(/not linear/)
  })
})

// ---- batch -------------------------------------------------------------------------------

describe('dot_general batching', () => {
  const N = 3
  /** Batch rule vs stacking per-example impls, for operands batched at `bx`/`by` (null: unbatched). */
  const check = (k: (typeof CASES)[number], bx: BDim, by: BDim) => {
    const xs = Array.from({ length: N }, () => rand(k.x))
    const ys = Array.from({ length: N }, () => rand(k.y))
    const X = bx === null ? xs[0] : stack(xs, bx)
    const Y = by === null ? ys[0] : stack(ys, by)
    const [[out], [bo]] = rules.batch(N, [X, Y], [bx, by], P(k.d))
    const per = xs.map((_, i) => c(dotGeneral(bx === null ? xs[0] : xs[i], by === null ? ys[0] : ys[i], k.d)))
    expect(bo).not.toBeNull()
    const want = stack(per, bo as number)
    expect(c(out).shape).toEqual(want.shape)
    expectClose(c(out).data, want.data)
  }
  for (const k of CASES) {
    it(`agrees with per-example results: ${k.name}`, () => {
      for (let bx = 0; bx <= k.x.length; bx++) {
        for (let by = 0; by <= k.y.length; by++) check(k, bx, by)
        check(k, bx, null)
      }
      for (let by = 0; by <= k.y.length; by++) check(k, null, by)
    })
  }
  it('folds the batch into one dot_general (no loop, no broadcast)', () => {
    const prims = (bx: BDim, by: BDim, xs: Shape, ys: Shape) =>
      traceToJaxpr((x, y) => rules.batch(N, [x, y], [bx, by], P(dn([1], [0])))[0], [shaped(xs, 'float64'), shaped(ys, 'float64')]).jaxpr.eqns.map((e) => e.prim)
    expect(prims(1, null, [2, N, 3], [3, 4])).toEqual(['dot_general'])
    expect(prims(null, 2, [2, 3], [3, 4, N])).toEqual(['dot_general'])
    expect(prims(2, 0, [2, 3, N], [N, 3, 4])).toEqual(['dot_general'])
  })
})
