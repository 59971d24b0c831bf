/**
 * Core layer: the trace stack, tracers and `bind` — JAX's design as in its autodidax
 * walkthrough. Every array a user touches is a `Tracer` (exported as `Array`): a concrete
 * array is a tracer of the base evaluation trace, so user code never knows whether it is
 * being traced. `bind(prim, args, params)` finds the top trace among the arguments, lifts the
 * rest into it, and calls that trace's rule.
 */
import { type ShapedArray, avalStr, sizeOf } from '../ir/aval'
import type { DType } from '../ir/dtypes'
import type { ParamsMap, PrimName } from '../ir/params'
import { ArgumentTypeError, ConcretizationError, TracerLeakError } from './errors'
import type { ArrayMethods } from './methods'
import { show } from './validate'

export type TraceCtor = new (main: MainTrace) => Trace

/** One level of the trace stack: a transformation in progress. */
export class MainTrace {
  alive = true
  private cached: Trace | undefined
  constructor(
    readonly level: number,
    readonly traceType: TraceCtor,
    readonly globalData: unknown,
  ) {}
  trace(): Trace {
    return (this.cached ??= new this.traceType(this))
  }
}

export abstract class Trace {
  constructor(readonly main: MainTrace) {}
  /** Bring a tracer of a lower level (or a concrete array) into this trace. */
  abstract lift(x: Tracer): Tracer
  abstract processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[]
}

/**
 * The abstract array: everything user code sees. Arithmetic methods (`add`, `sum`, …) are
 * declared in ./methods (merged into this class below) and installed by the numpy layer;
 * `item()` and friends need a concrete value.
 */
export abstract class Tracer {
  abstract readonly _trace: Trace
  abstract get aval(): ShapedArray
  get shape(): readonly number[] {
    return this.aval.shape
  }
  get dtype(): DType {
    return this.aval.dtype
  }
  get weakType(): boolean {
    return this.aval.weakType
  }
  get ndim(): number {
    return this.aval.shape.length
  }
  get size(): number {
    return sizeOf(this.aval.shape)
  }
  /** The simplest representation of this value (a known partial value lowers to its constant). */
  fullLower(): Tracer {
    return this
  }
  protected concretizationError(what: string): ConcretizationError {
    return new ConcretizationError(
      `${what} needs a concrete value, but got a traced array ${avalStr(this.aval)} ` +
        `(traced by ${this._trace.constructor.name}). Inside grad/jit/vmap, values are abstract: ` +
        `use np.where(cond, x, y) or lax.cond(pred, trueFn, falseFn, ...) instead of a JS if, ` +
        `and keep shapes and loop bounds independent of array data (pass them as static arguments).`,
    )
  }
  /** The single element as a JS number (a bool array gives 1 or 0). */
  item(): number {
    throw this.concretizationError('item()')
  }
  tolist(): unknown {
    throw this.concretizationError('tolist()')
  }
  /**
   * The data, row-major: a copy the caller owns (by default), or with `{ copy: false }` the
   * array's own buffer, without copying — read it, never write it (the array would change). It
   * holds the array's values for as long as the array is not donated to a jitted call
   * (`jit(f, { donateArgnums })`), which may reuse that memory for its outputs.
   */
  toTypedArray(_opts?: { readonly copy?: boolean }): Float64Array | Float32Array | Int32Array | Uint8Array {
    throw this.concretizationError('toTypedArray()')
  }
  /** `Number(x)`, `x > 0`, `` `${x}` `` all come here. */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === 'string') return this.toString()
    throw this.concretizationError(`Using an array as a JS ${hint === 'number' ? 'number' : 'value'} (Number(x), x > 0, …)`)
  }
  toString(): string {
    return `Traced<${avalStr(this.aval)}>(${this._trace.constructor.name})`
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

// The method signatures, merged into the class (same module, so declaration bundlers keep them).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Tracer extends ArrayMethods {}

// ---- the stack -------------------------------------------------------------------------

const stack: MainTrace[] = []
let dynamicMain: MainTrace

/** Install the base evaluation trace (called once by the eval module). */
export const initBaseTrace = (traceType: TraceCtor): MainTrace => {
  if (stack.length === 0) {
    stack.push(new MainTrace(0, traceType, null))
    dynamicMain = stack[0]
  }
  return stack[0]
}

export const baseMain = (): MainTrace => stack[0]

/** True when no transformation is active (plain eager evaluation: every array is concrete). */
export const noTransformActive = (): boolean => stack.length === 1 && dynamicMain === stack[0]

/** Run `fn` with a new transformation level on top of the stack. */
export const withMain = <T>(traceType: TraceCtor, globalData: unknown, fn: (main: MainTrace) => T): T => {
  const main = new MainTrace(stack.length, traceType, globalData)
  stack.push(main)
  try {
    return fn(main)
  } finally {
    stack.pop()
    main.alive = false
  }
}

/** Run `fn` with `main` as the dynamic trace: every bind, even of constants only, goes to it
 *  (this is how staging captures a whole function). */
export const withDynamic = <T>(main: MainTrace, fn: () => T): T => {
  const prev = dynamicMain
  dynamicMain = main
  try {
    return fn()
  } finally {
    dynamicMain = prev
  }
}

const leak = (x: Tracer): TracerLeakError =>
  new TracerLeakError(
    `A tracer ${avalStr(x.aval)} of a finished ${x._trace.constructor.name} was used after its ` +
      `transformation returned. This happens when a traced value is stored outside the function ` +
      `(a global, a closure, a class field) and used later. Return it from the function instead.`,
  )

// (every primitive applied passes here, mostly in cold code, where a for-of allocates an
// iterator result per element and `.map` a new array: indexed loops)
export const findTopTrace = (xs: readonly Tracer[]): Trace => {
  let top = dynamicMain
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    const m = x._trace.main
    if (!m.alive) throw leak(x)
    if (m.level > top.level) top = m
  }
  return top.trace()
}

export const fullRaise = (trace: Trace, x: Tracer): Tracer => {
  const m = x._trace.main
  if (m === trace.main) return x
  if (!m.alive) throw leak(x)
  if (m.level < trace.main.level) return trace.lift(x)
  throw leak(x)
}

/** Operands reach `bind` from lax wrappers unconverted; a string or a JS array would fail
 *  deep inside with "cannot read properties of undefined", so name the operand instead. */
const checkOperands = (prim: string, args: readonly unknown[]): void => {
  for (let i = 0; i < args.length; i++) {
    const x = args[i]
    if (typeof x !== 'object' || x === null || !('_trace' in x)) {
      throw new ArgumentTypeError(`${prim}: operand ${i} must be an Array, got ${show(x)}. Wrap data with np.array(...).`)
    }
  }
}

export const bind = <P extends PrimName>(prim: P, args: readonly Tracer[], params: ParamsMap[P]): Tracer[] => {
  checkOperands(prim, args)
  return bindTracers(prim, args, params)
}

/**
 * `bind` of operands that are tracers already: an interpreter binding again the values it
 * holds (a jaxpr's environment, the primals of a jvp, the values of a batch), which `bind`'s
 * check of operands from user code would only repeat at every level a value passes through.
 */
export const bindTracers = <P extends PrimName>(prim: P, args: readonly Tracer[], params: ParamsMap[P]): Tracer[] => {
  const trace = findTopTrace(args)
  // (most operands already belong to the top trace: copy the list only when one is lifted)
  let tracers: Tracer[] | null = null
  for (let i = 0; i < args.length; i++) {
    const t = fullRaise(trace, args[i])
    if (tracers === null && t !== args[i]) {
      tracers = new Array<Tracer>(args.length)
      for (let j = 0; j < i; j++) tracers[j] = args[j]
    }
    if (tracers !== null) tracers[i] = t
  }
  const outs = trace.processPrimitive(prim, tracers ?? args, params)
  // (a trace may keep the list it returns, e.g. in a recipe: copied when an entry lowers)
  let lowered: Tracer[] | null = null
  for (let i = 0; i < outs.length; i++) {
    const o = outs[i].fullLower()
    if (lowered === null && o !== outs[i]) {
      lowered = new Array<Tracer>(outs.length)
      for (let j = 0; j < i; j++) lowered[j] = outs[j]
    }
    if (lowered !== null) lowered[i] = o
  }
  return lowered ?? outs
}

export const bind1 = <P extends PrimName>(prim: P, args: readonly Tracer[], params: ParamsMap[P]): Tracer =>
  bind(prim, args, params)[0]
