/**
 * Interpreters: partial evaluation. Values are *known* (computed now) or *unknown* (staged
 * into a jaxpr for later). `linearize` is jvp under partial evaluation with known primals and
 * unknown tangents: the primal computation runs, and what remains — linear in the tangents —
 * is the linear jaxpr, closed over residuals.
 *
 * Two forms, as in JAX: a trace (`PartialEvalTrace`, for functions) and a syntactic split of
 * a jaxpr (`partialEvalJaxpr`, for the bodies of higher-order primitives).
 */
import { isConcrete } from '../core/array'
import { rulesOf } from '../core/rules'
import { checkBuilt } from './check'
import { Trace, Tracer, bind, fullRaise, withMain } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import { type Atom, type Eqn, Jaxpr, Lit, Var, makeEqn } from '../ir/jaxpr'
import type { ParamsMap, PrimName } from '../ir/params'

export interface PartialVal {
  readonly aval: ShapedArray
  readonly known: Tracer | null
}
export const knownVal = (x: Tracer): PartialVal => ({ aval: x.aval, known: x })
export const unknownVal = (aval: ShapedArray): PartialVal => ({ aval, known: null })

/** How an unknown tracer came to be: an input of the staged jaxpr, a constant, or an equation. */
export type Recipe =
  | { readonly kind: 'lambda' }
  | { readonly kind: 'const'; readonly value: Tracer }
  | { readonly kind: 'eqn'; readonly eqn: EqnRecipe }

export interface EqnRecipe {
  readonly prim: PrimName
  readonly inputs: readonly PETracer[]
  readonly params: unknown
  outs: PETracer[]
}

export class PETracer extends Tracer {
  /** A known tracer's constant on the staged side, made once however often it is read there. */
  staged: PETracer | null = null
  constructor(
    readonly _trace: PartialEvalTrace,
    readonly pval: PartialVal,
    public recipe: Recipe | null,
  ) {
    super()
  }
  get aval(): ShapedArray {
    return this.pval.aval
  }
  override fullLower(): Tracer {
    return this.pval.known !== null ? this.pval.known.fullLower() : this
  }
}

export class PartialEvalTrace extends Trace {
  newArg(pval: PartialVal): PETracer {
    return new PETracer(this, pval, pval.known === null ? { kind: 'lambda' } : null)
  }
  lift(x: Tracer): Tracer {
    return new PETracer(this, knownVal(x), null)
  }
  /** A known value needed by the staged side becomes a constant of the staged jaxpr (a residual). */
  instantiateConst(t: PETracer): PETracer {
    if (t.pval.known === null) return t
    if (t.staged === null || t.staged._trace !== this) t.staged = new PETracer(this, unknownVal(t.aval), { kind: 'const', value: t.pval.known })
    return t.staged
  }
  /** Stage one equation on (instantiated) unknown inputs; returns its unknown outputs. */
  stage(prim: PrimName, tracers: readonly PETracer[], params: unknown, avalsOut: readonly ShapedArray[]): PETracer[] {
    const recipe: EqnRecipe = { prim, inputs: tracers.map((t) => this.instantiateConst(t)), params, outs: [] }
    recipe.outs = avalsOut.map((a) => new PETracer(this, unknownVal(a), { kind: 'eqn', eqn: recipe }))
    return recipe.outs
  }
  processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[] {
    const ts = tracers as readonly PETracer[]
    if (ts.every((t) => t.pval.known !== null)) {
      return bind(prim, ts.map((t) => t.pval.known as Tracer), params)
    }
    const rules = rulesOf(prim)
    if (rules.partialEval) return rules.partialEval(this, tracers, params)
    return this.stage(prim, ts, params, rules.abstractEval(ts.map((t) => t.aval), params))
  }
}

/** Parents first, iteratively (deep chains of thousands of equations must not overflow). */
const toposort = (outs: readonly PETracer[]): PETracer[] => {
  const order: PETracer[] = []
  const seen = new Set<PETracer>()
  const stack: [PETracer, boolean][] = outs.map((t) => [t, false])
  stack.reverse()
  while (stack.length > 0) {
    const [t, expanded] = stack.pop() as [PETracer, boolean]
    if (expanded) {
      order.push(t)
      continue
    }
    if (seen.has(t)) continue
    seen.add(t)
    stack.push([t, true])
    const r = t.recipe
    if (r?.kind === 'eqn') for (let i = r.eqn.inputs.length - 1; i >= 0; i--) if (!seen.has(r.eqn.inputs[i])) stack.push([r.eqn.inputs[i], false])
  }
  return order
}

/** The staged jaxpr from `ins` to `outs`, with its constants (0-d concrete ones inlined as literals). */
export const tracersToJaxpr = (ins: readonly PETracer[], outs: readonly PETracer[]): { jaxpr: Jaxpr; consts: Tracer[] } => {
  const vars = new Map<PETracer, Atom>()
  const constVarOf = new Map<Tracer, Var>()
  const constVars: Var[] = []
  const consts: Tracer[] = []
  const emitted = new Set<EqnRecipe>()
  const eqns: Eqn[] = []
  const inVars = ins.map((t) => {
    const v = new Var(t.aval)
    vars.set(t, v)
    return v
  })
  for (const t of toposort(outs)) {
    if (vars.has(t)) continue
    const r = t.recipe
    if (r === null || r.kind === 'lambda') {
      throw new Error('internal: partial evaluation reached an unknown value that is not an input')
    }
    if (r.kind === 'const') {
      const val = r.value
      if (isConcrete(val) && val.ndim === 0) {
        vars.set(t, new Lit(Number(val.data[0]), val.dtype, val.weakType))
        continue
      }
      let v = constVarOf.get(val)
      if (v === undefined) {
        v = new Var(t.aval)
        constVarOf.set(val, v)
        constVars.push(v)
        consts.push(val)
      }
      vars.set(t, v)
      continue
    }
    const e = r.eqn
    if (emitted.has(e)) continue
    emitted.add(e)
    const outVars = e.outs.map((o) => {
      const v = new Var(o.aval)
      vars.set(o, v)
      return v
    })
    eqns.push(makeEqn(e.prim, e.inputs.map((i) => vars.get(i) as Atom), e.params as never, outVars))
  }
  const jaxpr = new Jaxpr(constVars, inVars, eqns, outs.map((t) => vars.get(t) as Atom))
  return { jaxpr: checkBuilt(jaxpr, 'partial evaluation'), consts }
}

/**
 * Partially evaluate `f`: known inputs are computed now, unknown ones staged. Returns the
 * output partial values and the jaxpr of the unknown outputs (inputs: the unknown inputs).
 * Outputs in `instantiate` are made unknown even if known (so they appear in the jaxpr).
 */
export const partialEvalFlat = (
  f: (...xs: Tracer[]) => readonly Tracer[],
  pvalsIn: readonly PartialVal[],
  instantiate: (i: number) => boolean = () => false,
): { jaxpr: Jaxpr; consts: Tracer[]; pvalsOut: PartialVal[] } =>
  withMain(PartialEvalTrace, null, (main) => {
    const trace = main.trace() as PartialEvalTrace
    const ins = pvalsIn.map((pv) => trace.newArg(pv))
    const outs = f(...ins).map((o, i) => {
      const t = fullRaise(trace, o) as PETracer
      return instantiate(i) ? trace.instantiateConst(t) : t
    })
    const unknownIns = ins.filter((t) => t.pval.known === null)
    const unknownOuts = outs.filter((t) => t.pval.known === null)
    const { jaxpr, consts } = tracersToJaxpr(unknownIns, unknownOuts)
    return { jaxpr, consts, pvalsOut: outs.map((t) => t.pval) }
  })

// ---- the syntactic form ----------------------------------------------------------------------

export interface JaxprSplit {
  /** known inputs → known outputs ++ residuals */
  readonly known: Jaxpr
  /** residuals ++ unknown inputs → unknown outputs */
  readonly unknown: Jaxpr
  readonly outUnknowns: boolean[]
  readonly numRes: number
}

/** A rule splitting one equation of a higher-order primitive: the known equation (or null),
 *  the unknown one, which outputs are unknown, and the residual atoms the unknown one reads. */
export type EqnSplitRule = (eqn: Eqn, unknownIns: readonly boolean[]) => {
  known: Eqn | null
  unknown: Eqn
  outUnknowns: boolean[]
  residuals: Var[]
}
const eqnSplitRules = new Map<PrimName, EqnSplitRule>()
export const registerEqnSplitRule = (prim: PrimName, rule: EqnSplitRule): void => {
  eqnSplitRules.set(prim, rule)
}

export const partialEvalJaxpr = (
  jaxpr: Jaxpr,
  unknownIns: readonly boolean[],
  instantiate: boolean | readonly boolean[] = false,
): JaxprSplit => {
  if (jaxpr.constVars.length > 0) throw new Error('internal: partialEvalJaxpr of a jaxpr with constVars')
  const unk = new Map<Var, boolean>()
  jaxpr.inVars.forEach((v, i) => unk.set(v, unknownIns[i]))
  const isUnk = (a: Atom): boolean => a._tag === 'Var' && unk.get(a) === true
  const residuals: Var[] = []
  const resSet = new Set<Var>()
  const addRes = (a: Atom): void => {
    if (a._tag === 'Var' && !resSet.has(a)) {
      resSet.add(a)
      residuals.push(a)
    }
  }
  const knownEqns: Eqn[] = []
  const unknownEqns: Eqn[] = []
  for (const eqn of jaxpr.eqns) {
    const unksIn = eqn.inputs.map(isUnk)
    if (!unksIn.some(Boolean)) {
      knownEqns.push(eqn)
      eqn.outVars.forEach((v) => unk.set(v, false))
      continue
    }
    const rule = eqnSplitRules.get(eqn.prim)
    if (rule) {
      const r = rule(eqn, unksIn)
      if (r.known) knownEqns.push(r.known)
      unknownEqns.push(r.unknown)
      r.residuals.forEach(addRes)
      eqn.outVars.forEach((v, i) => unk.set(v, r.outUnknowns[i]))
      continue
    }
    eqn.inputs.forEach((a, i) => !unksIn[i] && addRes(a))
    unknownEqns.push(eqn)
    eqn.outVars.forEach((v) => unk.set(v, true))
  }
  const inst = (i: number) => (typeof instantiate === 'boolean' ? instantiate : instantiate[i])
  const outUnknowns = jaxpr.outs.map((a, i) => isUnk(a) || inst(i))
  jaxpr.outs.forEach((a, i) => outUnknowns[i] && !isUnk(a) && addRes(a))
  const knownOuts = jaxpr.outs.filter((_, i) => !outUnknowns[i])
  const known = new Jaxpr([], jaxpr.inVars.filter((_, i) => !unknownIns[i]), knownEqns, [...knownOuts, ...residuals])
  const unknown = new Jaxpr(
    [],
    [...residuals, ...jaxpr.inVars.filter((_, i) => unknownIns[i])],
    unknownEqns,
    jaxpr.outs.filter((_, i) => outUnknowns[i]),
  )
  return { known: checkBuilt(known, 'partialEvalJaxpr (known)'), unknown: checkBuilt(unknown, 'partialEvalJaxpr (unknown)'), outUnknowns, numRes: residuals.length }
}
