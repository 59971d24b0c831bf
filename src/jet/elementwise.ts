/**
 * Taylor-mode rules: elementwise primitives. Analytic functions use the recurrence of the ODE
 * they satisfy (O(K²) per element); kinks and integer-valued functions have zero series, or the
 * series of the branch the primal selects (abs, max, min).
 */
import { scalar } from '../core/array'
import { isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import type { BinaryPrim, UnaryPrim } from '../ir/params'
import { type Coef, type JetRule, type JetRuleTable, jetFromJvp, scale, sumCoefs, zeroSeries } from '../interpret/jet'
import { add, div, mul, pow, sub } from '../primitives/binary'
import { integerPow } from '../primitives/integer_pow'
import * as u from '../primitives/unary'
import {
  type Full, affine, cauchy, derivSeries, divSeries, expSeries, full, integrate, logSeries, mulSeries, odeSeries,
  sqrtSeries, squareAt, tail,
} from './series'
import { linearRule, zeroRule } from './structural'

type Unary = (x: Full, K: number) => Full

const unaryRule =
  (f: Unary): JetRule<UnaryPrim> =>
  ([x], [s], _p, K) => {
    const y = f(full(x, s), K)
    return [[y[0] as Tracer], [tail(y)]]
  }

/** 1 / b with its value q₀ given (the numerator's series is zero past the constant term). */
const reciprocal = (b: Full, q0: Tracer, K: number): Full => divSeries([q0, ...zeroSeries(q0.aval, K)], b, K, q0)

/** sin and cos together: s' = c·x', c' = −s·x'. */
const sinCos = (x: Full, K: number): [Full, Full] => {
  const x0 = x[0] as Tracer
  const sn: Full = [u.sin(x0)]
  const cs: Full = [u.cos(x0)]
  const aval = x0.aval
  for (let k = 1; k <= K; k++) {
    sn.push(cauchy(x, cs, k, aval, 1, k, (j) => j / k))
    cs.push(cauchy(x, sn, k, aval, 1, k, (j) => -j / k))
  }
  return [sn, cs]
}
/** sinh and cosh together: s' = c·x', c' = s·x'. */
const sinhCosh = (x: Full, K: number): [Full, Full] => {
  const x0 = x[0] as Tracer
  const sn: Full = [u.sinh(x0)]
  const cs: Full = [u.cosh(x0)]
  for (let k = 1; k <= K; k++) {
    sn.push(cauchy(x, cs, k, x0.aval, 1, k, (j) => j / k))
    cs.push(cauchy(x, sn, k, x0.aval, 1, k, (j) => j / k))
  }
  return [sn, cs]
}

/** y with y' = v(y)·x', where v_m is a polynomial in y's coefficients. */
const ode = (prim: UnaryPrim, v: (m: number, y: Full) => Coef): Unary => (x, K) =>
  odeSeries(x, bind1(prim, [x[0] as Tracer], {}), K, v)

/** d/dt asin x = x' / √(1 − x²); acos is its negative. */
const arcsine = (sign: 1 | -1): Unary => (x, K) => {
  const x0 = x[0] as Tracer
  const y0 = sign === 1 ? u.asin(x0) : u.acos(x0)
  if (K === 0) return [y0]
  const w = affine(mulSeries(x, x, K - 1), -1, 1) // 1 − x²
  const r = sqrtSeries(w, u.sqrt(w[0] as Tracer), K - 1)
  const v = divSeries(derivSeries(x), r, K - 1)
  return integrate(y0, sign === 1 ? v : v.map((c) => scale(c, -1)), K)
}

export const unaryJetRules: Pick<JetRuleTable, UnaryPrim> = {
  neg: linearRule('neg'),
  sin: unaryRule((x, K) => sinCos(x, K)[0]),
  cos: unaryRule((x, K) => sinCos(x, K)[1]),
  // tan' = 1 + tan²
  tan: unaryRule(ode('tan', (m, y) => (m === 0 ? add(mul(y[0] as Tracer, y[0] as Tracer), 1) : squareAt(y, m)))),
  asin: unaryRule(arcsine(1)),
  acos: unaryRule(arcsine(-1)),
  // atan' = x' / (1 + x²)
  atan: unaryRule((x, K) => {
    const y0 = u.atan(x[0] as Tracer)
    if (K === 0) return [y0]
    return integrate(y0, divSeries(derivSeries(x), affine(mulSeries(x, x, K - 1), 1, 1), K - 1), K)
  }),
  sinh: unaryRule((x, K) => sinhCosh(x, K)[0]),
  cosh: unaryRule((x, K) => sinhCosh(x, K)[1]),
  // tanh' = 1 − tanh²
  tanh: unaryRule(ode('tanh', (m, y) => (m === 0 ? sub(1, mul(y[0] as Tracer, y[0] as Tracer)) : scale(squareAt(y, m), -1)))),
  exp: unaryRule((x, K) => expSeries(x, u.exp(x[0] as Tracer), K)),
  // expm1' = expm1 + 1
  expm1: unaryRule(ode('expm1', (m, y) => (m === 0 ? add(y[0] as Tracer, 1) : y[m]))),
  log: unaryRule((x, K) => logSeries(x, u.log(x[0] as Tracer), K)),
  log1p: unaryRule((x, K) => logSeries(affine(x, 1, 1), u.log1p(x[0] as Tracer), K)),
  sqrt: unaryRule((x, K) => sqrtSeries(x, u.sqrt(x[0] as Tracer), K)),
  // rsqrt = 1 / √x
  rsqrt: unaryRule((x, K) => {
    const x0 = x[0] as Tracer
    const r = sqrtSeries(x, u.sqrt(x0), K)
    return reciprocal(r, u.rsqrt(x0), K)
  }),
  // |x|_k = sign(x₀) x_k (abs'(0) = 0, as the jvp)
  abs: ([x], [s]) => {
    const sg = u.sign(x)
    return [[u.abs(x)], [s.map((c) => (isZero(c) ? c : mul(c, sg)))]]
  },
  sign: zeroRule('sign'),
  floor: zeroRule('floor'),
  ceil: zeroRule('ceil'),
  round: zeroRule('round'),
  // σ' = σ − σ²
  logistic: unaryRule(ode('logistic', (m, y) => (m === 0 ? mul(y[0] as Tracer, sub(1, y[0] as Tracer)) : sumCoefs([y[m], scale(squareAt(y, m), -1)], (y[0] as Tracer).aval)))),
  not: zeroRule('not'),
  stop_gradient: zeroRule('stop_gradient'),
}

/** a^p for a series a and a power p without series: a₀ k y_k = Σ_{j=1}^{k} ((p + 1) j − k) a_j y_{k−j}. */
const powConst = (a: Full, p: Tracer, y0: Tracer, K: number): Full => {
  const a0 = a[0] as Tracer
  const y: Full = [y0]
  for (let k = 1; k <= K; k++) {
    const terms: Coef[] = []
    for (let j = 1; j <= k; j++) {
      const aj = a[j]
      if (isZero(aj)) continue
      terms.push(mul(mul(aj, y[k - j] as Tracer), sub(mul(p, (j / k)), (k - j) / k)))
    }
    const r = sumCoefs(terms, y0.aval)
    y.push(isZero(r) ? r : div(r, a0))
  }
  return y
}


const binaryRule =
  (f: (a: Full, b: Full, K: number) => Full): JetRule<BinaryPrim> =>
  ([a, b], [sa, sb], _p, K) => {
    const y = f(full(a, sa), full(b, sb), K)
    return [[y[0] as Tracer], [tail(y)]]
  }

export const binaryJetRules: Pick<JetRuleTable, BinaryPrim> = {
  add: linearRule('add'),
  sub: linearRule('sub'),
  mul: binaryRule(mulSeries),
  div: binaryRule((a, b, K) => divSeries(a, b, K)),
  // xʸ: with y constant along the curve, the power recurrence; else exp(y · log x).
  pow: binaryRule((a, b, K) => {
    const [a0, b0] = [a[0] as Tracer, b[0] as Tracer]
    const y0 = pow(a0, b0)
    if (b.slice(1).every(isZero)) return powConst(a, b0, y0, K)
    const l = logSeries(a, u.log(a0), K)
    return expSeries(mulSeries(b, l, K), y0, K)
  }),
  max: jetFromJvp('max'),
  min: jetFromJvp('min'),
  atan2: jetFromJvp('atan2'),
  rem: jetFromJvp('rem'),
  eq: zeroRule('eq'),
  ne: zeroRule('ne'),
  lt: zeroRule('lt'),
  le: zeroRule('le'),
  gt: zeroRule('gt'),
  ge: zeroRule('ge'),
  and: zeroRule('and'),
  or: zeroRule('or'),
}

/** xⁿ by repeated squaring of series (exact at x₀ = 0, unlike the power recurrence). */
const intPowSeries = (x: Full, n: number, K: number): Full => {
  let result: Full | null = null
  let base = x
  for (let e = n; e > 0; e >>= 1) {
    if (e & 1) result = result === null ? base : mulSeries(result, base, K)
    if (e > 1) base = mulSeries(base, base, K)
  }
  return result as Full
}

export const integerPowJetRule: Pick<JetRuleTable, 'integer_pow'> = {
  integer_pow: ([x], [s], p, K) => {
    const y0 = integerPow(x, p.y)
    if (p.y === 0) return [[y0], [zeroSeries(y0.aval, K)]]
    const xs = full(x, s)
    const m = Math.abs(p.y)
    // Large exponents: the power recurrence (O(K²)) instead of log₂|n| series products.
    const pos = m <= 64 ? intPowSeries(xs, m, K) : powConst(xs, scalar(m, x.dtype, true), integerPow(x, m), K)
    return [[y0], [tail(p.y > 0 ? pos : reciprocal(pos, y0, K))]]
  },
}
