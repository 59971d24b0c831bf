/**
 * Backend layer (wasm): reductions with a fused elementwise prologue and epilogue.
 *
 *   run(outer, red, inner, in₀, …, in_{I−1}, out)     (i32 counts and byte offsets)
 *   out[o, j] = epilogue( ⊕_{r < red} prologue(inputs at [o, r, j]) )
 *
 * An `array` input has the layout [outer, red, inner] (contiguous, row-major); a `scalar`
 * input is 0-d. The output is [outer, inner]. Any reduction over a run of adjacent axes
 * of a contiguous array has this form; `inner = 1` (the last axes) is the common case.
 *
 * inner = 1: lanes run along the reduced axis (one vector of prologue values per step), in
 *   blocks of BLOCK elements whose partial sums are added to a running total; the last
 *   red mod lanes elements go one at a time. inner > 1: lanes run along `inner` (four
 *   vectors of columns per step), each lane accumulating its own column down the r axis.
 *
 * Accuracy of `sum`:
 *   float32: accumulated in float64 (each value widened exactly), rounded once at the end:
 *     |error| ≤ ½ ulp(result) + (BLOCK/4 + red/BLOCK + 2)·2⁻⁵³·Σ|vᵢ| — in practice the
 *     correctly rounded float32 sum except when the terms cancel to well below their size.
 *   float64, inner = 1: four lanes, blocked: |error| ≤ (BLOCK/4 + red/BLOCK + 2)·2⁻⁵³·Σ|vᵢ|
 *     (BLOCK = 1024: ≈ 1230·2⁻⁵³·Σ|vᵢ| at red = 10⁶, vs 10⁶·2⁻⁵³·Σ|vᵢ| for one sequential sum).
 *   float64, inner > 1: sequential per column: |error| ≤ red·2⁻⁵³·Σ|vᵢ|.
 * With `partial`, the raw accumulators are written (float64 for sums) and the epilogue is
 * left to the caller. max/min are exact and propagate NaN; for an all-zero slice the sign of the zero may differ
 * from a sequential scan. An empty reduction gives 0 / −inf / +inf.
 */
import type { FunctionBuilder, Local } from './encode'
import { type InputKind, loopIO } from './elementwise'
import { type Expr, type FloatDType, checkExprs, ex, exprKey } from './expr'
import { lowerExprs } from './lower'
import { type Arg, Kernel, Simd } from './simd'

export type ReduceOp = 'sum' | 'max' | 'min'

export interface ReduceSpec {
  readonly dtype: FloatDType
  readonly op: ReduceOp
  /** `array`: [outer, red, inner] contiguous; `scalar`: 0-d, broadcast. */
  readonly inputs: readonly InputKind[]
  /** The value reduced at each position (over the inputs). */
  readonly prologue: Expr
  /** Applied to each reduced value: input 0 is the reduction (e.g. a mean's scaling). */
  readonly epilogue?: Expr
  /** Write the raw accumulators instead — float64 for sums (of either dtype), the dtype for
   *  max/min — and skip the epilogue: partial results of a reduction split across calls
   *  (threads.ts combines them). */
  readonly partial?: boolean
}

/** Elements per block of the inner = 1 sum (see the header's error bound). */
export const BLOCK = 1024

export const reduceKey = (spec: ReduceSpec): string =>
  `red:${spec.dtype}:${spec.op}${spec.partial ? ':partial' : ''}:${spec.inputs.map((k) => (k === 'array' ? 'a' : 's')).join('')}:${exprKey([spec.prologue])}:${spec.epilogue ? exprKey([spec.epilogue]) : '-'}`

/** `while (i < to) { body(); i += step }` over an i32 local set by the caller (unsigned). */
const forLoop = (f: FunctionBuilder, i: Local, to: () => void, step: number, body: () => void): void => {
  f.block().loop()
  f.get(i); to(); f.op('i32.ge_u').brIf(1)
  body()
  f.get(i).i32(step).op('i32.add').set(i).br(0).end().end()
}

export const buildReduce = (spec: ReduceSpec, opts: { shared?: boolean } = {}): Uint8Array => {
  const { dtype, op } = spec
  checkExprs([spec.prologue], spec.inputs.length, dtype)
  const epilogue = spec.epilogue ?? ex.input(0)
  checkExprs([epilogue], 1, dtype)
  const io = loopIO(dtype)
  const partial = spec.partial ?? false
  const f32 = dtype === 'float32'
  const L = io.lanes
  const V = f32 ? 'f32x4' : 'f64x2'
  const wide = op === 'sum' && f32 // float32 sums accumulate in float64 lanes
  const outSize = partial && op === 'sum' ? 8 : io.size
  const k = new Kernel(opts)
  const nIn = spec.inputs.length
  const f = k.func('run', Array(4 + nIn).fill('i32'))
  const s = new Simd(f, k)
  const [outer, red, inner, ...rest] = f.params
  const ins = rest.slice(0, nIn)
  const out = rest[nIn]

  const scalars = new Map<number, Local>()
  spec.inputs.forEach((kind, i) => {
    if (kind === 'scalar') { f.get(ins[i]).mem(io.splat); scalars.set(i, s.pop()) }
  })
  /** Prologue values at byte offset `at` (added to every array input's base). */
  const prologue = (at: () => void, vector: boolean): Local => {
    const args: Arg[] = spec.inputs.map((kind, i) => {
      if (kind === 'scalar') return scalars.get(i) as Local
      f.get(ins[i]); at(); f.op('i32.add').mem(vector ? 'v128.load' : io.load)
      return s.pop()
    })
    const [v] = lowerExprs(s, dtype, [spec.prologue], args)
    return 'index' in v ? v : s.copy(v)
  }
  const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity
  const accType = wide ? 'f64x2' : V
  const vInit = (): Local => s.copy({ kind: accType, v: init })
  /** acc ⊕= v for vector accumulators (two f64x2 halves when widening). */
  const combine = (acc: readonly Local[], v: Local): void => {
    if (wide) {
      s.assign(acc[0], s.op('f64x2.add', acc[0], s.op('f64x2.promote_low_f32x4', v)))
      s.assign(acc[1], s.op('f64x2.add', acc[1], s.op('f64x2.promote_low_f32x4', s.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15], v, v))))
    } else {
      s.assign(acc[0], s.op(op === 'sum' ? `${V}.add` : op === 'max' ? `${V}.max` : `${V}.min`, acc[0], v))
    }
  }
  const nAcc = wide ? 2 : 1
  const epi = (v: Arg): Arg => lowerExprs(s, dtype, [epilogue], [v])[0]
  /** Vector accumulators → reduced values in the kernel dtype → epilogue. */
  const finish = (acc: readonly Local[]): Arg =>
    epi(wide
      ? s.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23], s.op('f32x4.demote_f64x2_zero', acc[0]), s.op('f32x4.demote_f64x2_zero', acc[1]))
      : acc[0])
  const size = io.size
  const o = f.local('i32'), base = f.local('i32'), at = f.local('i32'), end = f.local('i32'), blockEnd = f.local('i32')

  // ---- inner = 1: along the reduced axis ----
  f.get(inner).i32(1).op('i32.eq').if()
  f.i32(0).set(o)
  forLoop(f, o, () => f.get(outer), 1, () => {
    f.get(o).get(red).op('i32.mul').i32(size).op('i32.mul').set(base)
    const total = Array.from({ length: nAcc }, vInit)
    const block = Array.from({ length: nAcc }, vInit)
    const sType = wide || !f32 ? 'f64' : 'f32'
    const sAcc = f.local(sType)
    f[sType](init).set(sAcc)
    f.get(red).i32(-L).op('i32.and').i32(size).op('i32.mul').set(end)
    f.i32(0).set(at)
    const addr = (): void => { f.get(base).get(at).op('i32.add') }
    f.block().loop()
    f.get(at).get(end).op('i32.ge_u').brIf(1)
    // blockEnd = min(at + BLOCK·size, end)
    f.get(at).i32(BLOCK * size).op('i32.add').tee(blockEnd).get(end).get(blockEnd).get(end).op('i32.lt_u').op('select').set(blockEnd)
    // two vectors per step while they fit in the block, then one
    f.block().loop()
    f.get(at).i32(16).op('i32.add').get(blockEnd).op('i32.ge_u').brIf(1)
    const v0 = prologue(addr, true)
    const v1 = prologue(() => { addr(); f.i32(16).op('i32.add') }, true)
    combine(block, v0)
    combine(block, v1)
    f.get(at).i32(32).op('i32.add').set(at).br(0).end().end()
    forLoop(f, at, () => f.get(blockEnd), 16, () => combine(block, prologue(addr, true)))
    for (let i = 0; i < nAcc; i++) {
      s.assign(total[i], op === 'sum' ? s.op(`${accType}.add`, total[i], block[i]) : block[i])
      if (op === 'sum') s.assign(block[i], { kind: accType, v: 0 })
    }
    f.br(0).end().end()
    // tail, one element at a time, into the scalar accumulator
    f.get(red).i32(size).op('i32.mul').set(end)
    const sOp = (name: 'add' | 'max' | 'min'): void => { f.op(`${sType}.${name}`) }
    forLoop(f, at, () => f.get(end), size, () => {
      const v = prologue(addr, false)
      f.get(sAcc).get(v).lane(f32 ? 'f32x4.extract_lane' : 'f64x2.extract_lane', 0)
      if (wide) f.op('f64.promote_f32')
      sOp(op === 'sum' ? 'add' : op)
      f.set(sAcc)
    })
    // horizontal: fold the vector lanes into the scalar
    const vec = nAcc === 2 ? s.op('f64x2.add', total[0], total[1]) : total[0]
    const lanes = wide ? 2 : L
    for (let i = 0; i < lanes; i++) {
      f.get(sAcc).get(vec).lane(wide || !f32 ? 'f64x2.extract_lane' : 'f32x4.extract_lane', i)
      sOp(op === 'sum' ? 'add' : op)
      f.set(sAcc)
    }
    if (partial) {
      f.get(out).get(o).i32(outSize).op('i32.mul').op('i32.add').get(sAcc).mem(sType === 'f64' ? 'f64.store' : 'f32.store')
    } else {
      f.get(sAcc)
      if (wide) f.op('f32.demote_f64')
      f.op(f32 ? 'f32x4.splat' : 'f64x2.splat')
      const res = epi(s.pop())
      f.get(out).get(o).i32(size).op('i32.mul').op('i32.add')
      s.push(res)
      f.memLane(io.storeLane, 0)
    }
  })
  f.else()

  // ---- inner > 1: lanes along inner ----
  const j = f.local('i32'), r = f.local('i32'), rowBytes = f.local('i32')
  f.get(inner).i32(size).op('i32.mul').set(rowBytes)
  f.i32(0).set(o)
  forLoop(f, o, () => f.get(outer), 1, () => {
    f.get(o).get(red).op('i32.mul').get(inner).op('i32.mul').i32(size).op('i32.mul').set(base)
    f.i32(0).set(j)
    /** One pass over r for `count` vectors starting at column j. */
    const columns = (count: number, vector: boolean): void => {
      const accs = Array.from({ length: count }, () => Array.from({ length: nAcc }, vInit))
      f.get(base).get(j).i32(size).op('i32.mul').op('i32.add').set(at)
      f.i32(0).set(r)
      forLoop(f, r, () => f.get(red), 1, () => {
        for (let u = 0; u < count; u++) {
          const v = prologue(() => { f.get(at).i32(u * 16).op('i32.add') }, vector)
          combine(accs[u], v)
        }
        f.get(at).get(rowBytes).op('i32.add').set(at)
      })
      for (let u = 0; u < count; u++) {
        const dst = (): void => { f.get(out).get(o).get(inner).op('i32.mul').get(j).op('i32.add').i32(outSize).op('i32.mul').op('i32.add') }
        if (partial && wide) {
          // four float64 columns per f32x4 vector: two stores (one lane for a single column)
          if (vector) for (const h of [0, 1]) { dst(); f.get(accs[u][h]).mem('v128.store', u * 32 + h * 16) }
          else { dst(); f.get(accs[u][0]).memLane('v128.store64_lane', 0) }
          continue
        }
        const res = partial ? accs[u][0] : finish(accs[u])
        dst()
        s.push(res)
        if (vector) f.mem('v128.store', u * 16)
        else f.memLane(io.storeLane, 0)
      }
    }
    const step = (count: number, vector: boolean): void => {
      const width = vector ? count * L : 1
      f.block().loop()
      f.get(j).i32(width).op('i32.add').get(inner).op('i32.gt_u').brIf(1)
      columns(count, vector)
      f.get(j).i32(width).op('i32.add').set(j)
      f.br(0).end().end()
    }
    step(4, true)
    step(1, true)
    step(1, false)
  })
  f.end()
  return k.bytes()
}
