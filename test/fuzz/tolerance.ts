/**
 * Differential fuzzer: how closely each route must agree with the reference, from the
 * documented guarantees (docs/performance.md, "Results: how they relate to plain evaluation").
 *
 * - bit for bit (up to the sign of a zero): the reference interpreter under jit, and generated JavaScript (wasm off) for
 *   float64 and float32 alike; the WebAssembly routes for float64 programs without sums (maps
 *   and products are correctly rounded, as in JavaScript); threads against one thread.
 * - an error budget otherwise: float64 sums in WebAssembly are reassociated (error
 *   ≤ (256 + n/1024 + 2)·u·Σ|xᵢ|), float32 transcendentals in WebAssembly are within 1 ulp
 *   (logistic 2), float32 matmuls there accumulate in float32 (k·u·Σ|aᵢbᵢ|). The budget adds
 *   each equation's bound (in units of u = 2⁻⁵³ or 2⁻²⁴) — loop bodies times their trip count
 *   — and allows it AMPLIFY times over, relative to the largest magnitude of the output (errors
 *   of large intermediates survive cancellation as absolute errors), plus as many units of the
 *   smallest normal number (ulp bounds do not hold for subnormal results).
 */
import { type Array as Arr, lax, np } from '../../src'
import { type Jaxpr, Jaxpr as JaxprClass, type Atom } from '../../src/ir/jaxpr'
import type { ClosedJaxpr } from '../../src/ir/jaxpr'
import { evalJaxpr } from '../../src/interpret/eval'
import type { TypedArray } from '../../src/ir/dtypes'
import type { Route } from './routes'

export type Policy = { readonly kind: 'bitwise' } | { readonly kind: 'budget'; readonly ulps: number }

/** How far the error of one op may be propagated by the ops after it (the programs' ops
 *  have derivatives of modest size on their domains). */
export const AMPLIFY = 8

export interface Budget {
  /** Sum of the per-equation error bounds, in units of the dtype's u. */
  readonly ulps: number
  /** Whether a sum may be reassociated (reduce_sum), which makes float64 WebAssembly inexact. */
  readonly sums: boolean
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)

const isJaxpr = (v: unknown): v is Jaxpr => typeof v === 'object' && v !== null && 'eqns' in v && 'inVars' in v
const subJaxprs = (params: unknown): Jaxpr[] => {
  const out: Jaxpr[] = []
  for (const v of Object.values(params as Record<string, unknown>)) {
    if (isJaxpr(v)) out.push(v)
    else if (isJaxpr((v as { jaxpr?: unknown } | null)?.jaxpr)) out.push((v as { jaxpr: Jaxpr }).jaxpr)
    else if (Array.isArray(v)) for (const w of v) if (isJaxpr(w)) out.push(w)
      else if (isJaxpr((w as { jaxpr?: unknown } | null)?.jaxpr)) out.push((w as { jaxpr: Jaxpr }).jaxpr)
  }
  return out
}

/** Loops in fuzzed programs run at most 3 times; `while` has no static count. */
const WHILE_TRIPS = 4

/** The error budget of a jaxpr; see the module comment. */
export const errorBudget = (j: Jaxpr): Budget => {
  let ulps = 0
  let sums = false
  for (const e of j.eqns) {
    const subs = subJaxprs(e.params)
    if (subs.length > 0) {
      const trips = e.prim === 'scan' ? (e.params as { length: number }).length : e.prim === 'while' ? WHILE_TRIPS : 1
      for (const s of subs) {
        const b = errorBudget(s)
        ulps += trips * b.ulps
        sums ||= b.sums
      }
      continue
    }
    const inShape = e.inputs[0]?.aval.shape ?? []
    const outShape = e.outVars[0]?.aval.shape ?? []
    const n = Math.max(1, size(inShape) / Math.max(1, size(outShape)))
    if (e.prim === 'reduce_sum') {
      ulps += 258 + n / 1024
      sums = true
    } else if (e.prim === 'dot_general' || e.prim === 'reduce_prod' || e.prim === 'cumsum') {
      const lhs = e.inputs[0]?.aval.shape ?? []
      ulps += 2 + (e.prim === 'dot_general' ? Math.max(...lhs, 1) : e.prim === 'cumsum' ? Math.max(...inShape, 1) : n)
    } else ulps += 2
  }
  return { ulps, sums }
}

/** The comparison a route's result must pass against the reference's. */
export const policyFor = (r: Route, dtype: 'float64' | 'float32', b: Budget): Policy => {
  if (!r.wasm) return { kind: 'bitwise' }
  if (dtype === 'float64' && !b.sums) return { kind: 'bitwise' }
  return { kind: 'budget', ulps: b.ulps }
}

const unitRoundoff = (d: 'float64' | 'float32') => (d === 'float64' ? 2 ** -53 : 2 ** -24)

/** null when `got` passes `policy` against `want`, else a description of the first difference. */
export const compare = (got: TypedArray, want: TypedArray, policy: Policy, dtype: 'float64' | 'float32'): string | null => {
  if (got.length !== want.length) return `lengths differ: ${got.length} vs ${want.length}`
  let scale = 0
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]))
  // ulp bounds hold in the normal range; below it (subnormals) errors are absolute
  const tiny = dtype === 'float64' ? 2 ** -1022 : 2 ** -126
  const tol = policy.kind === 'bitwise' ? 0 : AMPLIFY * policy.ulps * (unitRoundoff(dtype) * scale + tiny)
  for (let i = 0; i < got.length; i++) {
    const a = got[i]
    const b = want[i]
    // a zero's sign may differ: simplification reassociates negations (−(0·t) vs (−0)·t)
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue
    if (policy.kind === 'bitwise') return `element ${i}: got ${a}, expected ${b} bit for bit`
    if (!(Math.abs(a - b) <= tol)) return `element ${i}: got ${a}, expected ${b}: |diff| ${Math.abs(a - b).toExponential(3)} > ${tol.toExponential(3)} (${AMPLIFY}·${policy.ulps.toFixed(0)} ulps of ${scale.toExponential(3)})`
  }
  return null
}

/**
 * Kinks. Where a program selects — `max` and the reductions to an extremum, comparisons,
 * `abs`/`sign` at 0, `floor`/`round`, `sort`, a float-to-int conversion — its derivative (and
 * for a comparison or `floor`, its value) jumps. Two routes that agree within the error budget
 * may then pick different sides when the selecting values are within that budget of a tie:
 * e.g. two float32 inputs a few ulps apart whose `tanh(atan(·))³` rounds to the same value in
 * one route and 1 ulp apart in another make `reduce_max`'s tangent the mean of two entries in
 * one route and one entry in the other. Such a discrepancy says nothing about either route, so
 * a comparison under an error budget is skipped when the reference's values at a top-level
 * selection are that close to a tie (exact ties included: rounding made them). Bit-for-bit
 * routes still compare such cases exactly, and the reference's derivative is still checked
 * against finite differences and against vjp.
 */
const PAIRS: ReadonlySet<string> = new Set(['max', 'min', 'gt', 'ge', 'lt', 'le'])
const AT_ZERO: ReadonlySet<string> = new Set(['abs', 'sign'])
const AT_INTEGER: ReadonlySet<string> = new Set(['floor', 'ceil'])
const EXTREMA: ReadonlySet<string> = new Set(['reduce_max', 'reduce_min', 'argmax', 'argmin'])

const JUMPS: ReadonlySet<string> = new Set(['gt', 'ge', 'lt', 'le', 'sign', 'floor', 'ceil', 'round', 'convert_element_type', 'argmax', 'argmin'])

const maxAbs = (x: Arr) => np.max(np.where(np.isfinite(x), np.abs(x), 0)).item() as number

/** Whether the operands `xs` of a selection `prim` are within `tolOf(scale)` of a tie. */
const nearTie = (prim: string, params: unknown, xs: readonly Arr[], tolOf: (scale: number) => number): boolean => {
  const [x] = xs
  const tol = tolOf(PAIRS.has(prim) ? Math.max(maxAbs(x), maxAbs(xs[1])) : maxAbs(x))
  if (PAIRS.has(prim)) return anyOf(np.abs(np.subtract(x, xs[1])).le(tol))
  if (AT_ZERO.has(prim)) return anyOf(np.abs(x).le(tol))
  if (prim === 'round') return anyOf(np.abs(x.add(0.5).sub(np.round(x.add(0.5)))).le(tol)) // half-integers
  if (!EXTREMA.has(prim) && prim !== 'sort') return anyOf(np.abs(x.sub(np.round(x))).le(tol)) // integers
  // an extremum or a sort: two entries of one group (along the reduced axes) within tol
  const p = params as { axes?: readonly number[]; axis?: number; dimension?: number }
  const axes = p.axes !== undefined ? [...p.axes] : [p.dimension ?? p.axis ?? 0]
  if (prim === 'sort') {
    const ax = axes[0]
    const sorted = np.sort(x, ax)
    const n = sorted.shape[ax]
    const rows = (lo: number, hi: number) => lax.slice(sorted, sorted.shape.map((_, i) => (i === ax ? lo : 0)), sorted.shape.map((d, i) => (i === ax ? hi : d)))
    return n >= 2 && anyOf(np.abs(np.subtract(rows(1, n), rows(0, n - 1))).le(tol))
  }
  const best = prim === 'reduce_min' || prim === 'argmin' ? np.min(x, axes, { keepdims: true }) : np.max(x, axes, { keepdims: true })
  return anyOf(np.sum(np.abs(x.sub(best)).le(tol).astype('int32'), axes).ge(2))
}

const isFloatArr = (x: Arr) => x.dtype === 'float32' || x.dtype === 'float64'
const anyOf = (x: Arr): boolean => Boolean(np.any(x).item())

/** A selection near a tie: 'jump' when a value jumps there (a comparison, `sign`, `floor`,
 *  `round`, an index or an integer), 'kink' when only a derivative does (`max`, `abs`, `sort`). */
export type NearKink = 'jump' | 'kink' | null

/** Whether the reference's values at a top-level selection of `cj` (run on `args`) lie within
 *  the budget of the other side. Call with the reference route selected. */
export const nearKink = (cj: ClosedJaxpr, args: readonly Arr[], b: Budget, dtype: 'float64' | 'float32'): NearKink => {
  const j = cj.jaxpr
  const kinks = j.eqns.filter((e) =>
    PAIRS.has(e.prim) || AT_ZERO.has(e.prim) || AT_INTEGER.has(e.prim) || EXTREMA.has(e.prim) || e.prim === 'round' || e.prim === 'sort' ||
    (e.prim === 'convert_element_type' && !['float32', 'float64'].includes((e.params as { newDtype: string }).newDtype)))
  if (kinks.length === 0) return null
  let found: NearKink = null
  const outs: Atom[] = kinks.flatMap((e) => e.inputs)
  const vals = evalJaxpr(new JaxprClass(j.constVars, j.inVars, j.eqns, outs), cj.consts as never, args as never) as unknown as Arr[]
  let at = 0
  const tolOf = (scale: number) => AMPLIFY * b.ulps * (unitRoundoff(dtype) * scale + (dtype === 'float64' ? 2 ** -1022 : 2 ** -126))
  for (const e of kinks) {
    const xs = vals.slice(at, at + e.inputs.length)
    at += e.inputs.length
    if (!isFloatArr(xs[0]) || !nearTie(e.prim, e.params, xs, tolOf)) continue
    if (JUMPS.has(e.prim)) return 'jump'
    found = 'kink'
  }
  return found
}

/**
 * Periodic functions of large arguments. The budget assumes that the ops after an error carry
 * it with derivatives of modest size (AMPLIFY); sin, cos and tan of an argument x carry the
 * argument's absolute error, which the budget bounds by ulps·u·|x|, into an output of size ~1:
 * a gain of |x| over the output's scale. A product of 40 factors near 2 is ~10¹⁴, where one
 * float32 ulp is ~10⁷ radians, so sin of it in two routes whose products differ by one rounding
 * (a reassociated reduce_prod in WebAssembly) agree on nothing. The gain is max(1, max|x|) over
 * the reference's arguments of the top-level periodic functions; the budget is multiplied by
 * it (a derivative's cos(x)·t carries the same gain). Call with the reference route selected.
 */
const PERIODIC: ReadonlySet<string> = new Set(['sin', 'cos', 'tan'])

export const periodicGain = (cj: ClosedJaxpr, args: readonly Arr[]): number => {
  const j = cj.jaxpr
  const at = j.eqns.filter((e) => PERIODIC.has(e.prim))
  if (at.length === 0) return 1
  const vals = evalJaxpr(new JaxprClass(j.constVars, j.inVars, j.eqns, at.map((e) => e.inputs[0])), cj.consts as never, args as never) as unknown as Arr[]
  let gain = 1
  for (const v of vals) if (isFloatArr(v)) gain = Math.max(gain, maxAbs(v))
  return gain
}

