/**
 * Higher-order primitives: `cond` — inputs (index, ...operands); runs `branches[index]`
 * (index clamped). Every branch takes the same operands and returns the same avals; both
 * (all) branches are traced once, at the call.
 *
 * Under a batched index (vmap with a per-lane predicate) cond becomes a select: every branch
 * runs, and the lanes that do not take a branch see its operands through stopGradient, so an
 * untaken branch cannot inject NaN/inf into gradients.
 */
import { DTypeError, ShapeError } from '../core/errors'
import { type RuleTable, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind, fullRaise } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { type Atom, type Eqn, Jaxpr, Lit, Var, makeEqn } from '../ir/jaxpr'
import type { ShapedArray } from '../ir/aval'
import { batchJaxpr } from '../interpret/batch'
import { evalJaxpr } from '../interpret/eval'
import { jvpJaxpr } from '../interpret/jvp'
import { type PETracer, type PartialEvalTrace, partialEvalJaxpr, registerEqnSplitRule } from '../interpret/partial'
import { transposeJaxpr } from '../interpret/transpose'
import { eq, max, min } from '../primitives/binary'
import { broadcastInDim, selectN } from '../primitives/shape'
import { stopGradient } from '../primitives/unary'
import { batchToFront, instantiate, moveAxis, zerosOf } from '../primitives/util'
import { avalsStr, merge, partition, sameAvals } from './util'

/** Give every branch the leading inputs of all branches' constants; returns the shared consts.
 *  (The other branches' constants are unused inputs: no trace, the same equations.) */
export const unifyBranches = (js: readonly { jaxpr: Jaxpr; consts: readonly Tracer[] }[]): { branches: Jaxpr[]; consts: Tracer[] } => {
  const all = js.flatMap((j) => j.consts)
  if (all.length === 0) return { branches: js.map((j) => j.jaxpr), consts: [] }
  let offset = 0
  const branches = js.map((j) => {
    const mine = j.consts.length
    const before = all.slice(0, offset).map((c) => new Var(c.aval))
    const after = all.slice(offset + mine).map((c) => new Var(c.aval))
    offset += mine
    const ins = j.jaxpr.inVars
    return new Jaxpr([], [...before, ...ins.slice(0, mine), ...after, ...ins.slice(mine)], j.jaxpr.eqns, j.jaxpr.outs)
  })
  return { branches, consts: all }
}

/**
 * Split every branch into a known part (known operands → known outputs ++ residuals) and an
 * unknown part (residuals ++ unknown operands → unknown outputs). Branches have different
 * residuals, so all branches' residual slots are concatenated; a branch fills the others with zeros.
 */
export const splitBranches = (branches: readonly Jaxpr[], unknownIns: readonly boolean[]) => {
  const first = branches.map((b) => partialEvalJaxpr(b, unknownIns))
  const outUnknowns = first.map((s) => s.outUnknowns).reduce((a, b) => a.map((u, i) => u || b[i]))
  // a branch whose own unknown outputs are all of them is already split as wanted
  const same = (m: readonly boolean[]) => m.every((u, i) => u === outUnknowns[i])
  const splits = branches.map((b, k) => (same(first[k].outUnknowns) ? first[k] : partialEvalJaxpr(b, unknownIns, outUnknowns)))
  const numKnownOuts = outUnknowns.filter((u) => !u).length
  const resAvals = splits.map((s) => s.known.outAvals.slice(numKnownOuts))
  const allRes = resAvals.flat()
  // Built from the split jaxprs directly (no trace): a branch's known side appends zeros for
  // the other branches' residual slots, its unknown side takes those slots as unused inputs.
  const known = splits.map((s, b) => {
    const zeroEqns: Eqn[] = []
    // one broadcast zero per aval, the branch's own if it has one (as staging's CSE would)
    const zeros = new Map<string, Var>()
    const keyOf = (a: ShapedArray): string => `${a.dtype}${a.weakType ? 'w' : ''}[${a.shape.join(',')}]`
    for (const e of s.known.eqns) {
      const [z] = e.inputs
      if (e.prim === 'broadcast_in_dim' && z._tag === 'Lit' && Object.is(z.value, 0) && z.aval.dtype === e.outVars[0].aval.dtype && z.aval.weakType === e.outVars[0].aval.weakType && !zeros.has(keyOf(e.outVars[0].aval))) {
        zeros.set(keyOf(e.outVars[0].aval), e.outVars[0])
      }
    }
    const zeroOf = (a: ShapedArray): Atom => {
      const z = new Lit(0, a.dtype, a.weakType)
      if (a.shape.length === 0) return z
      let v = zeros.get(keyOf(a))
      if (v === undefined) {
        zeros.set(keyOf(a), (v = new Var(a)))
        zeroEqns.push(makeEqn('broadcast_in_dim', [z], { shape: a.shape, broadcastDimensions: [] }, [v]))
      }
      return v
    }
    const slots = resAvals.flatMap((ra, c) => (c === b ? s.known.outs.slice(numKnownOuts) : ra.map(zeroOf)))
    return new Jaxpr([], s.known.inVars, [...s.known.eqns, ...zeroEqns], [...s.known.outs.slice(0, numKnownOuts), ...slots])
  })
  const unknown = splits.map((s, b) => {
    const mine = s.unknown.inVars.slice(0, resAvals[b].length)
    const slots = resAvals.flatMap((ra, c) => (c === b ? mine : ra.map((a) => new Var(a))))
    return new Jaxpr([], [...slots, ...s.unknown.inVars.slice(resAvals[b].length)], s.unknown.eqns, s.unknown.outs)
  })
  return { known, unknown, outUnknowns, numRes: allRes.length, numKnownOuts }
}

registerEqnSplitRule('cond', (eqn, unknownIns) => {
  const e = eqn as Eqn<'cond'>
  if (unknownIns[0]) throw new Error('internal: cond with an unknown index in partial evaluation')
  const opsUnknown = unknownIns.slice(1)
  const s = splitBranches(e.params.branches, opsUnknown)
  const [knownOps, unknownOps] = partition(opsUnknown, e.inputs.slice(1))
  const resVars = s.known[0].outAvals.slice(s.numKnownOuts).map((a) => new Var(a))
  const [knownOuts, unknownOuts] = partition(s.outUnknowns, e.outVars)
  const known = makeEqn('cond', [e.inputs[0], ...knownOps], { branches: s.known }, [...knownOuts, ...resVars])
  const unknown = makeEqn('cond', [e.inputs[0], ...resVars, ...unknownOps], { branches: s.unknown }, unknownOuts)
  const index = e.inputs[0]
  return { known, unknown, outUnknowns: s.outUnknowns, residuals: index._tag === 'Var' ? [index, ...resVars] : resVars }
})

export const condRules: Pick<RuleTable, 'cond'> = {
  cond: {
    abstractEval: ([index, ...ops], p) => {
      if (index.dtype !== 'int32' || index.shape.length !== 0) {
        throw new DTypeError(`cond: the branch index must be a 0-d int32, got ${avalStr(index)} (lax.cond converts a bool predicate for you)`)
      }
      if (p.branches.length === 0) throw new ShapeError('cond: needs at least one branch')
      const outs = p.branches[0].outAvals
      p.branches.forEach((b, i) => {
        if (!sameAvals(b.inAvals, ops)) throw new ShapeError(`cond: branch ${i} takes ${avalsStr(b.inAvals)} but the operands are ${avalsStr(ops)}`)
        if (!sameAvals(b.outAvals, outs)) {
          throw new ShapeError(`cond: branch ${i} returns ${avalsStr(b.outAvals)} but branch 0 returns ${avalsStr(outs)}; every branch must return the same shapes and dtypes`)
        }
      })
      return [...outs]
    },
    impl: ([index, ...ops], p) => {
      const i = Math.min(Math.max(Number(index.data[0]), 0), p.branches.length - 1)
      return evalJaxpr(p.branches[i], [], ops) as never
    },
    // jvp(cond) = cond of the branches' jvps (all with the same nonzero tangent outputs).
    jvp: ([index, ...ops], [, ...dops], p) => {
      const nonzeros = dops.map((t) => !isZero(t))
      const first = p.branches.map((b) => jvpJaxpr(b, 0, nonzeros, false))
      const outNonzeros = first.map((j) => j.outNonzeros).reduce((a, b) => a.map((u, i) => u || b[i]))
      // a branch whose own nonzero outputs are all of them is already its final jvp (nothing to
      // instantiate): it is not traced again — per cond, and per level of nesting
      const same = (m: readonly boolean[]) => m.every((u, i) => u === outNonzeros[i])
      const { branches, consts } = unifyBranches(p.branches.map((b, k) => (same(first[k].outNonzeros) ? first[k] : jvpJaxpr(b, 0, nonzeros, outNonzeros))))
      const outs = bind('cond', [index, ...consts, ...ops, ...(dops.filter((t) => !isZero(t)) as Tracer[])], { branches })
      const n = p.branches[0].outs.length
      let k = n
      return [outs.slice(0, n), outNonzeros.map((nz, i) => (nz ? outs[k++] : new Zero(p.branches[0].outs[i].aval)))]
    },
    partialEval: (trace, tracers, p) => {
      const pe = trace as PartialEvalTrace
      const [indexT, ...opsT] = tracers as readonly PETracer[]
      if (indexT.pval.known === null) {
        return pe.stage('cond', tracers as PETracer[], p, p.branches[0].outAvals)
      }
      const unknownIns = opsT.map((t) => t.pval.known === null)
      const s = splitBranches(p.branches, unknownIns)
      const [knownOps, unknownOps] = partition(unknownIns, opsT)
      const outs1 = bind('cond', [indexT.pval.known, ...knownOps.map((t) => t.pval.known as Tracer)], { branches: s.known })
      const res = outs1.slice(s.numKnownOuts).map((r) => pe.instantiateConst(fullRaise(pe, r) as PETracer))
      const outs2 = pe.stage('cond', [pe.instantiateConst(indexT), ...res, ...unknownOps], { branches: s.unknown }, s.unknown[0].outAvals)
      return merge(s.outUnknowns, outs1.slice(0, s.numKnownOuts), outs2)
    },
    transpose: (cts, [index, ...ops], p) => {
      if (isUndef(index)) throw new Error('internal: cond index cannot be linear')
      const linear = ops.map(isUndef)
      const { branches, consts } = unifyBranches(p.branches.map((b) => transposeJaxpr(b, linear)))
      const nonlin = partition(linear, ops)[0] as Tracer[]
      const res = bind('cond', [index, ...consts, ...nonlin, ...cts.map(instantiate)], { branches })
      return [null, ...merge(linear, nonlin.map(() => null), res)]
    },
    batch: (axisSize, [index, ...ops], [ib, ...obs], p) => {
      if (ib === null) {
        const { branches, consts } = unifyBranches(p.branches.map((b) => batchJaxpr(b, axisSize, obs, true)))
        const outs = bind('cond', [index, ...consts, ...ops], { branches })
        return [outs, outs.map(() => 0)]
      }
      // A per-lane index: run every branch on masked operands, then select per lane.
      const n = p.branches.length
      const idx = min(max(moveAxis(index, ib, 0), 0), n - 1)
      const front = ops.map((x, i) => batchToFront(x, obs[i], axisSize))
      const perBranch = p.branches.map((b, k) => {
        const masked = front.map((x) => {
          const takes = broadcastInDim(eq(idx, k), x.shape, [0])
          return selectN(takes, stopGradient(x), x)
        })
        const bj = batchJaxpr(b, axisSize, masked.map(() => 0), true)
        return evalJaxpr(bj.jaxpr, [], [...bj.consts, ...masked])
      })
      const outs = perBranch[0].map((o, j) => selectN(broadcastInDim(idx, o.shape, [0]), ...perBranch.map((outsK) => outsK[j])))
      return [outs, outs.map(() => 0)]
    },
  },
}
