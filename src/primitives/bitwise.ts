/**
 * Primitives layer: bitwise primitives on int32 words (32-bit patterns, as XLA's u32/s32 ops)
 *   xor                      a ^ b
 *   shift_left               a << b
 *   shift_right_logical      a >>> b   (zero fill)
 *   shift_right_arithmetic   a >> b    (sign fill)
 * Shift amounts are read as unsigned 32-bit numbers, as XLA does: an amount outside [0, 31]
 * (so any negative one) shifts every bit out — 0 for shift_left and shift_right_logical, the
 * sign fill (a < 0 ? −1 : 0) for shift_right_arithmetic. They are the building blocks of the
 * Threefry hash in src/random.
 * Operands are int32, of equal shapes or 0-d (a 0-d operand broadcasts, as in binary.ts).
 * Integer functions have no derivative: every tangent is a symbolic zero.
 */
import type { ConcreteArray } from '../core/array'
import { DTypeError } from '../core/errors'
import type { BaseRules, RuleTable } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr } from '../ir/aval'
import type { BitwisePrim } from '../ir/params'
import { type ArrayLike, asTracer, binaryImpl, elementwiseAval, elementwiseBatch, isTracerLike, zeroJvp } from './util'

// ---- wrappers ----------------------------------------------------------------------------

/** A JS number next to an array takes the array's dtype (it is weakly typed). */
const w = (prim: BitwisePrim) => (x: ArrayLike, y: ArrayLike): Tracer => {
  const xs = asTracer(x, isTracerLike(y) ? y.aval : undefined)
  const ys = asTracer(y, isTracerLike(x) ? x.aval : undefined)
  return bind1(prim, [xs, ys], {})
}
export const xor = w('xor')
export const shiftLeft = w('shift_left')
export const shiftRightLogical = w('shift_right_logical')
export const shiftRightArithmetic = w('shift_right_arithmetic')

// ---- abstract eval -----------------------------------------------------------------------

const evalFor = (prim: BitwisePrim) => (avals: readonly ShapedArray[]): ShapedArray[] => {
  if (avals.some((a) => a.dtype !== 'int32')) {
    throw new DTypeError(
      `${prim} needs int32 operands (32-bit words), got ${avals.map(avalStr).join(', ')}. ` +
        `Convert first: lax.convertElementType(x, 'int32').`,
    )
  }
  return [elementwiseAval(avals, prim)]
}

// ---- impl --------------------------------------------------------------------------------

/** An amount is in range when, read as unsigned, it is below 32 (XLA's `ICmpULT rhs, 32`). */
const inRange = (b: number): boolean => b >>> 0 < 32
const xorScalar = (a: number, b: number): number => a ^ b
const shlScalar = (a: number, b: number): number => (inRange(b) ? a << b : 0)
const shrlScalar = (a: number, b: number): number => (inRange(b) ? (a >>> b) | 0 : 0)
const shraScalar = (a: number, b: number): number => (inRange(b) ? a >> b : a < 0 ? -1 : 0)

// ---- the rules ---------------------------------------------------------------------------

/** Abstract eval, a tight impl loop, zero jvp, and the elementwise batcher. */
const bitwise = <P extends BitwisePrim>(prim: P, f: (a: number, b: number) => number): BaseRules<P> =>
  ({
    abstractEval: evalFor(prim),
    impl: (xs: readonly ConcreteArray[]) => {
      const [out] = evalFor(prim)([xs[0].aval, xs[1].aval])
      return [binaryImpl(xs[0], xs[1], f, out)]
    },
    // An integer function: zero tangents.
    jvp: zeroJvp(prim),
    batch: elementwiseBatch(prim),
  }) as BaseRules<P>

export const bitwiseRules: Pick<RuleTable, BitwisePrim> = {
  xor: bitwise('xor', xorScalar),
  shift_left: bitwise('shift_left', shlScalar),
  shift_right_logical: bitwise('shift_right_logical', shrlScalar),
  shift_right_arithmetic: bitwise('shift_right_arithmetic', shraScalar),
}
