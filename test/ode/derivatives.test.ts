/**
 * Derivatives through ode.solve (discretise, then differentiate: step-size control included):
 * jvp/jacfwd against analytic sensitivities of linear problems and against finite differences
 * of tightly solved problems; vmap over initial conditions and parameters; jit of all of it.
 */
import { describe, expect, it } from 'vitest'
import * as L from '../../src'
import { jacfwd, jit, jvp, np, ode, vmap } from '../../src'
import type { NDArray } from '../../src'
import { LV_PARAMS, LV_Y0, lotkaVolterra } from '../../bench/baselines/ode'
import fixture from '../fixtures/ode/odeint.json'

const decay = (_t: NDArray, y: NDArray, k: NDArray) => y.mul(k).neg()
const lv = lotkaVolterra(L)

const lvFinal = (p: NDArray, rtol = 1e-10, solver: ode.SolverName = 'tsit5') =>
  ode.solve({ f: lv, y0: np.array([...LV_Y0]), t0: 0, t1: 10, args: p, solver, rtol, atol: rtol }).ys

/** Central differences of a vector function of a vector, column by column. */
const fdJacobian = (f: (x: number[]) => number[], x: number[], h: number): number[][] => {
  const cols = x.map((_, j) => {
    const xp = x.slice()
    const xm = x.slice()
    xp[j] += h
    xm[j] -= h
    const fp = f(xp)
    const fm = f(xm)
    return fp.map((v, i) => (v - fm[i]) / (2 * h))
  })
  return cols[0].map((_, i) => cols.map((c) => c[i]))
}

describe('forward-mode derivatives of ode.solve', () => {
  it('linear problem: d/dk of y0 e^(−kt) is −t y0 e^(−kt), and d/dy0 is e^(−kt) (jvp)', () => {
    for (const solver of ['tsit5', 'dopri5', 'rodas4'] as const) {
      const F = (k: NDArray, y0: NDArray) => ode.solve({ f: decay, y0, t0: 0, t1: 2, args: k, solver, rtol: 1e-10, atol: 1e-12 }).ys
      const [y, dy] = jvp(F, [np.array(0.8), np.array([1, 3])], [np.array(1), np.array([0, 0])])
      const e = Math.exp(-1.6)
      expect(y.tolist()).toEqual([expect.closeTo(e, 9), expect.closeTo(3 * e, 9)])
      expect(dy.tolist()).toEqual([expect.closeTo(-2 * e, 7), expect.closeTo(-6 * e, 7)])
      const [, dy0] = jvp(F, [np.array(0.8), np.array([1, 3])], [np.array(0), np.array([1, 0])])
      // the step sizes depend on y0 too, so the second component moves at the level of the tolerance
      expect(dy0.tolist()).toEqual([expect.closeTo(e, 8), expect.closeTo(0, 8)])
    }
  })

  it('sensitivity to t1 is f(t1, y(t1)); to t0 it is −Φ f(t0, y0)', () => {
    const F = (t0: NDArray, t1: NDArray) => ode.solve({ f: decay, y0: np.array(2), t0, t1, args: np.array(0.5), rtol: 1e-10, atol: 1e-12 }).ys
    const [y, dy1] = jvp(F, [np.array(0), np.array(3)], [np.array(0), np.array(1)])
    expect(dy1.item()).toBeCloseTo(-0.5 * y.item(), 7)
    const [, dy0] = jvp(F, [np.array(0), np.array(3)], [np.array(1), np.array(0)])
    expect(dy0.item()).toBeCloseTo(0.5 * y.item(), 7)
  })

  it('Lotka–Volterra: jacfwd w.r.t. the 4 parameters matches JAX (odeint adjoint) and finite differences', () => {
    const J = jit(jacfwd((p: NDArray) => lvFinal(p)))(np.array([...LV_PARAMS]))
    expect(J.shape).toEqual([2, 4])
    const got = J.tolist() as number[][]
    const ref = fixture.lotkaVolterra.jacFinal
    ref.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(got[i][j] - v)).toBeLessThan(1e-6 * (1 + Math.abs(v)))))
    // finite differences of tightly solved problems (rtol 1e-12)
    const tight = jit((p: NDArray) => lvFinal(p, 1e-12))
    const plain = (p: number[]) => Array.from(tight(np.array(p)).toTypedArray())
    const fd = fdJacobian(plain, [...LV_PARAMS], 1e-5)
    fd.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(got[i][j] - v)).toBeLessThan(1e-5 * (1 + Math.abs(v)))))
  }, 60_000)

  it('rodas4 sensitivities (Jacobian by jacfwd and the inverse iteration matrix inside each step) match finite differences', () => {
    // van der Pol, μ = 5 (mildly stiff): d y(3) / d(μ, y0)
    const vdp = (_t: NDArray, y: NDArray, mu: NDArray) => {
      const [x, v] = [L.lax.slice(y, [0], [1]), L.lax.slice(y, [1], [2])]
      return np.concatenate([v, mu.mul(np.subtract(1, x.mul(x))).mul(v).sub(x)])
    }
    const F = (mu: NDArray, y0: NDArray, rtol = 1e-8) => ode.solve({ f: vdp, y0, t0: 0, t1: 3, args: mu, solver: 'rodas4', rtol, atol: rtol }).ys
    const [J] = jacfwd(F, { argnums: [0, 1] })(np.array(5), np.array([2, 0])) as [NDArray, NDArray]
    const tight = jit((mu: NDArray) => F(mu, np.array([2, 0]), 1e-12))
    const plain = (x: number[]) => Array.from(tight(np.array(x[0])).toTypedArray())
    const fd = fdJacobian(plain, [5], 1e-5)
    const got = J.tolist() as number[]
    fd.forEach((row, i) => expect(Math.abs(got[i] - row[0])).toBeLessThan(1e-4 * (1 + Math.abs(row[0]))))
  }, 60_000)

  it('fixed-step solvers differentiate exactly as their recurrences: rk4 on y′ = −ky', () => {
    // y_N = y0 R(−kh)^N with R(z) = 1 + z + z²/2 + z³/6 + z⁴/24; dy_N/dk = N y0 R^(N−1) R′(−kh) (−h)
    const h = 0.1
    const k = 0.7
    const z = -k * h
    const R = 1 + z + z ** 2 / 2 + z ** 3 / 6 + z ** 4 / 24
    const dR = 1 + z + z ** 2 / 2 + z ** 3 / 6
    const [y, dy] = jvp((kk: NDArray) => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, dt0: h, args: kk, solver: 'rk4' }).ys, [np.array(k)], [np.array(1)])
    expect(y.item()).toBeCloseTo(R ** 10, 12)
    expect(dy.item()).toBeCloseTo(10 * R ** 9 * dR * -h, 12)
  })
})

describe('vmap and jit through ode.solve', () => {
  it('vmap over initial conditions and over parameters equals solving one by one', () => {
    const F = (y0: NDArray, k: NDArray) => ode.solve({ f: decay, y0, t0: 0, t1: 1.5, args: k, rtol: 1e-8, atol: 1e-10 }).ys
    const y0s = np.array([[1, 2], [3, -1], [0.5, 0.25]])
    const ks = np.array([0.2, 1, 4])
    const batched = vmap(F)(y0s, ks).tolist() as number[][]
    const rows = y0s.tolist() as number[][]
    const kv = ks.tolist() as number[]
    rows.forEach((r, i) => {
      const one = F(np.array(r), np.array(kv[i])).tolist() as number[]
      one.forEach((v, j) => expect(batched[i][j]).toBeCloseTo(v, 8))
      r.forEach((v, j) => expect(batched[i][j]).toBeCloseTo(v * Math.exp(-1.5 * kv[i]), 7))
    })
    // parameters only (inAxes: null for y0)
    const byK = vmap(F, { inAxes: [null, 0] })(np.array([1, 1]), ks).tolist() as number[][]
    kv.forEach((kk, i) => expect(byK[i][0]).toBeCloseTo(Math.exp(-1.5 * kk), 7))
  })

  it('an ensemble: vmap of Lotka–Volterra over parameters, each lane with its own steps', () => {
    const ps = np.array([[1.5, 1, 3, 1], [1, 1, 1, 1], [2, 1, 2, 0.5]])
    const batched = vmap((p: NDArray) => lvFinal(p, 1e-8))(ps).tolist() as number[][]
    ;(ps.tolist() as number[][]).forEach((p, i) => {
      const one = lvFinal(np.array(p), 1e-8).tolist() as number[]
      one.forEach((v, j) => expect(batched[i][j]).toBeCloseTo(v, 9))
    })
  })

  it('jit(F), jit(jacfwd(F)) and vmap(jacfwd(F)) agree with eager', () => {
    const p = np.array([...LV_PARAMS])
    const eager = lvFinal(p, 1e-7).toTypedArray()
    expect(Array.from(jit((q: NDArray) => lvFinal(q, 1e-7))(p).toTypedArray())).toEqual(Array.from(eager).map((v) => expect.closeTo(v, 12)))
    const Je = jacfwd((q: NDArray) => lvFinal(q, 1e-7))(p).toTypedArray()
    const Jj = jit(jacfwd((q: NDArray) => lvFinal(q, 1e-7)))(p).toTypedArray()
    Array.from(Je).forEach((v, i) => expect(Jj[i]).toBeCloseTo(v, 9))
    const Jv = vmap(jacfwd((q: NDArray) => lvFinal(q, 1e-7)))(np.stack([p, p])).toTypedArray()
    Array.from(Je).forEach((v, i) => expect(Jv[i + 8]).toBeCloseTo(v, 9))
  }, 60_000)

  it('saveat outputs differentiate too: d y(t_i)/dk for every save time', () => {
    const ts = [0, 0.5, 1, 2]
    const F = (k: NDArray) => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 2, args: k, saveat: { ts }, rtol: 1e-10, atol: 1e-12 }).ys
    const d = jacfwd(F)(np.array(0.6)).tolist() as number[]
    ts.forEach((t, i) => expect(d[i]).toBeCloseTo(-t * Math.exp(-0.6 * t), 6))
  })
})

describe('reverse mode through ode.solve (the bounded while loop)', () => {
  it('jacrev equals jacfwd on the same solve call, with binomial checkpointing', () => {
    const p = np.array([...LV_PARAMS])
    const F = (checkpoint?: ode.CheckpointPolicy) => (q: NDArray) =>
      ode.solve({ f: lv, y0: np.array([...LV_Y0]), t0: 0, t1: 3, args: q, rtol: 1e-6, atol: 1e-6, maxSteps: 100, ...(checkpoint === undefined ? {} : { checkpoint }) }).ys
    const fwd = jacfwd(F())(p).toTypedArray()
    const rev = L.jacrev(F({ binomial: 4 }))(p).toTypedArray()
    Array.from(fwd).forEach((v, i) => expect(rev[i]).toBeCloseTo(v, 9))
  }, 120_000)

  it('rodas4 (stage solves with their own derivative rule): jacrev equals jacfwd, and the second derivative is d²/dk² y0 e^(−kt)', () => {
    const F = (k: NDArray) => ode.solve({ f: decay, y0: np.array([1, 3]), t0: 0, t1: 2, args: k, solver: 'rodas4', rtol: 1e-10, atol: 1e-12, maxSteps: 400 }).ys
    const fwd = jacfwd(F)(np.array(0.8)).toTypedArray()
    const rev = L.jacrev(F)(np.array(0.8)).toTypedArray()
    Array.from(fwd).forEach((v, i) => expect(rev[i]).toBeCloseTo(v, 10))
    // d²/dk² of y0 e^(−2k) is 4 y0 e^(−2k)
    const e = Math.exp(-1.6)
    const d2 = jacfwd(jacfwd(F))(np.array(0.8)).tolist() as number[]
    expect(d2).toEqual([expect.closeTo(4 * e, 6), expect.closeTo(12 * e, 6)])
  }, 120_000)

  it('grad of a loss over saved times: the analytic gradient of Σ (y0 e^(−k t_i) − d_i)²', () => {
    const ts = [0.5, 1, 1.5, 2]
    const data = ts.map((t) => 2 * Math.exp(-0.3 * t))
    const loss = (k: NDArray, y0: NDArray) => {
      const ys = ode.solve({ f: decay, y0, t0: 0, t1: 2, args: k, saveat: { ts }, rtol: 1e-10, atol: 1e-12, maxSteps: 200 }).ys
      return np.sum(np.square(ys.sub(np.array(data))))
    }
    const [value, [gk, gy0]] = L.valueAndGrad(loss, { argnums: [0, 1] })(np.array(0.5), np.array(1.5))
    const model = ts.map((t) => 1.5 * Math.exp(-0.5 * t))
    const r = model.map((m, i) => m - data[i])
    expect(value.item()).toBeCloseTo(r.reduce((a, x) => a + x * x, 0), 9)
    expect(gk.item()).toBeCloseTo(r.reduce((a, x, i) => a + 2 * x * -ts[i] * model[i], 0), 7)
    expect(gy0.item()).toBeCloseTo(r.reduce((a, x, i) => a + (2 * x * model[i]) / 1.5, 0), 7)
  }, 60_000)

  it('a solve that fails under grad gives a NaN gradient and its status (checkStats raises the error)', () => {
    const F = (k: NDArray) => {
      const r = ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 50, args: k, maxSteps: 3, rtol: 1e-10, atol: 1e-12 })
      return [np.sum(r.ys), r.stats] as const
    }
    const [[value, stats], g] = L.valueAndGrad(F, { hasAux: true })(np.array(0.5))
    expect(Number.isNaN(value.item())).toBe(true)
    expect(Number.isNaN(g.item())).toBe(true)
    expect(() => ode.checkStats(stats)).toThrow(L.MaxStepsExceededError)
  })
})
