/**
 * Transforms: the signature of a jitted function's last call, for its monomorphic fast path.
 * Most programs call a jitted function again and again with arguments of one signature; such
 * a call reuses the previous call's cache entry after checking, leaf by leaf, every part of
 * the cache key — pytree structure, shapes, dtypes, weak types, static argument values (see
 * statickey.ts) — without building the key's text. Any difference sends the call to the full
 * lookup, which then records the new signature.
 */
import { scalar } from '../core/array'
import type { Tracer } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import { isTracerLike } from '../primitives/util'
import { type TreeDef, flattenAs } from '../tree/treedef'
import { sameStatic, staticKey } from './statickey'

export class LastCall<E> {
  private readonly nargs: number
  /** the static values, objects behind a WeakRef: the fast path keeps no argument alive */
  private readonly staticValues: readonly unknown[]
  private readonly staticKeys: readonly string[]
  /** the indices of the dynamic arguments and their structures */
  private readonly dynArgnums: readonly number[]
  private readonly argDefs: readonly TreeDef[]

  /**
   * @param args the call's arguments; `staticArgnums` lists the static ones (valid indices),
   * `dynTree` is the structure of the others (a JS array of them), `avals` its leaves' avals,
   * `entry` what the call found or traced.
   */
  constructor(
    args: readonly unknown[],
    private readonly staticArgnums: readonly number[],
    dynTree: TreeDef,
    private readonly avals: readonly ShapedArray[],
    readonly entry: E,
  ) {
    this.nargs = args.length
    this.staticValues = staticArgnums.map((i) => hold(args[i]))
    this.staticKeys = staticArgnums.map((i) => staticKey(args[i]))
    if (dynTree.kind !== 'array') throw new Error('internal: the dynamic arguments flatten to a JS array')
    this.argDefs = dynTree.children
    this.dynArgnums = args.map((_, i) => i).filter((i) => !staticArgnums.includes(i))
  }

  /** The flat array arguments when `args` has this call's signature, else null. */
  match(args: readonly unknown[]): Tracer[] | null {
    if (args.length !== this.nargs) return null
    const st = this.staticArgnums
    for (let k = 0; k < st.length; k++) {
      if (!sameStatic(args[st[k]], deref(this.staticValues[k]), this.staticKeys[k])) return null
    }
    const raw: unknown[] = []
    const dyn = this.dynArgnums
    for (let d = 0; d < dyn.length; d++) if (!flattenAs(this.argDefs[d], args[dyn[d]], raw)) return null
    const avals = this.avals
    if (raw.length !== avals.length) return null
    const flat = new Array<Tracer>(raw.length)
    for (let i = 0; i < raw.length; i++) {
      const x = leafArray(raw[i])
      if (x === null || !sameAval(x.aval, avals[i])) return null
      flat[i] = x
    }
    return flat
  }
}

/** An object (functions included) as a WeakRef, anything else as itself. A collected object
 *  derefs to a private symbol, which no argument is: its key is then computed and compared. */
const hold = (x: unknown): unknown => ((typeof x === 'object' && x !== null) || typeof x === 'function' ? new WeakRef(x) : x)
const deref = (h: unknown): unknown => (h instanceof WeakRef ? ((h.deref() as unknown) ?? COLLECTED) : h)
const COLLECTED = Symbol('collected')

/** What `leafToArray` makes of a leaf, or null where it would throw (the full path says why). */
const leafArray = (x: unknown): Tracer | null => {
  if (isTracerLike(x)) return x
  if (typeof x === 'number') return scalar(x, 'float64', true)
  if (typeof x === 'boolean') return scalar(x)
  return null
}

const sameAval = (a: ShapedArray, b: ShapedArray): boolean => {
  if (a === b) return true
  if (a.dtype !== b.dtype || a.weakType !== b.weakType || a.shape.length !== b.shape.length) return false
  for (let i = 0; i < a.shape.length; i++) if (a.shape[i] !== b.shape[i]) return false
  return true
}
