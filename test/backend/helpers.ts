/**
 * Test helpers for the backend: one-equation jaxprs, running a jaxpr compiled or by the
 * reference interpreter, and bitwise comparison of typed arrays.
 */
import { expect } from 'vitest'
import '../../src'
import { ConcreteArray } from '../../src/core/array'
import { rulesOf } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import type { TypedArray } from '../../src/ir/dtypes'
import { Jaxpr, Var, makeEqn } from '../../src/ir/jaxpr'
import type { ParamsMap, PrimName } from '../../src/ir/params'
import { evalJaxpr } from '../../src/interpret/eval'
import { compileJaxpr } from '../../src/backend'

/** The jaxpr `{ lambda xs . let ys = prim[params] xs in ys }`. */
export const oneEqn = <P extends PrimName>(prim: P, xs: readonly ConcreteArray[], params: ParamsMap[P]): Jaxpr => {
  const ins = xs.map((x) => new Var(x.aval))
  const outs = rulesOf(prim).abstractEval(xs.map((x) => x.aval), params).map((a) => new Var(a))
  return new Jaxpr([], ins, [makeEqn(prim, ins, params, outs)], outs)
}

export const runCompiled = (j: Jaxpr, xs: readonly ConcreteArray[]): TypedArray[] => compileJaxpr(j).run(xs.map((x) => x.data))

export const runReference = (j: Jaxpr, xs: readonly ConcreteArray[]): TypedArray[] =>
  (evalJaxpr(j, [], xs as readonly Tracer[]) as ConcreteArray[]).map((y) => y.data)

/** null when equal bit for bit (NaN equals NaN, −0 differs from 0), else a description. */
export const bitwiseDiff = (got: TypedArray, want: TypedArray): string | null => {
  if (got.constructor !== want.constructor) return `array types differ: ${got.constructor.name} vs ${want.constructor.name}`
  if (got.length !== want.length) return `lengths differ: ${got.length} vs ${want.length}`
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) return `element ${i}: ${got[i]} vs ${want[i]}`
  }
  return null
}

/** Fails the test at the first of the outputs `got` that differs from `want` bit for bit. */
export const expectSameBits = (got: readonly TypedArray[], want: readonly TypedArray[], what: string): void => {
  expect(got.length).toBe(want.length)
  got.forEach((g, i) => {
    const d = bitwiseDiff(g, want[i])
    if (d !== null) expect.fail(`${what}, output ${i}: ${d}`)
  })
}

/** null when |got − want| ≤ atol + rtol·|want| everywhere (NaNs must match), else a description. */
export const closeDiff = (got: TypedArray, want: TypedArray, rtol: number, atol = 0): string | null => {
  if (got.length !== want.length) return `lengths differ: ${got.length} vs ${want.length}`
  for (let i = 0; i < got.length; i++) {
    const a = got[i]
    const b = want[i]
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return `element ${i}: ${a} vs ${b}`
      continue
    }
    if (Math.abs(a - b) > atol + rtol * Math.abs(b)) return `element ${i}: ${a} vs ${b} (rtol ${rtol})`
  }
  return null
}

/** float64 operands converted to float32 (others unchanged). */
export const toF32 = (xs: readonly ConcreteArray[]): ConcreteArray[] =>
  xs.map((x) => (x.dtype === 'float64' ? new ConcreteArray(Float32Array.from(x.data), x.shape, 'float32', x.weakType) : x))

/** n numbers in [lo, hi) from a fixed linear congruential sequence (reproducible inputs). */
export const seq = (n: number, seed: number, lo: number, hi: number): Float64Array => {
  const a = new Float64Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648
    a[i] = lo + ((hi - lo) * s) / 2147483648
  }
  return a
}

/** Distance in float32 units in the last place (0 when equal; NaNs must agree). */
export const ulps32 = (a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity
  const bits = (v: number): number => {
    const i = new Int32Array(Float32Array.of(v).buffer)[0]
    return i < 0 ? -(i & 0x7fffffff) : i
  }
  return Math.abs(bits(a) - bits(b))
}

/** The largest float32 ulp distance between two arrays. */
export const maxUlps = (got: TypedArray, want: TypedArray): number => {
  let m = 0
  for (let i = 0; i < want.length; i++) m = Math.max(m, ulps32(got[i], want[i]))
  return m
}

