/**
 * Passes: dead-code elimination. An equation none of whose outputs is needed can go, unless it
 * has effects (a host callback, or a loop or call whose body has one: src/ir/effects.ts). Only the outputs of the jaxpr a pass is called on are known to be
 * used; inside sub-jaxprs (bodies of jit, checkpoint, custom_*) every output is kept, so their
 * signatures — and the equations that call them — stay valid, and only dead equations of the
 * bodies are removed.
 */
import { eqnHasEffects } from '../ir/effects'
import { type Eqn, Jaxpr, type Var } from '../ir/jaxpr'
import { checkBuilt } from '../interpret/check'
import { mapSubJaxprs, recursivePass } from './util'

/**
 * Keep the outputs marked `used` (all by default) and only the equations they need; the inputs
 * are kept. Does not look inside sub-jaxprs. Returns `jaxpr` itself when nothing is removed.
 */
export const dceJaxpr = (jaxpr: Jaxpr, usedOuts: readonly boolean[] = jaxpr.outs.map(() => true)): Jaxpr =>
  dceWith(jaxpr, usedOuts, null)

const dceWith = (jaxpr: Jaxpr, usedOuts: readonly boolean[], sub: ((s: Jaxpr) => Jaxpr) | null): Jaxpr => {
  const live = new Set<Var>()
  const outs = jaxpr.outs.filter((_, i) => usedOuts[i])
  for (let i = 0; i < outs.length; i++) {
    const a = outs[i]
    if (a._tag === 'Var') live.add(a)
  }
  const kept: Eqn[] = []
  let changed = outs.length !== jaxpr.outs.length
  // (cold code on a first call: indexed loops, no closure per equation)
  for (let k = jaxpr.eqns.length - 1; k >= 0; k--) {
    const e0 = jaxpr.eqns[k]
    if (!anyLive(e0.outVars, live) && !eqnHasEffects(e0)) {
      changed = true
      continue
    }
    const e = sub === null ? e0 : mapSubJaxprs(e0, sub)
    changed ||= e !== e0
    kept.push(e)
    const inputs = e.inputs
    for (let i = 0; i < inputs.length; i++) {
      const a = inputs[i]
      if (a._tag === 'Var') live.add(a)
    }
  }
  if (!changed) return jaxpr
  kept.reverse()
  return new Jaxpr(jaxpr.constVars, jaxpr.inVars, kept, outs)
}

const anyLive = (vs: readonly Var[], live: ReadonlySet<Var>): boolean => {
  for (let i = 0; i < vs.length; i++) if (live.has(vs[i])) return true
  return false
}

/** Dead-code elimination of a jaxpr and, recursively, of the bodies of its sub-jaxprs. */
export const dce = (jaxpr: Jaxpr): Jaxpr => dcePass(jaxpr, undefined)

const dcePass = recursivePass<undefined>((j, sub) => {
  const r = dceWith(j, j.outs.map(() => true), sub)
  return r === j ? j : checkBuilt(r, 'dce')
})
