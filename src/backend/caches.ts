/**
 * Backend: setting and inspecting the bounds of the process-wide caches of compiled code
 * (cachelimits.ts says what each holds and its default).
 *
 *   setCacheLimits({ kernels: 512, wasmModules: 64 })   // the others keep their values
 *   cacheStats().kernels                                  // entries held right now
 */
import { setJitSignatureLimit } from '../transforms/jit'
import { type CacheLimits, cacheLimits } from './cachelimits'
import { driverCache, kernelCache } from './compile'
import { eagerKernels, eagerWasmOps } from './eager'
import { moduleCache } from './wasm'

/**
 * Changes the bounds of the caches of compiled code (each an integer ≥ 1; omitted ones are
 * kept). Caches above a new bound drop their least recently used entries at once; compiled
 * programs keep the kernels they hold, and a dropped kernel is rebuilt when next needed.
 */
export const setCacheLimits = (limits: Partial<CacheLimits>): void => {
  for (const [name, n] of Object.entries(limits)) {
    if (!Object.hasOwn(cacheLimits, name)) {
      throw new RangeError(`setCacheLimits: unknown cache '${name}'; expected one of ${Object.keys(cacheLimits).join(', ')}`)
    }
    if (!Number.isInteger(n) || (n as number) < 1) throw new RangeError(`setCacheLimits: ${name} must be an integer ≥ 1, got ${String(n)}`)
  }
  Object.assign(cacheLimits, limits)
  if (limits.jitSignatures !== undefined) setJitSignatureLimit(limits.jitSignatures)
  for (const c of [kernelCache, driverCache, eagerKernels, eagerWasmOps, moduleCache]) c.trim()
}

/** Entries held by each process-wide cache, and the bounds (for tests and diagnostics). */
export const cacheStats = (): { kernels: number; drivers: number; wasmModules: number; eagerOps: number; eagerWasmOps: number; limits: CacheLimits } => ({
  kernels: kernelCache.size,
  drivers: driverCache.size,
  wasmModules: moduleCache.size,
  eagerOps: eagerKernels.size,
  eagerWasmOps: eagerWasmOps.size,
  limits: { ...cacheLimits },
})
