/**
 * NumPy layer: reductions. `np.sum(x, axis?, { keepdims? })` with `axis` a number, a list, or
 * omitted / null for all axes; negative axes count from the end. Built on the reduce_* and
 * arg* primitives; dtypes follow jax.numpy (sum of bool → int32, mean of ints → float64).
 */
import { scalar } from '../core/array'
import { ValueError } from '../core/errors'
import { show } from '../core/validate'
import type { Tracer } from '../core/tracer'
import { avalStr, sizeOf } from '../ir/aval'
import { type DType, isBool } from '../ir/dtypes'
import * as bin from '../primitives/binary'
import { cumsum as laxCumsum } from '../primitives/cumsum'
import * as red from '../primitives/reduce'
import { convertElementType, reshape } from '../primitives/shape'
import * as un from '../primitives/unary'
import { normAxes, normAxis } from '../primitives/util'
import { type DTypeOpts, astype } from './creation'
import { isfinite, subtract, where } from './elementwise'
import type * as M from '../core/methods'
import { type ArrayLike, asArray, toFloat } from './promote'

// Declared beside the Array methods (src/core/methods.ts); aliased here as local types so that
// the bundled declarations list them as types of the `np` namespace.
/** `axis` of a reduction: one axis, several, or null / undefined for all. */
export type Axis = M.Axis
/** Options of every reduction: `keepdims` keeps the reduced axes with size 1. */
export type ReduceOpts = M.ReduceOpts
/** Options of `var` and `std`: `ddof`, the delta degrees of freedom. */
export type VarOpts = M.VarOpts

/** Normalized, sorted, distinct axes (AxisError for out-of-range or repeated axes). */
export const normalizeAxes = (axis: Axis, ndim: number, op: string): number[] => {
  if (axis === null || axis === undefined) return [...Array(ndim).keys()]
  if (typeof axis === 'number') return [normAxis(axis, ndim, op)]
  if (!Array.isArray(axis)) throw new TypeError(`${op}: axis must be a number, a list of numbers or null, got ${String(axis)}`)
  return normAxes(axis, ndim, op)
}

/** Put size-1 axes back where a reduction removed them. */
const keep = (y: Tracer, shape: readonly number[], axes: readonly number[], keepdims: boolean | undefined): Tracer => {
  if (keepdims !== undefined && typeof keepdims !== 'boolean') {
    throw new ValueError(`reduction: option keepdims must be true or false, got ${show(keepdims)}`)
  }
  return keepdims ? reshape(y, shape.map((d, i) => (axes.includes(i) ? 1 : d))) : y
}

const reduceWith = (
  op: string,
  prim: (x: Tracer, axes: readonly number[]) => Tracer,
  x: Tracer,
  axis: Axis,
  opts: ReduceOpts,
): Tracer => {
  const axes = normalizeAxes(axis, x.ndim, op)
  if (axes.length === 0) return x
  return keep(prim(x, axes), x.shape, axes, opts.keepdims)
}

/** Bools are summed (multiplied) as int32. */
const numeric = (x: Tracer, dtype: DType | undefined): Tracer => {
  if (dtype !== undefined) return astype(x, dtype)
  return isBool(x.dtype) ? convertElementType(x, 'int32', false) : x
}

export const sum = (x: ArrayLike, axis?: Axis, opts: ReduceOpts & DTypeOpts = {}): Tracer =>
  reduceWith('sum', red.reduceSum, numeric(asArray(x, 'sum'), opts.dtype), axis, opts)

export const prod = (x: ArrayLike, axis?: Axis, opts: ReduceOpts & DTypeOpts = {}): Tracer =>
  reduceWith('prod', red.reduceProd, numeric(asArray(x, 'prod'), opts.dtype), axis, opts)

/** max and min have no identity: reducing an empty axis is an error (as NumPy). */
const extremum = (op: 'max' | 'min', prim: (x: Tracer, axes: readonly number[]) => Tracer) =>
  (x: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer => {
    const a = asArray(x, op)
    const axes = normalizeAxes(axis, a.ndim, op)
    if (axes.some((d) => a.shape[d] === 0)) {
      throw new ValueError(
        `${op}: zero-size reduction over axes (${axes.join(', ')}) of ${avalStr(a.aval)}, which has no identity; ` +
          `use np.where / a non-empty array, or reduce another axis`,
      )
    }
    return reduceWith(op, prim, a, axes, opts)
  }
export const max = extremum('max', red.reduceMax)
export const min = extremum('min', red.reduceMin)
export const amax = max
export const amin = min

/** Whether every (any) element is nonzero, as bool. */
const boolReduce = (op: string, prim: (x: Tracer, axes: readonly number[]) => Tracer) =>
  (x: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer => {
    const a = asArray(x, op)
    const b = isBool(a.dtype) ? a : bin.ne(a, scalar(0, a.dtype, a.weakType))
    return reduceWith(op, prim, b, axis, opts)
  }
export const all = boolReduce('all', red.reduceMin)
export const any = boolReduce('any', red.reduceMax)

/** The number of elements a reduction over `axes` combines. */
const countOf = (x: Tracer, axes: readonly number[]): number => sizeOf(axes.map((a) => x.shape[a]))

/** Σx / n; integer and bool inputs give float64. An empty reduction gives NaN. */
export const mean = (x: ArrayLike, axis?: Axis, opts: ReduceOpts & DTypeOpts = {}): Tracer => {
  const a = opts.dtype === undefined ? toFloat(x, 'mean') : astype(x, opts.dtype)
  const axes = normalizeAxes(axis, a.ndim, 'mean')
  if (axes.length === 0) return a
  const s = keep(red.reduceSum(a, axes), a.shape, axes, opts.keepdims)
  return bin.div(s, scalar(countOf(a, axes), s.dtype, s.weakType))
}

/** Σ (x − mean)² / (n − ddof), computed from centered values (two-pass, stable). */
export const variance = (x: ArrayLike, axis?: Axis, opts: VarOpts = {}): Tracer => {
  const a = toFloat(x, 'var')
  const ddof = opts.ddof ?? 0
  if (typeof ddof !== 'number' || !Number.isFinite(ddof)) throw new ValueError(`var: ddof must be a finite number, got ${String(ddof)}`)
  const axes = normalizeAxes(axis, a.ndim, 'var')
  const centered = subtract(a, axes.length === 0 ? a : mean(a, axes, { keepdims: true }))
  const sq = bin.mul(centered, centered)
  const s = axes.length === 0 ? sq : keep(red.reduceSum(sq, axes), a.shape, axes, opts.keepdims)
  return bin.div(s, scalar(Math.max(countOf(a, axes) - ddof, 0), s.dtype, s.weakType))
}
export { variance as var }

/** √var */
export const std = (x: ArrayLike, axis?: Axis, opts: VarOpts = {}): Tracer => un.sqrt(variance(x, axis, opts))

/** Index of the first maximum (minimum) along `axis`, or of the flattened array when omitted. */
const argReduce = (op: 'argmax' | 'argmin', prim: (x: Tracer, axis: number) => Tracer) =>
  (x: ArrayLike, axis?: number | null, opts: ReduceOpts = {}): Tracer => {
    const a = asArray(x, op)
    if (axis === null || axis === undefined) {
      if (a.size === 0) throw new ValueError(`${op}: attempt to get ${op} of an empty array ${avalStr(a.aval)}`)
      const flat = a.ndim === 1 ? a : reshape(a, [a.size])
      const r = prim(flat, 0)
      return opts.keepdims ? reshape(r, a.shape.map(() => 1)) : r
    }
    const ax = normAxis(axis, a.ndim, op)
    if (a.shape[ax] === 0) throw new ValueError(`${op}: attempt to get ${op} of an empty axis ${axis} of ${avalStr(a.aval)}`)
    return keep(prim(a, ax), a.shape, [ax], opts.keepdims)
  }
export const argmax = argReduce('argmax', red.argmax)
export const argmin = argReduce('argmin', red.argmin)

/**
 * log Σ exp(x), stably: the max m is subtracted first (under stopGradient, and replaced by 0
 * where it is not finite, so an all −∞ slice gives −∞ and no NaN):
 * logsumexp(x) = log Σ exp(x − m) + m.
 */
export const logsumexp = (x: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer => {
  const a = toFloat(x, 'logsumexp')
  const axes = normalizeAxes(axis, a.ndim, 'logsumexp')
  if (axes.length === 0) return a
  const m = keep(red.reduceMax(a, axes), a.shape, axes, true)
  const mSafe = un.stopGradient(where(isfinite(m), m, scalar(0, m.dtype, m.weakType)))
  const s = red.reduceSum(un.exp(subtract(a, mSafe)), axes)
  const out = bin.add(un.log(s), reshape(mSafe, s.shape))
  return keep(out, a.shape, axes, opts.keepdims)
}

/** Inclusive prefix sums along `axis` (of the flattened array when omitted); bools sum as int32. */
export const cumsum = (x: ArrayLike, axis?: number | null, opts: DTypeOpts = {}): Tracer => {
  let a = numeric(asArray(x, 'cumsum'), opts.dtype)
  if (axis === null || axis === undefined) {
    if (a.ndim !== 1) a = reshape(a, [a.size])
    return laxCumsum(a, 0)
  }
  return laxCumsum(a, normAxis(axis, a.ndim, 'cumsum'))
}

/** max − min ("peak to peak"). */
export const ptp = (x: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer =>
  bin.sub(max(x, axis, opts), min(x, axis, opts))
