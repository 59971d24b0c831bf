/**
 * NumPy layer: shape manipulation — reshape, transpose and friends, joining and splitting,
 * flipping, padding, tiling. Built on the reshape / transpose / broadcast_in_dim / slice /
 * pad / concatenate / gather primitives, so everything here is traceable and differentiable.
 */
import { scalar } from '../core/array'
import { AxisError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, avalStr, shapeEq, shapeStr, sizeOf } from '../ir/aval'
import { sub } from '../primitives/binary'
import { gather } from '../primitives/gather'
import { broadcastInDim, convertElementType, iota, reshape as laxReshape, squeeze as laxSqueeze, transpose as laxTranspose } from '../primitives/shape'
import { concatenate as laxConcatenate, pad as laxPad, slice as laxSlice } from '../primitives/slicing'
import { checkShape, normAxes, normAxis } from '../primitives/util'
import {
  type ArrayLike, asArray, broadcastShapes as broadcastShapesOp,
  broadcastTo as broadcastToShape, promoteArgs,
} from './promote'

const isIntList = (v: unknown): v is readonly number[] => Array.isArray(v) && v.every((d) => typeof d === 'number')

/** `reshape(x, [2, -1])`: one entry may be −1 (inferred from the size). */
export const reshape = (x: ArrayLike, shape: number | Shape): Tracer => {
  const op = 'reshape'
  const a = asArray(x, op)
  const s = typeof shape === 'number' ? [shape] : [...shape]
  if (!isIntList(s)) throw new TypeError(`${op}: shape must be a number or a list of numbers, got ${String(shape)}`)
  const holes = s.filter((d) => d === -1).length
  if (holes > 1) throw new ValueError(`${op}: can only specify one unknown dimension (-1), got ${shapeStr(s)}`)
  if (holes === 1) {
    const known = sizeOf(s.filter((d) => d !== -1))
    if (known === 0 || a.size % known !== 0) {
      throw new ShapeError(`${op}: cannot reshape ${avalStr(a.aval)} (${a.size} elements) to ${shapeStr(s)}`)
    }
    s[s.indexOf(-1)] = a.size / known
  }
  checkShape(s, op)
  if (shapeEq(s, a.shape)) return a
  return laxReshape(a, s)
}

export const ravel = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'ravel')
  return a.ndim === 1 ? a : laxReshape(a, [a.size])
}

/** Permute axes (default: reverse them); negative axes count from the end. */
export const transpose = (x: ArrayLike, axes?: readonly number[] | null): Tracer => {
  const op = 'transpose'
  const a = asArray(x, op)
  const perm = axes === undefined || axes === null ? [...Array(a.ndim).keys()].reverse() : axes.map((d) => normAxis(d, a.ndim, op))
  if (perm.length !== a.ndim || new Set(perm).size !== perm.length) {
    throw new AxisError(`${op}: axes (${axes?.join(', ')}) are not a permutation of the ${a.ndim} axes of ${avalStr(a.aval)}`)
  }
  return perm.every((p, i) => p === i) ? a : laxTranspose(a, perm)
}

/** Matrix transpose: swap the last two axes (`x.T` reverses all axes instead, as NumPy). */
export const matrixTranspose = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'matrixTranspose')
  if (a.ndim < 2) throw new ShapeError(`matrixTranspose: needs at least 2 axes, got ${avalStr(a.aval)}`)
  return swapaxes(a, -1, -2)
}

export const swapaxes = (x: ArrayLike, axis1: number, axis2: number): Tracer => {
  const a = asArray(x, 'swapaxes')
  const [i, j] = [normAxis(axis1, a.ndim, 'swapaxes'), normAxis(axis2, a.ndim, 'swapaxes')]
  const perm = [...Array(a.ndim).keys()]
  ;[perm[i], perm[j]] = [perm[j], perm[i]]
  return transpose(a, perm)
}

/** Move axes `source` to positions `destination`; the other axes keep their order. */
export const moveaxis = (x: ArrayLike, source: number | readonly number[], destination: number | readonly number[]): Tracer => {
  const op = 'moveaxis'
  const a = asArray(x, op)
  const src = typeof source === 'number' ? [source] : [...source]
  const dst = typeof destination === 'number' ? [destination] : [...destination]
  if (src.length !== dst.length) {
    throw new ValueError(`${op}: source (${src.join(', ')}) and destination (${dst.join(', ')}) must have the same number of elements`)
  }
  const s = src.map((d) => normAxis(d, a.ndim, op))
  const t = dst.map((d) => normAxis(d, a.ndim, op))
  if (new Set(s).size !== s.length || new Set(t).size !== t.length) throw new AxisError(`${op}: repeated axis in source or destination`)
  const order = [...Array(a.ndim).keys()].filter((d) => !s.includes(d))
  t.map((d, i) => [d, s[i]] as const)
    .sort((p, q) => p[0] - q[0])
    .forEach(([d, from]) => order.splice(d, 0, from))
  return transpose(a, order)
}

/** Insert size-1 axes at `axis` (positions in the result; negative counts from its end). */
export const expandDims = (x: ArrayLike, axis: number | readonly number[]): Tracer => {
  const op = 'expandDims'
  const a = asArray(x, op)
  const axes = typeof axis === 'number' ? [axis] : [...axis]
  const outNdim = a.ndim + axes.length
  const ax = normAxes(axes, outNdim, op)
  const shape: number[] = []
  let k = 0
  for (let d = 0; d < outNdim; d++) shape.push(ax.includes(d) ? 1 : a.shape[k++])
  return laxReshape(a, shape)
}

/** Remove size-1 axes: all of them, or the given ones (which must have size 1). */
export const squeeze = (x: ArrayLike, axis?: number | readonly number[] | null): Tracer => {
  const op = 'squeeze'
  const a = asArray(x, op)
  const axes =
    axis === undefined || axis === null
      ? a.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : normAxes(typeof axis === 'number' ? [axis] : axis, a.ndim, op)
  for (const d of axes) {
    if (a.shape[d] !== 1) {
      throw new ShapeError(`${op}: cannot select an axis to squeeze out which has size not equal to one: axis ${d} of ${avalStr(a.aval)} has size ${a.shape[d]}`)
    }
  }
  return axes.length === 0 ? a : laxSqueeze(a, axes)
}

/** Broadcast `x` to `shape` by NumPy's rules. */
export const broadcastTo = (x: ArrayLike, shape: number | Shape): Tracer => {
  const s = typeof shape === 'number' ? [shape] : [...shape]
  checkShape(s, 'broadcastTo')
  return broadcastToShape(asArray(x, 'broadcastTo'), s, 'broadcastTo')
}

/** The shape NumPy's rules broadcast `shapes` to (ShapeError if they do not broadcast). */
export const broadcastShapes = (...shapes: Shape[]): number[] => broadcastShapesOp('broadcastShapes', ...shapes)

/** The operands broadcast against each other (each to the full common shape; dtypes kept). */
export const broadcastArrays = (...xs: ArrayLike[]): Tracer[] => {
  const op = 'broadcastArrays'
  const ts = xs.map((x) => asArray(x, op))
  const shape = broadcastShapesOp(op, ...ts.map((t) => t.shape))
  return ts.map((t) => broadcastToShape(t, shape, op))
}

export const atleast1d = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'atleast1d')
  return a.ndim === 0 ? laxReshape(a, [1]) : a
}

export const atleast2d = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'atleast2d')
  return a.ndim >= 2 ? a : laxReshape(a, a.ndim === 0 ? [1, 1] : [1, a.shape[0]])
}

// ---- joining and splitting ---------------------------------------------------------------

/** Join arrays along an existing axis (dtypes promote); `axis: null` joins them flattened. */
export const concatenate = (xs: readonly ArrayLike[], axis: number | null = 0): Tracer => {
  const op = 'concatenate'
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError(`${op}: need at least one array to concatenate`)
  let arrs = promoteArgs(op, ...xs)
  if (axis === null) arrs = arrs.map(ravel)
  const nd = arrs[0].ndim
  if (nd === 0) throw new ValueError(`${op}: zero-dimensional arrays cannot be concatenated; use np.stack`)
  const ax = normAxis(axis ?? 0, nd, op)
  arrs.forEach((t) => {
    if (t.ndim !== nd || t.shape.some((d, i) => i !== ax && d !== arrs[0].shape[i])) {
      throw new ShapeError(
        `${op}: all input array dimensions except for the concatenation axis ${ax} must match exactly, got shapes ${arrs.map((u) => shapeStr(u.shape)).join(' ')}`,
      )
    }
  })
  if (arrs.length === 1) return arrs[0]
  // Weak operands stay weak only if all are; the primitive needs equal avals' dtype.
  return laxConcatenate(arrs, ax)
}

/** Join equally shaped arrays along a new axis. */
export const stack = (xs: readonly ArrayLike[], axis = 0): Tracer => {
  const op = 'stack'
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError(`${op}: need at least one array to stack`)
  const arrs = promoteArgs(op, ...xs)
  const s0 = arrs[0].shape
  if (arrs.some((t) => !shapeEq(t.shape, s0))) {
    throw new ShapeError(`${op}: all input arrays must have the same shape, got ${arrs.map((t) => shapeStr(t.shape)).join(' ')}`)
  }
  const ax = normAxis(axis, s0.length + 1, op)
  const expanded = arrs.map((t) => expandDims(t, ax))
  return expanded.length === 1 ? expanded[0] : laxConcatenate(expanded, ax)
}

export const vstack = (xs: readonly ArrayLike[]): Tracer => concatenate(xs.map(atleast2d), 0)
export const hstack = (xs: readonly ArrayLike[]): Tracer => {
  const arrs = xs.map(atleast1d)
  return concatenate(arrs, arrs[0]?.ndim === 1 ? 0 : 1)
}

/**
 * Split into `sections` equal parts, or at the increasing `indices`, along `axis`. Indices
 * past the end give empty pieces (as NumPy).
 */
export const split = (x: ArrayLike, sections: number | readonly number[], axis = 0): Tracer[] => {
  const op = 'split'
  const a = asArray(x, op)
  if (a.ndim === 0) throw new ValueError(`${op}: cannot split a 0-d array`)
  const ax = normAxis(axis, a.ndim, op)
  const n = a.shape[ax]
  let bounds: number[]
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0) throw new ValueError(`${op}: number of sections must be a positive integer, got ${sections}`)
    if (n % sections !== 0) {
      throw new ValueError(`${op}: array split does not result in an equal division: axis ${ax} of size ${n} into ${sections} sections`)
    }
    bounds = [...Array(sections + 1).keys()].map((i) => (i * n) / sections)
  } else {
    if (!isIntList(sections) || !sections.every(Number.isInteger)) throw new TypeError(`${op}: indices must be integers, got ${String(sections)}`)
    const norm = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i))
    bounds = [0, ...sections.map(norm), n]
  }
  const out: Tracer[] = []
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i]
    const hi = Math.max(lo, bounds[i + 1])
    out.push(sliceAxis(a, ax, lo, hi))
  }
  return out
}

/** `x[lo:hi]` along one axis. */
const sliceAxis = (a: Tracer, ax: number, lo: number, hi: number): Tracer => {
  if (lo === 0 && hi === a.shape[ax]) return a
  const start = a.shape.map(() => 0)
  const limit = [...a.shape]
  start[ax] = lo
  limit[ax] = hi
  return laxSlice(a, start, limit)
}

// ---- reordering ----------------------------------------------------------------------------

/** Reverse one axis: a gather of the indices n−1, …, 0. */
const reverseAxis = (a: Tracer, ax: number): Tracer => {
  const n = a.shape[ax]
  if (n <= 1) return a
  const idx = sub(scalar(n - 1, 'int32', false), iota('int32', [n, 1], 0))
  const offsetDims = [...Array(a.ndim).keys()].filter((d) => d !== ax)
  return gather(
    a,
    idx,
    { offsetDims, collapsedSliceDims: [ax], startIndexMap: [ax], operandBatchingDims: [], startIndicesBatchingDims: [] },
    a.shape.map((d, i) => (i === ax ? 1 : d)),
  )
}

/** Reverse the order of elements along `axis` (all axes when omitted). */
export const flip = (x: ArrayLike, axis?: number | readonly number[] | null): Tracer => {
  const a = asArray(x, 'flip')
  const axes =
    axis === undefined || axis === null ? [...Array(a.ndim).keys()] : normAxes(typeof axis === 'number' ? [axis] : axis, a.ndim, 'flip')
  return axes.reduce(reverseAxis, a)
}

/** Roll elements by `shift` along `axis` (of the flattened array when omitted); elements that
 *  fall off one end come back at the other. */
export const roll = (x: ArrayLike, shift: number, axis?: number | null): Tracer => {
  const op = 'roll'
  const a = asArray(x, op)
  if (!Number.isInteger(shift)) throw new ValueError(`${op}: shift must be an integer, got ${shift}`)
  if (axis === undefined || axis === null) return reshape(roll(ravel(a), shift, 0), a.shape)
  const ax = normAxis(axis, a.ndim, op)
  const n = a.shape[ax]
  const s = n === 0 ? 0 : ((shift % n) + n) % n
  if (s === 0) return a
  return laxConcatenate([sliceAxis(a, ax, n - s, n), sliceAxis(a, ax, 0, n - s)], ax)
}

// ---- padding, tiling, repeating --------------------------------------------------------------

export interface PadOpts {
  /** The fill value (default 0). */
  readonly constantValues?: ArrayLike
}

/** `padWidth` as NumPy: n (all sides), [before, after] (every axis), or one pair per axis. */
const padPairs = (padWidth: number | readonly number[] | readonly (readonly number[])[], ndim: number, op: string): [number, number][] => {
  const bad = () =>
    new ValueError(`${op}: padWidth must be n, [before, after], or one [before, after] per axis (${ndim}), got ${JSON.stringify(padWidth)}`)
  let pairs: [number, number][]
  if (typeof padWidth === 'number') pairs = Array.from({ length: ndim }, () => [padWidth, padWidth])
  else if (!Array.isArray(padWidth)) throw bad()
  else if (padWidth.every((v) => typeof v === 'number')) {
    const w = padWidth as readonly number[]
    if (w.length === 1) pairs = Array.from({ length: ndim }, () => [w[0], w[0]])
    else if (w.length === 2) pairs = Array.from({ length: ndim }, () => [w[0], w[1]])
    else throw bad()
  } else {
    const rows = padWidth as readonly (readonly number[])[]
    if (!rows.every((r) => Array.isArray(r) && (r.length === 1 || r.length === 2))) throw bad()
    const toPair = (r: readonly number[]): [number, number] => [r[0], r[r.length - 1]]
    if (rows.length === 1) pairs = Array.from({ length: ndim }, () => toPair(rows[0]))
    else if (rows.length === ndim) pairs = rows.map(toPair)
    else throw bad()
  }
  for (const [lo, hi] of pairs) {
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw bad()
    if (lo < 0 || hi < 0) throw new ValueError(`${op}: padWidth must be non-negative, got ${JSON.stringify(padWidth)}`)
  }
  return pairs
}

/** Pad with a constant (NumPy's mode 'constant'). */
export const pad = (
  x: ArrayLike,
  padWidth: number | readonly number[] | readonly (readonly number[])[],
  opts: PadOpts = {},
): Tracer => {
  const op = 'pad'
  const a = asArray(x, op)
  const pairs = padPairs(padWidth, a.ndim, op)
  const cv = opts.constantValues ?? 0
  let v: Tracer
  if (typeof cv === 'number' || typeof cv === 'boolean') v = scalar(Number(cv), a.dtype, a.weakType)
  else {
    const t = asArray(cv, op)
    if (t.ndim !== 0) throw new ShapeError(`${op}: constantValues must be a scalar, got ${avalStr(t.aval)}`)
    v = t.dtype === a.dtype && t.weakType === a.weakType ? t : convertElementType(t, a.dtype, a.weakType)
  }
  if (pairs.every(([lo, hi]) => lo === 0 && hi === 0)) return a
  return laxPad(a, v, pairs.map(([lo, hi]) => [lo, hi, 0] as const))
}

/** Repeat the whole array `reps` times along each axis. */
export const tile = (x: ArrayLike, reps: number | readonly number[]): Tracer => {
  const op = 'tile'
  const r0 = typeof reps === 'number' ? [reps] : [...reps]
  if (!r0.every((r) => Number.isInteger(r) && r >= 0)) throw new ValueError(`${op}: reps must be non-negative integers, got ${JSON.stringify(reps)}`)
  let a = asArray(x, op)
  const nd = Math.max(a.ndim, r0.length)
  const r = [...Array(nd - r0.length).fill(1), ...r0]
  if (a.ndim < nd) a = laxReshape(a, [...Array(nd - a.ndim).fill(1), ...a.shape])
  if (r.every((k) => k === 1)) return a
  // [d0, d1] → broadcast to [r0, d0, r1, d1] → reshape to [r0·d0, r1·d1]
  const big = a.shape.flatMap((d, i) => [r[i], d])
  checkShape(big, op)
  const b = broadcastInDim(a, big, a.shape.map((_, i) => 2 * i + 1))
  return laxReshape(b, a.shape.map((d, i) => d * r[i]))
}

/** Repeat each element `repeats` times along `axis` (of the flattened array when omitted). */
export const repeat = (x: ArrayLike, repeats: number, axis?: number | null): Tracer => {
  const op = 'repeat'
  if (!Number.isInteger(repeats) || repeats < 0) throw new ValueError(`${op}: repeats must be a non-negative integer, got ${repeats}`)
  let a = asArray(x, op)
  if (axis === undefined || axis === null) {
    a = ravel(a)
    axis = 0
  }
  const ax = normAxis(axis, a.ndim, op)
  if (repeats === 1) return a
  // [.., d, ..] → broadcast to [.., d, r, ..] → reshape to [.., d·r, ..]
  const big = [...a.shape.slice(0, ax + 1), repeats, ...a.shape.slice(ax + 1)]
  checkShape(big, op)
  const b = broadcastInDim(a, big, a.shape.map((_, i) => (i <= ax ? i : i + 1)))
  return laxReshape(b, a.shape.map((d, i) => (i === ax ? d * repeats : d)))
}
