/**
 * Passes: the optimization pipeline. Each pass is a pure Jaxpr → Jaxpr function that returns
 * its input unchanged (the same object) when it has nothing to do; `optimize` runs them in a
 * fixed order until a whole round changes nothing:
 *   inlineJit    — bodies of small (or nested) jit calls become ordinary equations
 *   simplify     — algebraic identities (x·1, x+0, no-op reshapes, reshape∘reshape, …)
 *   constantFold — 0-d equations of literals become literals
 *   zeroCleanup  — select_n of equal cases, sums of broadcast zeros
 *   cse          — repeated equations computed once
 *   dce          — equations nobody reads removed
 * Signatures (inputs, output avals) never change, so an optimized jaxpr is a drop-in
 * replacement wherever the original was used — also as the body of a jit equation.
 */
import type { Jaxpr } from '../ir/jaxpr'
import { constantFold } from './fold'
import { cse } from './cse'
import { dce } from './dce'
import { type InlineOptions, inlineJit } from './inline'
import { simplify } from './simplify'
import { zeroCleanup } from './zeros'

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
    j = inlineJit(j, opts)
    j = simplify(j)
    j = constantFold(j)
    j = zeroCleanup(j)
    j = cse(j)
    j = dce(j)
    if (j === before) break
  }
  return j
}
