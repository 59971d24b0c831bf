/**
 * Higher-order primitives: `checkpoint` (rematerialization). Forward it is a call. Under
 * reverse mode, its partial evaluation keeps only its *inputs* as residuals: the staged
 * (linear) side recomputes the body's intermediates during the backward pass instead of
 * storing them — memory for time.
 */
import { type RuleTable, Zero, isZero } from '../core/rules'
import { type Tracer, bind, fullRaise } from '../core/tracer'
import { type Eqn, type Jaxpr, type Var, makeEqn } from '../ir/jaxpr'
import { batchJaxpr } from '../interpret/batch'
import { dceJaxpr } from '../interpret/dce'
import { evalJaxpr } from '../interpret/eval'
import { jvpJaxpr } from '../interpret/jvp'
import { type PETracer, type PartialEvalTrace, partialEvalJaxpr, registerEqnSplitRule } from '../interpret/partial'
import { checkCallAvals, mergeTangents, transposeCall } from './jit'

/**
 * The known side of a rematerialized call: the split's known jaxpr (known inputs → known
 * outputs; nested calls are split too), without its residual outputs — the unknown side
 * recomputes instead of reading residuals.
 */
const knownSide = (body: Jaxpr, unknownIns: readonly boolean[]): { known: Jaxpr; outUnknowns: boolean[] } => {
  const s = partialEvalJaxpr(body, unknownIns)
  const numKnown = s.known.outs.length - s.numRes
  return { known: dceJaxpr(s.known, s.known.outs.map((_, i) => i < numKnown)), outUnknowns: s.outUnknowns }
}

registerEqnSplitRule('checkpoint', (eqn, unknownIns) => {
  const e = eqn as Eqn<'checkpoint'>
  const { known: knownJ, outUnknowns } = knownSide(e.params.jaxpr, unknownIns)
  const known = makeEqn(
    'checkpoint',
    e.inputs.filter((_, i) => !unknownIns[i]),
    { ...e.params, jaxpr: knownJ, numConsts: 0 },
    e.outVars.filter((_, i) => !outUnknowns[i]),
  )
  const unknown = makeEqn('checkpoint', e.inputs, { ...e.params, jaxpr: dceJaxpr(e.params.jaxpr, outUnknowns) }, e.outVars.filter((_, i) => outUnknowns[i]))
  const residuals = e.inputs.filter((a, i) => !unknownIns[i] && a._tag === 'Var') as Var[]
  return { known, unknown, outUnknowns, residuals }
})

export const checkpointRules: Pick<RuleTable, 'checkpoint'> = {
  checkpoint: {
    abstractEval: (avals, p) => {
      checkCallAvals(`checkpoint(${p.name})`, p, avals)
      return p.jaxpr.outAvals
    },
    impl: (xs, p) => evalJaxpr(p.jaxpr, [], xs) as never,
    jvp: (primals, tangents, p) => {
      const nonzeros = tangents.map((t) => !isZero(t))
      const j = jvpJaxpr(p.jaxpr, 0, nonzeros, false)
      const outs = bind('checkpoint', [...j.consts, ...primals, ...(tangents.filter((t) => !isZero(t)) as Tracer[])], {
        jaxpr: j.jaxpr,
        numConsts: j.consts.length,
        name: p.name,
      })
      return mergeTangents(outs, p.jaxpr.outs.length, j.outNonzeros, (i) => new Zero(p.jaxpr.outs[i].aval))
    },
    // Residuals are the known inputs only; the staged side recomputes the body.
    partialEval: (trace, tracers, p) => {
      const pe = trace as PartialEvalTrace
      const ts = tracers as readonly PETracer[]
      const unknownIns = ts.map((t) => t.pval.known === null)
      const { known: knownJ, outUnknowns } = knownSide(p.jaxpr, unknownIns)
      const knownVals = ts.filter((t) => t.pval.known !== null).map((t) => t.pval.known as Tracer)
      const outs1 = bind('checkpoint', knownVals, { jaxpr: knownJ, numConsts: 0, name: p.name })
      const ins2 = ts.map((t) => (t.pval.known !== null ? pe.instantiateConst(fullRaise(pe, t.pval.known) as PETracer) : t))
      const unknownJ = dceJaxpr(p.jaxpr, outUnknowns)
      const outs2 = pe.stage('checkpoint', ins2, { jaxpr: unknownJ, numConsts: p.numConsts, name: p.name }, unknownJ.outAvals)
      let [i1, i2] = [0, 0]
      return outUnknowns.map((u) => (u ? outs2[i2++] : outs1[i1++]))
    },
    transpose: (cts, args, p) => transposeCall('checkpoint', cts, args, p),
    batch: (axisSize, xs, bdims, p) => {
      const b = batchJaxpr(p.jaxpr, axisSize, bdims, false)
      const outs = bind('checkpoint', [...b.consts, ...xs], { jaxpr: b.jaxpr, numConsts: b.consts.length, name: p.name })
      return [outs, b.outDims]
    },
  },
}

