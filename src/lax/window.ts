/**
 * lax: `reduceWindow` (`jax.lax.reduce_window`). With `lax.add` / `lax.max` / `lax.min` and
 * the monoid's identity as init value (0, −∞, +∞) it is one `reduce_window_*` primitive; any
 * other computation or init value folds the function, from the init value, over the real
 * elements of each window (window patches: pad + strided slices, and a mask of what is not
 * padding), so it differentiates like the function itself.
 */
import { scalar } from '../core/array'
import { ArgumentTypeError, DTypeError, ShapeError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr, sizeOf } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import type { ReduceWindowParams, ReduceWindowPrim } from '../ir/params'
import { add, max, min } from '../primitives/binary'
import { dilateDim } from '../primitives/conv'
import { reduceWindowP, windowIdentity, windowPatches } from '../primitives/reduce_window'
import { broadcastInDim, reshape, selectN } from '../primitives/shape'
import { slice } from '../primitives/slicing'
import { asTracer, isTracerLike } from '../primitives/util'
import { type Padding, padtypeToPads } from './conv'

/** The reduction: `lax.add`, `lax.max`, `lax.min`, or any function of two arrays. */
export type WindowComputation = (a: Tracer, b: Tracer) => Tracer

const ones = (n: number): number[] => Array<number>(n).fill(1)

/** The params of a window reduction over all axes of `x` (padding strings resolved). */
export const windowParams = (
  shape: readonly number[],
  windowDimensions: readonly number[],
  windowStrides: readonly number[],
  padding: Padding,
  baseDilation: readonly number[] | null | undefined,
  windowDilation: readonly number[] | null | undefined,
  op: string,
): ReduceWindowParams => {
  const nd = shape.length
  if (!Array.isArray(windowDimensions) || windowDimensions.length !== nd) {
    throw new ShapeError(`${op}: windowDimensions must have one entry per axis of the operand (${nd}), got ${JSON.stringify(windowDimensions)}`)
  }
  if (!Array.isArray(windowStrides) || windowStrides.length !== nd) {
    throw new ShapeError(`${op}: windowStrides must have one entry per axis of the operand (${nd}), got ${JSON.stringify(windowStrides)}`)
  }
  const wd = windowDilation ?? ones(nd)
  const pads = padtypeToPads(shape, windowDimensions.map((k, d) => dilateDim(k, wd[d] ?? 1)), windowStrides, padding, op)
  return {
    windowDimensions: [...windowDimensions],
    windowStrides: [...windowStrides],
    padding: pads,
    baseDilation: [...(baseDilation ?? ones(nd))],
    windowDilation: [...wd],
  }
}

const MONOIDS: ReadonlyArray<readonly [WindowComputation, ReduceWindowPrim]> = [
  [add, 'reduce_window_sum'], [max, 'reduce_window_max'], [min, 'reduce_window_min'],
]

/**
 * A JS-number init value for an int32 (or bool) operand: ±∞ stands for the smallest / largest
 * int32 (so the −∞ of float max-pooling code is max's identity here too); any other value must
 * be an integer in the int32 range — a fraction or NaN cannot be stored in the operand's dtype.
 */
const intInit = (v: Tracer | number, x: Tracer, op: string): Tracer | number => {
  if (typeof v !== 'number' || isFloat(x.dtype)) return v
  if (v === -Infinity) return -(2 ** 31)
  if (v === Infinity) return 2 ** 31 - 1
  if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31 - 1) {
    throw new DTypeError(
      `${op}: the init value ${v} is not an ${x.dtype} value, but the operand is ${avalStr(x.aval)}; ` +
        `use an integer in [-2^31, 2^31 - 1] (or ±Infinity for the smallest / largest int32), or convert the operand to float first`,
    )
  }
  return v
}

/**
 * `computation` folded over every window of `operand` (JAX's reduce_window): windows of
 * `windowDimensions` every `windowStrides` positions, padding (explicit pairs or 'SAME' /
 * 'VALID') filled with `initValue`, optional base and window dilation. For an int32 operand,
 * an init value of ±Infinity means the smallest / largest int32.
 */
export const reduceWindow = (
  operand: Tracer,
  initValue: Tracer | number,
  computation: WindowComputation,
  windowDimensions: readonly number[],
  windowStrides: readonly number[],
  padding: Padding,
  baseDilation?: readonly number[] | null,
  windowDilation?: readonly number[] | null,
): Tracer => {
  const op = 'lax.reduceWindow'
  const x = asTracer(operand)
  if (typeof computation !== 'function') throw new ArgumentTypeError(`${op}: computation must be a function of two arrays (e.g. lax.add, lax.max), got ${typeof computation}`)
  const p = windowParams(x.shape, windowDimensions, windowStrides, padding, baseDilation, windowDilation, op)
  const monoid = MONOIDS.find(([f]) => f === computation)?.[1]
  initValue = intInit(initValue, x, op)
  if (monoid !== undefined && typeof initValue === 'number' && initValue === windowIdentity(monoid, x.dtype)) return reduceWindowP(monoid, x, p)
  // the generic form: fold over the elements of each window, starting from the init value;
  // padding and dilation holes are skipped (a mask of the real elements), as JAX computes it
  const init = isTracerLike(initValue) ? initValue : scalar(initValue, x.dtype, x.weakType)
  const patches = windowPatches(x, p, init)
  const real = windowPatches(broadcastInDim(scalar(true, 'bool', false), x.shape, []), p, scalar(false, 'bool', false))
  const outShape = patches.shape.slice(1)
  let acc = broadcastInDim(init, outShape, [])
  const W = sizeOf(p.windowDimensions)
  const at = (t: Tracer, k: number) => reshape(slice(t, [k, ...outShape.map(() => 0)], [k + 1, ...outShape]), outShape)
  for (let k = 0; k < W; k++) acc = selectN(at(real, k), acc, computation(acc, at(patches, k)))
  return acc
}
