/**
 * Derivatives of special.* against mpmath (closed forms at 50 digits), JAX's values and
 * derivatives at edge points (poles, ±0, ±∞, NaN), and the transformations (jit, vmap,
 * float32, int inputs).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { grad, jit, special, vmap } from '../../src/index'
import { array } from '../../src/numpy/creation'
import type { Tracer } from '../../src/core/tracer'
import { type Table, d1, d2 } from './fixture'

type Fn = (x: Tracer) => Tracer
const unary: Record<string, Fn> = {
  erf: special.erf, erfc: special.erfc, erfinv: special.erfinv, ndtri: special.ndtri, ndtr: special.ndtr,
  gammaln: special.gammaln, digamma: special.digamma, gamma: special.gamma, i0e: special.i0e, i1e: special.i1e,
  logNdtr: special.logNdtr,
}
const relErr = (g: number, w: number): number => Math.abs(g - w) / Math.max(Math.abs(w), 1e-300)
const derivs = (f: Fn, t: Table, order: 1 | 2): number[] => {
  const g = order === 1 ? grad(f) : grad(grad(f))
  return (vmap(g)(array(t.x)) as Tracer).tolist() as number[]
}

describe('special: derivatives against mpmath', () => {
  for (const [name, t] of Object.entries(d1)) {
    it(`${name}′ at ${t.x.length} points, relative 1e-13`, () => {
      const got = derivs(unary[name], t, 1)
      got.forEach((g, i) => expect(relErr(g, t.y[i]), `${name}′(${t.x[i]}) = ${g}, want ${t.y[i]}`).toBeLessThanOrEqual(1e-13))
    })
  }
  for (const [name, t] of Object.entries(d2)) {
    it(`${name}″ at ${t.x.length} points, relative 1e-11`, () => {
      const got = derivs(unary[name], t, 2)
      got.forEach((g, i) => expect(relErr(g, t.y[i]), `${name}″(${t.x[i]}) = ${g}, want ${t.y[i]}`).toBeLessThanOrEqual(1e-11))
    })
  }
  it('third derivatives are closed forms too: gammaln‴ = ψ⁽²⁾', () => {
    const x = array([0.3, 1, 2.5, 7])
    const got = (vmap(grad(grad(grad(special.gammaln))))(x) as Tracer).tolist() as number[]
    const want = special.polygamma(2, x).tolist() as number[]
    got.forEach((g, i) => expect(relErr(g, want[i])).toBeLessThanOrEqual(1e-14))
  })
})

// ---- JAX edge semantics -------------------------------------------------------------------

interface Edge {
  x: string[]
  x2?: string[]
  y: string[]
  dy: string[]
  dy2?: string[]
}
const edges = JSON.parse(readFileSync(join(__dirname, '../fixtures/special/edges.json'), 'utf8')) as Record<string, Edge>
const num = (s: string): number => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : Number(s))
const same = (g: number, w: number): boolean =>
  Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= 1e-13 * Math.max(1, Math.abs(w)) && (w !== 0 || Object.is(g, w) || Object.is(g, -w))
const jaxName: Record<string, string> = { log_ndtr: 'logNdtr' }
/**
 * Derivatives where leibniz deliberately differs from JAX's autodiff at a pole or ±∞: JAX's
 * values there come from differentiating its implementation (NaN·0 patterns), leibniz's from the
 * closed-form rule (e.g. gammaln′ at a pole is digamma's NaN either way, but erfinv′(±1) = ∞).
 */
const DERIV_DIFFERENT = new Set([
  'gammaln@-inf', 'gammaln@-3.0', 'gammaln@-1.0', 'gammaln@-0.0', 'gammaln@0.0', 'digamma@-inf', 'digamma@-3.0', 'digamma@-1.0', 'digamma@0.0',
  'digamma@inf', 'gamma@-0.0', 'gamma@0.0', 'ndtri@0.0', 'ndtri@1.0', 'logNdtr@-inf', 'i1e@nan', 'logit@-1.0', 'logit@2.0', 'entr@-1.0', 'entr@inf',
  'erfinv@-1.0', 'gammaln@inf', 'gamma@inf', 'logNdtr@-10000000000.0', 'betaln@0.0', 'betaln@-1.0',
])

describe('special: values and derivatives at edge points match jax.scipy.special', () => {
  for (const [jname, e] of Object.entries(edges)) {
    const name = jaxName[jname] ?? jname
    const fn = (special as unknown as Record<string, (...a: Tracer[]) => Tracer>)[name]
    it(`${name}`, () => {
      const xs = e.x.map(num)
      const args = e.x2 ? [array(xs), array(e.x2.map(num))] : [array(xs)]
      const got = fn(...args).tolist() as number[]
      got.forEach((g, i) => expect(same(g, num(e.y[i])), `${name}(${e.x[i]}${e.x2 ? `, ${e.x2[i]}` : ''}) = ${g}, JAX ${e.y[i]}`).toBe(true))
      for (const [k, dy] of (e.dy2 ? [[0, e.dy], [1, e.dy2]] : [[0, e.dy]]) as [number, string[]][]) {
        xs.forEach((x, i) => {
          if (DERIV_DIFFERENT.has(`${name}@${e.x[i]}`)) return
          const g = grad((...a: Tracer[]) => fn(...a), { argnums: k })(...args.map((a) => a.tolist() as number[]).map((v) => array([v[i]]).reshape([])))
          expect(same((g as Tracer).item(), num(dy[i])), `∂${k} ${name}(${e.x[i]}${e.x2 ? `, ${e.x2[i]}` : ''}) = ${(g as Tracer).item()}, JAX ${dy[i]}`).toBe(true)
        })
      }
    })
  }
})

describe('special: transformations and dtypes', () => {
  it('jit and vmap give the eager values', () => {
    const x = array([0.1, 0.7, 1.9, 3.3])
    for (const f of [special.erf, special.gammaln, special.digamma, special.i0e, special.ndtri, special.logNdtr] as Fn[]) {
      const p = f === special.ndtri ? x.mul(0.25) : x
      const eager = f(p).tolist() as number[]
      expect(jit(f)(p).tolist()).toEqual(eager)
      expect((vmap(f)(p) as Tracer).tolist()).toEqual(eager)
    }
  })
  it('float32 in, float32 out, accurate to float32', () => {
    const x = array([0.3, 1.7, 4.2]).astype('float32')
    const x64 = x.astype('float64') // the same (float32) points, in float64
    for (const f of [special.erf, special.erfc, special.gammaln, special.digamma, special.i0e, special.logNdtr] as Fn[]) {
      const out = f(x)
      expect(out.dtype).toBe('float32')
      const ref = f(x64).tolist() as number[]
      ;(out.tolist() as number[]).forEach((v, i) => expect(relErr(v, ref[i])).toBeLessThanOrEqual(2 ** -24))
    }
  })
  it('int inputs become float64; JS numbers work', () => {
    expect(special.gammaln(array([5], { dtype: 'int32' })).dtype).toBe('float64')
    expect(special.gammaln(5).item()).toBeCloseTo(Math.log(24), 14)
    expect(special.xlogy(0, 0).item()).toBe(0)
    expect(special.betaln(2, 3).item()).toBeCloseTo(Math.log(1 / 12), 14)
  })
  it('polygamma rejects a non-integer order', () => {
    expect(() => special.polygamma(1.5, 1)).toThrow(/n must be a JS integer/)
  })
})
