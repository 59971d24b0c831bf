/**
 * gammaln, gamma, digamma, polygamma, betaln (float32 and float64).
 *
 * log Γ for y > 0 is reduced to lgamma(1 + z), |z| ≤ ½, by the recurrence Γ(y + 1) = y Γ(y):
 *   lgamma(1 + z) = (1 − γ) z − log1p(z) + z² Σ_{k≥2} (−1)^k (ζ(k) − 1) z^{k−2}/k
 * (the Taylor series of log Γ(1 + z) with the slowly converging part Σ (−z)^k/k summed as
 * z − log1p(z); the rest converges like 4^{−k}). Near 2 the log1p cancels analytically:
 *   lgamma(2 + z) = (1 − γ) z + z² Σ …
 * so both zeros (x = 1, 2) keep their relative accuracy. y ∈ [1.5, 10) is brought down to
 * [1.5, 2.5) by a product of at most 8 factors; y ≥ 10 uses Stirling's series
 *   (y − ½)(log y − 1) + (½ log 2π − ½) + Σ_{k=1}^{8} B_{2k}/(2k(2k − 1) y^{2k−1}),
 * and x ≤ 0 the reflection log|Γ(x)| = log π − log|sin πx| − log Γ(1 − x) (sin πx with exact
 * argument reduction x − round(x)).
 *
 * digamma: ψ(x) = ψ(x + n) − Σ_{i<n} 1/(x + i) up to x + n ≥ 10, then
 *   ψ(y) = log y − 1/(2y) − Σ_{k=1}^{8} B_{2k}/(2k y^{2k}); reflection ψ(x) = ψ(1 − x) − π cot πx.
 * polygamma(n, x) = (−1)^{n+1} n! ζ(n + 1, x) with the Hurwitz ζ summed up to x + m ≥ 10 + 2n
 * and an Euler–Maclaurin tail; for x ≤ 0 the n-times differentiated reflection formula
 *   ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1 − x) − π^{n+1} Pₙ(cot πx),  P₀(c) = c,  P_{k+1}(c) = −(1 + c²) P_k′(c).
 *
 * Derivatives are custom JVP rules: gammaln′ = digamma, digamma′ = polygamma(1, ·),
 * polygamma(n, ·)′ = polygamma(n + 1, ·), gamma′ = gamma·digamma.
 */
import type { Tracer } from '../core/tracer'
import { ValueError } from '../core/errors'
import { add, and, div, eq, ge, gt, le, lt, mul, pow, sub } from '../primitives/binary'
import { abs, cos, exp, floor, log, log1p, neg, sin } from '../primitives/unary'
import { describe } from '../primitives/util'
import { type ArrayLike, broadcastTo, promoteToFloat } from '../numpy/promote'
import { absSinPi, inFloat64, floatArg, fracPart, horner, isInteger, isNan, lit, where, withJvp } from './util'

const EULER_GAMMA = 0.5772156649015329
/** ζ(k) − 1 for k = 2 … 31 (mpmath, 40 digits, rounded). */
const ZETA_M1 = [
  0.6449340668482264, 0.2020569031595943, 0.08232323371113819, 0.03692775514336993, 0.01734306198444914,
  0.008349277381922827, 0.00407735619794434, 0.0020083928260822143, 0.0009945751278180853, 0.0004941886041194645,
  0.0002460865533080483, 0.00012271334757848915, 6.124813505870483e-5, 3.058823630702049e-5, 1.528225940865187e-5,
  7.637197637899763e-6, 3.81729326499984e-6, 1.908212716553939e-6, 9.539620338727962e-7, 4.769329867878064e-7,
  2.38450502727733e-7, 1.1921992596531106e-7, 5.960818905125948e-8, 2.980350351465228e-8, 1.4901554828365043e-8,
  7.45071178983543e-9, 3.725334024788457e-9, 1.862659723513049e-9, 9.313274324196682e-10, 4.656629065033784e-10,
]
/** (−1)^k (ζ(k) − 1)/k, k = 2 …: the coefficients of z^{k−2}. */
const LG_SERIES = ZETA_M1.map((v, i) => ((i % 2 === 0 ? 1 : -1) * v) / (i + 2))
/** Bernoulli numbers B₂, B₄, …, B₂₀. */
const BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330]
/** Stirling: B_{2k}/(2k(2k − 1)), k = 1 … 8, the coefficients of y^{−(2k−1)}. */
const STIRLING = BERNOULLI.slice(0, 8).map((b, i) => b / ((2 * i + 2) * (2 * i + 1)))
/** digamma: B_{2k}/(2k), k = 1 … 8, the coefficients of y^{−2k}. */
const PSI_ASYM = BERNOULLI.slice(0, 8).map((b, i) => b / (2 * i + 2))
const HALF_LOG_2PI_M_HALF = 0.5 * Math.log(2 * Math.PI) - 0.5

/**
 * The pieces of log Γ(y), y > 0 finite-or-∞: `core` (the series part, or Stirling for y ≥ 10)
 * and a correction, with Γ(y) = e^{core}·mult for y < 10 (mult a product or a reciprocal).
 */
const lgammaParts = (y: Tracer) => {
  const A = lt(y, 0.5)
  const B = lt(y, 1.5)
  const D = ge(y, 10)
  const yc = where(D, lit(y, 2), y) // y < 10 here
  const n = where(lt(yc, 1.5), lit(y, 0), floor(sub(yc, 1.5))) // 0 … 8
  let P = lit(y, 1)
  for (let i = 1; i <= 8; i++) P = mul(P, where(ge(n, i), sub(yc, i), lit(y, 1)))
  const z = where(A, yc, where(B, sub(yc, 1), sub(sub(yc, n), 2)))
  const series = add(mul(z, 1 - EULER_GAMMA), mul(mul(z, z), horner(z, LG_SERIES)))
  // A: lgamma(1 + y) − log y; B: lgamma(1 + z); C: lgamma(2 + z) + log P
  const ys = where(A, yc, lit(y, 1))
  const small = sub(series, log1p(z))
  const yd = where(D, y, lit(y, 10))
  const inv = div(1, yd)
  const stirling = add(add(mul(sub(yd, 0.5), sub(log(yd), 1)), HALF_LOG_2PI_M_HALF), mul(inv, horner(mul(inv, inv), STIRLING)))
  return { A, B, D, P, ys, series, small, stirling }
}

/** log Γ(y) for y > 0. */
const lgammaPos = (y: Tracer): Tracer => {
  const { A, B, D, P, ys, series, small, stirling } = lgammaParts(y)
  const below = where(A, sub(small, log(ys)), where(B, small, add(series, log(P))))
  return where(D, stirling, below)
}

/** Γ(y) for y > 0: e^{small}·P directly below 10 (a few ulp), e^{lgamma} above. */
const gammaPos = (y: Tracer): Tracer => {
  const { A, B, D, P, ys, series, small, stirling } = lgammaParts(y)
  const below = where(A, div(exp(small), ys), where(B, exp(small), mul(exp(series), P)))
  return where(D, exp(stirling), below)
}

const gammalnImpl = (x: Tracer): Tracer => {
  const pos = gt(x, 0)
  const L = lgammaPos(where(pos, x, sub(1, x)))
  const refl = sub(sub(Math.log(Math.PI), log(absSinPi(x))), L)
  return where(isNan(x), x, where(pos, L, where(eq(x, -Infinity), lit(x, Infinity), refl)))
}

/** 1/tan(π x), exact argument reduction. */
const cotPi = (x: Tracer): Tracer => {
  const r = mul(fracPart(x), Math.PI)
  return div(cos(r), sin(r))
}

/** ψ(y) for y > 0. */
const digammaPos = (y0: Tracer): Tracer => {
  let y = y0
  let acc = lit(y0, 0)
  for (let i = 0; i < 10; i++) {
    const m = lt(y, 10)
    acc = add(acc, where(m, div(1, y), lit(y0, 0)))
    y = where(m, add(y, 1), y)
  }
  const inv2 = div(1, mul(y, y))
  const asym = sub(sub(log(y), div(0.5, y)), mul(inv2, horner(inv2, PSI_ASYM)))
  return sub(asym, acc)
}

const digammaImpl = (x: Tracer): Tracer => {
  const pos = gt(x, 0)
  const P = digammaPos(where(pos, x, sub(1, x)))
  const refl = sub(P, mul(cotPi(x), Math.PI))
  const pole = and(le(x, 0), isInteger(x))
  return where(pos, P, where(pole, lit(x, NaN), where(eq(x, -Infinity), lit(x, NaN), refl)))
}

/** Coefficients of Pₙ(c): P₀ = c, P_{k+1}(c) = −(1 + c²)·P_k′(c). */
const cotDerivativePoly = (n: number): number[] => {
  let p = [0, 1]
  for (let k = 0; k < n; k++) {
    const d = p.slice(1).map((c, i) => c * (i + 1)) // P′
    const q = new Array<number>(d.length + 2).fill(0)
    d.forEach((c, i) => {
      q[i] -= c
      q[i + 2] -= c
    })
    p = q
  }
  return p
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1))

/** ψ⁽ⁿ⁾(y) for y > 0: (−1)^{n+1} n! ζ(n + 1, y), Hurwitz ζ by recurrence + Euler–Maclaurin. */
const polygammaPos = (n: number, y0: Tracer): Tracer => {
  const s = n + 1
  const top = 10 + 2 * n
  let y = y0
  let acc = lit(y0, 0)
  for (let i = 0; i < top; i++) {
    const m = lt(y, top)
    acc = add(acc, where(m, pow(y, lit(y0, -s)), lit(y0, 0)))
    y = where(m, add(y, 1), y)
  }
  // ζ(s, y) ≈ y^{1−s}/(s − 1) + y^{−s}/2 + Σ_k B_{2k}/(2k)! · s(s+1)…(s+2k−2) · y^{−s−2k+1}
  const coeffs: number[] = []
  let rising = s // s (s + 1) … (s + 2k − 2)
  for (let k = 1; k <= 10; k++) {
    coeffs.push((BERNOULLI[k - 1] / factorial(2 * k)) * rising)
    rising *= (s + 2 * k - 1) * (s + 2 * k)
  }
  const ys = pow(y, lit(y, -s))
  const inv = div(1, y)
  const em = add(add(div(mul(ys, y), s - 1), mul(ys, 0.5)), mul(mul(ys, inv), horner(mul(inv, inv), coeffs)))
  const zeta = add(acc, em)
  return mul(zeta, (n % 2 === 1 ? 1 : -1) * factorial(n))
}

const polygammaImpl = (n: number, x: Tracer): Tracer => {
  const pos = gt(x, 0)
  const P = polygammaPos(n, where(pos, x, sub(1, x)))
  const c = cotPi(where(pos, lit(x, 0.25), x))
  const refl = sub(mul(P, n % 2 === 0 ? 1 : -1), mul(horner(c, cotDerivativePoly(n)), Math.PI ** (n + 1)))
  const pole = and(le(x, 0), isInteger(x))
  const poleValue = lit(x, n % 2 === 1 ? Infinity : -Infinity)
  return where(pos, P, where(pole, poleValue, where(eq(x, -Infinity), lit(x, NaN), refl)))
}

const polygammaCache = new Map<number, (x: Tracer) => Tracer>()
/** ψ⁽ⁿ⁾ as a function with a custom JVP (ψ⁽ⁿ⁺¹⁾), one per order. */
const polygammaJ = (n: number): ((x: Tracer) => Tracer) => {
  let f = polygammaCache.get(n)
  if (f === undefined) {
    f = withJvp(`special.polygamma${n}`, (x: Tracer) => polygammaImpl(n, x), ([x], [t]) => mul(t, polygammaJ(n + 1)(x)))
    polygammaCache.set(n, f)
  }
  return f
}

const digammaJ = withJvp('special.digamma', (x: Tracer) => digammaImpl(x), ([x], [t]) => mul(t, polygammaJ(1)(x)))
const gammalnJ = withJvp('special.gammaln', (x: Tracer) => gammalnImpl(x), ([x], [t]) => mul(t, digammaJ(x)))

const gammaImpl = (x: Tracer): Tracer => {
  const pos = gt(x, 0)
  const G = gammaPos(where(pos, x, sub(1, x)))
  // Γ(x) = π / (sin(πx) Γ(1 − x)); sin(π x) = ±|sin(π r)| with the sign of (−1)^{round x}·r
  const r = fracPart(x)
  const even = eq(fracPart(mul(sub(x, r), 0.5)), lit(x, 0)) // round(x) even
  const sinPiX = mul(sin(mul(r, Math.PI)), where(even, lit(x, 1), lit(x, -1)))
  const refl = div(Math.PI, mul(sinPiX, G))
  const zero = eq(x, 0)
  const pole = and(lt(x, 0), isInteger(x))
  return where(pos, G, where(zero, div(1, x), where(pole, lit(x, NaN), where(eq(x, -Infinity), lit(x, NaN), refl))))
}

// Γ′ = Γ·ψ, in the call's own output
const gammaJ = withJvp('special.gamma', (x: Tracer) => gammaImpl(x), ([x], [t], g) => mul(t, mul(g, digammaJ(x))))

/** log|Γ(x)| (+∞ at the poles x = 0, −1, −2, …), as jax.scipy.special.gammaln. */
export const gammaln = (x: ArrayLike): Tracer => inFloat64(gammalnJ)(floatArg(x, 'gammaln'))

/** ψ(x) = d/dx log Γ(x); NaN at the poles x = 0, −1, −2, … */
export const digamma = (x: ArrayLike): Tracer => inFloat64(digammaJ)(floatArg(x, 'digamma'))

/** Γ(x): ±∞ at ±0, NaN at the negative integers and −∞ (as jax.scipy.special.gamma). */
export const gamma = (x: ArrayLike): Tracer => inFloat64(gammaJ)(floatArg(x, 'gamma'))

/** ψ⁽ⁿ⁾(x), the n-th derivative of digamma, for a static integer order n ≥ 0 (0: digamma). */
export const polygamma = (n: number, x: ArrayLike): Tracer => {
  if (!Number.isInteger(n) || n < 0 || n > 20) {
    throw new ValueError(`special.polygamma: n must be a JS integer in [0, 20], got ${describe(n)}`)
  }
  const t = floatArg(x, 'polygamma')
  return inFloat64(n === 0 ? digammaJ : polygammaJ(n))(t)
}

/** Stirling's correction log Γ(y) − [(y − ½)(log y − 1) + ½ log 2π], y ≥ 10. */
const stirlingCorr = (y: Tracer): Tracer => {
  const inv = div(1, y)
  return mul(inv, horner(mul(inv, inv), STIRLING))
}

/**
 * log|B(a, b)|. With a ≤ b (swapped if needed): gammaln(a) + gammaln(b) − gammaln(a + b) when
 * b < 10 or a ≤ 0; otherwise Stirling's series with the large terms cancelled analytically:
 *   a < 10 ≤ b:  gammaln(a) − (b − ½) log1p(a/b) − a log(a + b) + a + c(b) − c(a + b)
 *   10 ≤ a ≤ b:  ½ log 2π + (a − ½) log(a/(a + b)) − (b − ½) log1p(a/b) − ½ log(a + b)
 *                + c(a) + c(b) − c(a + b)
 * (c: stirlingCorr), so betaln(0.3, 800) keeps its digits where the plain sum of three
 * gammaln values of size ~5000 would lose ten of them.
 */
const betalnImpl = (x: Tracer, y: Tracer): Tracer => {
  const a = where(lt(x, y), x, y)
  const b = where(lt(x, y), y, x)
  const direct = sub(add(gammalnJ(a), gammalnJ(b)), gammalnJ(add(a, b)))
  const big = and(gt(a, 0), ge(b, 10))
  const both = and(big, ge(a, 10))
  const bb = where(big, b, lit(b, 10))
  const aa = where(big, a, lit(a, 1))
  const s = add(aa, bb)
  const l1p = mul(sub(bb, 0.5), log1p(div(aa, bb)))
  const oneBig = add(sub(sub(gammalnJ(aa), l1p), mul(aa, log(s))), add(aa, sub(stirlingCorr(bb), stirlingCorr(s))))
  const a2 = where(both, aa, lit(a, 10))
  const s2 = add(a2, bb)
  const l1p2 = mul(sub(bb, 0.5), log1p(div(a2, bb)))
  const twoBig = add(
    sub(sub(add(mul(sub(a2, 0.5), log(div(a2, s2))), 0.5 * Math.log(2 * Math.PI)), l1p2), mul(log(s2), 0.5)),
    sub(add(stirlingCorr(a2), stirlingCorr(bb)), stirlingCorr(s2)),
  )
  return where(both, twoBig, where(big, oneBig, direct))
}

// ∂a betaln = ψ(a) − ψ(a + b), ∂b betaln = ψ(b) − ψ(a + b); NaN where betaln is not finite
// (its poles, as JAX)
const betalnJ = withJvp('special.betaln', (a: Tracer, b: Tracer) => betalnImpl(a, b), ([a, b], [ta, tb], y) => {
  const s = digammaJ(add(a, b))
  const d = add(mul(ta, sub(digammaJ(a), s)), mul(tb, sub(digammaJ(b), s)))
  return where(lt(abs(y), Infinity), d, lit(d, NaN))
})

/** log|B(a, b)| = log|Γ(a) Γ(b) / Γ(a + b)| (a and b broadcast). */
export const betaln = (a: ArrayLike, b: ArrayLike): Tracer => {
  const [x, y] = promoteToFloat('special.betaln', a, b)
  const shape = x.ndim >= y.ndim ? x.shape : y.shape
  return inFloat64(betalnJ)(broadcastTo(x, shape, 'special.betaln'), broadcastTo(y, shape, 'special.betaln'))
}
