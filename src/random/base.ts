/**
 * Shared pieces of the samplers: uniform floats from the hash of counters, standard normals,
 * dtype and bound checks, broadcasting of parameters.
 */
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, shapeEq, shapeStr, sizeOf } from '../ir/aval'
import { castScalar } from '../ir/dtypes'
import { add, and, max, min, mul, or, sub } from '../primitives/binary'
import { shiftLeft, shiftRightLogical, xor } from '../primitives/bitwise'
import { broadcastInDim, convertElementType, reshape } from '../primitives/shape'
import { concatenate, slice } from '../primitives/slicing'
import { cos, log, neg, sin, sqrt } from '../primitives/unary'
import { describe } from '../primitives/util'
import { hashCounters } from './threefry'

export type FloatDType = 'float32' | 'float64'

export const floatDtype = (dtype: unknown, op: string): FloatDType => {
  if (dtype === 'float32' || dtype === 'float64') return dtype
  throw new DTypeError(`${op}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`)
}

/**
 * n floats uniform on [0, 1): multiples of 2⁻²⁴ (float32: the top 24 bits of the 32-bit word
 * w0 ^ w1) or of 2⁻⁵³ (float64: the top 53 bits of the 64-bit word (w0 << 32) | w1, as w0's
 * top 26 bits and 27 more). Every step is exact: each part is a non-negative int32 below 2²⁷.
 */
export const unitFloats = (key: Tracer, n: number, dtype: FloatDType): Tracer => {
  const [w0, w1] = hashCounters(key, n)
  if (dtype === 'float32') {
    return mul(convertElementType(shiftRightLogical(xor(w0, w1), 8), 'float32'), 2 ** -24)
  }
  const hi = convertElementType(shiftRightLogical(w0, 6), 'float64')
  const lo = convertElementType(or(shiftLeft(and(w0, 63), 21), shiftRightLogical(w1, 11)), 'float64')
  return mul(add(mul(hi, 2 ** 27), lo), 2 ** -53)
}

/** The largest value of `dtype` below the finite `x`. */
export const nextDown = (x: number, dtype: FloatDType): number => {
  if (x === 0) return dtype === 'float32' ? -(2 ** -149) : -Number.MIN_VALUE
  if (dtype === 'float32') {
    const f = Float32Array.of(x)
    new Int32Array(f.buffer)[0] += x > 0 ? -1 : 1
    return f[0]
  }
  const f = Float64Array.of(x)
  new BigInt64Array(f.buffer)[0] += x > 0 ? -1n : 1n
  return f[0]
}

export const boundArg = (v: unknown, name: string, dtype: FloatDType, op: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ValueError(`${op}: ${name} must be a finite JS number, got ${describe(v)}`)
  }
  return castScalar(v, dtype)
}

/** Uniform on [minval, maxval) in `dtype` (checked key and shape). */
export const uniformIn = (key: Tracer, shape: Shape, dtype: FloatDType, minval: unknown, maxval: unknown, op: string): Tracer => {
  const lo = boundArg(minval, 'minval', dtype, op)
  const hi = boundArg(maxval, 'maxval', dtype, op)
  if (!(lo < hi)) {
    throw new ValueError(`${op}: needs minval < maxval in ${dtype}, got minval = ${String(minval)}, maxval = ${String(maxval)}`)
  }
  const span = castScalar(hi - lo, dtype)
  if (!Number.isFinite(span)) throw new ValueError(`${op}: maxval − minval = ${hi - lo} overflows ${dtype}`)
  const r = add(mul(unitFloats(key, sizeOf(shape), dtype), span), lo)
  // u · span + minval can round up to maxval: clamp into [minval, maxval)
  return reshape(max(min(r, nextDown(hi, dtype)), lo), shape)
}

/** n·… standard normals of `shape` by Box–Muller (see `normal`). */
export const normalIn = (k: Tracer, s: Shape, dtype: FloatDType): Tracer => {
  const n = sizeOf(s)
  const m = Math.ceil(n / 2)
  const u = unitFloats(k, 2 * m, dtype)
  const u1 = slice(u, [0], [m])
  const u2 = slice(u, [m], [2 * m])
  const radius = sqrt(mul(log(sub(1, u1)), -2))
  const theta = mul(u2, 2 * Math.PI)
  const z = concatenate([mul(radius, cos(theta)), mul(radius, sin(theta))], 0)
  return reshape(slice(z, [0], [n]), s)
}

export /** The smallest positive normal number of each float dtype. */
const TINY: Readonly<Record<FloatDType, number>> = { float32: 2 ** -126, float64: 2 ** -1022 }

/** −log(−log u) with u uniform on [tiny, 1): −log u ∈ (0, 708], so the result is finite. */
export const gumbelIn = (key: Tracer, shape: Shape, dtype: FloatDType, op: string): Tracer =>
  neg(log(neg(log(uniformIn(key, shape, dtype, TINY[dtype], 1, op)))))

export /** `x` (shape right-aligned, as NumPy) broadcast to `shape`. */
const broadcastTo = (x: Tracer, shape: Shape, what: string, op: string): Tracer => {
  const off = shape.length - x.ndim
  if (off < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[off + i])) {
    throw new ShapeError(`${op}: ${what} of shape ${shapeStr(x.shape)} does not broadcast to the shape ${shapeStr(shape)}`)
  }
  return shapeEq(x.shape, shape) ? x : broadcastInDim(x, shape, x.shape.map((_, i) => off + i))
}

