/**
 * Parameter derivatives of the gamma family (implicit reparameterization) and the incomplete
 * gamma functions they rest on: special.gammainc / gammaincc and their derivatives against
 * JAX (test/fixtures/random/make_gamma_grad.py), sample derivatives against finite differences
 * of the CDF-inverted sample (same uniform, a ± h), the Monte Carlo identity
 * E[dx/da] = d E[x]/da, jit and vmap, and poisson's integer samples without a derivative.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { grad, jit, jvp, np, random, special, vmap } from '../../src/index'
import type { Tracer } from '../../src/core/tracer'
import { gammaSampleGrad, gammaincGradA } from '../../src/special/igamma'
import { mean, variance } from './helpers'

interface Tab {
  readonly a: string[]
  readonly x: string[]
  readonly P: string[]
  readonly Q: string[]
  readonly dPdx: string[]
  readonly dPda: string[]
  readonly dxda: string[]
}
const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/random/gamma_grad.json'), 'utf8')) as Record<'grid' | 'edges', Tab>
const num = (s: string): number => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : Number(s))
const list = (t: Tracer): number[] => t.tolist() as number[]
/** Relative error, with NaN and ±∞ required to match exactly. */
const relErr = (g: number, w: number): number =>
  Number.isNaN(w) ? (Number.isNaN(g) ? 0 : Infinity) : !Number.isFinite(w) ? (g === w ? 0 : Infinity) : Math.abs(g - w) / Math.max(Math.abs(w), 1e-300)

describe('special.gammainc / gammaincc against JAX (float64)', () => {
  for (const which of ['grid', 'edges'] as const) {
    const t = fx[which]
    const a = np.array(t.a.map(num))
    const x = np.array(t.x.map(num))
    const cases: [keyof Tab, () => Tracer][] = [
      ['P', () => special.gammainc(a, x)],
      ['Q', () => special.gammaincc(a, x)],
      ['dPdx', () => jit(vmap(grad((p: Tracer, q: Tracer) => special.gammainc(p, q), { argnums: 1 })))(a, x) as Tracer],
      ['dPda', () => gammaincGradA(a, x)],
      ['dxda', () => gammaSampleGrad(a, x)],
    ]
    for (const [k, f] of cases) {
      it(`${which}: ${k} at ${t.a.length} points (relative 1e-12; NaN and ∞ where JAX has them)`, () => {
        const got = list(f())
        got.forEach((g, i) => expect(relErr(g, num(t[k][i])), `${k}(a=${t.a[i]}, x=${t.x[i]}) = ${g}, want ${t[k][i]}`).toBeLessThanOrEqual(1e-12))
      })
    }
  }
  it('the a-derivative is the derivative of P: grad over a against a central difference', () => {
    const a = np.array([0.4, 2, 9])
    const x = np.array([0.7, 3.1, 6])
    const g = list(vmap(grad((p: Tracer, q: Tracer) => special.gammainc(p, q)))(a, x) as Tracer)
    const h = 1e-5
    const fd = list(special.gammainc(a.add(h), x).sub(special.gammainc(a.sub(h), x)).div(2 * h))
    g.forEach((v, i) => expect(relErr(v, fd[i])).toBeLessThan(1e-8))
    const gc = list(vmap(grad((p: Tracer, q: Tracer) => special.gammaincc(p, q)))(a, x) as Tracer)
    gc.forEach((v, i) => expect(v).toBeCloseTo(-g[i], 14))
  })
  it('second derivatives in every mode: ∂²P/∂a² and ∂²P/∂a∂x by grad of grad, against differences of the first', () => {
    const dA = (a: number, x: number) => grad((b: Tracer) => special.gammainc(b, x))(np.array(a)).item()
    const aa = grad(grad((b: Tracer) => special.gammainc(b, 1.5)))(np.array(2)).item()
    expect(relErr(aa, richardson((b) => dA(b, 1.5), 2, 1e-2))).toBeLessThan(1e-8)
    const ax = grad((x: Tracer) => grad((b: Tracer) => special.gammainc(b, x))(np.array(2)) as Tracer)(np.array(1.5)).item()
    expect(relErr(ax, richardson((x) => dA(2, x), 1.5, 1e-2))).toBeLessThan(1e-8)
  })
  it('float32 in, float32 out; ints become float64', () => {
    expect(special.gammainc(np.array([1, 2], { dtype: 'float32' }), 1).dtype).toBe('float32')
    const v = special.gammainc(np.array([1, 2], { dtype: 'int32' }), 1)
    expect(v.dtype).toBe('float64')
    expect(relErr(list(v)[0], 1 - Math.exp(-1))).toBeLessThan(1e-15)
  })
})

const P = jit((a: Tracer, x: Tracer) => special.gammainc(a, x))
const logDensity = jit((a: Tracer, x: Tracer) => a.sub(1).mul(x.log()).sub(x).sub(special.gammaln(a)))

/** The x with P(a, x) = u, by Newton's method from x0 (float64; steps at most ×¼ downwards). */
const invertCdf = (a: number, u: number, x0: number): number => {
  let x = x0
  for (let i = 0; i < 60; i++) {
    const [ta, tx] = [np.array(a), np.array(x)]
    const step = (P(ta, tx).item() - u) / Math.exp(logDensity(ta, tx).item())
    x = Math.max(x - step, x / 4)
    if (Math.abs(step) <= 1e-15 * x) break
  }
  return x
}
/** d/da of a function by central differences with one Richardson step (error O(h⁴)). */
const richardson = (f: (a: number) => number, a: number, h: number): number => {
  const d = (s: number) => (f(a + s) - f(a - s)) / (2 * s)
  return (4 * d(h / 2) - d(h)) / 3
}

describe('random.gamma: derivative with respect to a (implicit reparameterization)', () => {
  const key = random.key(7)
  const as = [0.05, 0.3, 1, 4.5, 30, 250]
  const a = np.array(as)
  const sample = (p: Tracer) => random.gamma(key, p)
  const xs = list(sample(a))
  const g = list(grad((p: Tracer) => sample(p).sum())(a) as Tracer)

  it('against central differences of the CDF-inverted sample (same uniform, a ± h)', () => {
    as.forEach((ai, i) => {
      const u = P(np.array(ai), np.array(xs[i])).item()
      const fd = richardson((b) => invertCdf(b, u, xs[i]), ai, 1e-3 * ai)
      expect(relErr(g[i], fd), `a = ${ai}, x = ${xs[i]}: ${g[i]} vs ${fd}`).toBeLessThan(1e-7)
    })
  })
  it('equals JAX-semantics random_gamma_grad at the sample; the sample itself is unchanged', () => {
    expect(list(gammaSampleGrad(a, np.array(xs)))).toEqual(g)
    expect(list(random.gamma(key, np.array(as).mul(1)))).toEqual(xs)
  })
  it('Monte Carlo: E[dx/da] = d E[x]/da = 1 within 5σ/√n (a = 0.7 and 6)', () => {
    const n = 4000
    for (const [ai, k] of [[0.7, 11], [6, 12]] as const) {
      const d = list(grad((p: Tracer) => random.gamma(random.key(k), p).sum())(np.full([n], ai)) as Tracer)
      expect(Math.abs(mean(d) - 1)).toBeLessThanOrEqual((5 * Math.sqrt(variance(d))) / Math.sqrt(n))
    }
  })
  it('beta and dirichlet differentiate: E[∂X/∂a] = b/(a + b)² and E[∂X₀/∂α₀] = (S − α₀)/S² (Monte Carlo, 5σ/√n)', () => {
    const n = 4000
    const da = list(grad((p: Tracer) => random.beta(random.key(21), p, 3).sum())(np.full([n], 2)) as Tracer)
    expect(Math.abs(mean(da) - 3 / 25)).toBeLessThanOrEqual((5 * Math.sqrt(variance(da))) / Math.sqrt(n))
    const alpha = np.array([1.5, 2, 0.5])
    const keys = random.split(random.key(22), n)
    const per = vmap((k: Tracer) => grad((al: Tracer) => first(random.dirichlet(k, al)))(alpha) as Tracer)(keys) as Tracer
    const d0 = (per.tolist() as number[][]).map((row) => row[0])
    expect(Math.abs(mean(d0) - (4 - 1.5) / 16)).toBeLessThanOrEqual((5 * Math.sqrt(variance(d0))) / Math.sqrt(n))
  })
  it('jit and vmap over keys give the eager derivative', () => {
    const f = (k: Tracer, p: Tracer) => grad((q: Tracer) => random.gamma(k, q).sum())(p) as Tracer
    expect(list(jit(f)(key, a))).toEqual(g)
    const keys = random.split(random.key(3), 2)
    const batched = (vmap(f, { inAxes: [0, null] })(keys, a) as Tracer).tolist() as number[][]
    batched.forEach((row, i) => expect(row).toEqual(list(f(keyRow(keys, i), a))))
  })
  it('second derivative (forward over reverse): the derivative of dx/da along the CDF-inverted sample', () => {
    const ai = 2.2
    const k = random.key(5)
    const d1 = (p: Tracer) => grad((q: Tracer) => random.gamma(k, q))(p) as Tracer
    const [, d2] = jvp(d1, [np.array(ai)], [np.array(1)]) as [Tracer, Tracer]
    const x = random.gamma(k, ai).item()
    const u = P(np.array(ai), np.array(x)).item()
    // dx/da as a function of a with u held fixed: g(a, F⁻¹(u; a))
    const dxda = (b: number) => gammaSampleGrad(np.array(b), np.array(invertCdf(b, u, x))).item()
    expect(relErr(d2.item(), richardson(dxda, ai, 1e-3))).toBeLessThan(1e-7)
  })
})

const first = (x: Tracer): Tracer => np.take(x, 0, 0)
const keyRow = (keys: Tracer, i: number): Tracer => np.take(keys, i, 0)

describe('random.poisson: integer samples, no derivative (as JAX)', () => {
  it('int32 counts; the gradient with respect to lam is zero', () => {
    const lam = np.array([0.5, 4, 40])
    const k = random.key(9)
    expect(random.poisson(k, lam).dtype).toBe('int32')
    const g = list(grad((l: Tracer) => random.poisson(k, l).astype('float64').sum())(lam) as Tracer)
    expect(g).toEqual([0, 0, 0])
  })
})
