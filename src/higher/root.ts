/**
 * Higher-order primitives: `custom_root` — a root x of f(x; θ) = 0 found by any solver, and
 * differentiated by the implicit function theorem rather than through the solver:
 *
 *   f(x(θ); θ) = 0  ⇒  ∂f/∂x dx + ∂f/∂θ dθ = 0  ⇒  dx = −(∂f/∂x)⁻¹ (∂f/∂θ dθ)
 *
 * The jvp rule binds `custom_root` again for the primal root (so every further derivative
 * uses this rule too, never the solver's loop) and a `custom_linear_solve` for the tangent,
 * whose matrix is ∂f/∂x at the root and whose solver is the user's tangent solve (its
 * transpose gives reverse mode). θ is whatever f closes over: f's constants.
 *
 * Inputs: (fConsts, solveConsts, matvecConsts, vecmatConsts, tangentSolveConsts,
 * transposeTangentSolveConsts, ...x0). The derivative with respect to x0 is zero, as JAX.
 */
import { ShapeError } from '../core/errors'
import { type RuleTable, Zero, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import type { Jaxpr } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'
import { batchJaxpr } from '../interpret/batch'
import { evalJaxpr } from '../interpret/eval'
import { jvpFlat } from '../interpret/jvp'
import { neg } from '../primitives/unary'
import { batchToFront, instantiate } from '../primitives/util'
import { avalsStr, sameAvals } from './util'

type Params = ParamsMap['custom_root']

const offsets = (p: Params): number[] => {
  const o = [0]
  for (const n of p.numConsts) o.push(o[o.length - 1] + n)
  return o
}

/** The six groups of constants, in input order, and the initial guess. */
const groups = (xs: readonly Tracer[], p: Params): { c: Tracer[][]; x0: Tracer[] } => {
  const o = offsets(p)
  return { c: p.numConsts.map((_, i) => xs.slice(o[i], o[i + 1]) as Tracer[]), x0: xs.slice(o[6]) as Tracer[] }
}

export const rootAbstractEval = (avals: readonly ShapedArray[], p: Params): ShapedArray[] => {
  const o = offsets(p)
  const x = avals.slice(o[6])
  // [jaxpr, number of leading inputs before x-shaped ones, number of x-shaped inputs]
  const subs: [Jaxpr, number, number, string][] = [
    [p.fJaxpr, p.numConsts[0], 1, 'f'],
    [p.solveJaxpr, p.numConsts[1], 1, 'solve'],
    [p.matvecJaxpr, p.numConsts[2], 2, 'matvec'],
    [p.vecmatJaxpr, p.numConsts[3], 2, 'vecmat'],
    [p.tangentSolveJaxpr, p.numConsts[4], 2, 'tangent solve'],
    [p.transposeTangentSolveJaxpr, p.numConsts[5], 2, 'transpose tangent solve'],
  ]
  for (const [j, lead, k, what] of subs) {
    const ins = j.inAvals.slice(lead)
    if (ins.length !== k * x.length || !sameAvals(j.outAvals, x) || !ins.every((a, i) => sameAvals([a], [x[i % x.length]]))) {
      throw new ShapeError(`custom_root(${p.name}): the ${what} takes ${avalsStr(ins)} and returns ${avalsStr(j.outAvals)}, but the unknown is ${avalsStr(x)}`)
    }
  }
  return [...x]
}

export const rootRules: Pick<RuleTable, 'custom_root'> = {
  custom_root: {
    abstractEval: rootAbstractEval,
    impl: (xs, p) => {
      const g = groups(xs, p)
      return evalJaxpr(p.solveJaxpr, [], [...g.c[1], ...g.x0]) as never
    },
    // dx = −(∂f/∂x)⁻¹ (∂f/∂θ dθ) at the root
    jvp: (primals, tangents, p) => {
      const x = bind('custom_root', primals, p)
      const g = groups(primals, p)
      const fc = g.c[0]
      const dfc = tangents.slice(0, p.numConsts[0])
      if (dfc.every(isZero)) return [x, x.map((o) => new Zero(o.aval))]
      const [, rhs] = jvpFlat((...cs) => evalJaxpr(p.fJaxpr, [], [...cs, ...x]), fc, dfc)
      if (rhs.every(isZero)) return [x, x.map((o) => new Zero(o.aval))]
      const withAt = (c: readonly Tracer[]) => [...c, ...x]
      const [, , mc, vc, tc, ttc] = g.c
      const dx = bind('custom_linear_solve', [...withAt(mc), ...withAt(vc), ...withAt(tc), ...withAt(ttc), ...rhs.map(instantiate)], {
        matvecJaxpr: p.matvecJaxpr,
        vecmatJaxpr: p.vecmatJaxpr,
        solveJaxpr: p.tangentSolveJaxpr,
        transposeSolveJaxpr: p.transposeTangentSolveJaxpr,
        numConsts: [mc.length, vc.length, tc.length, ttc.length].map((n) => n + x.length) as unknown as readonly [number, number, number, number],
        name: p.name,
      })
      return [x, dx.map((t) => neg(t))]
    },
    batch: (axisSize, xs, bdims, p) => {
      const o = offsets(p)
      const x0 = xs.slice(o[6]).map((x, i) => batchToFront(x, bdims[o[6] + i], axisSize))
      const dimsOf = (i: number) => bdims.slice(o[i], o[i + 1])
      const nx = x0.length
      const zeros = (k: number) => Array<number>(k * nx).fill(0)
      const sub = (j: Jaxpr, lead: readonly (number | null)[], k: number) => batchJaxpr(j, axisSize, [...lead, ...zeros(k)], true)
      const bs = [
        sub(p.fJaxpr, dimsOf(0), 1),
        sub(p.solveJaxpr, dimsOf(1), 1),
        sub(p.matvecJaxpr, dimsOf(2), 2),
        sub(p.vecmatJaxpr, dimsOf(3), 2),
        sub(p.tangentSolveJaxpr, dimsOf(4), 2),
        sub(p.transposeTangentSolveJaxpr, dimsOf(5), 2),
      ]
      const ins = bs.flatMap((b, i) => [...b.consts, ...xs.slice(o[i], o[i + 1])])
      const outs = bind('custom_root', [...ins, ...x0], {
        fJaxpr: bs[0].jaxpr,
        solveJaxpr: bs[1].jaxpr,
        matvecJaxpr: bs[2].jaxpr,
        vecmatJaxpr: bs[3].jaxpr,
        tangentSolveJaxpr: bs[4].jaxpr,
        transposeTangentSolveJaxpr: bs[5].jaxpr,
        numConsts: bs.map((b, i) => b.consts.length + p.numConsts[i]) as unknown as Params['numConsts'],
        name: p.name,
      })
      return [outs, outs.map(() => 0)]
    },
  },
}
