/**
 * NumPy layer: operands in, operands ready for a lax primitive out. JS numbers and booleans
 * become weakly typed 0-d arrays; dtypes meet in JAX's promotion lattice (src/ir/dtypes.ts);
 * shapes broadcast by NumPy's rules. The lax primitives themselves never promote or
 * broadcast (beyond 0-d operands), so every `np` function goes through here.
 */
import { scalar } from '../core/array'
import { ArgumentTypeError, ShapeError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, shapeEq, shapeStr } from '../ir/aval'
import { type DType, floatOf, isFloat, promoteTypes } from '../ir/dtypes'
import { convertElementType, broadcastInDim } from '../primitives/shape'
import { describe, isTracerLike } from '../primitives/util'

import type * as M from '../core/methods'

/** What an `np` function accepts as an array operand (an Array, a JS number or boolean). */
export type ArrayLike = M.ArrayLike

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

/** The weak dtype of a JS number: int32 for integers that fit (not −0), float64 otherwise. */
const literalDtype = (x: number): DType =>
  Number.isInteger(x) && x >= INT32_MIN && x <= INT32_MAX && !Object.is(x, -0) ? 'int32' : 'float64'

/** A JS number → weak 0-d array; a boolean → bool 0-d array; an array passes through. */
export const asArray = (x: ArrayLike, op: string): Tracer => {
  if (typeof x === 'number') return scalar(x, literalDtype(x), true)
  if (typeof x === 'boolean') return scalar(x, 'bool', false)
  if (!isTracerLike(x)) {
    throw new ArgumentTypeError(`${op}: expected an Array or a JS number, got ${describe(x)}. Wrap data with np.array(...).`)
  }
  return x
}

/** Convert `x` to (dtype, weakType) unless it already is; a JS literal becomes that constant directly. */
const castTo = (x: ArrayLike, dtype: DType, weakType: boolean, op: string): Tracer => {
  if (typeof x === 'number' || typeof x === 'boolean') return scalar(Number(x), dtype, weakType)
  const t = asArray(x, op)
  if (t.dtype === dtype && t.weakType === weakType) return t
  return convertElementType(t, dtype, weakType)
}

/**
 * JS has one number type, so a literal's kind comes from its company: an integer literal next
 * to int32 arrays (and no float ones) is a weak int (`idx.add(1)` stays int32); otherwise
 * literals are weak float64 (`np.where(mask, 1.0, 2.0)` is float, as `1.0` reads).
 */
const literalKindFor = (xs: readonly ArrayLike[]): DType => {
  const arrays = xs.filter(isTracerLike)
  if (xs.some((x) => typeof x === 'number' && literalDtype(x) === 'float64')) return 'float64'
  return arrays.some((a) => a.dtype === 'int32') && !arrays.some((a) => isFloat(a.dtype)) ? 'int32' : 'float64'
}

/** The promoted (dtype, weakType) of some operands, as JAX's lattice says. */
export const resultType = (op: string, ...xs: ArrayLike[]): { dtype: DType; weakType: boolean } => {
  const kind = literalKindFor(xs)
  return promoteTypes(xs.map((x) => (typeof x === 'number' ? { dtype: kind, weakType: true } : asArray(x, op).aval)))
}

/** Lift all operands and convert them to their common dtype (result weak only if all are weak). */
export const promoteArgs = (op: string, ...xs: ArrayLike[]): Tracer[] => {
  if (xs.length === 0) return []
  const { dtype, weakType } = resultType(op, ...xs)
  return xs.map((x) => castTo(x, dtype, weakType, op))
}

/** NumPy broadcasting: align shapes on the right; each axis is equal or 1. */
export const broadcastShapes = (op: string, ...shapes: Shape[]): number[] => {
  const rank = Math.max(0, ...shapes.map((s) => s.length))
  const out = new Array<number>(rank).fill(1)
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i
      const d = s[i]
      if (d === out[k] || d === 1) continue
      if (out[k] === 1) out[k] = d
      else {
        throw new ShapeError(
          `${op}: operands could not be broadcast together with shapes ${shapes.map(shapeStr).join(' ')}`,
        )
      }
    }
  }
  return out
}

/** Broadcast `x` to `shape` (NumPy rules, so `x`'s axes align with the trailing axes). */
export const broadcastTo = (x: Tracer, shape: Shape, op: string): Tracer => {
  if (shapeEq(x.shape, shape)) return x
  const target = broadcastShapes(op, x.shape, shape)
  if (!shapeEq(target, shape)) {
    throw new ShapeError(`${op}: cannot broadcast an array of shape ${shapeStr(x.shape)} to shape ${shapeStr(shape)}`)
  }
  const lead = shape.length - x.ndim
  return broadcastInDim(x, shape, x.shape.map((_, i) => i + lead))
}

/** Broadcast operands against each other; 0-d operands stay 0-d (the primitives broadcast them). */
export const broadcastArrays = (op: string, ...xs: Tracer[]): Tracer[] => {
  const shape = broadcastShapes(op, ...xs.map((x) => x.shape))
  return xs.map((x) => (x.ndim === 0 ? x : broadcastTo(x, shape, op)))
}

/** Promote dtypes, then broadcast shapes: operands ready for an elementwise primitive. */
export const promoteAndBroadcast = (op: string, ...xs: ArrayLike[]): Tracer[] =>
  (xs.length === 2 ? readyPair(xs[0], xs[1]) : null) ?? broadcastArrays(op, ...promoteArgs(op, ...xs))

/**
 * The two operands of most calls as they already are, when promotion and broadcasting would
 * change nothing: arrays of one dtype and weak type with equal shapes (or one 0-d), or a strongly
 * typed float array and a JS number (which the lattice makes a constant of the array's dtype).
 * Null otherwise: the general path decides. (Most of what a traced user function calls.)
 */
const readyPair = (x: ArrayLike, y: ArrayLike): Tracer[] | null => {
  const xt = isTracerLike(x)
  const yt = isTracerLike(y)
  if (xt && yt) {
    const a = x as Tracer
    const b = y as Tracer
    if (a.dtype !== b.dtype || a.weakType !== b.weakType) return null
    return a.ndim === 0 || b.ndim === 0 || shapeEq(a.shape, b.shape) ? [a, b] : null
  }
  if (xt && typeof y === 'number' && isFloat((x as Tracer).dtype) && !(x as Tracer).weakType) return [x as Tracer, scalar(y, (x as Tracer).dtype, false)]
  if (yt && typeof x === 'number' && isFloat((y as Tracer).dtype) && !(y as Tracer).weakType) return [scalar(x, (y as Tracer).dtype, false), y as Tracer]
  return null
}

/** int32 and bool become float64 (an int literal stays weak); floats pass through. */
export const toFloat = (x: ArrayLike, op = 'toFloat'): Tracer => {
  const t = asArray(x, op)
  const d = floatOf(t.dtype)
  return d === t.dtype ? t : castTo(x, d, t.weakType, op)
}

/** Promote operands, then make the result float (for float-only math: sqrt, divide, arctan2). */
export const promoteToFloat = (op: string, ...xs: ArrayLike[]): Tracer[] => {
  const { dtype, weakType } = resultType(op, ...xs)
  const d = floatOf(dtype)
  return broadcastArrays(op, ...xs.map((x) => castTo(x, d, weakType, op)))
}
