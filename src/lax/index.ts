/**
 * The `lax` namespace: the primitives themselves, as JAX's `jax.lax`, in camelCase. No NumPy
 * conveniences here: operands must already have equal dtypes, and shapes must be equal (0-d
 * operands broadcast). A JS number next to an array takes the array's dtype (it is weak).
 */
import { scalar } from '../core/array'
import type { Tracer } from '../core/tracer'
import type { Shape } from '../ir/aval'
import type { DType } from '../ir/dtypes'
import { cumsum as cumsumP } from '../primitives/cumsum'
import { integerPow } from '../primitives/integer_pow'
import { iota as iotaP, reshape as reshapeP, selectN } from '../primitives/shape'
import { dynamicSlice as dynamicSliceP, dynamicUpdateSlice as dynamicUpdateSliceP, pad as padP } from '../primitives/slicing'
import { sort as sortP } from '../primitives/sort'
import { max as maxP, min as minP } from '../primitives/binary'
import { checkInt32, clampInt32, normAxes } from '../primitives/util'

export {
  add, sub, mul, div, pow, max, min, atan2, rem, eq, ne, lt, le, gt, ge, and, or,
} from '../primitives/binary'
export {
  neg, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, exp, expm1, log, log1p, sqrt, rsqrt,
  abs, sign, floor, ceil, round, logistic, not, stopGradient,
} from '../primitives/unary'
export { integerPow } from '../primitives/integer_pow'
export { xor, shiftLeft, shiftRightLogical, shiftRightArithmetic } from '../primitives/bitwise'
export { convertElementType, broadcastInDim, reshape, transpose, squeeze, selectN } from '../primitives/shape'
export { reduceSum, reduceMax, reduceMin, reduceProd, argmax, argmin } from '../primitives/reduce'
export { dotGeneral } from '../primitives/dot'
export { slice, concatenate } from '../primitives/slicing'
export { gather, scatterAdd } from '../primitives/gather'
export { cholesky, triangularSolve, lu } from '../primitives/linalg'
export { eigh, svd, qr } from './linalg'
export type { LaxSvdOpts } from './linalg'

type Scalar = Tracer | number

/** A start index; dynamic_slice clamps starts so the window fits, so a JS integer beyond int32
 *  is clamped to it first (same result); a fractional one is a ValueError. */
const index = (i: Scalar, op: string): Tracer => (typeof i === 'number' ? scalar(clampInt32(i, `${op} start index`), 'int32', false) : i)

/** `c ? a : b` elementwise (`c` bool, 0-d or of the cases' shape). */
export const select = (c: Tracer, a: Tracer, b: Tracer): Tracer => selectN(c, b, a)

/** `iota(dtype, n)`: 0, 1, …, n − 1; `iota(dtype, shape, dimension)`: counting along one axis
 *  of `shape` (JAX's broadcasted_iota). */
export const iota = (dtype: DType, shape: number | Shape, dimension = 0): Tracer =>
  iotaP(dtype, typeof shape === 'number' ? [shape] : shape, dimension)
export const broadcastedIota = (dtype: DType, shape: Shape, dimension: number): Tracer => iotaP(dtype, shape, dimension)

/** x² (integer_pow with y = 2). */
export const square = (x: Tracer): Tracer => integerPow(x, 2)

/** min(max(x, lo), hi): JAX's argument order (lo, x, hi). */
export const clamp = (lo: Scalar, x: Tracer, hi: Scalar): Tracer => minP(maxP(x, lo), hi)

/** Insert size-1 axes at `dimensions` (positions in the result). */
export const expandDims = (x: Tracer, dimensions: readonly number[]): Tracer => {
  const nd = x.ndim + dimensions.length
  const dims = normAxes(dimensions, nd, 'expandDims')
  const shape: number[] = []
  let k = 0
  for (let d = 0; d < nd; d++) shape.push(dims.includes(d) ? 1 : x.shape[k++])
  return reshapeP(x, shape)
}

/** Pad with `padValue` (a JS number takes `x`'s dtype): [lo, hi, interior] per axis. */
export const pad = (x: Tracer, padValue: Scalar, paddingConfig: ReadonlyArray<readonly [number, number, number]>): Tracer =>
  padP(x, typeof padValue === 'number' ? scalar(x.dtype === 'int32' ? checkInt32(padValue, 'lax.pad value') : padValue, x.dtype, x.weakType) : padValue, paddingConfig)

/** The window of `sliceSizes` at `startIndices` (JS integers or 0-d int32 arrays; clamped into range). */
export const dynamicSlice = (x: Tracer, startIndices: readonly Scalar[], sliceSizes: readonly number[]): Tracer =>
  dynamicSliceP(x, startIndices.map((i) => index(i, 'lax.dynamicSlice')), sliceSizes)

/** `x` with the window at `startIndices` (clamped) replaced by `update`. */
export const dynamicUpdateSlice = (x: Tracer, update: Tracer, startIndices: readonly Scalar[]): Tracer =>
  dynamicUpdateSliceP(x, update, startIndices.map((i) => index(i, 'lax.dynamicUpdateSlice')))

/** Inclusive prefix sums along `axis` (default 0); `reverse`: suffix sums. */
export const cumsum = (x: Tracer, axis = 0, reverse = false): Tracer => cumsumP(x, axis, reverse)

/** Stable sort along `dimension` (default last). Several operands: sorted by the first
 *  `numKeys` of them, all permuted alike; returns one array per operand. */
export function sort(x: Tracer, dimension?: number): Tracer
export function sort(xs: readonly Tracer[], dimension?: number, numKeys?: number): Tracer[]
export function sort(x: Tracer | readonly Tracer[], dimension = -1, numKeys = 1): Tracer | Tracer[] {
  if (Array.isArray(x)) return sortP(x as readonly Tracer[], dimension, numKeys)
  return sortP([x as Tracer], dimension, 1)[0]
}
export { cond, switch, whileLoop, foriLoop, scan } from './control'
export type { ScanOptions, LoopOptions, WhileOptions, ForiOptions, CheckpointPolicy } from './control'
export type { ProgressOption, ProgressReport } from './progress'
export { customLinearSolve, customRoot } from './solve'
export type { CustomLinearSolveOptions, LinearMap } from './solve'
export { convGeneralDilated, conv, convWithGeneralPadding, convTranspose, padtypeToPads } from './conv'
export type { Padding, PaddingType, ConvDimensionNumbersLike, ConvDimensionNumberLists, ConvGeneralDilatedOptions, ConvTransposeOptions } from './conv'
export { reduceWindow } from './window'
export type { WindowComputation } from './window'
export { associativeScan, map, topK, cumprod, cummax, cummin, cumlogsumexp } from './scans'
export type { AssociativeScanOptions, MapOptions } from './scans'
