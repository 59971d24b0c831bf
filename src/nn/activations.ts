/**
 * nn layer: more activations — silu / swish, elu, celu, selu, leakyRelu, relu6, hardTanh,
 * hardSigmoid, hardSilu, mish, glu, softSign — and the normalizers logmeanexp and
 * standardize. Each follows jax.nn's formula and its derivative convention at the kinks;
 * piecewise ones are selects whose branches get inputs clamped to their own side, so the
 * branch not taken never puts an ∞ or NaN into a derivative.
 */
import { scalar } from '../core/array'
import { ShapeError, ValueError } from '../core/errors'
import { show } from '../core/validate'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { type Axis, logsumexp, mean, normalizeAxes } from '../numpy/reductions'
import { abs, add, divide, expm1, greater, greaterEqual, less, logicalAnd, multiply, rsqrt, square, subtract, tanh, where } from '../numpy/elementwise'
import { split } from '../numpy/shape'
import { type ArrayLike, toFloat } from '../numpy/promote'
import { logaddexp } from '../numpy/mathext'
import { logistic } from '../primitives/unary'

/** x·σ(x) (also called swish). */
export const silu = (x: ArrayLike): Tracer => {
  const t = toFloat(x, 'silu')
  return multiply(t, logistic(t))
}
export const swish = silu

/**
 * x for x > 0, α (eˣ − 1) otherwise (JAX: the derivative at 0 is α, from the left branch).
 * `alpha` may be an array broadcasting with x.
 */
export const elu = (x: ArrayLike, alpha: ArrayLike = 1): Tracer => {
  const t = toFloat(x, 'elu')
  const pos = greater(t, 0)
  return where(pos, t, multiply(alpha, expm1(where(pos, 0, t))))
}

/**
 * x for x > 0, α (e^{x/α} − 1) otherwise: continuously differentiable (slope 1 at 0 from
 * both sides).
 */
export const celu = (x: ArrayLike, alpha: ArrayLike = 1): Tracer => {
  const t = toFloat(x, 'celu')
  const pos = greater(t, 0)
  return where(pos, t, multiply(alpha, expm1(divide(where(pos, 0, t), alpha))))
}

/** The self-normalizing constants of Klambauer et al. (2017), as jax.nn. */
const SELU_ALPHA = 1.6732632423543772848170429916717
const SELU_SCALE = 1.0507009873554804934193349852946

/** scale·elu(x, α) with α ≈ 1.6733, scale ≈ 1.0507. */
export const selu = (x: ArrayLike): Tracer => multiply(elu(x, SELU_ALPHA), SELU_SCALE)

/** x for x ≥ 0, negativeSlope·x otherwise (derivative 1 at 0, as JAX). */
export const leakyRelu = (x: ArrayLike, negativeSlope: ArrayLike = 0.01): Tracer => {
  const t = toFloat(x, 'leakyRelu')
  return where(greaterEqual(t, 0), t, multiply(negativeSlope, t))
}

/** min(max(x, 0), 6), with derivative 0 at both kinks (0 and 6), as JAX. */
export const relu6 = (x: ArrayLike): Tracer => {
  const t = toFloat(x, 'relu6')
  const inside = logicalAnd(greater(t, 0), less(t, 6))
  return where(inside, t, where(greaterEqual(t, 6), 6, 0))
}

/** −1 below −1, 1 above 1, x between (derivative 1 at ±1, as JAX). */
export const hardTanh = (x: ArrayLike): Tracer => {
  const t = toFloat(x, 'hardTanh')
  return where(greater(t, 1), 1, where(less(t, -1), -1, t))
}

/** relu6(x + 3) / 6: a piecewise-linear σ. */
export const hardSigmoid = (x: ArrayLike): Tracer => divide(relu6(add(toFloat(x, 'hardSigmoid'), 3)), 6)

/** x·hardSigmoid(x) (also called hard swish). */
export const hardSilu = (x: ArrayLike): Tracer => {
  const t = toFloat(x, 'hardSilu')
  return multiply(t, hardSigmoid(t))
}
export const hardSwish = hardSilu

/** x·tanh(softplus(x)) (Misra, 2019); softplus(x) = logaddexp(x, 0), stable for every x. */
export const mish = (x: ArrayLike): Tracer => {
  const t = toFloat(x, 'mish')
  return multiply(t, tanh(logaddexp(t, 0)))
}

/** x / (|x| + 1). */
export const softSign = (x: ArrayLike): Tracer => {
  const t = toFloat(x, 'softSign')
  return divide(t, add(abs(t), 1))
}

/** Gated linear unit: a·σ(b), with a and b the two halves of x along `axis` (default last). */
export const glu = (x: ArrayLike, axis = -1): Tracer => {
  const t = toFloat(x, 'glu')
  if (t.ndim === 0) throw new ShapeError(`glu: needs an axis to split, got ${avalStr(t.aval)}`)
  const ax = axis < 0 ? axis + t.ndim : axis
  if (t.shape[ax] % 2 !== 0) throw new ShapeError(`glu: the size of axis ${axis} must be even, got ${avalStr(t.aval)}`)
  const [a, b] = split(t, 2, axis)
  return multiply(a, logistic(b))
}

export interface KeepdimsOpts {
  readonly keepdims?: boolean
}

/** log (1/n) Σ eˣ = logsumexp(x) − log n over `axis` (all axes when omitted), stably. */
export const logmeanexp = (x: ArrayLike, axis?: Axis, opts: KeepdimsOpts = {}): Tracer => {
  const t = toFloat(x, 'logmeanexp')
  const lse = logsumexp(t, axis, opts)
  const count = normalizeAxes(axis, t.ndim, 'logmeanexp').reduce((p, a) => p * t.shape[a], 1)
  return subtract(lse, scalar(Math.log(count), lse.dtype, true))
}

export interface StandardizeOpts {
  /** the mean to subtract (default: the mean over `axis`) */
  readonly mean?: ArrayLike
  /** the variance to divide by (default: the variance over `axis`) */
  readonly variance?: ArrayLike
  /** added to the variance (default 1e-5) */
  readonly epsilon?: number
  /**
   * how the default variance is computed: 'fast' (default, as JAX) mean(x²) − mean(x)², one
   * pass, loses digits when |mean| ≫ std; 'stable' mean((x − mean)²), two passes.
   */
  readonly algorithm?: 'fast' | 'stable'
}

/** (x − mean) / √(variance + ε) over `axis` (default last). */
export const standardize = (x: ArrayLike, axis: Axis = -1, opts: StandardizeOpts = {}): Tracer => {
  const op = 'standardize'
  const t = toFloat(x, op)
  const algorithm = opts.algorithm ?? 'fast'
  if (algorithm !== 'fast' && algorithm !== 'stable') throw new ValueError(`${op}: algorithm must be 'fast' or 'stable', got ${show(algorithm)}`)
  const m = opts.mean ?? mean(t, axis, { keepdims: true })
  const v = opts.variance ?? (algorithm === 'stable'
    ? mean(square(subtract(t, m)), axis, { keepdims: true })
    : subtract(mean(square(t), axis, { keepdims: true }), square(m)))
  return multiply(subtract(t, m), rsqrt(add(v, opts.epsilon ?? 1e-5)))
}
