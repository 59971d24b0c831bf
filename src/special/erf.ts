/**
 * erf, erfc, erfinv, ndtr, ndtri, logNdtr (and erfcx internally), in float32 and float64.
 *
 * erf / erfc: the piecewise rational approximations of fdlibm's s_erf.c (W. J. Cody's scheme):
 *   |x| < 0.84375       erf(x) = x + x·P(x²)/Q(x²)
 *   0.84375 ≤ |x| < 1.25 erf(|x|) = erx + P(|x| − 1)/Q(|x| − 1)
 *   |x| ≥ 1.25           erfc(x) = e^{−x²}·erfcx(x), erfcx(x) = e^{−0.5625 + R(1/x²)/S(1/x²)}/x
 * e^{−x²} is computed as e^{−h²}·e^{−(x − h)(x + h)} with h = x rounded to half the mantissa
 * (Veltkamp split): h² is exact, so the tail keeps its relative accuracy where x² is large.
 *
 * erfinv / ndtri: an initial guess (M. Giles, "Approximating the erfinv function", GPU Computing
 * Gems 2011, single-precision polynomials; for far tails the asymptotic x² ≈ L − log(x√π),
 * L = −log(1 − |y|)) refined by three Halley steps on erf(x) = y, written as
 * erfc(x) = 1 − y when |y| ≥ ½ (1 − y is then exact, so the tails stay relative-accurate).
 *
 * Every function has its derivative as a registered jvp rule (the closed form, not the
 * derivative of the approximation, and closed forms again to any order): erf′ = 2/√π·e^{−x²},
 * erfinv′ = √π/2·e^{erfinv²}, ndtri′ = √(2π)·e^{ndtri²/2}, logNdtr′ = φ/Φ (= √(2/π)/erfcx(−x/√2)
 * in the left tail, no cancellation), erfcx′ = 2t·erfcx − 2/√π.
 */
import type { Tracer } from '../core/tracer'
import { add, and, div, ge, gt, le, lt, mul, sub } from '../primitives/binary'
import { abs, exp, log, log1p, neg, sign, sqrt } from '../primitives/unary'
import type { ArrayLike } from '../numpy/promote'
import { inFloat64, floatArg, horner, isNan, lit, where, withJvp } from './util'

// fdlibm s_erf.c coefficients. Copyright (C) 1993 by Sun Microsystems, Inc. All rights
// reserved. Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy,
// modify, and distribute this software is freely granted, provided that this notice is
// preserved.
const ERX = 8.45062911510467529297e-1
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5]
const QQ = [1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6]
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3]
const QA = [1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2]
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592]
const SA = [1, 1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2]
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2]
const SB = [1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1]

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI)

/** x·P(x²)/Q(x²) for |x| < 0.84375 (erf(x) = x + that). */
const smallCorr = (x: Tracer): Tracer => {
  const xs = where(lt(abs(x), 0.84375), x, lit(x, 0))
  const z = mul(xs, xs)
  return mul(xs, div(horner(z, PP), horner(z, QQ)))
}

/** P(s)/Q(s), s = |x| − 1, for 0.84375 ≤ |x| < 1.25 (erf(|x|) = erx + that). */
const midCorr = (a: Tracer): Tracer => {
  const s = sub(where(lt(a, 1.25), a, lit(a, 1)), 1)
  return div(horner(s, PA), horner(s, QA))
}

/** e^{−0.5625 + R(1/t²)/S(1/t²)}/t = erfcx(t) for t ≥ 1.25 (t is clamped into [1.25, ∞)). */
const erfcxTail = (t: Tracer): Tracer => {
  const tt = where(ge(t, 1.25), t, lit(t, 1.25))
  const large = lt(tt, 1 / 0.35)
  const ra = where(large, tt, lit(t, 2))
  const rb = where(large, lit(t, 3), tt)
  const ia = div(1, mul(ra, ra))
  const ib = div(1, mul(rb, rb))
  const rs = where(large, div(horner(ia, RA), horner(ia, SA)), div(horner(ib, RB), horner(ib, SB)))
  return div(exp(add(rs, -0.5625)), tt)
}

/** e^{−t²} without the rounding of t²: h = t with its low mantissa bits cleared, h² exact. */
const expNegSquare = (t: Tracer): Tracer => {
  const c = t.dtype === 'float32' ? 4097 : 134217729 // 2^12 + 1, 2^27 + 1
  const p = mul(t, c)
  const h = sub(p, sub(p, t))
  return mul(exp(neg(mul(h, h))), exp(neg(mul(sub(t, h), add(t, h)))))
}

/** erfc(t) for t ≥ 1.25 (clamped into [1.25, 27.5]; beyond, erfc underflows to 0). */
const erfcTail = (t: Tracer): Tracer => {
  const tt = where(lt(t, 27.5), where(ge(t, 1.25), t, lit(t, 1.25)), lit(t, 27.5))
  const v = mul(expNegSquare(tt), erfcxTail(tt))
  return where(lt(t, 27.5), v, lit(t, 0))
}

/** erf, as a plain composition (its derivative comes from the custom rule). */
export const erfImpl = (x: Tracer): Tracer => {
  const a = abs(x)
  const pos = where(lt(a, 1.25), add(midCorr(a), ERX), where(lt(a, 6), sub(1, erfcTail(a)), lit(x, 1)))
  const r = where(lt(a, 0.84375), add(x, smallCorr(x)), mul(sign(x), pos))
  return where(isNan(x), x, r)
}

/** erfc, as a plain composition. */
export const erfcImpl = (x: Tracer): Tracer => {
  const a = abs(x)
  const c = smallCorr(x)
  // fdlibm: 1 − (x + x·r) below ¼, ½ − ((x − ½) + x·r) above (less cancellation)
  const small = where(lt(x, 0.25), sub(1, add(x, c)), sub(0.5, add(sub(x, 0.5), c)))
  const m = midCorr(a)
  const mid = where(gt(x, 0), sub(1 - ERX, m), add(m, 1 + ERX))
  const tail = erfcTail(a)
  const far = where(gt(x, 0), tail, sub(2, tail))
  const r = where(lt(a, 0.84375), small, where(lt(a, 1.25), mid, far))
  return where(isNan(x), x, r)
}

/** erfcx(t) = e^{t²}·erfc(t) for t ≥ 0 (used by logNdtr's left tail). */
export const erfcxNonNeg = (t: Tracer): Tracer => {
  const small = lt(t, 1.25)
  const ts = where(small, t, lit(t, 0))
  return where(small, mul(exp(mul(ts, ts)), erfcImpl(ts)), erfcxTail(t))
}

const dErf = (x: Tracer): Tracer => mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI)

// erfcx′(t) = 2t·erfcx(t) − 2/√π, in the call's own output
const erfcxJ = withJvp('special.erfcx', (t: Tracer) => erfcxNonNeg(t), ([t], [dt], y) => mul(dt, sub(mul(mul(t, y), 2), TWO_OVER_SQRT_PI)))

const erfJ = withJvp('special.erf', (x: Tracer) => erfImpl(x), ([x], [t]) => mul(t, dErf(x)))
const erfcJ = withJvp('special.erfc', (x: Tracer) => erfcImpl(x), ([x], [t]) => neg(mul(t, dErf(x))))

/** The error function erf(x) = 2/√π ∫₀ˣ e^{−t²} dt. */
export const erf = (x: ArrayLike): Tracer => inFloat64(erfJ)(floatArg(x, 'erf'))

/** The complementary error function erfc(x) = 1 − erf(x), relative-accurate in the right tail. */
export const erfc = (x: ArrayLike): Tracer => inFloat64(erfcJ)(floatArg(x, 'erfc'))

// Giles' single-precision erfinv polynomials in w = −log(1 − y²): w < 5 (in w − 2.5) and
// w ≥ 5 (in √w − 3); erfinv(y) ≈ y·p(w).
const GILES_A = [1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-6, -3.5233877e-6, 3.43273939e-7, 2.81022636e-8]
const GILES_B = [2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257]

/**
 * x ≥ 0 with erf(x) = a, given a ∈ [0, 1] and q = 1 − a (the caller passes whichever of the two
 * it has exactly: the residual uses a below ½ and q above). Not defined at q = 0 (x = ∞).
 */
const inverseErfCore = (a: Tracer, q: Tracer): Tracer => {
  const qs = where(gt(q, 0), q, lit(q, 1))
  const w = neg(log(mul(qs, sub(2, qs))))
  const pa = horner(sub(where(lt(w, 5), w, lit(w, 5)), 2.5), GILES_A)
  const pb = horner(sub(sqrt(where(lt(w, 5), lit(w, 5), w)), 3), GILES_B)
  // far tail: erfc(x) ≈ e^{−x²}/(x√π)·(1 − 1/(2x²)), solved for x by two fixed-point steps
  const L = neg(log(qs))
  const Lc = where(gt(L, 2), L, lit(L, 2))
  const x1 = sqrt(sub(Lc, log(mul(sqrt(Lc), Math.sqrt(Math.PI)))))
  const x2 = sqrt(add(sub(Lc, log(mul(x1, Math.sqrt(Math.PI)))), log1p(div(-0.5, mul(x1, x1)))))
  let x = where(lt(w, 5), mul(pa, a), where(lt(w, 16), mul(pb, a), x2))
  const useErf = lt(a, 0.5)
  for (let i = 0; i < 3; i++) {
    // Halley: f = erf(x) − a, f′ = 2/√π e^{−x²}, f″/f′ = −2x;  x ← x − r/(1 + x r), r = f/f′
    const f = where(useErf, sub(erfImpl(x), a), sub(q, erfcImpl(x)))
    const r = div(f, dErf(x))
    const finite = lt(abs(r), Infinity)
    x = sub(x, where(finite, div(r, add(mul(x, r), 1)), lit(x, 0)))
  }
  return x
}

const erfinvImpl = (y: Tracer): Tracer => {
  const a = abs(y)
  const x = mul(sign(y), inverseErfCore(a, sub(1, a)))
  const nan = lit(y, NaN)
  return where(gt(a, 1), nan, where(lt(a, 1), x, mul(sign(y), Infinity)))
}

// erfinv′(y) = √π/2·e^{x²}, x = erfinv(y) (the call's own output, so it differentiates again)
const erfinvJ = withJvp('special.erfinv', (y: Tracer) => erfinvImpl(y), (_y, [t], x) => mul(t, mul(exp(mul(x, x)), Math.sqrt(Math.PI) / 2)))

/** The inverse of erf on (−1, 1); ±∞ at ±1, NaN outside [−1, 1]. */
export const erfinv = (y: ArrayLike): Tracer => inFloat64(erfinvJ)(floatArg(y, 'erfinv'))

/** e^{−x²/2} with x²/2 = h²/2 + (x − h)(x + h)/2, h²/2 exact (see expNegSquare). */
const expNegHalfSquare = (x: Tracer): Tracer => {
  const c = x.dtype === 'float32' ? 4097 : 134217729
  const p = mul(x, c)
  const h = sub(p, sub(p, x))
  return mul(exp(mul(mul(h, h), -0.5)), exp(mul(mul(sub(x, h), add(x, h)), -0.5)))
}

/**
 * Φ(x): ½ + ½ erf(x/√2) for |x| < 1, 1 − ½ erfc(x/√2) above; for x ≤ −1.25√2 the tail
 * ½ e^{−x²/2}·erfcx(−x/√2), whose e^{−x²/2} is computed from x itself (not from the rounded
 * x/√2, whose rounding would cost x² ulp), so the left tail stays within a few ulp.
 */
const ndtrImpl = (t: Tracer): Tracer => {
  const z = mul(t, Math.SQRT1_2)
  const inner = lt(abs(z), Math.SQRT1_2)
  const tail = le(z, -1.25)
  // Φ(x) underflows to 0 below x ≈ −38.6: clamp there (keeps ±∞ out of the split)
  const tl = where(tail, where(lt(t, -40), lit(t, -40), t), lit(t, -2))
  const far = where(lt(t, -40), lit(t, 0), mul(mul(expNegHalfSquare(tl), erfcxTail(mul(tl, -Math.SQRT1_2))), 0.5))
  const r = where(inner, add(mul(erfImpl(z), 0.5), 0.5), where(gt(z, 0), sub(1, mul(erfcImpl(z), 0.5)), mul(erfcImpl(neg(z)), 0.5)))
  return where(tail, far, r)
}

/** φ(x) = e^{−x²/2}/√(2π) (0 beyond |x| = 40, where it underflows; keeps ±∞ out of the split). */
const normPdf = (x: Tracer): Tracer => {
  const inside = lt(abs(x), 40)
  const phi = mul(expNegHalfSquare(where(inside, x, lit(x, 0))), 1 / Math.sqrt(2 * Math.PI))
  return where(inside, phi, where(isNan(x), x, lit(x, 0)))
}

const ndtrJ = withJvp('special.ndtr', (x: Tracer) => ndtrImpl(x), ([x], [t]) => mul(t, normPdf(x)))

/** Φ(x), the standard normal CDF (relative-accurate in the left tail); Φ′ = φ. */
export const ndtr = (x: ArrayLike): Tracer => inFloat64(ndtrJ)(floatArg(x, 'ndtr'))

const ndtriImpl = (p: Tracer): Tracer => {
  const lower = lt(p, 0.5)
  const q = where(lower, mul(p, 2), sub(2, mul(p, 2)))
  const a = where(lower, sub(1, mul(p, 2)), sub(mul(p, 2), 1))
  const x = mul(inverseErfCore(a, q), Math.SQRT2)
  const r = where(lower, neg(x), x)
  const inside = and(gt(p, 0), lt(p, 1)) // false for NaN
  return where(inside, r, where(ge(p, 0), where(lt(p, 1), lit(p, -Infinity), where(gt(p, 1), lit(p, NaN), lit(p, Infinity))), lit(p, NaN)))
}

// ndtri′(p) = √(2π)·e^{x²/2}, x = ndtri(p) = the call's own output
const ndtriJ = withJvp('special.ndtri', (p: Tracer) => ndtriImpl(p), (_p, [t], x) => mul(t, mul(exp(mul(mul(x, x), 0.5)), Math.sqrt(2 * Math.PI))))

/** The inverse of ndtr on (0, 1): the standard normal quantile; ∓∞ at 0 and 1, NaN outside. */
export const ndtri = (p: ArrayLike): Tracer => inFloat64(ndtriJ)(floatArg(p, 'ndtri'))

/**
 * log Φ(x): log1p(−Φ(−x)) for x > 0; log Φ(x) for −2 < x ≤ 0; for x ≤ −2,
 * log ½ − x²/2 + log erfcx(−x/√2), finite down to x ≈ −1.9e154 (where x² overflows).
 */
const logNdtrImpl = (x: Tracer): Tracer => {
  const pos = gt(x, 0)
  const left = le2(x)
  const right = log1p(neg(ndtrImpl(neg(where(pos, x, lit(x, 0))))))
  const mid = log(ndtrImpl(where(left, lit(x, -2), x)))
  const xl = where(left, x, lit(x, -2))
  const tail = add(sub(Math.log(0.5), mul(mul(xl, xl), 0.5)), log(erfcxNonNeg(mul(xl, -Math.SQRT1_2))))
  return where(isNan(x), x, where(pos, right, where(left, tail, mid)))
}

const le2 = (x: Tracer): Tracer => lt(x, -2)

/** d/dx log Φ(x) = φ(x)/Φ(x), and √(2/π)/erfcx(−x/√2) in the left tail (the same, exactly). */
const dLogNdtr = (x: Tracer): Tracer => {
  const left = le2(x)
  const xm = where(left, lit(x, 0), x)
  const ratio = div(normPdf(xm), ndtrJ(xm))
  const xl = where(left, x, lit(x, -2))
  return where(left, div(Math.sqrt(2 / Math.PI), erfcxJ(mul(xl, -Math.SQRT1_2))), ratio)
}

const logNdtrJ = withJvp('special.logNdtr', (x: Tracer) => logNdtrImpl(x), ([x], [t]) => mul(t, dLogNdtr(x)))

/** log Φ(x), the log of the standard normal CDF, accurate in both tails. */
export const logNdtr = (x: ArrayLike): Tracer => inFloat64(logNdtrJ)(floatArg(x, 'logNdtr'))
