/**
 * Core layer: host functions that staged programs call back into (`debug.callback`,
 * `debug.print`). A program never holds a JavaScript function or a user string: its
 * `debug_callback` equations carry the *number* of a function registered here, and the
 * evaluators (interpreter, generated JS and WebAssembly programs) call it by that number.
 *
 * An entry lives as long as some params object that names it: each params object made by
 * `callbackParams` holds one reference, released when the object is garbage-collected, so a
 * function traced once per call of an eager loop does not accumulate.
 */
import { ValueError } from './errors'
import type { ConcreteArray } from './array'

/** What a staged program calls: the leaves of one call's arguments. */
export type HostCallback = (leaves: readonly ConcreteArray[]) => void

interface Entry {
  readonly fn: HostCallback
  refs: number
}

const entries = new Map<number, Entry>()
let nextId = 0

const release = (id: number): void => {
  const e = entries.get(id)
  if (e !== undefined && --e.refs <= 0) entries.delete(id)
}
const finalizer = new FinalizationRegistry<number>(release)

/** Register `fn` and return the params of an equation that calls it. */
export const newCallbackParams = (fn: HostCallback): { readonly callback: number; readonly batchSizes: readonly number[] } => {
  const id = nextId++
  entries.set(id, { fn, refs: 0 })
  return callbackParams(id, [])
}

/** The params of a `debug_callback` equation that calls function `id`. */
export const callbackParams = (id: number, batchSizes: readonly number[]): { readonly callback: number; readonly batchSizes: readonly number[] } => {
  const e = entries.get(id)
  if (e === undefined) throw new ValueError(`debug_callback: no host function number ${id} is registered`)
  const params = Object.freeze({ callback: id, batchSizes: Object.freeze([...batchSizes]) })
  e.refs++
  finalizer.register(params, id)
  return params
}

/** The host function number `id`, or a ValueError (a program from elsewhere, or a stale id). */
export const hostCallback = (id: number): HostCallback => {
  const e = typeof id === 'number' ? entries.get(id) : undefined
  if (e === undefined) {
    throw new ValueError(`debug_callback: no host function number ${typeof id === 'number' ? id : typeof id} is registered in this process; a program with host callbacks runs only where it was traced`)
  }
  return e.fn
}

/** How many host functions are registered (for tests of the lifetime rule). */
export const registeredCallbacks = (): number => entries.size
