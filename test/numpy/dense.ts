/**
 * Test helpers for contract / indexing / linalg / nn tests: the rule families they need,
 * seeded random inputs, row-major index arithmetic and value checks against plain-JS
 * references (written with loops, independent of the code under test).
 */
import { expect } from 'vitest'
import '../../src/rules'
import '../../src/numpy/methods'
import { ConcreteArray } from '../../src/core/array'
import { registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import type { DType } from '../../src/ir/dtypes'
import { cumsumRules } from '../../src/primitives/cumsum'
import { dotRules } from '../../src/primitives/dot'
import { gatherRules } from '../../src/primitives/gather'
import { linalgRules } from '../../src/primitives/linalg'
import { slicingRules } from '../../src/primitives/slicing'
import { sortRules } from '../../src/primitives/sort'
import { traceToJaxpr } from '../../src/interpret/stage'
import { printJaxpr } from '../../src/ir/pretty'

registerRules({ ...slicingRules, ...gatherRules, ...sortRules, ...dotRules, ...linalgRules, ...cumsumRules })

let seed = 12345
/** Uniform in [0, 1), deterministic. */
export const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0
  return ((seed >>> 8) & 0xffffff) / 0x1000000
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

export const arr = (data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float64'): ConcreteArray => {
  const buf =
    dtype === 'float64' ? new Float64Array(data) : dtype === 'float32' ? new Float32Array(data) : dtype === 'int32' ? new Int32Array(data) : new Uint8Array(data)
  return new ConcreteArray(buf, shape, dtype)
}

/** Random floats in [-2, 2) (ints in [-5, 5) for int32). */
export const rand = (shape: readonly number[], dtype: DType = 'float64'): ConcreteArray => {
  const n = sizeOf(shape)
  const data: number[] = []
  for (let i = 0; i < n; i++) data.push(dtype === 'int32' ? Math.floor(rnd() * 10) - 5 : rnd() * 4 - 2)
  return arr(data, shape, dtype)
}

export const ints = (data: number[], shape: readonly number[] = [data.length]): ConcreteArray => arr(data, shape, 'int32')

export const vals = (x: Tracer): number[] => Array.from((x as ConcreteArray).data)

/** Row-major strides. */
export const strides = (shape: readonly number[]): number[] => {
  const s = shape.map(() => 1)
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1]
  return s
}

/** All multi-indices of a shape, row-major. */
export const multiIndices = (shape: readonly number[]): number[][] => {
  const out: number[][] = []
  const n = sizeOf(shape)
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

/** Element of a concrete array at a multi-index. */
export const at = (x: Tracer, idx: readonly number[]): number => {
  const st = strides(x.shape)
  return (x as ConcreteArray).data[idx.reduce((o, v, d) => o + v * st[d], 0)]
}

/** Shape equal, values within `tol` relative (absolute below 1); NaN matches NaN. */
export const expectClose = (x: Tracer, shape: readonly number[], expected: readonly number[], tol = 1e-12): void => {
  expect(x).toBeInstanceOf(ConcreteArray)
  expect([...x.shape]).toEqual([...shape])
  const got = vals(x)
  expect(got.length).toBe(expected.length)
  got.forEach((g, i) => {
    const e = expected[i]
    if (Number.isNaN(e)) expect(g, `element ${i}`).toBeNaN()
    else if (!Number.isFinite(e)) expect(g, `element ${i}`).toBe(e)
    else expect(Math.abs(g - e), `element ${i}: got ${g}, want ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)))
  })
}

/** Relative error with a floor of 1 in the denominator. */
export const relErr = (g: number, e: number): number => Math.abs(g - e) / Math.max(1, Math.abs(e))

/** Central finite differences of a scalar function of one array (float64). */
export const numGrad = (f: (x: ConcreteArray) => number, x: ConcreteArray, eps = 1e-6): number[] => {
  const base = Array.from(x.data)
  return base.map((_, i) => {
    const up = base.slice()
    const dn = base.slice()
    up[i] += eps
    dn[i] -= eps
    return (f(arr(up, x.shape)) - f(arr(dn, x.shape))) / (2 * eps)
  })
}

/** The jaxpr text of `f` traced at the avals of `args`. */
export const jaxprText = (f: (...xs: Tracer[]) => Tracer, ...args: Tracer[]): string =>
  printJaxpr(traceToJaxpr((...xs) => [f(...xs)], args.map((a) => a.aval)).jaxpr)
