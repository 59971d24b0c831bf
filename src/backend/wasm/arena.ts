/**
 * Backend layer (wasm): the memory every kernel works on, and an allocator over it.
 *
 * One `WebAssembly.Memory` per arena. The caller allocates buffers (byte offsets, 16-byte
 * aligned by default), fills them through typed-array views, runs kernels on the offsets
 * and reads results back through views. First-fit free list with coalescing, bump pointer
 * at the top, memory grown (in 64 KiB pages) on demand.
 *
 * Views: growing a non-shared memory detaches every view of its old buffer, and a shared
 * memory's old views keep their old length; so take views (`f32`, `f64`) after the last
 * allocation that might grow, and do not keep them across allocations.
 *
 * The bytes below `RESERVED` hold constant tables that kernels place there by data
 * segments (e.g. the bits of 4/π for float32 sin/cos); allocations never start below it.
 */

import { type WasmMemory, wasm } from './webassembly'

export const PAGE = 65536

/** Bytes at the bottom of every arena kept for kernels' constant tables. */
export const RESERVED = 1024

export interface ArenaOptions {
  /** Initial size in bytes (rounded up to pages); default 1 MiB. */
  readonly initialBytes?: number
  /** Maximum size in bytes; default 4 GiB (1 GiB for shared memories, which must declare one). */
  readonly maximumBytes?: number
  /** Back the memory by a SharedArrayBuffer (for worker threads). */
  readonly shared?: boolean
}

interface Block { ptr: number; size: number }

/**
 * The engine refused memory: `WebAssembly.Memory` could not be created or grown (an address
 * space limit such as `ulimit -v`, a 32-bit host, an exhausted system). Distinct from the
 * arena's own "past its maximum" RangeError, so that callers can announce the fallback.
 */
export class MemoryRefusedError extends RangeError {
  override readonly name = 'MemoryRefusedError'
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a

export class Arena {
  readonly memory: WasmMemory
  readonly shared: boolean
  readonly maximumPages: number
  private top = RESERVED
  private peak = RESERVED // the highest `top` since `takePeak`
  private readonly freeList: Block[] = [] // sorted by ptr, never adjacent (coalesced)
  private readonly sizes = new Map<number, number>() // live allocation → size in bytes

  constructor(opts: ArenaOptions = {}) {
    this.shared = opts.shared ?? false
    this.maximumPages = Math.ceil((opts.maximumBytes ?? (this.shared ? 2 ** 30 : 2 ** 32)) / PAGE)
    const initial = Math.max(1, Math.ceil((opts.initialBytes ?? 2 ** 20) / PAGE))
    if (initial > this.maximumPages) throw new RangeError(`Arena: initialBytes ${opts.initialBytes} exceeds maximumBytes ${opts.maximumBytes}`)
    try {
      this.memory = new wasm.Memory({ initial, maximum: this.maximumPages, shared: this.shared })
    } catch (e) {
      throw new MemoryRefusedError(`Arena: WebAssembly.Memory of ${initial * PAGE} bytes could not be created (${(e as Error).message})`)
    }
  }

  /** Current size of the memory in bytes. */
  get capacity(): number { return this.memory.buffer.byteLength }

  /** Bytes held by live allocations. */
  get bytesInUse(): number { let s = 0; for (const v of this.sizes.values()) s += v; return s }

  /** Allocates `bytes` (≥ 0) at an offset that is a multiple of `align` (a power of two ≥ 1). */
  alloc(bytes: number, align = 16): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`Arena.alloc: size must be a non-negative integer, got ${bytes}`)
    if (!Number.isInteger(align) || align < 1 || (align & (align - 1)) !== 0) throw new RangeError(`Arena.alloc: align must be a power of two, got ${align}`)
    const size = Math.max(alignUp(bytes, 16), 16) // blocks stay 16-byte granular
    for (let i = 0; i < this.freeList.length; i++) {
      const b = this.freeList[i]
      const ptr = alignUp(b.ptr, align)
      if (ptr + size > b.ptr + b.size) continue
      const before: Block = { ptr: b.ptr, size: ptr - b.ptr }
      const after: Block = { ptr: ptr + size, size: b.ptr + b.size - ptr - size }
      this.freeList.splice(i, 1, ...[before, after].filter((x) => x.size > 0))
      this.sizes.set(ptr, size)
      return ptr
    }
    const ptr = alignUp(this.top, align)
    this.ensure(ptr + size)
    if (ptr > this.top) this.release({ ptr: this.top, size: ptr - this.top })
    this.top = ptr + size
    if (this.top > this.peak) this.peak = this.top
    this.sizes.set(ptr, size)
    return ptr
  }

  /** Room for `n` float32s / float64s. */
  allocF32(n: number): number { return this.alloc(4 * n) }
  allocF64(n: number): number { return this.alloc(8 * n) }

  /** Returns an allocation to the arena. */
  free(ptr: number): void {
    const size = this.sizes.get(ptr)
    if (size === undefined) throw new RangeError(`Arena.free: ${ptr} is not a live allocation`)
    this.sizes.delete(ptr)
    if (ptr + size === this.top) {
      this.top = ptr
      const last = this.freeList[this.freeList.length - 1]
      if (last && last.ptr + last.size === this.top) { this.top = last.ptr; this.freeList.pop() }
    } else {
      this.release({ ptr, size })
    }
  }

  /** The highest byte allocations reached since the last `takePeak` (then counts afresh). */
  takePeak(): number {
    const p = this.peak
    this.peak = this.top
    return p
  }

  /** Frees everything (the memory keeps its size). */
  reset(): void {
    this.top = RESERVED
    this.freeList.length = 0
    this.sizes.clear()
  }

  /** Makes the memory at least `bytes` long. */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength
    if (bytes <= have) return
    const pages = Math.ceil((bytes - have) / PAGE)
    const grow = Math.max(pages, Math.ceil(have / PAGE / 2)) // grow by ≥ 50% to amortize
    const room = this.maximumPages - have / PAGE
    if (pages > room) throw new RangeError(`Arena: out of memory: need ${bytes} bytes, the maximum is ${this.maximumPages * PAGE}`)
    // the amortizing extra may be what the engine refuses: then try the exact need
    for (const n of Math.min(grow, room) > pages ? [Math.min(grow, room), pages] : [pages]) {
      try {
        this.memory.grow(n)
        return
      } catch {
        // refused: try the next size, or report below
      }
    }
    throw new MemoryRefusedError(`Arena: the WebAssembly memory could not grow from ${have} to ${bytes} bytes`)
  }

  /** Fresh views (see the header about when views go stale). */
  f32(ptr: number, n: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, n) }
  f64(ptr: number, n: number): Float64Array { return new Float64Array(this.memory.buffer, ptr, n) }
  u8(ptr: number, n: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, n) }

  /** Allocates and fills a buffer from a typed array; returns its offset. */
  put(data: Float32Array | Float64Array): number {
    const ptr = this.alloc(data.byteLength)
    new Uint8Array(this.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    return ptr
  }

  private release(b: Block): void {
    let i = 0
    while (i < this.freeList.length && this.freeList[i].ptr < b.ptr) i++
    this.freeList.splice(i, 0, b)
    const next = this.freeList[i + 1]
    if (next && b.ptr + b.size === next.ptr) { b.size += next.size; this.freeList.splice(i + 1, 1) }
    const prev = this.freeList[i - 1]
    if (prev && prev.ptr + prev.size === b.ptr) { prev.size += b.size; this.freeList.splice(i, 1) }
  }
}
