/**
 * How many loop steps a gradient program runs, counted on its jaxpr (the program `jit` runs,
 * after its passes): every innermost loop body — a scan body with no loop inside — runs as
 * many times as its own length times the trip counts of the loops around it. For a loop body
 * that computes `sin` of its carry, an innermost body is
 *   a taped step     when it also computes `cos` (the residual reverse mode stores),
 *   an advance       when it computes `sin` only (recomputing a carry, nothing stored),
 *   an adjoint step  when it computes neither (the transposed step).
 * A `while` loop has no static trip count: its steps are counted as unknown (NaN).
 *
 * Griewank and Walther's revolve, with s snapshots for n steps, needs the least r with
 * C(s + r, s) ≥ n and r·n − C(s + r, s + 1) advances (plus the n taped and n adjoint steps):
 * `revolveAdvances` gives that count, for comparison.
 */
import type { Jaxpr } from '../../src'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'

export interface StepCounts {
  readonly advances: number
  readonly taped: number
  readonly adjoint: number
}

type Eqn = Jaxpr['eqns'][number]

const loopsIn = (j: Jaxpr): boolean => j.eqns.some((e) => e.prim === 'scan' || e.prim === 'while' || subJaxprs(e).some(loopsIn))

const subJaxprs = (e: Eqn): Jaxpr[] =>
  Object.values(e.params as Record<string, unknown>).flatMap((v) =>
    v !== null && typeof v === 'object' && 'eqns' in v ? [v as Jaxpr] : Array.isArray(v) ? v.filter((b): b is Jaxpr => b !== null && typeof b === 'object' && 'eqns' in b) : [],
  )

const add = (a: StepCounts, b: StepCounts, times = 1): StepCounts => ({
  advances: a.advances + times * b.advances,
  taped: a.taped + times * b.taped,
  adjoint: a.adjoint + times * b.adjoint,
})

const NONE: StepCounts = { advances: 0, taped: 0, adjoint: 0 }

const count = (j: Jaxpr): StepCounts =>
  j.eqns.reduce((acc, e) => {
    if (e.prim === 'scan') {
      const p = e.params as { jaxpr: Jaxpr; length: number }
      if (loopsIn(p.jaxpr)) return add(acc, count(p.jaxpr), p.length)
      const prims = new Set(p.jaxpr.eqns.map((q) => q.prim))
      const one = prims.has('cos') ? { ...NONE, taped: 1 } : prims.has('sin') ? { ...NONE, advances: 1 } : { ...NONE, adjoint: 1 }
      return add(acc, one, p.length)
    }
    if (e.prim === 'while') return add(acc, { advances: NaN, taped: NaN, adjoint: NaN })
    return subJaxprs(e).reduce((a, s) => add(a, count(s)), acc)
  }, NONE)

/** The steps of each kind that `jit` runs for this jaxpr. */
export const countSteps = (j: Jaxpr): StepCounts => count(optimize(hoistConsts(j), { all: true }))

const choose = (n: number, kk: number): number => {
  const k = Math.min(kk, n - kk)
  let c = 1
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i
  return Math.round(c)
}

/** Advances of the revolve schedule with s snapshots over n steps (Griewank–Walther). */
export const revolveAdvances = (s: number, n: number): number => {
  let r = 0
  while (choose(s + r, s) < n) r++
  return Math.max(0, r * n - choose(s + r, s + 1))
}
