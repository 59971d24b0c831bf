/**
 * Passes: common-subexpression elimination. Two equations with the same primitive, the same
 * inputs and structurally equal params compute the same values (all primitives are pure), so
 * the later one's outputs are replaced by the earlier one's (keys: src/ir/eqnkey.ts).
 */
import type { Atom, Eqn, Jaxpr, Var } from '../ir/jaxpr'
import { EqnTable, type Operand, operandOf } from '../ir/eqnkey'
import { eqnHasEffects } from '../ir/effects'
import { type Rewrite, recursivePass, rewriteJaxpr, sameAval } from './util'

/** The operands as the table keys them: the inputs themselves when all are variables (most
 *  equations: no array per equation), else each literal by its value. */
const operands = (xs: readonly Atom[]): readonly Operand[] => {
  for (let i = 0; i < xs.length; i++) if (xs[i]._tag !== 'Var') return xs.map(operandOf)
  return xs as readonly Var[]
}

/** Whether the atoms have the avals of the variables (a loop: a closure here would capture
 *  the equation, allocated for every equation asked). */
const sameAvals = (as: readonly Atom[], vs: readonly Var[]): boolean => {
  if (as.length !== vs.length) return false
  for (let i = 0; i < as.length; i++) if (!sameAval(as[i].aval, vs[i].aval)) return false
  return true
}

/** The rule of one walk: an equation equal to one seen before (recorded in `seen`) is
 *  replaced by that one's outputs. */
export const cseRule = (seen: EqnTable<readonly Atom[]>) => (e: Eqn): Rewrite => {
  // two equal host callbacks are two calls
  if (eqnHasEffects(e)) return null
  const slot = seen.slot(e.prim, operands(e.inputs), e.params)
  const prev = slot.value
  if (prev !== undefined && sameAvals(prev, e.outVars)) {
    return { eqns: [], outs: prev }
  }
  slot.value = e.outVars
  return null
}

const csePass = recursivePass<undefined>((j, sub) => rewriteJaxpr(j, cseRule(new EqnTable()), sub, 'cse'))

export const cse = (jaxpr: Jaxpr): Jaxpr => csePass(jaxpr, undefined)
