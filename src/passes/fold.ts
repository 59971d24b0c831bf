/**
 * Passes: constant folding. An equation whose inputs are all literals and whose outputs are
 * all 0-d is evaluated now, by the primitive's own `impl` (so the value is exactly what the
 * program would compute), and its outputs become literals. Outputs that are not 0-d are left
 * alone: big constants do not belong in a jaxpr (`broadcast_in_dim 1.0` stays an equation).
 * Higher-order primitives are not folded (they are calls, not arithmetic).
 */
import { rulesOf } from '../core/rules'
import { eqnHasEffects } from '../ir/effects'
import { type Eqn, type Jaxpr, Lit } from '../ir/jaxpr'
import { litValue } from '../interpret/eval'
import type { ConcreteArray } from '../core/array'
import { type Rewrite, hasSubJaxprs, recursivePass, rewriteJaxpr, sameAval } from './util'

/** The literals an equation of 0-d literals evaluates to, or null. */
export const foldEqn = (e: Eqn): Rewrite => {
  if (e.inputs.length === 0 || !e.inputs.every((a) => a._tag === 'Lit')) return null
  if (!e.outVars.every((v) => v.aval.shape.length === 0) || hasSubJaxprs(e) || eqnHasEffects(e)) return null
  const xs = e.inputs.map((a) => litValue(a as Lit) as ConcreteArray)
  const ys = rulesOf(e.prim).impl(xs, e.params as never)
  const lits = ys.map((y) => new Lit(Number(y.data[0]), y.dtype, y.weakType))
  if (!lits.every((l, i) => sameAval(l.aval, e.outVars[i].aval))) return null
  return { eqns: [], outs: lits }
}

const foldPass = recursivePass<undefined>((j, sub) => rewriteJaxpr(j, foldEqn, sub, 'constantFold'))

export const constantFold = (jaxpr: Jaxpr): Jaxpr => foldPass(jaxpr, undefined)
