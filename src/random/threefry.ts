/**
 * Random layer: the Threefry-2x32 hash and the key plumbing around it.
 *
 * Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy
 * as 1, 2, 3", SC'11), with Random123's rotation constants and key schedule — the hash JAX's
 * default PRNG is built on (jax._src.prng.threefry2x32). It is written in our own int32
 * primitives, so it traces, jits and vmaps like any other function. uint32 words are stored
 * as int32 bit patterns: `add` wraps mod 2³² and xor / shifts act on the bits, so the
 * arithmetic is exactly uint32's.
 *
 * Keys and counters follow JAX's threefry2x32 PRNG as of JAX 0.5, where
 * `jax_threefry_partitionable` defaults to True: a key is the pair of words (k0, k1);
 * element i (row-major) of a draw hashes the 64-bit counter i, i.e. the word pair (0, i)
 * (our arrays have fewer than 2³¹ elements, so the high word is always 0).
 */
import { ConcreteArray } from '../core/array'
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import type { Shape } from '../ir/aval'
import { avalStr } from '../ir/aval'
import { add, or } from '../primitives/binary'
import { shiftLeft, shiftRightLogical, xor } from '../primitives/bitwise'
import { concatenate, slice } from '../primitives/slicing'
import { iota, reshape } from '../primitives/shape'
import { checkShape, describe, isTracerLike } from '../primitives/util'

// ---- the hash ----------------------------------------------------------------------------

/** Rotation constants of Threefry-2x32, for even and odd groups of four rounds. */
const ROTATIONS: readonly (readonly number[])[] = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
]
/** The key-schedule parity constant (Threefish's C240 truncated to 32 bits). */
const PARITY = 0x1bd11bda

/** Rotate the 32-bit words of `x` left by `r` ∈ [1, 31]. */
const rotl = (x: Tracer, r: number): Tracer => or(shiftLeft(x, r), shiftRightLogical(x, 32 - r))

/**
 * Threefry-2x32-20 of the counter words (x0, x1) under the key (k0, k1), elementwise (0-d
 * operands broadcast). Five groups of four rounds (x0 += x1; x1 = rotl(x1, r) ^ x0), each
 * followed by injecting the key schedule (k0, k1, k0 ^ k1 ^ PARITY) rotated by one word, plus
 * the group number.
 */
export const threefry2x32 = (k0: Tracer, k1: Tracer, x0: Tracer, x1: Tracer): [Tracer, Tracer] => {
  const ks = [k0, k1, xor(xor(k0, k1), PARITY)]
  let a = add(x0, ks[0])
  let b = add(x1, ks[1])
  for (let group = 0; group < 5; group++) {
    for (const r of ROTATIONS[group % 2]) {
      a = add(a, b)
      b = xor(rotl(b, r), a)
    }
    a = add(a, ks[(group + 1) % 3])
    b = add(add(b, ks[(group + 2) % 3]), group + 1)
  }
  return [a, b]
}

// ---- keys --------------------------------------------------------------------------------

/** The 0-d words (k0, k1) of a key. */
export const keyWords = (key: Tracer): [Tracer, Tracer] => [
  reshape(slice(key, [0], [1]), []),
  reshape(slice(key, [1], [2]), []),
]

/** A key int32[2] from its two 0-d words. */
export const keyOf = (w0: Tracer, w1: Tracer): Tracer => concatenate([reshape(w0, [1]), reshape(w1, [1])], 0)

/** The hash of the counters 0 … n − 1 under `key`: two int32 words of shape [n] each. */
export const hashCounters = (key: Tracer, n: number): [Tracer, Tracer] => {
  const [k0, k1] = keyWords(key)
  return threefry2x32(k0, k1, int32(0), iota('int32', [n], 0))
}

/** A 0-d int32 constant holding the low 32 bits of the integer `v` (a uint32 bit pattern). */
export const int32 = (v: number): ConcreteArray => new ConcreteArray(Int32Array.of(v | 0), [], 'int32')

const TWO_32 = 2 ** 32

/**
 * The key of a seed, as JAX's `random.key` / `PRNGKey` with 64-bit integers: the seed's 64-bit
 * two's complement split into (high word, low word), so seeds in [0, 2³²) give [0, seed] and
 * −1 gives [2³² − 1, 2³² − 1]. A traced seed (a 0-d int32 Array) gives [0, seed], as JAX does
 * for an int32 seed.
 */
export const keyFromSeed = (seed: unknown, op: string): Tracer => {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new ValueError(`${op}: seed must be an integer with |seed| ≤ 2^53 − 1 (a safe JS integer), got ${seed}`)
    }
    const lo = ((seed % TWO_32) + TWO_32) % TWO_32
    const hi = ((Math.floor(seed / TWO_32) % TWO_32) + TWO_32) % TWO_32
    return new ConcreteArray(Int32Array.of(hi | 0, lo | 0), [2], 'int32')
  }
  if (isTracerLike(seed)) {
    if (seed.dtype !== 'int32') {
      throw new DTypeError(`${op}: an Array seed must be int32, got ${avalStr(seed.aval)}. Use a JS integer or x.astype('int32').`)
    }
    if (seed.ndim !== 0) {
      throw new ShapeError(`${op}: a seed must be a scalar (0-d), got ${avalStr(seed.aval)}. For many keys, vmap over the seeds.`)
    }
    return keyOf(int32(0), seed)
  }
  throw new ValueError(`${op}: seed must be a JS integer or a 0-d int32 Array, got ${describe(seed)}`)
}

/** A key argument: an int32 Array of shape [2]. */
export const checkKey = (key: unknown, op: string): Tracer => {
  if (!isTracerLike(key)) {
    throw new ValueError(`${op}: key must be an Array made by random.key(seed) (int32[2]), got ${describe(key)}`)
  }
  if (key.dtype !== 'int32') {
    throw new DTypeError(`${op}: key must be int32[2] (made by random.key(seed)), got ${avalStr(key.aval)}`)
  }
  if (key.ndim !== 1 || key.shape[0] !== 2) {
    const hint =
      key.ndim === 2 && key.shape[1] === 2
        ? ` For a batch of keys [${key.shape[0]}, 2], map over it: vmap((k) => ${op}(k, …))(keys).`
        : ''
    throw new ShapeError(`${op}: key must have shape [2], got ${avalStr(key.aval)}.${hint}`)
  }
  return key
}

/** A static shape argument: a JS array of non-negative integers. */
export const shapeArg = (shape: unknown, op: string): Shape => {
  if (!Array.isArray(shape)) {
    const what = isTracerLike(shape) ? 'an Array (shapes are static: pass a JS array like [3, 4])' : describe(shape)
    throw new ValueError(`${op}: shape must be a JS array of non-negative integers, got ${what}`)
  }
  checkShape(shape, op)
  return [...shape] as number[]
}
