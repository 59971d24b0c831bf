/**
 * Interpreters: Taylor mode (`jet`). A `JetTracer` carries a primal x₀ and the Taylor
 * coefficients x₁ … x_K of a curve x(t) = x₀ + Σ x_k t^k through it (each a tracer or a
 * symbolic `Zero`); each primitive's jet rule maps input coefficients to output coefficients
 * in one pass, order by order (O(K²) recurrences for the analytic functions, never a re-trace
 * per order).
 *
 * Internally coefficients are *normalized* (x_k = x⁽ᵏ⁾(0) / k!), so products are plain Cauchy
 * products; the public `jet` converts from and to JAX's derivative coefficients.
 *
 * The rule table is a mapped type over every primitive name (src/jet/index.ts), so a primitive
 * without a jet rule does not compile. `jetFromJvp` derives a rule from any primitive's jvp rule.
 */
import { isConcrete, scalar } from '../core/array'
import { type Tangent, Zero, isZero, rulesOf } from '../core/rules'
import { Trace, Tracer, bind, bind1, fullRaise, withMain } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import type { Jaxpr } from '../ir/jaxpr'
import type { ParamsMap, PrimName } from '../ir/params'
import { add, div, mul } from '../primitives/binary'
import { instantiate } from '../primitives/util'
import { evalJaxpr } from './eval'
import { hoistConsts } from './jvp'
import { traceToJaxpr } from './stage'

/** One Taylor coefficient: an array, or a symbolic zero. */
export type Coef = Tracer | Zero
/** The normalized Taylor coefficients x₁ … x_K of one value (index k − 1 holds x_k). */
export type Series = readonly Coef[]

/**
 * A jet rule: primals and their series (each of length `order`) in, output primals and series
 * out. Rules are written with primitive wrappers, so a jet is itself differentiable, batchable
 * and stageable.
 */
export type JetRule<P extends PrimName> = (
  primals: readonly Tracer[],
  series: readonly Series[],
  params: ParamsMap[P],
  order: number,
) => [Tracer[], Series[]]

export type JetRuleTable = { readonly [P in PrimName]: JetRule<P> }

const table = new Map<PrimName, JetRule<PrimName>>()

/** Install the jet rules (the complete table is checked by its type in src/jet/index.ts). */
export const registerJetRules = (rules: JetRuleTable): void => {
  for (const [name, r] of Object.entries(rules)) table.set(name as PrimName, r as JetRule<PrimName>)
}

const jetRuleOf = <P extends PrimName>(prim: P): JetRule<P> => {
  const r = table.get(prim)
  if (r === undefined) throw new Error(`internal: no jet rule registered for primitive '${prim}' (is src/jet loaded?)`)
  return r as unknown as JetRule<P>
}

export const zeroSeries = (aval: ShapedArray, order: number): Series => Array.from({ length: order }, () => new Zero(aval))
export const isZeroSeries = (s: Series): boolean => s.every(isZero)

export class JetTracer extends Tracer {
  constructor(
    readonly _trace: JetTrace,
    readonly primal: Tracer,
    readonly series: Series,
  ) {
    super()
  }
  get aval(): ShapedArray {
    return this.primal.aval
  }
}

export class JetTrace extends Trace {
  get order(): number {
    return this.main.globalData as number
  }
  lift(x: Tracer): Tracer {
    return new JetTracer(this, x, zeroSeries(x.aval, this.order))
  }
  processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[] {
    const ts = tracers as readonly JetTracer[]
    const primals = ts.map((t) => t.primal)
    const series = ts.map((t) => t.series)
    const K = this.order
    // Nothing flows in: bind on the primals only (constants and integer code cost nothing).
    if (series.every(isZeroSeries)) {
      return bind(prim, primals, params).map((o) => new JetTracer(this, o, zeroSeries(o.aval, K)))
    }
    const [outs, outSeries] = jetRuleOf(prim)(primals, series, params, K)
    return outs.map((o, i) => new JetTracer(this, o, isFloat(o.dtype) ? outSeries[i].map((c) => fitCoef(c, o)) : zeroSeries(o.aval, K)))
  }
}

/** A coefficient in its output's aval: zeros re-typed, 0-d coefficients (from a scalar
 *  operand of an elementwise primitive) broadcast to the output's shape. */
const fitCoef = (c: Coef, out: Tracer): Coef => {
  if (isZero(c)) return c.aval === out.aval ? c : new Zero(out.aval)
  if (c.ndim === out.ndim) return c
  return bind1('broadcast_in_dim', [c], { shape: out.shape, broadcastDimensions: [] })
}

/** Push normalized Taylor series of order `order` through `f` at `primals`. */
export const jetFlat = (
  f: (...xs: Tracer[]) => readonly Tracer[],
  primals: readonly Tracer[],
  series: readonly Series[],
  order: number,
): [Tracer[], Series[]] =>
  withMain(JetTrace, order, (main) => {
    const trace = main.trace() as JetTrace
    const ins = primals.map((p, i) => new JetTracer(trace, p, series[i]))
    const outs = f(...ins).map((o) => fullRaise(trace, o) as JetTracer)
    return [outs.map((o) => o.primal), outs.map((o) => o.series)]
  })

/**
 * The jet of a jaxpr as a jaxpr, for higher-order primitives. Inputs and outputs are laid out
 * per value: x, then its K coefficients when it has a series (`inSeries[i]`, and for outputs
 * `outSeries[j]`: forced where `forceOuts` says so, else wherever a nonzero coefficient comes
 * out). Constants the jet created are hoisted as leading inputs (`consts`).
 */
export const jetJaxpr = (
  jaxpr: Jaxpr,
  order: number,
  inSeries: readonly boolean[],
  forceOuts: readonly boolean[] | null,
): { jaxpr: Jaxpr; consts: Tracer[]; outSeries: boolean[] } => {
  const inAvals = jaxpr.inAvals
  const avals = inAvals.flatMap((a, i) => (inSeries[i] ? Array.from({ length: order + 1 }, () => a) : [a]))
  let outSeries: boolean[] = []
  const closed = traceToJaxpr((...xs) => {
    let k = 0
    const ps: Tracer[] = []
    const ss: Series[] = []
    inAvals.forEach((a, i) => {
      ps.push(xs[k++])
      ss.push(inSeries[i] ? xs.slice(k, (k += order)) : zeroSeries(a, order))
    })
    const [outs, outS] = jetFlat((...ys) => evalJaxpr(jaxpr, [], ys), ps, ss, order)
    outSeries = outS.map((s, j) => isFloat(outs[j].dtype) && (forceOuts === null ? !isZeroSeries(s) : forceOuts[j]))
    return outs.flatMap((o, j) => (outSeries[j] ? [o, ...outS[j].map(instantiate)] : [o]))
  }, avals)
  return { jaxpr: hoistConsts(closed.jaxpr), consts: [...closed.consts], outSeries }
}

/** Lay out values per `mask` as jetJaxpr wants them: x, then its coefficients. */
export const expand = (primals: readonly Tracer[], series: readonly Series[], mask: readonly boolean[]): Tracer[] =>
  primals.flatMap((p, i) => (mask[i] ? [p, ...series[i].map(instantiate)] : [p]))

/** Read values laid out per `mask` back into primals and series. */
export const collapse = (flat: readonly Tracer[], mask: readonly boolean[], order: number): [Tracer[], Series[]] => {
  let k = 0
  const ps: Tracer[] = []
  const ss: Series[] = []
  for (const m of mask) {
    const p = flat[k++]
    ps.push(p)
    ss.push(m ? flat.slice(k, (k += order)) : zeroSeries(p.aval, order))
  }
  return [ps, ss]
}

/** Which values carry a series (some coefficient is nonzero). */
export const hasSeries = (series: readonly Series[]): boolean[] => series.map((s) => !isZeroSeries(s))

// ---- a rule from a jvp rule ----------------------------------------------------------------

/** The value of a concrete 0-d coefficient (a literal direction such as 1), else null. (Read
 *  with `item()`, which hands no buffer out, so no hold on it is recorded.) */
const constValue = (c: Tracer): number | null => (isConcrete(c) && c.ndim === 0 ? c.item() : null)

/** c · s. Known scalars multiply in JS, so literal directions stage nothing. */
const scaleCoef = (c: Coef, s: number): Coef => {
  if (isZero(c) || s === 1) return c
  const v = constValue(c)
  return v === null ? mul(c, s) : scalar(v * s, c.dtype, c.weakType)
}

/** a · b for coefficients, with the same shortcuts: zeros, ones and known scalars. */
export const mulCoef = (a: Coef, b: Coef, aval: ShapedArray): Coef => {
  if (isZero(a) || isZero(b)) return new Zero(aval)
  const [va, vb] = [constValue(a), constValue(b)]
  if (va !== null && vb !== null) return scalar(va * vb, aval.dtype, a.weakType && b.weakType)
  if (va === 1 && b.ndim === aval.shape.length && b.dtype === aval.dtype) return b
  if (vb === 1 && a.ndim === aval.shape.length && a.dtype === aval.dtype) return a
  if (va !== null) return scaleCoef(b, va)
  if (vb !== null) return scaleCoef(a, vb)
  return mul(a, b)
}

/** s · a · b for coefficients: a known scalar factor joins s, so the product stages one
 *  multiplication by a constant, not two (a weighted term of a recurrence, w · x_j · y_{k−j},
 *  whose x_j is a literal along a line). */
export const mulCoefScaled = (a: Coef, b: Coef, s: number, aval: ShapedArray): Coef => {
  if (isZero(a) || isZero(b)) return new Zero(aval)
  const [va, vb] = [constValue(a), constValue(b)]
  if (va !== null && vb === null && b.ndim === aval.shape.length && b.dtype === aval.dtype) return scaleCoef(b, va * s)
  if (vb !== null && va === null && a.ndim === aval.shape.length && a.dtype === aval.dtype) return scaleCoef(a, vb * s)
  return scaleCoef(mulCoef(a, b, aval), s)
}

/**
 * A jet rule derived from a primitive's jvp rule — right for any primitive, and the way to give
 * a new primitive a jet rule in one line (`myprim: jetFromJvp('myprim')`). Prefer a direct
 * recurrence for primitives on hot paths: this one re-derives lower orders recursively.
 *
 * The math: along x(t), y(t) = f(x(t)) has y'(t) = J(x(t))·x'(t), which is the tangent output of
 * the jvp rule at (x(t), x'(t)). So a jet of order K − 1 of the jvp rule, fed with the series of
 * x and of x' (normalized coefficients (m + 1)·x_{m+1}), gives the series of y'; then
 * y_{m+1} = y'_m / (m + 1). The recursion ends at order 0, where the jvp rule runs as is. Cost:
 * O(K²) when the jvp rule is linear in primal-dependent masks (max, sort, selects), O(K³) when
 * it evaluates other analytic functions of x.
 */
export const jetFromJvp =
  <P extends PrimName>(prim: P): JetRule<P> =>
  (primals, series, params, K) => {
    const moving = series.map((s) => !isZeroSeries(s))
    const tangents0: Tangent[] = primals.map((p, i) => (moving[i] ? instantiate(series[i][0]) : new Zero(p.aval)))
    let mask: boolean[] = []
    const g = (...xs: Tracer[]): Tracer[] => {
      const n = primals.length
      let k = n
      const ts: Tangent[] = primals.map((p, i) => (moving[i] ? xs[k++] : new Zero(p.aval)))
      const [outs, touts] = rulesOf(prim).jvp(xs.slice(0, n), ts, params)
      mask = touts.map((t) => !isZero(t))
      return [...outs, ...touts.filter((t): t is Tracer => !isZero(t))]
    }
    const tanIdx = primals.map((_, i) => i).filter((i) => moving[i])
    const ins = [...primals, ...tanIdx.map((i) => tangents0[i] as Tracer)]
    // Series of x (order K − 1) and of x' (coefficients (m + 1) x_{m+1}, m = 1 … K − 1).
    const inSeries: Series[] = [
      ...series.map((s) => s.slice(0, K - 1)),
      ...tanIdx.map((i) => series[i].slice(1).map((c, m) => scaleCoef(c, m + 2))),
    ]
    const [outs, outS]: [Tracer[], Series[]] = K === 1 ? ((o) => [o, o.map(() => [])])(g(...ins)) : jetFlat(g, ins, inSeries, K - 1)
    const nOut = mask.length
    const primalOuts = outs.slice(0, nOut)
    let t = nOut
    const seriesOut: Series[] = primalOuts.map((y, j) => {
      if (!mask[j]) return zeroSeries(y.aval, K)
      const dy0 = outs[t]
      const dyS = outS[t++]
      // y_{m+1} = y'_m / (m + 1)
      return [dy0, ...dyS.map((c, m) => scaleCoef(c, 1 / (m + 2)))]
    })
    return [primalOuts, seriesOut]
  }

// ---- coefficient arithmetic shared by the rules --------------------------------------------

/** Sum of coefficients, skipping symbolic zeros (Zero when all are). */
export const sumCoefs = (cs: readonly Coef[], aval: ShapedArray): Coef => {
  let acc: Coef = new Zero(aval)
  for (const c of cs) acc = isZero(acc) ? c : isZero(c) ? acc : add(acc, c)
  return acc
}
export const scale = (c: Coef, s: number): Coef => scaleCoef(c, s)
export const divCoef = (c: Coef, x: Tracer): Coef => (isZero(c) ? c : div(c, x))
