/**
 * Differential fuzzer: the routes a program can run by, and the one function that selects
 * them. Every route must give the reference interpreter's answer (within the documented
 * tolerance of that route, see ./tolerance.ts).
 *
 * The switches are the backend's internal setters (the same as LEIBNIZ_BACKEND, LEIBNIZ_WASM
 * and LEIBNIZ_THREADS); `selectRoute` is the only place that touches them.
 */
import { backendMode, setBackend, setThreads, setWasmKernels, threadsInUse, wasmKernelsEnabled } from '../../src/backend'

export type RouteName = 'eager-reference' | 'jit-reference' | 'eager-js' | 'jit-js' | 'eager-wasm' | 'jit-wasm' | 'jit-wasm-threads'

export interface Route {
  readonly name: RouteName
  /** Run under `jit` (else op by op). */
  readonly jit: boolean
  /** 'reference': every op by its primitive's implementation; 'compiled': generated kernels. */
  readonly backend: 'reference' | 'compiled'
  /** WebAssembly kernels for large float maps, reductions and matmuls. */
  readonly wasm: boolean
  /** Threads for large wasm kernels (≥ 2¹⁶ elements are split). */
  readonly threads: number
}

const route = (name: RouteName, jit: boolean, backend: 'reference' | 'compiled', wasm: boolean, threads = 1): Route => ({ name, jit, backend, wasm, threads })

/** The baseline every other route is compared with: op-by-op primitive implementations. */
export const REFERENCE = route('eager-reference', false, 'reference', false)

export const ROUTES: readonly Route[] = [
  REFERENCE,
  route('jit-reference', true, 'reference', false),
  route('eager-js', false, 'compiled', false),
  route('jit-js', true, 'compiled', false),
  route('eager-wasm', false, 'compiled', true),
  route('jit-wasm', true, 'compiled', true),
  route('jit-wasm-threads', true, 'compiled', true, 2),
]

export const routeNamed = (name: string): Route => {
  const r = ROUTES.find((x) => x.name === name)
  if (r === undefined) throw new RangeError(`unknown route '${name}'; expected one of ${ROUTES.map((x) => x.name).join(', ')}`)
  return r
}

/** Make `r` the current route (threads start asynchronously, hence the promise). */
export const selectRoute = async (r: Route): Promise<void> => {
  setBackend(r.backend)
  setWasmKernels(r.wasm)
  if (threadsInUse() !== r.threads) await setThreads(r.threads)
}

/** The settings in force before the fuzzer ran, to put back afterwards. */
export const currentSettings = (): { backend: 'reference' | 'compiled'; wasm: boolean; threads: number } => ({
  backend: backendMode(),
  wasm: wasmKernelsEnabled(),
  threads: threadsInUse(),
})

export const restoreSettings = async (s: { backend: 'reference' | 'compiled'; wasm: boolean; threads: number }): Promise<void> => {
  setBackend(s.backend)
  setWasmKernels(s.wasm)
  if (threadsInUse() !== s.threads) await setThreads(s.threads)
}
