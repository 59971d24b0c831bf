/**
 * Backend: program steps that are not generated loops.
 *
 *   opaque   any primitive without a lowering (gather, scatter_add, sort, cumsum, linalg,
 *            dynamic_slice, …): its reference impl, on arrays wrapping the slots' buffers
 *   scan     a JS loop over the compiled body, writing each step's carry into one of two
 *            buffer sets (double buffering) and each ys row in place
 *   while    the same with a compiled condition
 *   cond     the compiled branch chosen by the (clamped) index
 * Bodies are compiled once, with the program that contains them.
 *
 * Inside a loop body, a scan's outputs live only until the body's run ends (the body writes
 * its results into the enclosing loop's buffers by copy, `Program.runInto`), so a scan that
 * runs there keeps its output and carry buffers from one run to the next instead of
 * allocating fresh ones each time: checkpointed reverse mode runs short inner scans many
 * thousand times, and fresh memory (zeroed pages, then garbage) cost more than their steps.
 */
import { ConcreteArray } from '../core/array'
import { rulesOf } from '../core/rules'
import { type ShapedArray, sizeOf } from '../ir/aval'
import { type TypedArray, castScalar } from '../ir/dtypes'
import type { Eqn, Jaxpr } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'
import { flagSet } from '../higher/scan'
import { maxStepsExceeded } from '../higher/while'
import { genScanLoop } from './codegen/scan'
import { type Part, type ScalarScanShape, type ScalarWhileShape, genScalarScan, genScalarWhile, scanFits, warmUp, whileFits } from './codegen/scalarloop'
import { type LoopMeta, NoFit, registerLoop } from './codegen/scalarize'
import { compileDriver } from './compile'
import { type Program, alloc } from './program'
import { isResidentStep, residentScanStep } from './wasmresident'

type ScalarScan = (gc: TypedArray[], cur: TypedArray[], xs: TypedArray[], out: TypedArray[], ys: TypedArray[], n: number) => number
type ScalarWhile = (gc: TypedArray[], hc: TypedArray[], cur: TypedArray[], out: TypedArray[], limit: number, run: boolean) => number

/** The label of a loop step compiled whole (codegen/scalarloop.ts), for describeProgram. */
export const WHOLE = ', compiled whole'
/** The label of a scan whose buffers stay in the wasm arena (wasmresident.ts). */
export const RESIDENT = ', buffers in the wasm arena'

type ScanLoop = (b: TypedArray[], cst: TypedArray[], cur: TypedArray[], nxt: TypedArray[], spare: TypedArray[], xs: TypedArray[], ys: TypedArray[], lit: number[]) => void

export type CompileSub = (j: Jaxpr) => Program

/**
 * How a program's steps get the programs of their sub-jaxprs.
 *   compile  the kernel program (planned by the fusion planner, its kernels compiled)
 *   scalar   the program of a body that will be compiled into straight-line scalar code
 *            (scalarmode.ts: one step per equation, kernels not compiled), or null when it
 *            cannot be (an equation without a scalar form)
 *   inline   the program being built is itself such a body: its loops and branches are taken
 *            into the enclosing code, so they are planned in the same mode and compile nothing
 */
export interface Subs {
  readonly compile: CompileSub
  readonly scalar: (j: Jaxpr) => Program | null
  readonly inline: boolean
}

type Step = (b: TypedArray[]) => void

const allocFor = (a: ShapedArray): TypedArray => alloc(a.dtype, sizeOf(a.shape))

/** How many loop bodies are running (see the module comment). */
let bodyDepth = 0

/** Runs `f` as (part of) a loop body: what is allocated there may be reused the next time. */
const asBody = (f: () => void): void => {
  bodyDepth++
  try {
    f()
  } finally {
    bodyDepth--
  }
}

/**
 * Buffers of one step's results: fresh at the top level (they may escape to the caller),
 * the previous run's inside a loop body (they are dead by the time the step runs again).
 */
const resultBuffers = (avals: readonly ShapedArray[], rows: number): (() => TypedArray[]) => {
  let kept: TypedArray[] | null = null
  return () => {
    if (bodyDepth === 0) return avals.map((a) => alloc(a.dtype, rows * sizeOf(a.shape)))
    kept ??= avals.map((a) => alloc(a.dtype, rows * sizeOf(a.shape)))
    return kept
  }
}

/** A step's result must not be one of the arrays it read: those may be buffers the program
 *  reuses (a zero-trip loop returns its initial carry; a branch may return an operand). */
const own = (b: TypedArray[], ins: readonly number[], y: TypedArray): TypedArray => {
  for (const s of ins) if (b[s] === y) return y.slice()
  return y
}

/** The step of equation `e`, and the programs it runs (for describing it). */
export const eqnStep = (e: Eqn, ins: readonly number[], outs: readonly number[], sub: Subs): { fn: Step; subs: Program[]; label?: string } => {
  if (sub.inline) return inlineStep(e, ins, outs, sub)
  const subs: Program[] = []
  const track: CompileSub = (j) => {
    const p = sub.compile(j)
    subs.push(p)
    return p
  }
  switch (e.prim) {
    case 'scan': {
      const p = e.params as ParamsMap['scan']
      const shape = scanShape(p, e)
      // a body compiled whole is planned without the fusion search (scalarmode.ts); today's
      // plan is the fallback when its code does not fit
      const body = scanFits(shape) ? sub.scalar(p.jaxpr) : null
      let whole = body === null ? null : scalarScanStep(shape, p, e, ins, outs, body)
      if (whole !== null) subs.push(body as Program)
      else if (scanFits(shape)) {
        whole = scalarScanStep(shape, p, e, ins, outs, track(p.jaxpr))
        if (whole === null) subs.length = 0
      }
      const fn = whole ?? scanStep(p, e, ins, outs, track)
      // (a loop compiled whole around this one may take it into its own code)
      registerLoop(fn, scanMeta(p, e))
      return { fn, subs, ...(whole !== null ? { label: `scan${WHOLE}` } : isResidentStep(fn) ? { label: `scan${RESIDENT}` } : {}) }
    }
    case 'while': {
      const p = e.params as ParamsMap['while']
      const shape = whileShape(p)
      const cheap = whileFits(shape) ? [sub.scalar(p.condJaxpr), sub.scalar(p.bodyJaxpr)] : null
      const ok = cheap !== null && cheap[0] !== null && cheap[1] !== null
      let whole = ok ? scalarWhileStep(shape, p, ins, outs, cheap[0] as Program, cheap[1] as Program) : null
      if (whole !== null) subs.push(...(cheap as Program[]))
      else if (whileFits(shape)) {
        whole = scalarWhileStep(shape, p, ins, outs, track(p.condJaxpr), track(p.bodyJaxpr))
        if (whole === null) subs.length = 0
      }
      const fn = whole ?? whileStep(p, ins, outs, track)
      registerLoop(fn, whileMeta(p))
      return { fn, subs, ...(whole !== null ? { label: `while${WHOLE}` } : {}) }
    }
    case 'cond': return { fn: condStep((e.params as ParamsMap['cond']).branches.map(track), ins, outs), subs }
    default: return { fn: opaqueStep(e, ins, outs), subs }
  }
}

/**
 * A step of a body that will be compiled into its enclosing code: loops and branches with
 * their bodies in the same mode (so the enclosing code can take them in), and no code of their
 * own — their function is made only if the program is ever run step by step. Throws NoFit for
 * an equation that has no scalar form (the enclosing body then falls back).
 */
const inlineStep = (e: Eqn, ins: readonly number[], outs: readonly number[], sub: Subs): { fn: Step; subs: Program[]; label?: string } => {
  const scalar = (j: Jaxpr): Program => {
    const p = sub.scalar(j)
    if (p === null) throw new NoFit('a body without a scalar form')
    return p
  }
  let real: Step | null = null
  const fn: Step = (b) => (real ??= eqnStep(e, ins, outs, { ...sub, inline: false }).fn)(b)
  switch (e.prim) {
    case 'scan': {
      const p = e.params as ParamsMap['scan']
      const subs = [scalar(p.jaxpr)]
      registerLoop(fn, scanMeta(p, e))
      return { fn, subs }
    }
    case 'while': {
      const p = e.params as ParamsMap['while']
      const subs = [scalar(p.condJaxpr), scalar(p.bodyJaxpr)]
      registerLoop(fn, whileMeta(p))
      return { fn, subs }
    }
    case 'cond': {
      const branches = (e.params as ParamsMap['cond']).branches.map(scalar)
      return { fn: condStep(branches, ins, outs), subs: branches }
    }
    default: throw new NoFit('an equation without a scalar form')
  }
}

export const scanMeta = (p: ParamsMap['scan'], e: Eqn): Extract<LoopMeta, { kind: 'scan' }> => ({
  kind: 'scan', nConsts: p.numConsts, nCarry: p.numCarry, length: p.length, reverse: p.reverse,
  ...(p.whileFlag !== undefined ? { flag: p.whileFlag } : {}),
  xSizes: e.inputs.slice(p.numConsts + p.numCarry).map((a) => sizeOf(a.aval.shape.slice(1))),
  ySizes: p.jaxpr.outAvals.slice(p.numCarry).map((a) => sizeOf(a.shape)),
})

export const whileMeta = (p: ParamsMap['while']): Extract<LoopMeta, { kind: 'while' }> => ({ kind: 'while', nCondConsts: p.condNumConsts, nBodyConsts: p.bodyNumConsts, limit: p.maxSteps ?? Infinity })

const opaqueStep = (e: Eqn, ins: readonly number[], outs: readonly number[]): Step => {
  const impl = rulesOf(e.prim).impl
  const avals = e.inputs.map((a) => a.aval)
  const params = e.params as never
  return (b) => {
    const xs = ins.map((s, i) => new ConcreteArray(b[s], avals[i].shape, avals[i].dtype, avals[i].weakType))
    const ys = impl(xs, params)
    for (let i = 0; i < outs.length; i++) b[outs[i]] = own(b, ins, ys[i].data)
  }
}

const part = (a: ShapedArray): Part => ({ size: sizeOf(a.shape), dtype: a.dtype })

/** The interface of a scan compiled whole. */
const scanShape = (p: ParamsMap['scan'], e: Eqn): ScalarScanShape => {
  const nC = p.numConsts
  const nK = p.numCarry
  return {
    consts: e.inputs.slice(0, nC).map((a) => part(a.aval)),
    carries: e.outVars.slice(0, nK).map((v) => part(v.aval)),
    xs: e.inputs.slice(nC + nK).map((a) => ({ size: sizeOf(a.aval.shape.slice(1)), dtype: a.aval.dtype })),
    ys: p.jaxpr.outAvals.slice(nK).map(part),
    reverse: p.reverse,
    ...(p.whileFlag !== undefined ? { flag: p.whileFlag } : {}),
  }
}

/** A scan whose body is small enough to run as one function with its carry in locals. */
const scalarScanStep = (shape: ScalarScanShape, p: ParamsMap['scan'], e: Eqn, ins: readonly number[], outs: readonly number[], body: Program): Step | null => {
  const nC = p.numConsts
  const nK = p.numCarry
  const carryAvals = e.outVars.slice(0, nK).map((v) => v.aval)
  const yAvals = p.jaxpr.outAvals.slice(nK)
  const n = p.length
  const src = genScalarScan(body.spec, shape)
  if (src === null) return null
  const loop = compileDriver<ScalarScan>(src)([maxStepsExceeded])
  loop(warmUp(shape.consts), warmUp(shape.carries), warmUp(shape.xs), warmUp(shape.carries), warmUp(shape.ys), 0)
  return (b) => {
    const out = carryAvals.map(allocFor)
    const ys = yAvals.map((a) => alloc(a.dtype, n * sizeOf(a.shape)))
    if (loop(ins.slice(0, nC).map((s) => b[s]), ins.slice(nC, nC + nK).map((s) => b[s]), ins.slice(nC + nK).map((s) => b[s]), out, ys, n) !== 0) throw maxStepsExceeded(n)
    for (let k = 0; k < nK; k++) b[outs[k]] = out[k]
    for (let y = 0; y < ys.length; y++) b[outs[nK + y]] = ys[y]
  }
}

/** The interface of a while loop compiled whole. */
const whileShape = (p: ParamsMap['while']): ScalarWhileShape => ({
  condConsts: p.condJaxpr.inVars.slice(0, p.condNumConsts).map((v) => part(v.aval)),
  bodyConsts: p.bodyJaxpr.inVars.slice(0, p.bodyNumConsts).map((v) => part(v.aval)),
  carries: p.bodyJaxpr.outAvals.map(part),
})

/** A while loop whose condition and body are small enough to run as one function. */
const scalarWhileStep = (shape: ScalarWhileShape, p: ParamsMap['while'], ins: readonly number[], outs: readonly number[], cond: Program, body: Program): Step | null => {
  const nCC = p.condNumConsts
  const nBC = p.bodyNumConsts
  const carryAvals = p.bodyJaxpr.outAvals
  const src = genScalarWhile(cond.spec, body.spec, shape)
  if (src === null) return null
  const loop = compileDriver<ScalarWhile>(src)([maxStepsExceeded])
  loop(warmUp(shape.condConsts), warmUp(shape.bodyConsts), warmUp(shape.carries), warmUp(shape.carries), 0, false)
  const limit = p.maxSteps ?? Infinity
  return (b) => {
    const out = carryAvals.map(allocFor)
    const cur = ins.slice(nCC + nBC).map((s) => b[s])
    if (loop(ins.slice(0, nCC).map((s) => b[s]), ins.slice(nCC, nCC + nBC).map((s) => b[s]), cur, out, limit, true) !== 0) throw maxStepsExceeded(limit)
    for (let k = 0; k < carryAvals.length; k++) b[outs[k]] = out[k]
  }
}

/** A scan over the compiled body: with its buffers in the wasm arena when its kernels run
 *  there (wasmresident.ts), else in JS. */
const scanStep = (p: ParamsMap['scan'], e: Eqn, ins: readonly number[], outs: readonly number[], sub: CompileSub): Step => {
  const body = sub(p.jaxpr)
  const js = jsScanStep(p, e, ins, outs, body)
  const carryAvals = e.outVars.slice(0, p.numCarry).map((v) => v.aval)
  const xAvals = e.inputs.slice(p.numConsts + p.numCarry).map((a) => a.aval)
  return residentScanStep(p, carryAvals, xAvals, ins, outs, body, js) ?? js
}

const jsScanStep = (p: ParamsMap['scan'], e: Eqn, ins: readonly number[], outs: readonly number[], body: Program): Step => {
  const nC = p.numConsts
  const nK = p.numCarry
  const nX = ins.length - nC - nK
  const carryAvals = e.outVars.slice(0, nK).map((v) => v.aval)
  const yAvals = p.jaxpr.outAvals.slice(nK)
  const xSize = e.inputs.slice(nC + nK).map((a) => sizeOf(a.aval.shape.slice(1)))
  const ySize = yAvals.map((a) => sizeOf(a.shape))
  const n = p.length
  const flag = p.whileFlag
  const src = flag !== undefined ? null : genScanLoop(body.spec, { nConsts: nC, nCarry: nK, xSizes: xSize, ySizes: ySize, length: n, reverse: p.reverse })
  if (src !== null) {
    // the whole loop as one generated function over the body's kernels
    const loop = compileDriver<ScanLoop>(src)(body.spec.steps.map((s) => s.fn))
    const lits = body.spec.outs.map((o) => (o.kind === 'lit' ? castScalar(o.value, o.dtype) : 0))
    // every row of ys is written, so kept buffers need no clearing
    const [ysBuf, nxtBuf, spareBuf] = [resultBuffers(yAvals, n), resultBuffers(carryAvals, 1), resultBuffers(carryAvals, 1)]
    return (b) => {
      const cur = ins.slice(nC, nC + nK).map((s) => b[s])
      const ys = ysBuf()
      loop(body.acquire(), ins.slice(0, nC).map((s) => b[s]), cur, nxtBuf(), spareBuf(), ins.slice(nC + nK).map((s) => b[s]), ys, lits)
      for (let k = 0; k < nK; k++) b[outs[k]] = own(b, ins, cur[k])
      for (let y = 0; y < ys.length; y++) b[outs[nK + y]] = ys[y]
    }
  }
  // a bounded while loop that ends early leaves zero rows: its buffers are always fresh
  const [ysBuf, nxtBuf, spareBuf] = flag !== undefined ? [] : [resultBuffers(yAvals, n), resultBuffers(carryAvals, 1), resultBuffers(carryAvals, 1)]
  return (b) => {
    const bodyIns = new Array<TypedArray>(nC + nK + nX)
    const bodyOuts = new Array<TypedArray>(nK + yAvals.length)
    for (let c = 0; c < nC; c++) bodyIns[c] = b[ins[c]]
    const xs = ins.slice(nC + nK).map((s) => b[s])
    const ys = ysBuf?.() ?? yAvals.map((a) => alloc(a.dtype, n * sizeOf(a.shape)))
    let cur = ins.slice(nC, nC + nK).map((s) => b[s])
    let nxt = nxtBuf?.() ?? carryAvals.map(allocFor)
    const spare = spareBuf?.() ?? carryAvals.map(allocFor)
    asBody(() => {
      for (let t = 0; t < n; t++) {
        const i = p.reverse ? n - 1 - t : t
        for (let k = 0; k < nK; k++) {
          bodyIns[nC + k] = cur[k]
          bodyOuts[k] = nxt[k]
        }
        for (let x = 0; x < nX; x++) bodyIns[nC + nK + x] = xs[x].subarray(i * xSize[x], (i + 1) * xSize[x]) as TypedArray
        for (let y = 0; y < ys.length; y++) bodyOuts[nK + y] = ys[y].subarray(i * ySize[y], (i + 1) * ySize[y]) as TypedArray
        body.runInto(bodyIns, bodyOuts)
        const prev = cur
        cur = nxt
        nxt = t === 0 ? spare : prev
        // a bounded while loop that has ended: the remaining steps are identities, zero ys
        if (flag !== undefined && !flagSet(cur[flag])) break
      }
    })
    if (flag !== undefined && flagSet(cur[flag])) throw maxStepsExceeded(n)
    for (let k = 0; k < nK; k++) b[outs[k]] = own(b, ins, cur[k])
    for (let y = 0; y < ys.length; y++) b[outs[nK + y]] = ys[y]
  }
}

const whileStep = (p: ParamsMap['while'], ins: readonly number[], outs: readonly number[], sub: CompileSub): Step => {
  const cond = sub(p.condJaxpr)
  const body = sub(p.bodyJaxpr)
  const nCC = p.condNumConsts
  const nBC = p.bodyNumConsts
  const carryAvals = p.bodyJaxpr.outAvals
  const nK = carryAvals.length
  const limit = p.maxSteps ?? Infinity
  return (b) => {
    const condIns = ins.slice(0, nCC).map((s) => b[s])
    const bodyIns = ins.slice(nCC, nCC + nBC).map((s) => b[s])
    let cur = ins.slice(nCC + nBC).map((s) => b[s])
    let nxt = carryAvals.map(allocFor)
    let spare: TypedArray[] | null = carryAvals.map(allocFor)
    const flag = new Uint8Array(1)
    const flagOut = [flag]
    for (let steps = 0; ; steps++) {
      for (let k = 0; k < nK; k++) condIns[nCC + k] = cur[k]
      cond.runInto(condIns, flagOut)
      if (flag[0] === 0) break
      if (steps >= limit) throw maxStepsExceeded(limit)
      for (let k = 0; k < nK; k++) bodyIns[nBC + k] = cur[k]
      body.runInto(bodyIns, nxt)
      const prev = cur
      cur = nxt
      if (spare !== null) {
        nxt = spare
        spare = null
      } else nxt = prev
    }
    for (let k = 0; k < nK; k++) b[outs[k]] = own(b, ins, cur[k])
  }
}

const condStep = (branches: readonly Program[], ins: readonly number[], outs: readonly number[]): Step => {
  return (b) => {
    const i = Math.min(Math.max(Number(b[ins[0]][0]), 0), branches.length - 1)
    const res = branches[i].run(ins.slice(1).map((s) => b[s]))
    for (let k = 0; k < outs.length; k++) b[outs[k]] = own(b, ins, res[k])
  }
}
