/**
 * leibniz/laws, layer 2: fast-check suites. Each suite draws argument lists from `arbArgs`
 * and checks its laws at every draw; a richer suite runs the simpler one first
 * (twiceDifferentiable runs differentiable). A failure reports the law's name, the shrunk
 * counterexample, and the seed and path to replay it.
 *
 * Runs: `opts.numRuns`, else the LAWS_RUNS environment variable, else 20.
 */
import fc from 'fast-check'
import { defaultTolerances } from './checkGrads'
import {
  type LawTolerance, type Predicate, gradAgreesForScalar, hessianSymmetric, hvpAgrees, jitMatches,
  jvpLinearInTangent, jvpMatchesFiniteDifferences, linearity, linearizeMatchesJvp,
  jetMatchesNestedJvp, secondOrderFiniteDifferences, transposeAdjoint, transposeInvolution, vjpAdjointToJvp, vmapMatchesStack,
} from './predicates'
import { makeRng, precisionOf } from './treeMath'

/** Options of the law suites; tolerances default to `defaultTolerances` of the draws' precision. */
export interface LawOptions {
  /** Highest derivative order the Taylor-mode law checks (`laws.taylor`; default 3). */
  readonly order?: number
  /** Draws per suite (default: the LAWS_RUNS environment variable, else 20). */
  readonly numRuns?: number
  /** fast-check seed; a failure prints the seed to pass here to replay it. */
  readonly seed?: number
  /** Relative tolerance: |actual − expected| ≤ atol + rtol·|expected|. */
  readonly rtol?: number
  /** Absolute tolerance. */
  readonly atol?: number
  /** Finite-difference step. */
  readonly eps?: number
}

/** Thrown by a law suite: the law's name, how it failed, the shrunk counterexample and the seed. */
export class LawError extends Error {
  override readonly name = 'LawError'
  constructor(readonly law: string, readonly detail: string) {
    super(`law '${law}' failed: ${detail}`)
  }
}

const envRuns = (): number | undefined => {
  const v = typeof process !== 'undefined' ? process.env?.LAWS_RUNS : undefined
  const n = v === undefined ? NaN : Number(v)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

type F = (...args: any[]) => any
type Law = readonly [name: string, check: (f: F, args: unknown[], second: unknown[], tol: LawTolerance, seed: number) => string | null]

const pointLaw = (name: string, p: Predicate): Law => [name, (f, args, _s, tol, seed) => p(f, args, tol, makeRng(seed))]

const FIRST_ORDER: readonly Law[] = [
  pointLaw('jvp matches finite differences', jvpMatchesFiniteDifferences),
  pointLaw('jvp is linear in the tangent', jvpLinearInTangent),
  pointLaw('vjp is the adjoint of jvp', vjpAdjointToJvp),
  pointLaw('linearize agrees with jvp', linearizeMatchesJvp),
  pointLaw('grad ≡ vjp(1) ≡ jacrev ≡ jacfwd (scalar f)', gradAgreesForScalar),
  pointLaw('jit(f) ≡ f', jitMatches),
  ['vmap(f) ≡ stacking f', (f, args, second, tol) => vmapMatchesStack(f, args, second, tol)],
]

const SECOND_ORDER: readonly Law[] = [
  pointLaw('the Hessian is symmetric', hessianSymmetric),
  pointLaw('hvp ≡ jvp∘grad ≡ grad⟨grad f, v⟩ ≡ hessian·v', hvpAgrees),
  pointLaw('second derivative matches differences of jvp', secondOrderFiniteDifferences),
]

const LINEAR: readonly Law[] = [
  pointLaw('f is linear', linearity),
  pointLaw('linearTranspose is the adjoint', transposeAdjoint),
  pointLaw('transposing twice gives f back', transposeInvolution),
]

const runSuite = (laws: readonly Law[], f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions): void => {
  const numRuns = opts.numRuns ?? envRuns() ?? 20
  let failedLaw = ''
  const property = fc.property(arbArgs, arbArgs, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (args, second, seed) => {
    const d = defaultTolerances(precisionOf(args))
    const tol = { eps: opts.eps ?? d.eps, rtol: opts.rtol ?? d.rtol, atol: opts.atol ?? d.atol }
    for (const [name, check] of laws) {
      failedLaw = name
      let msg: string | null
      try {
        msg = check(f, args, second, tol, seed)
      } catch (e) {
        msg = `threw ${(e as Error).name}: ${(e as Error).message}`
      }
      if (msg !== null) throw new LawError(name, msg)
    }
  })
  const r = fc.check(property, { numRuns, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) })
  if (r.failed) {
    const err = r.errorInstance
    const detail = err instanceof LawError ? err.detail : String(err)
    const law = err instanceof LawError ? err.law : failedLaw
    const example = r.counterexample ? fc.stringify(r.counterexample[0]) : '(none)'
    throw new LawError(
      law,
      `${detail}\n  counterexample (shrunk): ${example}\n  replay: { seed: ${r.seed}${r.counterexamplePath ? `, path: '${r.counterexamplePath}'` : ''} } after ${r.numRuns} run(s)`,
    )
  }
}

/** First-order laws of differentiable functions (see predicates.ts for their statements). */
export const differentiable = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void =>
  runSuite(FIRST_ORDER, f, arbArgs, opts)

/** `differentiable`, then the second-order laws. */
export const twiceDifferentiable = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void => {
  differentiable(f, arbArgs, opts)
  runSuite(SECOND_ORDER, f, arbArgs, opts)
}

/** Laws of linear functions: linearity, and linearTranspose's adjointness and involution. */
export const linear = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void => runSuite(LINEAR, f, arbArgs, opts)

/** Taylor mode: `jet` ≡ nested `jvp`, term by term up to `opts.order` (default 3). */
export const taylor = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void =>
  runSuite([pointLaw(`jet ≡ nested jvp (order ${opts.order ?? 3})`, jetMatchesNestedJvp(opts.order ?? 3))], f, arbArgs, opts)
