/** Shared test helpers for the numpy layer: concrete inputs and value checks. */
import { expect } from 'vitest'
import { ConcreteArray } from '../../src/core/array'
import { registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import type { DType } from '../../src/ir/dtypes'
import { cumsumRules } from '../../src/primitives/cumsum'
import { gatherRules } from '../../src/primitives/gather'
import { slicingRules } from '../../src/primitives/slicing'
import '../../src/rules'

registerRules({ ...slicingRules, ...gatherRules, ...cumsumRules })

export const f64 = (data: number[], shape: number[] = [data.length]): ConcreteArray =>
  new ConcreteArray(new Float64Array(data), shape, 'float64')
export const f32 = (data: number[], shape: number[] = [data.length]): ConcreteArray =>
  new ConcreteArray(new Float32Array(data), shape, 'float32')
export const i32 = (data: number[], shape: number[] = [data.length]): ConcreteArray =>
  new ConcreteArray(new Int32Array(data), shape, 'int32')
export const bool = (data: boolean[], shape: number[] = [data.length]): ConcreteArray =>
  new ConcreteArray(new Uint8Array(data.map(Number)), shape, 'bool')

/** Values of a concrete result as a flat list of numbers. */
export const vals = (x: Tracer): number[] => Array.from((x as ConcreteArray).data)

/** Check shape, dtype, weak type and values (exact unless `tol` is given; NaN matches NaN). */
export const check = (
  x: Tracer,
  spec: { shape: readonly number[]; dtype: DType; weak?: boolean },
  expected: readonly number[],
  tol = 0,
): void => {
  expect(x).toBeInstanceOf(ConcreteArray)
  expect(x.shape).toEqual(spec.shape)
  expect(x.dtype).toBe(spec.dtype)
  expect(x.weakType).toBe(spec.weak ?? false)
  const got = vals(x)
  expect(got.length).toBe(expected.length)
  got.forEach((g, i) => {
    const e = expected[i]
    if (Number.isNaN(e)) expect(g, `element ${i}`).toBeNaN()
    else if (tol === 0 || !Number.isFinite(e)) expect(g, `element ${i}`).toBe(e)
    else expect(Math.abs(g - e), `element ${i}: got ${g}, want ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)))
  })
}

/** Row-major multi-indices of a shape. */
export const indices = (shape: readonly number[]): number[][] => {
  const out: number[][] = []
  const n = shape.reduce((a, b) => a * b, 1)
  for (let f = 0; f < n; f++) {
    const idx: number[] = []
    let r = f
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d])
      r = Math.floor(r / shape[d])
    }
    out.push(idx)
  }
  return out
}

/** The flat offset of a multi-index. */
export const offset = (shape: readonly number[], idx: readonly number[]): number =>
  idx.reduce((acc, v, d) => acc * shape[d] + v, 0)
