/**
 * Higher-order primitives: `custom_linear_solve` — a linear solve x = A⁻¹ b whose derivative
 * does not differentiate the solver. A is given only as its action `matvec(x) = A x`; the
 * solver is any function (an iteration, a factorization) that the rules never look inside:
 *
 *   forward   x = solve(b)
 *   jvp       A x = b  ⇒  A dx = db − (dA) x,  so  dx = solve(db − ∂_A matvec(x)·dA)
 *             (tangents of the solver's own constants are ignored: the solve is taken to be
 *             exact, as JAX does)
 *   transpose x = A⁻¹ b is linear in b:  ct_b = A⁻ᵀ ct_x = transposeSolve(ct_x), the same
 *             primitive with matvec ↔ vecmat and solve ↔ transposeSolve swapped (so it
 *             differentiates again)
 *   batch     every sub-jaxpr batched with b and x at axis 0
 *
 * Inputs: (matvecConsts, vecmatConsts, solveConsts, transposeSolveConsts, ...b).
 */
import { NonDifferentiableError, ShapeError } from '../core/errors'
import { type RuleTable, type Tangent, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import type { Jaxpr } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'
import { batchJaxpr } from '../interpret/batch'
import { evalJaxpr } from '../interpret/eval'
import { jvpFlat } from '../interpret/jvp'
import { sub } from '../primitives/binary'
import { batchToFront, instantiate } from '../primitives/util'
import { avalsStr, sameAvals } from './util'

type Params = ParamsMap['custom_linear_solve']

/** The four groups of constants, in input order, and the right-hand side. */
const groups = (xs: readonly Tracer[], p: Params): { mv: Tracer[]; vm: Tracer[]; s: Tracer[]; ts: Tracer[]; b: Tracer[] } => {
  const [a, c, d, e] = p.numConsts
  return {
    mv: xs.slice(0, a) as Tracer[],
    vm: xs.slice(a, a + c) as Tracer[],
    s: xs.slice(a + c, a + c + d) as Tracer[],
    ts: xs.slice(a + c + d, a + c + d + e) as Tracer[],
    b: xs.slice(a + c + d + e) as Tracer[],
  }
}

const totalConsts = (p: Params): number => p.numConsts.reduce((x, y) => x + y, 0)

/** The same system transposed: Aᵀ y = c, solved by the transpose solve. */
const transposed = (p: Params, name: string): Params => {
  if (p.vecmatJaxpr === null || p.transposeSolveJaxpr === null) {
    throw new NonDifferentiableError(
      `${name}: reverse-mode differentiation of a customLinearSolve needs the solve of the transposed system. ` +
        `Pass transposeSolve (the 4th argument), or { symmetric: true } when the matrix is symmetric.`,
    )
  }
  const [a, c, d, e] = p.numConsts
  return {
    matvecJaxpr: p.vecmatJaxpr,
    vecmatJaxpr: p.matvecJaxpr,
    solveJaxpr: p.transposeSolveJaxpr,
    transposeSolveJaxpr: p.solveJaxpr,
    numConsts: [c, a, e, d],
    name: `transpose(${p.name})`,
  }
}

export const solveAbstractEval = (avals: readonly ShapedArray[], p: Params): ShapedArray[] => {
  const b = avals.slice(totalConsts(p))
  const check = (j: Jaxpr | null, n: number, what: string) => {
    if (j === null) return
    if (j.inAvals.length !== n + b.length || !sameAvals(j.outAvals, b) || !sameAvals(j.inAvals.slice(n), b)) {
      throw new ShapeError(`custom_linear_solve(${p.name}): the ${what} maps ${avalsStr(j.inAvals.slice(n))} to ${avalsStr(j.outAvals)}, but b is ${avalsStr(b)}; it must map b's shapes to b's shapes`)
    }
  }
  const [a, c, d, e] = p.numConsts
  check(p.matvecJaxpr, a, 'matvec')
  check(p.vecmatJaxpr, c, 'vecmat')
  check(p.solveJaxpr, d, 'solve')
  check(p.transposeSolveJaxpr, e, 'transpose solve')
  return [...b]
}

export const solveRules: Pick<RuleTable, 'custom_linear_solve'> = {
  custom_linear_solve: {
    abstractEval: solveAbstractEval,
    impl: (xs, p) => {
      const g = groups(xs, p)
      return evalJaxpr(p.solveJaxpr, [], [...g.s, ...g.b]) as never
    },
    // A x = b ⇒ dx = A⁻¹ (db − (dA) x)
    jvp: (primals, tangents, p) => {
      const x = bind('custom_linear_solve', primals, p)
      const g = groups(primals, p)
      const dmv = tangents.slice(0, p.numConsts[0])
      const db = tangents.slice(totalConsts(p))
      let rhs: Tangent[] = [...db]
      if (dmv.some((t) => !isZero(t))) {
        const [, dAx] = jvpFlat((...cs) => evalJaxpr(p.matvecJaxpr, [], [...cs, ...x]), g.mv, dmv)
        rhs = rhs.map((r, i) => {
          const t = dAx[i]
          if (isZero(t)) return r
          return isZero(r) ? bind('neg', [t], {})[0] : sub(r, t)
        })
      }
      if (rhs.every(isZero)) return [x, x.map((o) => new Zero(o.aval))]
      const consts = primals.slice(0, totalConsts(p))
      return [x, bind('custom_linear_solve', [...consts, ...rhs.map(instantiate)], p)]
    },
    // ct_b = A⁻ᵀ ct_x
    transpose: (cts, args, p) => {
      const n = totalConsts(p)
      if (args.slice(0, n).some(isUndef)) {
        throw new NonDifferentiableError(
          `custom_linear_solve(${p.name}): the solve is linear in b only, not in the matrix; this transposition asked for the matrix's cotangent`,
        )
      }
      const t = transposed(p, `custom_linear_solve(${p.name})`)
      const g = groups(args as Tracer[], p)
      const ctB = bind('custom_linear_solve', [...g.vm, ...g.mv, ...g.ts, ...g.s, ...cts.map(instantiate)], t)
      return [...args.slice(0, n).map(() => null), ...ctB]
    },
    batch: (axisSize, xs, bdims, p) => {
      const n = totalConsts(p)
      const [a, c, d, e] = p.numConsts
      // b (and so x) batched at axis 0; an unbatched b is broadcast
      const b = xs.slice(n).map((x, i) => batchToFront(x, bdims[n + i], axisSize))
      const bd = b.map(() => 0)
      const dims = bdims.slice(0, n)
      const sub1 = (j: Jaxpr | null, lo: number, hi: number) => (j === null ? null : batchJaxpr(j, axisSize, [...dims.slice(lo, hi), ...bd], true))
      const mv = sub1(p.matvecJaxpr, 0, a)
      const vm = sub1(p.vecmatJaxpr, a, a + c)
      const s = sub1(p.solveJaxpr, a + c, a + c + d)
      const ts = sub1(p.transposeSolveJaxpr, a + c + d, n)
      const cs = xs.slice(0, n)
      const ins = [
        ...(mv?.consts ?? []), ...cs.slice(0, a),
        ...(vm?.consts ?? []), ...cs.slice(a, a + c),
        ...(s?.consts ?? []), ...cs.slice(a + c, a + c + d),
        ...(ts?.consts ?? []), ...cs.slice(a + c + d, n),
        ...b,
      ]
      const outs = bind('custom_linear_solve', ins, {
        matvecJaxpr: (mv as { jaxpr: Jaxpr }).jaxpr,
        vecmatJaxpr: vm?.jaxpr ?? null,
        solveJaxpr: (s as { jaxpr: Jaxpr }).jaxpr,
        transposeSolveJaxpr: ts?.jaxpr ?? null,
        numConsts: [
          (mv?.consts.length ?? 0) + a,
          vm === null ? 0 : vm.consts.length + c,
          (s?.consts.length ?? 0) + d,
          ts === null ? 0 : ts.consts.length + e,
        ],
        name: p.name,
      })
      return [outs, outs.map(() => 0)]
    },
  },
}
