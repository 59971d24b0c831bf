/**
 * leibniz/laws — property-based laws of derivative identities, for your own functions.
 *
 *   import { laws, arb, checkGrads, allclose } from 'leibniz/laws'
 *   checkGrads(f, [x])                                        // derivatives vs finite differences, order 2
 *   laws.twiceDifferentiable(f, fc.tuple(arb.array({ shape: [3] })))   // every law, fast-check driven
 *
 * Three layers, as fp-ts-laws: pure predicates (./predicates) → fast-check suites (`laws`) →
 * arbitraries (`arb`). `laws.taylor(f, arbArgs, { order })` checks Taylor mode (`jet`) against
 * nested `jvp`. fast-check is a peer dependency of this entry point only.
 *
 * @module leibniz/laws
 */
import * as arbitraries from './arbitraries'
import * as predicates from './predicates'
import { exportsLike } from './engines'
import { differentiable, linear, taylor, twiceDifferentiable } from './suites'

/**
 * The fast-check suites: `differentiable` (first-order laws), `twiceDifferentiable` (then the
 * second-order ones), `linear` (laws of linear functions), `taylor` (jet ≡ nested jvp to
 * `opts.order`). Each throws a `LawError` on failure. `exportsLike(f, arbArgs, runner)`
 * (asynchronous: it returns a Promise) checks that a program exported to another engine
 * computes what leibniz computes (see leibniz/export).
 */
export const laws = { differentiable, twiceDifferentiable, linear, taylor, exportsLike }
/** fast-check arbitraries for the suites. */
export const arb = {
  /** Arrays of a shape and dtype, values in [min, max] (default 0-d float64 in [−2, 2]). */
  array: arbitraries.array,
  /** Shapes of rank minRank…maxRank (default 0…3), sizes minDim…maxDim (default 1…4). */
  shape: arbitraries.shape,
  /** Nested JS arrays and objects with leaves drawn from `leaf`. */
  pytree: arbitraries.pytree,
  /** Random well-typed programs with domain-safe inputs, for fuzzing transformations. */
  program: arbitraries.program,
}
export { predicates }
export { checkGrads, GradCheckError, defaultTolerances } from './checkGrads'
export type { CheckGradsOptions, Mode } from './checkGrads'
export { allclose, approxEq, findMismatch } from './allclose'
export type { Tolerance, Mismatch, Eq } from './allclose'
export { LawError } from './suites'
export { exportedMatches, exportTolerances } from './engines'
export type { EngineRunner } from './engines'
export type { LawOptions } from './suites'
export { programOps } from './program'
export type { Program, ProgramOptions } from './program'
