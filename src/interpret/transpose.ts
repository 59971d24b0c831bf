/**
 * Interpreters: transposition. Given a jaxpr linear in some inputs (`UndefPrimal`), run it
 * backwards: cotangents flow from outputs to the linear inputs through each primitive's
 * transpose rule. Equations that do not touch a linear input (residual computations, e.g.
 * rematerialized by `checkpoint`) are evaluated forward first. Cotangents are symbolic zeros
 * until something flows in, and accumulate by addition.
 */
import { type Tangent, UndefPrimal, Zero, isUndef, isZero, rulesOf } from '../core/rules'
import { NonDifferentiableError } from '../core/errors'
import { type Tracer, bind } from '../core/tracer'
import { type Atom, type Eqn, Jaxpr, type Var } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'
import { addTangents } from '../primitives/binary'
import { instantiate } from '../primitives/util'
import { evalJaxpr, litValue } from './eval'
import { partialEvalJaxpr } from './partial'
import { dceJaxpr } from './dce'
import { hoistConsts } from './jvp'
import { traceToJaxpr } from './stage'

/** Call-like primitives whose outputs may be part primal, part linear: a jaxpr that applies
 *  one to both kinds of inputs is split by partial evaluation before it is transposed. */
const SPLIT_BEFORE_TRANSPOSE = new Set(['jit', 'cond', 'scan', 'while', 'checkpoint'])

/**
 * Whether the body of a call applied to linear and non-linear inputs is linear all through:
 * every equation reads a linear value and every output is one, so the call has no primal part
 * and its transpose rule applies as it stands — the split would return the same call. A scan's
 * carries are linear when their initial value is, or when the body makes them so (a tangent
 * carry that starts as a known zero); the marks are iterated to their fixed point. A body with
 * calls of its own, a primal carry (a loop counter) or a checkpoint policy is split.
 */
const linearThroughout = (e: Eqn, linIns: readonly boolean[]): boolean => {
  if (e.prim !== 'jit' && e.prim !== 'scan') return false
  const p = e.params as ParamsMap['scan'] | ParamsMap['jit']
  const body = p.jaxpr
  if (body.constVars.length > 0 || body.eqns.some((b) => SPLIT_BEFORE_TRANSPOSE.has(b.prim))) return false
  const scan = e.prim === 'scan' ? (p as ParamsMap['scan']) : null
  if (scan !== null && ((scan.checkpoint !== undefined && scan.checkpoint !== 'store') || scan.whileFlag !== undefined)) return false
  const [c0, nK] = scan === null ? [0, 0] : [scan.numConsts, scan.numCarry]
  const ins = [...linIns]
  for (;;) {
    const lin = new Set<Var>(body.inVars.filter((_, i) => ins[i]))
    let every = true
    for (const b of body.eqns) {
      if (b.inputs.some((a) => a._tag === 'Var' && lin.has(a))) b.outVars.forEach((v) => lin.add(v))
      else every = false
    }
    const outLin = body.outs.map((a) => a._tag === 'Var' && lin.has(a))
    let grew = false
    for (let k = 0; k < nK; k++) {
      if (outLin[k] && !ins[c0 + k]) {
        ins[c0 + k] = true
        grew = true
      }
    }
    if (!grew) return every && outLin.every(Boolean)
  }
}

const needsSplit = (jaxpr: Jaxpr, linearIns: readonly boolean[]): boolean => {
  const lin = new Set<Var>(jaxpr.inVars.filter((_, i) => linearIns[i]))
  let found = false
  for (const e of jaxpr.eqns) {
    const flags = e.inputs.map((a) => a._tag === 'Var' && lin.has(a))
    if (flags.some(Boolean)) {
      e.outVars.forEach((v) => lin.add(v))
      if (!flags.every(Boolean) && SPLIT_BEFORE_TRANSPOSE.has(e.prim) && !linearThroughout(e, flags)) found = true
    }
  }
  return found
}

export const backwardPass = (
  jaxpr: Jaxpr,
  consts: readonly Tracer[],
  args: readonly (Tracer | UndefPrimal)[],
  cts: readonly Tangent[],
): Tangent[] => {
  const linearIns = args.map(isUndef)
  if (needsSplit(jaxpr, linearIns)) {
    // Run the known (primal) part forward, then transpose the linear part on its residuals.
    const flat = new Jaxpr([], [...jaxpr.constVars, ...jaxpr.inVars], jaxpr.eqns, jaxpr.outs)
    const s = partialEvalJaxpr(flat, [...jaxpr.constVars.map(() => false), ...linearIns])
    const knownIn = [...consts, ...(args.filter((a) => !isUndef(a)) as Tracer[])]
    // only the residuals are needed (a checkpointed scan's primal side would recompute for nothing)
    const needed = dceJaxpr(s.known, s.known.outs.map((_, i) => i >= s.known.outs.length - s.numRes))
    const res = evalJaxpr(needed, [], knownIn)
    const linCts = cts.filter((_, i) => s.outUnknowns[i])
    // The split is complete (nested calls were split too), so transpose without splitting again.
    const out = transposeLinear(s.unknown, [], [...res, ...args.filter(isUndef)], linCts)
    let k = s.numRes
    return args.map((a, i) => (isUndef(a) ? out[k++] : new Zero(jaxpr.inVars[i].aval)))
  }
  return transposeLinear(jaxpr, consts, args, cts)
}

const transposeLinear = (
  jaxpr: Jaxpr,
  consts: readonly Tracer[],
  args: readonly (Tracer | UndefPrimal)[],
  cts: readonly Tangent[],
): Tangent[] => {
  const primal = new Map<Var, Tracer>()
  const readPrimal = (a: Atom): Tracer | UndefPrimal =>
    a._tag === 'Lit' ? litValue(a) : (primal.get(a) ?? new UndefPrimal(a.aval))
  jaxpr.constVars.forEach((v, i) => primal.set(v, consts[i]))
  jaxpr.inVars.forEach((v, i) => {
    const a = args[i]
    if (!isUndef(a)) primal.set(v, a)
  })

  // Forward sweep: evaluate what does not depend on a linear input.
  const linear: Eqn[] = []
  const readsLinear = (e: Eqn): boolean => {
    for (const a of e.inputs) if (a._tag === 'Var' && !primal.has(a)) return true
    return false
  }
  for (const eqn of jaxpr.eqns) {
    if (readsLinear(eqn)) {
      linear.push(eqn)
      continue
    }
    const outs = bind(eqn.prim, eqn.inputs.map(readPrimal) as Tracer[], eqn.params)
    eqn.outVars.forEach((v, i) => primal.set(v, outs[i]))
  }

  const ctEnv = new Map<Var, Tangent>()
  const addCt = (v: Var, ct: Tangent): void => {
    const prev = ctEnv.get(v)
    ctEnv.set(v, prev === undefined ? ct : addTangents(prev, ct))
  }
  const readCt = (v: Var): Tangent => ctEnv.get(v) ?? new Zero(v.aval)
  jaxpr.outs.forEach((a, i) => a._tag === 'Var' && addCt(a, cts[i]))

  for (let k = linear.length - 1; k >= 0; k--) {
    const eqn = linear[k]
    // (an equation no cotangent reached is skipped before anything is allocated for it)
    if (!eqn.outVars.some((v) => ctEnv.has(v))) continue
    const ctsIn = eqn.outVars.map(readCt)
    eqn.outVars.forEach((v) => ctEnv.delete(v)) // free memory as soon as consumed
    if (ctsIn.every(isZero)) continue
    const rule = rulesOf(eqn.prim).transpose
    if (rule === undefined) {
      throw new NonDifferentiableError(
        `Reverse-mode differentiation reached '${eqn.prim}', which is not linear in its differentiated input ` +
          `and has no transpose rule. This usually means a custom rule or loop is not reverse-differentiable here.`,
      )
    }
    const ins = eqn.inputs.map(readPrimal)
    const ctsOut = rule(ctsIn, ins, eqn.params as never)
    eqn.inputs.forEach((a, i) => {
      const ct = ctsOut[i]
      if (a._tag === 'Var' && isUndef(ins[i]) && ct !== null && ct !== undefined && !isZero(ct)) addCt(a, ct)
    })
  }
  return jaxpr.inVars.map((v, i) => (isUndef(args[i]) ? readCt(v) : new Zero(v.aval)))
}

/**
 * The transpose of a jaxpr as a jaxpr: inputs (the non-linear inputs, then cotangents of the
 * outputs); outputs the cotangents of the linear inputs (instantiated as zeros if unreached).
 */
export const transposeJaxpr = (jaxpr: Jaxpr, linearIns: readonly boolean[]): { jaxpr: Jaxpr; consts: Tracer[] } => {
  const nonlinAvals = jaxpr.inVars.filter((_, i) => !linearIns[i]).map((v) => v.aval)
  const ctAvals = jaxpr.outs.map((a) => a.aval)
  const closed = traceToJaxpr(
    (...xs) => {
      const nonlin = xs.slice(0, nonlinAvals.length)
      const cts = xs.slice(nonlinAvals.length)
      let k = 0
      const args = jaxpr.inVars.map((v, i) => (linearIns[i] ? new UndefPrimal(v.aval) : nonlin[k++]))
      const out = backwardPass(jaxpr, [], args, cts)
      return out.filter((_, i) => linearIns[i]).map(instantiate)
    },
    [...nonlinAvals, ...ctAvals],
  )
  return { jaxpr: hoistConsts(closed.jaxpr), consts: [...closed.consts] }
}
