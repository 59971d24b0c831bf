/**
 * NumPy layer: order statistics and NaN-skipping reductions — quantile, percentile, median,
 * nansum, nanmean, nanmax, nanmin. Quantiles sort along the reduced axes and gather the two
 * neighbours of the fractional position, so they differentiate (to the gathered elements,
 * and to q for 'linear') and batch like any composition of sort and gather.
 */
import { scalar } from '../core/array'
import { ValueError } from '../core/errors'
import { show } from '../core/validate'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import * as bin from '../primitives/binary'
import { convertElementType, reshape as laxReshape } from '../primitives/shape'
import * as un from '../primitives/unary'
import { add, isnan, multiply, subtract, where } from './elementwise'
import { sort, takeAlongAxis } from './indexing'
import { type ArrayLike, asArray, toFloat } from './promote'
import { type Axis, type ReduceOpts, any, max, min, normalizeAxes, sum } from './reductions'
import { moveaxis, reshape, transpose } from './shape'

/** How a quantile between two order statistics is chosen (JAX's and NumPy's `method`). */
export type QuantileMethod = 'linear' | 'lower' | 'higher' | 'midpoint' | 'nearest'
const METHODS: readonly QuantileMethod[] = ['linear', 'lower', 'higher', 'midpoint', 'nearest']

export interface QuantileOpts extends ReduceOpts {
  /**
   * With i = floor(q (n − 1)), j = ceil(q (n − 1)) and w = q (n − 1) − i over the sorted
   * values s: 'linear' (default) (1 − w) sᵢ + w sⱼ; 'lower' sᵢ; 'higher' sⱼ; 'midpoint'
   * (sᵢ + sⱼ) / 2; 'nearest' sᵢ if w ≤ ½ else sⱼ (as JAX: halves go down).
   */
  readonly method?: QuantileMethod
}

/** The elements over `axes` as one last axis (transpose + reshape), and the kept shape. */
const gatherAxes = (a: Tracer, axes: readonly number[]): [Tracer, number[]] => {
  const kept = a.shape.map((_, i) => i).filter((i) => !axes.includes(i))
  const keptShape = kept.map((i) => a.shape[i])
  const n = axes.reduce((p, i) => p * a.shape[i], 1)
  return [reshape(transpose(a, [...kept, ...axes]), [...keptShape, n]), keptShape]
}

/**
 * The q-th quantile(s) of `a` over `axis` (all axes when omitted), q in [0, 1], a number or
 * an Array of rank ≤ 1; the q axis comes first in the result (as NumPy). A slice containing
 * NaN gives NaN. Integer inputs become float64.
 */
export const quantile = (a: ArrayLike, q: ArrayLike, axis?: Axis, opts: QuantileOpts = {}): Tracer => {
  const op = 'quantile'
  const x = toFloat(a, op)
  const method = opts.method ?? 'linear'
  if (!METHODS.includes(method)) {
    throw new ValueError(`${op}: method must be one of ${METHODS.map((m) => `'${m}'`).join(', ')}, got ${show(method)}`)
  }
  let qs = asArray(q, op)
  if (qs.ndim > 1) throw new ValueError(`${op}: q must have rank 0 or 1, got ${avalStr(qs.aval)}`)
  qs = isFloat(qs.dtype) ? convertElementType(qs, x.dtype, qs.weakType && x.weakType) : convertElementType(qs, x.dtype, false)
  if (typeof q === 'number' && !(q >= 0 && q <= 1)) throw new ValueError(`${op}: q must be in [0, 1], got ${q}`)
  const axes = normalizeAxes(axis, x.ndim, op)
  const [flat, keptShape] = gatherAxes(x, axes)
  const n = flat.shape[flat.ndim - 1]
  if (n === 0) throw new ValueError(`${op}: cannot take a quantile of an empty slice (${avalStr(x.aval)} over axes ${axes.join(', ')})`)
  // A NaN anywhere in a slice makes the whole slice NaN (so it sorts into every position).
  const hasNan = any(isnan(flat), -1, { keepdims: true })
  const s = sort(where(hasNan, scalar(NaN, flat.dtype), flat), -1)
  const pos = bin.mul(qs, scalar(n - 1, qs.dtype, qs.weakType))
  const lo = un.floor(pos)
  const hi = un.ceil(pos)
  const w = bin.sub(pos, lo)
  const index = (t: Tracer): Tracer => {
    const clamped = bin.min(bin.max(t, scalar(0, t.dtype, t.weakType)), scalar(n - 1, t.dtype, t.weakType))
    const i = convertElementType(clamped, 'int32')
    // [..kept, Q]: every kept position reads the same Q positions.
    const flatI = i.ndim === 0 ? laxReshape(i, [1]) : i
    return laxReshape(flatI, [...keptShape.map(() => 1), flatI.shape[0]])
  }
  const pick = (t: Tracer): Tracer => takeAlongAxis(s, index(t), -1)
  const weight = (t: Tracer): Tracer => (t.ndim === 0 ? t : laxReshape(t, [...keptShape.map(() => 1), t.shape[0]]))
  let r: Tracer
  if (method === 'lower') r = pick(lo)
  else if (method === 'higher') r = pick(hi)
  else {
    const sl = pick(lo)
    const sh = pick(hi)
    if (method === 'midpoint') r = multiply(add(sl, sh), 0.5)
    else if (method === 'nearest') r = where(bin.le(weight(w), scalar(0.5, w.dtype)), sl, sh)
    else {
      const wq = weight(w)
      r = add(multiply(sl, subtract(1, wq)), multiply(sh, wq))
    }
  }
  // r: [...kept, Q] → [Q, ...kept] (or [...kept] for a scalar q), then keepdims.
  const outKept = opts.keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : keptShape
  if (qs.ndim === 0) return laxReshape(r, outKept)
  return reshape(moveaxis(r, -1, 0), [qs.shape[0], ...outKept])
}

/** quantile with q in percent: percentile(a, 25) = quantile(a, 0.25). */
export const percentile = (a: ArrayLike, q: ArrayLike, axis?: Axis, opts: QuantileOpts = {}): Tracer => {
  if (typeof q === 'number' && !(q >= 0 && q <= 100)) throw new ValueError(`percentile: q must be in [0, 100], got ${q}`)
  const qs = typeof q === 'number' ? q / 100 : bin.div(toFloat(q, 'percentile'), scalar(100, toFloat(q, 'percentile').dtype, true))
  return quantile(a, qs, axis, opts)
}

/** The middle value (the mean of the two middle values for an even count); NaN if any is NaN. */
export const median = (a: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer =>
  quantile(a, 0.5, axis, { ...opts, method: 'midpoint' })

// ---- NaN-skipping reductions ---------------------------------------------------------------

/** x with NaN replaced by `v` (ints and bools have no NaN). */
const fillNan = (x: Tracer, v: number): Tracer => (isFloat(x.dtype) ? where(isnan(x), scalar(v, x.dtype, x.weakType), x) : x)

/** Σ over the non-NaN elements (0 for an all-NaN slice). */
export const nansum = (a: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer => sum(fillNan(asArray(a, 'nansum'), 0), axis, opts)

/** The mean of the non-NaN elements (NaN for an all-NaN slice). */
export const nanmean = (a: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer => {
  const x = toFloat(a, 'nanmean')
  const count = sum(convertElementType(un.not(isnan(x)), x.dtype), axis, opts)
  return bin.div(sum(fillNan(x, 0), axis, opts), count)
}

/** max / min over the non-NaN elements; NaN for an all-NaN slice (as JAX, without a warning). */
const nanExtremum = (op: string, f: typeof max, fill: number) => (a: ArrayLike, axis?: Axis, opts: ReduceOpts = {}): Tracer => {
  const x = asArray(a, op)
  if (!isFloat(x.dtype)) return f(x, axis, opts)
  const r = f(fillNan(x, fill), axis, opts)
  const allNan = un.not(any(un.not(isnan(x)), axis, opts))
  return where(allNan, scalar(NaN, r.dtype, r.weakType), r)
}
export const nanmax = nanExtremum('nanmax', max, -Infinity)
export const nanmin = nanExtremum('nanmin', min, Infinity)
