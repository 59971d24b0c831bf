/**
 * Passes: common-subexpression elimination. Two equations with the same primitive, the same
 * inputs and structurally equal params compute the same values (all primitives are pure), so
 * the later one's outputs are replaced by the earlier one's (keys: src/ir/eqnkey.ts).
 */
import type { Atom, Jaxpr } from '../ir/jaxpr'
import { atomKey, eqnKey } from '../ir/eqnkey'
import { eqnHasEffects } from '../ir/effects'
import { type Rewrite, recursivePass, rewriteJaxpr, sameAval } from './util'

const csePass = recursivePass<undefined>((j, sub) => {
  const seen = new Map<string, readonly Atom[]>()
  return rewriteJaxpr(
    j,
    (e): Rewrite => {
      // two equal host callbacks are two calls
      if (eqnHasEffects(e)) return null
      const key = eqnKey(e.prim, e.inputs.map(atomKey), e.params)
      const prev = seen.get(key)
      if (prev !== undefined && prev.length === e.outVars.length && prev.every((a, i) => sameAval(a.aval, e.outVars[i].aval))) {
        return { eqns: [], outs: prev }
      }
      seen.set(key, e.outVars)
      return null
    },
    sub,
    'cse',
  )
})

export const cse = (jaxpr: Jaxpr): Jaxpr => csePass(jaxpr, undefined)
