/**
 * Taylor-mode rules: higher-order primitives. `jit` and `checkpoint` stay one staged call of
 * their jetted body; `cond` jets every branch (the index has no series); `while` and `scan`
 * carry the coefficients of their carry along with it (a fixed point decides which carries have
 * a series), and `scan` slices the coefficients of `xs` per step and stacks those of `ys`.
 *
 * Custom rules: a jet propagates through the *primal* body of `customJvp` and `customVjp`
 * functions — their rules define first derivatives only, while a jet needs all orders. (Laws
 * that compare jet with nested jvp therefore see the primal body's derivatives there.)
 */
import type { Tracer } from '../core/tracer'
import { bind } from '../core/tracer'
import { isFloat } from '../ir/dtypes'
import type { Jaxpr } from '../ir/jaxpr'
import type { CallParams, ParamsMap } from '../ir/params'
import { evalJaxpr } from '../interpret/eval'
import { type JetRule, type JetRuleTable, type Series, collapse, expand, hasSeries, jetFlat, jetFromJvp, jetJaxpr } from '../interpret/jet'
import { fixedPointWith, loopMaskStart, traceHoisted } from '../higher/util'

/** jit / checkpoint: one call of the jetted body. */
const callRule =
  <P extends 'jit' | 'checkpoint'>(prim: P): JetRule<P> =>
  (primals, series, p, K) => {
    const inS = hasSeries(series)
    const j = jetJaxpr(p.jaxpr, K, inS, null)
    const params: CallParams = { jaxpr: j.jaxpr, numConsts: j.consts.length, name: `jet(${p.name})` }
    const outs = bind(prim, [...j.consts, ...expand(primals, series, inS)], params as ParamsMap[P])
    return collapse(outs, j.outSeries, K)
  }

/** Run a jaxpr's body inline under a jet of the same order. */
const inline = (jaxpr: Jaxpr, primals: readonly Tracer[], series: readonly Series[], K: number): [Tracer[], Series[]] =>
  jetFlat((...xs) => evalJaxpr(jaxpr, [], xs), primals, series, K)

const condRule: JetRule<'cond'> = ([index, ...ops], [, ...opSeries], p, K) => {
  const inS = hasSeries(opSeries)
  const force = p.branches[0].outAvals.map((a) => isFloat(a.dtype))
  const jets = p.branches.map((b) => jetJaxpr(b, K, inS, force))
  // Every branch takes every branch's constants (and ignores the others').
  const allConsts = jets.flatMap((j) => j.consts)
  const ins = expand(ops, opSeries, inS)
  const avals = [...allConsts.map((c) => c.aval), ...ins.map((x) => x.aval)]
  let offset = 0
  const branches = jets.map((j) => {
    const at = offset
    offset += j.consts.length
    return traceHoisted((...xs) => evalJaxpr(j.jaxpr, [], [...xs.slice(at, at + j.consts.length), ...xs.slice(allConsts.length)]), avals).jaxpr
  })
  const outs = bind('cond', [index, ...allConsts, ...ins], { branches })
  return collapse(outs, force, K)
}

const whileRule: JetRule<'while'> = (primals, series, p, K) => {
  const [nc, nb] = [p.condNumConsts, p.bodyNumConsts]
  const condConsts = primals.slice(0, nc)
  const [bc, bcSeries] = [primals.slice(nc, nc + nb), series.slice(nc, nc + nb)]
  const [carry, carrySeries] = [primals.slice(nc + nb), series.slice(nc + nb)]
  const bcS = hasSeries(bcSeries)
  // the last step is the final body when its carries with series are exactly the mask's; the
  // fixed point starts where the body's equations say it ends (a carry that gets a series only
  // after one trip costs no jet of the body that is thrown away)
  const init = hasSeries(carrySeries).map((s, i) => s && isFloat(carry[i].dtype))
  const fix = fixedPointWith(loopMaskStart(p.bodyJaxpr, init, (m) => [...bcS, ...m], 'tangent'), (m) => {
    const r = jetJaxpr(p.bodyJaxpr, K, [...bcS, ...m], null)
    return { mask: r.outSeries, result: r }
  })
  const carryS = fix.mask
  const j = fix.reusable ? fix.result : jetJaxpr(p.bodyJaxpr, K, [...bcS, ...carryS], carryS)
  const bodyIns = expand(bc, bcSeries, bcS)
  const carryIns = expand(carry, carrySeries, carryS)
  // The condition reads the carry's primals only (collapse drops the coefficients).
  const cond = traceHoisted(
    (...xs) => evalJaxpr(p.condJaxpr, [], [...xs.slice(0, nc), ...collapse(xs.slice(nc), carryS, K)[0]]),
    [...condConsts.map((x) => x.aval), ...carryIns.map((x) => x.aval)],
  )
  const outs = bind('while', [...cond.consts, ...condConsts, ...j.consts, ...bodyIns, ...carryIns], {
    condJaxpr: cond.jaxpr,
    bodyJaxpr: j.jaxpr,
    condNumConsts: cond.consts.length + nc,
    bodyNumConsts: j.consts.length + bodyIns.length,
    // the bound still holds (and is still checked): the jetted loop takes the same steps
    ...(p.maxSteps === undefined ? {} : { maxSteps: p.maxSteps }),
  })
  return collapse(outs, carryS, K)
}

const scanRule: JetRule<'scan'> = (primals, series, p, K) => {
  const [nc, nk] = [p.numConsts, p.numCarry]
  const [consts, cSeries] = [primals.slice(0, nc), series.slice(0, nc)]
  const [carry, kSeries] = [primals.slice(nc, nc + nk), series.slice(nc, nc + nk)]
  const [xs, xSeries] = [primals.slice(nc + nk), series.slice(nc + nk)]
  const [cS, xS] = [hasSeries(cSeries), hasSeries(xSeries)]
  // the last step is the final body when its carries with series are exactly the mask's (from
  // the start the body's equations give, as for while)
  const init = hasSeries(kSeries).map((s, i) => s && isFloat(carry[i].dtype))
  const fix = fixedPointWith(loopMaskStart(p.jaxpr, init, (m) => [...cS, ...m, ...xS], 'tangent'), (m) => {
    const r = jetJaxpr(p.jaxpr, K, [...cS, ...m, ...xS], null)
    return { mask: r.outSeries.slice(0, nk), result: r }
  })
  const carryS = fix.mask
  const ysS = fix.result.outSeries.slice(nk)
  const j = fix.reusable ? fix.result : jetJaxpr(p.jaxpr, K, [...cS, ...carryS, ...xS], [...carryS, ...ysS])
  const constIns = expand(consts, cSeries, cS)
  const carryIns = expand(carry, kSeries, carryS)
  const outs = bind('scan', [...j.consts, ...constIns, ...carryIns, ...expand(xs, xSeries, xS)], {
    jaxpr: j.jaxpr,
    numConsts: j.consts.length + constIns.length,
    numCarry: carryIns.length,
    length: p.length,
    reverse: p.reverse,
    // a bounded while loop's "running" flag (a bool: no series) keeps its role at its new place
    ...(p.whileFlag === undefined ? {} : { whileFlag: carryS.slice(0, p.whileFlag).reduce((n, s) => n + (s ? 1 + K : 1), 0) }),
  })
  return collapse(outs, [...carryS, ...ysS], K)
}

const registeredJet = jetFromJvp('custom_jvp_call')

export const controlJetRules: Pick<JetRuleTable, 'jit' | 'checkpoint' | 'cond' | 'while' | 'scan' | 'custom_jvp_call' | 'custom_vjp_call'> = {
  jit: callRule('jit'),
  checkpoint: callRule('checkpoint'),
  cond: condRule,
  while: whileRule,
  scan: scanRule,
  // A user's rule: the primal body (see the header) — a first-derivative rule does not define
  // a jet. A registered rule (special.*) gives closed forms at every order, so the jet follows
  // it: y' = rule(x, x', y), one order lower, recursively.
  custom_jvp_call: (primals, series, p, K) =>
    p.jvpRule !== undefined ? registeredJet(primals, series, p, K) : inline(p.jaxpr, primals, series, K),
  // inputs (consts, fwdConsts, bwdConsts, primals); the body takes (consts, primals).
  custom_vjp_call: (primals, series, p, K) => {
    const skip = (xs: readonly unknown[]) => [...xs.slice(0, p.numConsts), ...xs.slice(p.numConsts + p.fwdNumConsts + p.bwdNumConsts)]
    return inline(p.jaxpr, skip(primals) as Tracer[], skip(series) as Series[], K)
  },
}
