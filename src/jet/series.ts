/**
 * Taylor-mode rules: arithmetic on truncated power series. A `Full` series lists the normalized
 * coefficients a₀ … a_K of a(t) = Σ a_k t^k (a₀ the primal); zeros stay symbolic, so sparse
 * inputs (a line x₀ + t·v) make the recurrences below cost O(K) instead of O(K²).
 */
import { isZero } from '../core/rules'
import type { Tracer } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import { type Coef, type Series, mulCoef, mulCoefScaled, scale, sumCoefs } from '../interpret/jet'
import { add, div, mul, sub } from '../primitives/binary'

export type Full = Coef[]

export const full = (p: Tracer, s: Series): Full => [p, ...s]
export const tail = (f: Full): Coef[] => f.slice(1)

/** The aval a product of coefficients of `a` and `b` has (the non-0-d one wins). */
export const prodAval = (a: Tracer, b: Tracer): ShapedArray => (a.ndim >= b.ndim ? a.aval : b.aval)

const mulC = mulCoef

/** Σ_{i=lo}^{hi} w(i) · a_i · b_{k−i} (w = 1 when omitted). */
export const cauchy = (a: Full, b: Full, k: number, aval: ShapedArray, lo = 0, hi = k, w?: (i: number) => number): Coef => {
  const terms: Coef[] = []
  for (let i = lo; i <= hi; i++) terms.push(w === undefined ? mulC(a[i], b[k - i], aval) : mulCoefScaled(a[i], b[k - i], w(i), aval))
  return sumCoefs(terms, aval)
}

/** (a·b)_k = Σ_{i=0}^{k} a_i b_{k−i}. */
export const mulSeries = (a: Full, b: Full, K: number): Full => {
  const aval = prodAval(a[0] as Tracer, b[0] as Tracer)
  const out: Full = [mul(a[0] as Tracer, b[0] as Tracer)]
  for (let k = 1; k <= K; k++) out.push(cauchy(a, b, k, aval))
  return out
}

/** q = a / b: q₀ = a₀ / b₀, q_k = (a_k − Σ_{i=1}^{k} b_i q_{k−i}) / b₀. `q0` may be given. */
export const divSeries = (a: Full, b: Full, K: number, q0?: Tracer): Full => {
  const b0 = b[0] as Tracer
  const q: Full = [q0 ?? div(a[0] as Tracer, b0)]
  const aval = (q[0] as Tracer).aval
  for (let k = 1; k <= K; k++) {
    const r = sumCoefs([a[k], negC(cauchy(b, q, k, aval, 1, k))], aval)
    q.push(isZero(r) ? r : div(r, b0))
  }
  return q
}

const negC = (c: Coef): Coef => scale(c, -1)

/**
 * The series of y with y' = v·x', v a series known up to index m once y is known up to m:
 * y_k = (1/k) Σ_{j=1}^{k} j x_j v_{k−j}. `v(m, y)` returns v_m. This is the ODE every
 * elementary function satisfies (exp: v = y; tanh: v = 1 − y²; …).
 */
export const odeSeries = (x: Full, y0: Tracer, K: number, v: (m: number, y: Full) => Coef): Full => {
  const y: Full = [y0]
  const vs: Full = []
  const aval = y0.aval
  for (let k = 1; k <= K; k++) {
    vs.push(v(k - 1, y))
    const terms: Coef[] = []
    for (let j = 1; j <= k; j++) terms.push(mulCoefScaled(x[j], vs[k - j], j / k, aval))
    y.push(sumCoefs(terms, aval))
  }
  return y
}

/** (y²)_m = Σ_{i=0}^{m} y_i y_{m−i}, each pair once: 2 Σ_{i<m/2} y_i y_{m−i} (+ y²_{m/2}). */
export const squareAt = (y: Full, m: number): Coef => {
  const aval = (y[0] as Tracer).aval
  const h = Math.floor((m - 1) / 2)
  const pairs = scale(cauchy(y, y, m, aval, 0, h), 2)
  return m % 2 === 0 ? sumCoefs([pairs, mulC(y[m / 2], y[m / 2], aval)], aval) : pairs
}

/** The series of y' (normalized): (y')_m = (m + 1) y_{m+1}, m = 0 … K − 1. */
export const derivSeries = (y: Full): Full => y.slice(1).map((c, m) => scale(c, m + 1))

/** The series of ∫v with value y₀ at 0: y_k = v_{k−1} / k. */
export const integrate = (y0: Tracer, v: Full, K: number): Full => [y0, ...Array.from({ length: K }, (_, m) => scale(v[m], 1 / (m + 1)))]

/** y = √u: y_k = (u_k − Σ_{i=1}^{k−1} y_i y_{k−i}) / (2 y₀). */
export const sqrtSeries = (u: Full, y0: Tracer, K: number): Full => {
  const y: Full = [y0]
  const two = mul(y0, 2)
  for (let k = 1; k <= K; k++) {
    const r = sumCoefs([u[k], negC(cauchy(y, y, k, y0.aval, 1, k - 1))], y0.aval)
    y.push(isZero(r) ? r : div(r, two))
  }
  return y
}

/** y = log u: u₀ k y_k = k u_k − Σ_{j=1}^{k−1} j y_j u_{k−j}. */
export const logSeries = (u: Full, y0: Tracer, K: number): Full => {
  const y: Full = [y0]
  const u0 = u[0] as Tracer
  for (let k = 1; k <= K; k++) {
    const r = sumCoefs([u[k], negC(cauchy(y, u, k, y0.aval, 1, k - 1, (j) => j / k))], y0.aval)
    y.push(isZero(r) ? r : div(r, u0))
  }
  return y
}

/** y = eᵘ: y' = y·u'. */
export const expSeries = (u: Full, y0: Tracer, K: number): Full => odeSeries(u, y0, K, (m, y) => y[m])

/** shift + c·a for a series a, c = ±1. */
export const affine = (a: Full, c: 1 | -1, shift: number): Full => {
  const a0 = a[0] as Tracer
  return [c === 1 ? add(a0, shift) : sub(shift, a0), ...a.slice(1).map((x) => scale(x, c))]
}

