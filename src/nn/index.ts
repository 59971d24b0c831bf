/**
 * nn layer: activations and losses, built only from primitive wrappers (so every one is
 * differentiable to any order and batchable). Axis-taking functions default to the last axis.
 * Losses return per-example values (no hidden reduction), as optax does.
 *
 * Numerical care:
 *   softplus(x) = max(x, 0) + log1p(e^{−|x|}), −|x| as a select  one exp, no overflow, smooth at 0
 *   logSoftmax  = (x − m) − log Σ e^{x − m}, m = max x  m under stopGradient (it cancels)
 *   binaryCrossEntropyWithLogits(z, y) = softplus(z) − y z, split by the sign of z so the
 *     large terms cancel exactly: (1 − y) z + log1p(e^{−z}) for z > 0; gradient σ(z) − y
 *   gelu exact  = x Φ(x) = ½ x erfc(−x/√2), with special.erfc (closed-form derivatives)
 */
import { scalar } from '../core/array'
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { type DType, isInt } from '../ir/dtypes'
import { add, and as bitAnd, div, eq, ge, gt, lt, mul, sub } from '../primitives/binary'
import { reduceMax, reduceSum } from '../primitives/reduce'
import { broadcastInDim, convertElementType, iota, reshape, selectN } from '../primitives/shape'
import { exp, log, log1p, logistic, neg, stopGradient, tanh } from '../primitives/unary'
import { normAxes, zerosOf } from '../primitives/util'
import { type ArrayLike, asArray, broadcastArrays, promoteArgs, toFloat } from '../numpy/promote'
import { erfc } from '../special/erf'

/** log Σ eˣ, stable (the np one: `nn.logsumexp(x, axis?, { keepdims? })`). */
export { logsumexp } from '../numpy/reductions'
export * from './activations'
export * from './attention'

// ---- helpers -----------------------------------------------------------------------------

/**
 * c ? a : b, elementwise (c, a, b of equal shapes). 0-d operands are selected as [1]: under
 * vmap, select_n's batch rule leaves an unbatched 0-d case unbroadcast next to a batched one,
 * which select_n's shape check rejects.
 */
const where = (c: Tracer, a: Tracer, b: Tracer): Tracer => {
  if (a.ndim > 0) return selectN(c, b, a)
  const one = (t: Tracer) => reshape(t, [1])
  return reshape(selectN(one(c), one(b), one(a)), [])
}

const floatArg = (x: ArrayLike, op: string): Tracer => toFloat(asArray(x, op), op)

/** Normalized, sorted axes from `axis` (a number or a list). */
const axesOf = (x: Tracer, axis: number | readonly number[], op: string): number[] =>
  normAxes(typeof axis === 'number' ? [axis] : axis, x.ndim, op)

/** Broadcast a reduction over `axes` back to `x`'s shape (keepdims + broadcast). */
const expandBack = (r: Tracer, x: Tracer, axes: readonly number[]): Tracer =>
  broadcastInDim(r, x.shape, x.shape.map((_, i) => i).filter((i) => !axes.includes(i)))

/** x − max(x) over `axes` (the max under stopGradient; infinite maxima replaced by 0). */
const shifted = (x: Tracer, axes: readonly number[]): Tracer => {
  const m = stopGradient(reduceMax(x, axes))
  const finite = eq(sub(m, m), 0) // false for ±∞ and NaN
  return sub(x, expandBack(where(finite, m, zerosOf(m.aval)), x, axes))
}

// ---- activations -------------------------------------------------------------------------

/** max(x, 0), with relu'(0) = 0 (a select, not a max, whose tie would split the gradient). */
export const relu = (x: ArrayLike): Tracer => {
  const t = asArray(x, 'relu')
  return where(gt(t, 0), t, zerosOf(t.aval))
}

/** σ(x) = 1 / (1 + e^{−x}) (the logistic primitive: stable for every x). */
export const sigmoid = (x: ArrayLike): Tracer => logistic(floatArg(x, 'sigmoid'))

/**
 * log(1 + eˣ) = where(x > 0, x, 0) + log1p(eᵃ), a = where(x > 0, −x, x) = −|x|: one
 * exponential, of a value ≤ 0, so nothing overflows. `a` is −|x| written as a select, not as
 * `abs`: its derivative is −1 or +1 on each side (abs' = sign is 0 at 0), so every derivative
 * is right at 0 — softplus'(0) = ½ and softplus''(0) = ¼ (max(x, 0) + log1p(e^{−|x|}) would
 * give 0 for both). softplus' = σ: (x > 0) + (±1)·eᵃ/(1 + eᵃ).
 */
export const softplus = (x: ArrayLike): Tracer => {
  const t = floatArg(x, 'softplus')
  const pos = gt(t, 0)
  const zero = zerosOf(t.aval)
  return add(where(pos, t, zero), log1p(exp(where(pos, neg(t), t))))
}

/** log σ(x) = −softplus(−x). */
export const logSigmoid = (x: ArrayLike): Tracer => neg(softplus(neg(floatArg(x, 'logSigmoid'))))

/** log softmax over `axis` (default: last): (x − m) − log Σ e^{x − m}. */
export const logSoftmax = (x: ArrayLike, axis: number | readonly number[] = -1): Tracer => {
  const t = floatArg(x, 'logSoftmax')
  const axes = axesOf(t, axis, 'logSoftmax')
  const s = shifted(t, axes)
  return sub(s, expandBack(log(reduceSum(exp(s), axes)), t, axes))
}

/** softmax over `axis` (default: last): e^{x − m} / Σ e^{x − m}. */
export const softmax = (x: ArrayLike, axis: number | readonly number[] = -1): Tracer => {
  const t = floatArg(x, 'softmax')
  const axes = axesOf(t, axis, 'softmax')
  const e = exp(shifted(t, axes))
  return div(e, expandBack(reduceSum(e, axes), t, axes))
}

export interface GeluOpts {
  /** tanh approximation (default, as JAX); `false`: the exact x·Φ(x) via erfc. */
  readonly approximate?: boolean
}

/**
 * GELU. approximate (default): ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))).
 * exact: x Φ(x) = ½ x erfc(−x/√2): relative error ~1e-14 in float64 for |x| < 6 (erfc keeps
 * the left tail relative-accurate where 1 + erf would cancel); far in the left tail it grows
 * like x²·ε, the conditioning of Φ there (~1e-12 at x = −37, where gelu ≈ −2e-298).
 */
export const gelu = (x: ArrayLike, opts: GeluOpts = {}): Tracer => {
  const t = floatArg(x, 'gelu')
  if (opts.approximate ?? true) {
    const inner = mul(add(t, mul(mul(mul(t, t), t), 0.044715)), Math.sqrt(2 / Math.PI))
    return mul(mul(t, 0.5), add(tanh(inner), 1))
  }
  // special.erfc is relative-accurate in its right tail (x ≪ 0 here), and its derivative is the
  // closed form −2/√π·e^{−u²}, so gelu″(0) = 2φ(0) and every higher derivative are exact
  return mul(mul(t, 0.5), erfc(mul(t, -Math.SQRT1_2)))
}

// ---- losses ------------------------------------------------------------------------------

/**
 * Per-example sigmoid cross-entropy with logits `z` and labels `y` (probabilities in [0, 1]):
 * −y log σ(z) − (1 − y) log(1 − σ(z)) = softplus(z) − y·z. Its gradient in z is σ(z) − y,
 * finite for every z. `z` and `y` broadcast against each other.
 */
export const binaryCrossEntropyWithLogits = (logits: ArrayLike, labels: ArrayLike): Tracer => {
  const op = 'binaryCrossEntropyWithLogits'
  const [z, y] = broadcastArrays(op, ...promoteArgs(op, floatArg(logits, op), floatArg(labels, op)))
  // softplus(z) − y·z cancels: at z = 40, y = 1 it is 40 − 40 = 0, not e^{−40}. Split by sign
  // so the large terms cancel exactly before the small one is added:
  //   z > 0:  (1 − y)·z + log1p(e^{−z}),  gradient (1 − y) − σ(−z)
  //   z ≤ 0:     −y·z  + log1p(e^{z}),    gradient σ(z) − y
  // Each gradient is one sum of two terms, so σ(z) − y keeps its small digits too.
  const pos = gt(z, 0)
  const linear = where(pos, mul(sub(1, y), z), neg(mul(y, z)))
  return add(linear, log1p(exp(where(pos, neg(z), z))))
}

/**
 * Per-example softmax cross-entropy: −Σ_axis labels · logSoftmax(logits). `labels` are
 * probabilities (or one-hot, float) broadcastable to the logits; the result drops `axis`.
 * Integer class labels are an error: use `softmaxCrossEntropyWithIntegerLabels`.
 */
export const softmaxCrossEntropy = (logits: ArrayLike, labels: ArrayLike, axis = -1): Tracer => {
  const op = 'softmaxCrossEntropy'
  const lab = asArray(labels, op)
  if (isInt(lab.dtype)) {
    throw new DTypeError(
      `${op}: labels are ${avalStr(lab.aval)}, an integer array; this loss takes class probabilities (float). ` +
        `For class indices use nn.softmaxCrossEntropyWithIntegerLabels(logits, labels); ` +
        `for an integer one-hot array, convert it first: labels.astype('float64')`,
    )
  }
  const [z, y] = broadcastArrays(op, ...promoteArgs(op, floatArg(logits, op), floatArg(lab, op)))
  if (z.ndim === 0) throw new ValueError(`${op}: logits must have at least one axis (the classes), got ${avalStr(z.aval)}`)
  const axes = axesOf(z, axis, op)
  return neg(reduceSum(mul(y, logSoftmax(z, axes)), axes))
}

/**
 * Per-example softmax cross-entropy with class indices (optax's
 * `softmax_cross_entropy_with_integer_labels`): −logSoftmax(logits)[label] along `axis`.
 * `labels` are int32 with the logits' shape without `axis`; equal to `softmaxCrossEntropy`
 * with `oneHot(labels, numClasses)`. A label outside [0, numClasses) gives NaN.
 */
export const softmaxCrossEntropyWithIntegerLabels = (logits: ArrayLike, labels: ArrayLike, axis = -1): Tracer => {
  const op = 'softmaxCrossEntropyWithIntegerLabels'
  const z = floatArg(logits, op)
  const lab = asArray(labels, op)
  if (!isInt(lab.dtype)) {
    throw new DTypeError(
      `${op}: labels must be int32 class indices, got ${avalStr(lab.aval)}. Convert them (labels.astype('int32')), ` +
        `or use nn.softmaxCrossEntropy for class probabilities`,
    )
  }
  if (z.ndim === 0) throw new ValueError(`${op}: logits must have at least one axis (the classes), got ${avalStr(z.aval)}`)
  const [ax] = axesOf(z, axis, op)
  const want = z.shape.filter((_, i) => i !== ax)
  if (lab.shape.length !== want.length || lab.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: labels must have the logits' shape without axis ${ax}, [${want.join(', ')}], got ${avalStr(lab.aval)}`)
  }
  const kept = z.shape.map((_, i) => i).filter((i) => i !== ax)
  const hit = eq(broadcastInDim(lab, z.shape, kept), iota('int32', z.shape, ax))
  const picked = reduceSum(where(hit, logSoftmax(z, ax), zerosOf(z.aval)), [ax])
  const n = z.shape[ax]
  const valid = bitAnd(ge(lab, 0), lt(lab, n))
  return where(valid, neg(picked), broadcastInDim(scalar(NaN, picked.dtype), picked.shape, []))
}

export interface OneHotOpts {
  /** default float64 */
  readonly dtype?: DType
}

/**
 * One-hot encoding along a new last axis: out[..., c] = (indices[...] == c) for
 * c < numClasses. Out-of-range (and negative) indices give an all-zero row, as JAX.
 */
export const oneHot = (indices: ArrayLike, numClasses: number, opts: OneHotOpts = {}): Tracer => {
  const op = 'oneHot'
  const idx = asArray(indices, op)
  if (!isInt(idx.dtype)) {
    throw new DTypeError(`${op}: indices must be int32, got ${avalStr(idx.aval)}. Convert them: idx.astype('int32').`)
  }
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new ValueError(`${op}: numClasses must be a non-negative integer, got ${numClasses}`)
  }
  const shape = [...idx.shape, numClasses]
  const hit = eq(broadcastInDim(idx, shape, idx.shape.map((_, i) => i)), iota('int32', shape, idx.ndim))
  const dtype = opts.dtype ?? 'float64'
  return dtype === 'bool' ? hit : convertElementType(hit, dtype)
}

export { maxPool, minPool, avgPool } from './pooling'
export type { AvgPoolOptions } from './pooling'
