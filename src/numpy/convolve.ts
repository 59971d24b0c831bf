/**
 * np: `convolve`, `correlate` (1-D, modes 'full' / 'same' / 'valid', as jax.numpy: one
 * `conv_general_dilated`, so they differentiate in both operands and run on the matmul
 * kernels) and `cumprod` (an associative scan of products).
 */
import { ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { isBool } from '../ir/dtypes'
import { flipAxes } from '../primitives/conv'
import { convertElementType, reshape } from '../primitives/shape'
import { normAxis } from '../primitives/util'
import { convGeneralDilated } from '../lax/conv'
import { cumprod as laxCumprod } from '../lax/scans'
import { type DTypeOpts, astype } from './creation'
import { type ArrayLike, asArray, promoteArgs } from './promote'

export type ConvolveMode = 'full' | 'same' | 'valid'

/** Promote to a common inexact-or-integer dtype (bools become int32, as NumPy does). */
const operands = (op: string, a: ArrayLike, v: ArrayLike): [Tracer, Tracer] => {
  let [x, y] = promoteArgs(op, asArray(a, op), asArray(v, op))
  if (isBool(x.dtype)) [x, y] = [convertElementType(x, 'int32'), convertElementType(y, 'int32')]
  if (x.ndim !== 1 || y.ndim !== 1) throw new ShapeError(`np.${op}: needs two 1-D arrays, got shapes [${x.shape.join(', ')}] and [${y.shape.join(', ')}]`)
  if (x.shape[0] === 0 || y.shape[0] === 0) throw new ValueError(`np.${op}: the arrays must not be empty, got lengths ${x.shape[0]} and ${y.shape[0]}`)
  return [x, y]
}

/** Correlate x with the kernel y (both 1-D, y no longer than x): Σ_k x[i + k − lo] y[k]. */
const correlate1d = (x: Tracer, y: Tracer, mode: ConvolveMode, op: string): Tracer => {
  const m = y.shape[0]
  let pads: [number, number]
  if (mode === 'valid') pads = [0, 0]
  else if (mode === 'same') pads = [Math.floor(m / 2), m - Math.floor(m / 2) - 1]
  else if (mode === 'full') pads = [m - 1, m - 1]
  else throw new ValueError(`np.${op}: mode must be 'full', 'same' or 'valid', got ${JSON.stringify(String(mode).slice(0, 20))}`)
  const out = convGeneralDilated(reshape(x, [1, 1, x.shape[0]]), reshape(y, [1, 1, m]), [1], [pads])
  return reshape(out, [out.shape[2]])
}

/** Discrete linear convolution of two 1-D arrays: (a ∗ v)[n] = Σ_m a[m] v[n − m]. */
export const convolve = (a: ArrayLike, v: ArrayLike, mode: ConvolveMode = 'full'): Tracer => {
  let [x, y] = operands('convolve', a, v)
  if (x.shape[0] < y.shape[0]) [x, y] = [y, x]
  return correlate1d(x, flipAxes(y, [0]), mode, 'convolve')
}

/** Cross-correlation of two 1-D arrays: c[k] = Σ_n a[n + k] v[n] (NumPy's, mode 'valid' by default). */
export const correlate = (a: ArrayLike, v: ArrayLike, mode: ConvolveMode = 'valid'): Tracer => {
  const [x, y] = operands('correlate', a, v)
  if (x.shape[0] >= y.shape[0]) return correlate1d(x, y, mode, 'correlate')
  // the longer operand slides: swap them and read the result backwards
  const r = correlate1d(y, x, mode, 'correlate')
  return flipAxes(r, [0])
}

/** Cumulative product along `axis` (of the flattened array when omitted); bools as int32. */
export const cumprod = (x: ArrayLike, axis?: number | null, opts: DTypeOpts = {}): Tracer => {
  let a = asArray(x, 'cumprod')
  if (opts.dtype !== undefined) a = astype(a, opts.dtype)
  else if (isBool(a.dtype)) a = convertElementType(a, 'int32', false)
  if (axis === null || axis === undefined) {
    if (a.ndim !== 1) a = reshape(a, [a.size])
    return laxCumprod(a, 0)
  }
  return laxCumprod(a, normAxis(axis, a.ndim, 'cumprod'))
}

