/**
 * Primitives layer: shared helpers for writing rules — operand lifting, shape checks, impl
 * loops over typed arrays, and rule combinators (linear/zero jvp, elementwise batching).
 */
import { ConcreteArray, full, scalar } from '../core/array'
import { ArgumentTypeError, AxisError, DTypeError, ShapeError, ValueError } from '../core/errors'
import { type BDim, type Tangent, Zero, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type Shape, type ShapedArray, avalStr, shapeEq, shaped, sizeOf } from '../ir/aval'
import { type DType, type TypedArray, allocate, isFloat } from '../ir/dtypes'
import type { PrimName } from '../ir/params'

export type ArrayLike = Tracer | number | boolean

/** The params of a primitive that has none: one frozen object, so that staging neither
 *  freezes nor keys a fresh `{}` per equation. */
export const NO_PARAMS: Readonly<Record<string, never>> = Object.freeze({})

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

/**
 * A JS number where an int32 is meant (a loop bound, a position, a branch number): an integer
 * in [−2³¹, 2³¹ − 1], else a ValueError. Never the silent wrap of `v | 0` (3e9 → −1294967296)
 * or truncation (1.5 → 1).
 */
export const checkInt32 = (v: number, what: string): number => {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
    throw new ValueError(`${what}: expected an int32 (integers in the int32 range [${INT32_MIN}, ${INT32_MAX}]), got ${describe(v)}`)
  }
  return v
}

/**
 * A JS integer where the operation clamps its int32 anyway (a dynamic-slice start, a switch
 * index): clamped into the int32 range first, which changes no result. Fractional or
 * non-finite numbers are a ValueError.
 */
export const clampInt32 = (v: number, what: string): number => {
  if (!Number.isInteger(v)) throw new ValueError(`${what}: expected an integer, got ${describe(v)}`)
  return Math.min(Math.max(v, INT32_MIN), INT32_MAX)
}

export const isTracerLike = (x: unknown): x is Tracer =>
  typeof x === 'object' && x !== null && '_trace' in x && 'aval' in x

/** A JS number becomes a weakly typed 0-d array; with `like`, it takes `like`'s dtype. */
export const asTracer = (x: ArrayLike, like?: ShapedArray): Tracer => {
  if (typeof x === 'number' || typeof x === 'boolean') {
    return like ? scalar(Number(x), like.dtype, true) : scalar(x)
  }
  if (!isTracerLike(x)) {
    throw new ArgumentTypeError(`Expected an Array or a JS number, got ${describe(x)}. Wrap data with np.array(...).`)
  }
  return x
}

export const describe = (x: unknown): string =>
  x === null || x === undefined
    ? String(x)
    : Array.isArray(x)
      ? `a JS array of length ${x.length}`
      : typeof x === 'object'
        ? `an object (${(x as object).constructor?.name ?? 'Object'})`
        : typeof x === 'function'
          ? 'a function'
          : `${typeof x} ${String(x)}`

export const normAxis = (axis: number, ndim: number, op: string): number => {
  if (!Number.isInteger(axis)) throw new AxisError(`${op}: axis must be an integer, got ${axis}`)
  const a = axis < 0 ? axis + ndim : axis
  if (a < 0 || a >= ndim) throw new AxisError(`${op}: axis ${axis} is out of range for an array of rank ${ndim} (valid: ${-ndim} … ${ndim - 1})`)
  return a
}

/** Shape entries as written, strings quoted: `[2, "3", NaN]`. */
const shapeText = (shape: readonly unknown[]): string =>
  `[${shape.map((d) => (typeof d === 'string' ? JSON.stringify(d) : String(d))).join(', ')}]`

/** A shape is a list of integers in [0, 2^31 − 1] whose product is at most 2^31 − 1 (the most
 *  elements one typed array is allowed here). */
/**
 * One field of a dimension-numbers object (gather, scatter, dot_general): a list of axis
 * numbers. `form` shows the whole expected object in messages. A missing optional field (the
 * batching axes, as in JAX) is an empty list.
 */
export const axisList = (dn: unknown, field: string, op: string, form: string, optional = false): number[] => {
  if (typeof dn !== 'object' || dn === null || Array.isArray(dn)) {
    throw new ValueError(`${op}: dimension numbers must be an object ${form}, got ${describe(dn)}`)
  }
  const v = (dn as Record<string, unknown>)[field]
  if (v === undefined && optional) return []
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isInteger(d))) {
    const got = v === undefined ? 'it is missing' : `got ${Array.isArray(v) ? `[${v.map((d) => (typeof d === 'string' ? JSON.stringify(d) : String(d))).join(', ')}]` : describe(v)}`
    throw new ValueError(`${op}: dimension numbers field ${field} must be a list of integer axes (use [] for none), ${got}. Expected ${form}`)
  }
  return [...v]
}

export const checkShape = (shape: Shape, op: string): void => {
  if (!Array.isArray(shape)) {
    throw new ValueError(`${op}: expected a shape (a list of non-negative integers such as [2, 3]), got ${describe(shape)}`)
  }
  shape.forEach((d: unknown, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 2 ** 31 - 1) {
      const why = typeof d !== 'number' ? `a ${typeof d}` : Number.isNaN(d) ? 'NaN' : d < 0 ? 'negative' : !Number.isFinite(d) ? 'infinite' : !Number.isInteger(d) ? 'not an integer' : 'above 2^31 - 1'
      throw new ValueError(
        `${op}: shape entries must be non-negative integers, got ${shapeText(shape)} (entry ${i} is ${why}; entries go up to 2^31 - 1). ` +
          `Compute sizes as JS integers (Math.floor / Math.round a computed size); a size read from array data is not a shape.`,
      )
    }
  })
  const size = sizeOf(shape)
  if (size > 2 ** 31 - 1) {
    throw new ValueError(
      `${op}: shape ${shapeText(shape)} has ${size} elements, more than 2^31 - 1 elements (the limit for one array). ` +
        `Use a smaller shape, or process the data in parts (lax.scan over chunks, or vmap with chunkSize).`,
    )
  }
}

export const requireFloat = (a: ShapedArray, op: string): void => {
  if (!isFloat(a.dtype)) {
    throw new DTypeError(`${op} needs a float array, got ${avalStr(a)}. Convert first: x.astype('float64').`)
  }
}

/** Elementwise operands: equal shapes, or 0-d operands broadcast against the rest.
 *  All dtypes must be equal; the result is weak only when every operand is. */
const SCALAR_SHAPE: Shape = Object.freeze([])

export const elementwiseAval = (avals: readonly ShapedArray[], op: string, outDtype?: DType): ShapedArray => {
  // (a frozen shape is shared by the aval as is: most operands' shapes are)
  // (every elementwise equation comes here, mostly in cold code, where a for-of allocates an
  // iterator result per element and `.some`/`.every` a closure: one indexed loop)
  let shape: Shape = SCALAR_SHAPE
  const d0 = avals[0].dtype
  let sameDtype = true
  let weak = true
  for (let i = 0; i < avals.length; i++) {
    const a = avals[i]
    if (a.dtype !== d0) sameDtype = false
    if (!a.weakType) weak = false
    if (a.shape.length === 0) continue
    if (shape.length === 0) shape = a.shape
    else if (!shapeEq(shape, a.shape)) {
      throw new ShapeError(`${op}: operand shapes must be equal (or 0-d), got ${avals.map(avalStr).join(', ')}`)
    }
  }
  if (!sameDtype) {
    throw new DTypeError(`${op}: operand dtypes must be equal, got ${avals.map(avalStr).join(', ')}`)
  }
  const dtype = outDtype ?? d0
  // an operand's (frozen) aval is the result when it matches: no new aval per equation
  for (let i = 0; i < avals.length; i++) {
    const a = avals[i]
    if (a.shape === shape && a.dtype === dtype && a.weakType === weak && Object.isFrozen(a)) return a
  }
  return shaped(shape, dtype, weak)
}

// ---- impl helpers ------------------------------------------------------------------------

export const unaryImpl = (x: ConcreteArray, f: (v: number) => number, out: ShapedArray): ConcreteArray => {
  const n = x.size
  const src = x.data
  const dst = allocate(out.dtype, n, out.shape)
  for (let i = 0; i < n; i++) dst[i] = f(src[i])
  return new ConcreteArray(dst, out.shape, out.dtype, out.weakType)
}

export const binaryImpl = (
  x: ConcreteArray,
  y: ConcreteArray,
  f: (a: number, b: number) => number,
  out: ShapedArray,
): ConcreteArray => {
  const n = sizeOf(out.shape)
  const a = x.data
  const b = y.data
  const dst = allocate(out.dtype, n, out.shape)
  const sa = x.size === 1 && n !== 1 ? 0 : 1
  const sb = y.size === 1 && n !== 1 ? 0 : 1
  if (sa && sb) for (let i = 0; i < n; i++) dst[i] = f(a[i], b[i])
  else if (sb) { const av = a[0]; for (let i = 0; i < n; i++) dst[i] = f(av, b[i]) }
  else if (sa) { const bv = b[0]; for (let i = 0; i < n; i++) dst[i] = f(a[i], bv) }
  else { const v = f(a[0], b[0]); for (let i = 0; i < n; i++) dst[i] = v }
  return new ConcreteArray(dst, out.shape, out.dtype, out.weakType)
}

export const makeArray = (data: TypedArray, aval: ShapedArray): ConcreteArray =>
  new ConcreteArray(data, aval.shape, aval.dtype, aval.weakType)

// ---- tangents ----------------------------------------------------------------------------

/** Materialize a tangent: a symbolic zero becomes an array of zeros. */
export const instantiate = (t: Tangent): Tracer => (isZero(t) ? zerosOf(t.aval) : t)

/** Zeros of an aval, as a broadcast of a literal (cheap to stage, folded by the evaluator). */
export const zerosOf = (aval: ShapedArray): Tracer => {
  const z = scalar(0, aval.dtype, aval.weakType)
  return aval.shape.length === 0 ? z : bind1('broadcast_in_dim', [z], { shape: aval.shape, broadcastDimensions: [] })
}

export const zeroLike = (x: { readonly aval: ShapedArray }): Zero => new Zero(x.aval)

/** Concrete zeros (for impls). */
export const concreteZeros = (aval: ShapedArray): ConcreteArray => full(aval.shape, 0, aval.dtype, aval.weakType)

// ---- batching ----------------------------------------------------------------------------

/** Move the batch dimension of `x` from `from` to `to` (a transpose, or nothing). */
export const moveAxis = (x: Tracer, from: number, to: number): Tracer => {
  if (from === to) return x
  const perm = [...Array(x.ndim).keys()].filter((i) => i !== from)
  perm.splice(to, 0, from)
  return bind1('transpose', [x], { permutation: perm })
}

/** Give `x` a batch dimension at 0: move it there, or broadcast an unbatched operand. */
export const batchToFront = (x: Tracer, bdim: BDim, axisSize: number): Tracer => {
  if (bdim !== null) return moveAxis(x, bdim, 0)
  return bind1('broadcast_in_dim', [x], {
    shape: [axisSize, ...x.shape],
    broadcastDimensions: x.shape.map((_, i) => i + 1),
  })
}

const withoutAxis = (shape: Shape, k: number): number[] => {
  const out = new Array<number>(shape.length - 1)
  for (let i = 0, j = 0; i < shape.length; i++) if (i !== k) out[j++] = shape[i]
  return out
}

/** [1, 2, …, n] */
const fromOne = (n: number): number[] => {
  const out = new Array<number>(n)
  for (let k = 0; k < n; k++) out[k] = k + 1
  return out
}

/**
 * Batch rule for elementwise primitives (any arity): batched operands get their batch axis at
 * 0; unbatched 0-d operands stay scalars (they broadcast); other unbatched operands and
 * batched scalars are broadcast to the full batched shape.
 */
export const elementwiseBatch =
  <P extends PrimName>(prim: P) =>
  (axisSize: number, xs: readonly Tracer[], bdims: readonly BDim[], params: any): [Tracer[], BDim[]] => {
    // The unbatched output shape: the shape of any non-scalar operand (sans batch axis).
    // (every batched elementwise equation comes here: plain loops, no per-operand closures)
    let outShape: Shape = []
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]
      const b = bdims[i]
      const rank = x.ndim - (b === null ? 0 : 1)
      if (rank > 0) outShape = b === null ? x.shape : withoutAxis(x.shape, b)
    }
    const full = new Array<number>(outShape.length + 1)
    full[0] = axisSize
    for (let k = 0; k < outShape.length; k++) full[k + 1] = outShape[k]
    const aligned = new Array<Tracer>(xs.length)
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]
      const b = bdims[i]
      if (b === null) {
        aligned[i] = x.ndim === 0 ? x : bind1('broadcast_in_dim', [x], { shape: full, broadcastDimensions: fromOne(outShape.length) })
        continue
      }
      const moved = moveAxis(x, b, 0)
      aligned[i] = moved.ndim === full.length ? moved : bind1('broadcast_in_dim', [moved], { shape: full, broadcastDimensions: [0] })
    }
    return [[bind1(prim, aligned, params)], [0]]
  }

/** Batch rule for unary primitives: the batch axis passes through. */
export const unaryBatch =
  <P extends PrimName>(prim: P) =>
  (_axisSize: number, xs: readonly Tracer[], bdims: readonly BDim[], params: any): [Tracer[], BDim[]] =>
    [[bind1(prim, xs, params)], [bdims[0]]]

/** jvp of a primitive with no derivative (comparisons, floor, sign, integer ops): zero tangents. */
export const zeroJvp =
  <P extends PrimName>(prim: P) =>
  (primals: readonly Tracer[], _tangents: readonly Tangent[], params: any): [Tracer[], Tangent[]] => {
    const outs = [bind1(prim, primals, params)]
    return [outs, outs.map(zeroLike)]
  }

/** jvp of a primitive linear in all its operands: apply it to the (instantiated) tangents. */
export const linearJvp =
  <P extends PrimName>(prim: P) =>
  (primals: readonly Tracer[], tangents: readonly Tangent[], params: any): [Tracer[], Tangent[]] => [
    [bind1(prim, primals, params)],
    [bind1(prim, tangents.map(instantiate), params)],
  ]

/**
 * Copy a strided view into a new contiguous buffer: element `idx` of the output (shape
 * `outShape`) is `src[offset + Σ idx[d] · strides[d]]`. Broadcasts (stride 0), transposes and
 * slices are all such views.
 */
export const stridedCopy = (
  src: TypedArray,
  offset: number,
  strides: readonly number[],
  outShape: Shape,
  dst: TypedArray,
): TypedArray => {
  const n = sizeOf(outShape)
  const nd = outShape.length
  if (n === 0) return dst
  if (nd === 0) {
    dst[0] = src[offset]
    return dst
  }
  const last = nd - 1
  const inner = outShape[last]
  const innerStride = strides[last]
  const idx = new Array<number>(nd).fill(0)
  let base = offset
  let o = 0
  while (o < n) {
    for (let i = 0, s = base; i < inner; i++, s += innerStride) dst[o++] = src[s]
    // advance the odometer over the outer dims
    let d = last - 1
    for (; d >= 0; d--) {
      idx[d]++
      base += strides[d]
      if (idx[d] < outShape[d]) break
      base -= strides[d] * outShape[d]
      idx[d] = 0
    }
    if (d < 0) break
  }
  return dst
}

/** Check a list of axes: integers in range, no repeats; returns them normalized and sorted. */
export const normAxes = (axes: readonly number[], ndim: number, op: string): number[] => {
  const out = axes.map((a) => normAxis(a, ndim, op))
  if (new Set(out).size !== out.length) throw new AxisError(`${op}: repeated axis in (${axes.join(', ')})`)
  return out.sort((a, b) => a - b)
}
