/**
 * More samplers, as jax.random: randint, choice, exponential, laplace, logistic, cauchy,
 * rademacher, truncatedNormal, gamma, beta, dirichlet, poisson, multivariateNormal.
 *
 * Rejection samplers (gamma, poisson's large-rate branch) draw a fixed number of proposals per
 * element at once and keep the first accepted one (no data-dependent loop, so they run under jit
 * and vmap unchanged). Each proposal is accepted with probability above 0.9, so the chance that
 * all R proposals of an element are rejected is below 0.1^R (R = 12: < 1e-12); such an element
 * keeps its last proposal.
 */
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, avalStr, sizeOf } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import { cholesky } from '../numpy/linalg'
import { take, takeAlongAxis } from '../numpy/indexing'
import { add, and, div, ge, gt, le, lt, max, min, mul, or, pow, sub } from '../primitives/binary'
import { argmax, reduceSum } from '../primitives/reduce'
import { broadcastInDim, convertElementType, iota, reshape } from '../primitives/shape'
import { matmul } from '../numpy/contract'
import { stack } from '../numpy/shape'
import { transpose } from '../primitives/shape'
import { sort } from '../primitives/sort'
import { abs, floor, log, log1p, neg, sign, sqrt, stopGradient, tan } from '../primitives/unary'
import { cumsum } from '../primitives/cumsum'
import { describe, isTracerLike } from '../primitives/util'
import { erf, erfinv, gammaln } from '../special'
import { type FloatDType, TINY, broadcastTo, floatDtype, normalIn, uniformIn, unitFloats } from './base'
import { categorical, permutation, split } from './index'
import { checkKey, shapeArg } from './threefry'
import { where, withJvp } from '../special/util'
import { gammaSampleGrad } from '../special/igamma'

export interface DTypeOpts {
  readonly dtype?: FloatDType
}

/** Row i of a batch of keys [n, 2]. */
const keyAt = (keys: Tracer, i: number): Tracer => reshape(take(keys, i, 0), [2])

/** A float parameter: a JS number or a float Array, broadcast to `shape` (default: its shape). */
const param = (v: number | Tracer, name: string, dtype: FloatDType, shape: Shape | undefined, op: string): [Tracer, Shape] => {
  let t: Tracer
  if (typeof v === 'number') {
    t = uniformLike(v, dtype)
  } else if (isTracerLike(v)) {
    if (!isFloat(v.dtype)) throw new DTypeError(`${op}: ${name} must be a JS number or a float Array, got ${avalStr(v.aval)}`)
    t = v.dtype === dtype ? v : convertElementType(v, dtype)
  } else {
    throw new ValueError(`${op}: ${name} must be a JS number or a float Array, got ${describe(v)}`)
  }
  const s = shape === undefined ? t.shape : shapeArg(shape, op)
  return [broadcastTo(t, s, name, op), s]
}
const uniformLike = (v: number, dtype: FloatDType): Tracer => convertElementType(reshape(iota('int32', [1], 0), []), dtype).mul(0).add(v)

// ---- integers and choices ----------------------------------------------------------------

/**
 * Uniform integers in [minval, maxval) (JS integers, maxval − minval ≤ 2³²), int32: ⌊u·span⌋
 * with u a 53-bit uniform float (bias below span/2⁵³).
 */
export const randint = (key: Tracer, shape: Shape, minval: number, maxval: number, opts: { dtype?: 'int32' } = {}): Tracer => {
  const op = 'random.randint'
  const k = checkKey(key, op)
  const s = shapeArg(shape, op)
  if (opts.dtype !== undefined && opts.dtype !== 'int32') throw new DTypeError(`${op}: dtype must be 'int32', got ${describe(opts.dtype)}`)
  for (const [n, v] of [['minval', minval], ['maxval', maxval]] as const) {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31) throw new ValueError(`${op}: ${n} must be an integer in [-2^31, 2^31], got ${describe(v)}`)
  }
  if (!(minval < maxval)) throw new ValueError(`${op}: needs minval < maxval, got minval = ${minval}, maxval = ${maxval}`)
  const u = unitFloats(k, sizeOf(s), 'float64')
  const r = add(floor(mul(u, maxval - minval)), minval)
  return reshape(convertElementType(min(r, maxval - 1), 'int32'), s)
}

export interface ChoiceOptions {
  /** The result shape (default []: one draw). */
  readonly shape?: Shape
  /** With replacement (default true). Without, prod(shape) must not exceed the population. */
  readonly replace?: boolean
  /** Probabilities of the entries (a 1-d float Array along `axis`; need not be normalized). */
  readonly p?: Tracer
  /** The axis of `a` to choose along (default 0). */
  readonly axis?: number
}

/**
 * Random entries of `a` (a JS integer n: of 0 … n − 1, int32) along `axis`: uniformly, or with
 * probabilities `p`; with or without replacement. With `p` and without replacement, the
 * Gumbel-top-k trick: the k largest of log p + Gumbel noise.
 */
export const choice = (key: Tracer, a: number | Tracer, opts: ChoiceOptions = {}): Tracer => {
  const op = 'random.choice'
  const k = checkKey(key, op)
  const shape = shapeArg(opts.shape ?? [], op)
  const replace = opts.replace ?? true
  let n: number
  let axis = 0
  if (typeof a === 'number') {
    if (!Number.isInteger(a) || a < 1 || a > 2 ** 31 - 1) throw new ValueError(`${op}: a must be a positive JS integer or an Array, got ${a}`)
    n = a
  } else if (isTracerLike(a)) {
    if (a.ndim === 0) throw new ShapeError(`${op}: a must be a JS integer or an Array of rank ≥ 1, got ${avalStr(a.aval)}`)
    axis = opts.axis ?? 0
    if (!Number.isInteger(axis) || axis < -a.ndim || axis >= a.ndim) throw new ValueError(`${op}: axis ${axis} is out of range for ${avalStr(a.aval)}`)
    axis = axis < 0 ? axis + a.ndim : axis
    n = a.shape[axis]
  } else {
    throw new ValueError(`${op}: a must be a JS integer or an Array, got ${describe(a)}`)
  }
  const m = sizeOf(shape)
  if (!replace && m > n) throw new ValueError(`${op}: cannot take ${m} samples without replacement from a population of ${n}`)
  const p = opts.p
  if (p !== undefined && (!isTracerLike(p) || !isFloat(p.dtype) || p.ndim !== 1 || p.shape[0] !== n)) {
    throw new ShapeError(`${op}: p must be a 1-d float Array of length ${n}, got ${isTracerLike(p) ? avalStr(p.aval) : describe(p)}`)
  }
  let idx: Tracer
  if (p === undefined) {
    idx = replace ? randint(k, [m], 0, n) : reshape(take(permutation(k, n), iota('int32', [m], 0), 0), [m])
  } else if (replace) {
    idx = categorical(k, log(p), { shape: [m] })
  } else {
    const g = uniformIn(k, [n], p.dtype as FloatDType, TINY[p.dtype as FloatDType], 1, op)
    const noisy = sub(log(neg(log(g))), log(p)) // −(log p + Gumbel): ascending = most likely first
    idx = reshape(take(sort([noisy, iota('int32', [n], 0)], 0, 1)[1], iota('int32', [m], 0), 0), [m])
  }
  const flat = typeof a === 'number' ? idx : take(a, idx, axis)
  if (typeof a === 'number') return reshape(flat, shape)
  const outShape = [...a.shape.slice(0, axis), ...shape, ...a.shape.slice(axis + 1)]
  return reshape(flat, outShape)
}

/** ±1 with equal probability (int32). */
export const rademacher = (key: Tracer, shape: Shape = []): Tracer => {
  const op = 'random.rademacher'
  const k = checkKey(key, op)
  const s = shapeArg(shape, op)
  const u = unitFloats(k, sizeOf(s), 'float64')
  return reshape(sub(mul(convertElementType(lt(u, 0.5), 'int32'), 2), 1), s)
}

// ---- continuous, by inversion ------------------------------------------------------------

const unitOpen = (key: Tracer, shape: Shape, dtype: FloatDType, op: string): Tracer => uniformIn(key, shape, dtype, TINY[dtype], 1, op)

/** Standard exponential floats: −log(u), u uniform on (0, 1) (finite, ≥ 0). */
export const exponential = (key: Tracer, shape: Shape = [], opts: DTypeOpts = {}): Tracer => {
  const op = 'random.exponential'
  const k = checkKey(key, op)
  return neg(log(unitOpen(k, shapeArg(shape, op), floatDtype(opts.dtype ?? 'float64', op), op)))
}

/** Standard Laplace floats (density ½e^{−|x|}): −sign(v)·log(1 − |v|), v uniform on (−1, 1). */
export const laplace = (key: Tracer, shape: Shape = [], opts: DTypeOpts = {}): Tracer => {
  const op = 'random.laplace'
  const k = checkKey(key, op)
  const dtype = floatDtype(opts.dtype ?? 'float64', op)
  const v = sub(mul(unitOpen(k, shapeArg(shape, op), dtype, op), 2), 1)
  return neg(mul(sign(v), log1p(neg(abs(v)))))
}

/** Standard logistic floats: log(u/(1 − u)), u uniform on (0, 1). */
export const logistic = (key: Tracer, shape: Shape = [], opts: DTypeOpts = {}): Tracer => {
  const op = 'random.logistic'
  const k = checkKey(key, op)
  const u = unitOpen(k, shapeArg(shape, op), floatDtype(opts.dtype ?? 'float64', op), op)
  return sub(log(u), log1p(neg(u)))
}

/** Standard Cauchy floats: tan(π(u − ½)), u uniform on (0, 1). */
export const cauchy = (key: Tracer, shape: Shape = [], opts: DTypeOpts = {}): Tracer => {
  const op = 'random.cauchy'
  const k = checkKey(key, op)
  const u = unitOpen(k, shapeArg(shape, op), floatDtype(opts.dtype ?? 'float64', op), op)
  return tan(mul(sub(u, 0.5), Math.PI))
}

/**
 * Standard normals truncated to [lower, upper] (JS numbers or float Arrays broadcast to
 * `shape`, default their broadcast shape): √2·erfinv(v), v uniform between erf(lower/√2) and
 * erf(upper/√2), as JAX; clamped into [lower, upper].
 */
export const truncatedNormal = (key: Tracer, lower: number | Tracer, upper: number | Tracer, shape?: Shape, opts: DTypeOpts = {}): Tracer => {
  const op = 'random.truncatedNormal'
  const k = checkKey(key, op)
  const dtype = floatDtype(opts.dtype ?? 'float64', op)
  const lo0 = typeof lower === 'number' ? lower : undefined
  const hi0 = typeof upper === 'number' ? upper : undefined
  if (lo0 !== undefined && hi0 !== undefined && !(lo0 < hi0)) throw new ValueError(`${op}: needs lower < upper, got ${lo0}, ${hi0}`)
  const s = shape ?? (isTracerLike(lower) ? lower.shape : isTracerLike(upper) ? upper.shape : [])
  const [lo] = param(lower, 'lower', dtype, s, op)
  const [hi] = param(upper, 'upper', dtype, s, op)
  const a = erf(mul(lo, Math.SQRT1_2))
  const b = erf(mul(hi, Math.SQRT1_2))
  const u = uniformIn(k, s, dtype, 0, 1, op)
  const v = add(a, mul(u, sub(b, a)))
  const x = mul(erfinv(v), Math.SQRT2)
  return max(min(x, hi), lo)
}

// ---- gamma family --------------------------------------------------------------------------

const ROUNDS = 12

/** The first accepted proposal along axis 0 of [R, n] (the last one if none is). */
const firstAccepted = (accept: Tracer, proposals: Tracer): Tracer => {
  const R = accept.shape[0]
  const n = accept.shape[1]
  // score 2 for an accepted round, 1 for the last round: argmax takes the first of the maxima
  const isLast = convertElementType(broadcastInDim(eq1(iota('int32', [R], 0), R - 1), [R, n], [0]), 'int32')
  const idx = argmax(max(mul(convertElementType(accept, 'int32'), 2), isLast), 0)
  return reshape(takeAlongAxis(proposals, reshape(idx, [1, n]), 0), [n])
}
const eq1 = (x: Tracer, v: number): Tracer => and(ge(x, v), le(x, v))

/**
 * Standard gamma samples with shape parameters `a` (> 0; flat [n]) by Marsaglia–Tsang: for
 * d = a' − ⅓, c = 1/√(9d) (a' = a, or a + 1 for a < 1), v = (1 + c x)³ with x normal, accept
 * when log u < x²/2 + d − d v + d log v; a < 1 then multiplies by u^{1/a}.
 */
const gammaFlat = (key: Tracer, a: Tracer, dtype: FloatDType, op: string): Tracer => {
  const n = a.shape[0]
  const keys = split(key, 3)
  const boost = lt(a, 1)
  const ap = add(a, convertElementType(boost, dtype))
  const d = sub(ap, 1 / 3)
  const c = div(1, sqrt(mul(d, 9)))
  const x = normalIn(keyAt(keys, 0), [ROUNDS, n], dtype)
  const u = unitOpen(keyAt(keys, 1), [ROUNDS, n], dtype, op)
  const db = broadcastInDim(d, [ROUNDS, n], [1])
  const cb = broadcastInDim(c, [ROUNDS, n], [1])
  const t = add(mul(cb, x), 1)
  const v = mul(mul(t, t), t)
  const vs = max(v, TINY[dtype])
  const ok = and(gt(t, 0), lt(log(u), add(mul(mul(x, x), 0.5), mul(db, add(sub(1, vs), log(vs))))))
  const g = firstAccepted(ok, mul(db, vs))
  const ub = unitOpen(keyAt(keys, 2), [n], dtype, op)
  return mul(g, where(boost, pow(ub, div(1, a)), add(mul(ub, 0), 1)))
}

export interface GammaOptions extends DTypeOpts {
  /** The result shape (default: a's shape); a broadcasts to it. */
  readonly shape?: Shape
}

/**
 * The sample x = F⁻¹(u; a) as a function of a, for a sample drawn with a under stopGradient:
 * dx/da = −(∂F/∂a)/(∂F/∂x) at (a, x) (implicit reparameterization, F the Gamma(a, 1) CDF, u
 * held fixed). The rule evaluates it at this function's own output, so a second derivative
 * sees x move with a: d²x/da² = ∂g/∂a + ∂g/∂x·g, g = dx/da.
 */
const reparameterized = withJvp(
  'random.gamma',
  (_a: Tracer, x: Tracer) => x,
  ([a], [ta, tx], y) => add(mul(ta, gammaSampleGrad(a, y)), tx),
)

/**
 * Gamma(a, 1) floats (Marsaglia–Tsang with 12 proposals per element, see the module notes).
 * Differentiable with respect to `a` by implicit reparameterization, as JAX: for the same key,
 * dx/da = −(∂F/∂a)/(∂F/∂x), F the Gamma(a, 1) CDF at the sample (special.gammainc).
 */
export const gamma = (key: Tracer, a: number | Tracer, opts: GammaOptions = {}): Tracer => {
  const op = 'random.gamma'
  const k = checkKey(key, op)
  const dtype = floatDtype(opts.dtype ?? (isTracerLike(a) && a.dtype === 'float32' ? 'float32' : 'float64'), op)
  if (typeof a === 'number' && !(a > 0)) throw new ValueError(`${op}: a must be positive, got ${a}`)
  const [ab, s] = param(a, 'a', dtype, opts.shape, op)
  const flat = reshape(ab, [sizeOf(s)])
  const x = gammaFlat(k, stopGradient(flat), dtype, op)
  return reshape(reparameterized(flat, x), s)
}

/** Beta(a, b) floats: X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b) (so differentiable in a and b). */
export const beta = (key: Tracer, a: number | Tracer, b: number | Tracer, opts: GammaOptions = {}): Tracer => {
  const op = 'random.beta'
  const k = checkKey(key, op)
  const dtype = floatDtype(opts.dtype ?? 'float64', op)
  const s = opts.shape ?? (isTracerLike(a) ? (isTracerLike(b) && b.ndim > a.ndim ? b.shape : a.shape) : isTracerLike(b) ? b.shape : [])
  const keys = split(k, 2)
  const x = gamma(keyAt(keys, 0), param(a, 'a', dtype, s, op)[0], { shape: s, dtype })
  const y = gamma(keyAt(keys, 1), param(b, 'b', dtype, s, op)[0], { shape: s, dtype })
  return div(x, add(x, y))
}

/** Dirichlet(alpha) floats along the last axis: normalized Gamma(alpha_i) draws (so
 *  differentiable in alpha). `shape`: the batch shape (default alpha's shape without its last axis). */
export const dirichlet = (key: Tracer, alpha: Tracer, opts: GammaOptions = {}): Tracer => {
  const op = 'random.dirichlet'
  const k = checkKey(key, op)
  if (!isTracerLike(alpha) || alpha.ndim < 1 || !isFloat(alpha.dtype)) {
    throw new ShapeError(`${op}: alpha must be a float Array of rank ≥ 1, got ${isTracerLike(alpha) ? avalStr(alpha.aval) : describe(alpha)}`)
  }
  const K = alpha.shape[alpha.ndim - 1]
  const batch = opts.shape ?? alpha.shape.slice(0, -1)
  const full = [...batch, K]
  const g = gamma(k, alpha, { shape: full, dtype: opts.dtype ?? (alpha.dtype as FloatDType) })
  const total = reduceSum(g, [full.length - 1])
  return div(g, broadcastInDim(total, full, batch.map((_, i) => i)))
}

// ---- poisson -----------------------------------------------------------------------------

const KNUTH_DRAWS = 64

export interface PoissonOptions {
  /** The result shape (default: lam's shape); lam broadcasts to it. */
  readonly shape?: Shape
}

/**
 * Poisson(lam) counts (int32, as JAX, which returns integers): a count does not vary smoothly
 * with lam, so the samples carry no derivative — the gradient with respect to lam is zero, as
 * JAX's (whose integer outputs have no tangent). lam < 10: Knuth's method, the number of partial sums of
 * standard exponentials below lam (64 exponentials per element: a count of 64 or more has
 * probability < 1e-20 there); lam ≥ 10: Hörmann's transformed rejection (PTRS), 12 proposals.
 */
export const poisson = (key: Tracer, lam: number | Tracer, opts: PoissonOptions = {}): Tracer => {
  const op = 'random.poisson'
  const k = checkKey(key, op)
  if (typeof lam === 'number' && !(lam >= 0)) throw new ValueError(`${op}: lam must be ≥ 0, got ${lam}`)
  const [lb, s] = param(lam, 'lam', 'float64', opts.shape, op)
  const n = sizeOf(s)
  const l = stopGradient(reshape(lb, [n]))
  const keys = split(k, 3)
  // Knuth: count k with E₁ + … + E_k < lam
  const small = lt(l, 10)
  const ls = where(small, l, mul(l, 0))
  const e = neg(log(unitOpen(keyAt(keys, 0), [KNUTH_DRAWS, n], 'float64', op)))
  const sums = cumsum(e, 0)
  const knuth = reduceSum(convertElementType(lt(sums, broadcastInDim(ls, [KNUTH_DRAWS, n], [1])), 'float64'), [0])
  // PTRS (Hörmann 1993)
  const lr = max(l, 10)
  const slam = sqrt(lr)
  const loglam = log(lr)
  const b = add(mul(slam, 2.53), 0.931)
  const a = add(mul(b, 0.02483), -0.059)
  const invAlpha = add(div(1.1328, sub(b, 3.4)), 1.1239)
  const vr = sub(0.9277, div(3.6224, sub(b, 2)))
  const B = (x: Tracer) => broadcastInDim(x, [ROUNDS, n], [1])
  const U = sub(uniformIn(keyAt(keys, 1), [ROUNDS, n], 'float64', 0, 1, op), 0.5)
  const V = unitOpen(keyAt(keys, 2), [ROUNDS, n], 'float64', op)
  const us = sub(0.5, abs(U))
  const kk = floor(add(add(mul(add(div(mul(B(a), 2), us), B(b)), U), B(lr)), 0.43))
  const quick = and(ge(us, 0.07), le(V, B(vr)))
  const bad = or(lt(kk, 0), and(lt(us, 0.013), gt(V, us)))
  const lhs = sub(add(log(V), log(B(invAlpha))), log(add(div(B(a), mul(us, us)), B(b))))
  const rhs = sub(add(neg(B(lr)), mul(kk, B(loglam))), gammaln(add(max(kk, 0), 1)))
  const ok = or(quick, and(not1(bad), le(lhs, rhs)))
  const ptrs = firstAccepted(ok, max(kk, 0))
  const out = where(small, knuth, ptrs)
  return reshape(convertElementType(out, 'int32'), s)
}
const not1 = (x: Tracer): Tracer => lt(convertElementType(x, 'int32'), 1)

// ---- multivariate --------------------------------------------------------------------------

export interface MultivariateNormalOptions extends DTypeOpts {
  /** The batch shape of the result (default: the broadcast batch shape of mean and cov). */
  readonly shape?: Shape
  /** How cov is factored: only 'cholesky' (cov must be symmetric positive definite). */
  readonly method?: 'cholesky'
}

/** Samples of N(mean, cov): mean + L z with cov = L Lᵀ (Cholesky), z standard normal.
 *  mean: [..., n], cov: [n, n]; result [...shape, n]. */
export const multivariateNormal = (key: Tracer, mean: Tracer, cov: Tracer, opts: MultivariateNormalOptions = {}): Tracer => {
  const op = 'random.multivariateNormal'
  const k = checkKey(key, op)
  if ((opts.method ?? 'cholesky') !== 'cholesky') throw new ValueError(`${op}: method must be 'cholesky', got ${describe(opts.method)}`)
  if (!isTracerLike(mean) || mean.ndim < 1 || !isTracerLike(cov) || cov.ndim !== 2 || cov.shape[0] !== cov.shape[1] || cov.shape[0] !== mean.shape[mean.ndim - 1]) {
    throw new ShapeError(
      `${op}: needs mean [..., n] and cov [n, n], got ${isTracerLike(mean) ? avalStr(mean.aval) : describe(mean)} and ${isTracerLike(cov) ? avalStr(cov.aval) : describe(cov)}`,
    )
  }
  const n = cov.shape[0]
  const dtype = floatDtype(opts.dtype ?? (mean.dtype === 'float32' ? 'float32' : 'float64'), op)
  const batch = opts.shape ?? mean.shape.slice(0, -1)
  const full = [...batch, n]
  const z = normalIn(k, [sizeOf(batch), n], dtype)
  const L = cholesky(cov.dtype === dtype ? cov : convertElementType(cov, dtype))
  const lz = reshape(matmul(z, transpose(L, [1, 0])), full) // z Lᵀ, row by row
  const m = mean.dtype === dtype ? mean : convertElementType(mean, dtype)
  return add(lz, broadcastTo(m, full, 'mean', op))
}


/**
 * Haar-random orthogonal n×n matrices (a batch of `shape` of them: result [...shape, n, n]): the
 * Q of A = QR with A standard normal and R's diagonal positive, by Gram–Schmidt with a second
 * orthogonalization pass (so QᵀQ = I to rounding).
 */
export const orthogonal = (key: Tracer, n: number, shape: Shape = [], opts: DTypeOpts = {}): Tracer => {
  const op = 'random.orthogonal'
  const k = checkKey(key, op)
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`${op}: n must be a positive JS integer, got ${describe(n)}`)
  const s = shapeArg(shape, op)
  const dtype = floatDtype(opts.dtype ?? 'float64', op)
  const B = sizeOf(s)
  const a = normalIn(k, [B, n, n], dtype)
  const cols: Tracer[] = []
  for (let j = 0; j < n; j++) {
    let v = reshape(take(a, j, 2), [B, n])
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        const p = reduceSum(mul(q, v), [1])
        v = sub(v, mul(broadcastInDim(p, [B, n], [0]), q))
      }
    }
    const norm = sqrt(reduceSum(mul(v, v), [1]))
    cols.push(div(v, broadcastInDim(norm, [B, n], [0])))
  }
  const q = stack(cols, 2)
  return reshape(q, [...s, n, n])
}
