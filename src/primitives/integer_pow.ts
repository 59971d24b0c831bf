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

export const integerPow = (x: Tracer, y: number): Tracer => bind1('integer_pow', [x], { y })

const powAval = (a: ShapedArray, y: number): ShapedArray => {
  if (!Number.isInteger(y)) throw new ValueError(`integer_pow: exponent must be an integer, got ${y}`)
  if (isBool(a.dtype)) throw new DTypeError(`integer_pow needs a numeric array, got ${avalStr(a)}`)
  if (isInt(a.dtype) && y < 0) throw new DTypeError(`integer_pow: negative exponent ${y} of an integer array ${avalStr(a)}; convert to float first`)
  return shaped(a.shape, a.dtype, a.weakType)
}

/** Exponentiation by squaring in int32 arithmetic (wraps like C). */
const intPow = (v: number, y: number): number => {
  let r = 1
  let b = v | 0
  for (let e = y; e > 0; e >>= 1) {
    if (e & 1) r = Math.imul(r, b)
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
    if (e & 1) r *= b
    b *= b
    e >>= 1
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
      const scale = p.y === 1 ? x : mul(integerPow(x, p.y - 1), p.y)
      return [[out], [p.y === 1 ? dx : mul(dx, scale)]]
    },
    batch: unaryBatch('integer_pow'),
    // x^y by the same repeated squaring as the impl (so x³ = x·(x·x) exactly), rounded once.
    lower: ([x], p, avals) => op('ipow', [x], avals.out.dtype, p.y),
  },
}
