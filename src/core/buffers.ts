/**
 * Core layer: who holds an array's buffer, and the buffers a jitted call may write its outputs
 * into (`jit(f, { donateArgnums })`).
 *
 * An Array owns its buffer and its values never change. A buffer may still be held by several
 * Arrays (an eager reshape shares its operand's buffer) or by the user (`toTypedArray({ copy:
 * false })`); such a buffer is *shared* and is never reused. Only a buffer that one Array holds
 * whole, when that Array is donated, goes back to the jitted function that took it, to hold an
 * output of a later call: memory written before, so no fresh pages, and nobody can observe it
 * (the donated Array throws a `DonatedArrayError` when used).
 */
import type { DType, TypedArray } from '../ir/dtypes'

const held = new WeakSet<ArrayBufferLike>()
const shared = new WeakSet<ArrayBufferLike>()
/** how many times a buffer was released (donated) for reuse: its contents may have changed since */
const releases = new WeakMap<ArrayBufferLike, number>()

/** Records that one more Array (or the user) holds `data`'s buffer. */
export const holdBuffer = (data: TypedArray): void => {
  const b = data.buffer
  if (held.has(b)) shared.add(b)
  else held.add(b)
}

/** Records that the user holds `data`'s buffer: it is never reused. */
export const shareBuffer = (data: TypedArray): void => {
  shared.add(data.buffer)
}

/** `data` as a buffer to reuse, if its Array (being donated) is its only holder and holds it
 *  whole; else null. The buffer is then free: the next Array that holds it owns it. */
export const releaseBuffer = (data: TypedArray): TypedArray | null => {
  const b = data.buffer
  if (shared.has(b) || data.byteOffset !== 0 || data.byteLength !== b.byteLength) return null
  if (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) return null
  held.delete(b)
  releases.set(b, (releases.get(b) ?? 0) + 1)
  return data
}

/**
 * A token for `data`'s contents while they cannot change, or -1 when they might: `data` is
 * the buffer of Arrays only (not shared with the user), and the token changes each time the
 * buffer is donated and so may be rewritten. Equal tokens of the same `data` mean equal bytes
 * (the backend keeps inputs staged in the WebAssembly memory by it).
 */
export const contentToken = (data: TypedArray): number => {
  const b = data.buffer
  if (!held.has(b) || shared.has(b)) return -1
  return releases.get(b) ?? 0
}

/** Where the compiled program of a jitted call takes its output buffers from: a buffer of this
 *  dtype and length, or undefined for a fresh one. */
export type OutputBuffers = (dtype: DType, n: number) => TypedArray | undefined

let offered: OutputBuffers | null = null

/** Offers buffers to the next compiled call (jit, around its `bind`); null withdraws them. */
export const offerOutputBuffers = (f: OutputBuffers | null): void => {
  offered = f
}

/** The buffers offered to this call, once (nested calls get none). */
export const takeOutputBuffers = (): OutputBuffers | null => {
  const f = offered
  offered = null
  return f
}
