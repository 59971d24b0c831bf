/**
 * Runtime settings, for every environment — in Node they start from the environment variables
 * (LEIBNIZ_THREADS, LEIBNIZ_WASM, LEIBNIZ_FLOAT32); in a browser, which has none, from the
 * defaults. `config.set` changes them for the whole process or page; `config.get` reports them
 * with what the runtime made of them (which evaluator runs, how many threads are running).
 */
import { ValueError } from './core/errors'
import {
  type CacheLimits, type Evaluator, DEFAULT_CACHE_LIMITS, cacheStats, evaluator, float32Mode, setCacheLimits, setFloat32Mode, setThreads, setWasmKernels,
  threadsInUse, threadsSetting, wasmKernelsEnabled,
} from './backend'

export type { CacheLimits }

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
  /** Bounds of the process-wide caches of compiled code, each kept least-recently-used (see
   *  docs/performance.md, "Memory"). `config.set({ caches: { kernels: 512 } })` changes one
   *  bound and keeps the others. */
  readonly caches: CacheLimits
}

/** What `config.set` takes: any subset of the settings (and of the cache bounds). */
export type SettingsUpdate = Partial<Omit<Settings, 'caches'>> & { readonly caches?: Partial<CacheLimits> }

/** The settings, and what the runtime does with them. */
export interface ConfigState extends Settings {
  /** What evaluates jit and large eager ops: 'compiled' (generated JS and WebAssembly kernels),
   *  'wasm-kernels' (a Content-Security-Policy forbids generated JS but allows WebAssembly: the
   *  interpreter, with WebAssembly kernels for large elementwise ops) or 'interpreter'. */
  readonly evaluator: Evaluator
  /** Threads running now: 1 until the workers have started (the first large call waits for
   *  them), where there are none, and after a worker failed. */
  readonly threadsInUse: number
}

const KEYS: readonly (keyof Settings)[] = ['threads', 'wasm', 'float32', 'caches']
const CACHE_KEYS = Object.keys(DEFAULT_CACHE_LIMITS) as readonly (keyof CacheLimits)[]

const describeValue = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' || v == null ? String(v) : typeof v)

/** Checks every field before changing anything, so a bad call changes nothing. */
const validate = (s: unknown): SettingsUpdate => {
  if (typeof s !== 'object' || s === null || globalThis.Array.isArray(s)) {
    throw new ValueError(`config.set: expected an object such as { threads: 2 } or { wasm: false }, got ${describeValue(s)}`)
  }
  const o = s as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new ValueError(`config.set: unknown setting '${k.slice(0, 40)}'; the settings are ${KEYS.join(', ')}`)
  }
  const { threads, wasm, float32, caches } = o
  if (threads !== undefined && !(typeof threads === 'number' && Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new ValueError(`config.set: threads must be an integer from 1 to 64, got ${describeValue(threads)}`)
  }
  if (wasm !== undefined && typeof wasm !== 'boolean') throw new ValueError(`config.set: wasm must be true or false, got ${describeValue(wasm)}`)
  if (float32 !== undefined && float32 !== 'exact' && float32 !== 'relaxed') {
    throw new ValueError(`config.set: float32 must be 'exact' or 'relaxed', got ${describeValue(float32)}`)
  }
  if (caches !== undefined) {
    if (typeof caches !== 'object' || caches === null || globalThis.Array.isArray(caches)) {
      throw new ValueError(`config.set: caches must be an object such as { kernels: 512 }, got ${describeValue(caches)}`)
    }
    for (const [k, n] of Object.entries(caches)) {
      if (!(CACHE_KEYS as readonly string[]).includes(k)) throw new ValueError(`config.set: unknown cache '${k.slice(0, 40)}'; the caches are ${CACHE_KEYS.join(', ')}`)
      if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1)) throw new ValueError(`config.set: caches.${k} must be an integer ≥ 1, got ${describeValue(n)}`)
    }
  }
  return o as SettingsUpdate
}

/**
 * Change runtime settings; fields left out keep their values. Takes effect at once (programs
 * compiled under other settings are rebuilt on their next call). Worker threads asked for start
 * at once; the returned promise resolves when they are running, and a large call made before
 * that waits for them (not awaiting is fine).
 * Bad values throw a ValueError and change nothing.
 */
export const set = (settings: SettingsUpdate): Promise<void> => {
  const s = validate(settings)
  if (s.caches !== undefined) setCacheLimits(s.caches)
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
  caches: cacheStats().limits,
  evaluator: evaluator(),
  threadsInUse: threadsInUse(),
})
