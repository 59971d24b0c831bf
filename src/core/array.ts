/**
 * Core layer: the concrete array — a row-major typed array with a shape and dtype — and the
 * base evaluation trace that runs each primitive's `impl`. Arrays are garbage-collected typed
 * arrays; there is no manual memory management.
 */
import { type Shape, type ShapedArray, avalStr, shaped, sizeOf } from '../ir/aval'
import { type DType, type TypedArray, allocate, castScalar } from '../ir/dtypes'
import type { ParamsMap, PrimName } from '../ir/params'
import { holdBuffer, releaseBuffer, shareBuffer } from './buffers'
import { DonatedArrayError } from './errors'
import { rulesOf } from './rules'
import { MainTrace, Trace, Tracer, initBaseTrace } from './tracer'

/** A faster evaluator of some primitives on concrete arrays (the backend installs one): a
 *  result, or null to run the primitive's impl. */
export type EagerHook = (prim: PrimName, xs: readonly ConcreteArray[], params: unknown) => ConcreteArray[] | null
let eagerHook: EagerHook | null = null
export const setEagerHook = (h: EagerHook | null): void => {
  eagerHook = h
}

export class EvalTrace extends Trace {
  lift(x: Tracer): Tracer {
    return x
  }
  processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[] {
    const xs = tracers as readonly ConcreteArray[]
    if (eagerHook !== null) {
      const r = eagerHook(prim, xs, params)
      if (r !== null) return r
    }
    return rulesOf(prim).impl(xs, params)
  }
}

const BASE: MainTrace = initBaseTrace(EvalTrace)

// (fields declared and assigned in the constructor: a class field would define each one twice
// per array, to undefined and then to its value, and tracing makes a 0-d array per JS number)
export class ConcreteArray extends Tracer {
  declare readonly aval: ShapedArray
  private declare buf: TypedArray | null
  /** whether the hold of `buf` is still to be recorded (see `fresh`) */
  private declare unheld: boolean
  /**
   * `fresh`: `data` was allocated for this Array alone and nothing else references it (a
   * compiled program's new output). Recording who holds a buffer reads `data.buffer`, which
   * for a small typed array allocates an ArrayBuffer (~0.3 µs, and garbage); a fresh Array
   * records its hold when its data is first handed out by `data` — before anything else can
   * hold it — and reading its values (item, tolist, a copy) never needs it.
   */
  constructor(data: TypedArray, shape: Shape, dtype: DType, weakType = false, fresh = false) {
    super()
    this.aval = shaped(shape, dtype, weakType)
    if (data.length !== sizeOf(shape)) {
      throw new Error(`internal: buffer of ${data.length} elements for shape ${avalStr(this.aval)}`)
    }
    this.buf = data
    this.unheld = fresh
    if (!fresh) holdBuffer(data)
  }
  /** The row-major data (throws a `DonatedArrayError` once the array was donated). */
  get data(): TypedArray {
    const d = this.values()
    if (this.unheld) {
      this.unheld = false
      holdBuffer(d)
    }
    return d
  }
  /** The data for reading values only: never handed out, so no hold is recorded. */
  private values(): TypedArray {
    const d = this.buf
    if (d === null) throw new DonatedArrayError(`this ${avalStr(this.aval)} array was donated to a jitted call (jit(f, { donateArgnums })): its memory may now hold another result. Use that call's result instead, or do not donate an array you still need.`)
    return d
  }
  /** Whether the array was donated (and can no longer be used). */
  get isDonated(): boolean {
    return this.buf === null
  }
  /** Donates the array: it can no longer be used; returns its buffer if nothing else holds it. */
  donate(): TypedArray | null {
    const d = this.data
    this.buf = null
    return releaseBuffer(d)
  }
  get _trace(): Trace {
    return BASE.trace()
  }
  override item(): number {
    if (this.size !== 1) {
      throw new TypeError(`item() needs an array of exactly one element, got shape [${this.shape.join(', ')}]`)
    }
    return this.values()[0]
  }
  override tolist(): unknown {
    const shape = this.shape
    const data = this.values()
    const asBool = this.dtype === 'bool'
    const read = (i: number) => (asBool ? data[i] !== 0 : data[i])
    if (shape.length === 0) return read(0)
    const build = (dim: number, offset: number, stride: number): unknown[] => {
      const n = shape[dim]
      const inner = stride / (n || 1)
      const out: unknown[] = []
      for (let i = 0; i < n; i++) {
        out.push(dim === shape.length - 1 ? read(offset + i) : build(dim + 1, offset + i * inner, inner))
      }
      return out
    }
    return build(0, 0, this.size)
  }
  override toTypedArray(opts?: { readonly copy?: boolean }): TypedArray {
    if (opts?.copy !== false) return this.values().slice()
    // handed out: never reused for another result
    shareBuffer(this.data)
    return this.data
  }
  override [Symbol.toPrimitive](hint: string): number | string {
    if (hint === 'string') return this.toString()
    if (this.size !== 1) {
      throw new TypeError(`Only an array of one element converts to a JS number; got shape [${this.shape.join(', ')}]. Use tolist() or item().`)
    }
    return Number(this.values()[0])
  }
  override toString(): string {
    return `Array(${this.size > SUMMARY_THRESHOLD ? summary(this) : listText(this.tolist())}, dtype=${this.dtype})`
  }
  /** How `console.log` shows an array in Node: its values (summarized when large) and dtype. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, opts: object, inspect: (x: unknown, o: object) => string): string {
    if (this.size > SUMMARY_THRESHOLD) return this.toString()
    const body = typeof inspect === 'function' ? inspect(this.tolist(), opts) : JSON.stringify(this.tolist())
    return `Array(${body}, dtype=${this.dtype}${this.weakType ? ', weak' : ''})`
  }
}

/** Nested lists as text; unlike JSON, NaN and ±Infinity print as themselves. */
const listText = (x: unknown): string => (Array.isArray(x) ? `[${x.map(listText).join(',')}]` : String(x))

/** Arrays larger than this print as their first and last few elements (as NumPy does). */
const SUMMARY_THRESHOLD = 1000

const summary = (x: ConcreteArray): string => {
  const d = x.data
  const show = (i: number) => String(x.dtype === 'bool' ? d[i] !== 0 : d[i])
  const head = [0, 1, 2].map(show)
  const tail = [d.length - 3, d.length - 2, d.length - 1].map(show)
  return `shape=[${x.shape.join(', ')}], [${head.join(', ')}, …, ${tail.join(', ')}]`
}

export const isConcrete = (x: unknown): x is ConcreteArray => x instanceof ConcreteArray

const NO_AXES: Shape = Object.freeze([])

/** A 0-d array of a JS number. Literals in user code are weakly typed: integers are weak
 *  int32, other numbers weak float64, booleans bool. */
export const scalar = (x: number | boolean, dtype?: DType, weakType?: boolean): ConcreteArray => {
  const d: DType = dtype ?? (typeof x === 'boolean' ? 'bool' : Number.isInteger(x) ? 'int32' : 'float64')
  const weak = weakType ?? (dtype === undefined && typeof x !== 'boolean')
  const data = allocate(d, 1)
  data[0] = castScalar(Number(x), d)
  // (fresh: nothing else holds `data`; most scalars are read only, and never record a hold)
  return new ConcreteArray(data, NO_AXES, d, weak, true)
}

export const full = (shape: Shape, value: number, dtype: DType, weakType = false): ConcreteArray => {
  const data = allocate(dtype, sizeOf(shape), shape)
  const v = castScalar(value, dtype)
  if (v !== 0) data.fill(v)
  return new ConcreteArray(data, shape, dtype, weakType)
}
