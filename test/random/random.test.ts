// The random namespace: determinism (eager, jit), independent streams, statistics with fixed
// seeds and thresholds derived from the sample size, float32 outputs, vmap over keys equal to a
// loop over keys, and the errors.
import { describe, expect, it } from 'vitest'
import { AxisError, DTypeError, ShapeError, ValueError, grad, jit, np, random, vmap } from '../../src'
import type { Tracer } from '../../src/core/tracer'
import { chiSquare, chiSquareThreshold, ksStatistic, ksThreshold, mean, normalCdf, u32, variance } from './helpers'

const vals = (x: Tracer): number[] => Array.from(x.toTypedArray(), Number)
const row = (keys: Tracer, i: number): Tracer => np.take(keys, i, 0)
const counts = (xs: readonly number[], k: number): number[] => {
  const c = new Array<number>(k).fill(0)
  for (const x of xs) c[x]++
  return c
}

/** Every sampler, as a function of the key alone (shapes and options fixed). */
const SAMPLERS: Record<string, (k: Tracer) => Tracer> = {
  bits: (k) => random.bits(k, [2, 3]),
  split: (k) => random.split(k, 3),
  foldIn: (k) => random.foldIn(k, 17),
  uniform: (k) => random.uniform(k, [4], { minval: -2, maxval: 3 }),
  uniform32: (k) => random.uniform(k, [2, 2], { dtype: 'float32' }),
  normal: (k) => random.normal(k, [5]),
  normal32: (k) => random.normal(k, [3], { dtype: 'float32' }),
  gumbel: (k) => random.gumbel(k, [3]),
  bernoulli: (k) => random.bernoulli(k, 0.3, [6]),
  bernoulliArray: (k) => random.bernoulli(k, np.array([[0.1], [0.9]])),
  permutation: (k) => random.permutation(k, 7),
  permutationRows: (k) => random.permutation(k, np.arange(6).reshape([3, 2])),
  categorical: (k) => random.categorical(k, np.array([[0, 1, 2], [2, 1, -Infinity]])),
  categoricalAxis0: (k) => random.categorical(k, np.array([[0, 1, 2], [2, 1, 0]]), { axis: 0, shape: [4, 3] }),
}

describe('determinism: the same key gives the same numbers, eagerly and under jit', () => {
  for (const [name, f] of Object.entries(SAMPLERS)) {
    it(name, () => {
      const k = random.key(2024)
      const a = f(k)
      expect(vals(f(random.key(2024)))).toEqual(vals(a))
      const j = jit(f)(k)
      expect(j.shape).toEqual(a.shape)
      expect(j.dtype).toBe(a.dtype)
      expect(vals(j)).toEqual(vals(a))
    })
  }
})

describe('split and foldIn give different streams', () => {
  it('children of one key, the parent, and folds of different data all differ', () => {
    const k = random.key(1)
    const [a, b] = [row(random.split(k), 0), row(random.split(k), 1)]
    const draws = [k, a, b, random.foldIn(k, 5), random.foldIn(k, 6), random.foldIn(a, 0), random.foldIn(k, 0), random.foldIn(k, 1)]
      .map((key) => vals(random.bits(key, [8])))
    // fold i is split key i (the same counter); everything else is distinct
    expect(draws[6]).toEqual(draws[1])
    expect(draws[7]).toEqual(draws[2])
    const distinct = draws.slice(0, 6).map((d) => d.join(','))
    expect(new Set(distinct).size).toBe(6)
  })
  it('two sibling streams are uncorrelated: |corr| < 5 / √n', () => {
    const n = 20000
    const keys = random.split(random.key(11))
    const x = vals(random.normal(row(keys, 0), [n]))
    const y = vals(random.normal(row(keys, 1), [n]))
    let s = 0
    for (let i = 0; i < n; i++) s += x[i] * y[i]
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n))
  })
})

describe('statistics (fixed seeds; tolerances of 5 standard errors; KS / chi-square at p = 0.001)', () => {
  const n = 100000
  it('uniform float64: mean 1/2, variance 1/12, KS, chi-square over 100 bins', () => {
    const x = vals(random.uniform(random.key(3), [n]))
    expect(Math.abs(mean(x) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n))
    // Var(S²) ≈ (μ₄ − σ⁴) / n with μ₄ = 1/80, σ⁴ = 1/144
    expect(Math.abs(variance(x) - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n))
    expect(ksStatistic(x, (v) => Math.min(1, Math.max(0, v)))).toBeLessThan(ksThreshold(n))
    const bins = counts(x.map((v) => Math.floor(v * 100)), 100)
    expect(chiSquare(bins, bins.map(() => n / 100))).toBeLessThan(chiSquareThreshold(99))
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...x)).toBeLessThan(1)
  })
  it('uniform float32 on [−3, 5): mean, variance, KS; float32 values of the grid 8 · 2^-24', () => {
    const n = 30000
    const u = random.uniform(random.key(4), [n], { dtype: 'float32', minval: -3, maxval: 5 })
    expect(u.dtype).toBe('float32')
    const x = vals(u)
    expect(Math.abs(mean(x) - 1)).toBeLessThan(5 * 8 * Math.sqrt(1 / 12 / n))
    expect(Math.abs(variance(x) - 64 / 12)).toBeLessThan(5 * 64 * Math.sqrt((1 / 80 - 1 / 144) / n))
    expect(ksStatistic(x, (v) => (v + 3) / 8)).toBeLessThan(ksThreshold(n))
    expect(x.every((v) => v >= -3 && v < 5 && Number.isInteger(((v + 3) / 8) * 2 ** 24))).toBe(true)
  })
  it('normal float64: mean 0, variance 1, KS against Φ; finite and |z| ≤ √(106 ln 2)', () => {
    const x = vals(random.normal(random.key(5), [n]))
    expect(Math.abs(mean(x))).toBeLessThan(5 / Math.sqrt(n))
    expect(Math.abs(variance(x) - 1)).toBeLessThan(5 * Math.sqrt(2 / n))
    expect(ksStatistic(x, normalCdf)).toBeLessThan(ksThreshold(n))
    expect(x.every((v) => Number.isFinite(v) && Math.abs(v) <= Math.sqrt(106 * Math.LN2))).toBe(true)
  })
  it('normal float32: float32 out, KS against Φ, finite; odd sizes and 0-d shapes', () => {
    const m = 20001
    const z = random.normal(random.key(6), [m], { dtype: 'float32' })
    expect(z.dtype).toBe('float32')
    const x = vals(z)
    expect(ksStatistic(x, normalCdf)).toBeLessThan(ksThreshold(m))
    expect(x.every((v) => Number.isFinite(v) && Math.fround(v) === v)).toBe(true)
    expect(random.normal(random.key(6)).shape).toEqual([])
    expect(random.normal(random.key(6), [0]).shape).toEqual([0])
  })
  it('gumbel: mean γ, variance π²/6, always finite', () => {
    const n = 30000
    const x = vals(random.gumbel(random.key(7), [n]))
    const sd = Math.PI / Math.sqrt(6)
    expect(Math.abs(mean(x) - 0.5772156649)).toBeLessThan((5 * sd) / Math.sqrt(n))
    // Var(S²) ≈ (μ₄ − σ⁴) / n, with the Gumbel kurtosis μ₄ = 5.4 σ⁴
    expect(Math.abs(variance(x) - sd * sd)).toBeLessThan(5 * sd * sd * Math.sqrt(4.4 / n))
    expect(x.every(Number.isFinite)).toBe(true)
  })
  it('bernoulli: frequency p within 5 standard errors; an Array p broadcasts by rows; p = 0 and 1 are exact', () => {
    const n = 30000
    const b = random.bernoulli(random.key(8), 0.3, [n])
    expect(b.dtype).toBe('bool')
    expect(Math.abs(mean(vals(b)) - 0.3)).toBeLessThan(5 * Math.sqrt((0.3 * 0.7) / n))
    const m = 10000
    const rows = random.bernoulli(random.key(9), np.array([[0.1], [0.9]], { dtype: 'float32' }), [2, m])
    expect(rows.shape).toEqual([2, m])
    const v = vals(rows)
    for (const [r, p] of [[0, 0.1], [1, 0.9]]) {
      expect(Math.abs(mean(v.slice(r * m, (r + 1) * m)) - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / m))
    }
    expect(vals(random.bernoulli(random.key(1), 0, [1000])).every((t) => t === 0)).toBe(true)
    expect(vals(random.bernoulli(random.key(1), 1, [1000])).every((t) => t === 1)).toBe(true)
    expect(random.bernoulli(random.key(1)).shape).toEqual([])
  })
  it('categorical: frequencies of softmax(logits) (unnormalized) by chi-square; −∞ is never drawn', () => {
    const p = [0.1, 0.2, 0.3, 0.4]
    const logits = np.array(p.map((q) => Math.log(q) - 42))
    const m = 20000
    const s = random.categorical(random.key(10), logits, { shape: [m] })
    expect(s.dtype).toBe('int32')
    expect(s.shape).toEqual([m])
    expect(chiSquare(counts(vals(s), 4), p.map((q) => q * m))).toBeLessThan(chiSquareThreshold(3))
    const masked = vals(random.categorical(random.key(10), np.array([0, -Infinity, 0]), { shape: [2000] }))
    expect(masked.includes(1)).toBe(false)
    expect(masked.filter((i) => i === 0).length).toBeGreaterThan(900)
  })
  it('categorical along axis 0 with leading sample axes: one independent distribution per column', () => {
    // columns: (0.5, 0.5) and (0.1, 0.9)
    const logits = np.log(np.array([[0.5, 0.1], [0.5, 0.9]]))
    const m = 10000
    const s = random.categorical(random.key(12), logits, { axis: 0, shape: [m, 2] })
    expect(s.shape).toEqual([m, 2])
    const v = vals(s)
    const col = (j: number) => v.filter((_, i) => i % 2 === j)
    expect(chiSquare(counts(col(0), 2), [m / 2, m / 2])).toBeLessThan(chiSquareThreshold(1))
    expect(chiSquare(counts(col(1), 2), [0.1 * m, 0.9 * m])).toBeLessThan(chiSquareThreshold(1))
  })
})

describe('permutation', () => {
  it('is a permutation of 0 … n − 1 (int32), for n = 0, 1, 2, 10 and 2000 (two sort rounds)', () => {
    for (const n of [0, 1, 2, 10, 2000]) {
      const p = random.permutation(random.key(n + 1), n)
      expect(p.dtype).toBe('int32')
      expect(p.shape).toEqual([n])
      expect([...vals(p)].sort((a, b) => a - b)).toEqual([...Array(n).keys()])
    }
    expect(vals(random.permutation(random.key(1), 2000))).not.toEqual([...Array(2000).keys()])
  })
  it('all 6 orders of 3 items are equally likely (chi-square over 3000 keys, via vmap)', () => {
    const keys = random.split(random.key(13), 3000)
    const v = vals(vmap((k: Tracer) => random.permutation(k, 3))(keys))
    const code = (i: number) => v[3 * i] * 3 + v[3 * i + 1] // distinct for the 6 orders
    const codes = [...Array(3000).keys()].map(code)
    const seen = [...new Set(codes)].sort((a, b) => a - b)
    expect(seen).toHaveLength(6)
    const c = seen.map((s) => codes.filter((x) => x === s).length)
    expect(chiSquare(c, c.map(() => 500))).toBeLessThan(chiSquareThreshold(5))
  })
  it('an Array: its rows are permuted, each row intact', () => {
    const x = np.arange(12).reshape([4, 3])
    const y = random.permutation(random.key(3), x)
    expect(y.shape).toEqual([4, 3])
    const rows = y.tolist() as number[][]
    expect(rows.map((r) => r[0] / 3).sort()).toEqual([0, 1, 2, 3])
    rows.forEach((r) => expect(r).toEqual([r[0], r[0] + 1, r[0] + 2]))
  })
})

describe('float32 outputs and ranges', () => {
  it('uniform: float32 dtype; bounds are rounded to float32; values stay below maxval', () => {
    const u = random.uniform(random.key(14), [1000], { dtype: 'float32', minval: 0.1, maxval: 0.3 })
    expect(u.dtype).toBe('float32')
    expect(vals(u).every((v) => v >= Math.fround(0.1) && v < Math.fround(0.3))).toBe(true)
  })
  it('rounding up to maxval is clamped: [1, nextafter(1)) holds only 1 (float32 and float64)', () => {
    // u · 2^-23 + 1 rounds to 1 + 2^-23 for u > 1/2: without the clamp, half the draws would be maxval
    expect(vals(random.uniform(random.key(15), [1000], { dtype: 'float32', minval: 1, maxval: 1 + 2 ** -23 })).every((v) => v === 1)).toBe(true)
    expect(vals(random.uniform(random.key(15), [1000], { minval: 1, maxval: 1 + 2 ** -52 })).every((v) => v === 1)).toBe(true)
    expect(vals(random.uniform(random.key(15), [1000], { minval: -1 - 2 ** -52, maxval: -1 })).every((v) => v === -1 - 2 ** -52)).toBe(true)
    const u = vals(random.uniform(random.key(16), [1000], { dtype: 'float32', minval: -2, maxval: 0 }))
    expect(u.every((v) => v >= -2 && v < 0)).toBe(true)
  })
  it('float64 uniforms carry 53 random bits: multiples of 2^-53 that are not all multiples of 2^-52', () => {
    const x = vals(random.uniform(random.key(17), [200]))
    expect(x.every((v) => Number.isInteger(v * 2 ** 53))).toBe(true)
    expect(x.some((v) => !Number.isInteger(v * 2 ** 52))).toBe(true)
  })
})

describe('vmap over keys equals a loop over keys', () => {
  const keys = random.split(random.key(99), 4)
  for (const [name, f] of Object.entries(SAMPLERS)) {
    it(name, () => {
      const batched = vmap(f)(keys)
      const loop = [0, 1, 2, 3].map((i) => f(row(keys, i)))
      expect(batched.shape).toEqual([4, ...loop[0].shape])
      expect(batched.dtype).toBe(loop[0].dtype)
      expect(vals(batched)).toEqual(loop.flatMap(vals))
    })
  }
  it('keys batched along axis 1 ([2, B]), and jit(vmap(…))', () => {
    const f = SAMPLERS.normal
    const loop = [0, 1, 2, 3].flatMap((i) => vals(f(row(keys, i))))
    expect(vals(vmap(f, { inAxes: 1 })(np.transpose(keys)))).toEqual(loop)
    expect(vals(jit(vmap(f))(keys))).toEqual(loop)
  })
  it('vmap over seeds: random.key of each seed', () => {
    const seeds = np.array([0, 1, -2, 77], { dtype: 'int32' })
    const ks = vmap((s: Tracer) => random.key(s))(seeds)
    expect(u32(ks)).toEqual([0, 0, 0, 1, 0, 4294967294, 0, 77])
    const draws = vmap((s: Tracer) => random.uniform(random.key(s), [2]))(seeds)
    expect(vals(draws)).toEqual([0, 1, -2, 77].flatMap((s) => vals(random.uniform(random.key(s >>> 0), [2]))))
  })
  it('vmap over foldIn data: folds of each datum', () => {
    const k = random.key(5)
    const got = vmap((d: Tracer) => random.foldIn(k, d))(np.array([0, 1, 2], { dtype: 'int32' }))
    expect(u32(got)).toEqual(u32(random.split(k, 3)))
  })
})

describe('random numbers compose with differentiation', () => {
  it('reparameterization: d/dσ Σ(μ + σ z) = Σ z', () => {
    const k = random.key(21)
    const z = random.normal(k, [5])
    const g = grad((sigma: Tracer) => random.normal(k, [5]).mul(sigma).add(1).sum())(np.array(2))
    expect(g.item()).toBeCloseTo(vals(z).reduce((a, b) => a + b, 0), 12)
  })
})

describe('errors name the function, what was expected and what was got', () => {
  const k = random.key(0)
  it('bad seeds', () => {
    expect(() => random.key(1.5)).toThrow(ValueError)
    expect(() => random.key(1.5)).toThrow(/random\.key: seed must be an integer.*got 1\.5/)
    expect(() => random.key(NaN)).toThrow(ValueError)
    expect(() => random.key(2 ** 60)).toThrow(/safe JS integer/)
    expect(() => random.key('3' as unknown as number)).toThrow(/seed must be a JS integer or a 0-d int32 Array, got string 3/)
    expect(() => random.key(np.array(1.5))).toThrow(DTypeError)
    expect(() => random.key(np.array([1, 2], { dtype: 'int32' }))).toThrow(ShapeError)
    expect(() => random.key(np.array([1, 2], { dtype: 'int32' }))).toThrow(/must be a scalar \(0-d\), got i32\[2\]/)
  })
  it('bad keys', () => {
    expect(() => random.uniform(np.array([1, 2, 3], { dtype: 'int32' }))).toThrow(ShapeError)
    expect(() => random.uniform(np.array([1, 2, 3], { dtype: 'int32' }))).toThrow(/random\.uniform: key must have shape \[2\], got i32\[3\]/)
    expect(() => random.normal(random.split(k, 4))).toThrow(/got i32\[4,2\]\. For a batch of keys \[4, 2\], map over it: vmap/)
    expect(() => random.bits(np.array([0, 1]))).toThrow(DTypeError)
    expect(() => random.bits(np.array([0, 1]))).toThrow(/random\.bits: key must be int32\[2\].*got f64\[2\]/)
    expect(() => random.split(0 as unknown as Tracer)).toThrow(ValueError)
    expect(() => random.split(0 as unknown as Tracer)).toThrow(/random\.split: key must be an Array made by random\.key\(seed\)/)
  })
  it('bad shapes', () => {
    expect(() => random.uniform(k, [-1])).toThrow(ValueError)
    expect(() => random.uniform(k, [-1])).toThrow(/random\.uniform: shape entries must be non-negative integers, got \[-1\]/)
    expect(() => random.normal(k, [2.5])).toThrow(ValueError)
    expect(() => random.bits(k, 3 as unknown as number[])).toThrow(/shape must be a JS array of non-negative integers, got number 3/)
    expect(() => random.bits(k, np.array([3]) as unknown as number[])).toThrow(/shapes are static/)
    expect(() => random.split(k, -1)).toThrow(/random\.split: num must be a non-negative integer, got -1/)
  })
  it('bad dtypes and bounds', () => {
    expect(() => random.uniform(k, [2], { dtype: 'int32' as 'float32' })).toThrow(DTypeError)
    expect(() => random.uniform(k, [2], { dtype: 'int32' as 'float32' })).toThrow(/dtype must be 'float32' or 'float64', got string int32/)
    expect(() => random.normal(k, [2], { dtype: 'bool' as 'float32' })).toThrow(DTypeError)
    expect(() => random.uniform(k, [2], { minval: 1, maxval: 1 })).toThrow(/needs minval < maxval in float64/)
    expect(() => random.uniform(k, [2], { minval: 1, maxval: 1 + 1e-9, dtype: 'float32' })).toThrow(/minval < maxval in float32/)
    expect(() => random.uniform(k, [2], { maxval: Infinity })).toThrow(/maxval must be a finite JS number/)
    expect(() => random.uniform(k, [2], { minval: -1.5e308, maxval: 1.5e308 })).toThrow(/overflows float64/)
  })
  it('bad distribution arguments', () => {
    expect(() => random.bernoulli(k, 1.5)).toThrow(ValueError)
    expect(() => random.bernoulli(k, NaN)).toThrow(/p must be a probability in \[0, 1\], got NaN/)
    expect(() => random.bernoulli(k, np.array([1, 0], { dtype: 'int32' }))).toThrow(DTypeError)
    expect(() => random.bernoulli(k, np.array([0.1, 0.2, 0.3]), [2])).toThrow(ShapeError)
    expect(() => random.bernoulli(k, np.array([0.1, 0.2, 0.3]), [2])).toThrow(/p of shape \[3\] does not broadcast to the shape \[2\]/)
    expect(() => random.permutation(k, -1)).toThrow(/random\.permutation: n must be a non-negative integer/)
    expect(() => random.permutation(k, 2.5)).toThrow(ValueError)
    expect(() => random.permutation(k, np.array(3))).toThrow(ShapeError)
    expect(() => random.categorical(k, np.array([1, 2], { dtype: 'int32' }))).toThrow(DTypeError)
    expect(() => random.categorical(k, np.zeros([2, 3]), { shape: [5] })).toThrow(ShapeError)
    expect(() => random.categorical(k, np.zeros([2, 3]), { shape: [5] })).toThrow(/shape \[5\] must end with the batch shape \[2\]/)
    expect(() => random.categorical(k, np.zeros([2, 3]), { axis: 2 })).toThrow(AxisError)
    expect(() => random.foldIn(k, 1.5)).toThrow(/random\.foldIn: data must be an integer in \[-2\^31, 2\^32\), got 1\.5/)
    expect(() => random.foldIn(k, 2 ** 32)).toThrow(ValueError)
    expect(() => random.foldIn(k, np.array(1.0))).toThrow(DTypeError)
  })
  it('errors are the same under jit', () => {
    expect(() => jit((key: Tracer) => random.uniform(key, [-1]))(k)).toThrow(ValueError)
    expect(() => jit((key: Tracer) => random.normal(key, [2], { dtype: 'int32' as 'float32' }))(k)).toThrow(DTypeError)
    expect(() => jit((key: Tracer) => random.bits(key))(np.array([1, 2, 3], { dtype: 'int32' }))).toThrow(ShapeError)
  })
})
