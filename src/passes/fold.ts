/**
 * Passes: constant folding. An equation whose inputs are all literals and whose outputs are
 * all 0-d is evaluated now, by the primitive's own `impl` (so the value is exactly what the
 * program would compute), and its outputs become literals. Outputs that are not 0-d are left
 * alone: big constants do not belong in a jaxpr (`broadcast_in_dim 1.0` stays an equation).
 * Higher-order primitives are not folded (they are calls, not arithmetic).
 */
import { rulesOf } from '../core/rules'
import { eqnHasEffects } from '../ir/effects'
import { type Atom, type Eqn, type Jaxpr, Lit, type Var } from '../ir/jaxpr'
import { litValue } from '../interpret/eval'
import type { ConcreteArray } from '../core/array'
import { type Rewrite, hasSubJaxprs, recursivePass, rewriteJaxpr, sameAval } from './util'

/** The literals an equation of 0-d literals evaluates to, or null. */
export const foldEqn = (e: Eqn): Rewrite => {
  if (e.inputs.length === 0 || !allLiterals(e.inputs)) return null
  if (!allScalars(e.outVars) || hasSubJaxprs(e) || eqnHasEffects(e)) return null
  return fold(e)
}

// (its own function: its closure captures `e`, which would otherwise be allocated for every
// equation asked, folded or not)
const fold = (e: Eqn): Rewrite => {
  const xs = e.inputs.map((a) => litValue(a as Lit) as ConcreteArray)
  const ys = rulesOf(e.prim).impl(xs, e.params as never)
  const lits = ys.map((y) => new Lit(Number(y.data[0]), y.dtype, y.weakType))
  if (!lits.every((l, i) => sameAval(l.aval, e.outVars[i].aval))) return null
  return { eqns: [], outs: lits }
}

// (asked of every equation of a first call, in cold code: loops, no closure per equation)
const allLiterals = (xs: readonly Atom[]): boolean => {
  for (let i = 0; i < xs.length; i++) if (xs[i]._tag !== 'Lit') return false
  return true
}

const allScalars = (vs: readonly Var[]): boolean => {
  for (let i = 0; i < vs.length; i++) if (vs[i].aval.shape.length !== 0) return false
  return true
}

const foldPass = recursivePass<undefined>((j, sub) => rewriteJaxpr(j, foldEqn, sub, 'constantFold'))

export const constantFold = (jaxpr: Jaxpr): Jaxpr => foldPass(jaxpr, undefined)
