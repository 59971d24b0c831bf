/**
 * NumPy layer: elementwise functions. Each promotes its operands (JAX's lattice; JS numbers
 * are weak), broadcasts them (NumPy's rules), and applies one lax primitive. Float-only math
 * (sqrt, exp, divide, …) turns int32 and bool into float64 first, as jax.numpy does.
 */
import { scalar } from '../core/array'
import { DTypeError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { isBool, isFloat, isInt } from '../ir/dtypes'
import * as bin from '../primitives/binary'
import { integerPow } from '../primitives/integer_pow'
import { convertElementType, selectN } from '../primitives/shape'
import * as un from '../primitives/unary'
import {
  type ArrayLike, asArray, broadcastArrays, broadcastShapes, broadcastTo, promoteAndBroadcast, promoteToFloat, toFloat,
} from './promote'

/** A weak literal of `x`'s dtype (so it never changes the result type). */
const lit = (v: number, x: Tracer): Tracer => scalar(v, x.dtype, x.weakType)

const noBool = (op: string, x: Tracer, hint: string): void => {
  if (isBool(x.dtype)) throw new DTypeError(`${op}: not supported for bool operands (${avalStr(x.aval)}); ${hint}`)
}

// ---- arithmetic --------------------------------------------------------------------------

// (add, subtract, multiply and divide are most of what traced user code calls, mostly in cold
// code, where destructuring a list allocates an iterator and a result per element: indexed)

/** x + y (for bools: logical or, as NumPy). */
export const add = (x: ArrayLike, y: ArrayLike): Tracer => {
  const ab = promoteAndBroadcast('add', x, y)
  const a = ab[0]
  const b = ab[1]
  return isBool(a.dtype) ? bin.or(a, b) : bin.add(a, b)
}

export const subtract = (x: ArrayLike, y: ArrayLike): Tracer => {
  const ab = promoteAndBroadcast('subtract', x, y)
  const a = ab[0]
  const b = ab[1]
  noBool('subtract', a, 'use np.logicalXor or np.notEqual, or convert with astype("int32")')
  return bin.sub(a, b)
}

/** x · y (for bools: logical and, as NumPy). */
export const multiply = (x: ArrayLike, y: ArrayLike): Tracer => {
  const ab = promoteAndBroadcast('multiply', x, y)
  const a = ab[0]
  const b = ab[1]
  return isBool(a.dtype) ? bin.and(a, b) : bin.mul(a, b)
}

/** True division: integer and bool operands give float64. */
export const divide = (x: ArrayLike, y: ArrayLike): Tracer => {
  const ab = promoteToFloat('divide', x, y)
  return bin.div(ab[0], ab[1])
}
export const trueDivide = divide

/** Division rounded toward −∞ (Python's //); for floats floor(x / y). */
export const floorDivide = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteAndBroadcast('floorDivide', x, y)
  noBool('floorDivide', a, 'convert with astype("int32")')
  if (isFloat(a.dtype)) return un.floor(bin.div(a, b))
  // int: truncated quotient, minus one where the remainder is nonzero and the signs differ.
  const q = bin.div(a, b)
  const r = bin.rem(a, b)
  const fix = bin.and(bin.ne(r, lit(0, r)), bin.ne(bin.lt(r, lit(0, r)), bin.lt(b, lit(0, b))))
  return selectN(fix, q, bin.sub(q, lit(1, q)))
}

/** Remainder with the sign of the divisor (Python's %, NumPy's mod). */
export const remainder = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteAndBroadcast('remainder', x, y)
  noBool('remainder', a, 'convert with astype("int32")')
  const r = bin.rem(a, b)
  const fix = bin.and(bin.ne(r, lit(0, r)), bin.ne(bin.lt(r, lit(0, r)), bin.lt(b, lit(0, b))))
  return selectN(fix, r, bin.add(r, b))
}
export const mod = remainder

/**
 * xʸ. A JS integer exponent uses integer_pow (exact repeated multiplication, any dtype); an
 * integer array exponent of an integer base is computed in float64 and truncated to int32.
 */
export const power = (x: ArrayLike, y: ArrayLike): Tracer => {
  if (typeof y === 'number' && Number.isInteger(y) && Math.abs(y) <= 2 ** 31 - 1) {
    const a = asArray(x, 'power')
    noBool('power', a, 'convert with astype("int32")')
    if (isInt(a.dtype) && y < 0) {
      throw new DTypeError(`power: integers to negative integer powers are not allowed (${avalStr(a.aval)} ** ${y}); convert the base to float`)
    }
    return integerPow(a, y)
  }
  const [a, b] = promoteAndBroadcast('power', x, y)
  noBool('power', a, 'convert with astype("int32")')
  if (isFloat(a.dtype)) return bin.pow(a, b)
  const f = bin.pow(convertElementType(a, 'float64', a.weakType), convertElementType(b, 'float64', b.weakType))
  return convertElementType(f, a.dtype, a.weakType)
}

export const square = (x: ArrayLike): Tracer => power(x, 2)

export const negative = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'negative')
  noBool('negative', a, 'use np.logicalNot')
  return un.neg(a)
}

export const positive = (x: ArrayLike): Tracer => asArray(x, 'positive')

/** 1 / x, in floating point (ints become float64). */
export const reciprocal = (x: ArrayLike): Tracer => {
  const a = toFloat(x, 'reciprocal')
  return bin.div(lit(1, a), a)
}

// ---- float math --------------------------------------------------------------------------

const floatUnary = (op: string, f: (x: Tracer) => Tracer) => (x: ArrayLike): Tracer => f(toFloat(x, op))

export const sqrt = floatUnary('sqrt', un.sqrt)
export const rsqrt = floatUnary('rsqrt', un.rsqrt)
export const exp = floatUnary('exp', un.exp)
export const expm1 = floatUnary('expm1', un.expm1)
export const log = floatUnary('log', un.log)
export const log1p = floatUnary('log1p', un.log1p)
export const sin = floatUnary('sin', un.sin)
export const cos = floatUnary('cos', un.cos)
export const tan = floatUnary('tan', un.tan)
export const tanh = floatUnary('tanh', un.tanh)
export const sinh = floatUnary('sinh', un.sinh)
export const cosh = floatUnary('cosh', un.cosh)
export const arcsin = floatUnary('arcsin', un.asin)
export const arccos = floatUnary('arccos', un.acos)
export const arctan = floatUnary('arctan', un.atan)
/** `c ? a : b` elementwise, literals broadcast (np.where). */
const sel = (c: Tracer, a: Tracer, b: Tracer): Tracer => where(c, a, b)

/**
 * log x / log b, snapped to the integer n when within 4 ulps of it (of the dtype): log x / log b rounds
 * twice, so log10(1000) came out 2.9999999999999996. For x the double nearest bⁿ (n ≠ 0)
 * the true value is within half an ulp of n, so NumPy's correctly rounded log gives n
 * exactly; so do we. The snap is a stopped-gradient correction, so the derivative stays
 * 1 / (x log b) everywhere.
 */
const logBase = (x: Tracer, lnBase: number): Tracer => {
  const r = bin.div(un.log(x), lit(lnBase, x))
  const n = un.round(r)
  const near = bin.le(un.abs(bin.sub(r, n)), bin.mul(un.abs(n), lit(4 * (x.dtype === 'float32' ? 2 ** -23 : 2 ** -52), x)))
  const fix = sel(near, bin.sub(n, r), lit(0, x))
  return bin.add(r, un.stopGradient(fix))
}
/** log₂ x, exact (an integer) at exact powers of 2 */
export const log2 = floatUnary('log2', (x) => logBase(x, Math.LN2))
/** log₁₀ x, exact (an integer) at the doubles nearest powers of 10 */
export const log10 = floatUnary('log10', (x) => logBase(x, Math.LN10))
/** 2ˣ = pow(2, x): exact at integers (exp(x log 2) gave exp2(3) = 7.999999999999998), ∞ from 1024 */
export const exp2 = floatUnary('exp2', (x) => bin.pow(lit(2, x), x))

/** Above 2^28, √(x² ± 1) = x in float64, so arcsinh x = arccosh x = log(2x) = log x + log 2. */
const BIG = 2 ** 28

/**
 * arcsinh for t ≥ 0: log1p(t + t²/(1 + √(t² + 1))) (no cancellation; t² cannot overflow below
 * 2^28), and log t + log 2 above. Each branch gets an input from its own range, so the
 * branch not taken cannot put a NaN into the gradient.
 */
const arcsinhPos = (t: Tracer): Tracer => {
  const big = bin.gt(t, lit(BIG, t))
  const s = sel(big, lit(1, t), t)
  const l = sel(big, t, lit(1, t))
  const small = un.log1p(bin.add(s, bin.div(bin.mul(s, s), bin.add(lit(1, s), un.sqrt(bin.add(bin.mul(s, s), lit(1, s)))))))
  return sel(big, bin.add(un.log(l), lit(Math.LN2, l)), small)
}
/**
 * arcsinh x = log(x + √(x² + 1)), odd: x ≥ 0 by arcsinhPos(x), x < 0 by −arcsinhPos(−x). No
 * sign(x)·f(|x|): its derivative at 0 is sign′(0)·f(0) + sign(0)·f′(0) = 0, not 1.
 */
export const arcsinh = floatUnary('arcsinh', (x) => {
  const negative = bin.lt(x, lit(0, x))
  const pos = sel(negative, lit(0, x), x)
  const neg = sel(negative, x, lit(0, x))
  return sel(negative, un.neg(arcsinhPos(un.neg(neg))), arcsinhPos(pos))
})
/**
 * arccosh x = log(x + √(x² − 1)) = log1p(t + √(t (2 + t))) with t = x − 1 (accurate near 1),
 * and log x + log 2 above 2^28 (where x² would overflow); NaN below 1.
 */
export const arccosh = floatUnary('arccosh', (x) => {
  const big = bin.gt(x, lit(BIG, x))
  const t = bin.sub(sel(big, lit(2, x), x), lit(1, x))
  const l = sel(big, x, lit(2, x))
  const small = un.log1p(bin.add(t, un.sqrt(bin.mul(t, bin.add(lit(2, t), t)))))
  return sel(big, bin.add(un.log(l), lit(Math.LN2, l)), small)
})
/** arctanh x = ½ (log1p(x) − log1p(−x)) */
export const arctanh = floatUnary('arctanh', (x) => bin.mul(bin.sub(un.log1p(x), un.log1p(un.neg(x))), lit(0.5, x)))

export const arctan2 = (y: ArrayLike, x: ArrayLike): Tracer => {
  const [a, b] = promoteToFloat('arctan2', y, x)
  return bin.atan2(a, b)
}

/** √(x² + y²) without overflow for large operands: m·√(1 + (s/m)²), m = max(|x|, |y|). */
export const hypot = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteToFloat('hypot', x, y)
  const [ax, ay] = [un.abs(a), un.abs(b)]
  const m = bin.max(ax, ay)
  const s = bin.min(ax, ay)
  const safe = where(bin.eq(m, lit(0, m)), lit(1, m), m)
  const r = bin.div(s, safe)
  return bin.mul(m, un.sqrt(bin.add(lit(1, r), bin.mul(r, r))))
}

// ---- sign, rounding ----------------------------------------------------------------------

/** |x|; bools pass through. */
export const abs = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'abs')
  return isBool(a.dtype) ? a : un.abs(a)
}
export const absolute = abs

/** −1, 0 or 1 (NaN for NaN); bools pass through. */
export const sign = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'sign')
  return isBool(a.dtype) ? a : un.sign(a)
}

/** Integers are already integral: floor, ceil and round return them unchanged (as jax.numpy). */
const rounding = (op: string, f: (x: Tracer) => Tracer) => (x: ArrayLike): Tracer => {
  const a = asArray(x, op)
  return isFloat(a.dtype) ? f(a) : a
}
export const floor = rounding('floor', un.floor)
export const ceil = rounding('ceil', un.ceil)
/** Round toward zero. */
export const trunc = rounding('trunc', (x) => selectN(bin.lt(x, lit(0, x)), un.floor(x), un.ceil(x)))

/** Round half to even, to `decimals` decimal places (negative: to tens, hundreds, …). */
export const round = (x: ArrayLike, decimals = 0): Tracer => {
  const a = asArray(x, 'round')
  if (!Number.isInteger(decimals)) throw new TypeError(`round: decimals must be an integer, got ${decimals}`)
  if (!isFloat(a.dtype)) {
    if (decimals >= 0) return a
    const f = lit(10 ** -decimals, a)
    const r = un.round(bin.div(convertElementType(a, 'float64', a.weakType), convertElementType(f, 'float64', a.weakType)))
    return bin.mul(convertElementType(r, a.dtype, a.weakType), f)
  }
  if (decimals === 0) return un.round(a)
  const f = lit(10 ** Math.abs(decimals), a)
  return decimals > 0 ? bin.div(un.round(bin.mul(a, f)), f) : bin.mul(un.round(bin.div(a, f)), f)
}
export const around = round

// ---- extrema, clipping, selection --------------------------------------------------------

/** Elementwise max (NaN propagates; for bools: or). */
export const maximum = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteAndBroadcast('maximum', x, y)
  return isBool(a.dtype) ? bin.or(a, b) : bin.max(a, b)
}

/** Elementwise min (NaN propagates; for bools: and). */
export const minimum = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteAndBroadcast('minimum', x, y)
  return isBool(a.dtype) ? bin.and(a, b) : bin.min(a, b)
}

/** min(max(x, lo), hi); either bound may be omitted (null or undefined). */
export const clip = (x: ArrayLike, lo?: ArrayLike | null, hi?: ArrayLike | null): Tracer => {
  let out = asArray(x, 'clip')
  if (lo !== undefined && lo !== null) out = maximum(out, lo)
  if (hi !== undefined && hi !== null) out = minimum(out, hi)
  return out
}

/** Elementwise `c ? x : y`; `c` is converted to bool (nonzero is true). Only the selected
 *  branch is differentiated. */
export const where = (c: ArrayLike, x: ArrayLike, y: ArrayLike): Tracer => {
  const op = 'where'
  const cond = toBool(c, op)
  const [a, b] = promoteAndBroadcast(op, x, y)
  // select_n takes a 0-d or full predicate and full-shape cases.
  const shape = broadcastShapes(op, cond.shape, a.shape, b.shape)
  const cf = cond.ndim === 0 ? cond : broadcastTo(cond, shape, op)
  return selectN(cf, broadcastTo(b, shape, op), broadcastTo(a, shape, op))
}

// ---- comparisons and logic ---------------------------------------------------------------

const compare = (op: string, f: (a: Tracer, b: Tracer) => Tracer) => (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteAndBroadcast(op, x, y)
  return f(a, b)
}
export const equal = compare('equal', bin.eq)
export const notEqual = compare('notEqual', bin.ne)
export const less = compare('less', bin.lt)
export const lessEqual = compare('lessEqual', bin.le)
export const greater = compare('greater', bin.gt)
export const greaterEqual = compare('greaterEqual', bin.ge)

/** Nonzero → true; bools pass through. */
const toBool = (x: ArrayLike, op: string): Tracer => {
  const a = asArray(x, op)
  return isBool(a.dtype) ? a : bin.ne(a, lit(0, a))
}

const logical = (op: string, f: (a: Tracer, b: Tracer) => Tracer) => (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = broadcastArrays(op, toBool(x, op), toBool(y, op))
  return f(a, b)
}
export const logicalAnd = logical('logicalAnd', bin.and)
export const logicalOr = logical('logicalOr', bin.or)
export const logicalXor = logical('logicalXor', bin.ne)
export const logicalNot = (x: ArrayLike): Tracer => un.not(toBool(x, 'logicalNot'))

/** NaN is the only value not equal to itself; ints and bools are never NaN. */
export const isnan = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'isnan')
  return bin.ne(a, a)
}

/** x − x is 0 exactly for finite x (NaN for ±∞ and NaN). */
export const isfinite = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'isfinite')
  if (!isFloat(a.dtype)) return bin.eq(a, a)
  return bin.eq(bin.sub(a, a), lit(0, a))
}

export const isinf = (x: ArrayLike): Tracer => {
  const a = asArray(x, 'isinf')
  if (!isFloat(a.dtype)) return bin.ne(a, a)
  return bin.eq(un.abs(a), lit(Infinity, a))
}
