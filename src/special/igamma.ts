/**
 * The regularized incomplete gamma functions P(a, x) = γ(a, x)/Γ(a) (gammainc) and
 * Q(a, x) = 1 − P (gammaincc), their derivative with respect to a, and the derivative of a
 * Gamma(a, 1) sample with respect to a by implicit reparameterization (float32 via float64).
 *
 * With e(a, x) = x^a e^{−x}/Γ(a):
 *   x < 1 or x ≤ a:  P = e/a · Σ_{n≥0} c_n,  c₀ = 1, c_n = c_{n−1}·x/(a + n)      (series)
 *   otherwise:       Q = e · K,  K Legendre's continued fraction
 *                    1/(x + 1 − a − 1(1 − a)/(x + 3 − a − 2(2 − a)/(x + 5 − a − …)))
 *                    evaluated by its convergents p_k/q_k (three-term recurrences).
 * Both loops carry the a-derivative of their terms alongside (forward mode by hand:
 * dc_n = dc_{n−1}·x/(a + n) − c_{n−1}·x/(a + n)², and likewise for p_k, q_k), so
 *   ∂P/∂a = e/a·(S·(log x − ψ(a + 1)) + S′)       (series, S = Σ c_n)
 *   ∂Q/∂a = e·(K·(log x − ψ(a)) + K′)             (continued fraction),
 * and ∂P/∂x = x^{a−1} e^{−x}/Γ(a) = e/x in closed form. A sample x of Gamma(a, 1) is
 * F⁻¹(u; a) for a uniform u, so dx/da = −(∂P/∂a)/(∂P/∂x): the factor e cancels, and the
 * derivative stays finite where e underflows.
 *
 * Each loop stops, per element, when its next term changes neither the value nor its
 * a-derivative by more than one ulp (at most 2000 steps). Domain as JAX: NaN for x < 0, a < 0,
 * a = x = 0 or NaN inputs; P(a, 0) = 0, P(a, ∞) = 1.
 */
import type { Tracer } from '../core/tracer'
import { add, and, div, eq, ge, gt, le, lt, mul, ne, or, sub } from '../primitives/binary'
import { reduceMax } from '../primitives/reduce'
import { convertElementType } from '../primitives/shape'
import { abs, exp, log, neg, not } from '../primitives/unary'
import { whileLoop } from '../lax/control'
import { jvp } from '../transforms/autodiff'
import { type ArrayLike, broadcastTo, promoteToFloat } from '../numpy/promote'
import { digamma, gammaln } from './gamma'
import { inFloat64, isNan, lit, where, withJvp } from './util'

const EPS = 2 ** -52
const MAX_STEPS = 2000

/** True when any element of the mask is set (a scalar bool, for the loop condition). */
const anySet = (m: Tracer): Tracer => {
  const i = convertElementType(m, 'int32')
  return gt(m.ndim === 0 ? i : reduceMax(i, m.shape.map((_, k) => k)), 0)
}

/** S = Σ c_n and S′ = dS/da of the series (elements where `on` is false keep S = 1, S′ = 0). */
const series = (a: Tracer, x: Tracer, on: Tracer): [Tracer, Tracer] => {
  const one = lit(a, 1)
  const zero = lit(a, 0)
  type C = [Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer]
  const init: C = [on, a, one, one, zero, zero, lit(a, 0)]
  const out = whileLoop(
    (c: C) => and(anySet(c[0]), lt(reduceMax(c[6], c[6].shape.map((_, k) => k)), MAX_STEPS)),
    ([act, r0, c0, s0, dc0, ds0, n]: C): C => {
      const r = add(r0, 1)
      const q = div(x, r)
      const dc = sub(mul(dc0, q), div(mul(c0, q), r)) // d/da [c·x/r] with dr/da = 1
      const c = mul(c0, q)
      const s = add(s0, c)
      const ds = add(ds0, dc)
      const more = and(act, or(gt(abs(div(c, s)), EPS), gt(abs(div(dc, ds)), EPS)))
      return [more, where(act, r, r0), where(act, c, c0), where(act, s, s0), where(act, dc, dc0), where(act, ds, ds0), add(n, 1)]
    },
    init,
  )
  return [out[3], out[5]]
}

/** K and K′ = dK/da of the continued fraction (elements where `on` is false keep their start). */
const contFrac = (a: Tracer, x: Tracer, on: Tracer): [Tracer, Tracer] => {
  // convergents p_k/q_k: p_k = p_{k−1} z_k − p_{k−2} y_k k, q_k likewise, with
  // y_k = k + 1 − a, z_k = x + 2k + 2 − a; p₋₁ = 1, q₋₁ = x, p₀ = x + 1, q₀ = x (x + 2 − a)
  const y0 = sub(1, a)
  const z0 = add(add(x, y0), 1)
  const pm2 = lit(x, 1)
  const qm2 = x
  const pm1 = add(x, 1)
  const qm1 = mul(z0, x)
  const k0 = div(pm1, qm1)
  const dk0 = div(mul(k0, x), qm1) // −K·dq/q with dq/da = −x
  const zero = lit(a, 0)
  type C = [Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer, Tracer]
  const init: C = [on, k0, dk0, y0, z0, lit(a, 0), pm1, qm1, pm2, qm2, zero, zero, zero, neg(x)]
  const out = whileLoop(
    (c: C) => and(anySet(c[0]), lt(reduceMax(c[5], c[5].shape.map((_, k) => k)), MAX_STEPS)),
    (c: C): C => {
      const [act, k0_, dk0_, y0_, z0_, n0, p1, q1, p2, q2, dp2, dq2, dp1, dq1] = c
      const n = add(n0, 1)
      const y = add(y0_, 1)
      const z = add(z0_, 2)
      const yn = mul(y, n)
      const p = sub(mul(p1, z), mul(p2, yn))
      const q = sub(mul(q1, z), mul(q2, yn))
      // dz/da = −1, d(y n)/da = −n
      const dp = add(sub(sub(mul(dp1, z), p1), mul(dp2, yn)), mul(p2, n))
      const dq = add(sub(sub(mul(dq1, z), q1), mul(dq2, yn)), mul(q2, n))
      const qok = ne(q, 0)
      const qs = where(qok, q, lit(q, 1))
      const k = where(qok, div(p, qs), k0_)
      const dk = where(qok, div(sub(dp, mul(k, dq)), qs), dk0_)
      const moved = where(qok, abs(sub(k, k0_)), lit(k, Infinity))
      const dmoved = where(qok, abs(sub(dk, dk0_)), lit(k, Infinity))
      const more = and(act, or(gt(moved, mul(abs(k), EPS)), gt(dmoved, mul(abs(dk), EPS))))
      // keep the recurrences in range: rescale all four (and their derivatives) together
      const big = gt(abs(p), 1 / EPS)
      const sc = (v: Tracer) => where(big, mul(v, EPS), v)
      const keep = (nv: Tracer, ov: Tracer) => where(act, nv, ov)
      return [
        more, keep(k, k0_), keep(dk, dk0_), keep(y, y0_), keep(z, z0_), n,
        keep(sc(p), p1), keep(sc(q), q1), keep(sc(p1), p2), keep(sc(q1), q2),
        keep(sc(dp1), dp2), keep(sc(dq1), dq2), keep(sc(dp), dp1), keep(sc(dq), dq1),
      ]
    },
    init,
  )
  return [out[1], out[2]]
}

interface Parts {
  /** x ≥ 1 and x > a: the continued fraction (Q) rather than the series (P). */
  readonly useCf: Tracer
  /** log e = a log x − x − log Γ(a). */
  readonly logE: Tracer
  readonly S: Tracer
  readonly dS: Tracer
  readonly K: Tracer
  readonly dK: Tracer
  /** NaN inputs, x < 0, a < 0, a = x = 0. */
  readonly domain: Tracer
}

const parts = (a: Tracer, x: Tracer, aPositive: boolean): Parts => {
  const nan = or(isNan(a), isNan(x))
  const domain = or(or(lt(x, 0), aPositive ? le(a, 0) : lt(a, 0)), or(and(eq(a, 0), eq(x, 0)), nan))
  const xInf = eq(x, Infinity)
  const useCf = and(ge(x, 1), gt(x, a))
  // safe operands for the loops: positive finite x and a
  const ok = and(and(gt(x, 0), gt(a, 0)), and(lt(x, Infinity), lt(a, Infinity)))
  const xs = where(ok, x, lit(x, 1))
  const as = where(ok, a, lit(a, 1))
  const logE = sub(sub(mul(as, log(xs)), xs), gammaln(as))
  const on = and(ok, and(gt(logE, -709), not(xInf)))
  const [S, dS] = series(as, xs, and(on, not(useCf)))
  const [K, dK] = contFrac(as, xs, and(on, useCf))
  return { useCf, logE, S, dS, K, dK, domain }
}

/** P (upper = false) or Q (upper = true), each from the loop that gives it without cancellation. */
const gammaincImpl = (a: Tracer, x: Tracer, upper: boolean): Tracer => {
  const { useCf, logE, S, K, domain } = parts(a, x, false)
  const e = exp(logE)
  const p = div(mul(e, S), where(gt(a, 0), a, lit(a, 1)))
  const q = mul(e, K)
  const v = upper ? where(useCf, q, sub(1, p)) : where(useCf, sub(1, q), p)
  const [at0, atInf] = upper ? [1, 0] : [0, 1]
  const r = where(eq(x, Infinity), lit(a, atInf), where(eq(x, 0), lit(a, at0), where(eq(a, 0), lit(a, atInf), v)))
  return where(domain, lit(a, NaN), r)
}

/** ∂P/∂a (0 at x = 0; NaN at x = ∞, as JAX). */
const gammaincGradAImpl = (a: Tracer, x: Tracer): Tracer => {
  const { useCf, logE, S, dS, K, dK, domain } = parts(a, x, true)
  const e = exp(logE)
  const as = where(gt(a, 0), a, lit(a, 1))
  const xs = where(gt(x, 0), x, lit(x, 1))
  const lx = log(xs)
  const fromSeries = mul(div(e, as), add(mul(S, sub(lx, digamma(add(as, 1)))), dS))
  const fromCf = neg(mul(e, add(mul(K, sub(lx, digamma(as))), dK)))
  const v = where(useCf, fromCf, fromSeries)
  return where(or(domain, eq(x, Infinity)), lit(a, NaN), where(eq(x, 0), lit(a, 0), v))
}

/** ∂P/∂x = x^{a−1} e^{−x}/Γ(a), the closed form (as JAX, also at the ends of the domain). */
const density = (a: Tracer, x: Tracer): Tracer => exp(sub(sub(mul(sub(a, 1), log(x)), x), gammaln(a)))

/**
 * ∂P/∂a with its own rule: ∂/∂x = density·(log x − ψ(a)) in closed form; ∂/∂a = ∂²P/∂a², the
 * forward-mode derivative of the loops at the primal point times the tangent (linear in the
 * tangent, so reverse mode transposes it: second derivatives work in every mode; a third
 * derivative in a runs the loops' own derivative).
 */
const gradAJ: (a: Tracer, x: Tracer) => Tracer = withJvp(
  'special.gammaincGradA',
  (a: Tracer, x: Tracer) => gammaincGradAImpl(a, x),
  ([a, x], [ta, tx]) => {
    const [, d2] = jvp((b: Tracer) => gammaincGradAImpl(b, x), [a], [lit(a, 1)]) as [Tracer, Tracer]
    return add(mul(ta, d2), mul(tx, mul(density(a, x), sub(log(x), digamma(a)))))
  },
)

const gammaincJ = withJvp(
  'special.gammainc',
  (a: Tracer, x: Tracer) => gammaincImpl(a, x, false),
  ([a, x], [ta, tx]) => add(mul(ta, gradAJ(a, x)), mul(tx, density(a, x))),
)
const gammainccJ = withJvp(
  'special.gammaincc',
  (a: Tracer, x: Tracer) => gammaincImpl(a, x, true),
  ([a, x], [ta, tx]) => neg(add(mul(ta, gradAJ(a, x)), mul(tx, density(a, x)))),
)

/** Float operands of one common shape (0-d ones broadcast too: the loops select elementwise). */
const operands = (op: string, a: ArrayLike, x: ArrayLike): [Tracer, Tracer] => {
  const [p, q] = promoteToFloat(op, a, x)
  const shape = p.ndim >= q.ndim ? p.shape : q.shape
  return [broadcastTo(p, shape, op), broadcastTo(q, shape, op)]
}

/** P(a, x) = γ(a, x)/Γ(a), the regularized lower incomplete gamma function (a, x broadcast). */
export const gammainc = (a: ArrayLike, x: ArrayLike): Tracer => inFloat64(gammaincJ)(...operands('special.gammainc', a, x))

/** Q(a, x) = 1 − P(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma function. */
export const gammaincc = (a: ArrayLike, x: ArrayLike): Tracer => inFloat64(gammainccJ)(...operands('special.gammaincc', a, x))

/** ∂P(a, x)/∂a (as lax.igamma_grad_a). */
export const gammaincGradA = (a: Tracer, x: Tracer): Tracer => inFloat64(gradAJ)(a, x)

/**
 * dx/da for a sample x of Gamma(a, 1), −(∂P/∂a)/(∂P/∂x) at (a, x), as lax.random_gamma_grad:
 *   series:             −(S·(log x − ψ(a + 1)) + S′)·x/a
 *   continued fraction:  (K·(log x − ψ(a)) + K′)·x
 * (0 at x = 0; NaN for a ≤ 0, x < 0, x = ∞ or NaN inputs, as JAX).
 */
const sampleGradImpl = (a: Tracer, x: Tracer): Tracer => {
  const { useCf, S, dS, K, dK, domain } = parts(a, x, true)
  const as = where(gt(a, 0), a, lit(a, 1))
  const xs = where(gt(x, 0), x, lit(x, 1))
  const lx = log(xs)
  const fromSeries = neg(div(mul(add(mul(S, sub(lx, digamma(add(as, 1)))), dS), xs), as))
  const fromCf = mul(add(mul(K, sub(lx, digamma(as))), dK), xs)
  return where(or(domain, eq(x, Infinity)), lit(a, NaN), where(eq(x, 0), lit(a, 0), where(useCf, fromCf, fromSeries)))
}

export const gammaSampleGrad = (a: Tracer, x: Tracer): Tracer => inFloat64(sampleGradImpl)(a, x)
