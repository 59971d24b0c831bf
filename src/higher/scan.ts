/**
 * Higher-order primitives: `scan` — inputs (consts, carry, xs); for each i (in order, or
 * reversed): (carry, ys[i]) = body(consts, carry, xs[i]). Outputs (carry, ys stacked on axis 0).
 *
 *   jvp        one scan carrying primals and tangents (a fixed point decides which carries have tangents)
 *   partial    a known scan computes the primal and stacks each step's residuals as extra ys;
 *   eval       the unknown (linear) scan consumes them as xs. Residuals that are loop-invariant
 *              (known constants) are passed as constants instead of being stacked.
 *   transpose  a scan in the opposite direction; cotangents of linear constants accumulate in the carry.
 *   batch      the batch axis of xs goes to axis 1 (each slice is batched at 0), of ys likewise.
 */
import { jaxprHasEffects } from '../ir/effects'
import { ShapeError } from '../core/errors'
import { type BDim, type RuleTable, type Tangent, Zero, isZero } from '../core/rules'
import { type Tracer, bind, fullRaise } from '../core/tracer'
import { ConcreteArray } from '../core/array'
import { type ShapedArray, sizeOf } from '../ir/aval'
import { allocate } from '../ir/dtypes'
import { type Atom, type Eqn, Var, makeEqn } from '../ir/jaxpr'
import { batchJaxpr } from '../interpret/batch'
import { evalJaxpr } from '../interpret/eval'
import { jvpJaxpr } from '../interpret/jvp'
import { type PETracer, type PartialEvalTrace, registerEqnSplitRule } from '../interpret/partial'
import { batchToFront, instantiate, moveAxis } from '../primitives/util'
import { avalsStr, fixedPointWith, loopMaskStart, merge, partition, permuteJaxpr, sameAvals, segments, traceHoisted } from './util'
import { maxStepsExceeded } from './while'
import { isRemat, rematPartialEval, rematSplit, rematTranspose } from './remat'
import { flagFor, flagSet, parts, sliceAval, splitScan, stackedAval, transposeScan } from './scanparts'

export { flagSet } from './scanparts'



// ---- partial evaluation (shared by the trace rule and the jaxpr split rule) ------------------

registerEqnSplitRule('scan', (eqn, unknownIns) => {
  const e = eqn as Eqn<'scan'>
  const p = e.params
  if (isRemat(p) && unknownIns.some(Boolean)) return rematSplit(e, unknownIns)
  const s = splitScan(p, unknownIns)
  const ins = parts(e.inputs, p)
  const u = parts(unknownIns, p)
  const [kc, ucs] = partition(u.consts, ins.consts)
  const [kk, uk] = partition(s.carryU, ins.carry)
  const [kx, ux] = partition(u.xs, ins.xs)
  const outsCarry = e.outVars.slice(0, p.numCarry)
  const outsYs = e.outVars.slice(p.numCarry)
  const resVars = s.known.outAvals.slice(s.numKnownOuts).map((a) => new Var(stackedAval(a, p.length)))
  const knownOuts = [...partition(s.carryU, outsCarry)[0], ...partition(s.ysU, outsYs)[0], ...resVars]
  // A known scan with no outputs (every residual forwarded from xs or consts) is dropped.
  const known = knownOuts.length === 0 ? null : makeEqn('scan', [...kc, ...kk, ...kx], { ...flagFor(p, s.carryU.map((x) => !x)), jaxpr: s.known, numConsts: kc.length, numCarry: kk.length }, knownOuts)
  const inv = s.invariant.map((k) => kc[k])
  let j = 0
  const stacked = s.forwarded.map((k) => (k >= 0 ? kx[k] : resVars[j++]))
  const unknown = makeEqn('scan', [...ucs, ...inv, ...uk, ...stacked, ...ux], { ...flagFor(p, s.carryU), jaxpr: s.unknown, numConsts: ucs.length + inv.length, numCarry: uk.length }, [
    ...partition(s.carryU, outsCarry)[1],
    ...partition(s.ysU, outsYs)[1],
  ])
  // Carries known on entry but made unknown by the fixed point are read by the unknown scan.
  const promoted = ins.carry.filter((a, i): a is Var => s.carryU[i] && !u.carry[i] && a._tag === 'Var')
  const residuals = [...stacked, ...inv].filter((a): a is Var => a._tag === 'Var')
  return { known, unknown, outUnknowns: [...s.carryU, ...s.ysU], residuals: [...residuals, ...promoted] }
})

// ---- impl ----------------------------------------------------------------------------------

/** Row i of a concrete stacked array, as a view. */
const row = (x: ConcreteArray, i: number): ConcreteArray => {
  const n = sizeOf(x.shape.slice(1))
  return new ConcreteArray(x.data.subarray(i * n, (i + 1) * n), x.shape.slice(1), x.dtype, x.weakType)
}

export const scanRules: Pick<RuleTable, 'scan'> = {
  scan: {
    abstractEval: (avals, p) => {
      const a = parts(avals, p)
      for (const x of a.xs) {
        if (x.shape.length === 0 || x.shape[0] !== p.length) {
          throw new ShapeError(`scan: every xs leaf needs a leading axis of the scan length ${p.length}, got ${avalsStr([x])}`)
        }
      }
      const bodyIn = [...a.consts, ...a.carry, ...a.xs.map(sliceAval)]
      if (!sameAvals(p.jaxpr.inAvals, bodyIn)) throw new ShapeError(`scan: the body takes ${avalsStr(p.jaxpr.inAvals)} but gets ${avalsStr(bodyIn)}`)
      const outs = p.jaxpr.outAvals
      if (!sameAvals(outs.slice(0, p.numCarry), a.carry)) {
        throw new ShapeError(`scan: the body returns the carry as ${avalsStr(outs.slice(0, p.numCarry))} but it came in as ${avalsStr(a.carry)}; the carry's shapes and dtypes must stay fixed`)
      }
      return [...a.carry, ...outs.slice(p.numCarry).map((y) => stackedAval(y, p.length))]
    },
    impl: (xs, p) => {
      const a = parts(xs, p)
      let carry: Tracer[] = [...a.carry]
      const yAvals = p.jaxpr.outAvals.slice(p.numCarry)
      const ys = yAvals.map((y) => allocate(y.dtype, p.length * sizeOf(y.shape)))
      for (let t = 0; t < p.length; t++) {
        const i = p.reverse ? p.length - 1 - t : t
        const outs = evalJaxpr(p.jaxpr, [], [...a.consts, ...carry, ...a.xs.map((x) => row(x, i))])
        carry = outs.slice(0, p.numCarry)
        outs.slice(p.numCarry).forEach((y, k) => ys[k].set((y as ConcreteArray).data, i * y.size))
        // a bounded while loop that has ended: the remaining steps are identities, zero ys
        if (p.whileFlag !== undefined && !flagSet((carry[p.whileFlag] as ConcreteArray).data)) break
      }
      if (p.whileFlag !== undefined && flagSet((carry[p.whileFlag] as ConcreteArray).data)) throw maxStepsExceeded(p.length)
      return [...carry, ...ys.map((d, k) => new ConcreteArray(d, [p.length, ...yAvals[k].shape], yAvals[k].dtype, yAvals[k].weakType))] as never
    },
    jvp: (primals, tangents, p) => {
      const a = parts(primals, p)
      const t = parts(tangents, p)
      const nz = (xs: readonly Tangent[]) => xs.map((x) => !isZero(x))
      const [cNZ, xNZ] = [nz(t.consts), nz(t.xs)]
      const nK = p.numCarry
      const numYs = p.jaxpr.outs.length - nK
      // each step is the final body's jvp for its mask (carries of the mask instantiated)
      const start = loopMaskStart(p.jaxpr, nz(t.carry), (m) => [...cNZ, ...m, ...xNZ], 'tangent')
      const { mask: carryNZ, result: j } = fixedPointWith(start, (m) => {
        const r = jvpJaxpr(p.jaxpr, 0, [...cNZ, ...m, ...xNZ], [...m, ...Array<boolean>(numYs).fill(false)])
        return { mask: r.outNonzeros.slice(0, nK), result: r }
      })
      const ysNZ = j.outNonzeros.slice(nK)
      const [nC, nX] = [a.consts.length, a.xs.length]
      const [nCT, nKT, nXT] = [cNZ, carryNZ, xNZ].map((m) => m.filter(Boolean).length)
      const nYT = ysNZ.filter(Boolean).length
      const nj = j.consts.length
      // jvp jaxpr: [jc, consts, carry, xs, constT, carryT, xsT] → [carry, ys, carryT, ysT]
      // scan body: [jc, consts, constT, carry, carryT, xs, xsT] → [carry, carryT, ys, ysT]
      const body = permuteJaxpr(j.jaxpr, segments([nj, nC, nK, nX, nCT, nKT, nXT], [0, 1, 4, 2, 5, 3, 6]), segments([nK, numYs, nKT, nYT], [0, 2, 1, 3]))
      const kt0 = carryNZ.flatMap((m, i) => (m ? [instantiate(t.carry[i])] : []))
      const outs = bind('scan', [
        ...j.consts, ...a.consts, ...(t.consts.filter((x) => !isZero(x)) as Tracer[]),
        ...a.carry, ...kt0,
        ...a.xs, ...(t.xs.filter((x) => !isZero(x)) as Tracer[]),
      ], { ...p, jaxpr: body, numConsts: nj + nC + nCT, numCarry: nK + nKT })
      const carryOut = outs.slice(0, nK)
      const carryT = outs.slice(nK, nK + nKT)
      const ysOut = outs.slice(nK + nKT, nK + nKT + numYs)
      const ysT = outs.slice(nK + nKT + numYs, nK + nKT + numYs + nYT)
      let [ik, iy] = [0, 0]
      return [
        [...carryOut, ...ysOut],
        [...carryNZ.map((m, i) => (m ? carryT[ik++] : new Zero(carryOut[i].aval))), ...ysNZ.map((m, i) => (m ? ysT[iy++] : new Zero(ysOut[i].aval)))],
      ]
    },
    partialEval: (trace, tracers, p) => {
      const pe = trace as PartialEvalTrace
      const ts = tracers as readonly PETracer[]
      const unknownIns = ts.map((t) => t.pval.known === null)
      if (isRemat(p) && unknownIns.some(Boolean)) return rematPartialEval(pe, ts, p) as never
      const s = splitScan(p, unknownIns)
      const a = parts(ts, p)
      const u = parts(unknownIns, p)
      const [kc, ucs] = partition(u.consts, a.consts)
      const [kk, uk] = partition(s.carryU, a.carry)
      const [kx, ux] = partition(u.xs, a.xs)
      const val = (t: PETracer) => t.pval.known as Tracer
      // (a known side with no outputs still runs when it has effects: host callbacks)
      const outsK = s.known.outs.length === 0 && !jaxprHasEffects(s.known) ? [] : bind('scan', [...kc, ...kk, ...kx].map(val), { ...flagFor(p, s.carryU.map((x) => !x)), jaxpr: s.known, numConsts: kc.length, numCarry: kk.length })
      const computed = outsK.slice(s.numKnownOuts).map((r) => pe.instantiateConst(fullRaise(pe, r) as PETracer))
      let j = 0
      const res = s.forwarded.map((k) => (k >= 0 ? pe.instantiateConst(kx[k]) : computed[j++]))
      const inv = s.invariant.map((k) => pe.instantiateConst(kc[k]))
      const ukI = uk.map((t) => pe.instantiateConst(t))
      const outAvals = s.unknown.outAvals.map((av, i) => (i < ukI.length ? av : stackedAval(av, p.length)))
      const outsU = pe.stage('scan', [...ucs, ...inv, ...ukI, ...res, ...ux], { ...flagFor(p, s.carryU), jaxpr: s.unknown, numConsts: ucs.length + inv.length, numCarry: ukI.length }, outAvals)
      const knownOuts = outsK.slice(0, s.numKnownOuts)
      const nKK = s.numKnownCarry
      const nUK = ukI.length
      return [
        ...merge(s.carryU, knownOuts.slice(0, nKK), outsU.slice(0, nUK)),
        ...merge(s.ysU, knownOuts.slice(nKK), outsU.slice(nUK)),
      ]
    },
    // a checkpointed scan with primal carries (its partial evaluation staged the whole body)
    // follows its schedule; otherwise the body is linear in its carries
    transpose: (cts, args, p) => (isRemat(p) ? rematTranspose(cts, args, p) : null) ?? transposeScan(cts, args, p),
    batch: (axisSize, xs, bdims, p) => {
      const a = parts(xs, p)
      const b = parts(bdims, p)
      const nK = p.numCarry
      const numYs = p.jaxpr.outs.length - nK
      const xsDims: BDim[] = b.xs.map((d) => (d === null ? null : 0))
      const dimsOf = (m: boolean[]): BDim[] => m.map((x) => (x ? 0 : null))
      // each step is the final batched body for its mask (carries of the mask instantiated)
      const start = loopMaskStart(p.jaxpr, b.carry.map((d) => d !== null), (m) => [...b.consts.map((d) => d !== null), ...m, ...xsDims.map((d) => d !== null)], 'flow')
      const { mask: carryB, result: bj } = fixedPointWith(start, (m) => {
        const r = batchJaxpr(p.jaxpr, axisSize, [...b.consts, ...dimsOf(m), ...xsDims], [...m, ...Array<boolean>(numYs).fill(false)])
        return { mask: r.outDims.slice(0, nK).map((d) => d !== null), result: r }
      })
      const carry = a.carry.map((c, i) => (carryB[i] ? batchToFront(c, b.carry[i], axisSize) : c))
      const seqs = a.xs.map((x, i) => (b.xs[i] === null ? x : moveAxis(x, b.xs[i] as number, 1)))
      const outs = bind('scan', [...bj.consts, ...a.consts, ...carry, ...seqs], {
        ...p,
        jaxpr: bj.jaxpr,
        numConsts: bj.consts.length + a.consts.length,
      })
      const ysDims = bj.outDims.slice(nK).map((d) => (d === null ? null : 1))
      return [outs, [...dimsOf(carryB), ...ysDims]]
    },
  },
}

export type { Atom }
