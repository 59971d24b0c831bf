// Nested reverse mode stays small: grad⁽ᵏ⁾ staged by makeJaxpr has no more equations than JAX's
// (fixture: test/fixtures/nested/make_counts.py), and the values are the closed-form derivatives —
// staging-time CSE and folding must never change a value.
import { describe, expect, it } from 'vitest'
import { customJvp, grad, jit, makeJaxpr, np } from '../../src'
import type { NDArray } from '../../src'
import fixture from '../fixtures/nested/jax_nested_grad_counts.json'

type F = (x: NDArray) => NDArray
const FUNCTIONS: Record<string, F> = {
  sin: (x) => np.sin(x),
  tanh: (x) => np.tanh(x),
  exp: (x) => np.exp(x),
  x_sin: (x) => x.mul(np.sin(x)),
  sin_gauss: (x) => np.sin(x).mul(np.exp(x.neg().mul(x).div(2))),
}

const nestGrad = (f: F, k: number): F => {
  let g = f
  for (let i = 0; i < k; i++) g = grad(g) as F
  return g
}

// ---- closed forms of the k-th derivative -------------------------------------------------------
const sinK = (x: number, k: number): number => Math.sin(x + (k * Math.PI) / 2)
/** tanh⁽ᵏ⁾ = P_k(tanh x) with P_0 = t, P_{k+1} = P_k′·(1 − t²): integer polynomial coefficients. */
const tanhK = (x: number, k: number): number => {
  let p = [0, 1] // coefficients of t⁰, t¹, …
  for (let i = 0; i < k; i++) {
    const dp = p.slice(1).map((c, j) => c * (j + 1))
    const next = new Array<number>(dp.length + 2).fill(0)
    dp.forEach((c, j) => {
      next[j] += c
      next[j + 2] -= c
    })
    p = next
  }
  const t = Math.tanh(x)
  return p.reduceRight((acc, c) => acc * t + c, 0)
}
const binom = (n: number, k: number): number => (k === 0 ? 1 : (binom(n, k - 1) * (n - k + 1)) / k)
/** Probabilists' Hermite polynomials: (e^{−x²/2})⁽ⁿ⁾ = (−1)ⁿ Heₙ(x) e^{−x²/2}. */
const hermite = (n: number, x: number): number => {
  let [a, b] = [1, x]
  if (n === 0) return a
  for (let m = 1; m < n; m++) [a, b] = [b, x * b - m * a]
  return b
}
const CLOSED: Record<string, (x: number, k: number) => number> = {
  sin: sinK,
  tanh: tanhK,
  exp: (x) => Math.exp(x),
  x_sin: (x, k) => x * sinK(x, k) + k * sinK(x, k - 1),
  sin_gauss: (x, k) => {
    let s = 0
    for (let j = 0; j <= k; j++) s += binom(k, j) * sinK(x, j) * (-1) ** (k - j) * hermite(k - j, x) * Math.exp(-(x * x) / 2)
    return s
  },
}

describe('nested grad: no more equations than JAX', () => {
  const counts = fixture.counts as Record<string, number[]>
  for (const [name, f] of Object.entries(FUNCTIONS)) {
    it(`${name}: orders 1–8 against jax ${fixture.jax}`, () => {
      const ours = fixture.orders.map((k) => makeJaxpr(nestGrad(f, k))(1.0).jaxpr.eqns.length)
      ours.forEach((n, i) => expect(n, `order ${i + 1}: ${ours.join(' ')} vs JAX ${counts[name].join(' ')}`).toBeLessThanOrEqual(counts[name][i]))
    })
  }
  it('sin stays constant-size: sin and cos, each staged once', () => {
    const text = String(makeJaxpr(nestGrad(FUNCTIONS.sin, 8))(1.0))
    expect(text.match(/= sin a/g)?.length).toBe(1)
    expect(text.match(/= cos a/g)?.length).toBe(1)
  })
})

describe('nested grad: values are the closed-form derivatives', () => {
  for (const [name, f] of Object.entries(FUNCTIONS)) {
    it(`${name}: orders 1–8 at x = 0.7, eagerly and under jit`, () => {
      for (let k = 1; k <= 8; k++) {
        const want = CLOSED[name](0.7, k)
        const g = nestGrad(f, k)
        const tol = 1e-12 * Math.max(1, Math.abs(want)) * 2 ** k
        expect(Math.abs(g(np.array(0.7)).item() - want), `${name}^(${k})`).toBeLessThan(tol)
        expect(Math.abs(jit(g)(np.array(0.7)).item() - want), `jit ${name}^(${k})`).toBeLessThan(tol)
      }
    })
  }
})

describe('staging computes each value once, exactly', () => {
  it('a repeated equation is staged once', () => {
    const j = makeJaxpr((x: NDArray) => np.sin(x).add(np.sin(x)))(np.array([1, 2]))
    expect(j.jaxpr.eqns.map((e) => e.prim)).toEqual(['sin', 'add'])
  })
  it('x·1 and x/1 are x only where the aval is unchanged', () => {
    expect(makeJaxpr((x: NDArray) => x.mul(1).div(1))(np.array([1, 2])).jaxpr.eqns).toHaveLength(0)
    const ints = makeJaxpr((x: NDArray) => x.mul(np.array(1, { dtype: 'float32' })))(np.array([1, 2], { dtype: 'int32' }))
    expect(ints.jaxpr.outAvals[0].dtype).toBe('float32')
    expect(ints.jaxpr.eqns.length).toBeGreaterThan(0)
    const f32 = makeJaxpr((x: NDArray) => x.mul(np.array(1, { dtype: 'float64' })))(np.array([1, 2], { dtype: 'float32' }))
    expect(f32.jaxpr.outAvals[0].dtype).toBe('float64')
    expect(f32.jaxpr.eqns.length).toBeGreaterThan(0)
  })
  it('arithmetic on scalar constants is folded; -0 and NaN survive', () => {
    const j = makeJaxpr((x: NDArray) => x.add(np.array(2).mul(3)))(np.array([1, 2]))
    expect(j.jaxpr.eqns.map((e) => e.prim)).toEqual(['add'])
    expect(Object.is(jit((x: NDArray) => x.mul(1))(np.array(-0)).item(), -0)).toBe(true)
    expect(Number.isNaN(jit((x: NDArray) => x.mul(1).add(np.array(0).div(0)))(np.array(1)).item())).toBe(true)
  })
  it('two custom rules from one factory stay two rules', () => {
    const scaled = (c: number) => customJvp((x: NDArray) => np.sin(x), ([x], [dx]) => [np.sin(x), dx.mul(c)])
    const [a, b] = [scaled(2), scaled(3)]
    const g = grad((x: NDArray) => a(x).add(b(x)))
    expect(g(np.array(0.3)).item()).toBe(5)
    expect(jit(g)(np.array(0.3)).item()).toBe(5)
  })
})
