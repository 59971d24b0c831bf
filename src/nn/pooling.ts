/**
 * nn: pooling layers with flax's signatures (`flax.linen.max_pool` / `avg_pool` / `min_pool`):
 * inputs [batch…, window axes…, features] (a missing batch axis is allowed), a window over the
 * middle axes, strides (default 1) and padding ('VALID' default, 'SAME', or (lo, hi) pairs).
 * Each is one `reduce_window_*` primitive.
 */
import { ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { div } from '../primitives/binary'
import { reduceWindowP } from '../primitives/reduce_window'
import { broadcastInDim, reshape } from '../primitives/shape'
import { scalar } from '../core/array'
import type { ReduceWindowPrim } from '../ir/params'
import type { Padding } from '../lax/conv'
import { windowParams } from '../lax/window'
import { type ArrayLike, asArray, toFloat } from '../numpy/promote'

const pool = (prim: ReduceWindowPrim, x: Tracer, windowShape: readonly number[], strides: readonly number[] | null | undefined, padding: Padding, op: string): Tracer => {
  if (!Array.isArray(windowShape) || windowShape.length === 0) throw new ValueError(`${op}: windowShape must list the window size of each pooled axis, got ${JSON.stringify(windowShape)}`)
  const nw = windowShape.length
  const st = strides ?? windowShape.map(() => 1)
  if (st.length !== nw) throw new ValueError(`${op}: strides must have one entry per window axis (${nw}), got ${JSON.stringify(st)}`)
  const nBatch = x.ndim - (nw + 1)
  if (nBatch < 0) throw new ShapeError(`${op}: inputs need ${nw} window axes and a feature axis (rank ≥ ${nw + 1}), got shape [${x.shape.join(', ')}]`)
  const single = nBatch === 0
  const a = single ? reshape(x, [1, ...x.shape]) : x
  const nb = single ? 1 : nBatch
  const lead = Array<number>(nb).fill(1)
  let pads: Padding = padding
  if (typeof padding !== 'string') {
    if (!Array.isArray(padding) || padding.length !== nw) throw new ValueError(`${op}: padding must be 'VALID', 'SAME' or ${nw} pairs [lo, hi], got ${JSON.stringify(padding)}`)
    pads = [...lead.map(() => [0, 0] as const), ...padding, [0, 0] as const]
  }
  const p = windowParams(a.shape, [...lead, ...windowShape, 1], [...lead, ...st, 1], pads, null, null, op)
  const y = reduceWindowP(prim, a, p)
  return single ? reshape(y, y.shape.slice(1)) : y
}

/** Max over windows of `windowShape` (flax's max_pool). */
export const maxPool = (inputs: ArrayLike, windowShape: readonly number[], strides?: readonly number[] | null, padding: Padding = 'VALID'): Tracer =>
  pool('reduce_window_max', asArray(inputs, 'nn.maxPool'), windowShape, strides, padding, 'nn.maxPool')

/** Min over windows of `windowShape` (flax's min_pool). */
export const minPool = (inputs: ArrayLike, windowShape: readonly number[], strides?: readonly number[] | null, padding: Padding = 'VALID'): Tracer =>
  pool('reduce_window_min', asArray(inputs, 'nn.minPool'), windowShape, strides, padding, 'nn.minPool')

export interface AvgPoolOptions {
  /** Count padded positions in the divisor (default true, as flax); false: divide by the
   *  number of real elements in each window. */
  readonly countIncludePad?: boolean
}

/** Mean over windows of `windowShape` (flax's avg_pool). */
export const avgPool = (
  inputs: ArrayLike,
  windowShape: readonly number[],
  strides?: readonly number[] | null,
  padding: Padding = 'VALID',
  opts: AvgPoolOptions = {},
): Tracer => {
  const op = 'nn.avgPool'
  const x = toFloat(inputs, op)
  const y = pool('reduce_window_sum', x, windowShape, strides, padding, op)
  if (opts.countIncludePad !== false) return div(y, scalar(windowShape.reduce((a, b) => a * b, 1), y.dtype, true))
  // the number of real elements in each window: the same pooling of ones
  const ones = broadcastInDim(scalar(1, x.dtype, false), [...x.shape.slice(0, -1), 1], [])
  const counts = pool('reduce_window_sum', ones, windowShape, strides, padding, op)
  return div(y, broadcastInDim(counts, y.shape, y.shape.map((_, i) => i)))
}

