/**
 * leibniz/laws: edge values and derivative oracles.
 *
 * Random doubles almost never land where derivatives break: ±0, subnormals, huge and tiny
 * magnitudes, the ends of a domain (log near 0, arcsin near ±1, sqrt at 0), integers (kinks
 * of relu, abs, floor; ties of max). `edgeValues(min, max)` lists those inside [min, max];
 * `arb.array({ edges: true })` mixes them into its draws. `ORACLES` gives exact derivatives of
 * the elementary functions by closed forms evaluated in float64, so a rule can be checked at
 * points where finite differences are useless (expm1′(−40) = e⁻⁴⁰, not 0; sqrt′(5e−324) =
 * 0.5/√5e−324 ≈ 2.2e161, not ∞).
 */
import { grad, lax, np } from '../src'
import type { Array } from '../src'

const nextUp = (x: number): number => {
  if (Number.isNaN(x) || x === Infinity) return x
  if (x === 0) return Number.MIN_VALUE
  const b = new Float64Array([x])
  const u = new BigInt64Array(b.buffer)
  u[0] += x > 0 ? 1n : -1n
  return b[0]
}
const nextDown = (x: number): number => -nextUp(-x)

/** The edge values inside [min, max]: ±0, subnormals, tiny and huge magnitudes, the bounds and
 *  their neighbours, and the integers −3…3 (kinks and ties). Deduplicated, ascending. */
export const edgeValues = (min: number, max: number): number[] => {
  const cands = [
    0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, -2.2250738585072014e-308, 1e-300, -1e-300,
    1e-8, -1e-8, 1e300, -1e300, 1e8, -1e8, 40, -40, 700, -700,
    min, max, nextUp(min), nextDown(max), nextUp(nextUp(min)), nextDown(nextDown(max)),
    -3, -2, -1, 1, 2, 3, nextUp(-1), nextDown(1), nextDown(-1), nextUp(1), 0.5, -0.5,
  ]
  const seen = new Set<string>()
  const out: number[] = []
  for (const c of cands) {
    if (!(c >= min && c <= max) || !Number.isFinite(c)) continue
    const key = Object.is(c, -0) ? '-0' : String(c)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(c)
  }
  return out.sort((a, b) => a - b)
}

/** An elementary function and its exact derivative, with the domain where both are defined. */
export interface Oracle {
  readonly fn: (x: Array) => Array
  readonly derivative: (x: number) => number
  readonly min: number
  readonly max: number
}


/** Derivatives of the elementary functions by closed forms, in float64. */
export const ORACLES: Readonly<Record<string, Oracle>> = {
  exp: { fn: np.exp, derivative: Math.exp, min: -745, max: 709 },
  expm1: { fn: np.expm1, derivative: Math.exp, min: -745, max: 709 },
  log: { fn: np.log, derivative: (x) => 1 / x, min: Number.MIN_VALUE, max: Number.MAX_VALUE },
  log1p: { fn: np.log1p, derivative: (x) => 1 / (1 + x), min: nextUp(-1), max: 1e300 },
  sqrt: { fn: np.sqrt, derivative: (x) => 0.5 / Math.sqrt(x), min: Number.MIN_VALUE, max: Number.MAX_VALUE },
  sin: { fn: np.sin, derivative: Math.cos, min: -1e8, max: 1e8 },
  cos: { fn: np.cos, derivative: (x) => -Math.sin(x), min: -1e8, max: 1e8 },
  tanh: { fn: np.tanh, derivative: (x) => 1 / Math.cosh(x) ** 2, min: -700, max: 700 },
  arctan: { fn: np.arctan, derivative: (x) => 1 / (1 + x * x), min: -1e300, max: 1e300 },
  arcsin: { fn: np.arcsin, derivative: (x) => 1 / Math.sqrt((1 - x) * (1 + x)), min: nextUp(-1), max: nextDown(1) },
  arccos: { fn: np.arccos, derivative: (x) => -1 / Math.sqrt((1 - x) * (1 + x)), min: nextUp(-1), max: nextDown(1) },
  sinh: { fn: np.sinh, derivative: Math.cosh, min: -700, max: 700 },
  cosh: { fn: np.cosh, derivative: Math.sinh, min: -700, max: 700 },
  logistic: { fn: lax.logistic, derivative: (x) => Math.exp(-Math.abs(x)) / (1 + Math.exp(-Math.abs(x))) ** 2, min: -700, max: 700 },
}

/**
 * The derivative of each oracle's function, by `grad`, at each of its edge values: null when
 * every one agrees with the closed form to `rtol` (infinities must match exactly), else the
 * first disagreement.
 */
export const derivativeMatchesOracle = (name: string, rtol = 1e-12, at?: readonly number[]): string | null => {
  const o = ORACLES[name]
  const xs = at ?? edgeValues(o.min, o.max)
  const got = grad((x: Array) => o.fn(x))
  for (const x of xs) {
    const g = Number(got(np.array(x)).item())
    const want = o.derivative(x)
    const ok = Number.isFinite(want) ? Math.abs(g - want) <= rtol * Math.abs(want) + Number.MIN_VALUE : Object.is(g, want)
    if (!ok) return `d/dx ${name}(x) at x = ${x}: got ${g}, expected ${want} (closed form)`
  }
  return null
}
