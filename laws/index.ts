/**
 * leibniz/laws — property-based laws of derivative identities, for your own functions.
 *
 *   import { laws, arb, checkGrads, allclose } from 'leibniz/laws'
 *   checkGrads(f, [x])                                        // derivatives vs finite differences, order 2
 *   laws.twiceDifferentiable(f, fc.tuple(arb.array({ shape: [3] })))   // every law, fast-check driven
 *
 * Three layers, as fp-ts-laws: pure predicates (./predicates) → fast-check suites (`laws`) →
 * arbitraries (`arb`). fast-check is a peer dependency of this entry point only. A failing
 * suite names the equation of f whose own derivative is wrong (`localize`); beside the suites
 * are the NaN lint, derivative oracles at edge values, equivalence laws (control flow, remat,
 * custom rules), simulation laws, gauge-invariant laws, the cross-evaluator law,
 * `laws.taylor(f, arbArgs, { order })` (Taylor mode, `jet`, against nested `jvp`) and
 * `laws.exportsLike` (an exported program against leibniz).
 *
 * @module leibniz/laws
 */
import * as arbitraries from './arbitraries'
import * as edges from './edges'
import * as predicates from './predicates'
import { exportsLike } from './engines'
import { consistent, differentiable, linear, taylor, thriceDifferentiable, twiceDifferentiable } from './suites'

/**
 * The fast-check suites: `differentiable` (first-order laws), `twiceDifferentiable` (then the
 * second-order ones), `thriceDifferentiable` (then the third-order ones), `linear` (laws of
 * linear functions), `consistent` (exceptions and NaNs in every mode), `taylor` (jet ≡ nested
 * jvp to `opts.order`). Each throws a `LawError` whose report names the failing equation of f.
 * `exportsLike(f, arbArgs, runner)` (asynchronous: it returns a Promise) checks that a program
 * exported to another engine computes what leibniz computes (see leibniz/export).
 */
export const laws = { differentiable, twiceDifferentiable, thriceDifferentiable, linear, consistent, taylor, exportsLike }
/** fast-check arbitraries for the suites. */
export const arb = {
  /** Arrays of a shape and dtype, values in [min, max] (default 0-d float64 in [−2, 2]). */
  array: arbitraries.array,
  /** Shapes of rank minRank…maxRank (default 0…3), sizes minDim…maxDim (default 1…4). */
  shape: arbitraries.shape,
  /** Nested JS arrays and objects with leaves drawn from `leaf`. */
  pytree: arbitraries.pytree,
  /** Edge values inside [min, max] (±0, subnormals, huge/tiny magnitudes, bounds and neighbours, small integers). */
  edgeValues: edges.edgeValues,
  /** Random well-typed programs with domain-safe inputs, for fuzzing transformations. */
  program: arbitraries.program,
}
export { predicates }
export { ORACLES, derivativeMatchesOracle } from './edges'
export type { Oracle } from './edges'
export { checkGrads, GradCheckError, defaultTolerances } from './checkGrads'
export type { CheckGradsOptions, Mode } from './checkGrads'
export { allclose, approxEq, findMismatch } from './allclose'
export type { Tolerance, Mismatch, Eq } from './allclose'
export { LawError } from './suites'
export { exportedMatches, exportTolerances } from './engines'
export type { EngineRunner } from './engines'
export type { LawOptions, LawFailure } from './suites'
export { localize } from './localize'
export { backendsAgree, BACKENDS } from './backends'
export type { Backend } from './backends'
export {
  equivalent, customRuleAgreesWithBody, forwardModeRaisesNamedError, tangentLinearAdjointDotProduct,
  jacobianIsProductOfSteps, gaugeInvariantLaws, iterate, ALL_EQUIVALENCE_MODES,
} from './equivalence'
export type { EquivalenceMode } from './equivalence'
export { lintUnselectedBranches, exceptionsAndNaNsConsistent } from './nan'
export type { UnselectedBranchFinding } from './nan'
export type { LocalizedEquation, LocalizeOptions } from './localize'
export { centralDifference } from './differences'
export type { Difference } from './differences'
export { routesOfOrder, EXTRA_ROUTES } from './routes'
export type { Route } from './routes'
export { programOps } from './program'
export type { Program, ProgramOptions } from './program'
