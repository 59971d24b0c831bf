/**
 * Higher-order primitives: `while` — inputs (condConsts, bodyConsts, ...carry); while
 * cond(condConsts, carry) is true, carry = body(bodyConsts, carry).
 *
 * Forward mode carries the tangents along (a fixed point decides which carries have them).
 * Reverse mode needs a bound on the trip count. Without `maxSteps`, partial evaluation (the
 * trace rule, and the jaxpr split used when the loop sits inside jit, cond, scan or
 * checkpoint) raises an error naming the option. With it, the loop is partially evaluated as
 * the scan it equals:
 *
 *   a₀ = cond(c₀);  for k < maxSteps: (a, c) = a ? (cond(body(c)), body(c)) : (false, c)
 *
 * a scan whose step is a `cond` on the running flag `a` (carry 0, marked `whileFlag`). Its
 * primal side stops at the first false flag (the remaining steps are identities), so the
 * forward pass does the loop's own work; the residuals are sized for `maxSteps` steps unless
 * the loop's checkpoint policy says otherwise. A flag still true after `maxSteps` steps is a
 * MaxStepsExceededError here as in the plain loop: never a silently truncated result.
 * Under vmap with a per-lane predicate, lanes finish independently: the loop runs while any
 * lane's predicate holds, and finished lanes keep their carry.
 */
import { DTypeError, MaxStepsExceededError, NonDifferentiableError, ShapeError } from '../core/errors'
import { type BDim, type RuleTable, Zero, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import type { ParamsMap } from '../ir/params'
import { batchJaxpr } from '../interpret/batch'
import { evalJaxpr } from '../interpret/eval'
import { jvpJaxpr } from '../interpret/jvp'
import { registerEqnSplitRule } from '../interpret/partial'
import { scalar } from '../core/array'
import type { ShapedArray } from '../ir/aval'
import { type Eqn, type Jaxpr, makeEqn } from '../ir/jaxpr'
import { reduceMax } from '../primitives/reduce'
import { broadcastInDim, convertElementType, selectN } from '../primitives/shape'
import { unifyBranches } from './cond'
import { splitCallEqn } from './jit'
import { batchToFront, instantiate } from '../primitives/util'
import { avalsStr, fixedPointWith, loopMaskStart, permuteJaxpr, sameAvals, segments, traceHoisted } from './util'

type WhileParams = ParamsMap['while']

const split = (xs: readonly Tracer[], p: WhileParams) => ({
  condConsts: xs.slice(0, p.condNumConsts),
  bodyConsts: xs.slice(p.condNumConsts, p.condNumConsts + p.bodyNumConsts),
  carry: xs.slice(p.condNumConsts + p.bodyNumConsts),
})

/** The params that carry over unchanged to a loop derived from this one (jvp, vmap). */
const bounds = (p: WhileParams): Pick<WhileParams, 'maxSteps' | 'checkpoint'> => ({
  ...(p.maxSteps === undefined ? {} : { maxSteps: p.maxSteps }),
  ...(p.checkpoint === undefined ? {} : { checkpoint: p.checkpoint }),
})

export const maxStepsExceeded = (maxSteps: number): MaxStepsExceededError =>
  new MaxStepsExceededError(
    `lax.whileLoop: the condition still holds after maxSteps = ${maxSteps} steps. The loop is not cut short ` +
      '(that would return a wrong result silently): raise maxSteps to a bound the loop never reaches, or ' +
      'change the condition so that it ends.',
  )

const notReverse = (): NonDifferentiableError =>
  new NonDifferentiableError(
    'Reverse-mode differentiation (grad, vjp, jacrev, hvp) of lax.whileLoop needs a bound on the number of ' +
      'iterations: pass lax.whileLoop(cond, body, init, { maxSteps }) (at most maxSteps steps; more is a ' +
      'MaxStepsExceededError at run time), or use lax.foriLoop with static (JS number) bounds or lax.scan. ' +
      'Forward mode (jvp, jacfwd) works through whileLoop without a bound.',
  )

/**
 * The bounded loop as a jaxpr over the while's inputs (condConsts, bodyConsts, carry): the
 * flag-guarded scan of the module comment, flag dropped from the outputs.
 */
const boundedAsScan = (p: WhileParams, inAvals: readonly ShapedArray[]): Jaxpr => {
  const maxSteps = p.maxSteps as number
  const [nCC, nBC] = [p.condNumConsts, p.bodyNumConsts]
  const opAvals = inAvals
  const stepBranch = traceHoisted((...xs) => {
    const c = evalJaxpr(p.bodyJaxpr, [], [...xs.slice(nCC, nCC + nBC), ...xs.slice(nCC + nBC)])
    return [evalJaxpr(p.condJaxpr, [], [...xs.slice(0, nCC), ...c])[0], ...c]
  }, opAvals)
  const idle = traceHoisted((...xs) => [convertElementType(scalar(false), 'bool', false), ...xs.slice(nCC + nBC)], opAvals)
  const { branches, consts } = unifyBranches([idle, stepBranch])
  const flagAval = p.condJaxpr.outAvals[0]
  const step = traceHoisted((...ys) => {
    const k = consts.length
    const [bc, ops, a, c] = [ys.slice(0, k), ys.slice(k, k + nCC + nBC), ys[k + nCC + nBC], ys.slice(k + nCC + nBC + 1)]
    return bind('cond', [convertElementType(a, 'int32'), ...bc, ...ops, ...c], { branches })
  }, [...consts.map((c) => c.aval), ...inAvals.slice(0, nCC + nBC), flagAval, ...inAvals.slice(nCC + nBC)])
  const r = traceHoisted((...xs) => {
    const a0 = evalJaxpr(p.condJaxpr, [], [...xs.slice(0, nCC), ...xs.slice(nCC + nBC)])[0]
    const outs = bind('scan', [...step.consts, ...consts, ...xs.slice(0, nCC + nBC), a0, ...xs.slice(nCC + nBC)], {
      jaxpr: step.jaxpr,
      numConsts: step.consts.length + consts.length + nCC + nBC,
      numCarry: 1 + xs.length - nCC - nBC,
      length: maxSteps,
      reverse: false,
      whileFlag: 0,
      ...(p.checkpoint === undefined ? {} : { checkpoint: p.checkpoint }),
    })
    return outs.slice(1)
  }, inAvals)
  if (r.consts.length > 0) throw new Error('internal: the bounded while loop captured constants')
  return r.jaxpr
}

// A while loop inside a staged body (jit, cond, scan, checkpoint) that reverse mode reaches:
// without this rule the whole loop would be staged as unknown, primal outputs included. A
// bounded loop is split as the call of its scan form.
registerEqnSplitRule('while', (eqn, unknownIns) => {
  const p = eqn.params as WhileParams
  if (p.maxSteps === undefined) throw notReverse()
  const jaxpr = boundedAsScan(p, eqn.inputs.map((a) => a.aval))
  return splitCallEqn('jit', makeEqn('jit', eqn.inputs, { jaxpr, numConsts: 0, name: 'while' }, eqn.outVars) as Eqn<'jit'>, unknownIns)
})

export const whileRules: Pick<RuleTable, 'while'> = {
  while: {
    abstractEval: (avals, p) => {
      const condConsts = avals.slice(0, p.condNumConsts)
      const bodyConsts = avals.slice(p.condNumConsts, p.condNumConsts + p.bodyNumConsts)
      const carry = avals.slice(p.condNumConsts + p.bodyNumConsts)
      if (!sameAvals(p.condJaxpr.inAvals, [...condConsts, ...carry])) {
        throw new ShapeError(`while: the condition takes ${avalsStr(p.condJaxpr.inAvals)} but gets ${avalsStr([...condConsts, ...carry])}`)
      }
      const c = p.condJaxpr.outAvals
      if (c.length !== 1 || c[0].dtype !== 'bool' || c[0].shape.length !== 0) {
        throw new DTypeError(`while: the condition must return one 0-d bool, got ${avalsStr(c)}`)
      }
      if (!sameAvals(p.bodyJaxpr.inAvals, [...bodyConsts, ...carry]) || !sameAvals(p.bodyJaxpr.outAvals, carry)) {
        throw new ShapeError(`while: the body maps ${avalsStr(p.bodyJaxpr.inAvals.slice(p.bodyNumConsts))} to ${avalsStr(p.bodyJaxpr.outAvals)}, but the carry is ${avalsStr(carry)}; the carry's shapes and dtypes must stay fixed`)
      }
      return [...carry]
    },
    impl: (xs, p) => {
      const { condConsts, bodyConsts, carry } = split(xs, p)
      let c: Tracer[] = [...carry]
      const limit = p.maxSteps ?? Infinity
      for (let k = 0; evalJaxpr(p.condJaxpr, [], [...condConsts, ...c])[0].item(); k++) {
        if (k >= limit) throw maxStepsExceeded(limit)
        c = evalJaxpr(p.bodyJaxpr, [], [...bodyConsts, ...c])
      }
      return c as never
    },
    jvp: (primals, tangents, p) => {
      const { condConsts, bodyConsts, carry } = split(primals, p)
      const t = split(tangents as Tracer[], p)
      const bcNZ = (t.bodyConsts as unknown[]).map((x) => !isZero(x))
      // each step is the final body's jvp for its mask (carries of the mask instantiated)
      const start = loopMaskStart(p.bodyJaxpr, (t.carry as unknown[]).map((x) => !isZero(x)), (m) => [...bcNZ, ...m], 'tangent')
      const { mask: carryNZ, result: j } = fixedPointWith(start, (m) => {
        const r = jvpJaxpr(p.bodyJaxpr, 0, [...bcNZ, ...m], m)
        return { mask: r.outNonzeros, result: r }
      })
      const nb = p.bodyNumConsts
      const nc = carry.length
      const nbt = bcNZ.filter(Boolean).length
      const avals = j.jaxpr.inAvals
      const nj = j.consts.length
      // jvp jaxpr inputs: [jconsts, bodyConsts, carry, bodyConstTangents, carryTangents]
      // while body wants: [jconsts, bodyConsts, bodyConstTangents, carry, carryTangents]
      const nkt = carryNZ.filter(Boolean).length
      const body = permuteJaxpr(j.jaxpr, segments([nj, nb, nc, nbt, nkt], [0, 1, 3, 2, 4]), j.jaxpr.outs.map((_, i) => i))
      const cond = traceHoisted((...xs) => evalJaxpr(p.condJaxpr, [], xs.slice(0, p.condNumConsts + nc)), [...p.condJaxpr.inAvals, ...avals.slice(nj + nb + nc + nbt)])
      const ct0 = carryNZ.flatMap((nz, i) => (nz ? [instantiate(t.carry[i] ?? new Zero(carry[i].aval))] : []))
      const outs = bind('while', [...cond.consts, ...condConsts, ...j.consts, ...bodyConsts, ...(t.bodyConsts.filter((x) => !isZero(x)) as Tracer[]), ...carry, ...ct0], {
        condJaxpr: cond.jaxpr,
        bodyJaxpr: body,
        condNumConsts: cond.consts.length + p.condNumConsts,
        bodyNumConsts: nj + nb + nbt,
        ...bounds(p),
      })
      let k = nc
      return [outs.slice(0, nc), carryNZ.map((nz, i) => (nz ? outs[k++] : new Zero(carry[i].aval)))]
    },
    partialEval: (_trace, tracers, p) => {
      if (p.maxSteps === undefined) throw notReverse()
      return bind('jit', [...tracers], { jaxpr: boundedAsScan(p, tracers.map((t) => t.aval)), numConsts: 0, name: 'while' }) as never
    },
    batch: (axisSize, xs, bdims, p) => {
      const cN = p.condNumConsts
      const bN = p.bodyNumConsts
      const ccB = bdims.slice(0, cN)
      const bcB = bdims.slice(cN, cN + bN)
      const initB = bdims.slice(cN + bN)
      const carryDims = (m: boolean[]): BDim[] => m.map((b) => (b ? 0 : null))
      // each step is the final batched body for its mask (carries of the mask instantiated)
      const stepB = (m: boolean[]) => batchJaxpr(p.bodyJaxpr, axisSize, [...bcB, ...carryDims(m)], m)
      const start = loopMaskStart(p.bodyJaxpr, initB.map((b) => b !== null), (m) => [...bcB.map((b) => b !== null), ...m], 'flow')
      const fix = fixedPointWith(start, (m) => {
        const r = stepB(m)
        return { mask: r.outDims.map((d) => d !== null), result: r }
      })
      let carryB = fix.mask
      const condB = (m: boolean[]) => batchJaxpr(p.condJaxpr, axisSize, [...ccB, ...carryDims(m)], false)
      let bCond = condB(carryB)
      const predBatched = bCond.outDims[0] !== null
      if (predBatched) carryB = carryB.map(() => true)
      const cd = carryDims(carryB)
      const carry = xs.slice(cN + bN).map((x, i) => (carryB[i] ? batchToFront(x, initB[i], axisSize) : x))
      const bBody = predBatched ? stepB(carryB) : fix.result
      if (predBatched) bCond = condB(carryB)
      const condConsts = xs.slice(0, cN)
      const bodyConsts = xs.slice(cN, cN + bN)
      if (!predBatched) {
        const outs = bind('while', [...bCond.consts, ...condConsts, ...bBody.consts, ...bodyConsts, ...carry], {
          condJaxpr: bCond.jaxpr,
          bodyJaxpr: bBody.jaxpr,
          condNumConsts: bCond.consts.length + cN,
          bodyNumConsts: bBody.consts.length + bN,
          ...bounds(p),
        })
        return [outs, cd]
      }
      // Per-lane predicate: step only the lanes still running; loop while any lane runs.
      const nCC = bCond.consts.length + cN
      const nBC = bBody.consts.length + bN
      const carryAvals = carry.map((c) => c.aval)
      const ccAvals = [...bCond.consts, ...condConsts].map((c) => c.aval)
      const bcAvals = [...bBody.consts, ...bodyConsts].map((c) => c.aval)
      const body = traceHoisted((...ys) => {
        const cc = ys.slice(0, nCC)
        const bc = ys.slice(nCC, nCC + nBC)
        const c = ys.slice(nCC + nBC)
        const running = evalJaxpr(bCond.jaxpr, [], [...cc, ...c])[0]
        const stepped = evalJaxpr(bBody.jaxpr, [], [...bc, ...c])
        return c.map((ci, i) => selectN(broadcastInDim(running, ci.shape, [0]), ci, stepped[i]))
      }, [...ccAvals, ...bcAvals, ...carryAvals])
      const cond = traceHoisted((...ys) => [reduceMax(evalJaxpr(bCond.jaxpr, [], ys)[0], [0])], [...ccAvals, ...carryAvals])
      const ccVals = [...bCond.consts, ...condConsts]
      const outs = bind('while', [...cond.consts, ...ccVals, ...body.consts, ...ccVals, ...bBody.consts, ...bodyConsts, ...carry], {
        condJaxpr: cond.jaxpr,
        bodyJaxpr: body.jaxpr,
        condNumConsts: cond.consts.length + nCC,
        bodyNumConsts: body.consts.length + nCC + nBC,
        ...bounds(p),
      })
      return [outs, cd]
    },
  },
}

