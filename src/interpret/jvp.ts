/**
 * Interpreters: forward mode. A `JVPTracer` carries a primal and a tangent (a symbolic `Zero`
 * when nothing flows in); each primitive's jvp rule maps both. Primitives whose inputs all
 * have zero tangents are bound on the primals only, so unused inputs and `stopGradient` cost
 * nothing.
 */
import { type Tangent, Zero, isZero, rulesOf } from '../core/rules'
import { Trace, Tracer, fullRaise, withMain } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import { Jaxpr } from '../ir/jaxpr'
import type { ParamsMap, PrimName } from '../ir/params'
import { bindTracers } from '../core/tracer'
import { instantiate } from '../primitives/util'
import { evalJaxpr } from './eval'
import { traceToJaxpr } from './stage'

// (fields declared and assigned in the constructor: a class field would define each one twice
// per tracer — to undefined, then assigned — and every primitive differentiated makes tracers)
export class JVPTracer extends Tracer {
  declare readonly _trace: JVPTrace
  declare readonly primal: Tracer
  declare readonly tangent: Tangent
  constructor(_trace: JVPTrace, primal: Tracer, tangent: Tangent) {
    super()
    this._trace = _trace
    this.primal = primal
    this.tangent = tangent
  }
  get aval(): ShapedArray {
    return this.primal.aval
  }
}

export class JVPTrace extends Trace {
  lift(x: Tracer): Tracer {
    return new JVPTracer(this, x, new Zero(x.aval))
  }
  processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[] {
    const ts = tracers as readonly JVPTracer[]
    const n = ts.length
    const primals = new Array<Tracer>(n)
    const tangents = new Array<Tangent>(n)
    let allZero = true
    for (let i = 0; i < n; i++) {
      primals[i] = ts[i].primal
      tangents[i] = ts[i].tangent
      if (!isZero(tangents[i])) allZero = false
    }
    // (every primitive differentiated passes here, mostly in cold code: indexed loops, no
    // per-call closures)
    if (allZero) {
      const outs = bindTracers(prim, primals, params)
      const res = new Array<Tracer>(outs.length)
      for (let i = 0; i < outs.length; i++) res[i] = new JVPTracer(this, outs[i], new Zero(outs[i].aval))
      return res
    }
    const r = rulesOf(prim).jvp(primals, tangents, params)
    const outs = r[0]
    const outTangents = r[1]
    const res = new Array<Tracer>(outs.length)
    for (let i = 0; i < outs.length; i++) res[i] = new JVPTracer(this, outs[i], outTangents[i])
    return res
  }
}

/** Push tangents through `f` at `primals`; output tangents may be symbolic zeros. */
export const jvpFlat = (
  f: (...xs: Tracer[]) => readonly Tracer[],
  primals: readonly Tracer[],
  tangents: readonly Tangent[],
): [Tracer[], Tangent[]] =>
  withMain(JVPTrace, null, (main) => {
    const trace = main.trace() as JVPTrace
    const ins = primals.map((p, i) => new JVPTracer(trace, p, tangents[i]))
    const outs = f(...ins).map((o) => fullRaise(trace, o) as JVPTracer)
    return [outs.map((o) => o.primal), outs.map((o) => o.tangent)]
  })

/**
 * The jvp of a jaxpr as a jaxpr: inputs (consts, primals, tangents of the `nonzeros` inputs),
 * outputs (primals, tangents of the nonzero outputs). Output tangents that are symbolic zeros
 * are dropped unless `instantiate` asks for them; `outNonzeros` says which were kept.
 */
export const jvpJaxpr = (
  jaxpr: Jaxpr,
  numConsts: number,
  nonzeros: readonly boolean[],
  instantiateOuts: boolean | readonly boolean[],
): { jaxpr: Jaxpr; consts: Tracer[]; outNonzeros: boolean[] } => {
  const inAvals = jaxpr.inAvals
  const primalAvals = inAvals.slice(numConsts)
  const tangentAvals = primalAvals.filter((_, i) => nonzeros[i])
  let outNonzeros: boolean[] = []
  const closed = traceToJaxpr(
    (...xs) => {
      const consts = xs.slice(0, numConsts)
      const primals = xs.slice(numConsts, numConsts + primalAvals.length)
      let k = numConsts + primalAvals.length
      const tangents: Tangent[] = primalAvals.map((a, i) => (nonzeros[i] ? xs[k++] : new Zero(a)))
      const [outs, touts] = jvpFlat(
        (...ps) => evalJaxpr(jaxpr, [], [...consts, ...ps]),
        primals,
        tangents,
      )
      const inst = (i: number) => (typeof instantiateOuts === 'boolean' ? instantiateOuts : instantiateOuts[i])
      outNonzeros = touts.map((t, i) => !isZero(t) || inst(i))
      const kept = touts.flatMap((t, i) => (outNonzeros[i] ? [instantiate(t)] : []))
      return [...outs, ...kept]
    },
    [...inAvals.slice(0, numConsts), ...primalAvals, ...tangentAvals],
  )
  return { jaxpr: hoistConsts(closed.jaxpr), consts: [...closed.consts], outNonzeros }
}

/** Turn a jaxpr's constVars into leading inVars (higher-order primitives pass consts as inputs). */
export const hoistConsts = (j: Jaxpr): Jaxpr =>
  j.constVars.length === 0 ? j : new Jaxpr([], [...j.constVars, ...j.inVars], j.eqns, j.outs)
