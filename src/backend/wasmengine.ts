/**
 * Backend: where the wasm kernels run — one process-wide arena, the kernels compiled on it,
 * and, when asked for, worker threads that share it.
 *
 * Threads are opt-in (LEIBNIZ_THREADS=n, or `setThreads(n)`, n ≥ 2): measured on 2-core
 * machines, a second thread makes large maps, reductions and matmuls up to ~1.6–1.9× faster
 * when a core is idle, and costs nothing measurable when the other core is busy (the calling
 * thread takes the units a busy worker does not claim) — docs/performance.md. The workers start
 * when the engine is made (at `setThreads`, or the first kernel call under LEIBNIZ_THREADS), and
 * the first call large enough to split waits for them, so it already runs threaded. Every split
 * is bitwise the single-threaded result (maps and matmuls split rows; reductions split output
 * rows, or the fixed chunks of reducechunks.ts that one thread runs too). Threads need
 * `node:worker_threads` and a shared memory (at most 1 GiB); elsewhere, or if the workers fail,
 * everything stays on one thread.
 *
 * Memory the engine refuses: where a `WebAssembly.Memory` cannot be created (an address-space
 * limit such as `ulimit -v`: each memory reserves several GiB of address space) every kernel
 * runs its generated-JS form; where the memory cannot grow for a call, that call does. Either is
 * announced once with a console warning; the results are the JS kernels', which the wasm
 * kernels equal (bitwise or within their documented bounds).
 *
 * Giving memory back: WebAssembly memories never shrink, so an arena that grew past
 * `setArenaRetainBytes` (64 MiB by default) is dropped once no call has needed that much for a
 * second, and the next call starts a fresh one (kernels re-instantiate their compiled modules
 * on it: microseconds each). Calls that stay below the bound pay one comparison; a loop of
 * large calls keeps its arena (a fresh one would cost page faults on every call: measured 2-3×
 * on a 100 MB map).
 */
import type { ElementwiseKernel, ElementwiseSpec, MatmulKernel, MatmulSpec, ReduceKernel, ReduceSpec, RowReduceKernel, RowReduceSpec } from './wasm'
import { Arena, MemoryRefusedError, WasmKernels } from './wasm'
import { ParallelKernels } from './wasm/threads'
import { forgetStaged, stagedBytes } from './wasmstaged'

/** What kernels are made by: one thread (`WasmKernels`) or several (`ParallelKernels`). */
export interface Engine {
  readonly arena: Arena
  elementwise(spec: ElementwiseSpec): ElementwiseKernel
  reduce(spec: ReduceSpec): ReduceKernel
  rowReduce(spec: RowReduceSpec): RowReduceKernel
  matmul(spec: MatmulSpec): MatmulKernel
}

const envThreads = (): number => {
  const v = typeof process !== 'undefined' ? process.env?.LEIBNIZ_THREADS : undefined
  const n = v === undefined ? 1 : Number(v)
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1
}

let threads: number | null = null
let maximumBytes: number | undefined
let single: WasmKernels | null = null
let parallel: ParallelKernels | null = null
let closeParallel: (() => Promise<void>) | null = null
/** Why the engine could not make its memory (then every kernel runs in JS), or null. */
let refused: string | null = null
let announced = false
let arenasMade = 0

/** The engine kernels should run on now (threaded when threads were asked for). Throws a
 *  `MemoryRefusedError` when its memory cannot be created: see `usableEngine`. */
export const engine = (): Engine => {
  if (single === null) {
    threads ??= envThreads()
    single = new WasmKernels(new Arena({ initialBytes: Math.min(1 << 22, maximumBytes ?? Infinity), maximumBytes, shared: threads > 1 }))
    arenasMade++
    if (threads > 1) startWorkers(single.arena, threads)
  }
  return parallel ?? single
}

/** Warns once per process that kernels run in generated JS because memory was refused. */
export const announceJsFallback = (reason: string): void => {
  if (announced) return
  announced = true
  console.warn(`leibniz: ${reason}; running the generated-JS kernels instead (same results, slower on large arrays).`)
}

/** The engine, or null when the engine's memory cannot be created (announced once; later calls
 *  do not retry until `setThreads` or `setArenaLimit` start a new arena). */
export const usableEngine = (): Engine | null => {
  if (refused !== null) return null
  try {
    return engine()
  } catch (e) {
    if (!(e instanceof MemoryRefusedError)) throw e
    refused = e.message
    announceJsFallback('WebAssembly memory could not be created')
    return null
  }
}

/** Whether the WebAssembly kernels have a memory to run on (creates it on first use). */
export const wasmMemoryUsable = (): boolean => usableEngine() !== null

let retainBytes = 64 * 2 ** 20
/** How long an arena larger than `retainBytes` is kept after the last call that needed it. */
export const ARENA_RELEASE_DELAY_MS = 1000
let lastLargeUse = 0
let releaseTimer: { unref?: () => void } | null = null

/**
 * Bytes of WebAssembly memory kept when idle (default 64 MiB): an arena that grew past this
 * for a call is replaced by a fresh small one once no call has needed that much for
 * `ARENA_RELEASE_DELAY_MS` (checked on a timer, so a loop of large calls keeps its arena and
 * does not pay for growing a fresh one on every call). Infinity keeps every arena.
 */
export const setArenaRetainBytes = (bytes: number): void => {
  if (!(bytes >= 0)) throw new RangeError(`setArenaRetainBytes: expected a number of bytes ≥ 0, got ${String(bytes)}`)
  retainBytes = bytes
}

/** Called when a call has finished. For the common call the arena is within the retained size:
 *  one comparison. Otherwise notes whether this call needed the large arena and makes sure a
 *  release is scheduled. */
export const releaseLargeArena = (): void => {
  if (single === null || single.arena.capacity <= retainBytes) return
  if (single.arena.takePeak() > retainBytes) lastLargeUse = Date.now()
  if (releaseTimer === null) scheduleRelease()
}

const scheduleRelease = (): void => {
  if (typeof setTimeout !== 'function') return void dropLargeArena()
  releaseTimer = setTimeout(dropLargeArena, ARENA_RELEASE_DELAY_MS) as { unref?: () => void }
  releaseTimer.unref?.() // a pending release never keeps a process alive
}

const dropLargeArena = (): void => {
  releaseTimer = null
  if (single === null || single.arena.capacity <= retainBytes) return
  if (single.arena.bytesInUse > stagedBytes(single.arena) || Date.now() - lastLargeUse < ARENA_RELEASE_DELAY_MS) return scheduleRelease()
  const restart = (threads ?? 1) > 1
  dropEngine().catch(() => undefined) // workers that fail to stop are already unreferenced
  if (restart) void usableEngine() // the workers start on the fresh arena
}

/** Forgets the engine (and stops its workers); the next `engine()` makes a new one. */
const dropEngine = async (): Promise<void> => {
  const close = closeParallel
  parallel = null
  closeParallel = null
  single = null
  forgetStaged()
  refused = null
  if (close !== null) await close()
}

/** The current arena's size and live bytes (0 when there is none yet) and how many arenas
 *  this process has made, for tests and diagnostics. */
export const arenaStats = (): { capacity: number; bytesInUse: number; retainBytes: number; arenasMade: number } => ({
  capacity: single?.arena.capacity ?? 0,
  bytesInUse: single?.arena.bytesInUse ?? 0,
  retainBytes,
  arenasMade,
})

/** Starts the workers on `arena` (they boot in the background; the first large call waits
 *  for them). Where there are no worker threads, kernels stay on one thread. */
const startWorkers = (arena: Arena, n: number): void => {
  try {
    const pk = ParallelKernels.start(arena, { workers: n - 1 })
    parallel = pk
    closeParallel = () => pk.close()
  } catch {
    // no worker_threads here (a browser, a sandbox): one thread
  }
}

/**
 * Run large wasm kernels on `n` threads (1: the calling thread only, the default). Resolves
 * when the workers are running. Kernels staged in flight keep their arena; later calls use the
 * new one.
 */
export const setThreads = async (n: number): Promise<void> => {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`setThreads: expected an integer from 1 to 64, got ${String(n)}`)
  const dropped = dropEngine()
  threads = n
  await dropped
  if (usableEngine() !== null && parallel !== null) await parallel.ready()
}

/** Caps the arena at `bytes` (undefined: 4 GiB, or 1 GiB shared) and starts a new one. A
 *  call whose operands do not fit runs its generated-JS kernel instead. */
export const setArenaLimit = async (bytes: number | undefined): Promise<void> => {
  maximumBytes = bytes
  await setThreads(threads ?? envThreads())
}

/** Threads in use right now: 1 until the workers are running, and again 1 if they failed. */
export const threadsInUse = (): number => (parallel === null ? 1 : parallel.threads)

/** The thread count asked for (`setThreads`, else LEIBNIZ_THREADS, else 1), whether or not the
 *  workers are running yet. */
export const threadsSetting = (): number => threads ?? envThreads()
