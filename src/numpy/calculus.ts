/**
 * NumPy layer: finite differences, the trapezoidal rule, polynomial evaluation, and the
 * multi-way selections select / piecewise. Compositions of slicing, arithmetic and select,
 * so they differentiate and batch like their parts.
 */
import { ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { add, multiply, notEqual, subtract, where } from './elementwise'
import { type ArrayLike, asArray, broadcastShapes, promoteArgs, toFloat } from './promote'
import { astype, full, zerosLike } from './creation'
import { sum } from './reductions'
import { broadcastTo, concatenate, moveaxis, reshape } from './shape'
import { slice as laxSlice } from '../primitives/slicing'
import { normAxis } from '../primitives/util'

/** `x[lo:hi]` along `ax`. */
const sliceAxis = (x: Tracer, ax: number, lo: number, hi: number): Tracer => {
  const start = x.shape.map(() => 0)
  const limit = [...x.shape]
  start[ax] = lo
  limit[ax] = hi
  return laxSlice(x, start, limit)
}

export interface DiffOpts {
  /** values put before `a` along `axis` (a scalar is broadcast to one slice) */
  readonly prepend?: ArrayLike
  /** values put after `a` along `axis` */
  readonly append?: ArrayLike
}

/** A scalar broadcast to one slice of `x` along `ax`; an array as given. */
const edge = (v: ArrayLike, x: Tracer, ax: number, op: string): Tracer => {
  const t = asArray(v, op)
  if (t.ndim !== 0) return t
  return broadcastTo(t, x.shape.map((d, i) => (i === ax ? 1 : d)))
}

/** The n-th forward difference along `axis` (default last): out[i] = a[i+1] − a[i], n times. */
export const diff = (a: ArrayLike, n = 1, axis = -1, opts: DiffOpts = {}): Tracer => {
  const op = 'diff'
  let x = asArray(a, op)
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${op}: order n must be a non-negative integer, got ${n}`)
  if (x.ndim === 0) throw new ValueError(`${op}: requires an input with at least one axis, got ${avalStr(x.aval)}`)
  const ax = normAxis(axis, x.ndim, op)
  if (opts.prepend !== undefined || opts.append !== undefined) {
    const parts = [
      ...(opts.prepend === undefined ? [] : [edge(opts.prepend, x, ax, op)]),
      x,
      ...(opts.append === undefined ? [] : [edge(opts.append, x, ax, op)]),
    ]
    x = concatenate(parts, ax)
  }
  const bool = x.dtype === 'bool'
  for (let k = 0; k < n && x.shape[ax] > 0; k++) {
    const m = x.shape[ax]
    const hi = sliceAxis(x, ax, 1, m)
    const lo = sliceAxis(x, ax, 0, m - 1)
    // bools: a[i+1] ≠ a[i] (NumPy's diff of booleans)
    x = bool ? notEqual(hi, lo) : subtract(hi, lo)
  }
  return x
}

export interface TrapezoidOpts {
  /** sample points along `axis` (1-D of the axis length, or the shape of y) */
  readonly x?: ArrayLike
  /** uniform spacing when `x` is not given (default 1) */
  readonly dx?: number
  /** the integration axis (default last) */
  readonly axis?: number
}

/** ∫ y dx by the trapezoidal rule: Σ (x[i+1] − x[i]) (y[i+1] + y[i]) / 2 along `axis`. */
export const trapezoid = (y: ArrayLike, opts: TrapezoidOpts = {}): Tracer => {
  const op = 'trapezoid'
  let ys = toFloat(y, op)
  if (ys.ndim === 0) throw new ValueError(`${op}: y must have at least one axis, got ${avalStr(ys.aval)}`)
  const ax = normAxis(opts.axis ?? -1, ys.ndim, op)
  ys = moveaxis(ys, ax, -1)
  const m = ys.shape[ys.ndim - 1]
  const last = ys.ndim - 1
  // Fewer than two samples enclose no area.
  if (m < 2) return full(ys.shape.slice(0, -1), 0, { dtype: ys.dtype })
  const pairs = add(sliceAxis(ys, last, 1, m), sliceAxis(ys, last, 0, m - 1))
  if (opts.x === undefined) return multiply(sum(pairs, -1), (opts.dx ?? 1) / 2)
  let xs = toFloat(opts.x, op)
  ;[xs, ys] = promoteArgs(op, xs, ys)
  const dxs = xs.ndim === 1 ? diff(xs) : moveaxis(diff(xs, 1, ax), ax, -1)
  if (xs.ndim !== 1 && xs.ndim !== ys.ndim) {
    throw new ShapeError(`${op}: x must be 1-D or have y's rank, got x ${avalStr(xs.aval)} and y ${avalStr(ys.aval)}`)
  }
  return multiply(sum(multiply(dxs, pairs), -1), 0.5)
}

/**
 * p[0]·x^{n−1} + … + p[n−1] by Horner's rule (coefficients from the highest power, as NumPy);
 * `p` may carry extra trailing axes that broadcast with `x`.
 */
export const polyval = (p: ArrayLike, x: ArrayLike): Tracer => {
  const op = 'polyval'
  const [ps, xs] = promoteArgs(op, asArray(p, op), asArray(x, op))
  if (ps.ndim === 0) throw new ValueError(`${op}: p must have at least one axis (the coefficients), got ${avalStr(ps.aval)}`)
  const shape = broadcastShapes(op, ps.shape.slice(1), xs.shape)
  let y: Tracer = full(shape, 0, { dtype: xs.dtype })
  for (let i = 0; i < ps.shape[0]; i++) {
    const c = reshape(sliceAxis(ps, 0, i, i + 1), ps.shape.slice(1))
    y = add(i === 0 ? y : multiply(y, xs), c)
  }
  return y
}

/**
 * `choicelist[i]` where `condlist[i]` is the first true condition, `default` where none is
 * (np.select). Conditions and choices broadcast together.
 */
export const select = (condlist: readonly ArrayLike[], choicelist: readonly ArrayLike[], fallback: ArrayLike = 0): Tracer => {
  const op = 'select'
  if (condlist.length !== choicelist.length) {
    throw new ValueError(`${op}: condlist and choicelist must have the same length, got ${condlist.length} and ${choicelist.length}`)
  }
  // Fold from the last choice back, so the first true condition wins.
  let out = asArray(fallback, op)
  for (let i = condlist.length - 1; i >= 0; i--) {
    const c = asArray(condlist[i], op)
    if (c.dtype !== 'bool') throw new ValueError(`${op}: condition ${i} must be bool, got ${avalStr(c.aval)}; compare first (x.gt(0))`)
    out = where(c, choicelist[i], out)
  }
  return out
}

/** One piece of `piecewise`: a function of the input, or a constant. */
export type Piece = ((x: Tracer) => ArrayLike) | number

/**
 * `funclist[i](x)` where `condlist[i]` is true (the last true condition wins, as NumPy);
 * with one more function than conditions, the extra one is used where no condition holds,
 * otherwise 0. Every function is evaluated on the whole of x and the results are selected,
 * so a function must be finite on all of x for its derivative to be (the double-where rule).
 */
export const piecewise = (x: ArrayLike, condlist: readonly ArrayLike[], funclist: readonly Piece[]): Tracer => {
  const op = 'piecewise'
  const xs = asArray(x, op)
  const nc = condlist.length
  if (funclist.length !== nc && funclist.length !== nc + 1) {
    throw new ValueError(`${op}: funclist must have ${nc} or ${nc + 1} entries (one per condition, and an optional default), got ${funclist.length}`)
  }
  const apply = (f: Piece): Tracer => broadcastTo(typeof f === 'number' ? full(xs.shape, f, { dtype: xs.dtype }) : astype(f(xs), xs.dtype), xs.shape)
  let out = funclist.length === nc + 1 ? apply(funclist[nc]) : zerosLike(xs)
  for (let i = 0; i < nc; i++) {
    const c = broadcastTo(asArray(condlist[i], op), xs.shape)
    if (c.dtype !== 'bool') throw new ValueError(`${op}: condition ${i} must be bool, got ${avalStr(c.aval)}`)
    out = where(c, apply(funclist[i]), out)
  }
  return out
}
