/**
 * i0e(x) = e^{−|x|} I₀(x) and i1e(x) = e^{−|x|} I₁(x), the exponentially scaled modified Bessel
 * functions of orders 0 and 1 (float32 and float64).
 *
 * |x| ≤ 20: the power series (all terms positive, so Horner's rule keeps a few-ulp relative error)
 *   I₀(x) = Σ_k t^k/(k!)²,  I₁(x) = (x/2) Σ_k t^k/(k!(k+1)!),  t = x²/4,  42 terms,
 * times e^{−|x|}. |x| > 20: the asymptotic expansion
 *   e^{−x} I_ν(x) ~ (2πx)^{−½} Σ_k a_k(ν) x^{−k},  a_k = −a_{k−1}(4ν² − (2k − 1)²)/(8k),
 * truncated after 36 terms, below its smallest term (near k = 2x, of size ~e^{−2x} < 1e-17).
 *
 * Derivatives (custom JVP rules): i0e′ = i1e − sign(x)·i0e,
 * i1e′ = i0e − i1e·(sign(x) + 1/x) (½ at x = 0).
 */
import type { Tracer } from '../core/tracer'
import { add, div, eq, lt, mul, sub } from '../primitives/binary'
import { abs, exp, neg, sign, sqrt } from '../primitives/unary'
import type { ArrayLike } from '../numpy/promote'
import { inFloat64, floatArg, horner, isNan, lit, where, withJvp } from './util'

const SERIES_TERMS = 42
const ASYMPTOTIC_TERMS = 36
const SWITCH = 20

const seriesCoeffs = (nu: number): number[] => {
  const cs: number[] = []
  let c = nu === 0 ? 1 : 1 // 1/(0!·ν!)
  for (let k = 0; k < SERIES_TERMS; k++) {
    cs.push(c)
    c /= (k + 1) * (k + 1 + nu)
  }
  return cs
}
const asymptoticCoeffs = (nu: number): number[] => {
  const cs = [1]
  for (let k = 1; k < ASYMPTOTIC_TERMS; k++) cs.push((-cs[k - 1] * (4 * nu * nu - (2 * k - 1) ** 2)) / (8 * k))
  return cs
}
const I0_SERIES = seriesCoeffs(0)
const I1_SERIES = seriesCoeffs(1)
const I0_ASYM = asymptoticCoeffs(0)
const I1_ASYM = asymptoticCoeffs(1)

/** e^{−|x|} I_ν(|x|) for ν ∈ {0, 1}. */
const scaledBessel = (x: Tracer, nu: 0 | 1): Tracer => {
  const a = abs(x)
  const near = lt(a, SWITCH)
  const s = where(near, a, lit(x, 0))
  const t = mul(mul(s, s), 0.25)
  const series0 = horner(t, nu === 0 ? I0_SERIES : I1_SERIES)
  const series = mul(nu === 0 ? series0 : mul(series0, mul(s, 0.5)), exp(neg(s)))
  const f = where(near, lit(x, SWITCH), a)
  const inv = div(1, f)
  const asym = div(horner(inv, nu === 0 ? I0_ASYM : I1_ASYM), sqrt(mul(f, 2 * Math.PI)))
  return where(isNan(x), x, where(near, series, asym))
}

// i0e′ = i1e − sign(x)·i0e (y = i0e(x), the call's own output)
const i0eJ: (x: Tracer) => Tracer = withJvp('special.i0e', (x: Tracer) => scaledBessel(x, 0), ([x], [t], y) => mul(t, sub(i1eJ(x), mul(sign(x), y))))
// i1e′ = i0e − (sign(x) + 1/x)·i1e, ½ at x = 0 (the limit: i1e(x) ≈ x/2 there)
const i1eJ: (x: Tracer) => Tracer = withJvp(
  'special.i1e',
  (x: Tracer) => mul(sign(x), scaledBessel(x, 1)),
  ([x], [t], y) => {
    const zero = eq(x, 0)
    const xs = where(zero, lit(x, 1), x)
    const d = sub(i0eJ(x), mul(y, add(sign(x), div(1, xs))))
    return mul(t, where(zero, lit(x, 0.5), d))
  },
)

/** e^{−|x|} I₀(x), the exponentially scaled modified Bessel function of order 0. */
export const i0e = (x: ArrayLike): Tracer => inFloat64(i0eJ)(floatArg(x, 'i0e'))

/** e^{−|x|} I₁(x), the exponentially scaled modified Bessel function of order 1 (odd). */
export const i1e = (x: ArrayLike): Tracer => inFloat64(i1eJ)(floatArg(x, 'i1e'))
