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

export const shaped = (shape: Shape, dtype: DType, weakType = false): ShapedArray =>
  // A frozen shape can be shared as is (avals of the same shape are common and never mutated).
  Object.freeze({ shape: Object.isFrozen(shape) ? shape : Object.freeze([...shape]), dtype, weakType })

export const sizeOf = (shape: Shape): number => {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export const shapeEq = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

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
