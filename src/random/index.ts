/**
 * The `random` namespace: functional, counter-based pseudo-random numbers, as `jax.random`.
 *
 * A key is an int32 Array of shape [2] — JAX's raw uint32[2] threefry key data, stored as int32
 * bit patterns. Every function here is a pure function of its key (and its static shape and
 * options), built only from primitive wrappers: the same key gives the same numbers eagerly,
 * under `jit` and under `vmap` (vmap over a batch of keys [B, 2]). There is no global state;
 * make fresh keys with `split` or `foldIn`, and use each key for one draw only.
 *
 * Bits: `split`, `foldIn` and `bits` equal JAX's for the same key (Threefry-2x32, JAX ≥ 0.5 with
 * `jax_threefry_partitionable` = True, see ./threefry.ts). Floats take more bits than JAX:
 * float32 uniforms are the top 24 bits of JAX's 32-bit word (JAX keeps 23), float64 uniforms the
 * top 53 bits of JAX's 64-bit word (JAX keeps 52) — so a uniform is JAX's value plus 0 or one
 * half-ulp of [1, 2). `normal` uses Box–Muller (JAX: an inverse erf), so normals differ from JAX's.
 */
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, avalStr, shapeEq, shapeStr, sizeOf } from '../ir/aval'
import { castScalar, isFloat } from '../ir/dtypes'
import { take } from '../numpy/indexing'
import { add, and, lt, max, min, mul, or, sub } from '../primitives/binary'
import { shiftLeft, shiftRightLogical, xor } from '../primitives/bitwise'
import { argmax } from '../primitives/reduce'
import { broadcastInDim, convertElementType, iota, reshape } from '../primitives/shape'
import { concatenate, slice } from '../primitives/slicing'
import { sort } from '../primitives/sort'
import { cos, log, neg, sin, sqrt } from '../primitives/unary'
import { describe, isTracerLike, normAxis } from '../primitives/util'
import { checkKey, hashCounters, int32, keyFromSeed, keyOf, keyWords, shapeArg, threefry2x32 } from './threefry'

import { type FloatDType, broadcastTo, floatDtype, gumbelIn, normalIn, uniformIn } from './base'
export type { FloatDType } from './base'

// ---- keys --------------------------------------------------------------------------------

/**
 * A key from an integer seed (JAX's `random.key` / `PRNGKey`): [0, seed] for seeds in
 * [0, 2³²); other JS integers are split as 64-bit two's complement (−1 → [2³² − 1, 2³² − 1]).
 * A 0-d int32 Array seed gives [0, seed] and can be traced (jit, vmap over seeds).
 */
export const key = (seed: number | Tracer): Tracer => keyFromSeed(seed, 'random.key')

/** `num` new keys from `key` (shape [num, 2]); a shape gives keys of shape [...shape, 2].
 *  Key i is the hash of the counter i, so `split(key, n)[i]` equals `foldIn(key, i)`. */
export const split = (key: Tracer, num: number | Shape = 2): Tracer => {
  const op = 'random.split'
  const k = checkKey(key, op)
  if (typeof num === 'number' && !(Number.isInteger(num) && num >= 0)) {
    throw new ValueError(`${op}: num must be a non-negative integer, got ${num}`)
  }
  const shape = shapeArg(typeof num === 'number' ? [num] : num, op)
  const n = sizeOf(shape)
  const [w0, w1] = hashCounters(k, n)
  return reshape(concatenate([reshape(w0, [n, 1]), reshape(w1, [n, 1])], 1), [...shape, 2])
}

/** A new key from `key` and an integer `data` (a JS integer in [−2³¹, 2³²), read as uint32,
 *  or a 0-d int32 Array): the hash of the counter (0, data), as JAX's `fold_in`. */
export const foldIn = (key: Tracer, data: number | Tracer): Tracer => {
  const op = 'random.foldIn'
  const k = checkKey(key, op)
  let d: Tracer
  if (typeof data === 'number') {
    if (!Number.isInteger(data) || data < -(2 ** 31) || data >= 2 ** 32) {
      throw new ValueError(`${op}: data must be an integer in [-2^31, 2^32), got ${data}`)
    }
    d = int32(data)
  } else if (isTracerLike(data)) {
    if (data.dtype !== 'int32' || data.ndim !== 0) {
      const E = data.dtype !== 'int32' ? DTypeError : ShapeError
      throw new E(`${op}: data must be a JS integer or a 0-d int32 Array, got ${avalStr(data.aval)}`)
    }
    d = data
  } else {
    throw new ValueError(`${op}: data must be a JS integer or a 0-d int32 Array, got ${describe(data)}`)
  }
  const [k0, k1] = keyWords(k)
  const [w0, w1] = threefry2x32(k0, k1, int32(0), d)
  return keyOf(w0, w1)
}

// ---- bits and uniform floats -------------------------------------------------------------

/** Uniform random 32-bit words (int32 bit patterns) of `shape`: JAX's `random.bits` (uint32). */
export const bits = (key: Tracer, shape: Shape = []): Tracer => {
  const op = 'random.bits'
  const k = checkKey(key, op)
  const s = shapeArg(shape, op)
  const [w0, w1] = hashCounters(k, sizeOf(s))
  return reshape(xor(w0, w1), s)
}

export interface UniformOptions {
  readonly dtype?: FloatDType
  readonly minval?: number
  readonly maxval?: number
}

/** Floats uniform on [minval, maxval) (default [0, 1), float64 with 53 random bits; float32
 *  with 24). */
export const uniform = (key: Tracer, shape: Shape = [], opts: UniformOptions = {}): Tracer => {
  const op = 'random.uniform'
  const k = checkKey(key, op)
  const s = shapeArg(shape, op)
  return uniformIn(k, s, floatDtype(opts.dtype ?? 'float64', op), opts.minval ?? 0, opts.maxval ?? 1, op)
}

// ---- distributions -----------------------------------------------------------------------

export interface DTypeOptions {
  readonly dtype?: FloatDType
}

/**
 * Standard normal floats, by Box–Muller on pairs (u1, u2): r = √(−2 log(1 − u1)),
 * θ = 2π u2, giving r cos θ and r sin θ. 1 − u1 ∈ (0, 1], so the log is finite and |z| is at
 * most √(2 · 53 ln 2) ≈ 8.6 (float32: ≈ 5.8): never NaN or ±∞.
 */
export const normal = (key: Tracer, shape: Shape = [], opts: DTypeOptions = {}): Tracer => {
  const op = 'random.normal'
  const k = checkKey(key, op)
  const s = shapeArg(shape, op)
  const dtype = floatDtype(opts.dtype ?? 'float64', op)
  return normalIn(k, s, dtype)
}

/** Standard Gumbel floats (finite: never ±∞). */
export const gumbel = (key: Tracer, shape: Shape = [], opts: DTypeOptions = {}): Tracer => {
  const op = 'random.gumbel'
  const k = checkKey(key, op)
  return gumbelIn(k, shapeArg(shape, op), floatDtype(opts.dtype ?? 'float64', op), op)
}

/**
 * Booleans that are true with probability `p` (a JS number in [0, 1], or a float Array of
 * probabilities that broadcasts to `shape`; `shape` defaults to p's shape): uniform < p.
 */
export const bernoulli = (key: Tracer, p: number | Tracer = 0.5, shape?: Shape): Tracer => {
  const op = 'random.bernoulli'
  const k = checkKey(key, op)
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`${op}: p must be a probability in [0, 1], got ${p}`)
    const s = shape === undefined ? [] : shapeArg(shape, op)
    return lt(uniformIn(k, s, 'float64', 0, 1, op), p)
  }
  if (!isTracerLike(p)) throw new ValueError(`${op}: p must be a JS number or a float Array, got ${describe(p)}`)
  if (!isFloat(p.dtype)) {
    throw new DTypeError(`${op}: p must be a float Array of probabilities, got ${avalStr(p.aval)}. Convert first: p.astype('float64').`)
  }
  const s = shape === undefined ? p.shape : shapeArg(shape, op)
  return lt(uniformIn(k, s, p.dtype as FloatDType, 0, 1, op), broadcastTo(p, s, 'p', op))
}

/** Row `i` of a [2, 2] array of keys. */
const row = (keys: Tracer, i: number): Tracer => reshape(slice(keys, [i, 0], [i + 1, 2]), [2])

/** The sign bit: xor with it maps the unsigned order of words onto the int32 order. */
const SIGN_BIT = -(2 ** 31)

/**
 * JAX's shuffle of a 1-d `x`: ⌈3 ln n / ln(2³² − 1)⌉ rounds (one for n ≤ 1625) of a stable sort
 * by fresh 32-bit words in unsigned order; extra rounds make ties between words, which would
 * bias the permutation, improbable.
 */
const shuffle = (key: Tracer, x: Tracer): Tracer => {
  const n = x.shape[0]
  const rounds = Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(2 ** 32 - 1))
  let k = key
  let out = x
  for (let i = 0; i < rounds; i++) {
    const keys = split(k)
    k = row(keys, 0)
    const sortKeys = xor(bits(row(keys, 1), [n]), SIGN_BIT)
    out = sort([sortKeys, out], 0, 1)[1]
  }
  return out
}

/** A random permutation of 0 … n − 1 (int32), or of the rows (axis 0) of an Array `x`. */
export const permutation = (key: Tracer, x: number | Tracer): Tracer => {
  const op = 'random.permutation'
  const k = checkKey(key, op)
  if (typeof x === 'number') {
    if (!Number.isInteger(x) || x < 0 || x > 2 ** 31 - 1) {
      throw new ValueError(`${op}: n must be a non-negative integer below 2^31, got ${x}`)
    }
    return shuffle(k, iota('int32', [x], 0))
  }
  if (!isTracerLike(x)) throw new ValueError(`${op}: x must be a JS integer or an Array, got ${describe(x)}`)
  if (x.ndim === 0) {
    throw new ShapeError(`${op}: x must be a JS integer n or an Array of rank ≥ 1 (its rows are permuted), got ${avalStr(x.aval)}`)
  }
  return take(x, shuffle(k, iota('int32', [x.shape[0]], 0)), 0)
}

export interface CategoricalOptions {
  /** The axis of `logits` that indexes the categories (default −1). */
  readonly axis?: number
  /** The shape of the result: the batch shape (logits' shape without `axis`, the default),
   *  with any leading sample axes. */
  readonly shape?: Shape
}

/**
 * Samples of categories (int32 indices along `axis`) with probabilities softmax(logits), by the
 * Gumbel-max trick: argmax(logits + Gumbel noise). Logits may be unnormalized; −∞ excludes a
 * category.
 */
export const categorical = (key: Tracer, logits: Tracer, opts: CategoricalOptions = {}): Tracer => {
  const op = 'random.categorical'
  const k = checkKey(key, op)
  if (!isTracerLike(logits)) throw new ValueError(`${op}: logits must be a float Array, got ${describe(logits)}`)
  if (!isFloat(logits.dtype)) throw new DTypeError(`${op}: logits must be a float Array, got ${avalStr(logits.aval)}`)
  const axis = normAxis(opts.axis ?? -1, logits.ndim, op)
  const batch = logits.shape.filter((_, i) => i !== axis)
  const shape = opts.shape === undefined ? batch : shapeArg(opts.shape, op)
  const lead = shape.length - batch.length
  if (lead < 0 || !shapeEq(shape.slice(lead), batch)) {
    throw new ShapeError(
      `${op}: shape ${shapeStr(shape)} must end with the batch shape ${shapeStr(batch)} (logits ${avalStr(logits.aval)} without axis ${axis})`,
    )
  }
  const full = [...shape.slice(0, lead), ...logits.shape]
  const g = gumbelIn(k, full, logits.dtype as FloatDType, op)
  const l = lead === 0 ? logits : broadcastInDim(logits, full, logits.shape.map((_, i) => lead + i))
  return argmax(add(g, l), lead + axis)
}


export { randint, choice, rademacher, exponential, laplace, logistic, cauchy, truncatedNormal, gamma, beta, dirichlet, poisson, multivariateNormal, orthogonal } from './distributions'
export type { ChoiceOptions, GammaOptions, PoissonOptions, MultivariateNormalOptions } from './distributions'
