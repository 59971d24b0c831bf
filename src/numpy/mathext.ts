/**
 * NumPy layer: more elementwise math — cbrt, sinc, fmod, deg2rad / rad2deg, logaddexp(2),
 * nanToNum, and the comparisons isclose / allclose / arrayEqual. Compositions of the
 * primitives behind `np` (no new primitive), so derivatives, vmap and jit come for free.
 */
import { scalar } from '../core/array'
import { DTypeError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { isFloat } from '../ir/dtypes'
import * as bin from '../primitives/binary'
import * as un from '../primitives/unary'
import { isnan, where } from './elementwise'
import { type ArrayLike, asArray, promoteAndBroadcast, promoteToFloat, toFloat } from './promote'
import { all } from './reductions'

/** A weak literal of `x`'s dtype (so it never changes the result type). */
const lit = (v: number, x: Tracer): Tracer => scalar(v, x.dtype, x.weakType)

/**
 * ∛x for t ≥ 0: t^{1/3} refined by one Newton step y − (y³ − t)/(3y²) (pow rounds twice:
 * pow(27, 1/3) is 3.0000000000000004). The step is a stopped-gradient correction, so the
 * derivative is pow's: (1/3) t^{−2/3}, +∞ at 0 as in JAX.
 */
const cbrtNonNeg = (t: Tracer): Tracer => {
  const y = bin.pow(t, lit(1 / 3, t))
  const ok = bin.and(bin.gt(y, lit(0, y)), bin.lt(y, lit(Infinity, y)))
  const ys = where(ok, y, lit(1, y))
  const step = bin.div(bin.sub(bin.mul(bin.mul(ys, ys), ys), where(ok, t, lit(1, t))), bin.mul(lit(3, ys), bin.mul(ys, ys)))
  return bin.sub(y, un.stopGradient(where(ok, step, lit(0, step))))
}

/** Real cube root, odd: ∛x = −∛(−x) for x < 0 (each side on its own clamped input). */
export const cbrt = (x: ArrayLike): Tracer => {
  const a = toFloat(x, 'cbrt')
  const neg = bin.lt(a, lit(0, a))
  const zero = lit(0, a)
  return where(neg, un.neg(cbrtNonNeg(un.neg(where(neg, a, zero)))), cbrtNonNeg(where(neg, zero, a)))
}

/** Below this |πx| the Maclaurin series of sin u / u (to u⁸) is exact to rounding: u¹⁰/11! < 1e-37. */
const SINC_SERIES = 1e-3

/**
 * Normalized sinc: sin(πx)/(πx), 1 at 0. Near 0 the Maclaurin series
 * 1 − u²/6 + u⁴/120 − u⁶/5040 + u⁸/362880 (u = πx) replaces the quotient, whose derivatives
 * cancel catastrophically there; so sinc′(0) = 0 and sinc″(0) = −π²/3, as JAX.
 */
export const sinc = (x: ArrayLike): Tracer => {
  const a = toFloat(x, 'sinc')
  const u = bin.mul(a, lit(Math.PI, a))
  const small = bin.lt(un.abs(u), lit(SINC_SERIES, u))
  const us = where(small, u, lit(0, u))
  const ub = where(small, lit(1, u), u)
  const u2 = bin.mul(us, us)
  const cs = [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880]
  let series = lit(cs[cs.length - 1], u2)
  for (let i = cs.length - 2; i >= 0; i--) series = bin.add(bin.mul(series, u2), lit(cs[i], u2))
  return where(small, series, bin.div(un.sin(ub), ub))
}

/** Remainder with the sign of the dividend (C's fmod; lax.rem): x − trunc(x / y)·y. */
export const fmod = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteAndBroadcast('fmod', x, y)
  if (a.dtype === 'bool') throw new DTypeError(`fmod: not supported for bool operands; convert with astype('int32')`)
  return bin.rem(a, b)
}

/** Degrees to radians: x·π/180. */
export const deg2rad = (x: ArrayLike): Tracer => {
  const a = toFloat(x, 'deg2rad')
  return bin.mul(a, lit(Math.PI / 180, a))
}
export const radians = deg2rad
/** Radians to degrees: x·180/π. */
export const rad2deg = (x: ArrayLike): Tracer => {
  const a = toFloat(x, 'rad2deg')
  return bin.mul(a, lit(180 / Math.PI, a))
}
export const degrees = rad2deg

/**
 * log(eˣ + eʸ), written by the larger operand: x + log1p(e^{−d}) where d = x − y > 0, else
 * y + log1p(eᵈ). Each branch is exactly log(eˣ + eʸ), so every derivative is right, ties
 * included: ∂/∂x = σ(x − y), ∂/∂y = σ(y − x), ½ each at x = y, second derivative σ(1 − σ).
 * Each branch gets a d clamped to its own side, so the exponential never overflows (not even
 * in the branch not taken). Where d is NaN (a NaN, or infinities of one sign) the value is
 * x + y, as JAX: NaN, +∞ or −∞, with derivative 1 to each.
 * logaddexp2 is the same in base 2: log₂(2ˣ + 2ʸ) = x + log1p(2^{−d}) / ln 2, ….
 */
const logAddExpBase = (op: string, x: ArrayLike, y: ArrayLike, base2: boolean): Tracer => {
  const [a, b] = promoteToFloat(op, x, y)
  const d = bin.sub(a, b)
  const nan = isnan(d)
  const zero = lit(0, d)
  const pos = bin.gt(d, zero)
  const dPos = where(pos, d, zero)
  const dNeg = where(bin.or(pos, nan), zero, d)
  const tail = (z: Tracer): Tracer => (base2
    ? bin.div(un.log1p(un.exp(bin.mul(z, lit(Math.LN2, z)))), lit(Math.LN2, z))
    : un.log1p(un.exp(z)))
  const out = where(pos, bin.add(a, tail(un.neg(dPos))), bin.add(b, tail(dNeg)))
  return where(nan, bin.add(a, b), out)
}
/** log(eˣ + eʸ), stably. */
export const logaddexp = (x: ArrayLike, y: ArrayLike): Tracer => logAddExpBase('logaddexp', x, y, false)
/** log₂(2ˣ + 2ʸ), stably (as logaddexp). */
export const logaddexp2 = (x: ArrayLike, y: ArrayLike): Tracer => logAddExpBase('logaddexp2', x, y, true)

export interface NanToNumOpts {
  /** replaces NaN (default 0) */
  readonly nan?: number
  /** replaces +∞ (default: the largest finite value of the dtype) */
  readonly posinf?: number
  /** replaces −∞ (default: the most negative finite value of the dtype) */
  readonly neginf?: number
}

/** NaN, +∞, −∞ replaced by finite numbers; the derivative is 1 at finite x and 0 elsewhere. */
export const nanToNum = (x: ArrayLike, opts: NanToNumOpts = {}): Tracer => {
  const a = asArray(x, 'nanToNum')
  if (!isFloat(a.dtype)) return a
  const big = a.dtype === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE
  const posinf = opts.posinf ?? big
  const neginf = opts.neginf ?? -big
  let out = where(isnan(a), lit(opts.nan ?? 0, a), a)
  out = where(bin.eq(a, lit(Infinity, a)), lit(posinf, a), out)
  return where(bin.eq(a, lit(-Infinity, a)), lit(neginf, a), out)
}

export interface IsCloseOpts {
  /** relative tolerance (default 1e-5) */
  readonly rtol?: number
  /** absolute tolerance (default 1e-8) */
  readonly atol?: number
  /** NaN equals NaN (default false) */
  readonly equalNan?: boolean
}

/**
 * |a − b| ≤ atol + rtol·|b| elementwise (asymmetric in b, as NumPy), with equal infinities
 * close and a finite a never close to an infinite b; NaN is close to NaN only with equalNan.
 */
export const isclose = (a: ArrayLike, b: ArrayLike, opts: IsCloseOpts = {}): Tracer => {
  // Integers and bools compare as floats, so the tolerances apply to them too (as JAX).
  const [x, y] = promoteToFloat('isclose', a, b)
  const rtol = lit(opts.rtol ?? 1e-5, x)
  const atol = lit(opts.atol ?? 1e-8, x)
  const finiteB = bin.eq(bin.sub(y, y), lit(0, y))
  const inRange = bin.le(un.abs(bin.sub(x, y)), bin.add(atol, bin.mul(rtol, un.abs(y))))
  const out = bin.or(bin.eq(x, y), bin.and(finiteB, inRange))
  return opts.equalNan ? bin.or(out, bin.and(isnan(x), isnan(y))) : out
}

/** Whether every element is close (a 0-d bool array). */
export const allclose = (a: ArrayLike, b: ArrayLike, opts: IsCloseOpts = {}): Tracer => all(isclose(a, b, opts))

export interface ArrayEqualOpts {
  /** NaN equals NaN (default false) */
  readonly equalNan?: boolean
}

/** Same shape and equal elements (a 0-d bool array; false for different shapes, as NumPy). */
export const arrayEqual = (a: ArrayLike, b: ArrayLike, opts: ArrayEqualOpts = {}): Tracer => {
  const x = asArray(a, 'arrayEqual')
  const y = asArray(b, 'arrayEqual')
  if (x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) return scalar(false)
  const [p, q] = promoteAndBroadcast('arrayEqual', x, y)
  let eq = bin.eq(p, q)
  if (opts.equalNan && isFloat(p.dtype)) eq = bin.or(eq, bin.and(isnan(p), isnan(q)))
  return all(eq)
}
