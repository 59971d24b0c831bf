/**
 * ode.solve's named errors, eagerly and under transformations (status codes), and terminal
 * events with a differentiable event time.
 */
import { describe, expect, it } from 'vitest'
import {
  DTypeError, MaxStepsExceededError, NonFiniteStateError, ShapeError, StepSizeUnderflowError, TreeMismatchError, ValueError,
  jacfwd, jit, jvp, lax, np, ode, vmap,
} from '../../src'
import type { NDArray } from '../../src'

const decay = (_t: NDArray, y: NDArray) => y.neg()

describe('ode.solve errors', () => {
  it('too many steps: MaxStepsExceededError naming the time reached', () => {
    const run = () => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 100, maxSteps: 5, rtol: 1e-10, atol: 1e-12 })
    expect(run).toThrow(MaxStepsExceededError)
    expect(run).toThrow(/maxSteps.*t = \d/)
  })

  it('a finite-time blow-up: y′ = y², y(0) = 1 has y → ∞ at t = 1', () => {
    // adaptive: the steps shrink towards the singularity until they no longer advance t
    const adaptive = () => ode.solve({ f: (_t, y: NDArray) => y.mul(y), y0: np.array(1), t0: 0, t1: 2, maxSteps: 100000 })
    expect(adaptive).toThrow(StepSizeUnderflowError)
    expect(adaptive).toThrow(/t = (0\.99|1\.0)/)
    // fixed step: Euler's y ← y + 0.1 y² overflows to Infinity by step 22
    const fixed = () => ode.solve({ f: (_t, y: NDArray) => y.mul(y), y0: np.array(1), t0: 0, t1: 3, dt0: 0.1, solver: 'euler' })
    expect(fixed).toThrow(NonFiniteStateError)
  })

  it('NaN from f: NonFiniteStateError with the time', () => {
    const f = (t: NDArray, y: NDArray) => np.where(t.gt(0.5), NaN, y.neg())
    expect(() => ode.solve({ f, y0: np.array(1), t0: 0, t1: 1, dt0: 0.1, solver: 'rk4' })).toThrow(/NaN or infinite at t = 0\.[45]/)
    expect(() => ode.solve({ f: () => np.array(NaN), y0: np.array(1), t0: 0, t1: 1 })).toThrow(NonFiniteStateError)
  })

  it('f returning the wrong shape, dtype or structure is a named error at trace time', () => {
    expect(() => ode.solve({ f: () => np.zeros([3]), y0: np.array([1, 2]), t0: 0, t1: 1 })).toThrow(ShapeError)
    expect(() => ode.solve({ f: () => np.zeros([2], { dtype: 'float32' }), y0: np.array([1, 2]), t0: 0, t1: 1 })).toThrow(DTypeError)
    expect(() => ode.solve({ f: () => np.zeros([2], { dtype: 'float32' }), y0: np.array([1, 2]), t0: 0, t1: 1 })).toThrow(/astype\('float64'\)/)
    expect(() => ode.solve({ f: (_t, y: { a: NDArray }) => [y.a] as never, y0: { a: np.array(1) }, t0: 0, t1: 1 })).toThrow(TreeMismatchError)
  })

  it('bad options are ValueErrors', () => {
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, solver: 'rk45' as never })).toThrow(/unknown solver 'rk45'/)
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, solver: 'rk4' })).toThrow(/needs a step size dt0/)
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 1, t1: 0 })).toThrow(ValueError)
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, rtol: -1 })).toThrow(ValueError)
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, saveat: { ts: [0, 2] } })).toThrow(/within \[t0, t1\]/)
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, saveat: { ts: [0.5, 0.2] } })).toThrow(/non-decreasing/)
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, maxstep: 3 } as never)).toThrow(/unknown option 'maxstep' \(did you mean 'maxSteps'\?\)/)
    expect(() => ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, rtoll: 3 } as never)).toThrow(ValueError)
  })

  it('odeint: a misspelled option is an error, not one more argument passed to f', () => {
    const f = (y: NDArray, _t: NDArray, k: NDArray) => y.mul(k).neg()
    expect(() => ode.odeint(f, np.array(1), [0, 1], np.array(2), { rtoll: 1e-3 } as never)).toThrow(/ode\.odeint options: unknown option 'rtoll' \(did you mean 'rtol'\?\)/)
    expect(() => ode.odeint(f, np.array(1), [0, 1], np.array(2), { rtol: 1e-9, mxsteps: 10 } as never)).toThrow(/did you mean 'mxstep'/)
    // an argument that is a plain object of numbers with other names is still an argument
    const g = (y: NDArray, _t: NDArray, p: { k: NDArray }) => y.mul(p.k).neg()
    expect(ode.odeint(g, np.array(1), [0, 1], { k: 2 } as never).tolist()).toEqual(ode.odeint(f, np.array(1), [0, 1], np.array(2)).tolist())
  })

  it('under jit the failure is a status (the state NaN), and checkStats raises the named error', () => {
    const F = jit((t1: NDArray) => {
      const r = ode.solve({ f: decay, y0: np.array(1), t0: 0, t1, maxSteps: 5, rtol: 1e-10, atol: 1e-12 })
      return [r.ys, r.stats] as const
    })
    const [y, stats] = F(np.array(100))
    expect(stats.status.item()).toBe(ode.SolveStatus.maxSteps)
    expect(Number.isNaN(y.item())).toBe(true)
    expect(() => ode.checkStats(stats)).toThrow(MaxStepsExceededError)
    const [y2, ok] = F(np.array(0.001))
    expect(ok.status.item()).toBe(0)
    expect(() => ode.checkStats(ok)).not.toThrow()
    expect(y2.item()).toBeCloseTo(Math.exp(-0.001), 10)
  })

  it('throwOnError: false returns the status eagerly instead of throwing', () => {
    const r = ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 100, maxSteps: 5, throwOnError: false })
    expect(r.stats.status.item()).toBe(ode.SolveStatus.maxSteps)
    expect(r.stats.steps.item()).toBe(5)
  })
})

describe('terminal events', () => {
  // a ball dropped from height h: x″ = −g; it lands at t* = sqrt(2h/g)
  const fall = (_t: NDArray, s: { x: NDArray; v: NDArray }, g: NDArray) => ({ x: s.v, v: g.neg() })
  const land = (h: NDArray, g: NDArray) =>
    ode.solve({ f: fall, y0: { x: h, v: np.array(0) }, t0: 0, t1: 10, args: g, event: (_t, s) => s.x, rtol: 1e-10, atol: 1e-12 })

  it('the solve ends at the root of the event function, located on the dense output', () => {
    const r = land(np.array(5), np.array(9.81))
    expect(r.event?.item()).toBe(1)
    expect(r.ts.item()).toBeCloseTo(Math.sqrt(10 / 9.81), 10)
    expect(r.ys.x.item()).toBeCloseTo(0, 10)
    expect(r.ys.v.item()).toBeCloseTo(-Math.sqrt(2 * 9.81 * 5), 8)
  })

  it('no sign change: the solve runs to t1 and event is false', () => {
    const r = ode.solve({ f: decay, y0: np.array(1), t0: 0, t1: 1, event: (_t, y) => y.sub(0.1) })
    expect(r.event?.item()).toBe(0)
    expect(r.ts.item()).toBe(1)
  })

  it('the event time is differentiable: dt*/dh = 1/sqrt(2gh), dt*/dg = −t*/(2g) (implicit-function theorem)', () => {
    const tStar = (h: NDArray, g: NDArray) => land(h, g).ts
    const [t, dt] = jvp(tStar, [np.array(5), np.array(9.81)], [np.array(1), np.array(0)])
    expect(t.item()).toBeCloseTo(Math.sqrt(10 / 9.81), 10)
    expect(dt.item()).toBeCloseTo(1 / Math.sqrt(2 * 9.81 * 5), 7)
    const dg = jacfwd(tStar, { argnums: 1 })(np.array(5), np.array(9.81))
    expect(dg.item()).toBeCloseTo(-Math.sqrt(10 / 9.81) / (2 * 9.81), 7)
    // the landing speed too: v* = −sqrt(2gh), dv*/dh = −sqrt(g/(2h))
    const dv = jacfwd((h: NDArray) => land(h, np.array(9.81)).ys.v)(np.array(5))
    expect(dv.item()).toBeCloseTo(-Math.sqrt(9.81 / 10), 7)
  })

  it('events under vmap and jit: each lane stops at its own time', () => {
    const hs = np.array([1, 5, 20])
    const ts = jit(vmap((h: NDArray) => land(h, np.array(9.81)).ts))(hs).tolist() as number[]
    ;[1, 5, 20].forEach((h, i) => expect(ts[i]).toBeCloseTo(Math.sqrt((2 * h) / 9.81), 9))
  })
})

describe('odeint options', () => {
  it('mxstep bounds the steps; a trailing object of other keys is an argument, not options', () => {
    expect(() => ode.odeint((y: NDArray) => y.neg(), np.array(1), [0, 100], { rtol: 1e-12, mxstep: 3 })).toThrow(MaxStepsExceededError)
    const r = ode.odeint((y: NDArray, _t: NDArray, p: { k: NDArray }) => y.mul(p.k).neg(), np.array(1), [0, 1], { k: np.array(2) })
    expect((r.tolist() as number[])[1]).toBeCloseTo(Math.exp(-2), 7)
    void lax
  })
})
