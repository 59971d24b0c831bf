/**
 * NumPy layer: indexing — take, takeAlongAxis, sort, argsort, and the functional indexed
 * read/update `at(x, idx).get() / .set(v) / .add(v)` (JAX's `x.at[idx]`). Built on the gather,
 * scatter_add and sort primitives, so all of it is differentiable and batchable.
 *
 * Index semantics (NumPy advanced indexing). `idx` is one entry or a JS array of entries for
 * the leading axes (the remaining axes are taken whole); an entry is
 *   - a JS integer: one position (negative counts from the end; out of range is an AxisError),
 *   - an int32 Array: positions (negative entries wrap once, by the axis size),
 *   - `null`: the whole axis (NumPy's `:`).
 * Integers and index arrays broadcast together to a shape B. If they index adjacent axes, B
 * replaces those axes in place; otherwise B comes first (NumPy's rule).
 * Note: a JS array is a list of per-axis entries, so `at(x, [1, 2])` is x[1, 2]; to pick
 * positions 1 and 2 of axis 0 pass an array: `at(x, np.array([1, 2]))`.
 *
 * Out-of-range index-array entries (after wrapping): reads clamp them into range (gather
 * mode 'clip'); updates drop them (scatter mode 'drop'), as JAX.
 */
import { scalar } from '../core/array'
import { AxisError, DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, avalStr, shapeStr } from '../ir/aval'
import { isInt } from '../ir/dtypes'
import type { GatherDimensionNumbers, ScatterDimensionNumbers } from '../ir/params'
import { add, div, gt, lt, max, mul, ne } from '../primitives/binary'
import { gather, scatterAdd, takeAlongAxis as laxTakeAlongAxis } from '../primitives/gather'
import { broadcastInDim, convertElementType, iota, reshape, selectN } from '../primitives/shape'
import { concatenate } from '../primitives/slicing'
import { sort as laxSort } from '../primitives/sort'
import { checkInt32, describe, isTracerLike, normAxis, zerosOf } from '../primitives/util'
import { type NestedData, array } from './creation'
import { type ArrayLike, asArray, broadcastShapes, broadcastTo } from './promote'

/** One entry of an index: a position, an int32 array of positions, or `null` (the whole axis). */
export type IndexEntry = number | Tracer | null
/** An index: one entry, or one entry per leading axis. */
export type Index = IndexEntry | readonly IndexEntry[]

// ---- index plans -------------------------------------------------------------------------

/** How `x[idx]` maps onto gather (and the matching scatter). */
interface Plan {
  /** operand axes indexed by integers or arrays, in order */
  readonly axes: readonly number[]
  /** int32, shape B ++ [axes.length]: the wrapped positions (null when nothing is indexed) */
  readonly indices: Tracer | null
  /** the shape of x[idx] */
  readonly shape: Shape
  /** the axes of x[idx] that run over the operand's whole axes (gather offset dims) */
  readonly windowDims: readonly number[]
  readonly sliceSizes: readonly number[]
}

const INT_HINT = "np.array(data) is float64 by default: build positions with np.array(data, { dtype: 'int32' }) or convert with idx.astype('int32')"

/** Positions given as an Array, or as (nested) JS integers / an Int32Array → an int32 Array. */
const positions = (v: ArrayLike | NestedData, op: string): Tracer => {
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const check = (u: unknown): void => {
      if (Array.isArray(u)) u.forEach(check)
      else if (typeof u !== 'number' || !Number.isInteger(u)) {
        throw new ValueError(`${op}: positions must be integers, got ${describe(u)}`)
      } else checkInt32(u, `${op} position`) // 3e9 must not wrap to a valid position
    }
    if (Array.isArray(v)) check(v)
    else if (!(v instanceof Int32Array)) throw new DTypeError(`${op}: positions given as a typed array must be an Int32Array`)
    return array(v as NestedData, { dtype: 'int32' })
  }
  const t = asArray(v as ArrayLike, op)
  if (!isInt(t.dtype)) throw new DTypeError(`${op}: indices must be int32, got ${avalStr(t.aval)}. ${INT_HINT}`)
  return t
}

/** `i + n` where `i < 0`: NumPy's wrap of negative positions (once). */
const wrapNegative = (i: Tracer, n: number): Tracer =>
  add(i, mul(convertElementType(lt(i, 0), 'int32'), n))

const indexEntry = (e: unknown, axis: number, size: number, op: string): Tracer | null => {
  if (e === null) return null
  if (typeof e === 'number') {
    if (!Number.isInteger(e)) throw new ValueError(`${op}: index ${e} for axis ${axis} is not an integer`)
    if (e < -size || e >= size) {
      throw new AxisError(`${op}: index ${e} is out of bounds for axis ${axis} with size ${size}`)
    }
    return scalar(e < 0 ? e + size : e, 'int32')
  }
  if (!isTracerLike(e)) {
    throw new TypeError(`${op}: an index entry must be an integer, an int32 Array or null, got ${describe(e)}`)
  }
  if (e.dtype === 'bool') {
    throw new DTypeError(
      `${op}: boolean mask indices are not supported (their result shape depends on the data); use np.where(mask, newValue, x) to update, or pass integer positions`,
    )
  }
  if (!isInt(e.dtype)) {
    throw new DTypeError(`${op}: index arrays must be int32, got ${avalStr(e.aval)} for axis ${axis}. ${INT_HINT}`)
  }
  return wrapNegative(e, size)
}

const makePlan = (x: Tracer, idx: Index, op: string): Plan => {
  const entries: readonly unknown[] = Array.isArray(idx) ? idx : [idx]
  if (entries.length > x.ndim) {
    throw new AxisError(`${op}: too many indices for an array of shape ${shapeStr(x.shape)}: ${x.ndim}-dimensional, but ${entries.length} were indexed`)
  }
  const axes: number[] = []
  const arrays: Tracer[] = []
  entries.forEach((e, a) => {
    const t = indexEntry(e, a, x.shape[a], op)
    if (t !== null) {
      axes.push(a)
      arrays.push(t)
    }
  })
  const rest = x.shape.map((_, a) => a).filter((a) => !axes.includes(a))
  if (axes.length === 0) {
    return { axes, indices: null, shape: x.shape, windowDims: rest, sliceSizes: x.shape }
  }
  const B = broadcastShapes(op, ...arrays.map((t) => t.shape))
  const columns = arrays.map((t) => broadcastInDim(t, [...B, 1], t.shape.map((_, k) => B.length - t.ndim + k)))
  const indices = columns.length === 1 ? columns[0] : concatenate(columns, B.length)
  const adjacent = axes.every((a, k) => k === 0 || a === axes[k - 1] + 1)
  const at = adjacent ? axes[0] : 0
  const restShape = rest.map((a) => x.shape[a])
  const shape = [...restShape.slice(0, at), ...B, ...restShape.slice(at)]
  const windowDims = restShape.map((_, k) => (k < at ? k : k + B.length))
  const sliceSizes = x.shape.map((d, a) => (axes.includes(a) ? 1 : d))
  return { axes, indices, shape, windowDims, sliceSizes }
}

const gatherDnums = (p: Plan): GatherDimensionNumbers => ({
  offsetDims: p.windowDims,
  collapsedSliceDims: p.axes,
  startIndexMap: p.axes,
  operandBatchingDims: [],
  startIndicesBatchingDims: [],
})

const scatterDnums = (p: Plan): ScatterDimensionNumbers => ({
  updateWindowDims: p.windowDims,
  insertedWindowDims: p.axes,
  scatterDimsToOperandDims: p.axes,
  operandBatchingDims: [],
  scatterIndicesBatchingDims: [],
})

const readAt = (x: Tracer, p: Plan): Tracer =>
  p.indices === null ? x : gather(x, p.indices, gatherDnums(p), p.sliceSizes, { mode: 'clip' })

/** x with `updates` (shaped like x[idx]) added at idx; out-of-range updates are dropped. */
const addAt = (x: Tracer, p: Plan, updates: Tracer): Tracer =>
  p.indices === null ? add(x, updates) : scatterAdd(x, p.indices, updates, scatterDnums(p), { mode: 'drop' })

/** `v` converted to x's dtype and broadcast to the shape of x[idx]. */
const updatesFor = (x: Tracer, p: Plan, v: ArrayLike, op: string): Tracer => {
  const t = typeof v === 'number' || typeof v === 'boolean' ? scalar(Number(v), x.dtype, x.weakType) : asArray(v, op)
  const c = t.dtype === x.dtype && t.weakType === x.weakType ? t : convertElementType(t, x.dtype, x.weakType)
  try {
    return broadcastTo(c, p.shape, op)
  } catch {
    throw new ShapeError(`${op}: a value of shape ${shapeStr(t.shape)} does not broadcast to the indexed selection x[idx] of shape ${shapeStr(p.shape)} (x ${avalStr(x.aval)})`)
  }
}

// ---- at ----------------------------------------------------------------------------------

/** The functional view of `x[idx]` (JAX's `x.at[idx]`). */
export interface IndexedRef {
  /** x[idx]; out-of-range array positions are clamped into range. */
  get(): Tracer
  /** x with x[idx] = v (v broadcasts to the shape of x[idx] and is cast to x's dtype). */
  set(v: ArrayLike): Tracer
  /** x with v added at idx; repeated positions accumulate (NumPy's `np.add.at`). */
  add(v: ArrayLike): Tracer
}

/**
 * `at(x, idx)`: functional indexed read and update. Updates never mutate `x`; they return a
 * new array. Out-of-range positions: `get` clamps them, `set` / `add` drop them.
 * `set` with repeated positions stores the *mean* of the values written there (exact for
 * unique positions; JAX leaves the winner unspecified). It is computed as
 * where(count > 0, scatter_add(0, idx, v) / count, x) with count = scatter_add(0, idx, 1),
 * so its derivative flows to v at the written positions and to x elsewhere. (For int32
 * arrays the mean of duplicates rounds toward zero; for bool arrays it is true only if all
 * values written there are true.)
 */
export const at = (x: ArrayLike, idx: Index): IndexedRef => {
  const op = 'at'
  const t = asArray(x, op)
  const plan = makePlan(t, idx, op)
  return {
    get: () => readAt(t, plan),
    add: (v) => {
      if (t.dtype === 'bool') {
        throw new DTypeError(`at(...).add: cannot add to a bool array ${avalStr(t.aval)}; convert it first (x.astype('int32'))`)
      }
      return addAt(t, plan, updatesFor(t, plan, v, 'at(...).add'))
    },
    set: (v) => {
      const u = updatesFor(t, plan, v, 'at(...).set')
      if (plan.indices === null) return u
      const asBool = t.dtype === 'bool'
      const base = asBool ? convertElementType(t, 'int32') : t
      const vals = asBool ? convertElementType(u, 'int32') : u
      const zero = zerosOf(base.aval)
      const count = addAt(zero, plan, add(zerosOf(vals.aval), 1))
      const total = addAt(zero, plan, vals)
      const written = gt(count, 0)
      const mean = div(total, max(count, 1))
      const out = selectN(written, base, mean)
      return asBool ? ne(out, 0) : out
    },
  }
}

// ---- take, takeAlongAxis -----------------------------------------------------------------

/**
 * NumPy `take`: elements of `x` at `indices` along `axis` (of the flattened `x` when `axis`
 * is omitted or null). Result shape: x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:].
 * Negative indices wrap once; out-of-range ones are clamped into range. `indices` is an int32
 * Array or (nested) JS integers.
 */
export const take = (x: ArrayLike, indices: ArrayLike | NestedData, axis?: number | null): Tracer => {
  const op = 'take'
  let t = asArray(x, op)
  const i = positions(indices, op)
  if (axis === undefined || axis === null) {
    t = reshape(t, [t.size])
    axis = 0
  }
  const a = normAxis(axis, t.ndim, op)
  if (t.shape[a] === 0 && i.size > 0) {
    throw new AxisError(`${op}: cannot take indices from the empty axis ${a} of ${avalStr(t.aval)}`)
  }
  const entries: IndexEntry[] = [...Array(a).fill(null), i]
  return readAt(t, makePlan(t, entries, op))
}

/**
 * NumPy `take_along_axis`: out[..., j, ...] = x[..., indices[..., j, ...], ...] along `axis`.
 * `indices` is int32 with the rank of `x`; other axes broadcast. Negative indices wrap once;
 * out-of-range ones are clamped. `axis = null` works on the flattened arrays.
 */
export const takeAlongAxis = (x: ArrayLike, indices: ArrayLike | NestedData, axis: number | null): Tracer => {
  const op = 'takeAlongAxis'
  let t = asArray(x, op)
  let i = positions(indices, op)
  if (axis === null) {
    if (i.ndim !== 1) throw new ValueError(`${op}: with axis = null, indices must be 1-D, got ${avalStr(i.aval)}`)
    t = reshape(t, [t.size])
    axis = 0
  }
  const a = normAxis(axis, t.ndim, op)
  i = wrapNegative(i, t.shape[a])
  return laxTakeAlongAxis(t, i, a)
}

// ---- sort, argsort -----------------------------------------------------------------------

const sortInput = (x: ArrayLike, axis: number | null, op: string): [Tracer, number] => {
  const t = asArray(x, op)
  if (axis === null) return [reshape(t, [t.size]), 0]
  if (t.ndim === 0) throw new AxisError(`${op}: cannot sort a 0-d array along axis ${axis}; use axis = null or reshape it to [1]`)
  return [t, normAxis(axis, t.ndim, op)]
}

/** Sorted copy of `x` along `axis` (default last; null: the flattened array). NaNs sort last. */
export const sort = (x: ArrayLike, axis: number | null = -1): Tracer => {
  const [t, a] = sortInput(x, axis, 'sort')
  return laxSort([t], a)[0]
}

/**
 * Indices that sort `x` along `axis` (default last; null: flattened), stably: equal elements
 * keep their order (the positions are a second sort key). int32.
 */
export const argsort = (x: ArrayLike, axis: number | null = -1): Tracer => {
  const [t, a] = sortInput(x, axis, 'argsort')
  return laxSort([t, iota('int32', t.shape, a)], a, 2)[1]
}
