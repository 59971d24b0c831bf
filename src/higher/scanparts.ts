/**
 * Higher-order primitives: the pieces of `scan`'s rules that its checkpointed schedules
 * (./remat.ts) reuse — the partial-evaluation split of a body, and the transposed scan.
 */
import { type Tangent, UndefPrimal, isUndef, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import { type ShapedArray, shaped } from '../ir/aval'
import { Jaxpr } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'
import { partialEvalJaxpr } from '../interpret/partial'
import { backwardPass } from '../interpret/transpose'
import { add } from '../primitives/binary'
import { instantiate, zerosOf } from '../primitives/util'
import { fixedPointWith, loopMaskStart, merge, partition, traceHoisted } from './util'

export type ScanParams = ParamsMap['scan']

export const parts = <T>(xs: readonly T[], p: ScanParams) => ({
  consts: xs.slice(0, p.numConsts),
  carry: xs.slice(p.numConsts, p.numConsts + p.numCarry),
  xs: xs.slice(p.numConsts + p.numCarry),
})

/** A flag carry (see ParamsMap['scan'].whileFlag) is still set in some lane. */
export const flagSet = (data: ArrayLike<number>): boolean => {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return true
  return false
}

/** `p` without its while flag, and the flag re-indexed for a scan over the carries kept by
 *  `keep` (dropped when its carry is not kept). */
export const flagFor = (p: ScanParams, keep: readonly boolean[]): ScanParams => {
  const { whileFlag, ...rest } = p
  if (whileFlag === undefined || !keep[whileFlag]) return rest
  return { ...rest, whileFlag: keep.slice(0, whileFlag).filter(Boolean).length }
}

export const stackedAval = (a: ShapedArray, n: number): ShapedArray => shaped([n, ...a.shape], a.dtype, a.weakType)
export const sliceAval = (a: ShapedArray): ShapedArray => shaped(a.shape.slice(1), a.dtype, a.weakType)


/**
 * Split a scan whose inputs are partly unknown. Returns the known body (known consts, known
 * carry, known xs → known carry, known ys, computed residuals) and the unknown body, whose
 * inputs are (unknown consts, invariant residuals, unknown carry, stacked residuals, unknown xs).
 * `invariant` lists, for each invariant residual, the index of the known const it is. A stacked
 * residual that is a row of a known xs is read from that xs instead of being copied into a new
 * stacked output: `forwarded` has, per stacked residual, the index of its known xs or −1 when
 * the known body computes it (then it is the next of the known scan's residual outputs).
 */
export const splitScan = (p: ScanParams, unknownIns: readonly boolean[]) => {
  const u = parts(unknownIns, p)
  const nK = p.numCarry
  const numYs = p.jaxpr.outs.length - nK
  // each step is the final split for its mask (carries of the mask instantiated): nested loops
  // are split once per step of the outer fixed point, not once more after it
  const start = loopMaskStart(p.jaxpr, [...u.carry], (m) => [...u.consts, ...m, ...u.xs], 'flow')
  const { mask: carryU, result: s } = fixedPointWith(start, (m) => {
    const r = partialEvalJaxpr(p.jaxpr, [...u.consts, ...m, ...u.xs], [...m, ...Array<boolean>(numYs).fill(false)])
    return { mask: r.outUnknowns.slice(0, nK), result: r }
  })
  const numKnownOuts = s.outUnknowns.filter((x) => !x).length
  const residuals = s.known.outs.slice(numKnownOuts)
  const knownConstVars = p.jaxpr.inVars.slice(0, p.numConsts).filter((_, i) => !u.consts[i])
  const knownXsVars = p.jaxpr.inVars.slice(p.numConsts + nK).filter((_, i) => !u.xs[i])
  const invariant = residuals.map((r) => (r._tag === 'Var' ? knownConstVars.indexOf(r) : -1))
  const isInv = invariant.map((k) => k >= 0)
  const fromXs = residuals.map((r, i) => (!isInv[i] && r._tag === 'Var' ? knownXsVars.indexOf(r) : -1))
  const computed = residuals.filter((_, i) => !isInv[i] && fromXs[i] < 0)
  const known = new Jaxpr([], s.known.inVars, s.known.eqns, [...s.known.outs.slice(0, numKnownOuts), ...computed])
  const nUC = u.consts.filter(Boolean).length
  const nUK = carryU.filter(Boolean).length
  const uIn = s.unknown.inVars
  const resIn = uIn.slice(0, residuals.length)
  const [stackedIn, invIn] = partition(isInv, resIn)
  const rest = uIn.slice(residuals.length)
  const unknownIns2 = [...rest.slice(0, nUC), ...invIn, ...rest.slice(nUC, nUC + nUK), ...stackedIn, ...rest.slice(nUC + nUK)]
  const unknown = new Jaxpr([], unknownIns2, s.unknown.eqns, s.unknown.outs)
  return {
    known,
    unknown,
    carryU,
    ysU: s.outUnknowns.slice(nK),
    invariant: invariant.filter((k) => k >= 0),
    forwarded: fromXs.filter((_, i) => !isInv[i]),
    numKnownCarry: carryU.filter((x) => !x).length,
    numKnownOuts,
  }
}

/**
 * The transpose of a scan: a scan in the opposite direction whose carry holds the linear
 * constants' cotangents (accumulated from `accInit`, zeros by default, as acc + d per step)
 * and the carries' cotangents. Checkpointed schedules (./remat.ts) run it segment by segment,
 * passing the accumulator on, so every policy adds the same terms in the same order.
 */
export const transposeScan = (cts: readonly Tangent[], args: readonly (Tracer | UndefPrimal)[], p: ScanParams, accInit?: readonly Tracer[]): (Tangent | null)[] => {
    const a = parts(args, p)
    // The body is linear in every carry, even one whose initial value is a known constant
    // (a zero tangent): transpose through all carries, and drop the constant inits' cotangents.
    const carryUndef = parts(args.map(isUndef), p).carry
    const lin = args.map((x, i) => isUndef(x) || (i >= p.numConsts && i < p.numConsts + p.numCarry))
    const l = parts(lin, p)
    const nK = p.numCarry
    const ctCarry = cts.slice(0, nK).map(instantiate)
    const ctYs = cts.slice(nK).map(instantiate)
    const [resC, linC] = partition(l.consts, a.consts)
    const [resX] = partition(l.xs, a.xs)
    const linCAvals = (linC as { aval: ShapedArray }[]).map((c) => c.aval)
    const [nRC, nLC, nRX] = [resC.length, linC.length, resX.length]
    const ya = p.jaxpr.outAvals
    // One trace of the transposed body with the accumulators: the body's backward pass staged
    // directly (no separate transposed jaxpr traced again to add the accumulation).
    const body = traceHoisted(
      (...xs) => {
        const rc = xs.slice(0, nRC)
        const acc = xs.slice(nRC, nRC + nLC)
        const ctc = xs.slice(nRC + nLC, nRC + nLC + nK)
        const rx = xs.slice(nRC + nLC + nK, nRC + nLC + nK + nRX)
        const cty = xs.slice(nRC + nLC + nK + nRX)
        let [ic, ix] = [0, 0]
        const bodyArgs = p.jaxpr.inVars.map((v, i) => (lin[i] ? new UndefPrimal(v.aval) : i < p.numConsts ? rc[ic++] : rx[ix++]))
        const cts = backwardPass(p.jaxpr, [], bodyArgs, [...ctc, ...cty]).filter((_, i) => lin[i])
        const [dLC, dK, dLX] = [cts.slice(0, nLC), cts.slice(nLC, nLC + nK), cts.slice(nLC + nK)]
        // acc + 0 is acc (the accumulator starts at +0 and so is never −0)
        return [...acc.map((x, i) => (isZero(dLC[i]) ? x : add(x, dLC[i] as Tracer))), ...dK.map(instantiate), ...dLX.map(instantiate)]
      },
      [
        ...(resC as Tracer[]).map((c) => c.aval), ...linCAvals, ...ya.slice(0, nK),
        ...(resX as Tracer[]).map((x) => sliceAval(x.aval)), ...ya.slice(nK),
      ],
    )
    const outs = bind('scan', [
      ...body.consts, ...(resC as Tracer[]),
      ...(accInit ?? linCAvals.map(zerosOf)), ...ctCarry,
      ...(resX as Tracer[]), ...ctYs,
    ], { jaxpr: body.jaxpr, numConsts: body.consts.length + nRC, numCarry: nLC + nK, length: p.length, reverse: !p.reverse })
    const ctLinC = outs.slice(0, nLC)
    const ctInit = outs.slice(nLC, nLC + nK)
    const ctLinX = outs.slice(nLC + nK)
    return [
      ...merge(l.consts, resC.map(() => null), ctLinC),
      ...ctInit.map((c, i) => (carryUndef[i] ? c : null)),
      ...merge(l.xs, resX.map(() => null), ctLinX),
    ]
  }

