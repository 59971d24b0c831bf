/**
 * Backend layer (wasm): large kernels split across the calling thread and worker threads
 * (Node's worker_threads) over one shared memory. Node only: `node:worker_threads` is looked up
 * when workers are created (`process.getBuiltinModule`, Node ≥ 20.16), not imported, so this
 * file can be part of a bundle that also runs where there are no worker threads.
 *
 *   const arena = new Arena({ shared: true })
 *   const pk = await ParallelKernels.create(arena)        // one helper worker by default
 *   pk.elementwise(spec).run(n, ins, outs)                 // same interfaces as WasmKernels
 *   await pk.close()
 *
 * Each worker instantiates the same compiled modules on the same memory. A call writes the
 * worker's share (kernel id and i32 arguments) into a small SharedArrayBuffer, wakes it with
 * Atomics.notify, runs its own share, then waits (Atomics.wait) for the worker's done count.
 * New modules reach a worker as messages it drains synchronously (receiveMessageOnPort)
 * before running, so a call never waits for the event loop.
 *
 * Splits: elementwise by element ranges; reductions by `outer`, or — a single reduction, as
 * BENCH W1 — by halves of the reduced axis with partial float64 sums combined here (then the
 * epilogue runs as a one-element elementwise kernel); matmul by row blocks of C. Calls below
 * `minWork` (elements, or multiply-adds for matmul) run on the calling thread alone.
 */
import type { MessagePort, Worker } from 'node:worker_threads'
import { Lru } from '../../core/lru'
import { cacheLimits } from '../cachelimits'
import type { Arena } from './arena'
import { type ElementwiseSpec, buildElementwise, elementwiseKey } from './elementwise'
import { type ElementwiseKernel, type MatmulKernel, type ReduceKernel, type Run, WasmKernels } from './index'
import { type MatmulSpec, buildMatmul, matmulKey, matmulScratch } from './matmul'
import { type ReduceSpec, buildReduce, reduceKey } from './reduce'
import type { WasmModule } from './webassembly'

// control block (Int32Array): the command count, the done count, kernel id, argc, status, args
const SEQ = 0, DONE = 1, KERNEL = 2, ARGC = 3, STATUS = 4, ARGS = 8, MAX_ARGS = 56

/** The worker's program (a fixed string: no generated or user text in it). */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const { memory, control, port } = workerData
const ctl = new Int32Array(control)
const runs = []
const host = { sin: Math.sin, cos: Math.cos }
let seen = 0
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen)
  const seq = Atomics.load(ctl, ${SEQ})
  if (seq < 0) break
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    runs[m.message.id] = new WebAssembly.Instance(m.message.module, { env: { memory }, host }).exports.run
  }
  const args = []
  for (let i = 0; i < ctl[${ARGC}]; i++) args.push(ctl[${ARGS} + i])
  try { runs[ctl[${KERNEL}]](...args); ctl[${STATUS}] = 0 } catch (e) { ctl[${STATUS}] = 1 }
  seen = seq
  Atomics.store(ctl, ${DONE}, seq)
  Atomics.notify(ctl, ${DONE})
}
`

type WorkerThreads = typeof import('node:worker_threads')

/** node:worker_threads, or undefined where there is none (a browser, Node < 20.16). */
const workerThreads = (): WorkerThreads | undefined => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  return proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined
}

interface Helper { readonly worker: Worker; readonly ctl: Int32Array; readonly port: MessagePort; seq: number }

export interface ParallelOptions {
  /** Helper workers besides the calling thread (default 1: two threads in all). */
  readonly workers?: number
  /** Work below which a call stays on the calling thread (default 2¹⁶). */
  readonly minWork?: number
  /** Split a reduction with fewer output rows than threads along its reduced axis (default
   *  true). The combined partial sums can differ from one thread's in the last bits; with
   *  false every result is bitwise the single-threaded one. */
  readonly splitReduced?: boolean
}

export class ParallelKernels {
  readonly wk: WasmKernels
  private readonly helpers: Helper[]
  /** The id each module has on the workers: bounded like the module cache, ids of evicted
   *  modules are reused (a worker's instance under a reused id is replaced by the new one). */
  private readonly ids = new Lru<WasmModule, number>(() => cacheLimits.wasmModules)
  private readonly freeIds: number[] = []
  private nextId = 0
  private readonly minWork: number
  private readonly splitReducedAxis: boolean

  private constructor(readonly arena: Arena, helpers: Helper[], opts: ParallelOptions) {
    this.wk = new WasmKernels(arena)
    this.helpers = helpers
    this.minWork = opts.minWork ?? 2 ** 16
    this.splitReducedAxis = opts.splitReduced ?? true
  }

  /** Starts the workers (and waits until they run). The arena must be shared. */
  static async create(arena: Arena, opts: ParallelOptions = {}): Promise<ParallelKernels> {
    if (!arena.shared) throw new TypeError('ParallelKernels needs an arena with a shared memory: new Arena({ shared: true })')
    const wt = workerThreads()
    if (wt === undefined) throw new TypeError('ParallelKernels needs node:worker_threads (Node ≥ 20.16)')
    const helpers: Helper[] = []
    for (let i = 0; i < (opts.workers ?? 1); i++) {
      const control = new SharedArrayBuffer(4 * (ARGS + MAX_ARGS))
      const { port1, port2 } = new wt.MessageChannel()
      const worker = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { memory: arena.memory, control, port: port2 }, transferList: [port2] })
      await new Promise<void>((resolve, reject) => { worker.once('online', resolve); worker.once('error', reject) })
      worker.unref() // idle workers do not keep the process alive
      port1.unref()
      helpers.push({ worker, ctl: new Int32Array(control), port: port1, seq: 0 })
    }
    return new ParallelKernels(arena, helpers, opts)
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    for (const h of this.helpers) {
      Atomics.store(h.ctl, SEQ, -1)
      Atomics.notify(h.ctl, SEQ)
      await h.worker.terminate()
    }
    this.helpers.length = 0
  }

  get threads(): number { return this.helpers.length + 1 }

  private id(module: WasmModule): number {
    let id = this.ids.get(module)
    if (id === undefined) {
      for (const [, old] of this.ids.set(module, -1)) this.freeIds.push(old)
      id = this.freeIds.pop() ?? this.nextId++
      this.ids.set(module, id)
      for (const h of this.helpers) h.port.postMessage({ id, module })
    }
    return id
  }

  /** Runs `mine` here and each worker's argument list on its helper; returns when all are done. */
  private fork(module: WasmModule, mine: () => void, theirs: readonly (readonly number[])[]): void {
    const id = this.id(module)
    theirs.forEach((args, i) => {
      const h = this.helpers[i]
      if (args.length > MAX_ARGS) throw new RangeError(`ParallelKernels: ${args.length} kernel arguments (at most ${MAX_ARGS})`)
      h.ctl[KERNEL] = id
      h.ctl[ARGC] = args.length
      args.forEach((v, j) => (h.ctl[ARGS + j] = v))
      h.seq++
      Atomics.store(h.ctl, SEQ, h.seq)
      Atomics.notify(h.ctl, SEQ)
    })
    try {
      mine()
    } finally {
      theirs.forEach((_, i) => {
        const h = this.helpers[i]
        while (Atomics.load(h.ctl, DONE) !== h.seq) Atomics.wait(h.ctl, DONE, h.seq - 1)
      })
    }
    theirs.forEach((_, i) => {
      if (this.helpers[i].ctl[STATUS] !== 0) throw new Error('ParallelKernels: a worker\'s share of the kernel failed')
    })
  }

  /** Splits [0, n) into `threads` ranges whose starts are multiples of `align`. */
  private ranges(n: number, align: number): [number, number][] {
    const t = this.threads
    const cuts = Array.from({ length: t + 1 }, (_, i) => (i === t ? n : Math.min(n, Math.round((n * i) / t / align) * align)))
    return cuts.slice(0, t).map((c, i) => [c, cuts[i + 1]])
  }

  elementwise(spec: ElementwiseSpec): ElementwiseKernel {
    const b = this.wk.bound(elementwiseKey(spec), (o) => buildElementwise(spec, o))
    const size = spec.dtype === 'float32' ? 4 : 8
    const single = this.wk.elementwise(spec)
    return {
      spec,
      run: (n, inputs, outputs) => {
        if (n < this.minWork || this.helpers.length === 0) { single.run(n, inputs, outputs); return }
        const parts = this.ranges(n, 4).map(([lo, hi]) => [
          hi - lo,
          ...inputs.map((p, i) => (spec.inputs[i] === 'array' ? p + lo * size : p)),
          ...outputs.map((p) => p + lo * size),
        ])
        this.fork(b.module, () => b.run(...parts[0]), parts.slice(1))
      },
    }
  }

  reduce(spec: ReduceSpec): ReduceKernel {
    const size = spec.dtype === 'float32' ? 4 : 8
    const full = this.wk.bound(reduceKey(spec), (o) => buildReduce(spec, o))
    const pspec: ReduceSpec = { ...spec, partial: true, epilogue: undefined }
    const part = this.wk.bound(reduceKey(pspec), (o) => buildReduce(pspec, o))
    const epilogue = spec.epilogue ? this.wk.elementwise({ dtype: spec.dtype, inputs: ['array'], outputs: [spec.epilogue] }) : null
    const offset = (inputs: readonly number[], elems: number): number[] =>
      inputs.map((p, i) => (spec.inputs[i] === 'array' ? p + elems * size : p))
    return {
      spec,
      run: (outer, red, inner, inputs, out) => {
        const work = outer * red * inner
        if (work < this.minWork || this.helpers.length === 0) { full.run(outer, red, inner, ...inputs, out); return }
        if (outer >= this.threads) {
          const parts = this.ranges(outer, 1).map(([lo, hi]) => [hi - lo, red, inner, ...offset(inputs, lo * red * inner), out + lo * inner * size])
          this.fork(full.module, () => full.run(...parts[0]), parts.slice(1))
          return
        }
        if (!this.splitReducedAxis) { full.run(outer, red, inner, ...inputs, out); return }
        this.splitReduced(part, spec, outer, red, inner, inputs, out, offset)
        if (epilogue) epilogue.run(outer * inner, [out], [out])
      },
    }
  }

  /** One reduction split along its reduced axis: partial accumulators, combined here. */
  private splitReduced(part: { module: WasmModule; run: Run }, spec: ReduceSpec, outer: number, red: number, inner: number,
    inputs: readonly number[], out: number, offset: (inputs: readonly number[], elems: number) => number[]): void {
    const t = this.threads
    const accSize = spec.op === 'sum' || spec.dtype === 'float64' ? 8 : 4
    const m = outer * inner
    const tmp = this.arena.alloc(t * m * accSize)
    try {
      // each thread takes a range of r; one call per outer slice (outer < threads here)
      const parts = this.ranges(red, 1).map(([lo, hi], i) => ({ lo, hi, i }))
      const call = (p: { lo: number; hi: number; i: number }, o: number): number[] =>
        [1, p.hi - p.lo, inner, ...offset(inputs, (o * red + p.lo) * inner), tmp + (p.i * m + o * inner) * accSize]
      for (let o = 0; o < outer; o++) {
        this.fork(part.module, () => part.run(...call(parts[0], o)), parts.slice(1).map((p) => call(p, o)))
      }
      const acc = accSize === 8 ? this.arena.f64(tmp, t * m) : this.arena.f32(tmp, t * m)
      const dst = spec.dtype === 'float32' ? this.arena.f32(out, m) : this.arena.f64(out, m)
      const combine = spec.op === 'sum'
        ? (a: number, b: number) => a + b
        : (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : spec.op === 'max' ? (b > a ? b : a) : (b < a ? b : a))
      for (let j = 0; j < m; j++) {
        let v = acc[j]
        for (let i = 1; i < t; i++) v = combine(v, acc[i * m + j])
        dst[j] = v // a Float32Array store rounds once
      }
    } finally {
      this.arena.free(tmp)
    }
  }

  matmul(spec: MatmulSpec): MatmulKernel {
    const b = this.wk.bound(matmulKey(spec), (o) => buildMatmul(spec, o))
    const size = spec.dtype === 'float32' ? 4 : 8
    const single = this.wk.matmul(spec)
    const strided = (m: number, k: number, n: number, a: number, lda: number, bp: number, ldb: number, c: number, ldc: number): void => {
      if (m * k * n < this.minWork * 16 || m < this.threads || this.helpers.length === 0) {
        single.runStrided(m, k, n, a, lda, bp, ldb, c, ldc)
        return
      }
      const scratchElems = matmulScratch(spec, k, n) // each thread packs its own panels (and Bᵀ)
      const scratch = this.arena.alloc(this.threads * scratchElems * size)
      try {
        const parts = this.ranges(m, 1).map(([lo, hi], i) => [
          hi - lo, k, n, a + lo * (spec.transA ? 1 : lda) * size, lda, bp, ldb, c + lo * ldc * size, ldc, scratch + i * scratchElems * size,
        ])
        this.fork(b.module, () => b.run(...parts[0]), parts.slice(1))
      } finally {
        this.arena.free(scratch)
      }
    }
    return {
      spec,
      run: (m, k, n, a, bp, c) => strided(m, k, n, a, spec.transA ? m : k, bp, spec.transB ? k : n, c, n),
      runStrided: strided,
    }
  }
}
