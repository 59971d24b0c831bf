/**
 * ode.solve: solutions against closed forms, dense output, convergence orders, the stiff
 * solver on POLLU against its published reference, pytree states and saveat.
 */
import { describe, expect, it } from 'vitest'
import * as L from '../../src'
import { np, ode, jit, lax } from '../../src'
import type { NDArray } from '../../src'
import { POLLU_K, POLLU_REF, POLLU_Y0, pollu } from '../../bench/baselines/ode'
import { dopri5, tsit5 } from '../../src/ode/tableaus'
import fixture from '../fixtures/ode/odeint.json'

const decay = (_t: NDArray, y: NDArray, k: NDArray) => y.mul(k).neg()
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-300) => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor))
  return m
}

describe('ode.solve on closed forms', () => {
  it.each(['tsit5', 'dopri5', 'rodas4'] as const)('%s: exponential decay y = y0 e^(−kt) within the tolerance', (solver) => {
    const r = ode.solve({ f: decay, y0: np.array([1, -2, 3]), t0: 0, t1: 3, args: np.array(0.9), solver, rtol: 1e-9, atol: 1e-12 })
    const exact = [1, -2, 3].map((v) => v * Math.exp(-2.7))
    expect(maxRel(r.ys.toTypedArray(), exact)).toBeLessThan(5e-8)
    expect(r.ts.item()).toBe(3)
    const s = r.stats
    expect(s.status.item()).toBe(0)
    expect(s.steps.item()).toBe(s.accepted.item() + s.rejected.item())
    expect(s.fevals.item()).toBeGreaterThan(s.steps.item())
  })

  it('harmonic oscillator with a pytree state and saveat: (cos t, −sin t)', () => {
    const ts = [0, 0.25, 1, 2.5, 4, 6]
    const r = ode.solve({
      f: (_t, s: { x: NDArray; v: NDArray }) => ({ x: s.v, v: s.x.neg() }),
      y0: { x: np.array(1), v: np.array(0) },
      t0: 0,
      t1: 6,
      saveat: { ts },
      rtol: 1e-10,
      atol: 1e-12,
    })
    expect(r.ys.x.shape).toEqual([6])
    expect(maxRel(r.ys.x.toTypedArray(), ts.map(Math.cos), 1)).toBeLessThan(1e-8)
    expect(maxRel(r.ys.v.toTypedArray(), ts.map((t) => -Math.sin(t)), 1)).toBeLessThan(1e-8)
    expect(r.ts.tolist()).toEqual(ts)
  })

  it('saveat reads the dense output: coarse steps, accurate values between them', () => {
    // few, long steps (rtol 1e-5), many save points: the interpolant is 4th order
    const ts = Array.from({ length: 41 }, (_, i) => i * 0.1)
    for (const solver of ['tsit5', 'dopri5'] as const) {
      const f = (_t: NDArray, y: NDArray) => np.concatenate([lax.slice(y, [1], [2]), lax.slice(y, [0], [1]).neg()])
      const r = ode.solve({ f, y0: np.array([0, 1]), t0: 0, t1: 4, saveat: { ts }, solver, rtol: 1e-5, atol: 1e-8 })
      expect(r.stats.accepted.item()).toBeLessThan(30)
      const ys = r.ys.tolist() as number[][]
      const err = Math.max(...ts.map((t, i) => Math.abs(ys[i][0] - Math.sin(t))))
      expect(err).toBeLessThan(2e-4)
    }
  })

  it('dense-output weights reduce to the method weights at θ = 1 and sum to θ', () => {
    for (const tab of [tsit5, dopri5]) {
      const at = (c: readonly number[], th: number) => c.reduce((a, x, p) => a + x * th ** p, 0)
      tab.dense?.forEach((c, i) => expect(at(c, 1)).toBeCloseTo(tab.b[i], 12))
      for (const th of [0.3, 0.7]) expect(tab.dense?.reduce((a, c) => a + at(c, th), 0)).toBeCloseTo(th, 12)
      expect(tab.e?.reduce((a, x) => a + x, 0)).toBeCloseTo(0, 14)
      tab.a.forEach((row, i) => expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(tab.c[i], 12))
    }
  })

  it.each([['euler', 1], ['heun', 2], ['rk4', 4]] as const)('%s converges with order %d', (solver, order) => {
    const err = (dt: number) => {
      const r = ode.solve({ f: (t, y: NDArray) => y.mul(np.cos(t)), y0: np.array(1), t0: 0, t1: 1, dt0: dt, solver })
      return Math.abs(r.ys.item() - Math.exp(Math.sin(1)))
    }
    const ratio = err(0.05) / err(0.025)
    expect(Math.log2(ratio)).toBeGreaterThan(order - 0.2)
    expect(Math.log2(ratio)).toBeLessThan(order + 0.3)
  })

  it('fixed-step solvers take ceil((t1 − t0)/dt0) steps, the last one shortened to end on t1', () => {
    const r = ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, args: 1, dt0: 0.3, solver: 'rk4' })
    expect(r.stats.steps.item()).toBe(4)
    expect(r.ts.item()).toBe(1)
  })

  it('rodas4 solves the stiff POLLU model to its published reference at t = 60', () => {
    const solveP = jit((k: NDArray) => ode.solve({ f: pollu(L), y0: np.array([...POLLU_Y0]), t0: 0, t1: 60, args: k, solver: 'rodas4', rtol: 1e-7, atol: 1e-12 }).ys)
    const y = solveP(np.array([...POLLU_K])).toTypedArray()
    // components above 1e-10 to 1e-6 relative; the tiny ones to 1e-12 absolute
    POLLU_REF.forEach((v, i) => expect(Math.abs(y[i] - v)).toBeLessThan(Math.max(1e-6 * Math.abs(v), 1e-12)))
    // the model's equations agree with scipy's Radau on them too (an independent check of the fixture)
    const radau = fixture.polluScipyRadau
    POLLU_REF.forEach((v, i) => expect(Math.abs(radau[i] - v)).toBeLessThan(Math.max(1e-6 * Math.abs(v), 1e-14)))
  }, 120_000)

  it('rodas4 takes large steps on a stiff linear problem where tsit5 needs thousands', () => {
    // y' = −1000 (y − cos t): stiff; the smooth solution ≈ cos t
    const f = (t: NDArray, y: NDArray) => y.sub(np.cos(t)).mul(-1000)
    const stiff = ode.solve({ f, y0: np.array(1), t0: 0, t1: 2, solver: 'rodas4', rtol: 1e-5, atol: 1e-8 })
    const exp = ode.solve({ f, y0: np.array(1), t0: 0, t1: 2, solver: 'tsit5', rtol: 1e-5, atol: 1e-8 })
    // tsit5 is held by stability (|hλ| ≲ 3.5, λ = −1000): ≳ 570 steps whatever the tolerance
    expect(exp.stats.steps.item()).toBeGreaterThan(500)
    expect(stiff.stats.steps.item()).toBeLessThan(exp.stats.steps.item() / 4)
    // exact: y = (1e6 cos t + 1e3 sin t)/(1e6 + 1) + C e^{−1000t}
    const exact = (1e6 * Math.cos(2) + 1e3 * Math.sin(2)) / (1e6 + 1)
    expect(Math.abs(stiff.ys.item() - exact)).toBeLessThan(1e-5)
  })

  it('a non-autonomous stiff problem uses ∂f/∂t: y′ = −50(y − t²) + 2t, y = t²', () => {
    const r = ode.solve({ f: (t, y: NDArray) => y.sub(t.mul(t)).mul(-50).add(t.mul(2)), y0: np.array(0), t0: 0, t1: 1, solver: 'rodas4', rtol: 1e-8, atol: 1e-10 })
    expect(Math.abs(r.ys.item() - 1)).toBeLessThan(1e-7)
  })

  it('float32 states stay float32', () => {
    const r = ode.solve({ f: (_t, y: NDArray) => y.neg(), y0: np.array([1, 2], { dtype: 'float32' }), t0: 0, t1: 1, rtol: 1e-5, atol: 1e-6 })
    expect(r.ys.dtype).toBe('float32')
    expect(Math.abs(r.ys.toTypedArray()[1] - 2 * Math.exp(-1))).toBeLessThan(1e-5)
  })

  it('ode.solvers lists every solver with its order and kind', () => {
    const names = ode.solvers.map((s) => s.name)
    expect(names).toEqual(expect.arrayContaining(['euler', 'heun', 'rk4', 'dopri5', 'tsit5', 'rodas4']))
    expect(ode.solvers.find((s) => s.name === 'rodas4')).toEqual({ name: 'rodas4', order: 4, adaptive: true, stiff: true })
    expect(ode.solvers.find((s) => s.name === 'tsit5')).toEqual({ name: 'tsit5', order: 5, adaptive: true, stiff: false })
    expect(ode.solvers.filter((s) => !s.adaptive).map((s) => s.name).sort()).toEqual(['euler', 'heun', 'rk4'])
  })
})

describe('ode.odeint', () => {
  const lv = (y: NDArray, _t: NDArray, p: NDArray) => {
    const [x, z] = [lax.slice(y, [0], [1]), lax.slice(y, [1], [2])]
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => lax.slice(p, [i], [i + 1]))
    return np.concatenate([a.mul(x).sub(b.mul(x).mul(z)), d.mul(x).mul(z).sub(c.mul(z))])
  }
  const F = fixture.lotkaVolterra

  it('matches jax.experimental.ode.odeint at every time of ts', () => {
    const ys = ode.odeint(lv, np.array(F.y0), F.ts, np.array(F.p), { rtol: 1e-10, atol: 1e-10 })
    expect(ys.shape).toEqual([11, 2])
    expect(maxRel(ys.toTypedArray(), F.ys.flat())).toBeLessThan(1e-7)
  })

  it('uses JAX defaults without options and accepts ts as an Array', () => {
    const ys = ode.odeint(lv, np.array(F.y0), np.array(F.ts), np.array(F.p))
    expect(maxRel(ys.toTypedArray(), F.ys.flat())).toBeLessThan(1e-6)
    // scalar state, extra args of several kinds
    const y = ode.odeint((y: NDArray, t: NDArray, a: NDArray, b: NDArray) => y.mul(a).add(t.mul(0)).mul(b), np.array(2), [0, 1, 2], np.array(-0.5), 2)
    expect(maxRel(y.toTypedArray(), [2, 2 * Math.exp(-1), 2 * Math.exp(-2)])).toBeLessThan(1e-7)
  })
})
