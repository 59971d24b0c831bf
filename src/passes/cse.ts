/**
 * Passes: common-subexpression elimination. Two equations with the same primitive, the same
 * inputs and structurally equal params compute the same values (all primitives are pure), so
 * the later one's outputs are replaced by the earlier one's (keys: src/ir/eqnkey.ts).
 */
import type { Atom, Eqn, Jaxpr } from '../ir/jaxpr'
import { EqnTable, operandOf } from '../ir/eqnkey'
import { eqnHasEffects } from '../ir/effects'
import { type Rewrite, recursivePass, rewriteJaxpr, sameAval } from './util'

/** The rule of one walk: an equation equal to one seen before (recorded in `seen`) is
 *  replaced by that one's outputs. */
export const cseRule = (seen: EqnTable<readonly Atom[]>) => (e: Eqn): Rewrite => {
  // two equal host callbacks are two calls
  if (eqnHasEffects(e)) return null
  const slot = seen.slot(e.prim, e.inputs.map(operandOf), e.params)
  const prev = slot.value
  if (prev !== undefined && prev.length === e.outVars.length && prev.every((a, i) => sameAval(a.aval, e.outVars[i].aval))) {
    return { eqns: [], outs: prev }
  }
  slot.value = e.outVars
  return null
}

const csePass = recursivePass<undefined>((j, sub) => rewriteJaxpr(j, cseRule(new EqnTable()), sub, 'cse'))

export const cse = (jaxpr: Jaxpr): Jaxpr => csePass(jaxpr, undefined)
