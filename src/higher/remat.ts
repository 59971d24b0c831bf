/**
 * Higher-order primitives: checkpointed reverse mode through `scan` (the `checkpoint` policy
 * of lax.scan / foriLoop / bounded whileLoop). Evaluation, jvp and vmap ignore the policy.
 *
 * Partial evaluation of a checkpointed scan stores nothing per step: the known scan computes
 * the primal outputs only, and the staged scan is the whole body again, reading the known
 * inputs (consts, initial carry, xs) as its residuals. Its transpose (below) recomputes the
 * primal carries as the policy's schedule says, and at the innermost level runs exactly what
 * the 'store' policy runs on a segment: the known scan that produces the step residuals, the
 * second split that reverse mode makes of the linear scan, and the transposed scan
 * (./scanparts.ts). The cotangent accumulators of linear constants are carried from segment to
 * segment, so every policy adds the same terms in the same order: gradients are bitwise equal.
 *
 * Schedules, for N steps (memory in stored carries; time in advances — forward steps that only
 * recompute a carry — besides the N taped steps that store residuals and the N adjoint steps):
 *   'recompute'        for each step, advance from the initial carry (a while loop)   O(1),  N²/2
 *   'sqrt'             ⌈√N⌉-step segments: their starts, then one segment's residuals  O(√N), N
 *   { binomial: s }    d nested levels of m = ⌈N^(1/d)⌉ segments, d the least with d·m ≤ s
 *                      (stored: (d − 1)·m carries and m steps' residuals)              O(s),  (d − 1)·N
 * A level's sweep stops at the start of its last segment when nothing follows it, so with
 * N = m^d a level advances (1 − 1/m)·N. Griewank and Walther's revolve needs r·N − C(s + r, s + 1)
 * advances, r the least with C(s + r, s) ≥ N: for 10⁶ steps and 100 snapshots 3.818·N, where the
 * nested schedule runs 3.796·N (revolve tapes one step at a time; the nested schedule tapes m
 * steps, whose residual rows count against s). The nested schedule is built from scans alone,
 * so it compiles, differentiates again and batches like any program; revolve's own would need
 * a snapshot buffer updated in place, which a functional program does not have. Below
 * d·m ≈ 2·log₂ N (m = 2) the nested schedule cannot fit in s carries: it then halves segments
 * and keeps about 2·log₂ N (20 snapshots, 10⁶ steps: 9.6·N advances, revolve's 6.8·N).
 */
import { type Tangent, UndefPrimal, isUndef } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import { scalar } from '../core/array'
import { jaxprHasEffects, withoutEffects } from '../ir/effects'
import { type Eqn, Var, makeEqn } from '../ir/jaxpr'
import type { CheckpointPolicy } from '../ir/params'
import { dceJaxpr } from '../interpret/dce'
import { evalJaxpr } from '../interpret/eval'
import type { PETracer, PartialEvalTrace } from '../interpret/partial'
import { add, sub } from '../primitives/binary'
import { iota, reshape } from '../primitives/shape'
import { concatenate, dynamicSlice, slice } from '../primitives/slicing'
import { instantiate, zerosOf } from '../primitives/util'
import { type ScanParams, flagFor, parts, sliceAval, splitScan, stackedAval, transposeScan } from './scanparts'
import { merge, partition, traceHoisted } from './util'

/** A scan whose reverse mode follows a schedule other than storing every step. */
export const isRemat = (p: ScanParams): boolean => p.checkpoint !== undefined && p.checkpoint !== 'store' && p.length >= 2

/** The least m with m^d ≥ n. */
const root = (n: number, d: number): number => {
  let m = Math.max(1, Math.ceil(Math.pow(n, 1 / d)))
  while (m > 1 && Math.pow(m - 1, d) >= n) m--
  while (Math.pow(m, d) < n) m++
  return m
}

/**
 * Segment lengths of the nested schedule, outermost first ([] stores the whole range), or
 * 'recompute'. With fewer snapshots than 2·⌈log₂ N⌉ the binomial schedule uses halving
 * segments, which need that many.
 */
export const segmentLengths = (policy: CheckpointPolicy, n: number): number[] | 'recompute' => {
  if (policy === 'recompute') return 'recompute'
  if (policy === 'store') return []
  const levels = (d: number, m: number): number[] => Array.from({ length: d - 1 }, (_, i) => Math.pow(m, d - 1 - i))
  if (policy === 'sqrt') return n <= 2 ? [] : levels(2, root(n, 2))
  for (let d = 1; ; d++) {
    const m = root(n, d)
    if (d * m <= policy.binomial || m <= 2) return levels(d, m)
  }
}

// ---- partial evaluation ----------------------------------------------------------------------

/** The known side of a checkpointed scan: the known body without its residual outputs. */
const knownPrimal = (p: ScanParams, unknownIns: readonly boolean[]) => {
  const s = splitScan(p, unknownIns)
  const jaxpr = dceJaxpr(s.known, s.known.outs.map((_, i) => i < s.numKnownOuts))
  return { s, jaxpr, params: (kc: number, kk: number): ScanParams => ({ ...flagFor(p, s.carryU.map((x) => !x)), jaxpr, numConsts: kc, numCarry: kk }) }
}

/** The staged side: the whole scan (no while flag: the primal side has checked the bound), and
 *  no host callbacks: the known side made them, and reverse mode only recomputes residuals. */
const stagedParams = (p: ScanParams): ScanParams => {
  const { whileFlag: _, ...rest } = p
  return { ...rest, jaxpr: withoutEffects(rest.jaxpr) }
}

export const rematPartialEval = (pe: PartialEvalTrace, ts: readonly PETracer[], p: ScanParams): Tracer[] => {
  const unknownIns = ts.map((t) => t.pval.known === null)
  const { s, jaxpr, params } = knownPrimal(p, unknownIns)
  const a = parts(ts, p)
  const u = parts(unknownIns, p)
  const kc = partition(u.consts, a.consts)[0]
  const kk = partition(s.carryU, a.carry)[0]
  const kx = partition(u.xs, a.xs)[0]
  const known = [...kc, ...kk, ...kx].map((t) => t.pval.known as Tracer)
  // (a known side with no outputs still runs when it has effects: host callbacks)
  const outsK = jaxpr.outs.length === 0 && !jaxprHasEffects(jaxpr) ? [] : bind('scan', known, params(kc.length, kk.length))
  const nK = p.numCarry
  const outAvals = p.jaxpr.outAvals.map((av, i) => (i < nK ? av : stackedAval(av, p.length)))
  const outsU = pe.stage('scan', ts.map((t) => pe.instantiateConst(t)), stagedParams(p), outAvals)
  const nKK = s.numKnownCarry
  return [
    ...merge<Tracer>(s.carryU, outsK.slice(0, nKK), outsU.slice(0, nK).filter((_, i) => s.carryU[i])),
    ...merge<Tracer>(s.ysU, outsK.slice(nKK), outsU.slice(nK).filter((_, i) => s.ysU[i])),
  ]
}

export const rematSplit = (e: Eqn<'scan'>, unknownIns: readonly boolean[]) => {
  const p = e.params
  const { s, jaxpr, params } = knownPrimal(p, unknownIns)
  const ins = parts(e.inputs, p)
  const u = parts(unknownIns, p)
  const kc = partition(u.consts, ins.consts)[0]
  const kk = partition(s.carryU, ins.carry)[0]
  const kx = partition(u.xs, ins.xs)[0]
  const outUnknowns = [...s.carryU, ...s.ysU]
  const knownOuts = e.outVars.filter((_, i) => !outUnknowns[i])
  const known = knownOuts.length === 0 && !jaxprHasEffects(jaxpr) ? null : makeEqn('scan', [...kc, ...kk, ...kx], params(kc.length, kk.length), knownOuts)
  const unknown = makeEqn('scan', e.inputs, stagedParams(p), e.outVars.map((v, i) => (outUnknowns[i] ? v : new Var(v.aval))))
  const residuals = e.inputs.filter((a, i): a is Var => !unknownIns[i] && a._tag === 'Var')
  return { known, unknown, outUnknowns, residuals }
}

// ---- transpose -------------------------------------------------------------------------------

const rows = (x: Tracer, lo: number, hi: number): Tracer => slice(x, [lo, ...x.shape.slice(1).map(() => 0)], [hi, ...x.shape.slice(1)])
const rowAt = (x: Tracer, i: Tracer): Tracer =>
  dynamicSlice(x, [i, ...x.shape.slice(1).map(() => scalar(0, 'int32'))], [1, ...x.shape.slice(1)])
const stackOf = (x: Tracer, q: number, len: number): Tracer => reshape(x, [q, len, ...x.shape.slice(1)])
const flat = (x: Tracer): Tracer => reshape(x, [x.shape[0] * x.shape[1], ...x.shape.slice(2)])

/**
 * The transpose of a checkpointed scan whose known inputs (consts, carries, xs) are primal
 * values and whose undefined inputs are linear. Returns null when the scan has no primal
 * carry (nothing to recompute: the plain transpose applies).
 */
export const rematTranspose = (cts: readonly Tangent[], args: readonly (Tracer | UndefPrimal)[], p: ScanParams): (Tangent | null)[] | null => {
  const unknownIns = args.map(isUndef)
  const s = splitScan(p, unknownIns)
  if (s.carryU.every(Boolean)) return null
  const a = parts(args, p)
  const u = parts(unknownIns, p)
  const nK = p.numCarry
  const [kc0, ucs] = partition(u.consts, a.consts)
  const [kk0, uk] = partition(s.carryU, a.carry)
  const [kx0, ux] = partition(u.xs, a.xs)
  const kcV = kc0 as Tracer[]
  const ucsAvals = ucs.map((x) => x.aval)
  const ukAvals = uk.map((x) => x.aval)
  const uxRowAvals = ux.map((x) => sliceAval(x.aval))
  const promoted = uk.map((x) => !isUndef(x))
  const nUC = ucs.length
  const nInv = s.invariant.length
  const nUK = uk.length
  // The linear scan of the 'store' flow, and the split reverse mode makes of it (promoted
  // carries — known zeros entering a linear carry — are known there).
  const pu: ScanParams = { jaxpr: s.unknown, numConsts: nUC + nInv, numCarry: nUK, length: p.length, reverse: p.reverse }
  const unknownIns2 = [...ucs.map(() => true), ...s.invariant.map(() => false), ...promoted.map((x) => !x), ...s.forwarded.map(() => false), ...ux.map(() => true)]
  const s2 = splitScan(pu, unknownIns2)
  // A promoted carry that stays known there needs its value: only at the start of the scan.
  const plan = s2.carryU.every(Boolean) ? segmentLengths(p.checkpoint ?? 'store', p.length) : []
  const fwd = dceJaxpr(s.known, s.known.outs.map((_, i) => i < s.numKnownCarry))
  const nKC = kcV.length
  const nKK = kk0.length
  const fwdParams = (len: number, rev: boolean): ScanParams => ({ jaxpr: fwd, numConsts: nKC, numCarry: nKK, length: len, reverse: rev })

  /** The 'store' flow on `len` steps from carry `kk`: [acc, ctUK, ctUX rows]. */
  const bottom = (len: number, rev: boolean, kc: readonly Tracer[], kk: readonly Tracer[], kx: readonly Tracer[], acc: readonly Tracer[], ctUK: readonly Tracer[], ctUY: readonly Tracer[], prom: readonly (Tracer | null)[]): Tracer[] => {
    const outsK = s.known.outs.length === 0 ? [] : bind('scan', [...kc, ...kk, ...kx], { jaxpr: s.known, numConsts: nKC, numCarry: nKK, length: len, reverse: rev })
    const computed = outsK.slice(s.numKnownOuts)
    let j = 0
    const stacked = s.forwarded.map((k) => (k >= 0 ? kx[k] : computed[j++]))
    const args1: (Tracer | UndefPrimal)[] = [
      ...ucsAvals.map((av) => new UndefPrimal(av)),
      ...s.invariant.map((k) => kc[k]),
      ...ukAvals.map((av, i) => prom[i] ?? new UndefPrimal(av)),
      ...stacked,
      ...uxRowAvals.map((av) => new UndefPrimal(stackedAval(av, len))),
    ]
    const pl: ScanParams = { ...pu, length: len, reverse: rev }
    const ins = parts(args1, pl)
    const u2 = parts(unknownIns2, pl)
    const [kc2, ucs2] = partition(u2.consts, ins.consts)
    const [kk2, uk2] = partition(s2.carryU, ins.carry)
    const [kx2, ux2] = partition(u2.xs, ins.xs)
    const outs2 = s2.known.outs.length === 0 ? [] : bind('scan', [...kc2, ...kk2, ...kx2] as Tracer[], { ...pl, jaxpr: s2.known, numConsts: kc2.length, numCarry: kk2.length })
    const computed2 = outs2.slice(s2.numKnownOuts)
    let j2 = 0
    const stacked2 = s2.forwarded.map((k) => (k >= 0 ? kx2[k] : computed2[j2++]))
    const inv2 = s2.invariant.map((k) => kc2[k])
    const args2 = [...ucs2, ...inv2, ...uk2, ...stacked2, ...ux2]
    const p2: ScanParams = { ...pl, jaxpr: s2.unknown, numConsts: ucs2.length + inv2.length, numCarry: uk2.length }
    const ctsK = ctUK.filter((_, i) => s2.carryU[i])
    const r = transposeScan([...ctsK, ...ctUY.filter((_, i) => s2.ysU[i])], args2, p2, acc)
    const nC2 = ucs2.length + inv2.length
    const ctK2 = r.slice(nC2, nC2 + uk2.length)
    let k = 0
    const ctUKout = ukAvals.map((av, i) => (s2.carryU[i] ? ctK2[k++] : null) ?? zerosOf(av))
    const ctUX = r.slice(r.length - ux.length).map((c, i) => (c === null ? zerosOf(stackedAval(uxRowAvals[i], len)) : instantiate(c)))
    return [...(r.slice(0, nUC) as Tangent[]).map((c) => instantiate(c)), ...ctUKout.map((c) => instantiate(c)), ...ctUX]
  }

  /** Level `level` of the nested schedule on `len` steps: [acc, ctUK, ctUX rows]. */
  const nested = (level: number, len: number, rev: boolean, kc: readonly Tracer[], kk: readonly Tracer[], kx: readonly Tracer[], acc: readonly Tracer[], ctUK: readonly Tracer[], ctUY: readonly Tracer[], prom: readonly (Tracer | null)[]): Tracer[] => {
    const plan_ = plan as number[]
    if (level >= plan_.length) return bottom(len, rev, kc, kk, kx, acc, ctUK, ctUY, prom)
    const seg = plan_[level]
    if (len <= seg) return nested(level + 1, len, rev, kc, kk, kx, acc, ctUK, ctUY, prom)
    const q = Math.floor(len / seg)
    const r = len - q * seg
    // rows of the q full segments and of the remainder (run last, so reversed first)
    const [fLo, fHi, rLo, rHi] = rev ? [r, len, 0, r] : [0, q * seg, q * seg, len]
    const kxF = kx.map((x) => stackOf(rows(x, fLo, fHi), q, seg))
    const ctUYF = ctUY.map((x) => stackOf(rows(x, fLo, fHi), q, seg))
    // forward: each segment's starting carry
    const snap = traceHoisted((...xs) => {
      const [c, k, x] = [xs.slice(0, nKC), xs.slice(nKC, nKC + nKK), xs.slice(nKC + nKK)]
      const end = bind('scan', [...c, ...k, ...x], fwdParams(seg, rev))
      return [...end, ...k]
    }, [...kc.map((c) => c.aval), ...kk.map((c) => c.aval), ...kxF.map((x) => sliceAval(x.aval))])
    // Without a remainder the last segment's end is never needed: the sweep stops at its start
    // (q − 1 segments), which saves 1/q of every level's sweep.
    const qs = r > 0 ? q : q - 1
    const kxS = r > 0 ? kxF : kxF.map((x) => (rev ? rows(x, 1, q) : rows(x, 0, q - 1)))
    const so = bind('scan', [...snap.consts, ...kc, ...kk, ...kxS], { jaxpr: snap.jaxpr, numConsts: snap.consts.length + nKC, numCarry: nKK, length: qs, reverse: rev })
    const kkEnd = so.slice(0, nKK)
    const lastStart = (k: Tracer): Tracer => reshape(k, [1, ...k.shape])
    const snaps = r > 0 ? so.slice(nKK) : so.slice(nKK).map((ys, i) => concatenate(rev ? [lastStart(kkEnd[i]), ys] : [ys, lastStart(kkEnd[i])], 0))
    let accR = acc
    let ctR = ctUK
    let ctUXrem: Tracer[] = []
    if (r > 0) {
      const o = nested(level + 1, r, rev, kc, kkEnd, kx.map((x) => rows(x, rLo, rHi)), acc, ctUK, ctUY.map((x) => rows(x, rLo, rHi)), prom.map(() => null))
      ;[accR, ctR, ctUXrem] = [o.slice(0, nUC), o.slice(nUC, nUC + nUK), o.slice(nUC + nUK)]
    }
    // backward over the full segments, each from its stored start
    const nAcc = nUC + nUK
    const back = traceHoisted((...xs) => {
      const c = xs.slice(0, nKC)
      const ac = xs.slice(nKC, nKC + nUC)
      const ck = xs.slice(nKC + nUC, nKC + nAcc)
      const k = xs.slice(nKC + nAcc, nKC + nAcc + nKK)
      const x = xs.slice(nKC + nAcc + nKK, nKC + nAcc + nKK + kxF.length)
      const cy = xs.slice(nKC + nAcc + nKK + kxF.length)
      return nested(level + 1, seg, rev, c, k, x, ac, ck, cy, prom.map(() => null))
    }, [...kc.map((c) => c.aval), ...ucsAvals, ...ukAvals, ...snaps.map((x) => sliceAval(x.aval)), ...kxF.map((x) => sliceAval(x.aval)), ...ctUYF.map((x) => sliceAval(x.aval))])
    const bo = bind('scan', [...back.consts, ...kc, ...accR, ...ctR, ...snaps, ...kxF, ...ctUYF], {
      jaxpr: back.jaxpr, numConsts: back.consts.length + nKC, numCarry: nAcc, length: q, reverse: !rev,
    })
    const ctUXF = bo.slice(nAcc).map(flat)
    const ctUX = ctUXF.map((f, i) => (r === 0 ? f : concatenate(rev ? [ctUXrem[i], f] : [f, ctUXrem[i]], 0)))
    // the first segment's start is the scan's own: promoted carries keep their value only there
    return [...bo.slice(0, nAcc), ...ctUX]
  }

  /** 'recompute': for each step, the carry from the initial one by a bounded while loop. */
  const recompute = (acc: readonly Tracer[], ctUK: readonly Tracer[], ctUY: readonly Tracer[]): Tracer[] => {
    const n = p.length
    const rev = p.reverse
    const kxAvals = kx0.map((x) => (x as Tracer).aval)
    const kkAvals = kk0.map((x) => (x as Tracer).aval)
    const cond = traceHoisted((steps, k) => [bind('lt', [k, steps], {})[0]], [scalar(0, 'int32').aval, scalar(0, 'int32').aval, ...kkAvals])
    const body = traceHoisted((...xs) => {
      const [c, x, k, kk] = [xs.slice(0, nKC), xs.slice(nKC, nKC + kxAvals.length), xs[nKC + kxAvals.length], xs.slice(nKC + kxAvals.length + 1)]
      const i = rev ? sub(scalar(n - 1, 'int32'), k) : k
      const xr = x.map((v) => reshape(rowAt(v, i), v.shape.slice(1)))
      return [add(k, scalar(1, 'int32')), ...evalJaxpr(fwd, [], [...c, ...kk, ...xr])]
    }, [...kcV.map((c) => c.aval), ...kxAvals, scalar(0, 'int32').aval, ...kkAvals])
    const nAcc = nUC + nUK
    const back = traceHoisted((...xs) => {
      const c = xs.slice(0, nKC)
      const k0 = xs.slice(nKC, nKC + nKK)
      const x = xs.slice(nKC + nKK, nKC + nKK + kxAvals.length)
      const o = nKC + nKK + kxAvals.length
      const ac = xs.slice(o, o + nUC)
      const ck = xs.slice(o + nUC, o + nAcc)
      const i = xs[o + nAcc]
      const cy = xs.slice(o + nAcc + 1)
      const steps = rev ? sub(scalar(n - 1, 'int32'), i) : i
      const w = bind('while', [...cond.consts, steps, ...body.consts, ...c, ...x, scalar(0, 'int32'), ...k0], {
        condJaxpr: cond.jaxpr, bodyJaxpr: body.jaxpr, condNumConsts: cond.consts.length + 1, bodyNumConsts: body.consts.length + nKC + x.length, maxSteps: n,
      })
      const ki = w.slice(1)
      const one = (v: Tracer) => reshape(v, [1, ...v.shape])
      const res = bottom(1, rev, c, ki, x.map((v) => rowAt(v, i)), ac, ck, cy.map(one), ukAvals.map(() => null))
      return [...res.slice(0, nAcc), ...res.slice(nAcc).map((v) => reshape(v, v.shape.slice(1)))]
    }, [...kcV.map((c) => c.aval), ...kkAvals, ...kxAvals, ...ucsAvals, ...ukAvals, scalar(0, 'int32').aval, ...ctUY.map((x) => sliceAval(x.aval))])
    const bo = bind('scan', [...back.consts, ...kcV, ...(kk0 as Tracer[]), ...(kx0 as Tracer[]), ...acc, ...ctUK, iota('int32', [n], 0), ...ctUY], {
      jaxpr: back.jaxpr, numConsts: back.consts.length + nKC + nKK + kxAvals.length, numCarry: nAcc, length: n, reverse: !rev,
    })
    return bo
  }

  const ctUK = cts.slice(0, nK).filter((_, i) => s.carryU[i]).map(instantiate)
  const ctUY = cts.slice(nK).filter((_, i) => s.ysU[i]).map(instantiate)
  const acc0 = ucsAvals.map(zerosOf)
  const prom0 = uk.map((x) => (isUndef(x) ? null : x))
  const out = plan === 'recompute'
    ? recompute(acc0, ctUK, ctUY)
    : nested(0, p.length, p.reverse, kcV, kk0 as Tracer[], kx0 as Tracer[], acc0, ctUK, ctUY, prom0)
  const ctUC = out.slice(0, nUC)
  const ctUKo = out.slice(nUC, nUC + nUK)
  const ctUX = out.slice(nUC + nUK)
  return [
    ...merge(u.consts, kc0.map(() => null), ctUC),
    ...merge(s.carryU, kk0.map(() => null), ctUKo.map((c, i) => (promoted[i] ? null : c))),
    ...merge(u.xs, kx0.map(() => null), ctUX),
  ]
}

