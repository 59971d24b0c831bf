/**
 * Runtime settings, for every environment — in Node they start from the environment variables
 * (LEIBNIZ_THREADS, LEIBNIZ_WASM, LEIBNIZ_FLOAT32); in a browser, which has none, from the
 * defaults. `config.set` changes them for the whole process or page; `config.get` reports them
 * with what the runtime made of them (which evaluator runs, how many threads are running).
 */
import { ValueError } from './core/errors'
import { type Evaluator, evaluator, float32Mode, setFloat32Mode, setThreads, setWasmKernels, threadsInUse, threadsSetting, wasmKernelsEnabled } from './backend'

/** The settings `config.set` takes (every field optional there). */
export interface Settings {
  /** Threads for large WebAssembly kernels, 1 to 64 (default 1, or LEIBNIZ_THREADS). Needs
   *  `node:worker_threads`; elsewhere (a browser) the work stays on the calling thread. */
  readonly threads: number
  /** Whether large float maps, reductions and matmuls may run as WebAssembly SIMD kernels
   *  (default true; LEIBNIZ_WASM=off turns them off). Results are equal either way within the
   *  documented float tolerances (docs/performance.md). */
  readonly wasm: boolean
  /** How jitted float32 chains round: 'exact' (every op, as eager calls; default) or 'relaxed'
   *  (only where stored; LEIBNIZ_FLOAT32=relaxed). */
  readonly float32: 'exact' | 'relaxed'
}

/** The settings, and what the runtime does with them. */
export interface ConfigState extends Settings {
  /** What evaluates jit and large eager ops: 'compiled' (generated JS and WebAssembly kernels),
   *  'wasm-kernels' (a Content-Security-Policy forbids generated JS but allows WebAssembly: the
   *  interpreter, with WebAssembly kernels for large elementwise ops) or 'interpreter'. */
  readonly evaluator: Evaluator
  /** Threads running now (1 until the workers have started, and where there are none). */
  readonly threadsInUse: number
}

const KEYS: readonly (keyof Settings)[] = ['threads', 'wasm', 'float32']

const describeValue = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' || v == null ? String(v) : typeof v)

/** Checks every field before changing anything, so a bad call changes nothing. */
const validate = (s: unknown): Partial<Settings> => {
  if (typeof s !== 'object' || s === null || globalThis.Array.isArray(s)) {
    throw new ValueError(`config.set: expected an object such as { threads: 2 } or { wasm: false }, got ${describeValue(s)}`)
  }
  const o = s as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new ValueError(`config.set: unknown setting '${k.slice(0, 40)}'; the settings are ${KEYS.join(', ')}`)
  }
  const { threads, wasm, float32 } = o
  if (threads !== undefined && !(typeof threads === 'number' && Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new ValueError(`config.set: threads must be an integer from 1 to 64, got ${describeValue(threads)}`)
  }
  if (wasm !== undefined && typeof wasm !== 'boolean') throw new ValueError(`config.set: wasm must be true or false, got ${describeValue(wasm)}`)
  if (float32 !== undefined && float32 !== 'exact' && float32 !== 'relaxed') {
    throw new ValueError(`config.set: float32 must be 'exact' or 'relaxed', got ${describeValue(float32)}`)
  }
  return o as Partial<Settings>
}

/**
 * Change runtime settings; fields left out keep their values. Takes effect at once (programs
 * compiled under other settings are rebuilt on their next call); the returned promise resolves
 * when worker threads asked for are running (until then kernels run on the calling thread).
 * Bad values throw a ValueError and change nothing.
 */
export const set = (settings: Partial<Settings>): Promise<void> => {
  const s = validate(settings)
  if (s.wasm !== undefined) setWasmKernels(s.wasm)
  if (s.float32 !== undefined) setFloat32Mode(s.float32)
  if (s.threads !== undefined && s.threads !== threadsSetting()) return setThreads(s.threads)
  return Promise.resolve()
}

/** The current settings and what the runtime does with them (probes the runtime on first use). */
export const get = (): ConfigState => ({
  threads: threadsSetting(),
  wasm: wasmKernelsEnabled(),
  float32: float32Mode(),
  evaluator: evaluator(),
  threadsInUse: threadsInUse(),
})
