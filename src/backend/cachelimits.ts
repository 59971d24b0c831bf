/**
 * Backend: the bounds of the process-wide caches of compiled code (read by the caches at each
 * insertion; changed through `setCacheLimits` in caches.ts). Each cache drops its least
 * recently used entry past its bound; a dropped entry is rebuilt, identically, when next needed.
 * Programs hold the kernels they run, so eviction never affects a compiled program.
 *
 * The defaults keep the caches to a few MB: a generated-JS kernel and its key take ~3 KB, a
 * compiled WebAssembly module tens of KB.
 */
export interface CacheLimits {
  /** Generated-JS kernels, by structure (shapes included). Default 2048. */
  readonly kernels: number
  /** Program drivers, by source. Default 1024. */
  readonly drivers: number
  /** Compiled WebAssembly modules (shape-independent), and instances per arena. Default 256. */
  readonly wasmModules: number
  /** Eager op loops by op signature, and eager WebAssembly kernels by signature and size. Default 1024 each. */
  readonly eagerOps: number
  /** Traced signatures kept by each jitted function. Default 256. */
  readonly jitSignatures: number
}

export const DEFAULT_CACHE_LIMITS: CacheLimits = { kernels: 2048, drivers: 1024, wasmModules: 256, eagerOps: 1024, jitSignatures: 256 }

/** The bounds in force (the caches read them). */
export const cacheLimits: { -readonly [K in keyof CacheLimits]: number } = { ...DEFAULT_CACHE_LIMITS }
