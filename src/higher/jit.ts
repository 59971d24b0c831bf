/**
 * Higher-order primitives: `jit`. Its param is a jaxpr (constants passed as leading inputs),
 * and it has a rule in every interpreter — so `grad(jit(f))`, `jit(grad(f))` and
 * `vmap(jit(f))` all stay staged as jit calls rather than inlining the body.
 */
import { type RuleTable, type Tangent, type UndefPrimal, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind, fullRaise } from '../core/tracer'
import { ShapeError } from '../core/errors'
import { avalEq, avalStr } from '../ir/aval'
import { type Eqn, Var, makeEqn } from '../ir/jaxpr'
import type { CallParams } from '../ir/params'
import { runJit } from '../backend'
import { batchJaxpr } from '../interpret/batch'
import { jvpJaxpr } from '../interpret/jvp'
import { type PETracer, type PartialEvalTrace, partialEvalJaxpr, registerEqnSplitRule } from '../interpret/partial'
import { transposeJaxpr } from '../interpret/transpose'
import { instantiate } from '../primitives/util'

/** Check a call's inputs against its jaxpr: the same avals, in order. */
export const checkCallAvals = (name: string, p: CallParams, avals: readonly { shape: readonly number[]; dtype: string }[]): void => {
  const want = p.jaxpr.inAvals
  if (want.length !== avals.length || want.some((a, i) => !avalEq(a, avals[i] as never))) {
    throw new ShapeError(`${name}: called with (${avals.map((a) => avalStr(a as never)).join(', ')}) but its jaxpr takes (${want.map(avalStr).join(', ')})`)
  }
}

/** Split outputs into primal outputs and tangents (symbolic zeros where `nonzeros` is false). */
export const mergeTangents = (outs: readonly Tracer[], numPrimals: number, nonzeros: readonly boolean[], zeroOf: (i: number) => Tangent): [Tracer[], Tangent[]] => {
  const primals = outs.slice(0, numPrimals)
  let k = numPrimals
  return [primals, nonzeros.map((nz, i) => (nz ? outs[k++] : zeroOf(i)))]
}

/** The known/unknown split of a call-like equation (used for jit; checkpoint has its own). */
export const splitCallEqn = (prim: 'jit', eqn: Eqn<'jit'>, unknownIns: readonly boolean[]) => {
  const s = partialEvalJaxpr(eqn.params.jaxpr, unknownIns)
  const resVars = s.known.outs.slice(s.known.outs.length - s.numRes).map((a) => new Var(a.aval))
  const knownOuts = eqn.outVars.filter((_, i) => !s.outUnknowns[i])
  const known = makeEqn(prim, eqn.inputs.filter((_, i) => !unknownIns[i]), { ...eqn.params, jaxpr: s.known, numConsts: 0 }, [...knownOuts, ...resVars])
  const unknown = makeEqn(prim, [...resVars, ...eqn.inputs.filter((_, i) => unknownIns[i])], { ...eqn.params, jaxpr: s.unknown, numConsts: 0 }, eqn.outVars.filter((_, i) => s.outUnknowns[i]))
  return { known, unknown, outUnknowns: s.outUnknowns, residuals: resVars }
}

/** Transpose a call-like equation: one call of its transposed body (jit and checkpoint). */
export const transposeCall = (prim: 'jit' | 'checkpoint', cts: readonly Tangent[], args: readonly (Tracer | UndefPrimal)[], p: CallParams): (Tangent | null)[] => {
  const linearIns = args.map(isUndef)
  const t = transposeJaxpr(p.jaxpr, linearIns)
  const nonlin = args.filter((a) => !isUndef(a)) as Tracer[]
  const outs = bind(prim, [...t.consts, ...nonlin, ...cts.map(instantiate)], {
    jaxpr: t.jaxpr,
    numConsts: t.consts.length,
    name: `transpose(${p.name})`,
  })
  let k = 0
  return linearIns.map((lin) => (lin ? outs[k++] : null))
}

registerEqnSplitRule('jit', (eqn, unk) => splitCallEqn('jit', eqn as Eqn<'jit'>, unk))

export const jitRules: Pick<RuleTable, 'jit'> = {
  jit: {
    abstractEval: (avals, p) => {
      checkCallAvals(`jit(${p.name})`, p, avals)
      return p.jaxpr.outAvals
    },
    // The fused-kernel evaluator (src/backend), or the reference interpreter when it is off.
    impl: (xs, p) => runJit(p.jaxpr, xs) as never,
    // jvp(jit f) = jit(jvp f): one staged call computing primals and tangents.
    jvp: (primals, tangents, p) => {
      const nonzeros = tangents.map((t) => !isZero(t))
      const j = jvpJaxpr(p.jaxpr, 0, nonzeros, false)
      const outs = bind('jit', [...j.consts, ...primals, ...tangents.filter((t) => !isZero(t)) as Tracer[]], {
        jaxpr: j.jaxpr,
        numConsts: j.consts.length,
        name: `jvp(${p.name})`,
      })
      const n = p.jaxpr.outs.length
      return mergeTangents(outs, n, j.outNonzeros, (i) => new Zero(p.jaxpr.outs[i].aval))
    },
    // The known part runs now as one jit call; the unknown part is staged as another.
    partialEval: (trace, tracers, p) => {
      const pe = trace as PartialEvalTrace
      const ts = tracers as readonly PETracer[]
      const unknownIns = ts.map((t) => t.pval.known === null)
      const s = partialEvalJaxpr(p.jaxpr, unknownIns)
      const knownVals = ts.filter((t) => t.pval.known !== null).map((t) => t.pval.known as Tracer)
      const outs1Res = bind('jit', knownVals, { jaxpr: s.known, numConsts: 0, name: p.name })
      const outs1 = outs1Res.slice(0, outs1Res.length - s.numRes)
      const res = outs1Res.slice(outs1Res.length - s.numRes).map((r) => pe.instantiateConst(fullRaise(pe, r) as PETracer))
      const outs2 = pe.stage('jit', [...res, ...ts.filter((t) => t.pval.known === null)], { jaxpr: s.unknown, numConsts: 0, name: p.name }, s.unknown.outAvals)
      let [i1, i2] = [0, 0]
      return s.outUnknowns.map((u) => (u ? outs2[i2++] : outs1[i1++]))
    },
    transpose: (cts, args, p) => transposeCall('jit', cts, args, p),
    batch: (axisSize, xs, bdims, p) => {
      const b = batchJaxpr(p.jaxpr, axisSize, bdims, false)
      const outs = bind('jit', [...b.consts, ...xs], { jaxpr: b.jaxpr, numConsts: b.consts.length, name: `vmap(${p.name})` })
      return [outs, b.outDims]
    },
  },
}
