/**
 * Backend layer (wasm): large kernels split across the calling thread and worker threads
 * (Node's worker_threads) over one shared memory. Node only: `node:worker_threads` is looked up
 * when workers are created (`process.getBuiltinModule`, Node ≥ 20.16), not imported, so this
 * file can be part of a bundle that also runs where there are no worker threads.
 *
 *   const arena = new Arena({ shared: true })
 *   const pk = ParallelKernels.start(arena)               // workers boot in the background
 *   pk.elementwise(spec).run(n, ins, outs)                 // same interfaces as WasmKernels
 *   await pk.close()
 *
 * Starting: `start` returns at once; the first call large enough to split waits (Atomics.wait,
 * at most READY_WAIT_MS) until the workers run, so the first big call already has them. A
 * worker that is not running yet, or no longer, simply takes no work: nothing depends on it.
 *
 * A call is cut into units whose results do not depend on who runs them (element ranges of a
 * map, row blocks of C, output rows or reducechunks.ts' chunks of a reduction). The units'
 * arguments go to a control SharedArrayBuffer; the calling thread wakes the workers
 * (Atomics.notify), then every thread — the calling one included — claims units one at a time
 * with a compare-and-swap on a counter tagged with the call's number, until none is left; the
 * calling thread then waits (Atomics.wait) for the units others are still running. So a busy
 * second core costs nothing: if its worker does not wake, the calling thread runs every unit.
 * New modules reach the workers as messages they drain synchronously (receiveMessageOnPort)
 * before claiming, so a call never waits for an event loop.
 *
 * When the other cores are busy, a worker can be descheduled while it holds a unit, and the
 * calling thread then waits for the scheduler. A split that came late (the wait exceeded half
 * the calling thread's own share) makes the next calls run on one thread, a pause that doubles
 * up to MAX_BACKOFF calls while splits stay late: on a saturated machine the split costs a few
 * per cent at worst; on an idle one it is never late.
 *
 * Failures fall back to one thread with the one-thread result: a unit that throws on a worker
 * is run again here (if it throws here too, that is the error one thread gives); a worker that
 * exits or errors, or whose unit does not finish in STALL_MS (a dead thread), stops the pool
 * for good, and the unfinished units are run here.
 */
import type { MessagePort, Worker } from 'node:worker_threads'
import { Lru } from '../../core/lru'
import { cacheLimits } from '../cachelimits'
import type { Arena } from './arena'
import { type ElementwiseSpec, buildElementwise, elementwiseKey } from './elementwise'
import { type BinaryOp, type Expr, type UnaryOp, canonicalize } from './expr'
import { type ElementwiseKernel, type MatmulKernel, type ReduceKernel, type RowReduceKernel, type Run, WasmKernels, runRepeated } from './index'
import { type MatmulSpec, buildMatmul, matmulKey, matmulScratch } from './matmul'
import { type ReduceSpec, buildReduce, reduceKey } from './reduce'
import { reduceChunks } from './reducechunks'
import type { RowReduceSpec } from './rowreduce'
import type { WasmModule } from './webassembly'

// Control block (Int32Array). SEQ: the call number (workers sleep on it; −1 stops them);
// READY: workers running; CLAIM: (call tag << 8) | next unit; DONE: units finished; then the
// kernel id, unit count and arguments per unit; STATUS[u]: 0 pending, 1 done, 2 failed;
// STRIDES[i]: what argument i grows by between a unit's repetitions. A unit's block at ARGS is
// its repetition count (1, or the rows of a row run) and then its ARGC arguments.
const SEQ = 0, READY = 1, CLAIM = 2, DONE = 3, KERNEL = 4, UNITS = 5, ARGC = 6
const STATUS = 16, MAX_UNITS = 255, STRIDES = STATUS + MAX_UNITS + 1, MAX_ARGC = 256
const ARGS = STRIDES + MAX_ARGC, MAX_ARG_INTS = 4096
const TAG_MASK = 0x3fffff // call tags: 22 bits, so tag << 8 stays a positive int32

/** The first split call waits this long at most for the workers to start. */
export const READY_WAIT_MS = 3000
/** A unit a worker claimed and has not finished after this long (and 50× the calling
 *  thread's own share) means the worker is gone. */
export const STALL_MS = 10_000

/** Polls of SEQ a worker makes after a call before it sleeps (a few µs): a program's next
 *  kernel often follows at once, and a spin is cheaper than a futex wake (~5–50 µs). Short, as
 *  a spinning worker takes CPU time from everything else on a loaded machine. */
const SPIN = 4000
/** The longest pause (in split calls run on one thread) after late splits. */
const MAX_BACKOFF = 64

/** The worker's program (a fixed string: no generated or user text in it). */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const { memory, control, port } = workerData
const ctl = new Int32Array(control)
const runs = []
const host = { sin: Math.sin, cos: Math.cos }
Atomics.add(ctl, ${READY}, 1)
Atomics.notify(ctl, ${READY})
let seen = 0
for (;;) {
  let seq = Atomics.load(ctl, ${SEQ})
  for (let i = 0; seq === seen && i < ${SPIN}; i++) seq = Atomics.load(ctl, ${SEQ})
  if (seq === seen) { Atomics.wait(ctl, ${SEQ}, seen); seq = Atomics.load(ctl, ${SEQ}) }
  if (seq < 0) break
  seen = seq
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    runs[m.message.id] = new WebAssembly.Instance(m.message.module, { env: { memory }, host }).exports.run
  }
  const tag = (seq & ${TAG_MASK}) << 8
  for (;;) {
    const c = Atomics.load(ctl, ${CLAIM})
    if ((c & ~255) !== tag || (c & 255) >= ctl[${UNITS}]) break
    if (Atomics.compareExchange(ctl, ${CLAIM}, c, c + 1) !== c) continue
    const u = c & 255, argc = ctl[${ARGC}], at = ${ARGS} + u * (argc + 1), reps = ctl[at], args = []
    for (let i = 0; i < argc; i++) args.push(ctl[at + 1 + i])
    let status = 1
    try {
      const run = runs[ctl[${KERNEL}]]
      for (let r = 0; r < reps; r++) {
        run(...args)
        for (let i = 0; i < argc; i++) args[i] += ctl[${STRIDES} + i]
      }
    } catch (e) { status = 2 }
    Atomics.store(ctl, ${STATUS} + u, status)
    if (Atomics.add(ctl, ${DONE}, 1) + 1 === ctl[${UNITS}]) Atomics.notify(ctl, ${DONE})
  }
}
`

type WorkerThreads = typeof import('node:worker_threads')

/** Units that repeat their call: unit u runs `reps[u]` times, argument i growing by `strides[i]`. */
interface RowUnits {
  readonly reps: readonly number[]
  readonly strides: readonly number[]
}

/** node:worker_threads, or undefined where there is none (a browser, Node < 20.16). */
const workerThreads = (): WorkerThreads | undefined => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  return proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined
}

/** Work from which a call is split, per kernel kind. */
export interface SplitThresholds {
  /** Elements × `splitCost` of the expression, for an elementwise call. */
  readonly elementwise: number
  /** Elements reduced (outer·red·inner) × `splitCost` of the prologue. */
  readonly reduce: number
  /** Multiply-adds of a matmul (m·k·n). */
  readonly matmul: number
}

/** Relative cost of an operation per element (a SIMD add = 1): the transcendental functions
 *  are ~15× an add in our wasm code, a division or square root ~3×. */
const OP_COST: Partial<Record<UnaryOp | BinaryOp, number>> = {
  exp: 15, expm1: 15, log: 15, log1p: 15, tanh: 15, logistic: 15, sin: 15, cos: 15, pow: 30, div: 3, sqrt: 3, rsqrt: 3,
}

/** Per-element cost of a fused expression: its distinct operations (OP_COST, else 1) plus 3 per
 *  array streamed through memory. The split thresholds are in these units × elements. */
export const splitCost = (roots: readonly Expr[], arrays: number): number => {
  let c = 3 * arrays
  for (const n of canonicalize(roots).unique) {
    if (n._tag === 'unary' || n._tag === 'binary') c += OP_COST[n.op] ?? 1
    else if (n._tag !== 'input' && n._tag !== 'const') c += 1
  }
  return c
}

/**
 * Measured on 2 vCPUs (`npm run bench -- --threads`, the crossover table): below these a
 * split loses or gains little — waking a worker and the final wait cost ~20–60 µs, against
 * ~0.15 ns per unit of `splitCost` per element and ~0.04 ns per multiply-add. In elements:
 * an `add` of two arrays (cost 10) splits from 2.1·10⁵, a plain sum (cost 3) from 7·10⁵,
 * W2's gradient map (cost 48) from 4.4·10⁴, W1's reduction (cost 38) from 5.5·10⁴.
 */
export const DEFAULT_THRESHOLDS: SplitThresholds = { elementwise: 2 ** 21, reduce: 2 ** 21, matmul: 2 ** 23 }

export interface ParallelOptions {
  /** Helper workers besides the calling thread (default 1: two threads in all). */
  readonly workers?: number
  /** Split thresholds per kernel kind (default DEFAULT_THRESHOLDS). */
  readonly thresholds?: Partial<SplitThresholds>
  /** One threshold for every kind (tests: 1 splits every call). */
  readonly minWork?: number
  /** Back off after a late split (default true; false splits every call above the thresholds,
   *  for measuring the split itself). */
  readonly adaptive?: boolean
}

export class ParallelKernels {
  readonly wk: WasmKernels
  private readonly ctl: Int32Array
  private readonly workers: Worker[]
  private readonly ports: MessagePort[]
  /** The id each module has on the workers: bounded like the module cache, ids of evicted
   *  modules are reused (a worker's instance under a reused id is replaced by the new one). */
  private readonly ids = new Lru<WasmModule, number>(() => cacheLimits.wasmModules)
  private readonly freeIds: number[] = []
  private nextId = 0
  private seq = 0
  private waitedForStart = false
  private stopped = false
  private readonly thresholds: SplitThresholds
  private readonly adaptive: boolean
  /** Calls to run on this thread before splitting again, and the next such pause (doubling
   *  while splits keep coming late, up to MAX_BACKOFF). */
  private skip = 0
  private backoff = 1

  private constructor(readonly arena: Arena, workers: Worker[], ports: MessagePort[], ctl: Int32Array, opts: ParallelOptions) {
    this.wk = new WasmKernels(arena)
    this.workers = workers
    this.ports = ports
    this.ctl = ctl
    const all = opts.minWork
    this.adaptive = opts.adaptive ?? true
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...(all !== undefined ? { elementwise: all, reduce: all, matmul: all } : {}), ...opts.thresholds }
    for (const w of workers) {
      // a worker that stops (it crashed, or was terminated) stops the pool: the next calls run here
      w.once('error', () => this.stop())
      w.once('exit', () => this.stop())
    }
  }

  /** Starts the workers and returns at once (they boot in the background; the first split call
   *  waits for them). The arena must be shared. */
  static start(arena: Arena, opts: ParallelOptions = {}): ParallelKernels {
    if (!arena.shared) throw new TypeError('ParallelKernels needs an arena with a shared memory: new Arena({ shared: true })')
    const wt = workerThreads()
    if (wt === undefined) throw new TypeError('ParallelKernels needs node:worker_threads (Node ≥ 20.16)')
    const n = opts.workers ?? 1
    if (!Number.isInteger(n) || n < 0 || n > 63) throw new RangeError(`ParallelKernels: workers must be an integer from 0 to 63, got ${String(n)}`)
    const control = new SharedArrayBuffer(4 * (ARGS + MAX_ARG_INTS))
    const workers: Worker[] = [], ports: MessagePort[] = []
    for (let i = 0; i < n; i++) {
      const { port1, port2 } = new wt.MessageChannel()
      const worker = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { memory: arena.memory, control, port: port2 }, transferList: [port2] })
      worker.unref() // workers never keep the process alive
      port1.unref()
      workers.push(worker)
      ports.push(port1)
    }
    return new ParallelKernels(arena, workers, ports, new Int32Array(control), opts)
  }

  /** Starts the workers and resolves when they run. */
  static async create(arena: Arena, opts: ParallelOptions = {}): Promise<ParallelKernels> {
    const pk = ParallelKernels.start(arena, opts)
    await pk.ready()
    return pk
  }

  /** Resolves when every worker runs, or the pool has stopped (then `threads` is 1). Keeps the
   *  process alive while it waits. */
  async ready(): Promise<void> {
    for (const w of this.workers) w.ref()
    try {
      while (!this.stopped && Atomics.load(this.ctl, READY) < this.workers.length) await new Promise((r) => setTimeout(r, 2))
    } finally {
      for (const w of this.workers) w.unref()
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.stopped = true
    Atomics.store(this.ctl, SEQ, -1)
    Atomics.notify(this.ctl, SEQ)
    await Promise.all(this.workers.map((w) => w.terminate()))
    this.workers.length = 0
  }

  /** Threads that run units now: the calling thread and the running workers (1 once the pool
   *  has stopped). */
  get threads(): number {
    return this.stopped ? 1 : 1 + Math.min(this.workers.length, Atomics.load(this.ctl, READY))
  }

  /** Threads asked for (the calling thread and the workers started). */
  get threadsAsked(): number { return 1 + this.workers.length }

  /** Stops using the workers (a failure): later calls run on the calling thread. */
  private stop(): void {
    if (this.stopped) return
    this.stopped = true
    Atomics.store(this.ctl, SEQ, -1)
    Atomics.notify(this.ctl, SEQ)
    for (const w of this.workers) void w.terminate().catch(() => undefined)
  }

  /** Whether a call may be split: the pool runs, and — on the first split call — the workers
   *  have started (waited for, at most READY_WAIT_MS). */
  private usable(): boolean {
    if (this.stopped || this.workers.length === 0) return false
    if (!this.waitedForStart) {
      this.waitedForStart = true
      const until = performance.now() + READY_WAIT_MS
      for (let r = Atomics.load(this.ctl, READY); r < this.workers.length; r = Atomics.load(this.ctl, READY)) {
        const left = until - performance.now()
        if (left <= 0) break
        Atomics.wait(this.ctl, READY, r, left)
      }
    }
    return true
  }

  private id(module: WasmModule): number {
    let id = this.ids.get(module)
    if (id === undefined) {
      for (const [, old] of this.ids.set(module, -1)) this.freeIds.push(old)
      id = this.freeIds.pop() ?? this.nextId++
      this.ids.set(module, id)
      for (const p of this.ports) p.postMessage({ id, module })
    }
    return id
  }

  /**
   * Runs `run(...units[u])` for every unit, on this thread and the workers; returns when all
   * are done. With `rows`, unit u is `rows.reps[u]` calls, the arguments growing by
   * `rows.strides` after each (runRepeated). Units must write disjoint memory and not depend on
   * each other's results (then running one twice, after a failure, gives the same bits).
   */
  private fork(module: WasmModule, run: Run, units: readonly (readonly number[])[], rows?: RowUnits): void {
    const n = units.length, argc = n > 0 ? units[0].length : 0
    const runUnit = (u: number): void => {
      if (rows === undefined) run(...units[u])
      else runRepeated(run, rows.reps[u], [...units[u]], rows.strides)
    }
    if (n <= 1 || n > MAX_UNITS || argc > MAX_ARGC || n * (argc + 1) > MAX_ARG_INTS || !this.usable() || this.skip > 0) {
      if (n > 1 && this.skip > 0) this.skip--
      for (let u = 0; u < n; u++) runUnit(u)
      return
    }
    const ctl = this.ctl
    ctl[KERNEL] = this.id(module)
    ctl[UNITS] = n
    ctl[ARGC] = argc
    for (let i = 0; i < argc; i++) ctl[STRIDES + i] = rows === undefined ? 0 : rows.strides[i]
    units.forEach((a, u) => {
      ctl[STATUS + u] = 0
      const at = ARGS + u * (argc + 1)
      ctl[at] = rows === undefined ? 1 : rows.reps[u]
      for (let i = 0; i < argc; i++) ctl[at + 1 + i] = a[i]
    })
    Atomics.store(ctl, DONE, 0)
    this.seq = (this.seq % TAG_MASK) + 1
    const tag = this.seq << 8
    Atomics.store(ctl, CLAIM, tag)
    Atomics.store(ctl, SEQ, this.seq)
    Atomics.notify(ctl, SEQ)
    const t0 = performance.now()
    let error: unknown = null
    for (;;) {
      const c = Atomics.load(ctl, CLAIM)
      if ((c & 255) >= n) break
      if (Atomics.compareExchange(ctl, CLAIM, c, c + 1) !== c) continue
      const u = c & 255
      try {
        runUnit(u)
        ctl[STATUS + u] = 1
      } catch (e) {
        // stop handing out units, wait for the claimed ones, then report
        error = e
        const last = Atomics.exchange(ctl, CLAIM, tag | 255) & 255
        Atomics.add(ctl, DONE, 1 + n - Math.min(last, n))
        break
      }
      Atomics.add(ctl, DONE, 1)
    }
    const mine = performance.now() - t0
    this.await(n, mine)
    // Late: the calling thread waited more than half its own share for the workers — a worker
    // was descheduled holding a unit (the other core is busy). Then the next calls run here, a
    // pause that doubles while splits stay late, so a loaded machine pays for a split rarely.
    if (this.adaptive && performance.now() - t0 - mine > 0.5 * mine + 0.02) {
      this.skip = this.backoff
      this.backoff = Math.min(MAX_BACKOFF, 2 * this.backoff)
    } else {
      this.backoff = 1
    }
    if (error !== null) throw error
    // a unit that failed on a worker runs again here: its error, if any, is the one-thread error
    for (let u = 0; u < n; u++) {
      if (Atomics.load(ctl, STATUS + u) === 1) continue
      runUnit(u)
      this.stop() // it ran here, so the worker failed: one thread from now on
    }
  }

  /** Waits until `n` units are done; a unit not done after STALL_MS (and 50× `ownMs`, the
   *  calling thread's share) stops the pool (fork then runs it here). */
  private await(n: number, ownMs: number): void {
    const ctl = this.ctl
    const until = performance.now() + Math.max(STALL_MS, 50 * ownMs)
    for (let d = Atomics.load(ctl, DONE); d < n; d = Atomics.load(ctl, DONE)) {
      const left = until - performance.now()
      if (left <= 0) { this.stop(); return }
      Atomics.wait(ctl, DONE, d, left)
    }
  }

  /** [lo, hi) ranges covering [0, n), `count` of them (as even as `align` allows). */
  private static ranges(n: number, count: number, align: number): [number, number][] {
    const cuts = Array.from({ length: count + 1 }, (_, i) => (i === count ? n : Math.min(n, Math.round((n * i) / count / align) * align)))
    return cuts.slice(0, count).map((c, i): [number, number] => [c, cuts[i + 1]]).filter(([lo, hi]) => hi > lo)
  }

  /** Units for `work`: a few per thread, so that a late or busy thread costs little, and a
   *  multiple of the threads once there are more units than threads (3 units on 2 threads
   *  leave one thread running 2 of them: 1.5× at best, where 2 or 4 units give 2×). */
  private unitCount(work: number, threshold: number, max: number): number {
    const t = this.threadsAsked
    const c = Math.max(1, Math.floor(Math.min(4 * t, max, (2 * work) / threshold)))
    return c > t ? c - (c % t) : c
  }

  elementwise(spec: ElementwiseSpec): ElementwiseKernel {
    const b = this.wk.bound(elementwiseKey(spec), (o) => buildElementwise(spec, o))
    const size = spec.dtype === 'float32' ? 4 : 8
    const single = this.wk.elementwise(spec)
    const cost = splitCost(spec.outputs, spec.inputs.filter((k) => k === 'array').length + spec.outputs.length)
    return {
      spec,
      run: (n, inputs, outputs) => {
        if (n * cost < this.thresholds.elementwise || this.stopped) { single.run(n, inputs, outputs); return }
        const units = ParallelKernels.ranges(n, this.unitCount(n * cost, this.thresholds.elementwise, n / 4), 4).map(([lo, hi]) => [
          hi - lo,
          ...inputs.map((p, i) => (spec.inputs[i] === 'array' ? p + lo * size : p)),
          ...outputs.map((p) => p + lo * size),
        ])
        this.fork(b.module, b.run, units)
      },
      runRows: (rows, n, inputs, inputStrides, outputs, outputStrides) => {
        const work = rows * n * cost
        if (work < this.thresholds.elementwise || rows < 2 || this.stopped) {
          single.runRows(rows, n, inputs, inputStrides, outputs, outputStrides)
          return
        }
        // row ranges: every row is still one call of the kernel, as on one thread
        const ranges = ParallelKernels.ranges(rows, this.unitCount(work, this.thresholds.elementwise, rows), 1)
        const strides = [0, ...inputStrides, ...outputStrides]
        const units = ranges.map(([lo]) => [n, ...inputs.map((p, i) => p + lo * inputStrides[i]), ...outputs.map((p, j) => p + lo * outputStrides[j])])
        this.fork(b.module, b.run, units, { reps: ranges.map(([lo, hi]) => hi - lo), strides })
      },
    }
  }

  reduce(spec: ReduceSpec): ReduceKernel {
    const size = spec.dtype === 'float32' ? 4 : 8
    const full = this.wk.bound(reduceKey(spec), (o) => buildReduce(spec, o))
    const single = this.wk.reduce(spec)
    const cost = splitCost([spec.prologue], spec.inputs.filter((k) => k === 'array').length)
    return {
      spec,
      run: (outer, red, inner, inputs, out) => {
        const work = outer * red * inner * cost
        if (work < this.thresholds.reduce || this.stopped) { single.run(outer, red, inner, inputs, out); return }
        if (reduceChunks(red, inner).count > 1) {
          // the chunks of reducechunks.ts, shared out; combined in chunk order as on one thread
          this.wk.reduceChunked(spec, outer, red, inner, inputs, out, (part, calls, module) => this.fork(module, part, calls))
          return
        }
        // small slabs: whole output rows per unit (each row's arithmetic is the one-thread one)
        const units = ParallelKernels.ranges(outer, this.unitCount(work, this.thresholds.reduce, outer), 1).map(([lo, hi]) => [
          hi - lo, red, inner, ...inputs.map((p, i) => (spec.inputs[i] === 'array' ? p + lo * red * inner * size : p)), out + lo * inner * size,
        ])
        this.fork(full.module, full.run, units)
      },
    }
  }

  /** Row reductions run on this thread (the sizes they serve are a fraction of a split's cost). */
  rowReduce(spec: RowReduceSpec): RowReduceKernel {
    return this.wk.rowReduce(spec)
  }

  matmul(spec: MatmulSpec): MatmulKernel {
    const b = this.wk.bound(matmulKey(spec), (o) => buildMatmul(spec, o))
    const size = spec.dtype === 'float32' ? 4 : 8
    const single = this.wk.matmul(spec)
    const strided = (m: number, k: number, n: number, a: number, lda: number, bp: number, ldb: number, c: number, ldc: number): void => {
      const work = m * k * n
      if (work < this.thresholds.matmul || m < 16 || this.stopped) {
        single.runStrided(m, k, n, a, lda, bp, ldb, c, ldc)
        return
      }
      // row blocks of C; each unit packs its own panel of B (k·n copies against m·k·n/units
      // multiply-adds), so units are fewer than for maps
      const count = Math.min(2 * this.threadsAsked, Math.floor(m / 8))
      const scratchElems = matmulScratch(spec, k, n)
      const scratch = this.arena.alloc(count * scratchElems * size)
      try {
        const units = ParallelKernels.ranges(m, count, 1).map(([lo, hi], i) => [
          hi - lo, k, n, a + lo * (spec.transA ? 1 : lda) * size, lda, bp, ldb, c + lo * ldc * size, ldc, scratch + i * scratchElems * size,
        ])
        this.fork(b.module, b.run, units)
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
