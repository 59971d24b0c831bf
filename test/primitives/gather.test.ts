import { describe, expect, it } from 'vitest'
import '../../src/rules'
import { ConcreteArray } from '../../src/core/array'
import { AxisError, DTypeError, ShapeError, ValueError } from '../../src/core/errors'
import { type BDim, UndefPrimal, Zero, isZero, registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { type Shape, sizeOf, stridesOf } from '../../src/ir/aval'
import { type DType, allocate } from '../../src/ir/dtypes'
import type { GatherDimensionNumbers, GatherMode, ParamsMap, ScatterDimensionNumbers, ScatterMode } from '../../src/ir/params'
import { gather, gatherRules, scatterAdd, takeAlongAxis } from '../../src/primitives/gather'

registerRules(gatherRules)
const G = gatherRules.gather
const S = gatherRules.scatter_add

// ---- helpers ---------------------------------------------------------------------------

let seed = 987654321
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0
  return ((seed >>> 8) & 0xffff) / 0x10000
}
/** Random data: floats in [-2, 2), ints in [-10, 10), bools; `dyadic` floats are multiples of 1/4. */
const rand = (shape: Shape, dtype: DType = 'float64', dyadic = false): ConcreteArray => {
  const data = allocate(dtype, sizeOf(shape))
  for (let i = 0; i < data.length; i++) {
    const u = rnd()
    data[i] = dtype === 'bool' ? (u < 0.5 ? 1 : 0) : dtype === 'int32' ? Math.floor(u * 20) - 10 : dyadic ? Math.floor(u * 16) / 4 - 2 : u * 4 - 2
  }
  return new ConcreteArray(data, shape, dtype)
}
/** Random int32 indices in [lo, hi]. */
const randIdx = (shape: Shape, lo: number, hi: number): ConcreteArray => {
  const data = new Int32Array(sizeOf(shape))
  for (let i = 0; i < data.length; i++) data[i] = lo + Math.floor(rnd() * (hi - lo + 1))
  return new ConcreteArray(data, shape, 'int32')
}
const arr = (data: number[], shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const d = allocate(dtype, data.length)
  d.set(data)
  return new ConcreteArray(d, shape, dtype)
}
const i32 = (data: number[], shape: Shape): ConcreteArray => arr(data, shape, 'int32')
const c = (x: Tracer | Zero | null): ConcreteArray => x as ConcreteArray
const vals = (x: Tracer | Zero | null): number[] => Array.from(c(x).data)

const gdn = (
  offsetDims: number[],
  collapsedSliceDims: number[],
  startIndexMap: number[],
  operandBatchingDims: number[] = [],
  startIndicesBatchingDims: number[] = [],
): GatherDimensionNumbers => ({ offsetDims, collapsedSliceDims, startIndexMap, operandBatchingDims, startIndicesBatchingDims })
const sdn = (
  updateWindowDims: number[],
  insertedWindowDims: number[],
  scatterDimsToOperandDims: number[],
  operandBatchingDims: number[] = [],
  scatterIndicesBatchingDims: number[] = [],
): ScatterDimensionNumbers => ({ updateWindowDims, insertedWindowDims, scatterDimsToOperandDims, operandBatchingDims, scatterIndicesBatchingDims })
const gp = (d: GatherDimensionNumbers, sliceSizes: number[], mode: GatherMode = 'clip', fillValue: number | null = null): ParamsMap['gather'] =>
  ({ dimensionNumbers: d, sliceSizes, mode, fillValue })
const sp = (d: ScatterDimensionNumbers, mode: ScatterMode = 'drop'): ParamsMap['scatter_add'] => ({ dimensionNumbers: d, mode })

/** All multi-indices of a shape, built axis by axis (row-major). */
const multiIndices = (shape: Shape): number[][] =>
  shape.reduce<number[][]>((acc, n) => acc.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i])), [[]])
const flat = (shape: Shape, idx: readonly number[]): number => idx.reduce((acc, v, d) => acc * shape[d] + v, 0)
const read = (x: ConcreteArray, idx: readonly number[]): number => x.data[flat(x.shape, idx)]

/**
 * Reference gather, straight from the definition: for every output multi-index, find the
 * operand element it names (or the fill value). Iterates outputs, not windows.
 */
const refGather = (x: ConcreteArray, idx: ConcreteArray, p: ParamsMap['gather'], fill: number): { shape: number[]; values: number[] } => {
  const d = p.dimensionNumbers
  const outRank = d.offsetDims.length + idx.ndim - 1
  const batchPos = [...Array(outRank).keys()].filter((a) => !d.offsetDims.includes(a))
  const winAxes = [...Array(x.ndim).keys()].filter((a) => !d.collapsedSliceDims.includes(a) && !d.operandBatchingDims.includes(a))
  const shape: number[] = []
  for (let a = 0, j = 0, k = 0; a < outRank; a++) shape.push(d.offsetDims.includes(a) ? p.sliceSizes[winAxes[k++]] : idx.shape[j++])
  const values = multiIndices(shape).map((out) => {
    const g = batchPos.map((a) => out[a])
    const start = new Array<number>(x.ndim).fill(0)
    let oob = false
    d.startIndexMap.forEach((ax, k) => {
      const s = read(idx, [...g, k])
      const hi = x.shape[ax] - p.sliceSizes[ax]
      if (p.mode === 'clip') start[ax] = Math.max(0, Math.min(hi, s))
      else if (s < 0 || s > hi) oob = true
      else start[ax] = s
    })
    d.operandBatchingDims.forEach((ax, i) => (start[ax] = g[d.startIndicesBatchingDims[i]]))
    if (oob) return fill
    const full = [...start]
    winAxes.forEach((ax, k) => (full[ax] += out[d.offsetDims[k]]))
    return read(x, full)
  })
  return { shape, values }
}

/** Reference scatter-add: every update element, in row-major order, added where it lands. */
const refScatter = (
  x: ConcreteArray,
  idx: ConcreteArray,
  u: ConcreteArray,
  p: ParamsMap['scatter_add'],
  addFn: (a: number, b: number) => number = (a, b) => a + b,
): number[] => {
  const d = p.dimensionNumbers
  const out = Array.from(x.data)
  const scatterPos = [...Array(u.ndim).keys()].filter((a) => !d.updateWindowDims.includes(a))
  const winAxes = [...Array(x.ndim).keys()].filter((a) => !d.insertedWindowDims.includes(a) && !d.operandBatchingDims.includes(a))
  const winSize = (ax: number): number => {
    const k = winAxes.indexOf(ax)
    return k < 0 ? 1 : u.shape[d.updateWindowDims[k]]
  }
  for (const ui of multiIndices(u.shape)) {
    const g = scatterPos.map((a) => ui[a])
    const start = new Array<number>(x.ndim).fill(0)
    let drop = false
    d.scatterDimsToOperandDims.forEach((ax, k) => {
      const s = read(idx, [...g, k])
      const hi = x.shape[ax] - winSize(ax)
      if (p.mode === 'clip') start[ax] = Math.max(0, Math.min(hi, s))
      else if (s < 0 || s > hi) drop = true
      else start[ax] = s
    })
    if (drop) continue
    d.operandBatchingDims.forEach((ax, i) => (start[ax] = g[d.scatterIndicesBatchingDims[i]]))
    winAxes.forEach((ax, k) => (start[ax] += ui[d.updateWindowDims[k]]))
    const f = flat(x.shape, start)
    out[f] = addFn(out[f], read(u, ui))
  }
  return out
}

const dot = (a: Tracer | Zero | null, b: Tracer | Zero | null): number => {
  if (a === null || b === null || isZero(a) || isZero(b)) return 0
  const x = c(a).data
  const y = c(b).data
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i] * y[i]
  return s
}
const axpy = (x: ConcreteArray, t: ConcreteArray, e: number): ConcreteArray =>
  new ConcreteArray(Float64Array.from(x.data, (v, i) => v + e * t.data[i]), x.shape, x.dtype)
const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6): void => {
  expect(got.length).toBe(want.length)
  for (let i = 0; i < got.length; i++) {
    const scale = Math.max(1, Math.abs(want[i]))
    if (!(Math.abs(got[i] - want[i]) <= tol * scale)) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]}`)
  }
}

/** The element `i` of `x` along `axis` (that axis removed). */
const slab = (x: ConcreteArray, axis: number, i: number): ConcreteArray => {
  const shape = x.shape.filter((_, a) => a !== axis)
  const data = allocate(x.dtype, sizeOf(shape))
  multiIndices(shape).forEach((m, f) => (data[f] = read(x, [...m.slice(0, axis), i, ...m.slice(axis)])))
  return new ConcreteArray(data, shape, x.dtype)
}

/**
 * A batch rule against per-example impls: `xs` carry their batch axis at `bdims`; example i
 * of the batched output must equal the impl on example i of each input.
 */
const checkBatch = <P extends 'gather' | 'scatter_add'>(prim: P, n: number, xs: ConcreteArray[], bdims: BDim[], params: ParamsMap[P]): void => {
  const rules = gatherRules[prim] as unknown as {
    batch: (n: number, xs: readonly Tracer[], b: readonly BDim[], p: ParamsMap[P]) => [Tracer[], BDim[]]
    impl: (xs: readonly ConcreteArray[], p: ParamsMap[P]) => ConcreteArray[]
  }
  const [[out], [ob]] = rules.batch(n, xs, bdims, params)
  expect(ob).not.toBeNull()
  expect(c(out).shape[ob as number]).toBe(n)
  for (let i = 0; i < n; i++) {
    const ex = xs.map((x, k) => (bdims[k] === null ? x : slab(x, bdims[k] as number, i)))
    const [want] = rules.impl(ex, params)
    const got = slab(c(out), ob as number, i)
    expect(got.shape).toEqual(want.shape)
    expect(Array.from(got.data)).toEqual(Array.from(want.data))
  }
}

/** Insert a batch axis of size n at `axis` into `shape`. */
const withAxis = (shape: Shape, axis: number, n: number): number[] => [...shape.slice(0, axis), n, ...shape.slice(axis)]

// ---- gather configurations (operand shape, indices shape, index range, params) ----------------

interface GCase {
  name: string
  x: number[]
  idx: number[]
  lo: number
  hi: number
  d: GatherDimensionNumbers
  ss: number[]
}
const GCASES: GCase[] = [
  { name: 'rows x[i] (axis 0)', x: [5, 3], idx: [4, 1], lo: -2, hi: 6, d: gdn([1], [0], [0]), ss: [1, 3] },
  { name: 'points x[i, j]', x: [3, 4], idx: [2, 3, 2], lo: -1, hi: 4, d: gdn([], [0, 1], [0, 1]), ss: [1, 1] },
  { name: 'windows, reversed start map', x: [5, 6], idx: [3, 2], lo: -2, hi: 6, d: gdn([1, 2], [], [1, 0]), ss: [2, 3] },
  { name: 'batching dims', x: [2, 4, 3], idx: [3, 2, 1], lo: -1, hi: 4, d: gdn([2], [1], [1], [0], [1]), ss: [1, 1, 3] },
  { name: 'offset dim in the middle', x: [4, 5], idx: [2, 3, 1], lo: -1, hi: 5, d: gdn([1], [1], [1]), ss: [2, 1] },
  { name: 'collapsed + windowed start map', x: [3, 4, 5], idx: [2, 2], lo: -1, hi: 5, d: gdn([1, 2], [0], [2, 0]), ss: [1, 2, 3] },
  { name: 'take along axis 1 (batching)', x: [3, 4], idx: [3, 2, 1], lo: -1, hi: 4, d: gdn([], [1], [1], [0], [0]), ss: [1, 1] },
]

// ---- gather impl -----------------------------------------------------------------------

describe('gather impl', () => {
  it('x[idx] along axis 0 (hand-computed)', () => {
    const x = arr([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [4, 3])
    const y = gather(x, i32([2, 0, 3], [3, 1]), gdn([1], [0], [0]), [1, 3])
    expect(y.shape).toEqual([3, 3])
    expect(vals(y)).toEqual([6, 7, 8, 0, 1, 2, 9, 10, 11])
  })

  it('2-D point gather x[i, j] (hand-computed)', () => {
    const x = arr([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [3, 4])
    const y = gather(x, i32([0, 1, 2, 3, 1, 0], [3, 2]), gdn([], [0, 1], [0, 1]), [1, 1])
    expect(y.shape).toEqual([3])
    expect(vals(y)).toEqual([1, 11, 4])
  })

  it('a single point gives a 0-d result', () => {
    const x = arr([0, 1, 2, 3, 4, 5], [2, 3])
    const y = gather(x, i32([1, 2], [2]), gdn([], [0, 1], [0, 1]), [1, 1])
    expect(y.shape).toEqual([])
    expect(vals(y)).toEqual([5])
  })

  it('batching dims: x[b, idx[b], :] (hand-computed)', () => {
    const x = arr([...Array(12).keys()], [2, 3, 2])
    // example 0 takes rows 2, 0; example 1 takes row 1 twice
    const y = gather(x, i32([2, 0, 1, 1], [2, 2, 1]), gdn([2], [1], [1], [0], [0]), [1, 1, 2])
    expect(y.shape).toEqual([2, 2, 2])
    expect(vals(y)).toEqual([4, 5, 0, 1, 8, 9, 8, 9])
  })

  it('clip clamps each start to [0, dim - sliceSize] (hand-computed)', () => {
    const x = arr([0, 1, 2, 3, 4], [5])
    const y = gather(x, i32([-3, 4, 1], [3, 1]), gdn([1], [], [0]), [2])
    expect(vals(y)).toEqual([0, 1, 3, 4, 1, 2])
  })

  it('fill fills the whole window when its start is out of bounds (hand-computed)', () => {
    const x = arr([0, 1, 2, 3, 4], [5])
    const y = gather(x, i32([-1, 4, 3], [3, 1]), gdn([1], [], [0]), [2], { mode: 'fill', fillValue: -7 })
    expect(vals(y)).toEqual([-7, -7, -7, -7, 3, 4])
  })

  it("fill defaults to JAX's: NaN, the least int32, true", () => {
    const idx = i32([5, 0], [2, 1])
    const d = gdn([], [0], [0])
    const opts = { mode: 'fill' as const }
    expect(vals(gather(arr([1, 2], [2]), idx, d, [1], opts))).toEqual([NaN, 1])
    expect(vals(gather(arr([1, 2], [2], 'float32'), idx, d, [1], opts))).toEqual([NaN, 1])
    expect(vals(gather(arr([1, 2], [2], 'int32'), idx, d, [1], opts))).toEqual([-(2 ** 31), 1])
    expect(vals(gather(arr([0, 0], [2], 'bool'), idx, d, [1], opts))).toEqual([1, 0])
    // an explicit fill is cast to the dtype
    expect(vals(gather(arr([1, 2], [2], 'int32'), idx, d, [1], { mode: 'fill', fillValue: 3.7 }))).toEqual([3, 1])
    expect(vals(gather(arr([1, 2], [2], 'float32'), idx, d, [1], { mode: 'fill', fillValue: 0.1 }))).toEqual([Math.fround(0.1), 1])
  })

  for (const gc of GCASES) {
    for (const mode of ['clip', 'fill'] as const) {
      for (const dtype of ['float64', 'float32', 'int32', 'bool'] as const) {
        it(`${gc.name}, ${mode}, ${dtype}: matches the reference`, () => {
          const x = rand(gc.x, dtype)
          const idx = randIdx(gc.idx, gc.lo, gc.hi)
          const p = gp(gc.d, gc.ss, mode, mode === 'fill' ? 5 : null)
          const [y] = G.impl([x, idx], p)
          const want = refGather(x, idx, p, dtype === 'bool' ? 1 : 5)
          expect(y.shape).toEqual(want.shape)
          expect(y.dtype).toBe(dtype)
          expect(Array.from(y.data)).toEqual(want.values)
          expect(G.abstractEval([x.aval, idx.aval], p)).toEqual([y.aval])
        })
      }
    }
  }

  it('keeps the weak type of the operand', () => {
    const x = new ConcreteArray(new Float64Array([1, 2, 3]), [3], 'float64', true)
    const y = gather(x, i32([2], [1, 1]), gdn([], [0], [0]), [1])
    expect(y.weakType).toBe(true)
  })

  it('empty: no indices, empty windows, empty operand axes', () => {
    const x = rand([4, 3])
    const none = gather(x, i32([], [0, 1]), gdn([1], [0], [0]), [1, 3])
    expect(none.shape).toEqual([0, 3])
    const emptyWin = gather(x, i32([1, 2], [2, 1]), gdn([1], [0], [0]), [1, 0])
    expect(emptyWin.shape).toEqual([2, 0])
    const e = rand([3, 0])
    expect(gather(e, i32([1, 2], [2, 1]), gdn([1], [0], [0]), [1, 0]).shape).toEqual([2, 0])
    // batching dims over an empty axis
    const eb = gather(rand([0, 3]), i32([], [0, 1]), gdn([], [1], [1], [0], [0]), [0, 1])
    expect(eb.shape).toEqual([0])
  })
})

describe('takeAlongAxis', () => {
  it('takes along axis 1 and axis 0 (hand-computed)', () => {
    const x = arr([0, 1, 2, 10, 11, 12], [2, 3])
    expect(vals(takeAlongAxis(x, i32([2, 0, 1, 1], [2, 2]), 1))).toEqual([2, 0, 11, 11])
    expect(vals(takeAlongAxis(x, i32([1, 0, 1], [1, 3]), 0))).toEqual([10, 1, 12])
    expect(vals(takeAlongAxis(x, i32([1, 0, 1], [1, 3]), -2))).toEqual([10, 1, 12])
  })

  it('matches NumPy on a 3-D array along each axis', () => {
    const x = rand([3, 4, 2])
    for (const axis of [0, 1, 2]) {
      const ishape = x.shape.map((s, d) => (d === axis ? 5 : s))
      const idx = randIdx(ishape, 0, x.shape[axis] - 1)
      const y = takeAlongAxis(x, idx, axis)
      expect(y.shape).toEqual(ishape)
      const want = multiIndices(ishape).map((m) => read(x, m.map((v, d) => (d === axis ? read(idx, m) : v))))
      expect(vals(y)).toEqual(want)
    }
  })

  it('broadcasts size-1 axes of either argument (NumPy rule)', () => {
    const x = arr([0, 1, 2, 10, 11, 12], [2, 3])
    expect(vals(takeAlongAxis(x, i32([2, 0], [1, 2]), 1))).toEqual([2, 0, 12, 10])
    const row = arr([5, 6, 7], [1, 3])
    const y = takeAlongAxis(row, i32([2, 1], [2, 1]), 1)
    expect(y.shape).toEqual([2, 1])
    expect(vals(y)).toEqual([7, 6])
  })

  it('an empty axis with empty indices gives an empty result', () => {
    expect(takeAlongAxis(rand([2, 0]), i32([], [2, 0]), 1).shape).toEqual([2, 0])
    expect(() => takeAlongAxis(rand([2, 0]), i32([0, 0], [2, 1]), 1)).toThrow(/empty axis/)
  })

  it('validates', () => {
    const x = rand([2, 3])
    expect(() => takeAlongAxis(x, arr([0, 1], [2, 1]), 1)).toThrow(DTypeError)
    expect(() => takeAlongAxis(x, i32([0, 1], [2]), 1)).toThrow(/rank/)
    expect(() => takeAlongAxis(x, i32([0, 1, 0, 1, 0, 1], [3, 2]), 1)).toThrow(ShapeError)
    expect(() => takeAlongAxis(x, i32([0, 1], [2, 1]), 2)).toThrow(AxisError)
  })
})

describe('gather validation', () => {
  const x = rand([4, 3])
  const idx = i32([1, 2], [2, 1])
  const bad = (d: GatherDimensionNumbers, ss: number[], ix: ConcreteArray = idx, xx: ConcreteArray = x) => () => gather(xx, ix, d, ss)
  const ok = gdn([1], [0], [0])

  it('rejects bad indices', () => {
    expect(bad(ok, [1, 3], arr([1, 2], [2, 1]))).toThrow(DTypeError)
    expect(bad(ok, [1, 3], arr([1, 2], [2, 1]))).toThrow(/indices must be int32/)
    expect(bad(ok, [1, 3], i32([1], []))).toThrow(/at least one axis/)
    expect(bad(ok, [1, 3], i32([1, 2], [1, 2]))).toThrow(/index vector/)
  })

  it('rejects bad dimension numbers', () => {
    expect(bad(gdn([2], [0], [0]), [1, 3])).toThrow(AxisError)
    expect(bad(gdn([1], [0, 0], [0]), [1, 3])).toThrow(/repeated/)
    expect(bad(gdn([1], [0], [2]), [1, 3])).toThrow(/startIndexMap/)
    expect(bad(gdn([2, 1], [], [0]), [1, 3])).toThrow(/sorted/)
    expect(bad(gdn([], [0], [0]), [1, 3])).toThrow(/one entry per operand axis/)
  })

  it('rejects bad batching dims', () => {
    const xb = rand([2, 3])
    const ib = i32([0, 1], [2, 1])
    expect(bad(gdn([], [1], [1], [0], []), [1, 1], ib, xb)).toThrow(/equal lengths/)
    expect(bad(gdn([], [1], [1], [0], [1]), [1, 1], ib, xb)).toThrow(AxisError) // the index vector axis
    expect(bad(gdn([], [0, 1], [1], [0], [0]), [1, 1], ib, xb)).toThrow(/both/)
    expect(bad(gdn([], [1], [0], [0], [0]), [1, 1], ib, xb)).toThrow(/both/)
    expect(bad(gdn([], [0], [0], [1], [0]), [1, 1], ib, xb)).toThrow(/batching axis 1/)
    expect(bad(gdn([], [1], [1], [0], [0]), [2, 1], ib, xb)).toThrow(/batching axis 0 must have slice size 1/)
  })

  it('rejects bad slice sizes and modes', () => {
    expect(bad(ok, [1])).toThrow(/sliceSizes/)
    expect(bad(ok, [1, 4])).toThrow(ShapeError)
    expect(bad(ok, [1, -1])).toThrow(ShapeError)
    expect(bad(ok, [2, 3])).toThrow(/collapsed axis 0 must have slice size 1/)
    expect(() => G.abstractEval([x.aval, idx.aval], { ...gp(ok, [1, 3]), mode: 'wrap' as GatherMode })).toThrow(ValueError)
  })

  it('abstract eval and impl throw the same errors', () => {
    const p = gp(gdn([1], [0], [0]), [2, 3])
    expect(() => G.abstractEval([x.aval, idx.aval], p)).toThrow(/collapsed axis 0/)
    expect(() => G.impl([x, idx], p)).toThrow(/collapsed axis 0/)
  })
})

// ---- scatter_add impl ------------------------------------------------------------------

interface SCase {
  name: string
  x: number[]
  idx: number[]
  u: number[]
  lo: number
  hi: number
  d: ScatterDimensionNumbers
}
const SCASES: SCase[] = [
  { name: 'add.at on rows', x: [5, 3], idx: [6, 1], u: [6, 3], lo: -1, hi: 5, d: sdn([1], [0], [0]) },
  { name: 'points', x: [3, 4], idx: [2, 3, 2], u: [2, 3], lo: -1, hi: 4, d: sdn([], [0, 1], [0, 1]) },
  { name: 'windows, reversed map', x: [5, 6], idx: [4, 2], u: [4, 2, 3], lo: -1, hi: 5, d: sdn([1, 2], [], [1, 0]) },
  { name: 'batching dims', x: [2, 4, 3], idx: [3, 2, 1], u: [3, 2, 3], lo: -1, hi: 4, d: sdn([2], [1], [1], [0], [1]) },
  { name: 'window dim first', x: [4, 5], idx: [2, 3, 1], u: [2, 2, 3], lo: -1, hi: 5, d: sdn([1], [1], [1]) },
]

describe('scatter_add impl', () => {
  it('duplicates accumulate (hand-computed)', () => {
    const y = scatterAdd(arr([0, 0, 0, 0, 0], [5]), i32([1, 3, 1], [3, 1]), arr([1, 2, 3], [3]), sdn([], [0], [0]))
    expect(vals(y)).toEqual([0, 4, 0, 2, 0])
  })

  it('rows, with a dropped out-of-bounds row (hand-computed)', () => {
    const x = arr([1, 1, 1, 1, 1, 1], [3, 2])
    const y = scatterAdd(x, i32([2, 0, 3, -1], [4, 1]), arr([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), sdn([1], [0], [0]))
    expect(vals(y)).toEqual([4, 5, 1, 1, 2, 3])
    const yc = scatterAdd(x, i32([2, 0, 3, -1], [4, 1]), arr([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), sdn([1], [0], [0]), { mode: 'clip' })
    expect(vals(yc)).toEqual([11, 13, 1, 1, 7, 9])
  })

  it('drop skips a window that does not fit entirely; clip shifts it (hand-computed)', () => {
    const x = arr([0, 0, 0, 0], [4])
    const u = arr([1, 2, 10, 20], [2, 2])
    expect(vals(scatterAdd(x, i32([3, 1], [2, 1]), u, sdn([1], [], [0])))).toEqual([0, 10, 20, 0])
    expect(vals(scatterAdd(x, i32([3, 1], [2, 1]), u, sdn([1], [], [0]), { mode: 'clip' }))).toEqual([0, 10, 21, 2])
  })

  it('int32 wraps around; float32 rounds', () => {
    const y = scatterAdd(arr([2 ** 31 - 1], [1], 'int32'), i32([0], [1, 1]), arr([1], [1], 'int32'), sdn([], [0], [0]))
    expect(vals(y)).toEqual([-(2 ** 31)])
    const f = scatterAdd(arr([1], [1], 'float32'), i32([0, 0], [2, 1]), arr([1e-8, 1e-8], [2], 'float32'), sdn([], [0], [0]))
    expect(vals(f)).toEqual([1])
  })

  for (const sc of SCASES) {
    for (const mode of ['drop', 'clip'] as const) {
      for (const dtype of ['float64', 'float32', 'int32'] as const) {
        it(`${sc.name}, ${mode}, ${dtype}: matches the reference`, () => {
          const x = rand(sc.x, dtype, true)
          const idx = randIdx(sc.idx, sc.lo, sc.hi)
          const u = rand(sc.u, dtype, true)
          const p = sp(sc.d, mode)
          const [y] = S.impl([x, idx, u], p)
          const add = dtype === 'int32' ? (a: number, b: number) => (a + b) | 0 : dtype === 'float32' ? (a: number, b: number) => Math.fround(a + b) : undefined
          expect(y.shape).toEqual(sc.x)
          expect(Array.from(y.data)).toEqual(refScatter(x, idx, u, p, add))
          expect(S.abstractEval([x.aval, idx.aval, u.aval], p)).toEqual([y.aval])
        })
      }
    }
  }

  it('does not mutate its operand', () => {
    const x = arr([1, 2, 3], [3])
    scatterAdd(x, i32([0], [1, 1]), arr([5], [1]), sdn([], [0], [0]))
    expect(vals(x)).toEqual([1, 2, 3])
  })

  it('empty updates and an empty inserted axis', () => {
    const x = rand([3, 2])
    expect(vals(scatterAdd(x, i32([], [0, 1]), rand([0, 2]), sdn([1], [0], [0])))).toEqual(vals(x))
    const e = rand([0, 2])
    for (const mode of ['drop', 'clip'] as const) {
      const y = scatterAdd(e, i32([0], [1, 1]), rand([1, 2]), sdn([1], [0], [0]), { mode })
      expect(y.shape).toEqual([0, 2])
    }
  })

  it('validates', () => {
    const x = rand([4, 3])
    const idx = i32([1, 2], [2, 1])
    const u = rand([2, 3])
    const d = sdn([1], [0], [0])
    expect(() => scatterAdd(x, idx, rand([2, 3], 'float32'), d)).toThrow(DTypeError)
    expect(() => scatterAdd(rand([4, 3], 'bool'), idx, rand([2, 3], 'bool'), d)).toThrow(/numeric/)
    expect(() => scatterAdd(x, arr([1, 2], [2, 1]), u, d)).toThrow(/indices must be int32/)
    expect(() => scatterAdd(x, idx, rand([2, 3, 1]), d)).toThrow(/must have rank 2/)
    expect(() => scatterAdd(x, idx, rand([3, 3]), d)).toThrow(/scatter axes of updates/)
    expect(() => scatterAdd(x, idx, rand([2, 4]), sdn([1], [], [0]))).toThrow(/one entry per operand axis/)
    expect(() => scatterAdd(rand([4, 3]), i32([1, 2], [2, 1]), rand([2, 5, 3]), sdn([1, 2], [], [0]))).toThrow(/larger than axis 0/)
    expect(() => scatterAdd(x, idx, u, sdn([1], [0], [0, 1]))).toThrow(/index vector/)
    expect(() => scatterAdd(x, idx, u, sdn([0], [0], [0]))).toThrow(ShapeError)
    expect(() => S.abstractEval([x.aval, idx.aval, u.aval], sp(d, 'fill' as ScatterMode))).toThrow(ValueError)
  })
})

// ---- rules -----------------------------------------------------------------------------

describe('gather rules', () => {
  for (const gc of GCASES) {
    for (const mode of ['clip', 'fill'] as const) {
      it(`jvp matches finite differences: ${gc.name}, ${mode}`, () => {
        const x = rand(gc.x)
        const dx = rand(gc.x)
        const idx = randIdx(gc.idx, gc.lo, gc.hi)
        const p = gp(gc.d, gc.ss, mode, mode === 'fill' ? 3 : null)
        const [[y], [dy]] = G.jvp([x, idx], [dx, new Zero(idx.aval)], p)
        expect(vals(y)).toEqual(vals(G.impl([x, idx], p)[0]))
        const eps = 1e-6
        const [plus, minus] = [vals(G.impl([axpy(x, dx, eps), idx], p)[0]), vals(G.impl([axpy(x, dx, -eps), idx], p)[0])]
        const fd = plus.map((v, i) => (v - minus[i]) / (2 * eps))
        expectClose(vals(dy), fd)
      })

      it(`transpose is the adjoint: ${gc.name}, ${mode}`, () => {
        const x = rand(gc.x)
        const idx = randIdx(gc.idx, gc.lo, gc.hi)
        const p = gp(gc.d, gc.ss, mode)
        const gt = G.impl([x, idx], p)[0]
        const ct = rand(gt.shape)
        const [xct, ict] = G.transpose([ct], [new UndefPrimal(x.aval), idx], p)
        expect(ict).toBeNull()
        expect(c(xct).shape).toEqual(x.shape)
        // with fill mode the filled entries are constants: compare with a zero fill
        const lin = G.impl([x, idx], { ...p, fillValue: 0 })[0]
        expectClose([dot(ct, lin)], [dot(xct, x)], 1e-12)
      })
    }
  }

  it('the tangent of a NaN fill is 0, not NaN', () => {
    const x = rand([3])
    const p = gp(gdn([], [0], [0]), [1], 'fill')
    const idx = i32([7, 1], [2, 1])
    const [[y], [dy]] = G.jvp([x, idx], [rand([3]), new Zero(idx.aval)], p)
    expect(vals(y)[0]).toBeNaN()
    expect(vals(dy)[0]).toBe(0)
  })

  it('zero tangents and cotangents stay symbolic', () => {
    const x = rand([4, 3])
    const idx = i32([1, 2], [2, 1])
    const p = gp(gdn([1], [0], [0]), [1, 3])
    const [, [dy]] = G.jvp([x, idx], [new Zero(x.aval), new Zero(idx.aval)], p)
    expect(isZero(dy)).toBe(true)
    expect((dy as Zero).aval.shape).toEqual([2, 3])
    const [xct] = G.transpose([new Zero(G.abstractEval([x.aval, idx.aval], p)[0])], [new UndefPrimal(x.aval), idx], p)
    expect(isZero(xct)).toBe(true)
    expect((xct as Zero).aval.shape).toEqual([4, 3])
  })

  const batchCases: Array<[string, number, BDim, BDim]> = [
    ['operand batched at 0', 3, 0, null],
    ['operand batched at the end', 2, -1, null],
    ['operand batched in the middle', 3, 1, null],
    ['indices batched at 0', 3, null, 0],
    ['indices batched at the last axis', 2, null, -1],
    ['both batched', 3, 0, 0],
    ['both batched, other axes', 2, -1, 1],
    ['both batched, batch size 1', 1, 1, -1],
  ]
  for (const gc of GCASES) {
    for (const [name, n, bx0, bi0] of batchCases) {
      for (const mode of ['clip', 'fill'] as const) {
        it(`batch (${name}, ${mode}): ${gc.name}`, () => {
          const bx = bx0 === null ? null : bx0 < 0 ? gc.x.length : bx0
          const bi = bi0 === null ? null : bi0 < 0 ? gc.idx.length : bi0
          const x = rand(bx === null ? gc.x : withAxis(gc.x, bx, n))
          const idx = randIdx(bi === null ? gc.idx : withAxis(gc.idx, bi, n), gc.lo, gc.hi)
          checkBatch('gather', n, [x, idx], [bx, bi], gp(gc.d, gc.ss, mode, mode === 'fill' ? -1 : null))
        })
      }
    }
  }

  it('batch with batch size 0', () => {
    const gc = GCASES[3]
    const x = rand(withAxis(gc.x, 0, 0))
    const idx = randIdx(withAxis(gc.idx, 0, 0), 0, 1)
    const [[y], [b]] = G.batch(0, [x, idx], [0, 0], gp(gc.d, gc.ss))
    expect(b).toBe(0)
    expect(y.shape).toEqual([0, ...G.abstractEval([rand(gc.x).aval, randIdx(gc.idx, 0, 0).aval], gp(gc.d, gc.ss))[0].shape])
  })
})

describe('scatter_add rules', () => {
  for (const sc of SCASES) {
    for (const mode of ['drop', 'clip'] as const) {
      it(`jvp matches finite differences: ${sc.name}, ${mode}`, () => {
        const x = rand(sc.x)
        const u = rand(sc.u)
        const [dx, du] = [rand(sc.x), rand(sc.u)]
        const idx = randIdx(sc.idx, sc.lo, sc.hi)
        const p = sp(sc.d, mode)
        const f = (e: number) => vals(S.impl([axpy(x, dx, e), idx, axpy(u, du, e)], p)[0])
        const [[y], [dy]] = S.jvp([x, idx, u], [dx, new Zero(idx.aval), du], p)
        expect(vals(y)).toEqual(f(0))
        const eps = 1e-6
        const [plus, minus] = [f(eps), f(-eps)]
        expectClose(vals(dy), plus.map((v, i) => (v - minus[i]) / (2 * eps)))
        // a zero operand tangent
        const [, [dyu]] = S.jvp([x, idx, u], [new Zero(x.aval), new Zero(idx.aval), du], p)
        expectClose(vals(dyu), vals(S.impl([new ConcreteArray(new Float64Array(x.size), x.shape, 'float64'), idx, du], p)[0]))
      })

      it(`transpose is the adjoint in operand and updates: ${sc.name}, ${mode}`, () => {
        const x = rand(sc.x)
        const u = rand(sc.u)
        const idx = randIdx(sc.idx, sc.lo, sc.hi)
        const p = sp(sc.d, mode)
        const ct = rand(sc.x)
        const [xct, ict, uct] = S.transpose([ct], [new UndefPrimal(x.aval), idx, new UndefPrimal(u.aval)], p)
        expect(ict).toBeNull()
        expect(c(uct).shape).toEqual(sc.u)
        expectClose([dot(ct, S.impl([x, idx, u], p)[0])], [dot(xct, x) + dot(uct, u)], 1e-12)
        // only the updates linear
        const [xn, , uct2] = S.transpose([ct], [x, idx, new UndefPrimal(u.aval)], p)
        expect(xn).toBeNull()
        expect(vals(uct2)).toEqual(vals(uct))
      })
    }
  }

  it('zero cotangents stay symbolic; an empty inserted axis transposes to zeros', () => {
    const x = rand([4, 3])
    const idx = i32([1, 2], [2, 1])
    const u = rand([2, 3])
    const p = sp(sdn([1], [0], [0]))
    const outs = S.transpose([new Zero(x.aval)], [new UndefPrimal(x.aval), idx, new UndefPrimal(u.aval)], p)
    expect(isZero(outs[0]) && isZero(outs[2])).toBe(true)
    expect(outs[1]).toBeNull()
    const [, [dy]] = S.jvp([x, idx, u], [new Zero(x.aval), new Zero(idx.aval), new Zero(u.aval)], p)
    expect(isZero(dy)).toBe(true)
    const e = rand([0, 3])
    const [, , uct] = S.transpose([rand([0, 3])], [new UndefPrimal(e.aval), idx, new UndefPrimal(u.aval)], p)
    expect(vals(uct)).toEqual([0, 0, 0, 0, 0, 0])
  })

  const batchCases: Array<[string, number, BDim, BDim, BDim]> = [
    ['operand only', 3, 0, null, null],
    ['updates only', 2, null, null, -1],
    ['operand and updates', 3, -1, null, 1],
    ['indices only', 3, null, 0, null],
    ['indices at the last axis, updates', 2, null, -1, 0],
    ['all three', 3, 1, 1, -1],
    ['operand and indices', 2, 0, -1, null],
  ]
  for (const sc of SCASES) {
    for (const [name, n, bx0, bi0, bu0] of batchCases) {
      for (const mode of ['drop', 'clip'] as const) {
        it(`batch (${name}, ${mode}): ${sc.name}`, () => {
          const pos = (b: BDim, rank: number): BDim => (b === null ? null : b < 0 ? rank : b)
          const [bx, bi, bu] = [pos(bx0, sc.x.length), pos(bi0, sc.idx.length), pos(bu0, sc.u.length)]
          const x = rand(bx === null ? sc.x : withAxis(sc.x, bx, n))
          const idx = randIdx(bi === null ? sc.idx : withAxis(sc.idx, bi, n), sc.lo, sc.hi)
          const u = rand(bu === null ? sc.u : withAxis(sc.u, bu, n))
          checkBatch('scatter_add', n, [x, idx, u], [bx, bi, bu], sp(sc.d, mode))
        })
      }
    }
  }
})

describe('gather and scatter compose', () => {
  it('takeAlongAxis transposes (via gather) to a scatter of the cotangent', () => {
    const x = rand([3, 4])
    const idx = randIdx([3, 2], 0, 3)
    const y = takeAlongAxis(x, idx, 1)
    const ct = rand(y.shape)
    // the gather takeAlongAxis stands for: batching over axis 0, collapsing axis 1
    const p = gp(gdn([], [1], [1], [0], [0]), [1, 1])
    const idx3 = new ConcreteArray(idx.data, [3, 2, 1], 'int32')
    expect(vals(G.impl([x, idx3], p)[0])).toEqual(vals(y))
    const [xct] = G.transpose([ct], [new UndefPrimal(x.aval), idx3], p)
    const want = new Array<number>(12).fill(0)
    multiIndices([3, 2]).forEach(([i, j]) => (want[i * 4 + read(idx, [i, j])] += read(ct, [i, j])))
    expectClose(vals(xct), want, 1e-14)
  })

  it('strides of the window array are honoured (row-major check)', () => {
    const x = rand([3, 5])
    const st = stridesOf(x.shape)
    const y = gather(x, i32([1, 2], [1, 2]), gdn([0, 1], [], [0, 1]), [2, 3])
    expect(y.shape).toEqual([2, 3, 1])
    expect(vals(y)).toEqual([0, 1].flatMap((i) => [0, 1, 2].map((j) => x.data[(1 + i) * st[0] + 2 + j])))
  })
})
