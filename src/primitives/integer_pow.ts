/**
 * Primitives layer: integer_pow — x^y for a static integer y (x² is `integer_pow[y=2] x`).
 */
import { op } from '../ir/scalar'
import { DTypeError, ValueError } from '../core/errors'
import { type RuleTable, Zero, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr, shaped } from '../ir/aval'
import { isBool, isInt } from '../ir/dtypes'
import { mul } from './binary'
import { unaryBatch, unaryImpl } from './util'

/**
 * xʸ for a JS integer y by repeated squaring (x² is exactly x·x). y may be any safe integer
 * (|y| ≤ 2^53 − 1); another value is a ValueError. Integer arrays wrap modulo 2^32, as in C.
 */
export const integerPow = (x: Tracer, y: number): Tracer => bind1('integer_pow', [x], { y })

const powAval = (a: ShapedArray, y: number): ShapedArray => {
  if (!Number.isSafeInteger(y)) {
    throw new ValueError(
      `integer_pow: the exponent must be a safe integer (|y| ≤ 2^53 − 1), got ${y}; ` +
        `for a larger or fractional exponent use np.power with an array exponent`,
    )
  }
  if (isBool(a.dtype)) throw new DTypeError(`integer_pow needs a numeric array, got ${avalStr(a)}`)
  if (isInt(a.dtype) && y < 0) throw new DTypeError(`integer_pow: negative exponent ${y} of an integer array ${avalStr(a)}; convert to float first`)
  return shaped(a.shape, a.dtype, a.weakType)
}

/**
 * The exponent is walked with float arithmetic (`e % 2`, `Math.floor(e / 2)`), never with
 * 32-bit bit operations: |y| may be any safe integer, and 2^31 or −2^31 must not wrap.
 * Every backend (the JS and WebAssembly kernels) repeats this exact sequence of squarings.
 */

/** Exponentiation by squaring in int32 arithmetic (wraps like C). */
const intPow = (v: number, y: number): number => {
  let r = 1
  let b = v | 0
  for (let e = y; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) r = Math.imul(r, b)
    b = Math.imul(b, b)
  }
  return r
}

/** x^y by repeated squaring, so x² is exactly x·x (as XLA), not Math.pow's rounding. */
export const floatPow = (v: number, y: number): number => {
  let e = Math.abs(y)
  let r = 1
  let b = v
  while (e > 0) {
    if (e % 2 === 1) r *= b
    b *= b
    e = Math.floor(e / 2)
  }
  return y < 0 ? 1 / r : r
}

export const integerPowRules: Pick<RuleTable, 'integer_pow'> = {
  integer_pow: {
    abstractEval: ([a], p) => [powAval(a, p.y)],
    impl: ([x], p) => [unaryImpl(x, isInt(x.dtype) ? (v) => intPow(v, p.y) : (v) => floatPow(v, p.y), powAval(x.aval, p.y))],
    // d xʸ = y x^(y−1) dx
    jvp: ([x], [dx], p) => {
      const out = integerPow(x, p.y)
      if (isZero(dx) || p.y === 0) return [[out], [new Zero(out.aval)]]
      // x^(y−1) as x^y · x⁻¹ when y − 1 is past the safe range (y = −(2^53 − 1))
      // (x¹ is x itself: no equation for it, so d x² = 2x dx stages one multiplication)
      const lower = p.y === 2 ? x : Number.isSafeInteger(p.y - 1) ? integerPow(x, p.y - 1) : mul(out, integerPow(x, -1))
      const scale = p.y === 1 ? x : mul(lower, p.y)
      return [[out], [p.y === 1 ? dx : mul(dx, scale)]]
    },
    batch: unaryBatch('integer_pow'),
    // x^y by the same repeated squaring as the impl (so x³ = x·(x·x) exactly), rounded once.
    lower: ([x], p, avals) => op('ipow', [x], avals.out.dtype, p.y),
  },
}
