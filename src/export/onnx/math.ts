/**
 * Export layer (ONNX): float64-exact compositions for functions that ONNX Runtime's CPU provider
 * has no double kernel for (Tan, Asin, Acos, Atan, Sinh, Cosh; ONNX has no Expm1, Log1p or
 * Atan2 at all). Each is built from operators that do have double kernels (Exp, Log, Sin, Cos,
 * Sqrt, arithmetic, Where), accurate to a few ulps:
 *
 *   expm1 x = (u − 1)·x / log u,  u = eˣ          (Kahan: the rounding of u cancels)
 *   log1p x = log u · x / (u − 1), u = 1 + x       (same idea)
 *   atan x  = Cephes' reduction to |t| ≤ 0.66 and a rational approximation of degree (4, 5)
 *   atan2 y x = atan(y / x) moved to the right quadrant
 *   asin x = atan2(x, √((1 − x)(1 + x))),  acos x = atan2(√((1 − x)(1 + x)), x)
 *   sinh x = (E + E / (E + 1)) / 2, E = expm1 x   for |x| < 1;  (eˣ − e⁻ˣ) / 2 otherwise
 *   cosh x = (eˣ + e⁻ˣ) / 2,  tan x = sin x / cos x
 */
import type { GraphBuilder, OnnxElem } from './builder'

type G = GraphBuilder

const where = (g: G, c: string, a: string, b: string) => g.op('Where', [c, a, b])

export const expm1 = (g: G, e: OnnxElem, x: string): string => {
  const u = g.op('Exp', [x])
  const um1 = g.op('Sub', [u, g.scalar(e, 1)])
  const kahan = g.op('Div', [g.op('Mul', [um1, x]), g.op('Log', [u])])
  // u = 1: x itself (|x| below half an ulp of 1); u − 1 = −1: −1 (x ≪ 0); u = ∞: ∞.
  const r1 = where(g, g.op('Equal', [um1, g.scalar(e, -1)]), g.scalar(e, -1), kahan)
  const r2 = where(g, g.op('IsInf', [u]), u, r1)
  return where(g, g.op('Equal', [u, g.scalar(e, 1)]), x, r2)
}

export const log1p = (g: G, e: OnnxElem, x: string): string => {
  const u = g.op('Add', [x, g.scalar(e, 1)])
  const lu = g.op('Log', [u])
  const kahan = g.op('Div', [g.op('Mul', [lu, x]), g.op('Sub', [u, g.scalar(e, 1)])])
  // u = 1: x; u = 0 or ∞ or NaN: log u (−∞, ∞, NaN).
  const edge = g.op('Or', [g.op('Equal', [u, g.scalar(e, 0)]), g.op('IsInf', [u])])
  return where(g, g.op('Equal', [u, g.scalar(e, 1)]), x, where(g, edge, lu, kahan))
}

// Cephes atan: atan(t) = t + t·z·P(z)/Q(z), z = t², for |t| ≤ 0.66.
const ATAN_P = [-8.750608600031904122785e-1, -1.615753718733365076637e1, -7.500855792314704667340e1, -1.228866684490136173410e2, -6.485021904942025371773e1]
const ATAN_Q = [1, 2.485846490142306297962e1, 1.650270098316988542046e2, 4.328810604912902668951e2, 4.853903996359136964868e2, 1.945506571482613964425e2]
const T3P8 = 2.41421356237309504880 // tan(3π/8)
const MOREBITS = 6.123233995736765886130e-17 // π/2 − fl(π/2)

const horner = (g: G, e: OnnxElem, z: string, coeffs: readonly number[]): string => {
  let acc = g.scalar(e, coeffs[0])
  for (let i = 1; i < coeffs.length; i++) acc = g.op('Add', [g.op('Mul', [acc, z]), g.scalar(e, coeffs[i])])
  return acc
}

export const atan = (g: G, e: OnnxElem, x: string): string => {
  const a = g.op('Abs', [x])
  const big = g.op('Greater', [a, g.scalar(e, T3P8)])
  const mid = g.op('Greater', [a, g.scalar(e, 0.66)])
  const one = g.scalar(e, 1)
  // |x| > tan(3π/8): atan |x| = π/2 + atan(−1/|x|); 0.66 < |x|: π/4 + atan((|x| − 1)/(|x| + 1)).
  const t = where(g, big, g.op('Neg', [g.op('Div', [one, a])]), where(g, mid, g.op('Div', [g.op('Sub', [a, one]), g.op('Add', [a, one])]), a))
  const y0 = where(g, big, g.scalar(e, Math.PI / 2), where(g, mid, g.scalar(e, Math.PI / 4), g.scalar(e, 0)))
  const more = where(g, big, g.scalar(e, MOREBITS), where(g, mid, g.scalar(e, 0.5 * MOREBITS), g.scalar(e, 0)))
  const z = g.op('Mul', [t, t])
  const pq = g.op('Div', [horner(g, e, z, ATAN_P), horner(g, e, z, ATAN_Q)])
  const r = g.op('Add', [g.op('Mul', [g.op('Mul', [t, z]), pq]), t])
  const mag = g.op('Add', [y0, g.op('Add', [r, more])])
  // atan is odd; the sign of x (0 for ±0, so atan(±0) = 0) and NaN pass through.
  return where(g, g.op('Less', [x, g.scalar(e, 0)]), g.op('Neg', [mag]), where(g, g.op('Equal', [x, g.scalar(e, 0)]), x, mag))
}

export const atan2 = (g: G, e: OnnxElem, y: string, x: string): string => {
  const zero = g.scalar(e, 0)
  const base = atan(g, e, g.op('Div', [y, x]))
  const pi = g.scalar(e, Math.PI)
  const xNeg = g.op('Less', [x, zero])
  const yNeg = g.op('Less', [y, zero])
  // x < 0: shift by ±π (+π for y ≥ 0); x = 0: ±π/2 by the sign of y, 0 for y = 0.
  const shifted = where(g, xNeg, where(g, yNeg, g.op('Sub', [base, pi]), g.op('Add', [base, pi])), base)
  const onAxis = where(g, yNeg, g.scalar(e, -Math.PI / 2), where(g, g.op('Greater', [y, zero]), g.scalar(e, Math.PI / 2), where(g, xNeg, pi, zero)))
  const xZero = g.op('Equal', [x, zero])
  const yZeroXNeg = g.op('And', [g.op('Equal', [y, zero]), xNeg])
  return where(g, g.op('Or', [xZero, yZeroXNeg]), onAxis, shifted)
}

const oneMinusSq = (g: G, e: OnnxElem, x: string): string => {
  const one = g.scalar(e, 1)
  return g.op('Sqrt', [g.op('Mul', [g.op('Sub', [one, x]), g.op('Add', [one, x])])])
}

export const asin = (g: G, e: OnnxElem, x: string): string => atan2(g, e, x, oneMinusSq(g, e, x))
export const acos = (g: G, e: OnnxElem, x: string): string => atan2(g, e, oneMinusSq(g, e, x), x)

export const sinh = (g: G, e: OnnxElem, x: string): string => {
  const big = g.op('GreaterOrEqual', [g.op('Abs', [x]), g.scalar(e, 1)])
  const half = g.scalar(e, 0.5)
  const wide = g.op('Mul', [g.op('Sub', [g.op('Exp', [x]), g.op('Exp', [g.op('Neg', [x])])]), half])
  const E = expm1(g, e, x)
  const small = g.op('Mul', [g.op('Add', [E, g.op('Div', [E, g.op('Add', [E, g.scalar(e, 1)])])]), half])
  return where(g, big, wide, small)
}

export const cosh = (g: G, e: OnnxElem, x: string): string =>
  g.op('Mul', [g.op('Add', [g.op('Exp', [x]), g.op('Exp', [g.op('Neg', [x])])]), g.scalar(e, 0.5)])

export const tan = (g: G, _e: OnnxElem, x: string): string => g.op('Div', [g.op('Sin', [x]), g.op('Cos', [x])])
