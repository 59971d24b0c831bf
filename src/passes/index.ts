/**
 * Passes: the optimization pipeline. Each pass is a pure Jaxpr → Jaxpr function that returns
 * its input unchanged (the same object) when it has nothing to do:
 *   inlineJit    — bodies of small (or nested) jit calls become ordinary equations
 *   simplify     — algebraic identities (x·1, x+0, no-op reshapes, reshape∘reshape, …)
 *   constantFold — 0-d equations of literals become literals
 *   zeroCleanup  — select_n of equal cases, sums of broadcast zeros
 *   cse          — repeated equations computed once
 *   dce          — equations nobody reads removed
 * `optimize` applies the first five in one forward walk (each equation, its inputs renamed,
 * meets the rules in that order; the first that rewrites it wins) and then dce, in rounds,
 * until a round changes nothing — or until a round rewrote only by replacing equations with
 * atoms (a forward walk has then already shown every later equation its final inputs, and
 * dce never creates work for the others), so most jaxprs take one round, not two walks of six.
 * Signatures (inputs, output avals) never change, so an optimized jaxpr is a drop-in
 * replacement wherever the original was used — also as the body of a jit equation.
 */
import { EqnTable } from '../ir/eqnkey'
import type { Jaxpr } from '../ir/jaxpr'
import { foldEqn } from './fold'
import { cseRule } from './cse'
import { dce } from './dce'
import { type InlineOptions, inlineRule } from './inline'
import { simplifyEqn } from './simplify'
import { type Rewrite, recursivePass, rewriteJaxpr } from './util'
import { zeroCleanupEqn } from './zeros'

export { constantFold } from './fold'
export { cse } from './cse'
export { dce, dceJaxpr } from './dce'
export { type InlineOptions, SMALL_JIT_EQNS, inlineJit } from './inline'
export { simplify } from './simplify'
export { zeroCleanup } from './zeros'

export interface OptimizeOptions extends InlineOptions {
  /** Upper bound on the rounds of the pipeline (it normally settles in two or three). */
  readonly maxRounds?: number
}

export const optimize = (jaxpr: Jaxpr, opts: OptimizeOptions = {}): Jaxpr => {
  const maxRounds = opts.maxRounds ?? 10
  let j = jaxpr
  for (let round = 0; round < maxRounds; round++) {
    const before = j
    const walk = { emitted: false }
    j = dce(fusedPass(j, { ...opts, walk }))
    if (j === before || !walk.emitted) break
  }
  return j
}

/** One walk of inlineJit, simplify, constantFold, zeroCleanup and cse (also over sub-jaxprs);
 *  `walk.emitted` records whether a rule emitted equations (an inlined body, a composed
 *  reshape or transpose) that the rules have not seen yet. */
const fusedPass = recursivePass<InlineOptions & { readonly walk: { emitted: boolean } }>((j, sub, top, opts) => {
  const inline = inlineRule(top, opts)
  const cseSeen = cseRule(new EqnTable())
  return rewriteJaxpr(
    j,
    (e, producer): Rewrite => {
      const r = inline(e) ?? simplifyEqn(e, producer) ?? foldEqn(e) ?? zeroCleanupEqn(e, producer) ?? cseSeen(e)
      if (r !== null && r.eqns.length > 0) opts.walk.emitted = true
      return r
    },
    sub,
    'optimize',
  )
})
