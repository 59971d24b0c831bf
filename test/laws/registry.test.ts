// The laws over every primitive of the registry. A new primitive is covered with no new test
// code here: test/autodiff/primitives.test.ts fails until the primitive has a case in
// test/autodiff/cases.ts (or is listed as non-differentiable / higher-order), and every case
// runs through laws.twiceDifferentiable below.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bind } from '../../src/core/tracer'
import type { Tracer } from '../../src/core/tracer'
import { registeredPrimitives } from '../../src/core/rules'
import '../../src/rules'
import { laws } from '../../laws'
import { primitiveCases, NON_DIFFERENTIABLE, HIGHER_ORDER } from '../autodiff/cases'
import { makeRng } from '../autodiff/check'

const CASES = primitiveCases()
// Kept small for CI; LAWS_RUNS raises it for a long local run (the suites read it too).
const numRuns = Number(process.env.LAWS_RUNS ?? 2)

describe('laws over the primitive registry', () => {
  it('every registered primitive is a law case, non-differentiable, or higher-order', () => {
    const covered = new Set([...CASES.map((c) => c.prim), ...NON_DIFFERENTIABLE, ...HIGHER_ORDER])
    expect(registeredPrimitives().filter((p) => !covered.has(p))).toEqual([])
  })
  for (const c of CASES) {
    it(`${c.prim}: ${c.label}`, () => {
      // Draw fresh valid operands from a seed; differentiate the float operands in c.diff.
      const arbArgs = fc.integer({ min: 1, max: 2 ** 30 }).map((seed) => {
        const all = c.make(makeRng(seed))
        return { all, diff: c.diff.map((i) => all[i]) }
      })
      let fixed: Tracer[] = []
      const f = (...xs: Tracer[]) => {
        const ins = [...fixed]
        const d = c.pre ? c.pre(xs) : xs
        c.diff.forEach((i, k) => (ins[i] = d[k]))
        const outs = bind(c.prim, ins, c.params as never)
        const keep = c.outs ?? outs.map((_, i) => i).filter((i) => outs[i].dtype === 'float64')
        const kept = keep.map((i) => outs[i])
        return c.post ? c.post(kept) : kept
      }
      laws.twiceDifferentiable(
        f,
        arbArgs.map(({ all, diff }) => {
          fixed = all
          return diff
        }),
        { numRuns, seed: 7, rtol: 1e-5, atol: 1e-6 },
      )
    })
  }
})

describe('Taylor mode over the primitive registry: jet ≡ nested jvp to order 3', () => {
  for (const c of CASES) {
    it(`${c.prim}: ${c.label}`, () => {
      const arbArgs = fc.integer({ min: 1, max: 2 ** 30 }).map((seed) => {
        const all = c.make(makeRng(seed))
        return { all, diff: c.diff.map((i) => all[i]) }
      })
      let fixed: Tracer[] = []
      const f = (...xs: Tracer[]) => {
        const ins = [...fixed]
        const d = c.pre ? c.pre(xs) : xs
        c.diff.forEach((i, k) => (ins[i] = d[k]))
        const outs = bind(c.prim, ins, c.params as never)
        const keep = c.outs ?? outs.map((_, i) => i).filter((i) => outs[i].dtype === 'float64')
        return keep.map((i) => outs[i])
      }
      laws.taylor(
        f,
        arbArgs.map(({ all, diff }) => {
          fixed = all
          return diff
        }),
        { numRuns, seed: 7, rtol: 1e-7, atol: 1e-8, order: 3 },
      )
    })
  }
})
