/**
 * IR layer: abstract values. A `ShapedArray` is what tracing knows of an array — its shape,
 * dtype and weak type — and nothing of its contents.
 */
import { type DType, shortName } from './dtypes'

export type Shape = readonly number[]

export interface ShapedArray {
  readonly shape: Shape
  readonly dtype: DType
  readonly weakType: boolean
}

const SCALAR_SHAPE: Shape = Object.freeze([])
// The 0-d avals, one per dtype and weak type: most avals a scalar program stages are 0-d, and
// an aval is frozen, so one object can stand for all of them.
const scalarAvals = new Map<DType, readonly [strong: ShapedArray, weak: ShapedArray]>()
const scalarAval = (dtype: DType, weakType: boolean): ShapedArray => {
  let pair = scalarAvals.get(dtype)
  if (pair === undefined) {
    pair = [Object.freeze({ shape: SCALAR_SHAPE, dtype, weakType: false }), Object.freeze({ shape: SCALAR_SHAPE, dtype, weakType: true })]
    scalarAvals.set(dtype, pair)
  }
  return pair[weakType ? 1 : 0]
}

export const shaped = (shape: Shape, dtype: DType, weakType = false): ShapedArray =>
  shape.length === 0
    ? scalarAval(dtype, weakType)
    : // A frozen shape can be shared as is (avals of the same shape are common and never mutated).
      Object.freeze({ shape: Object.isFrozen(shape) ? shape : Object.freeze([...shape]), dtype, weakType })

// (called for every array and equation, mostly in cold code: indexed loops, where a for-of
// would allocate an iterator result per element)
export const sizeOf = (shape: Shape): number => {
  let n = 1
  for (let i = 0; i < shape.length; i++) n *= shape[i]
  return n
}

export const shapeEq = (a: Shape, b: Shape): boolean => {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export const avalEq = (a: ShapedArray, b: ShapedArray): boolean =>
  a.dtype === b.dtype && shapeEq(a.shape, b.shape)

/** `f64[3,4]`: the aval as the jaxpr text shows it. */
export const avalStr = (a: ShapedArray): string => `${shortName(a.dtype)}[${a.shape.join(',')}]`

/** Row-major strides of a contiguous array. */
export const stridesOf = (shape: Shape): number[] => {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]
  }
  return s
}

export const shapeStr = (s: Shape): string => `[${s.join(', ')}]`
