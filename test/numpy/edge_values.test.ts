/**
 * Values and derivatives at the edges, against closed forms and 40-digit references
 * (test/numpy/edge_values_constants.py). Arrays of 300 elements run through the compiled
 * kernels, 1-element ones through the impls: both must give these values.
 */
import { describe, expect, it } from 'vitest'
import { np, grad, jit } from '../../src'
import type { Array } from '../../src'

const at = (f: (x: Array) => Array, v: number): number => f(np.array(v)).item()
/** f at v eagerly on one element, eagerly on 300 copies (kernels), and under jit. */
const routes = (f: (x: Array) => Array, v: number): number[] => [
  at(f, v),
  (f(np.full([300], v)).tolist() as number[])[299],
  (jit(f)(np.full([300], v)).tolist() as number[])[7],
]
const ulps = (got: number, want: number) => Math.abs(got - want) / (Math.abs(want) * 2 ** -52)

describe('arcsinh, arccosh', () => {
  it('grad(arcsinh)(0) = 1 (no sign(x)·f(|x|)), and 1/√(x²+1) elsewhere', () => {
    expect(at(grad(np.arcsinh), 0)).toBe(1)
    for (const v of [-3, -0.5, 0.25, 2, 1e5]) expect(ulps(at(grad(np.arcsinh), v), 1 / Math.sqrt(v * v + 1))).toBeLessThanOrEqual(2)
    expect(at(grad(grad(np.arcsinh)), 0)).toBe(0) // −x/(x²+1)^{3/2}
    for (const v of [1e300, -1e300, 1e10]) expect(ulps(at(grad(np.arcsinh), v), 1 / Math.abs(v))).toBeLessThanOrEqual(1)
  })
  it('values: finite at ±1e300, accurate in between', () => {
    for (const r of routes(np.arcsinh, 1e300)) expect(r).toBe(691.4686750787736)
    for (const r of routes(np.arcsinh, -1e300)) expect(r).toBe(-691.4686750787736)
    for (const r of routes(np.arccosh, 1e300)) expect(r).toBe(691.4686750787736)
    const refs: [(x: Array) => Array, number, number][] = [
      [np.arcsinh, 0.5, 0.4812118250596034474977589134243684231352],
      [np.arcsinh, -3, -1.818446459232066823483698963560708993786],
      [np.arcsinh, 3e8, 20.21244021318042047573418677363339369974],
      [np.arccosh, 3, 1.762747174039086050465218649959584618056],
    ]
    for (const [f, v, want] of refs) for (const r of routes(f, v)) expect(ulps(r, want)).toBeLessThanOrEqual(2)
    expect(at(np.arcsinh, 0)).toBe(0)
    expect(Object.is(at(np.arcsinh, -0), -0) || at(np.arcsinh, -0) === 0).toBe(true)
    expect(at(np.arccosh, 1)).toBe(0)
    expect(at(np.arccosh, 0.5)).toBeNaN()
  })
  it('gradients stay finite where the other branch would overflow', () => {
    expect(at(grad(np.arccosh), 1e300)).toBe(1e-300)
    expect(ulps(at(grad(np.arccosh), 3), 1 / Math.sqrt(8))).toBeLessThanOrEqual(2)
  })
})

describe('exp2, log2, log10 are exact at exact powers (as NumPy)', () => {
  it('exp2', () => {
    for (const r of routes(np.exp2, 3)) expect(r).toBe(8)
    for (const r of routes(np.exp2, 1024)) expect(r).toBe(Infinity)
    for (const r of routes(np.exp2, -1074)) expect(r).toBe(5e-324)
    const ks = globalThis.Array.from({ length: 2098 }, (_, i) => i - 1074)
    const got = np.exp2(np.array(ks)).tolist() as number[]
    expect(ks.filter((k, i) => got[i] !== 2 ** k)).toEqual([])
    expect(ulps(at(grad(np.exp2), 3), 8 * Math.LN2)).toBeLessThanOrEqual(1)
  })
  it('log2 and log10, with derivatives 1/(x ln b)', () => {
    for (const r of routes((x) => np.floor(np.log10(x)), 1000)) expect(r).toBe(3)
    for (const r of routes(np.log10, 1000)) expect(r).toBe(3)
    const ns = globalThis.Array.from({ length: 617 }, (_, i) => i - 308)
    const l10 = np.log10(np.array(ns.map((n) => Number(`1e${n}`)))).tolist() as number[]
    expect(ns.filter((n, i) => l10[i] !== n)).toEqual([])
    const ks = globalThis.Array.from({ length: 2098 }, (_, i) => i - 1074)
    const l2 = np.log2(np.array(ks.map((k) => 2 ** k))).tolist() as number[]
    expect(ks.filter((k, i) => l2[i] !== k)).toEqual([])
    expect(ulps(at(grad(np.log10), 1000), 1 / (1000 * Math.LN10))).toBeLessThanOrEqual(2)
    expect(ulps(at(grad(np.log2), 8), 1 / (8 * Math.LN2))).toBeLessThanOrEqual(2)
    // away from powers: within an ulp or two of the correctly rounded Math.log10 / log2
    for (const v of [3, 0.07, 12345.678, 1e-200]) {
      expect(ulps(at(np.log10, v), Math.log10(v))).toBeLessThanOrEqual(2)
      expect(ulps(at(np.log2, v), Math.log2(v))).toBeLessThanOrEqual(2)
    }
    // float32 too (snapped within 4 float32 ulps), eagerly and in the kernels
    for (const n of [1, 2 ** 28]) {
      const x = np.full([n === 1 ? 1 : 300], 1000, { dtype: 'float32' })
      expect((np.log10(x).tolist() as number[])[0]).toBe(3)
      expect((np.log2(x.mul(0).add(1024)).tolist() as number[])[0]).toBe(10)
      expect((np.exp2(x.mul(0).add(7)).tolist() as number[])[0]).toBe(128)
    }
    expect(at(np.log10, 0)).toBe(-Infinity)
    expect(at(np.log10, Infinity)).toBe(Infinity)
    expect(at(np.log2, -1)).toBeNaN()
  })
})
