/**
 * Test helpers for the random suite: a scalar Threefry-2x32 written independently of the
 * library (plain uint32 arithmetic on JS numbers, one loop over the 20 rounds), JAX's float
 * conversions, and statistics (Kolmogorov–Smirnov, chi-square) with fixed thresholds.
 */
import type { Tracer } from '../../src/core/tracer'

// ---- a scalar reference Threefry-2x32-20 ---------------------------------------------------

const ROT = [13, 15, 26, 6, 17, 29, 16, 24]
const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0

/** Threefry-2x32-20 of the counter (x0, x1) under the key (k0, k1), all uint32 numbers. */
export const refThreefry = (k0: number, k1: number, x0: number, x1: number): [number, number] => {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0]
  let a = (x0 + ks[0]) >>> 0
  let b = (x1 + ks[1]) >>> 0
  for (let round = 0; round < 20; round++) {
    a = (a + b) >>> 0
    b = (rotl(b, ROT[round % 8]) ^ a) >>> 0
    if (round % 4 === 3) {
      const s = (round + 1) / 4
      a = (a + ks[s % 3]) >>> 0
      b = (b + ks[(s + 1) % 3] + s) >>> 0
    }
  }
  return [a, b]
}

/** The uint32 words of an int32 array (or key). */
export const u32 = (x: Tracer): number[] => Array.from(x.toTypedArray(), (v) => Number(v) >>> 0)

/** JAX's float32 uniform of a 32-bit word: the top 23 bits as the mantissa of [1, 2), minus 1. */
export const jaxFloat32 = (w: number): number => Math.fround((w >>> 9) * 2 ** -23)

// ---- statistics ----------------------------------------------------------------------------

export const mean = (xs: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]
  return s / xs.length
}
export const variance = (xs: ArrayLike<number>): number => {
  const m = mean(xs)
  let s = 0
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2
  return s / (xs.length - 1)
}

/** erfc to ~1.2e-7 relative error (Numerical Recipes' Chebyshev fit). */
const erfc = (x: number): number => {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const p =
    -z * z - 1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
    t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  const r = t * Math.exp(p)
  return x >= 0 ? r : 2 - r
}
export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2)

/** The Kolmogorov–Smirnov statistic D = sup |F_n − F| of a sample against a CDF. */
export const ksStatistic = (xs: ArrayLike<number>, cdf: (x: number) => number): number => {
  const s = Float64Array.from(xs).sort()
  const n = s.length
  let d = 0
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i])
    d = Math.max(d, (i + 1) / n - f, f - i / n)
  }
  return d
}
/** √n D exceeds 1.9495 with probability 0.001 (Kolmogorov's limit distribution). */
export const ksThreshold = (n: number): number => 1.9495 / Math.sqrt(n)

/** Pearson's chi-square of observed counts against expected counts. */
export const chiSquare = (observed: readonly number[], expected: readonly number[]): number =>
  observed.reduce((s, o, i) => s + (o - expected[i]) ** 2 / expected[i], 0)
/** The 0.999 quantile of chi-square with `df` degrees of freedom (Wilson–Hilferty). */
export const chiSquareThreshold = (df: number): number => {
  const z = 3.0902 // the 0.999 quantile of N(0, 1)
  const a = 2 / (9 * df)
  return df * (1 - a + z * Math.sqrt(a)) ** 3
}
