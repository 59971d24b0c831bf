/**
 * Backend: inputs kept staged in the WebAssembly arena between calls.
 *
 * A kernel reads its operands from the arena, so each call copies its inputs in. An Array never
 * changes, so an Array passed again (a loop of calls on the same data, or the same weights in
 * every step) would be copied again for nothing: its bytes are kept where the last call put
 * them and read from there. Kept are only buffers whose contents cannot change
 * (`contentToken` ≥ 0: held by Arrays only, not handed out to the user), and a kept copy is
 * used only while its token is unchanged (a donated buffer may be rewritten: its token
 * changes). At most `MAX_ENTRIES` inputs and `MAX_BYTES` are kept, the least recently used
 * dropped first; a kept copy is freed when its array is garbage collected, and forgotten
 * with its arena.
 */
import { contentToken } from '../core/buffers'
import type { TypedArray } from '../ir/dtypes'
import type { Arena } from './wasm'

/** Smaller inputs are copied on each call: the copy costs less than the bookkeeping. */
export const MIN_STAGED_BYTES = 64 * 1024
const MAX_ENTRIES = 8
const MAX_BYTES = 32 * 2 ** 20

interface Entry {
  readonly ptr: number
  readonly bytes: number
  readonly token: number
  live: boolean
  /** the call that last read it: a call never drops what it reads */
  call: number
}

let arena: Arena | null = null
/** by the Array's typed array, held weakly (a kept copy must not keep its array alive) */
let byData = new WeakMap<TypedArray, Entry>()
/** the live entries, least recently used first */
const order = new Set<Entry>()
let bytes = 0
let call = 0

/** Starts a call: the kept inputs it reads stay until the next call starts. */
export const beginStagedCall = (): void => {
  call++
}

const drop = (e: Entry): void => {
  order.delete(e)
  e.live = false
  bytes -= e.bytes
  ;(arena as Arena).free(e.ptr)
}

// a staged copy whose array was collected is freed (the callback runs between calls)
const collected: FinalizationRegistry<{ entry: Entry; on: Arena }> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ entry, on }) => {
        if (entry.live && on === arena) drop(entry)
      })
    : null

/** The byte offset of `data`'s bytes in `on` if they are kept there and unchanged; else null. */
export const stagedAt = (on: Arena, data: TypedArray): number | null => {
  if (on !== arena) return null
  const e = byData.get(data)
  if (e === undefined || !e.live) return null
  if (e.token !== contentToken(data)) {
    drop(e)
    return null
  }
  order.delete(e) // most recently used: last
  order.add(e)
  e.call = call
  return e.ptr
}

/**
 * Copies `data` into `on` and keeps it there when its contents cannot change (returns its byte
 * offset), or returns null (the caller stages it for one call). May throw the arena's
 * RangeError when the memory cannot grow, before anything is kept.
 */
export const stageKept = (on: Arena, data: TypedArray): number | null => {
  if (data.byteLength < MIN_STAGED_BYTES || data.byteLength > MAX_BYTES) return null
  const token = contentToken(data)
  if (token < 0) return null
  if (on !== arena) forgetStaged()
  arena = on
  const old = byData.get(data)
  if (old !== undefined && old.live) drop(old)
  for (const e of order) {
    if (order.size < MAX_ENTRIES && bytes + data.byteLength <= MAX_BYTES) break
    if (e.call !== call) drop(e)
  }
  if (order.size >= MAX_ENTRIES || bytes + data.byteLength > MAX_BYTES) return null
  const ptr = on.put(data as Float32Array | Float64Array) // (wasm kernels take float operands only)
  const e: Entry = { ptr, bytes: data.byteLength, token, live: true, call }
  byData.set(data, e)
  order.add(e)
  bytes += e.bytes
  collected?.register(data, { entry: e, on })
  return ptr
}

/** Bytes of `on` held by kept inputs (an arena holding nothing else is idle). */
export const stagedBytes = (on: Arena): number => (on === arena ? bytes : 0)

/** Forgets every kept input (their arena is being dropped, or must be emptied). */
export const forgetStaged = (): void => {
  for (const e of order) e.live = false
  order.clear()
  byData = new WeakMap()
  bytes = 0
  arena = null
}

/** Frees every kept input in their arena (tests: an arena with nothing in use). */
export const releaseStaged = (): void => {
  for (const e of order) drop(e)
  forgetStaged()
}
