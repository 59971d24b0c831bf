/**
 * Jet rules not covered by the registry-wide law (test/laws/registry.test.ts runs jet ≡ nested
 * jvp over every differentiable primitive): integer-valued primitives give zero series, the
 * linearization of a customVjp function fails as it does without jet, and jetFromJvp
 * agrees with a direct rule to order 8.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, NonDifferentiableError, customVjp, derivatives, jet, linearize, np } from '../../src'
import { bind } from '../../src/core/tracer'
import type { Tracer } from '../../src/core/tracer'
import { JET_RULES, jetFromJvp } from '../../src/jet'
import '../../src/transforms/jet'

describe('integer-valued primitives: zero series', () => {
  const x = np.array([0.4, -1.6, 2.5])
  const cases: [string, (x: Arr) => Arr][] = [
    ['floor', np.floor], ['ceil', np.ceil], ['round', np.round], ['sign', np.sign],
    ['stopGradient', (x) => np.exp(x).mul(0).add(bind('stop_gradient', [x], {})[0] as Arr)],
    ['lt → float', (x) => x.lt(0).astype('float64')],
    ['argmax → float', (x) => np.argmax(x).astype('float64')],
  ]
  for (const [name, f] of cases) {
    it(name, () => {
      const [y, s] = jet(f, [x], [[np.ones([3]), np.ones([3])]])
      expect(y.tolist()).toEqual(f(x).tolist())
      for (const t of s) expect(t.tolist()).toEqual(np.zerosLike(f(x)).tolist())
    })
  }
})

describe('custom_vjp_lin: the linearization of a customVjp function', () => {
  it('has no forward evaluation, under jet as without it: the same named error', () => {
    const f = customVjp((x: Arr) => np.sin(x), (x: Arr) => [np.sin(x), np.cos(x)], (c: Arr, ct: Arr) => [ct.mul(c)])
    const [, fLin] = linearize(f, [np.array([0.3, 0.9])])
    const t1 = np.array([1, 2])
    expect(() => fLin(t1)).toThrow(NonDifferentiableError)
    expect(() => jet(fLin, [t1], [[t1, t1]])).toThrow(NonDifferentiableError)
  })
})

describe('jetFromJvp', () => {
  it('derived rules equal the direct recurrences (tanh, exp, sin, log, mul, div) to order 8', () => {
    const K = 8
    for (const prim of ['tanh', 'exp', 'sin', 'log', 'mul', 'div'] as const) {
      const derived = jetFromJvp(prim)
      const direct = JET_RULES[prim]
      const xs: Tracer[] = [np.array(0.7), np.array(1.3)].slice(0, prim === 'mul' || prim === 'div' ? 2 : 1)
      const series = xs.map((_, i) => Array.from({ length: K }, (_, k) => np.array((i + 1) * 0.3 / (k + 1))))
      // Rules run eagerly on concrete arrays outside any trace, like any code written with primitives.
      const run = (rule: typeof derived) => rule(xs, series, {} as never, K)[1][0].map((c) => (c as Arr).item())
      const a = run(derived)
      const b = run(direct as typeof derived)
      a.forEach((v, k) => expect(Math.abs(v - b[k])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b[k]))))
    }
  })
  it('a derived rule is a one-line rule for a new primitive: tanh through it matches the closed form', () => {
    // d²/dx² tanh = −2 tanh (1 − tanh²)
    const t = Math.tanh(0.4)
    const d = derivatives(np.tanh, 2)(0.4).tolist() as number[]
    expect(Math.abs(d[2] + 2 * t * (1 - t * t))).toBeLessThan(1e-15)
  })
})
