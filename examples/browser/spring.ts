/**
 * The browser example's model: a damped spring, x'' = −k·x − c·x', from x = 1 at rest, in
 * semi-implicit Euler steps (v ← v + a·dt, then x ← x + v·dt) of 10 ms for 10 s, float64.
 * `sensitivity` differentiates the whole path x(t₁…t_N) with respect to the stiffness k and
 * the damping c by forward mode (jacfwd through lax.scan), compiled once with jit.
 */
import { jacfwd, jit, lax, np } from '../../src'
import type { Array as Arr } from '../../src'

export const DT = 0.01
export const STEPS = 1000

export interface SpringParams {
  readonly k: Arr
  readonly c: Arr
}

/** Positions after each step, f64[STEPS]. */
export const path = (p: SpringParams): Arr => {
  const step = ([x, v]: [Arr, Arr], _t: Arr): [[Arr, Arr], Arr] => {
    const v1 = v.add(p.k.mul(x).add(p.c.mul(v)).neg().mul(DT))
    const x1 = x.add(v1.mul(DT))
    return [[x1, v1], x1]
  }
  return lax.scan(step, [np.array(1), np.array(0)] as [Arr, Arr], np.arange(STEPS))[1]
}

/** x(t), ∂x/∂k(t) and ∂x/∂c(t), each f64[STEPS]. */
export const sensitivity = jit((p: SpringParams): { x: Arr; dk: Arr; dc: Arr } => {
  const d: SpringParams = jacfwd(path)(p)
  return { x: path(p), dk: d.k, dc: d.c }
})

/** The three curves as plain numbers, for a plot (or a comparison). */
export const springCurves = (k: number, c: number): { t: number[]; x: number[]; dk: number[]; dc: number[] } => {
  const r = sensitivity({ k: np.array(k), c: np.array(c) })
  return {
    t: Array.from({ length: STEPS }, (_, i) => (i + 1) * DT),
    x: r.x.tolist() as number[],
    dk: r.dk.tolist() as number[],
    dc: r.dc.tolist() as number[],
  }
}
