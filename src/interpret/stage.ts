/**
 * Interpreters: staging. A `JaxprTrace` records every primitive applied to its tracers as an
 * equation; `traceToJaxpr` runs a function on abstract inputs and returns the jaxpr with its
 * constants (concrete arrays, or tracers of outer transformations that the function closed
 * over). Staging is *dynamic*: while it runs, even binds of constants only are recorded.
 */
import { isConcrete } from '../core/array'
import { rulesOf } from '../core/rules'
import { checkBuilt } from './check'
import { type MainTrace, Trace, Tracer, fullRaise, withDynamic, withMain } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import { type Atom, ClosedJaxpr, type Eqn, Jaxpr, Lit, Var, makeEqn } from '../ir/jaxpr'
import type { ParamsMap, PrimName } from '../ir/params'

export class JaxprTracer extends Tracer {
  constructor(
    readonly _trace: JaxprTrace,
    readonly aval: ShapedArray,
  ) {
    super()
  }
}

/** Collects equations; owns the tracer → variable map of one staging run. */
export class JaxprBuilder {
  readonly eqns: Eqn[] = []
  readonly tracerToVar = new Map<Tracer, Var>()
  /** constant value → its tracer in this trace (so one constant gets one constVar) */
  readonly constTracers = new Map<Tracer, JaxprTracer>()
  readonly constVals = new Map<Var, Tracer>()

  newTracer(trace: JaxprTrace, aval: ShapedArray): JaxprTracer {
    const t = new JaxprTracer(trace, aval)
    this.tracerToVar.set(t, new Var(aval))
    return t
  }
  getVar(t: Tracer): Var {
    const v = this.tracerToVar.get(t)
    if (v === undefined) throw new Error('internal: tracer from another staging run')
    return v
  }

  /** Build the jaxpr for `ins` → `outs`; 0-d concrete constants are inlined as literals. */
  build(ins: readonly Tracer[], outs: readonly Tracer[]): ClosedJaxpr<Tracer> {
    const literals = new Map<Var, Lit>()
    const constVars: Var[] = []
    const consts: Tracer[] = []
    for (const [v, val] of this.constVals) {
      if (isConcrete(val) && val.ndim === 0) {
        literals.set(v, new Lit(Number(val.data[0]), val.dtype, val.weakType))
      } else {
        constVars.push(v)
        consts.push(val)
      }
    }
    const sub = (a: Atom): Atom => (a._tag === 'Var' ? (literals.get(a) ?? a) : a)
    const eqns = literals.size === 0 ? this.eqns : this.eqns.map((e) => makeEqn(e.prim, e.inputs.map(sub), e.params, e.outVars))
    const jaxpr = new Jaxpr(constVars, ins.map((t) => this.getVar(t)), eqns, outs.map((t) => sub(this.getVar(t))))
    return new ClosedJaxpr(checkBuilt(jaxpr, 'staging'), consts)
  }
}

export class JaxprTrace extends Trace {
  get builder(): JaxprBuilder {
    return this.main.globalData as JaxprBuilder
  }
  newArg(aval: ShapedArray): JaxprTracer {
    return this.builder.newTracer(this, aval)
  }
  /** A value from outside (a concrete array or an outer tracer) becomes a constant. */
  lift(x: Tracer): Tracer {
    const b = this.builder
    let t = b.constTracers.get(x)
    if (t === undefined) {
      t = b.newTracer(this, x.aval)
      b.constTracers.set(x, t)
      b.constVals.set(b.getVar(t), x)
    }
    return t
  }
  processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[] {
    const avalsOut = rulesOf(prim).abstractEval(tracers.map((t) => t.aval), params)
    const b = this.builder
    const outs = avalsOut.map((a) => b.newTracer(this, a))
    b.eqns.push(makeEqn(prim, tracers.map((t) => b.getVar(t)), params, outs.map((t) => b.getVar(t))))
    return outs
  }
}

/**
 * Trace `f` on abstract inputs of the given avals. `f` receives tracers and returns a list of
 * arrays (JS numbers are lifted by the caller's flattening).
 */
export const traceToJaxpr = (
  f: (...xs: Tracer[]) => readonly Tracer[],
  inAvals: readonly ShapedArray[],
): ClosedJaxpr<Tracer> =>
  withMain(JaxprTrace, new JaxprBuilder(), (main: MainTrace) =>
    withDynamic(main, () => {
      const trace = main.trace() as JaxprTrace
      const ins = inAvals.map((a) => trace.newArg(a))
      const outs = f(...ins).map((o) => fullRaise(trace, o))
      return trace.builder.build(ins, outs)
    }),
  )
