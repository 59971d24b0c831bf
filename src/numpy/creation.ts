/**
 * NumPy layer: array creation. `array` is the checked entry point for data from outside (JS
 * numbers, nested JS arrays, typed arrays): it validates the whole input before it returns,
 * so a ragged, non-numeric, too deep or too large input throws a named error and never yields
 * a half-built array. The other constructors are built from `iota` and `broadcast_in_dim`,
 * so they stay cheap when staged by `jit`.
 */
import { ConcreteArray, scalar } from '../core/array'
import { ArgumentTypeError, DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, shapeStr } from '../ir/aval'
import { type DType, type TypedArray, allocate, castScalar, isDType, isFloat } from '../ir/dtypes'
import { add, eq, mul } from '../primitives/binary'
import { broadcastInDim, convertElementType, iota } from '../primitives/shape'
import { checkInt32, checkShape, describe, isTracerLike } from '../primitives/util'
import { type ArrayLike, asArray, promoteArgs, resultType as resultTypeOp } from './promote'
import { stack } from './shape'

export interface DTypeOpts {
  readonly dtype?: DType
}

export interface ArrayOpts extends DTypeOpts {
  /** Reject NaN and ±Infinity in JS data with a ValueError (for data from outside). */
  readonly finite?: boolean
}

/** The nesting depth `array` accepts (NumPy allows 64 dimensions). */
export const MAX_NDIM = 64
/** The most elements an array can hold (typed-array indices are int32 in the kernels). */
export const MAX_SIZE = 2 ** 31 - 1

/** Nested JS data `np.array` accepts. */
export type NestedData = number | boolean | Tracer | ArrayBufferView | readonly NestedData[]

/** The options argument of `op`, checked: NumPy and JAX take the dtype as a positional
 *  argument (`jnp.array(x, 'float32')`), which here would be an options object without a
 *  dtype and silently give float64. */
const optionsOf = <T extends object>(opts: T | undefined, op: string): T | Record<string, never> => {
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null) {
    const hint = typeof opts === 'string' ? ` (a dtype goes in the options: { dtype: ${JSON.stringify(opts)} })` : ''
    throw new ArgumentTypeError(`${op}: expected an options object such as { dtype: 'float32' }, got ${describe(opts)}${hint}`)
  }
  return opts
}

const checkDtype = (dtype: unknown, op: string): DType | undefined => {
  if (dtype === undefined) return undefined
  if (!isDType(dtype)) {
    throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected one of float64, float32, int32, bool`)
  }
  return dtype
}

/** Anything indexable with a length (the global `ArrayLike`, which our `ArrayLike` shadows). */
type Indexable<T> = { readonly length: number; readonly [i: number]: T }

/** A numeric typed array (not a DataView, not a BigInt array). */
type NumericView = Exclude<ArrayBufferView, DataView> & { readonly length: number; readonly [i: number]: number }
const isView = (x: unknown): x is NumericView =>
  ArrayBuffer.isView(x) && !(x instanceof DataView)
const isSequence = (x: unknown): x is readonly unknown[] | NumericView => Array.isArray(x) || isView(x)

const pathStr = (path: readonly number[]): string => (path.length === 0 ? '(top level)' : path.map((i) => `[${i}]`).join(''))

/** The dtype a typed array holds, when it maps onto one of ours. */
const viewDtype = (x: ArrayBufferView): DType | undefined =>
  x instanceof Float64Array ? 'float64' : x instanceof Float32Array ? 'float32' : x instanceof Int32Array ? 'int32' : undefined

/** Thrown inside the walk when a leaf is an Array: the data is then built by stacking. */
class HasTracer {}

/**
 * Infer the shape from the first element at each depth, then walk everything once, checking
 * each sequence length and each leaf, writing values into a buffer allocated up front.
 */
const fromNested = (data: readonly unknown[], dtype: DType | undefined, finite: boolean): ConcreteArray => {
  const op = 'np.array'
  const shape: number[] = []
  let cur: unknown = data
  while (isSequence(cur)) {
    if (shape.length >= MAX_NDIM) {
      throw new ValueError(`${op}: nesting deeper than ${MAX_NDIM} levels (at ${pathStr(shape.map(() => 0))}); is the data self-referencing?`)
    }
    shape.push(cur.length)
    if (cur.length === 0) break
    cur = (cur as Indexable<unknown>)[0]
  }
  let size = 1
  for (const d of shape) {
    size *= d
    if (size > MAX_SIZE) {
      throw new ValueError(`${op}: data of shape ${shapeStr(shape)} has more than 2^31 - 1 elements`)
    }
  }
  let values: Float64Array
  try {
    values = new Float64Array(size)
  } catch {
    throw new ValueError(`${op}: cannot allocate ${size} elements for data of shape ${shapeStr(shape)}`)
  }
  let allBool = size > 0
  let k = 0
  const path: number[] = []
  const leafDepth = shape.length
  const walk = (x: unknown, depth: number): void => {
    if (depth === leafDepth) {
      if (typeof x === 'number') {
        values[k++] = x
        allBool = false
      } else if (typeof x === 'boolean') {
        values[k++] = x ? 1 : 0
      } else if (isSequence(x)) {
        throw new ShapeError(
          `${op}: ragged nested data: element ${pathStr(path)} is a sequence of length ${x.length}, ` +
            `but element ${pathStr(path.map(() => 0))} is a number (expected ${leafDepth} levels of nesting, shape ${shapeStr(shape)})`,
        )
      } else if (isTracerLike(x)) {
        throw new HasTracer()
      } else {
        throw new TypeError(`${op}: element ${pathStr(path)} is ${describe(x)}; expected a number or a boolean`)
      }
      return
    }
    if (!isSequence(x)) {
      if (isTracerLike(x)) throw new HasTracer()
      if (typeof x === 'number' || typeof x === 'boolean') {
        throw new ShapeError(
          `${op}: ragged nested data: element ${pathStr(path)} is a number, but element ` +
            `${pathStr(path.map(() => 0))} is a sequence of length ${shape[depth]} (shape ${shapeStr(shape)})`,
        )
      }
      throw new TypeError(`${op}: element ${pathStr(path)} is ${describe(x)}; expected a number, a boolean or a sequence`)
    }
    if (x.length !== shape[depth]) {
      throw new ShapeError(
        `${op}: ragged nested data: element ${pathStr(path)} has length ${x.length}, but element ` +
          `${pathStr(path.map(() => 0))} has length ${shape[depth]}; all sequences at one depth must have equal lengths`,
      )
    }
    if (isView(x) && depth === leafDepth - 1) {
      if (typeof (x as unknown as Indexable<unknown>)[0] === 'bigint') {
        throw new TypeError(`${op}: element ${pathStr(path)} is a BigInt typed array; convert to numbers first`)
      }
      for (let i = 0; i < x.length; i++) values[k++] = x[i]
      allBool = false
      return
    }
    for (let i = 0; i < x.length; i++) {
      path.push(i)
      walk((x as Indexable<unknown>)[i], depth + 1)
      path.pop()
    }
  }
  walk(data, 0)
  if (finite) checkFinite(values, shape)
  const d: DType = dtype ?? (allBool ? 'bool' : 'float64')
  return new ConcreteArray(castBuffer(values, d), shape, d)
}

/** ValueError at the first NaN or ±Infinity, naming its index path. */
const checkFinite = (values: Indexable<number>, shape: readonly number[]): void => {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const path: number[] = []
      let r = i
      for (let d = shape.length - 1; d >= 0; d--) {
        path.unshift(r % shape[d])
        r = Math.floor(r / shape[d])
      }
      throw new ValueError(`np.array: element ${pathStr(path)} is ${values[i]}; { finite: true } requires finite values`)
    }
  }
}

const castBuffer = (values: Indexable<number>, d: DType): TypedArray => {
  const out = allocate(d, values.length)
  if (d === 'float64' || d === 'float32') {
    out.set(values as Indexable<number>)
  } else {
    for (let i = 0; i < values.length; i++) out[i] = castScalar(values[i], d)
  }
  return out
}

/** Nested data with Arrays among its leaves: stack it (traceable; numbers are weak, as in
 *  `np.stack`), so `np.array([x, y])` of traced scalars works as in JAX. */
const fromNestedArrays = (data: readonly unknown[], dtype: DType | undefined, finite: boolean): Tracer => {
  const go = (x: unknown): Tracer => {
    if (Array.isArray(x)) {
      if (x.length === 0) return broadcastInDim(scalar(0, 'float64', false), [0], [])
      return stack(promoteArgs('np.array', ...x.map(go)), 0)
    }
    if (isView(x)) return array(x, { finite })
    if (finite && typeof x === 'number') checkFinite([x], [])
    return asArray(x as ArrayLike, 'np.array')
  }
  const out = go(data)
  const d = dtype ?? out.dtype
  return out.dtype === d && !out.weakType ? out : convertElementType(out, d, false)
}

/**
 * An array from JS data: a number (float64), a boolean (bool), nested JS arrays (float64, or
 * bool when every element is a boolean), a typed array (Float64Array → float64, Float32Array →
 * float32, Int32Array → int32, others → float64), or an existing Array (converted when `dtype`
 * is given). The data is copied. `finite: true` also rejects NaN and ±Infinity.
 */
export const array = (data: NestedData, options?: ArrayOpts): Tracer => {
  const opts = optionsOf(options, 'np.array')
  const dtype = checkDtype(opts.dtype, 'np.array')
  const finite = opts.finite ?? false
  if (isTracerLike(data)) return dtype === undefined ? data : astype(data, dtype)
  if (typeof data === 'number') {
    if (finite) checkFinite([data], [])
    return scalar(data, dtype ?? 'float64', false)
  }
  if (typeof data === 'boolean') return scalar(data, dtype ?? 'bool', false)
  if (isView(data)) {
    if (typeof (data as unknown as Indexable<unknown>)[0] === 'bigint') {
      throw new TypeError('np.array: BigInt typed arrays are not supported; convert to numbers first')
    }
    if (data.length > MAX_SIZE) throw new ValueError(`np.array: ${data.length} elements is more than 2^31 - 1`)
    const d = dtype ?? viewDtype(data) ?? 'float64'
    if (finite) checkFinite(data, [data.length])
    return new ConcreteArray(castBuffer(data, d), [data.length], d)
  }
  if (Array.isArray(data)) {
    try {
      return fromNested(data, dtype, finite)
    } catch (e) {
      if (e instanceof HasTracer) return fromNestedArrays(data, dtype, finite)
      throw e
    }
  }
  throw new TypeError(`np.array: cannot make an array from ${describe(data)}; expected a number, a boolean, a (nested) JS array or a typed array`)
}

/** `array` without a copy of an existing Array (arrays are immutable, so `array` does not copy them either). */
export const asarray = array

/** `x` converted to `dtype` (a strong type); unchanged when it already is. */
export const astype = (x: ArrayLike, dtype: DType): Tracer => {
  const t = asArray(x, 'astype')
  const d = checkDtype(dtype, 'astype') as DType
  return t.dtype === d && !t.weakType ? t : convertElementType(t, d, false)
}

/** The dtype `np` functions promote these operands to (JS numbers are weak). */
export const resultType = (...xs: ArrayLike[]): DType => resultTypeOp('resultType', ...xs).dtype

const toShape = (shape: number | Shape, op: string): number[] => {
  if (!Array.isArray(shape) && typeof shape !== 'number') {
    throw new TypeError(`${op}: shape must be a number or a list of numbers, got ${describe(shape)}`)
  }
  const s = typeof shape === 'number' ? [shape] : [...shape]
  checkShape(s, op)
  return s
}

/** A `shape` array of `value` (a JS number, or a 0-d / broadcastable Array). */
export const full = (shape: number | Shape, value: ArrayLike, options?: DTypeOpts): Tracer => {
  const s = toShape(shape, 'full')
  const dtype = checkDtype(optionsOf(options, 'full').dtype, 'full')
  let v: Tracer
  if (typeof value === 'number') v = scalar(value, dtype ?? 'float64', false)
  else if (typeof value === 'boolean') v = scalar(value, dtype ?? 'bool', false)
  else v = dtype === undefined ? asArray(value, 'full') : astype(value, dtype)
  if (v.ndim > s.length || v.shape.some((d, i) => d !== 1 && d !== s[s.length - v.ndim + i])) {
    throw new ShapeError(`full: fill value of shape ${shapeStr(v.shape)} does not broadcast to shape ${shapeStr(s)}`)
  }
  if (v.ndim === 0 && s.length === 0) return v
  const lead = s.length - v.ndim
  return broadcastInDim(v, s, v.shape.map((_, i) => i + lead))
}

export const zeros = (shape: number | Shape, opts?: DTypeOpts): Tracer => full(shape, 0, optionsOf(opts, 'zeros'))
export const ones = (shape: number | Shape, opts?: DTypeOpts): Tracer => full(shape, 1, optionsOf(opts, 'ones'))

/** An array of `x`'s shape and dtype (or `dtype`) filled with `value`. */
export const fullLike = (x: ArrayLike, value: ArrayLike, options?: DTypeOpts): Tracer => {
  const t = asArray(x, 'fullLike')
  const dtype = checkDtype(optionsOf(options, 'fullLike').dtype, 'fullLike')
  const d = dtype ?? t.dtype
  const weak = dtype === undefined && t.weakType
  const v = typeof value === 'number' || typeof value === 'boolean' ? scalar(Number(value), d, weak) : astype(value, d)
  return t.ndim === 0 && v.ndim === 0 ? v : full(t.shape, v)
}
export const zerosLike = (x: ArrayLike, opts?: DTypeOpts): Tracer => fullLike(x, 0, optionsOf(opts, 'zerosLike'))
export const onesLike = (x: ArrayLike, opts?: DTypeOpts): Tracer => fullLike(x, 1, optionsOf(opts, 'onesLike'))

const requireNumber = (x: unknown, what: string, op: string): number => {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new ValueError(`${op}: ${what} must be a finite JS number, got ${describe(x)}`)
  }
  return x
}

/**
 * `arange(stop)`, `arange(start, stop, step = 1)`: values start + i·step for
 * i < ceil((stop − start) / step), as NumPy. float64 unless `dtype` is given.
 */
export function arange(stop: number, opts?: DTypeOpts): Tracer
export function arange(start: number, stop: number, opts?: DTypeOpts): Tracer
export function arange(start: number, stop: number, step: number, opts?: DTypeOpts): Tracer
export function arange(...args: (number | DTypeOpts | undefined)[]): Tracer {
  const op = 'arange'
  const last = args[args.length - 1]
  const opts: DTypeOpts = typeof last === 'object' && last !== null ? (args.pop() as DTypeOpts) : {}
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop()
  if (args.length === 0 || args.length > 3) throw new TypeError(`${op}: expected (stop), (start, stop) or (start, stop, step), got ${args.length} numbers`)
  const nums = args.map((a, i) => requireNumber(a, ['start', 'stop', 'step'][args.length === 1 ? 1 : i], op))
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1]
  if (step === 0) throw new ValueError(`${op}: step must not be zero`)
  const dtype = checkDtype(opts.dtype, op) ?? 'float64'
  const n = Math.max(0, Math.ceil((stop - start) / step))
  if (n > MAX_SIZE) throw new ValueError(`${op}: ${n} elements is more than 2^31 - 1`)
  if (dtype === 'bool') throw new DTypeError(`${op}: dtype bool is not supported`)
  // Integer parameters with an int dtype: exact int32 arithmetic; otherwise float64, then cast.
  const intArith = dtype === 'int32' && Number.isInteger(start) && Number.isInteger(step)
  if (dtype === 'int32' && n > 0) {
    // every value must be an int32: no silent wrap of arange(3e9, 3e9 + 3, { dtype: 'int32' })
    checkInt32(Math.trunc(start), `${op} start (int32)`)
    checkInt32(Math.trunc(start + (n - 1) * step), `${op} last value (int32)`)
  }
  const work: DType = intArith ? 'int32' : 'float64'
  let y = iota(work, [n], 0)
  if (step !== 1) y = mul(y, scalar(step, work, false))
  if (start !== 0) y = add(y, scalar(start, work, false))
  return y.dtype === dtype ? y : convertElementType(y, dtype, false)
}

export interface LinspaceOpts extends DTypeOpts {
  readonly endpoint?: boolean
}

/** `num` evenly spaced values from `start` to `stop` (inclusive unless `endpoint: false`), as NumPy. */
export const linspace = (start: number, stop: number, num = 50, options?: LinspaceOpts): Tracer => {
  const op = 'linspace'
  const opts = optionsOf(options, op)
  requireNumber(start, 'start', op)
  requireNumber(stop, 'stop', op)
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`${op}: num must be a non-negative integer, got ${num}`)
  if (num > MAX_SIZE) throw new ValueError(`${op}: ${num} elements is more than 2^31 - 1`)
  const dtype = checkDtype(opts.dtype, op) ?? 'float64'
  const endpoint = opts.endpoint ?? true
  const div = endpoint ? num - 1 : num
  const delta = stop - start
  const step = div > 0 ? delta / div : NaN
  const vals = new Float64Array(num)
  // NumPy: y = i·step + start (or i/div·delta when step underflows to 0); the endpoint is exact.
  for (let i = 0; i < num; i++) vals[i] = div > 0 ? (step === 0 ? (i / div) * delta : i * step) + start : start
  if (endpoint && num > 1) vals[num - 1] = stop
  if (!isFloat(dtype)) for (let i = 0; i < num; i++) vals[i] = Math.floor(vals[i])
  return new ConcreteArray(castBuffer(vals, dtype), [num], dtype)
}

export interface LogspaceOpts extends LinspaceOpts {
  /** the base of the exponents (default 10) */
  readonly base?: number
}

/** base^linspace(start, stop, num): `num` values evenly spaced on a log scale (np.logspace). */
export const logspace = (start: number, stop: number, num = 50, options?: LogspaceOpts): Tracer => {
  const op = 'logspace'
  const opts = optionsOf(options, op)
  const base = requireNumber(opts.base ?? 10, 'base', op)
  const dtype = checkDtype(opts.dtype, op) ?? 'float64'
  const exps = linspace(start, stop, num, { endpoint: opts.endpoint }) as ConcreteArray
  const vals = Float64Array.from(exps.data, (e) => base ** e)
  if (!isFloat(dtype)) for (let i = 0; i < num; i++) vals[i] = Math.floor(vals[i])
  return new ConcreteArray(castBuffer(vals, dtype), [num], dtype)
}

/** An array of `shape` (JAX has no uninitialized memory: it is zeros, as jnp.empty). */
export const empty = (shape: number | Shape, opts?: DTypeOpts): Tracer => full(shape, 0, optionsOf(opts, 'empty'))
/** An array of x's shape and dtype (zeros, as jnp.emptyLike). */
export const emptyLike = (x: ArrayLike, opts?: DTypeOpts): Tracer => fullLike(x, 0, optionsOf(opts, 'emptyLike'))

export interface EyeOpts extends DTypeOpts {
  readonly k?: number
}

/** The n×m matrix with ones on diagonal `k` (0: main, > 0: above, < 0: below). */
export const eye = (n: number, m?: number, options?: EyeOpts): Tracer => {
  const op = 'eye'
  const opts = optionsOf(options, op)
  const cols = m ?? n
  checkShape([n, cols], op)
  const k = opts.k ?? 0
  if (!Number.isInteger(k)) throw new ValueError(`${op}: k must be an integer, got ${k}`)
  const dtype = checkDtype(opts.dtype, op) ?? 'float64'
  const rows = iota('int32', [n, cols], 0)
  const colsIdx = iota('int32', [n, cols], 1)
  // Diagonals beyond the matrix are empty; clamping keeps rows + k in the int32 range.
  const kk = Math.max(-n, Math.min(cols, k))
  const onDiag = eq(kk === 0 ? rows : add(rows, scalar(kk, 'int32', false)), colsIdx)
  return convertElementType(onDiag, dtype, false)
}

/** The identity matrix of size n. */
export const identity = (n: number, opts?: DTypeOpts): Tracer => eye(n, n, optionsOf(opts, 'identity'))
