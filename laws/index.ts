/**
 * leibniz/laws — property-based laws of derivative identities, for your own functions.
 *
 *   import { laws, arb, checkGrads, allclose } from 'leibniz/laws'
 *   checkGrads(f, [x])                                        // derivatives vs finite differences, order 2
 *   laws.twiceDifferentiable(f, fc.tuple(arb.array({ shape: [3] })))   // every law, fast-check driven
 *
 * Three layers, as fp-ts-laws: pure predicates (./predicates) → fast-check suites (`laws`) →
 * arbitraries (`arb`). fast-check is a peer dependency of this entry point only.
 */
import * as arbitraries from './arbitraries'
import * as predicates from './predicates'
import { differentiable, linear, twiceDifferentiable } from './suites'

export const laws = { differentiable, twiceDifferentiable, linear }
export const arb = {
  array: arbitraries.array,
  shape: arbitraries.shape,
  pytree: arbitraries.pytree,
  program: arbitraries.program,
}
export { predicates }
export { checkGrads, GradCheckError, defaultTolerances } from './checkGrads'
export type { CheckGradsOptions, Mode } from './checkGrads'
export { allclose, approxEq, findMismatch } from './allclose'
export type { Tolerance, Mismatch } from './allclose'
export { LawError } from './suites'
export type { LawOptions } from './suites'
export type { Program, ProgramOptions } from './program'
