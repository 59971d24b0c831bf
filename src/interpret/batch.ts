/**
 * Interpreters: batching (vmap). A `BatchTracer` is a value with one extra axis, `bdim`
 * (`null`: not batched). Each primitive's batch rule folds the batch into the primitive itself
 * — a batched matmul is one dot_general with a batch dimension, not a loop.
 */
import { AxisError } from '../core/errors'
import { type BDim, rulesOf } from '../core/rules'
import { Trace, Tracer, bindTracers, fullRaise, withMain } from '../core/tracer'
import { type ShapedArray, shaped } from '../ir/aval'
import type { Jaxpr } from '../ir/jaxpr'
import type { ParamsMap, PrimName } from '../ir/params'
import { batchToFront, moveAxis } from '../primitives/util'
import { evalJaxpr } from './eval'
import { hoistConsts } from './jvp'
import { traceToJaxpr } from './stage'

// (fields declared and assigned in the constructor: a class field would define each one twice
// per tracer — to undefined, then assigned — and every primitive batched makes tracers)
export class BatchTracer extends Tracer {
  declare readonly _trace: BatchTrace
  declare readonly val: Tracer
  declare readonly bdim: BDim
  // (made on first use: most batched values are only passed between batch rules, which read
  // `val` and `bdim`, and never ask for the unbatched aval)
  private declare unbatched: ShapedArray | undefined
  constructor(_trace: BatchTrace, val: Tracer, bdim: BDim) {
    super()
    this._trace = _trace
    this.val = val
    this.bdim = bdim
    this.unbatched = bdim === null ? val.aval : undefined
  }
  get aval(): ShapedArray {
    if (this.unbatched === undefined) {
      const a = this.val.aval
      this.unbatched = shaped(withoutAxis(a.shape, this.bdim as number), a.dtype, a.weakType)
    }
    return this.unbatched
  }
}

/** `shape` without axis `k`, frozen (so the aval takes it as is). */
const withoutAxis = (shape: readonly number[], k: number): readonly number[] => {
  const out = new Array<number>(shape.length - 1)
  for (let i = 0, j = 0; i < shape.length; i++) if (i !== k) out[j++] = shape[i]
  return Object.freeze(out)
}

export class BatchTrace extends Trace {
  get axisSize(): number {
    return this.main.globalData as number
  }
  lift(x: Tracer): Tracer {
    return new BatchTracer(this, x, null)
  }
  processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[] {
    const ts = tracers as readonly BatchTracer[]
    const n = ts.length
    const vals = new Array<Tracer>(n)
    const bdims = new Array<BDim>(n)
    let noneBatched = true
    for (let i = 0; i < n; i++) {
      vals[i] = ts[i].val
      bdims[i] = ts[i].bdim
      if (bdims[i] !== null) noneBatched = false
    }
    // (every primitive batched passes here, mostly in cold code: indexed loops, no per-call
    // closures)
    if (noneBatched) {
      const outs = bindTracers(prim, vals, params)
      const res = new Array<Tracer>(outs.length)
      for (let i = 0; i < outs.length; i++) res[i] = new BatchTracer(this, outs[i], null)
      return res
    }
    const r = rulesOf(prim).batch(this.axisSize, vals, bdims, params)
    const outs = r[0]
    const outBdims = r[1]
    const res = new Array<Tracer>(outs.length)
    for (let i = 0; i < outs.length; i++) res[i] = new BatchTracer(this, outs[i], outBdims[i])
    return res
  }
}

/**
 * Map `f` over axis `inDims[i]` of each argument (null: not mapped). Outputs come back with
 * their batch axis where `outDims[i]` says (null: the output must not depend on the batch;
 * an unbatched output with a non-null out axis is broadcast).
 */
export const vmapFlat = (
  f: (...xs: Tracer[]) => readonly Tracer[],
  axisSize: number,
  args: readonly Tracer[],
  inDims: readonly BDim[],
  outDims: (numOuts: number) => readonly BDim[],
): Tracer[] =>
  withMain(BatchTrace, axisSize, (main) => {
    const trace = main.trace() as BatchTrace
    const ins = args.map((x, i) => new BatchTracer(trace, x, inDims[i]))
    const outs = f(...ins).map((o) => fullRaise(trace, o) as BatchTracer)
    const od = outDims(outs.length)
    return outs.map((o, i) => {
      const want = od[i]
      if (want === null) {
        if (o.bdim !== null) {
          throw new AxisError(`vmap: output ${i} depends on the mapped axis, so its outAxes entry cannot be null (use 0, or return the value from outside the mapped computation)`)
        }
        return o.val
      }
      const v = o.bdim === null ? batchToFront(o.val, null, axisSize) : moveAxis(o.val, o.bdim, 0)
      const to = want < 0 ? want + v.ndim : want
      if (!Number.isInteger(to) || to < 0 || to >= v.ndim) {
        throw new AxisError(`vmap: outAxes ${want} is out of range for output ${i}, which has rank ${v.ndim} with the mapped axis (valid: ${-v.ndim} … ${v.ndim - 1})`)
      }
      return moveAxis(v, 0, to)
    })
  })

/**
 * The batched version of a jaxpr as a jaxpr: inputs batched along `inDims` (null: unbatched);
 * every output batched along axis 0 (instantiated when it was unbatched and `instantiateOuts`).
 */
export const batchJaxpr = (
  jaxpr: Jaxpr,
  axisSize: number,
  inDims: readonly BDim[],
  instantiateOuts: boolean | readonly boolean[],
): { jaxpr: Jaxpr; consts: Tracer[]; outDims: BDim[] } => {
  const inAvals = jaxpr.inAvals.map((a, i) => {
    const d = inDims[i]
    if (d === null) return a
    const s = [...a.shape]
    s.splice(d, 0, axisSize)
    return shaped(s, a.dtype, a.weakType)
  })
  let outDims: BDim[] = []
  const closed = traceToJaxpr(
    (...xs) =>
      withMain(BatchTrace, axisSize, (main) => {
        const trace = main.trace() as BatchTrace
        const ins = xs.map((x, i) => new BatchTracer(trace, x, inDims[i]))
        const outs = evalJaxpr(jaxpr, [], ins).map((o) => fullRaise(trace, o) as BatchTracer)
        const inst = (i: number) => (typeof instantiateOuts === 'boolean' ? instantiateOuts : instantiateOuts[i])
        outDims = outs.map((o, i) => (o.bdim === null && !inst(i) ? null : 0))
        return outs.map((o, i) => (outDims[i] === null ? o.val : batchToFront(o.val, o.bdim, axisSize)))
      }),
    inAvals,
  )
  return { jaxpr: hoistConsts(closed.jaxpr), consts: [...closed.consts], outDims }
}
