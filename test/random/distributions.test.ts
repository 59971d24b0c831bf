/**
 * The distributions beyond uniform/normal: support, shape and dtype, moments within k·σ/√n and
 * Kolmogorov–Smirnov statistics against the CDF (fixed keys, so nothing here is flaky),
 * determinism under jit and vmap over keys, and argument errors.
 */
import { describe, expect, it } from 'vitest'
import { jit, np, random, vmap } from '../../src/index'
import type { Tracer } from '../../src/core/tracer'
import { ksStatistic, ksThreshold, mean, normalCdf, variance } from './helpers'

const N = 20000
const vals = (x: Tracer): number[] => Array.from(x.toTypedArray(), Number)
const key = (i: number) => random.key(1000 + i)
/** |m − μ| ≤ 5σ/√n */
const closeMean = (xs: number[], mu: number, sigma: number) => expect(Math.abs(mean(xs) - mu)).toBeLessThanOrEqual((5 * sigma) / Math.sqrt(xs.length))

/** The regularized lower incomplete gamma P(a, x) by its series (x < a + 30 here). */
const gammaP = (a: number, x: number, logGammaA: number): number => {
  if (x <= 0) return 0
  let term = 1 / a
  let sum = term
  for (let k = 1; k < 500; k++) {
    term *= x / (a + k)
    sum += term
    if (term < sum * 1e-17) break
  }
  return Math.exp(a * Math.log(x) - x - logGammaA) * sum
}

describe('random: continuous distributions', () => {
  it('exponential: positive, mean 1, KS against 1 − e^{−x}', () => {
    const x = vals(random.exponential(key(0), [N]))
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0)
    closeMean(x, 1, 1)
    expect(ksStatistic(x, (t) => 1 - Math.exp(-t))).toBeLessThan(ksThreshold(N))
  })
  it('laplace, logistic, cauchy: KS against their CDFs; float32 keeps its dtype', () => {
    const cases: [typeof random.laplace, (t: number) => number][] = [
      [random.laplace, (t) => (t < 0 ? 0.5 * Math.exp(t) : 1 - 0.5 * Math.exp(-t))],
      [random.logistic, (t) => 1 / (1 + Math.exp(-t))],
      [random.cauchy, (t) => 0.5 + Math.atan(t) / Math.PI],
    ]
    cases.forEach(([f, cdf], i) => {
      const x = vals(f(key(10 + i), [N]))
      expect(x.every(Number.isFinite)).toBe(true)
      expect(ksStatistic(x, cdf)).toBeLessThan(ksThreshold(N))
      expect(f(key(0), [2], { dtype: 'float32' }).dtype).toBe('float32')
    })
  })
  it('truncatedNormal: inside [lower, upper], KS against the truncated normal CDF; array bounds broadcast', () => {
    const x = vals(random.truncatedNormal(key(20), -1, 2, [N]))
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...x)).toBeLessThanOrEqual(2)
    const [a, b] = [normalCdf(-1), normalCdf(2)]
    expect(ksStatistic(x, (t) => (normalCdf(t) - a) / (b - a))).toBeLessThan(ksThreshold(N))
    const y = random.truncatedNormal(key(21), np.array([0, 5]), np.array([1, 6]), [3, 2])
    expect(y.shape).toEqual([3, 2])
    const yv = vals(y)
    yv.forEach((v, i) => expect(v >= [0, 5][i % 2] && v <= [1, 6][i % 2]).toBe(true))
  })
  it('gamma: positive; mean a and variance a for a = 0.3, 1, 4.5; KS against P(a, x) for a = 3', () => {
    for (const a of [0.3, 1, 4.5]) {
      const x = vals(random.gamma(key(30), a, { shape: [N] }))
      expect(Math.min(...x), `a = ${a}`).toBeGreaterThan(0)
      closeMean(x, a, Math.sqrt(a))
      expect(Math.abs(variance(x) - a)).toBeLessThan(0.1 * a)
    }
    const x = vals(random.gamma(key(31), 3, { shape: [N] }))
    expect(ksStatistic(x, (t) => gammaP(3, t, Math.log(2)))).toBeLessThan(ksThreshold(N))
    const batch = random.gamma(key(32), np.array([0.5, 2, 8]))
    expect(batch.shape).toEqual([3])
  })
  it('beta: inside (0, 1), mean a/(a + b); dirichlet rows sum to 1 with mean alpha/Σalpha', () => {
    const x = vals(random.beta(key(40), 2, 5, { shape: [N] }))
    expect(x.every((v) => v > 0 && v < 1)).toBe(true)
    const m = 2 / 7
    closeMean(x, m, Math.sqrt((2 * 5) / (49 * 8)))
    const d = random.dirichlet(key(41), np.array([1, 2, 3]), { shape: [5000] })
    expect(d.shape).toEqual([5000, 3])
    const dv = vals(d)
    for (let i = 0; i < 5000; i++) expect(Math.abs(dv[3 * i] + dv[3 * i + 1] + dv[3 * i + 2] - 1)).toBeLessThan(1e-12)
    ;[1, 2, 3].forEach((al, j) => {
      const col = dv.filter((_, i) => i % 3 === j)
      const mu = al / 6
      closeMean(col, mu, Math.sqrt((mu * (1 - mu)) / 7))
    })
  })
  it('multivariateNormal: sample mean and covariance match; shape [...batch, n]', () => {
    const cov = np.array([[2, 0.6], [0.6, 1]])
    const x = random.multivariateNormal(key(50), np.array([1, -1]), cov, { shape: [N] })
    expect(x.shape).toEqual([N, 2])
    const v = vals(x)
    const a = v.filter((_, i) => i % 2 === 0)
    const b = v.filter((_, i) => i % 2 === 1)
    closeMean(a, 1, Math.sqrt(2))
    closeMean(b, -1, 1)
    const ma = mean(a)
    const mb = mean(b)
    const c = a.reduce((s, ai, i) => s + (ai - ma) * (b[i] - mb), 0) / (N - 1)
    expect(Math.abs(c - 0.6)).toBeLessThan(0.05)
    expect(Math.abs(variance(a) - 2)).toBeLessThan(0.1)
  })
})

describe('random: discrete distributions', () => {
  it('randint: int32 in [minval, maxval), every value about equally often', () => {
    const x = random.randint(key(60), [N], -3, 4)
    expect(x.dtype).toBe('int32')
    const v = vals(x)
    const counts = new Array(7).fill(0)
    v.forEach((t) => counts[t + 3]++)
    expect(Math.min(...v)).toBe(-3)
    expect(Math.max(...v)).toBe(3)
    counts.forEach((c) => expect(Math.abs(c - N / 7)).toBeLessThan(5 * Math.sqrt((N * (1 / 7) * 6) / 7)))
    expect(() => random.randint(key(0), [2], 3, 3)).toThrow(/minval < maxval/)
  })
  it('rademacher: ±1, mean 0', () => {
    const v = vals(random.rademacher(key(61), [N]))
    expect(v.every((t) => t === 1 || t === -1)).toBe(true)
    closeMean(v, 0, 1)
  })
  it('poisson: int32, mean and variance lam for lam = 0.5, 3 (Knuth) and 40 (PTRS); lam arrays', () => {
    for (const lam of [0.5, 3, 40]) {
      const x = random.poisson(key(62), lam, { shape: [5000] })
      expect(x.dtype).toBe('int32')
      const v = vals(x)
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0)
      closeMean(v, lam, Math.sqrt(lam))
      expect(Math.abs(variance(v) - lam)).toBeLessThan(0.12 * lam)
    }
    const b = vals(random.poisson(key(63), np.array([1, 100]), { shape: [2000, 2] }))
    closeMean(b.filter((_, i) => i % 2 === 0), 1, 1)
    closeMean(b.filter((_, i) => i % 2 === 1), 100, 10)
  })
  it('choice: with replacement uniform, without replacement distinct, with p by frequency, along an axis', () => {
    const w = vals(random.choice(key(70), 5, { shape: [N] }))
    closeMean(w, 2, Math.sqrt(2))
    const wo = vals(random.choice(key(71), 10, { shape: [10], replace: false }))
    expect([...wo].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const p = np.array([0.1, 0.2, 0.7])
    const wp = vals(random.choice(key(72), 3, { shape: [N], p }))
    ;[0.1, 0.2, 0.7].forEach((q, j) => expect(Math.abs(wp.filter((t) => t === j).length / N - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / N)))
    const wop = vals(random.choice(key(73), 3, { shape: [3], replace: false, p }))
    expect([...wop].sort()).toEqual([0, 1, 2])
    // the first pick without replacement follows p
    const firsts = vals(vmap((k: Tracer) => random.choice(k, 3, { shape: [1], replace: false, p }))(random.split(key(74), 4000)) as Tracer)
    ;[0.1, 0.2, 0.7].forEach((q, j) => expect(Math.abs(firsts.filter((t) => t === j).length / 4000 - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / 4000)))
    const a = np.arange(12).reshape([3, 4])
    const cols = random.choice(key(75), a, { shape: [2], axis: 1, replace: false })
    expect(cols.shape).toEqual([3, 2])
    const cv = vals(cols)
    expect(cv[2] - cv[0]).toBe(4) // whole columns
    expect(() => random.choice(key(0), 3, { shape: [4], replace: false })).toThrow(/without replacement/)
  })
})

describe('random: keys, jit and vmap', () => {
  const samplers: [string, (k: Tracer) => Tracer][] = [
    ['exponential', (k) => random.exponential(k, [3])],
    ['gamma', (k) => random.gamma(k, 2.5, { shape: [3] })],
    ['poisson', (k) => random.poisson(k, 20, { shape: [3] })],
    ['randint', (k) => random.randint(k, [3], 0, 100)],
    ['truncatedNormal', (k) => random.truncatedNormal(k, -2, 2, [3])],
    ['beta', (k) => random.beta(k, 2, 3, { shape: [3] })],
  ]
  for (const [name, f] of samplers) {
    it(`${name}: the same key gives the same numbers eagerly, under jit and under vmap over keys`, () => {
      const keys = random.split(key(80), 4)
      const eager = [0, 1, 2, 3].map((i) => vals(f(np.take(keys, i, 0))))
      expect(vals(jit(f)(np.take(keys, 1, 0)))).toEqual(eager[1])
      const batched = vmap(f)(keys) as Tracer
      expect(batched.shape).toEqual([4, 3])
      const bv = vals(batched)
      eager.forEach((row, i) => expect(bv.slice(3 * i, 3 * i + 3)).toEqual(row))
      expect(eager[0]).not.toEqual(eager[1])
    })
  }
})

describe('random.orthogonal', () => {
  it('QᵀQ = I for a batch; determinants of both signs occur (Haar on O(n)); errors', () => {
    const q = random.orthogonal(key(90), 4, [50])
    expect(q.shape).toEqual([50, 4, 4])
    const qtq = np.matmul(np.swapaxes(q, -1, -2), q)
    const err = vals(np.abs(qtq.sub(np.broadcastTo(np.eye(4), [50, 4, 4]))).max() as Tracer)[0]
    expect(err).toBeLessThan(1e-13)
    const dets = vals(np.linalg.det(q))
    dets.forEach((d) => expect(Math.abs(Math.abs(d) - 1)).toBeLessThan(1e-12))
    expect(dets.some((d) => d > 0) && dets.some((d) => d < 0)).toBe(true)
    // entries of a Haar matrix have mean 0 and variance 1/n
    const all = vals(random.orthogonal(key(91), 3, [3000]))
    closeMean(all, 0, Math.sqrt(1 / 3))
    expect(Math.abs(variance(all) - 1 / 3)).toBeLessThan(0.02)
    expect(() => random.orthogonal(key(0), 0)).toThrow(/positive JS integer/)
  })
})
