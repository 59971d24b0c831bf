// The Threefry-2x32 hash and the key layer: Random123's known-answer vectors, values JAX
// reports for its own PRNG, key derivation from seeds, and bits / split / foldIn against an
// independent scalar reference.
import { describe, expect, it } from 'vitest'
import { jit, makeJaxpr, np, random } from '../../src'
import { ConcreteArray } from '../../src/core/array'
import type { Tracer } from '../../src/core/tracer'
import { int32, threefry2x32 } from '../../src/random/threefry'
import { jaxFloat32, refThreefry, u32 } from './helpers'

const words = (xs: readonly number[]): ConcreteArray => new ConcreteArray(Int32Array.from(xs, (v) => v | 0), [xs.length], 'int32')
const hash = (k0: number, k1: number, x0: readonly number[], x1: readonly number[]): [number[], number[]] => {
  const [a, b] = threefry2x32(int32(k0), int32(k1), words(x0), words(x1))
  return [u32(a), u32(b)]
}
const hex = (v: number): string => v.toString(16).padStart(8, '0')

// Random123 kat_vectors, "threefry2x32 20": counter (x0, x1), key (k0, k1) → output.
// JAX's testThreefry2x32 checks the same three (prng.threefry_2x32(key, count)).
const KAT = [
  { ctr: [0x00000000, 0x00000000], key: [0x00000000, 0x00000000], out: ['6b200159', '99ba4efe'] },
  { ctr: [0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff], out: ['1cb996fc', 'bb002be7'] },
  { ctr: [0x243f6a88, 0x85a308d3], key: [0x13198a2e, 0x03707344], out: ['c4923a9c', '483df7a0'] },
]

describe('Threefry-2x32-20 known-answer vectors (Random123)', () => {
  for (const { ctr, key, out } of KAT) {
    it(`key ${key.map(hex)} counter ${ctr.map(hex)} → ${out}`, () => {
      const [a, b] = hash(key[0], key[1], [ctr[0]], [ctr[1]])
      expect([hex(a[0]), hex(b[0])]).toEqual(out)
      // the reference used by the other tests agrees too
      expect(refThreefry(key[0], key[1], ctr[0], ctr[1]).map(hex)).toEqual(out)
    })
  }
  it('elementwise over counters: many counters under one key hash independently', () => {
    const x0 = [0, 0x243f6a88, 7, 0xffffffff]
    const x1 = [0, 0x85a308d3, 9, 0]
    const [a, b] = hash(0x13198a2e, 0x03707344, x0, x1)
    x0.forEach((c, i) => expect([a[i], b[i]]).toEqual(refThreefry(0x13198a2e, 0x03707344, c, x1[i])))
    expect([hex(a[1]), hex(b[1])]).toEqual(['c4923a9c', '483df7a0'])
  })
  it('the same under jit, built only from add / xor / shifts / or (traceable, no hidden state)', () => {
    const f = (k: Tracer, x: Tracer) => {
      const [a, b] = threefry2x32(k, k, x, x)
      return [a, b]
    }
    const got = jit(f)(int32(-1), words([-1, 0]))
    expect(u32(got[0]).map(hex)).toEqual(['1cb996fc', hex(refThreefry(-1, -1, 0, 0)[0])])
    const prims = new Set([...String(makeJaxpr(f)(int32(0), words([0]))).matchAll(/= (\w+)/g)].map((m) => m[1]))
    expect([...prims].sort()).toEqual(['add', 'or', 'shift_left', 'shift_right_logical', 'xor'])
  })
})

describe("values JAX reports for its own PRNG (same key, same counter → same bits)", () => {
  it('fold_in(key(0), 4) = [2285895361, 433833334] (JAX testPRNGValues)', () => {
    expect(u32(random.foldIn(random.key(0), 4))).toEqual([2285895361, 433833334])
  })
  it("JAX's legacy layout (jax_threefry_partitionable = False) reproduced from our hash", () => {
    // legacy split(key, n) hashes the counter pairs (i, i + n) and lays out [all x0 words, all x1 words]
    const legacySplit = (k1: number, n: number): number[][] => {
      const [a, b] = hash(0, k1, [...Array(n).keys()], [...Array(n).keys()].map((i) => i + n))
      const flat = [...a, ...b]
      return [...Array(n).keys()].map((i) => [flat[2 * i], flat[2 * i + 1]])
    }
    // JAX testPRNGValues: random.split(key(0), 4)
    expect(legacySplit(0, 4)).toEqual([
      [2285895361, 1501764800],
      [1518642379, 4090693311],
      [433833334, 4221794875],
      [839183663, 3740430601],
    ])
    // JAX testRngRandomBits, key(1701): 32-bit words of shape (3,) hash (0, 2), (1, 0) (padded)
    const [a, b] = hash(0, 1701, [0, 1], [2, 0])
    expect([a[0], a[1], b[0]]).toEqual([56197195, 4200222568, 961309823])
    // … and its 64-bit words (x64) hash (i, i + 3), high word first
    const [h, l] = hash(0, 1701, [0, 1, 2], [3, 4, 5])
    expect(h.map((v, i) => (BigInt(v) << 32n) | BigInt(l[i]))).toEqual([3982329540505020460n, 16822122385914693683n, 7882654074788531506n])
    // jax.nn.initializers.uniform(10.0)(key(42), (2, 3), float32) in JAX's docs: 10 × JAX's
    // float32 conversion of the legacy words hash (i, i + 3)
    const [p, q] = hash(0, 42, [0, 1, 2], [3, 4, 5])
    const docs = [7.298188, 8.691938, 8.7230015, 2.0818567, 1.8662417, 5.5022564]
    expect([...p, ...q].map((w) => Math.fround(jaxFloat32(w) * 10))).toEqual(docs.map(Math.fround))
  })
  it('the current layout (partitionable, JAX ≥ 0.5): split and uniform of key(0)', () => {
    // Published outputs of jax.random.split(key(0), 3) and jax.random.uniform(key(0), (3, 3))
    // (float32), as printed by JAX and reproduced by third-party ports of its RNG.
    expect(u32(random.split(random.key(0), 3))).toEqual([1797259609, 2579123966, 928981903, 3453687069, 4146024105, 2718843009])
    const printed = [0.947667, 0.9785799, 0.33229148, 0.46866846, 0.5698887, 0.16550303, 0.3101946, 0.68948054, 0.74676657]
    const w = u32(random.bits(random.key(0), [3, 3]))
    expect(w.map(jaxFloat32)).toEqual(printed.map(Math.fround))
    // Our float32 uniform keeps one more bit (24): it is JAX's value plus 0 or 2^-24.
    const ours = Array.from(random.uniform(random.key(0), [3, 3], { dtype: 'float32' }).toTypedArray())
    ours.forEach((v, i) => expect([0, 2 ** -24]).toContain(v - jaxFloat32(w[i])))
    expect(ours.some((v, i) => v !== jaxFloat32(w[i]))).toBe(true)
  })
  it("float64 uniforms are JAX's x64 values (top 52 bits of the 64-bit word) plus 0 or 2^-53", () => {
    // element i hashes the counter i, whose two words are also split(key, n)[i]: JAX's 64-bit
    // word is (w0 << 32) | w1, and JAX keeps its top 52 bits
    const n = 64
    const pairs = u32(random.split(random.key(1701), n))
    const jax64 = [...Array(n).keys()].map((i) => {
      const word = (BigInt(pairs[2 * i]) << 32n) | BigInt(pairs[2 * i + 1])
      return Number(word >> 12n) * 2 ** -52
    })
    const ours = Array.from(random.uniform(random.key(1701), [n]).toTypedArray())
    ours.forEach((v, i) => expect([0, 2 ** -53]).toContain(v - jax64[i]))
    expect(new Set(ours.map((v, i) => v - jax64[i])).size).toBe(2)
  })
})

describe('random.key(seed): JAX\'s seeds (test_prng_seeds_and_keys, 64-bit integers)', () => {
  const cases: [number, number[]][] = [
    [0, [0, 0]],
    [1, [0, 1]],
    [3, [0, 3]],
    [-1, [4294967295, 4294967295]],
    [-3, [4294967295, 4294967293]],
    [2 ** 31 - 1 + 100, [0, 2147483747]],
    [-(2 ** 31) - 100, [4294967295, 2147483548]],
    [2 ** 32 + 5, [1, 5]],
    [Number.MAX_SAFE_INTEGER, [2 ** 21 - 1, 4294967295]],
  ]
  for (const [seed, want] of cases) {
    it(`${seed} → [${want}]`, () => {
      const k = random.key(seed)
      expect(k.dtype).toBe('int32')
      expect(k.shape).toEqual([2])
      expect(u32(k)).toEqual(want)
    })
  }
  it('an int32 Array seed gives [0, seed bits] (JAX with an int32 seed), also traced', () => {
    expect(u32(random.key(np.array(-2, { dtype: 'int32' })))).toEqual([0, 4294967294])
    expect(u32(jit((s: Tracer) => random.key(s))(np.array(7, { dtype: 'int32' })))).toEqual([0, 7])
  })
})

describe('bits, split and foldIn against the scalar reference', () => {
  const KEYS: [number, number][] = [[0, 0], [0, 42], [0xdeadbeef, 0x01234567], [0xffffffff, 1]]
  const keyOf = ([a, b]: [number, number]) => new ConcreteArray(Int32Array.of(a | 0, b | 0), [2], 'int32')

  for (const k of KEYS) {
    it(`key [${k.map(hex)}]`, () => {
      for (const shape of [[], [0], [5], [2, 3], [2, 0, 3]]) {
        const b = random.bits(keyOf(k), shape)
        expect(b.dtype).toBe('int32')
        expect(b.shape).toEqual(shape)
        const n = shape.reduce((p, q) => p * q, 1)
        // element i (row-major) hashes the counter (0, i); a 32-bit word is x0 ^ x1 (as JAX)
        expect(u32(b)).toEqual([...Array(n).keys()].map((i) => {
          const [x, y] = refThreefry(k[0], k[1], 0, i)
          return (x ^ y) >>> 0
        }))
      }
      const s = random.split(keyOf(k), 4)
      expect(s.shape).toEqual([4, 2])
      expect(u32(s)).toEqual([0, 1, 2, 3].flatMap((i) => refThreefry(k[0], k[1], 0, i)))
      for (const d of [0, 1, 1000, 2 ** 32 - 1, -1]) {
        expect(u32(random.foldIn(keyOf(k), d))).toEqual(refThreefry(k[0], k[1], 0, d >>> 0))
      }
    })
  }
  it('split(key, n)[i] equals foldIn(key, i) (JAX test_threefry_split_fold_in_symmetry)', () => {
    const k = random.key(72)
    const s = u32(random.split(k, 3))
    for (let i = 0; i < 3; i++) expect(u32(random.foldIn(k, i))).toEqual(s.slice(2 * i, 2 * i + 2))
  })
  it('split: the default is 2 keys; a shape gives keys of that shape; 0 keys is allowed', () => {
    const k = random.key(5)
    expect(random.split(k).shape).toEqual([2, 2])
    expect(random.split(k, 0).shape).toEqual([0, 2])
    const grid = random.split(k, [2, 3])
    expect(grid.shape).toEqual([2, 3, 2])
    expect(u32(grid)).toEqual(u32(random.split(k, 6)))
  })
  it('foldIn with a traced 0-d int32 data equals the JS-integer one', () => {
    const k = random.key(9)
    const f = jit((key: Tracer, d: Tracer) => random.foldIn(key, d))
    expect(u32(f(k, np.array(123, { dtype: 'int32' })))).toEqual(u32(random.foldIn(k, 123)))
  })
})
