/**
 * Backend: where the wasm kernels run — one process-wide arena, the kernels compiled on it,
 * and, when asked for, worker threads that share it.
 *
 * Threads are opt-in (LEIBNIZ_THREADS=n, or `setThreads(n)`, n ≥ 2): measured on 2-core
 * machines, a second thread makes 1e6-element maps and reductions and the large matmuls up to
 * ~1.7× faster when a core is idle, and slightly slower when the other core is busy (the split
 * waits for it) — docs/performance.md. The workers start in the background (`Worker` startup is
 * asynchronous); until they are running, kernels run on the calling thread. Every split is
 * bitwise the single-threaded result (maps and matmuls split rows; reductions split only their
 * output rows, never the reduced axis), so it does not matter which calls ran threaded.
 * Threads need `node:worker_threads` and a shared memory (at most 1 GiB); elsewhere, or if the
 * workers fail to start, everything stays on one thread.
 */
import type { ElementwiseKernel, ElementwiseSpec, MatmulKernel, MatmulSpec, ReduceKernel, ReduceSpec } from './wasm'
import { Arena, WasmKernels } from './wasm'
import { ParallelKernels } from './wasm/threads'

/** What kernels are made by: one thread (`WasmKernels`) or several (`ParallelKernels`). */
export interface Engine {
  readonly arena: Arena
  elementwise(spec: ElementwiseSpec): ElementwiseKernel
  reduce(spec: ReduceSpec): ReduceKernel
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
let parallel: Engine | null = null
let closeParallel: (() => Promise<void>) | null = null

/** The engine kernels should run on now (threaded once the workers are up). */
export const engine = (): Engine => {
  if (single === null) {
    threads ??= envThreads()
    single = new WasmKernels(new Arena({ initialBytes: Math.min(1 << 22, maximumBytes ?? Infinity), maximumBytes, shared: threads > 1 }))
    if (threads > 1) void startWorkers(single.arena, threads)
  }
  return parallel ?? single
}

const startWorkers = async (arena: Arena, n: number): Promise<void> => {
  try {
    const pk = await ParallelKernels.create(arena, { workers: n - 1, splitReduced: false })
    if (single?.arena !== arena) return void (await pk.close()) // the thread count changed meanwhile
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
  const close = closeParallel
  parallel = null
  closeParallel = null
  single = null
  threads = n
  if (close !== null) await close()
  const e = engine()
  if (n > 1) await startWorkers(e.arena, n)
}

/** Caps the arena at `bytes` (undefined: 4 GiB, or 1 GiB shared) and starts a new one. A
 *  call whose operands do not fit runs its generated-JS kernel instead. */
export const setArenaLimit = async (bytes: number | undefined): Promise<void> => {
  maximumBytes = bytes
  await setThreads(threads ?? envThreads())
}

/** Threads in use right now (1 until the workers are running). */
export const threadsInUse = (): number => (parallel === null ? 1 : (threads ?? 1))

/** The thread count asked for (`setThreads`, else LEIBNIZ_THREADS, else 1), whether or not the
 *  workers are running yet. */
export const threadsSetting = (): number => threads ?? envThreads()
