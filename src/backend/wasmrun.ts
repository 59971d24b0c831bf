/**
 * Backend: running a `WasmPlan` as a kernel function over the program's typed arrays.
 *
 * The program's buffers are ordinary typed arrays, so a call stages them through one
 * process-wide arena: each input is copied in (a memcpy, ~0.1 ms per 4 MB, against several
 * milliseconds of work that the wasm kernel saves on the sizes that reach it), the kernel runs,
 * the outputs are copied out, and the arena space is returned. Views of the arena's memory are
 * taken after the allocations of a call (growing the memory detaches older views). The
 * arena and kernels come from `wasmengine.ts` (one thread, or several sharing the arena).
 */
import type { TypedArray } from '../ir/dtypes'
import { type KernelFn, stats } from './compile'
import type { WasmPlan } from './wasmlower'
import { type Arena, MemoryRefusedError, buildElementwise, ex, wasm } from './wasm'
import { type Engine, announceJsFallback, usableEngine, wasmMemoryUsable } from './wasmengine'
import { beginStagedCall, stageKept, stagedAt } from './wasmstaged'

/** The kernel `make` builds on engine `e`, rebuilt when the engine changes. Held weakly by the
 *  engine, so that a replaced engine's memory is not kept alive by the kernels built on it. */
const onEngine = <K extends object>(make: (e: Engine) => K): ((e: Engine) => K) => {
  const built = new WeakMap<Engine, K>()
  return (e) => {
    let k = built.get(e)
    if (k === undefined) built.set(e, (k = make(e)))
    return k
  }
}

/** Whether this runtime runs WebAssembly with SIMD: a one-op kernel must validate and compile.
 *  Validating alone is not enough: a page's Content-Security-Policy without 'wasm-unsafe-eval'
 *  (or 'unsafe-eval') accepts `validate` and refuses to compile. Checked once (a refused compile
 *  costs the page one CSP report). */
let available: boolean | null = null
const wasmValidates = (): boolean => {
  if (available === null) {
    try {
      const probe = buildElementwise({ dtype: 'float32', inputs: ['array'], outputs: [ex.neg(ex.input(0))] })
      available = typeof wasm !== 'undefined' && wasm.validate(probe) && new wasm.Module(probe) !== undefined
    } catch {
      available = false
    }
  }
  return available
}

/** Forget the probe's answer (tests simulate other runtimes). */
export const forgetWasmProbe = (): void => {
  available = null
}

/** Whether the WebAssembly kernels can run: SIMD validates and compiles, and a memory can be created. */
export const wasmAvailable = (): boolean => wasmValidates() && wasmMemoryUsable()

const SIZE = { float32: 4, float64: 8 } as const

/**
 * One call's arena space: everything taken is given back when the call ends. Taking can fail
 * (the memory cannot grow: past 4 GiB, or 1 GiB when shared with worker threads) — always
 * before the kernel has written anything, so the call can still run in generated JS.
 */
class Staging {
  private readonly held: number[] = []
  constructor(readonly arena: Arena) {
    beginStagedCall()
  }

  take(bytes: number): number {
    const ptr = this.arena.alloc(bytes)
    this.held.push(ptr)
    return ptr
  }

  /** Copies `a` in (unless its unchanged bytes are kept there from an earlier call: see
   *  wasmstaged.ts); returns its byte offset. */
  put(a: TypedArray): number {
    const kept = stagedAt(this.arena, a)
    if (kept !== null) {
      stats.arenaBytesKept += a.byteLength
      return kept
    }
    const staged = stageKept(this.arena, a)
    if (staged !== null) {
      stats.arenaBytesIn += a.byteLength
      return staged
    }
    const ptr = this.arena.put(a as Float32Array | Float64Array) // (wasm kernels take float operands only)
    this.held.push(ptr)
    stats.arenaBytesIn += a.byteLength
    return ptr
  }

  /** Copies the arena's elements at `ptr` into `out` (all of it, or `n` elements from `at` on). */
  get(ptr: number, out: TypedArray, at = 0, n = out.length - at): void {
    stats.arenaBytesOut += n * out.BYTES_PER_ELEMENT
    out.set(new (out.constructor as Float64ArrayConstructor)(this.arena.memory.buffer, ptr, n) as never, at)
  }

  release(): void {
    for (let i = this.held.length - 1; i >= 0; i--) this.arena.free(this.held[i])
    this.held.length = 0
  }
}

/** Body of a call on engine `e`: stage, then `run()` the kernel (after which nothing may fall back). */
type Call = (e: Engine, st: Staging, bufs: readonly TypedArray[], started: () => void) => void

/**
 * The kernel function of a plan: (inputs…, outputs…) as the generated JS kernels take.
 * `fallback` gives the generated-JS kernel of the same computation, for a call whose operands
 * do not fit in the arena, or when the engine refuses memory (announced once).
 */
export const wasmKernelFn = (p: WasmPlan, nIn: number, fallback: () => KernelFn): KernelFn => {
  const call = planCall(p, nIn)
  return (...bufs: TypedArray[]) => {
    const e = usableEngine()
    if (e === null) return fallback()(...bufs)
    const st = new Staging(e.arena)
    let running = false
    try {
      call(e, st, bufs, () => (running = true))
      stats.wasmKernelCalls++
    } catch (err) {
      if (running || !(err instanceof RangeError)) throw err
      if (err instanceof MemoryRefusedError) announceJsFallback('WebAssembly memory could not grow for a call')
      st.release()
      fallback()(...bufs)
    } finally {
      st.release()
    }
  }
}

const planCall = (p: WasmPlan, nIn: number): Call => {
  const size = SIZE[p.dtype]
  if (p.kind === 'matmul') {
    const mm = onEngine((e) => e.matmul({ dtype: p.dtype, transA: p.transA, transB: p.transB }))
    return (e, st, [a, b, c], started) => {
      const k = mm(e)
      const pa = st.put(a)
      const pb = st.put(b)
      const pc = st.take(c.byteLength)
      for (let i = 0; i < p.B; i++) {
        const ai = pa + (p.a.off + i * p.a.sb) * size
        const bi = pb + (p.b.off + i * p.b.sb) * size
        // the kernel borrows its packing scratch from the arena first: only then it writes
        k.runStrided(p.M, p.K, p.N, ai, p.a.ld, bi, p.b.ld, pc + i * p.M * p.N * size, p.N)
        started()
      }
      st.get(pc, c)
    }
  }
  const ptrs = new Array<number>(p.ins.length)
  const staged = new Array<number>(nIn)
  // input −1 (a row reduction's reduced value) is not read from memory
  const used = [...new Set(p.ins.map((i) => i.input))].filter((i) => i >= 0)
  const stageInputs = (st: Staging, bufs: readonly TypedArray[]): void => {
    for (const i of used) staged[i] = st.put(bufs[i])
    for (let j = 0; j < ptrs.length; j++) ptrs[j] = p.ins[j].input < 0 ? 0 : staged[p.ins[j].input] + p.ins[j].off * size
  }
  if (p.kind === 'map') {
    const kern = onEngine((e) => e.elementwise({ dtype: p.dtype, inputs: p.ins.map((i) => i.kind), outputs: p.outs }))
    const outPtrs = new Array<number>(p.outs.length)
    // byte strides between rows: an input's own, and the outputs' rows packed
    const inStrides = p.ins.map((i) => i.rowStride * size)
    const outStrides = p.outs.map(() => p.n * size)
    return (e, st, bufs, started) => {
      const k = kern(e)
      stageInputs(st, bufs)
      for (let j = 0; j < outPtrs.length; j++) outPtrs[j] = st.take(p.rows * p.n * size)
      started()
      if (p.rows === 1) k.run(p.n, ptrs, outPtrs)
      else k.runRows(p.rows, p.n, ptrs, inStrides, outPtrs, outStrides)
      for (let j = 0; j < outPtrs.length; j++) {
        const out = bufs[nIn + p.outOf[j]]
        const { off, rowStride } = p.at[j]
        if (off === 0 && rowStride === p.n && out.length === p.rows * p.n) st.get(outPtrs[j], out)
        else for (let r = 0; r < p.rows; r++) st.get(outPtrs[j] + r * p.n * size, out, off + r * rowStride, p.n)
      }
    }
  }
  if (p.kind === 'rowreduce') {
    const kern = onEngine((e) => e.rowReduce({ dtype: p.dtype, inputs: p.kinds, factors: p.factors, outputs: p.outs }))
    const outPtrs = new Array<number>(p.outs.length)
    return (e, st, bufs, started) => {
      const k = kern(e)
      stageInputs(st, bufs)
      const pa = st.take(p.rows * size)
      for (let j = 0; j < outPtrs.length; j++) outPtrs[j] = st.take(p.rows * p.n * size)
      started()
      k.run(p.rows, p.n, ptrs, pa, outPtrs)
      st.get(pa, bufs[nIn + p.acc], 0, p.rows)
      for (let j = 0; j < outPtrs.length; j++) st.get(outPtrs[j], bufs[nIn + p.outOf[j]], 0, p.rows * p.n)
    }
  }
  const kern = onEngine((e) => e.reduce({ dtype: p.dtype, op: p.op, inputs: p.ins.map((i) => i.kind), prologue: p.prologue }))
  return (e, st, bufs, started) => {
    const k = kern(e)
    stageInputs(st, bufs)
    const po = st.take(p.outer * p.inner * size)
    started()
    k.run(p.outer, p.red, p.inner, ptrs, po)
    st.get(po, bufs[nIn])
  }
}
