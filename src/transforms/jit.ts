/**
 * Transforms: jit, makeJaxpr, evalShape. `jit` traces once per input signature (tree
 * structure, shapes, dtypes, weak types, static argument values), caches the jaxpr, and binds
 * the `jit` primitive — which every interpreter understands, so jit composes with grad/vmap.
 */
import { type ConcreteArray, isConcrete } from '../core/array'
import { offerOutputBuffers } from '../core/buffers'
import { ValueError } from '../core/errors'
import { Lru } from '../core/lru'
import { timed } from '../core/phases'
import { type Tracer, bind } from '../core/tracer'
import { type ShapedArray, avalStr } from '../ir/aval'
import type { DType, TypedArray } from '../ir/dtypes'
import type { ClosedJaxpr, Jaxpr } from '../ir/jaxpr'
import type { CallParams } from '../ir/params'
import { hoistConsts } from '../interpret/jvp'
import { optimize } from '../passes'
import { traceToJaxpr } from '../interpret/stage'
import { type TreeDef, treedefKey, unflatten } from '../tree/treedef'
import { flattenArrays, flattenFun, requireFunction } from './flat'
import { LastCall } from './lastcall'
import { staticKey } from './statickey'
import { checkTransformOptions, withStaticHint } from './validate'
import type { AnyFn, ArgsLike, Arrays, Shapes } from '../tree/types'

/** Options of `jit`. */
export interface JitOptions {
  /**
   * Arguments passed as JS values (not traced): part of the cache key, so a new value re-traces.
   * Numbers, strings and plain objects/arrays of them compare by value (`Object.is` for
   * numbers); functions, class instances, Maps and other objects compare by identity.
   */
  readonly staticArgnums?: number | readonly number[]
  /**
   * Arguments whose memory the call may reuse, as JAX's `donate_argnums`: after a call on
   * concrete arrays, each array in a donated argument is *donated* — using it again throws a
   * `DonatedArrayError` — and its buffer (unless something else holds it) is kept by this
   * jitted function to hold an output of the same dtype and size of a later call. A loop
   * `x = step(x)` then writes every new `x` into memory the previous one used, with no fresh
   * allocation (nor its page faults). Results are unchanged; a returned Array still owns its
   * buffer. Ignored when the call is traced (inside grad, vmap or another jit).
   */
  readonly donateArgnums?: number | readonly number[]
}

/** Donated buffers a jitted function keeps for later outputs (more are dropped). */
const MAX_KEPT_BUFFERS = 8

let signatureLimit = 256

/** How many traced signatures each jitted function keeps (default 256): past it, the least
 *  recently used is dropped and traced again if it comes back. The cache belongs to the jitted
 *  function, so dropping the function frees it. */
export const setJitSignatureLimit = (n: number): void => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setJitSignatureLimit: expected an integer ≥ 1, got ${String(n)}`)
  signatureLimit = n
}

interface Compiled {
  readonly jaxpr: Jaxpr
  readonly consts: readonly Tracer[]
  readonly outTree: TreeDef
  /** the `jit` primitive's params of every call of this entry */
  readonly params: CallParams
}

/** The output tree of a call; a single Array (the common case) without walking a tree. */
const unflattenOuts = (def: TreeDef, outs: readonly Tracer[]): unknown =>
  def.kind === 'leaf' && outs.length === 1 ? outs[0] : unflatten(def, outs)

/** A jitted function: callable as `f`, plus how often it has been traced. */
export interface JitFunction<F extends AnyFn> {
  /** Calls `f`'s compiled form (tracing it first if this input signature is new); every
   *  leaf of the result is an Array. */
  (...args: Parameters<F>): Arrays<ReturnType<F>>
  /** How many times the function has been traced (a new signature traces again). */
  readonly traceCount: number
}

/**
 * `f` traced once per input signature (pytree structure, shapes, dtypes, weak types and the
 * values of `staticArgnums` arguments), its jaxpr optimized (jit inlining, algebraic
 * simplification, constant folding, CSE, DCE) and cached. Composes with every transformation:
 * `grad(jit(f))` and `jit(grad(f))` both work. Inside `f`, array arguments are abstract: reading
 * their values (`item()`, `Number(x)`, `x > 0`) throws a `ConcretizationError`, so pass
 * configuration (step counts, flags, shapes) as static arguments.
 */
export const jit = <F extends AnyFn>(f: F, opts: JitOptions = {}): JitFunction<F> => {
  requireFunction(f, 'jit')
  checkTransformOptions('jit', opts, 'jit')
  const statics = new Set(typeof opts.staticArgnums === 'number' ? [opts.staticArgnums] : (opts.staticArgnums ?? []))
  const donated = new Set(typeof opts.donateArgnums === 'number' ? [opts.donateArgnums] : (opts.donateArgnums ?? []))
  for (const d of donated) {
    if (statics.has(d)) throw new ValueError(`jit: argument ${String(d)} is in both staticArgnums and donateArgnums; a static argument has no buffer to donate`)
  }
  const kept = new KeptBuffers()
  const cache = new Lru<string, Compiled>(() => signatureLimit)
  const name = f.name || 'fn'
  const staticList = [...statics].sort()
  let traceCount = 0
  // the signature of the last call whose entry is cached: a call with the same one skips the key
  let last: LastCall<Compiled> | null = null

  /** The full path: check the arguments, build the cache key, look it up or trace. */
  const lookup = (args: readonly unknown[]): [Tracer[], Compiled] => {
    for (const [what, set] of [['staticArgnums', statics], ['donateArgnums', donated]] as const) {
      for (const s of set) {
        if (!Number.isInteger(s) || s < 0 || s >= args.length) {
          throw new ValueError(`jit(${name}): ${what} ${s} is out of range for a call with ${args.length} argument(s)`)
        }
      }
    }
    const dyn = args.filter((_, i) => !statics.has(i))
    const [flat, inTree] = flattenArrays(dyn, `jit(${name}) arguments`)
    const key = [
      treedefKey(inTree),
      ...flat.map((x) => `${avalStr(x.aval)}${x.weakType ? 'w' : ''}`),
      ...staticList.map((i) => `${i}=${staticKey(args[i])}`),
    ].join('|')
    let c = cache.get(key)
    if (c === undefined) {
      const g = (...d: unknown[]) => {
        let k = 0
        return f(...args.map((a, i) => (statics.has(i) ? a : d[k++])))
      }
      const { flat: ff, outTree } = flattenFun(g, inTree, `jit(${name})`)
      traceCount++
      const closed = timed('trace', () => withStaticHint(() => traceToJaxpr(ff, flat.map((x) => x.aval)), name, args, statics))
      // The body is simplified once per signature; jit calls nested in it are inlined.
      const jaxpr = timed('passes', () => optimize(hoistConsts(closed.jaxpr), { all: true }))
      const params = { jaxpr, numConsts: closed.consts.length, name }
      c = { jaxpr, consts: closed.consts, outTree: outTree(), params }
      // Constants that are tracers of an enclosing transformation belong to this call only.
      if (!closed.consts.every(isConcrete)) return [flat, c]
      cache.set(key, c)
    }
    last = new LastCall(args, staticList, inTree, flat.map((x) => x.aval), c)
    return [flat, c]
  }

  const wrapped = (...args: any[]): any => {
    let flat = last === null ? null : last.match(args)
    let c: Compiled
    if (flat !== null) c = (last as LastCall<Compiled>).entry
    else [flat, c] = lookup(args)
    const ins = c.consts.length === 0 ? flat : [...c.consts, ...flat]
    if (donated.size === 0 || !flat.every(isConcrete)) return unflattenOuts(c.outTree, bind('jit', ins, c.params))
    offerOutputBuffers(kept.take)
    let outs: Tracer[]
    try {
      outs = bind('jit', ins, c.params)
    } finally {
      offerOutputBuffers(null)
    }
    // the donated arrays: unusable from now on, their buffers kept for later outputs
    for (const [i, a] of args.entries()) {
      if (!donated.has(i)) continue
      for (const x of flattenArrays([a], `jit(${name}) arguments`)[0] as ConcreteArray[]) {
        if (x.isDonated) continue
        const b = x.donate()
        if (b !== null) kept.put(x.dtype, b)
      }
    }
    return unflattenOuts(c.outTree, outs)
  }
  Object.defineProperty(wrapped, 'traceCount', { get: () => traceCount })
  return wrapped as JitFunction<F>
}

/** The donated buffers of one jitted function, by dtype and length. */
class KeptBuffers {
  private readonly byKey = new Map<string, TypedArray[]>()
  private count = 0
  put(dtype: DType, b: TypedArray): void {
    if (this.count >= MAX_KEPT_BUFFERS) return
    const key = `${dtype}:${b.length}`
    const list = this.byKey.get(key)
    if (list === undefined) this.byKey.set(key, [b])
    else list.push(b)
    this.count++
  }
  readonly take = (dtype: DType, n: number): TypedArray | undefined => {
    const b = this.byKey.get(`${dtype}:${n}`)?.pop()
    if (b !== undefined) this.count--
    return b
  }
}

/** `makeJaxpr(f)(...args)`: the jaxpr of `f` at these argument shapes; `String(j)` prints it. */
export const makeJaxpr =
  <F extends AnyFn>(f: F) =>
  (...args: ArgsLike<Parameters<F>>): ClosedJaxpr<Tracer> => {
    requireFunction(f, 'makeJaxpr')
    const [flat, inTree] = flattenArrays(args, 'makeJaxpr arguments')
    const { flat: ff } = flattenFun(f, inTree, 'makeJaxpr')
    return traceToJaxpr(ff, flat.map((x) => x.aval))
  }

/** `evalShape(f)(...args)`: the output shapes and dtypes (a tree of avals), nothing computed. */
export const evalShape =
  <F extends AnyFn>(f: F) =>
  (...args: ArgsLike<Parameters<F>>): Shapes<ReturnType<F>> => {
    requireFunction(f, 'evalShape')
    const [flat, inTree] = flattenArrays(args, 'evalShape arguments')
    const { flat: ff, outTree } = flattenFun(f, inTree, 'evalShape')
    const closed = traceToJaxpr(ff, flat.map((x) => x.aval))
    return unflatten(outTree(), closed.jaxpr.outAvals)
  }
