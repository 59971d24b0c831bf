/**
 * Backend layer (wasm): typed access to the global `WebAssembly` object. The project compiles
 * with `lib: ES2022` (no DOM types), so the parts we use are declared here.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
  grow(pages: number): number
}
/** A compiled module (opaque; structured-cloneable to workers). */
export interface WasmModule { readonly __wasmModule?: never }
export interface WasmInstance { readonly exports: Readonly<Record<string, unknown>> }

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports: object) => WasmInstance
  validate(bytes: Uint8Array): boolean
}

export const wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
