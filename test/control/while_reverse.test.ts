/**
 * Reverse mode through lax.whileLoop with { maxSteps }: gradients equal those of the same
 * computation written by hand as a bounded scan (a `cond` on a "running" flag in the carry),
 * under grad, vjp, jacrev, hvp, inside jit / cond / scan / checkpoint and under vmap with
 * per-lane trip counts; exceeding the bound is a MaxStepsExceededError in every evaluator.
 */
import { describe, expect, it } from 'vitest'
import {
  type Array as Arr, MaxStepsExceededError, NonDifferentiableError, checkpoint, grad, hvp, jacfwd, jacrev, jit, jvp, lax, makeJaxpr, np, vjp, vmap,
} from '../../src'
import type { ConcreteArray } from '../../src/core/array'
import { evalJaxpr } from '../../src/interpret/eval'
import { expectClose } from './agree'

/** A while loop written as a bounded scan by hand: the reference for the reverse-mode rules. */
const boundedScan = <C>(cond: (c: C) => Arr, body: (c: C) => C, init: C, maxSteps: number): C => {
  const step = (s: [Arr, C]): [[Arr, C], null] => {
    const next = lax.cond(s[0], (c: C) => { const b = body(c); return [cond(b), b] as [Arr, C] }, (c: C) => [np.array(false), c] as [Arr, C], s[1] as never)
    return [next as unknown as [Arr, C], null]
  }
  return lax.scan(step, [cond(init), init] as [Arr, C], null, { length: maxSteps })[0][1]
}

// Newton's iteration for x³ = a·x + b (a root near 2): x ← x − (x³ − a x − b)/(3x² − a), until |Δ| < 1e-14
type NC = [Arr, Arr]
const newtonParts = (a: Arr, b: Arr) => ({
  cond: (c: NC) => c[1].gt(1e-14),
  body: (c: NC): NC => {
    const x = c[0]
    const dx = x.mul(x).mul(x).sub(a.mul(x)).sub(b).div(x.mul(x).mul(3).sub(a))
    return [x.sub(dx), np.abs(dx)]
  },
})
const newtonWhile = (a: Arr, b: Arr, maxSteps = 40) => {
  const { cond, body } = newtonParts(a, b)
  return lax.whileLoop(cond, body, [np.array(2), np.array(1)] as NC, { maxSteps })[0]
}
const newtonScan = (a: Arr, b: Arr) => {
  const { cond, body } = newtonParts(a, b)
  return boundedScan(cond, body, [np.array(2), np.array(1)] as NC, 40)[0]
}

// An adaptive-step Euler integrator of y' = −k y (1 + y²) on [0, 1]: the step shrinks where y is large
type AC = { t: Arr; y: Arr; n: Arr }
const adaptiveParts = (k: Arr) => ({
  cond: (c: AC) => c.t.lt(1),
  body: (c: AC): AC => {
    const h = np.minimum(np.divide(0.05, np.add(1, c.y.mul(c.y).sum())), np.subtract(1, c.t))
    const dy = c.y.mul(k).mul(np.add(1, c.y.mul(c.y))).neg()
    return { t: c.t.add(h), y: c.y.add(dy.mul(h)), n: c.n.add(1) }
  },
})
const init = (y0: Arr): AC => ({ t: np.array(0), y: y0, n: np.array(0, { dtype: 'int32' }) })
const adaptiveWhile = (k: Arr, y0: Arr, maxSteps = 200) => {
  const { cond, body } = adaptiveParts(k)
  return lax.whileLoop(cond, body, init(y0), { maxSteps })
}
const adaptiveScan = (k: Arr, y0: Arr) => {
  const { cond, body } = adaptiveParts(k)
  return boundedScan(cond, body, init(y0), 200)
}
const loss = (o: AC) => o.y.mul(o.y).sum().add(o.t)

const a = np.array(1.5)
const b = np.array(3)
const k = np.array([0.7, 1.3])
const y0 = np.array([1.2, -0.4])

describe('whileLoop with maxSteps: reverse mode', () => {
  it('Newton iteration: grad equals the bounded scan and the implicit-function derivative', () => {
    const g = grad(newtonWhile, { argnums: [0, 1] })(a, b) as Arr[]
    const want = grad(newtonScan, { argnums: [0, 1] })(a, b) as Arr[]
    expectClose(g, want, 'grad', 0, 1e-12)
    // x³ − a x − b = 0 ⇒ dx/da = x / (3x² − a), dx/db = 1 / (3x² − a)
    const x = newtonWhile(a, b).item() as number
    expectClose(g, [np.array(x / (3 * x * x - 1.5)), np.array(1 / (3 * x * x - 1.5))], 'implicit', 1e-10, 1e-12)
  })
  it('adaptive-step loop: grad, vjp, jacrev and hvp equal the bounded scan', () => {
    const f = (kk: Arr, yy: Arr) => loss(adaptiveWhile(kk, yy))
    const fs = (kk: Arr, yy: Arr) => loss(adaptiveScan(kk, yy))
    expect(adaptiveWhile(k, y0).n.item()).toBeGreaterThan(15)
    expectClose(grad(f, { argnums: [0, 1] })(k, y0), grad(fs, { argnums: [0, 1] })(k, y0), 'grad', 0, 1e-12)
    expectClose(jacrev((kk: Arr) => adaptiveWhile(kk, y0).y)(k), jacrev((kk: Arr) => adaptiveScan(kk, y0).y)(k), 'jacrev', 0, 1e-12)
    expectClose(jacrev((kk: Arr) => adaptiveWhile(kk, y0).y)(k), jacfwd((kk: Arr) => adaptiveWhile(kk, y0).y)(k), 'jacrev vs jacfwd', 0, 1e-12)
    const [, pb] = vjp((kk: Arr) => adaptiveWhile(kk, y0).y, [k])
    const [, pbs] = vjp((kk: Arr) => adaptiveScan(kk, y0).y, [k])
    const ct = np.array([0.3, -2])
    expectClose(pb(ct), pbs(ct), 'vjp', 0, 1e-12)
    const v = np.array([1, -0.5])
    expectClose(hvp((kk: Arr) => f(kk, y0), [k], [v]), hvp((kk: Arr) => fs(kk, y0), [k], [v]), 'hvp', 0, 1e-12)
  })
  it('inside jit, cond, scan and checkpoint', () => {
    const f = (kk: Arr) => loss(adaptiveWhile(kk, y0))
    const want = grad((kk: Arr) => loss(adaptiveScan(kk, y0)))(k)
    expectClose(jit(grad(f))(k), want, 'jit(grad)', 0, 1e-12)
    expectClose(grad(jit(f))(k), want, 'grad(jit)', 0, 1e-12)
    expectClose(grad(checkpoint(f))(k), want, 'grad(checkpoint)', 0, 1e-12)
    expectClose(grad((kk: Arr) => lax.cond(kk.sum().gt(0), f, (z: Arr) => z.sum(), kk))(k), want, 'grad(cond)', 0, 1e-12)
    const twice = (kk: Arr): Arr => lax.scan((c: Arr, _x: null) => [c.add(f(kk)), null] as [Arr, null], np.array(0), null, { length: 2 })[0]
    expectClose(grad(twice)(k), want.mul(2), 'grad(scan)', 0, 1e-12)
  })
  it('vmap with per-lane trip counts, and forward mode still works', () => {
    const ks = np.array([[0.7, 1.3], [2, 0.1], [0.2, 0.2]])
    const f = (kk: Arr) => loss(adaptiveWhile(kk, y0))
    const lanes = [0, 1, 2].map((i) => grad(f)(np.take(ks, np.array(i, { dtype: 'int32' }), 0)))
    expectClose(vmap(grad(f))(ks), np.stack(lanes), 'vmap(grad)', 0, 1e-12)
    expectClose(jit(vmap(grad(f)))(ks), np.stack(lanes), 'jit(vmap(grad))', 0, 1e-12)
    expectClose(jvp(f, [k], [np.array([1, 0])])[1], (grad(f)(k).tolist() as number[])[0], 'jvp', 0, 1e-12)
  })
  it('the forward pass stops with the loop: a loop that ends at once is cheap under grad', () => {
    // 10⁹ allowed steps but the flag is false after 3: grad would never finish if it ran them
    const f = (x: Arr) => lax.whileLoop((c: [Arr, Arr]) => c[1].lt(3), (c: [Arr, Arr]) => [c[0].mul(x), c[1].add(1)] as [Arr, Arr], [np.array(1), np.array(0)] as [Arr, Arr], { maxSteps: 3 })[0]
    expect(grad(f)(np.array(2)).item()).toBe(12)
  })
})

describe('whileLoop with maxSteps: the bound', () => {
  const count = (x: Arr, maxSteps: number) => lax.whileLoop((c: Arr) => c.lt(10), (c: Arr) => c.add(1), x, { maxSteps })
  it('exactly maxSteps steps is allowed; one more is a MaxStepsExceededError, in every evaluator', () => {
    expect(count(np.array(0), 10).item()).toBe(10)
    expect(jit((x: Arr) => count(x, 10))(np.array(0)).item()).toBe(10)
    expect(grad((x: Arr) => count(x, 10))(np.array(0)).item()).toBe(1)
    const tooFew = (x: Arr) => count(x, 9)
    const calls: [string, () => unknown][] = [
      ['eager', () => tooFew(np.array(0))],
      ['jit', () => jit(tooFew)(np.array(0))],
      ['interpreter', () => {
        const j = makeJaxpr(tooFew)(np.array(0))
        return evalJaxpr(j.jaxpr, j.consts as never, [np.array(0) as unknown as ConcreteArray])
      }],
      ['grad', () => grad(tooFew)(np.array(0))],
      ['jit(grad)', () => jit(grad(tooFew))(np.array(0))],
      ['vmap(grad)', () => vmap(grad(tooFew))(np.array([5, 0]))],
      ['jvp', () => jvp(tooFew, [np.array(0)], [np.array(1)])],
    ]
    for (const [what, call] of calls) {
      let err: unknown
      try {
        call()
      } catch (e) {
        err = e
      }
      expect(err, what).toBeInstanceOf(MaxStepsExceededError)
      expect(String((err as Error).message), what).toMatch(/maxSteps = 9/)
    }
    expect(vmap(grad((x: Arr) => count(x, 9)))(np.array([5, 1])).tolist()).toEqual([1, 1])
  })
  it('without maxSteps, reverse mode is a NonDifferentiableError naming the option', () => {
    expect(() => grad((x: Arr) => lax.whileLoop((c: Arr) => c.lt(10), (c: Arr) => c.add(1), x))(np.array(0))).toThrow(NonDifferentiableError)
    expect(() => grad((x: Arr) => lax.whileLoop((c: Arr) => c.lt(10), (c: Arr) => c.add(1), x))(np.array(0))).toThrow(/maxSteps/)
  })
  it('bad options are clear errors', () => {
    expect(() => count(np.array(0), -1)).toThrow(/maxSteps must be a non-negative integer/)
    expect(() => lax.whileLoop((c: Arr) => c.lt(1), (c: Arr) => c.add(1), np.array(0), { checkpoint: 'sqrt' })).toThrow(/maxSteps/)
  })
})
