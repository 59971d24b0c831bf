/**
 * Taylor mode: `jet`, `derivatives`, `taylorCoefficients` against 60-digit references
 * (test/fixtures/jet, mpmath) to order 10, against nested jvp through every higher-order
 * primitive, against JAX's jet on a 1,000-step simulation, composed with jit / vmap / grad,
 * the size of the jaxprs it stages, and its errors.
 */
import { describe, expect, it } from 'vitest'
import {
  type Array as Arr, DTypeError, ShapeError, TreeMismatchError, ValueError, checkpoint, customJvp, customVjp, derivatives, grad, jet, jit, jvp, lax,
  makeJaxpr, np, taylorCoefficients, vmap,
} from '../../src'
import fixtures from '../fixtures/jet/jet_fixtures.json'

const closeRel = (got: number, want: number, rtol: number, atol = 0): void => {
  if (!(Math.abs(got - want) <= atol + rtol * Math.abs(want))) {
    throw new Error(`got ${got}, want ${want} (rel ${Math.abs(got - want) / Math.abs(want)})`)
  }
}

/** k nested jvps of a scalar function along 1. */
const nestedJvp = (f: (x: Arr) => Arr, k: number): ((x: Arr) => Arr) => {
  let d = f
  for (let i = 0; i < k; i++) {
    const prev = d
    d = (x: Arr) => jvp(prev, [x], [np.onesLike(x)])[1]
  }
  return d
}

const FUNCS: Record<string, (x: Arr) => Arr> = {
  rational: (x) => np.divide(1, x.mul(x).add(1)),
  sinGauss: (x) => np.sin(x).mul(np.exp(x.mul(x).mul(-0.5))),
  tanh: (x) => np.tanh(x),
}

describe('derivatives to order 10 against 60-digit references', () => {
  for (const [name, f] of Object.entries(FUNCS)) {
    it(`${name}: all orders 0…10 at ${fixtures.points.length} points, 1e-10 relative`, () => {
      const refs = (fixtures.derivatives as Record<string, number[][]>)[name]
      fixtures.points.forEach((x, i) => {
        const got = derivatives(f, fixtures.order)(x).tolist() as number[]
        expect(got).toHaveLength(fixtures.order + 1)
        // Exact zeros (odd/even symmetry at 0) are met to a small absolute error.
        got.forEach((g, k) => closeRel(g, refs[i][k], 1e-10, refs[i][k] === 0 ? 1e-9 : 0))
      })
    })
  }
  it('taylorCoefficients are the derivatives divided by k!', () => {
    const d = derivatives(FUNCS.tanh, 6)(0.7).tolist() as number[]
    const c = taylorCoefficients(FUNCS.tanh, 6)(0.7).tolist() as number[]
    let fact = 1
    c.forEach((ck, k) => {
      if (k > 0) fact *= k
      closeRel(ck, d[k] / fact, 1e-14)
    })
  })
  it('derivatives along a direction of a vector input; output shape [order + 1, ...out.shape]', () => {
    const f = (x: Arr) => np.sin(x).mul(x.sum())
    const x = np.array([0.3, -0.5, 1.1])
    const v = np.array([1, 0.5, -2])
    const d = derivatives(f, 3)(x, v)
    expect(d.shape).toEqual([4, 3])
    const g = (t: Arr) => f(x.add(v.mul(t)))
    for (let k = 0; k <= 3; k++) {
      const want = nestedJvp(g, k)(np.array(0)).tolist() as number[]
      ;(d.tolist() as number[][])[k].forEach((got, i) => closeRel(got, want[i], 1e-12, 1e-14))
    }
  })
})

describe('jet: the convention of jax.experimental.jet', () => {
  it('exp along x(t) with derivative coefficients [1, 1, 0]: Faà di Bruno by hand', () => {
    // x(t) = x0 + t + t²/2; y = e^{x(t)}: y' = y x', y'' = y (x'² + x''), y''' = y (x'³ + 3 x' x'' + x''')
    const x0 = 0.3
    const [y, s] = jet(np.exp, [np.array(x0)], [[np.array(1), np.array(1), np.array(0)]])
    const e = Math.exp(x0)
    closeRel(y.item(), e, 1e-15)
    closeRel(s[0].item(), e, 1e-15)
    closeRel(s[1].item(), e * 2, 1e-15)
    closeRel(s[2].item(), e * 4, 1e-15)
  })
  it('pytrees in and out: series[i] lists K terms shaped like primals[i]; seriesOut lists K terms shaped like the output', () => {
    const f = (p: { a: Arr; b: Arr }, c: Arr) => ({ s: p.a.mul(p.b), t: [np.sin(c).add(p.a)] })
    const p = { a: np.array([1, 2]), b: np.array([3, 4]) }
    const c = np.array(0.5)
    const dp = { a: np.array([1, 0]), b: np.array([0, 1]) }
    const zp = { a: np.array([0, 0]), b: np.array([0, 0]) }
    const [y, s] = jet(f, [p, c], [[dp, zp], [np.array(1), np.array(0)]])
    expect(y.s.tolist()).toEqual([3, 8])
    expect(s).toHaveLength(2)
    // d/dt (a + t e0)(b + t e1) = [b0, a1] = [3, 2]; second derivative 2·e0·e1 = [0, 0]
    expect(s[0].s.tolist()).toEqual([3, 2])
    expect(s[1].s.tolist()).toEqual([0, 0])
    closeRel((s[0].t[0].tolist() as number[])[0], Math.cos(0.5) + 1, 1e-15)
    closeRel((s[1].t[0].tolist() as number[])[0], -Math.sin(0.5), 1e-15)
  })
  it('order 0: no series in, none out', () => {
    const [y, s] = jet(np.sin, [np.array(1)], [[]])
    closeRel(y.item(), Math.sin(1), 1e-15)
    expect(s).toEqual([])
  })
})

describe('jet through every higher-order primitive ≡ nested jvp', () => {
  const K = 4
  const check = (f: (x: Arr) => Arr, x0: number) => {
    const d = derivatives(f, K)(x0).tolist() as number[]
    for (let k = 0; k <= K; k++) closeRel(d[k], nestedJvp(f, k)(np.array(x0)).item(), 1e-10, 1e-12)
  }
  it('jit', () => check(jit((x: Arr) => np.sin(x).mul(np.exp(x))), 0.4))
  it('cond (the predicate has no series)', () => {
    check((x: Arr) => lax.cond(x.gt(0), (y: Arr) => np.tanh(y).mul(y), (y: Arr) => np.cos(y), x), 0.6)
    check((x: Arr) => lax.cond(x.gt(0), (y: Arr) => np.tanh(y).mul(y), (y: Arr) => np.cos(y), x), -0.6)
    check((x: Arr) => lax.switch(2, [(y: Arr) => y, (y: Arr) => y.mul(y), (y: Arr) => np.log1p(y.mul(y))], x), 0.9)
  })
  it('whileLoop (series in the carry) and foriLoop', () => {
    check((x: Arr) => lax.whileLoop(([i]: [Arr, Arr]) => i.lt(5), ([i, c]: [Arr, Arr]): [Arr, Arr] => [i.add(1), np.sin(c).mul(x).add(0.1)], [np.array(0, { dtype: 'int32' }), x] as [Arr, Arr])[1], 0.8)
    check((x: Arr) => lax.foriLoop(0, 7, (_i: Arr, c: Arr) => np.tanh(c.mul(x)).add(x), x), 0.3)
  })
  it('scan with xs and ys', () => {
    check((x: Arr) => {
      const [c, ys] = lax.scan((c: Arr, u: Arr): [Arr, Arr] => [c.mul(np.cos(u.mul(x))).add(u), np.sin(c)], x, np.array([0.1, 0.2, 0.3]).mul(x))
      return c.add(ys.sum())
    }, 0.7)
  })
  it('checkpoint', () => check(checkpoint((x: Arr) => np.exp(np.sin(x)).mul(x)), 0.2))
  it('customJvp and customVjp: a jet propagates through the primal body', () => {
    // A custom rule that is deliberately wrong past first order cannot define a jet; the body can.
    const f = customJvp((x: Arr) => np.sin(x).mul(x), ([x]: Arr[], [dx]: Arr[]) => [np.sin(x).mul(x), dx.mul(np.cos(x).mul(x).add(np.sin(x)))])
    const d = derivatives(f, 3)(0.5).tolist() as number[]
    // d³/dx³ x sin x = −x cos x − 3 sin x
    closeRel(d[3], -0.5 * Math.cos(0.5) - 3 * Math.sin(0.5), 1e-13)
    const g = customVjp((x: Arr) => np.exp(x.mul(2)), (x: Arr) => [np.exp(x.mul(2)), x], (x: Arr, ct: Arr) => [ct.mul(np.exp(x.mul(2))).mul(2)])
    const e = derivatives(g, 4)(0.1).tolist() as number[]
    closeRel(e[4], 16 * Math.exp(0.2), 1e-13)
  })
})

describe('a 1,000-step simulation: the 4th derivative w.r.t. a parameter', () => {
  const sim = fixtures.simulation
  const simulate = (theta: Arr): Arr => {
    const [c] = lax.scan(
      ([x, v]: [Arr, Arr]): [[Arr, Arr], null] => {
        const a = theta.mul(np.sin(x)).neg().sub(v.mul(0.3)).add(np.cos(x.mul(0.7)).mul(0.5))
        const v2 = v.add(a.mul(sim.dt))
        return [[x.add(v2.mul(sim.dt)), v2], null]
      },
      [np.array(sim.x0), np.array(sim.v0)] as [Arr, Arr],
      null,
      { length: sim.steps },
    )
    return c[0]
  }
  it('jet ≡ nested jvp (1e-10) ≡ JAX jet (1e-10)', () => {
    const d = derivatives(simulate, 4)(sim.theta).tolist() as number[]
    closeRel(d[0], sim.value, 1e-10)
    for (let k = 1; k <= 4; k++) {
      closeRel(d[k], nestedJvp(simulate, k)(np.array(sim.theta)).item(), 1e-10)
      closeRel(d[k], sim.derivatives[k - 1], 1e-10)
    }
  })
  it('stays one scan (the body is jetted once, not unrolled), and batches under vmap', () => {
    const j = makeJaxpr((t: Arr) => derivatives(simulate, 4)(t))(np.array(sim.theta)).jaxpr
    expect(j.eqns.filter((e) => e.prim === 'scan')).toHaveLength(1)
    expect(j.eqns.length).toBeLessThan(30)
    const thetas = [1.2, sim.theta]
    const batched = vmap((t: Arr) => derivatives(simulate, 2)(t))(np.array(thetas)).tolist() as number[][]
    closeRel(batched[1][2], sim.derivatives[1], 1e-10)
    closeRel(batched[0][1], (derivatives(simulate, 1)(1.2).tolist() as number[])[1], 1e-12)
  })
})

describe('composition', () => {
  const f = FUNCS.sinGauss
  it('jit(jet) ≡ jet', () => {
    const d = (x: Arr) => derivatives(f, 6)(x)
    const want = d(np.array(0.4)).tolist() as number[]
    ;(jit(d)(np.array(0.4)).tolist() as number[]).forEach((g, k) => closeRel(g, want[k], 1e-13))
  })
  it('vmap(jet) ≡ jet per point', () => {
    const xs = np.array([-0.3, 0.2, 1.4])
    const got = vmap((x: Arr) => derivatives(f, 5)(x))(xs).tolist() as number[][]
    ;[-0.3, 0.2, 1.4].forEach((x, i) => {
      const want = derivatives(f, 5)(x).tolist() as number[]
      got[i].forEach((g, k) => closeRel(g, want[k], 1e-13, 1e-15))
    })
  })
  it('grad of a function using jet: d/dx f⁽⁵⁾(x) = f⁽⁶⁾(x)', () => {
    const d5 = (x: Arr) => jet(f, [x], [[np.array(1), 0, 0, 0, 0].map((v) => np.array(v))])[1][4]
    const want = (fixtures.derivatives.sinGauss as number[][])[4][6] // x = 0.7
    closeRel(grad(d5)(np.array(0.7)).item(), want, 1e-10)
    closeRel(jit(grad(d5))(np.array(0.7)).item(), want, 1e-10)
  })
})

describe('the staged jet stays small', () => {
  it('equations grow no faster than K² (sin(x)·exp(−x²/2), K = 2 … 10)', () => {
    const count = (K: number) => makeJaxpr((x: Arr) => derivatives(FUNCS.sinGauss, K)(x))(np.array(0.5)).jaxpr.eqns.length
    const counts = [2, 4, 6, 8, 10].map(count)
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1])
    // K² would be a factor 25 from K = 2 to K = 10
    expect(counts[4]).toBeLessThanOrEqual(25 * counts[0])
  })
})

describe('errors', () => {
  it('series of different orders, a series that is not a list, the wrong structure or shape', () => {
    const f = (a: Arr, b: Arr) => a.mul(b)
    expect(() => jet(f, [np.array(1), np.array(2)], [[np.array(1)], [np.array(1), np.array(2)]])).toThrow(ValueError)
    expect(() => jet(f, [np.array(1), np.array(2)], [[np.array(1)]] as never)).toThrow(TreeMismatchError)
    expect(() => jet(f, [np.array(1), np.array(2)], [np.array(1), [np.array(1)]] as never)).toThrow(/series\[0\] must be a list/)
    expect(() => jet(np.sin, [np.array([1, 2])], [[np.array([1, 2, 3])]])).toThrow(ShapeError)
    // a term of the right shape but another dtype is a dtype error that says what to cast to
    expect(() => jet(np.sin, [np.array(1)], [[np.array(1, { dtype: 'float32' })]])).toThrow(DTypeError)
    expect(() => jvp(np.sin, [np.array(1)], [np.array(1, { dtype: 'float32' })])).toThrow(/astype\('float64'\)/)
  })
  it('derivatives: a negative order, a vector x without a direction, a direction of another shape', () => {
    expect(() => derivatives(np.sin, -1)(1)).toThrow(ValueError)
    expect(() => derivatives(np.sin, 2)(np.array([1, 2]))).toThrow(/pass a direction/)
    expect(() => derivatives(np.sin, 2)(np.array([1, 2]), np.array([1, 2, 3]))).toThrow(ShapeError)
  })
})
