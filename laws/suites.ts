/**
 * leibniz/laws, layer 2: fast-check suites. Each suite draws argument lists from `arbArgs`
 * and checks its laws at every draw; a richer suite runs the simpler one first
 * (twiceDifferentiable runs differentiable).
 *
 * A failure report says, in this order: the law in plain words; the shrunk counterexample
 * and its error; the first (unshrunk) counterexample and its error, since shrinking can move
 * a point where a sign error is plain to one where it looks like rounding; the equation of f
 * whose own derivative is wrong (see localize.ts), searched at the first failure's point; and a replay line with the seed and path.
 * Shrinking stops after `maxShrinks` smaller failures (default 40), so a failing law reports
 * within seconds.
 *
 * Runs: `opts.numRuns`, else the LAWS_RUNS environment variable, else 20.
 */
import fc from 'fast-check'
import { tree } from '../src'
import { type Mode, defaultTolerances } from './checkGrads'
import { type LocalizedEquation, localize, showValue } from './localize'
import { exceptionsAndNaNsConsistent, lintUnselectedBranches } from './nan'
import {
  type LawTolerance, type Predicate, gradAgreesForScalar, hessianSymmetric, hvpAgrees, jitMatches,
  jvpLinearInTangent, jvpMatchesFiniteDifferences, kthDerivativeMatchesDifferences, linearity, linearizeMatchesJvp,
  jetMatchesNestedJvp, routesAgree, secondOrderFiniteDifferences, vjpMatchesFiniteDifferences, transposeAdjoint, transposeInvolution, vjpAdjointToJvp, vmapAxesOf, vmapMatchesStack,
} from './predicates'
import { asArray, makeRng, precisionOf } from './treeMath'

/** Options of the law suites; tolerances default to `defaultTolerances` of the draws' precision. */
export interface LawOptions {
  /** Highest derivative order the Taylor-mode law checks (`laws.taylor`; default 3). */
  readonly order?: number
  /** Draws per suite (default: the LAWS_RUNS environment variable, else 20). */
  readonly numRuns?: number
  /** fast-check seed; a failure prints the seed to pass here to replay it. */
  readonly seed?: number
  /** fast-check path of a failure (printed with the seed): replays exactly that counterexample. */
  readonly path?: string
  /** Relative tolerance: |actual − expected| ≤ atol + rtol·|expected|. */
  readonly rtol?: number
  /** Absolute tolerance. */
  readonly atol?: number
  /** Finite-difference step (relative to the inputs' size; Richardson-extrapolated). */
  readonly eps?: number
  /** Stop shrinking after this many smaller failing draws (default 40). */
  readonly maxShrinks?: number
  /** Search the failing function for the equation with the wrong derivative (default true). */
  readonly localize?: boolean
  /** Run only the laws these modes allow (default both): `['rev']` for a function with a
   *  customVjp inside, which has no forward mode. */
  readonly modes?: readonly Mode[]
}

/** What a failing suite knows: the law, the counterexamples, the equation, the replay. */
export interface LawFailure {
  /** The law's name and what it states, in plain words. */
  readonly law: string
  readonly statement: string
  /** The shrunk counterexample (argument list) and how the law failed there. */
  readonly counterexample: readonly unknown[]
  readonly message: string
  /** The first failing draw, before shrinking, and how the law failed there. */
  readonly firstCounterexample: readonly unknown[]
  readonly firstMessage: string
  /** The equation of f whose own derivative is wrong, when one is (null: none, or not searched). */
  readonly localized: LocalizedEquation | null
  /** Why localization found nothing, when it did not. */
  readonly localizeNote: string | null
  readonly seed: number
  readonly path: string
  readonly numShrinks: number
}

/** Thrown by a law suite: the law's name, how it failed, and (from a suite) the full `failure`. */
export class LawError extends Error {
  override readonly name = 'LawError'
  constructor(readonly law: string, readonly detail: string, readonly failure: LawFailure | null = null) {
    super(`law '${law}' failed: ${detail}`)
  }
}

const envRuns = (): number | undefined => {
  const v = typeof process !== 'undefined' ? process.env?.LAWS_RUNS : undefined
  const n = v === undefined ? NaN : Number(v)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

type F = (...args: any[]) => any
interface Law {
  readonly name: string
  /** The statement in plain words, as a failure report opens. */
  readonly statement: string
  /** Derivative order the law tests (localization checks equations to this order); 0: none. */
  readonly order: number
  /** The modes the law differentiates in. */
  readonly modes: readonly Mode[]
  readonly check: (f: F, args: unknown[], second: unknown[], tol: LawTolerance, seed: number) => string | null
}

const FWD: readonly Mode[] = ['fwd']
const REV: readonly Mode[] = ['rev']
const BOTH: readonly Mode[] = ['fwd', 'rev']
const NONE: readonly Mode[] = []

const pointLaw = (name: string, statement: string, order: number, modes: readonly Mode[], p: Predicate): Law => ({
  name, statement, order, modes, check: (f, args, _s, tol, seed) => p(f, args, tol, makeRng(seed)),
})

const FIRST_ORDER: readonly Law[] = [
  pointLaw('jvp matches finite differences', 'the forward-mode derivative (jvp) equals finite differences of f', 1, FWD, jvpMatchesFiniteDifferences),
  pointLaw('jvp is linear in the tangent', 'jvp is linear in its tangent argument', 1, FWD, jvpLinearInTangent),
  pointLaw('vjp is the adjoint of jvp', 'reverse mode (vjp) is the transpose of forward mode: ⟨u, J v⟩ = ⟨Jᵀu, v⟩', 1, BOTH, vjpAdjointToJvp),
  pointLaw('linearize agrees with jvp', 'linearize gives f(x) and the same linear map as jvp', 1, FWD, linearizeMatchesJvp),
  pointLaw('grad ≡ vjp(1) ≡ jacrev ≡ jacfwd (scalar f)', 'every route to the gradient of a scalar f agrees', 1, BOTH, gradAgreesForScalar),
  pointLaw('jit(f) ≡ f', 'compiling f with jit does not change its value', 0, NONE, jitMatches),
  pointLaw('vjp matches finite differences', 'reverse mode (vjp) agrees with finite differences: ⟨u, (f(x + hv) − f(x − hv))/2h⟩ = ⟨Jᵀu, v⟩', 1, REV, vjpMatchesFiniteDifferences),
  {
    name: 'vmap(f) ≡ stacking f',
    statement: 'vmap(f) on a batch equals f on each member, stacked (batch axes first, last or absent, drawn per argument)',
    order: 0,
    modes: NONE,
    check: (f, args, second, tol, seed) => vmapMatchesStack(f, args, second, tol, vmapAxesOf(seed, args.length)),
  },
]

const SECOND_ORDER: readonly Law[] = [
  pointLaw('the Hessian is symmetric', 'the Hessian is symmetric: ⟨w, H v⟩ = ⟨v, H w⟩', 2, BOTH, hessianSymmetric),
  pointLaw('hvp ≡ jvp∘grad ≡ grad⟨grad f, v⟩ ≡ hessian·v', 'every route to a Hessian-vector product agrees', 2, BOTH, hvpAgrees),
  pointLaw('fwd∘fwd ≡ fwd∘rev ≡ rev∘fwd ≡ rev∘rev', 'the four compositions of forward and reverse mode give the same second derivative', 2, BOTH, routesAgree(2)),
  pointLaw('second derivative matches differences of jvp', 'the second derivative (jvp of jvp) equals finite differences of jvp', 2, FWD, secondOrderFiniteDifferences),
]

const THIRD_ORDER: readonly Law[] = [
  pointLaw('every third-order route agrees', 'the eight compositions of forward and reverse mode (fwd∘fwd∘fwd … rev∘rev∘rev) give the same third derivative', 3, BOTH, routesAgree(3)),
  pointLaw('third derivative matches differences of the second', 'the third derivative (fwd∘fwd∘fwd) equals finite differences of the second derivative', 3, FWD, kthDerivativeMatchesDifferences(3)),
]

const CONSISTENT: readonly Law[] = [
  pointLaw('derivatives throw and go non-finite only with f', 'in every mode a derivative throws iff f throws, and is NaN or Inf only where f or its true derivative is', 1, NONE, exceptionsAndNaNsConsistent),
  {
    name: 'no NaN or Inf in a discarded branch', statement: 'no where/select discards a NaN, an Inf or a value with a non-finite derivative (it poisons reverse mode)', order: 0, modes: NONE,
    check: (f, args) => {
      const found = lintUnselectedBranches(f, args)
      return found.length === 0 ? null : found.map((x) => x.message).join('\n')
    },
  },
]

const LINEAR: readonly Law[] = [
  pointLaw('f is linear', 'f is linear: f(2x − 1.5y) = 2 f(x) − 1.5 f(y)', 0, NONE, linearity),
  pointLaw('linearTranspose is the adjoint', 'linearTranspose(f) is the adjoint of f: ⟨u, f(x)⟩ = ⟨fᵀ(u), x⟩', 1, REV, transposeAdjoint),
  pointLaw('transposing twice gives f back', 'transposing f twice gives f back', 1, REV, transposeInvolution),
]

/** Argument lists as readable text: every array leaf as `f64[3] [0.1, …]`. */
export const showArgs = (args: readonly unknown[]): string => {
  const [leaves, def] = tree.flatten([...args])
  const shown = leaves.map((l) => {
    try {
      return showValue(asArray(l))
    } catch {
      return String(l)
    }
  })
  return leaves.length === args.length ? `(${shown.join(', ')})` : `${tree.treedefStr(def)} with leaves (${shown.join(', ')})`
}

const indent = (s: string, pad: string) => s.split('\n').map((l) => pad + l).join('\n')

/** The report a failing suite throws, in the order of the module comment. */
export const formatFailure = (x: LawFailure, suite: string): string =>
  [
    `${x.statement} — this does not hold for f.`,
    `  at (shrunk) ${showArgs(x.counterexample)}:`,
    indent(x.message, '    '),
    `  first failure, before shrinking, at ${showArgs(x.firstCounterexample)}:`,
    indent(x.firstMessage, '    '),
    x.localized !== null ? indent(x.localized.report.replace(/^first equation/, 'at the first failure, the first equation'), '  ') : `  ${x.localizeNote ?? ''}`,
    `  replay: laws.${suite}(f, arbArgs, { seed: ${x.seed}, path: ${JSON.stringify(x.path)} })  (${x.numShrinks} shrink step(s))`,
  ].join('\n')

const tolerances = (args: unknown[], opts: LawOptions): LawTolerance => {
  const d = defaultTolerances(precisionOf(args))
  return { eps: opts.eps ?? d.eps, rtol: opts.rtol ?? d.rtol, atol: opts.atol ?? d.atol }
}

const runLaws = (laws: readonly Law[], f: F, args: unknown[], second: unknown[], tol: LawTolerance, seed: number): { law: Law; msg: string } | null => {
  for (const law of laws) {
    let msg: string | null
    try {
      msg = law.check(f, args, second, tol, seed)
    } catch (e) {
      msg = `threw ${(e as Error).name}: ${(e as Error).message}`
    }
    if (msg !== null) return { law, msg }
  }
  return null
}

const localizeFailure = (law: Law, f: F, args: unknown[], tol: LawTolerance, seed: number, modes: readonly Mode[]): { localized: LocalizedEquation | null; note: string | null } => {
  if (law.order === 0) return { localized: null, note: 'not a derivative law: no equation search' }
  try {
    const localized = localize(f, args, { order: law.order, ...tol, seed, modes })
    return localized !== null
      ? { localized, note: null }
      : { localized, note: `every equation of f has the right derivative on its own (to order ${law.order}) at this point: the error is in how the derivatives are composed, not in one rule` }
  } catch (e) {
    return { localized: null, note: `no equation search: tracing f failed with ${(e as Error).name}: ${(e as Error).message}` }
  }
}

const runSuite = (suite: string, allLaws: readonly Law[], f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions): void => {
  const allowed = opts.modes ?? BOTH
  const laws = allLaws.filter((l) => l.modes.every((m) => allowed.includes(m)))
  const numRuns = opts.numRuns ?? envRuns() ?? 20
  const maxShrinks = opts.maxShrinks ?? 40
  let first: { args: unknown[]; msg: string } | null = null
  let last: { args: unknown[]; second: unknown[]; seed: number; law: Law; msg: string } | null = null
  let failures = 0
  const property = fc.property(arbArgs, arbArgs, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (args, second, seed) => {
    // Past the cap every further shrink candidate "passes", so fast-check reports the last failure.
    if (failures > maxShrinks) return true
    const tol = tolerances(args, opts)
    const r = runLaws(laws, f, args, second, tol, seed)
    if (r === null) return true
    failures++
    first ??= { args, msg: r.msg }
    last = { args, second, seed, law: r.law, msg: r.msg }
    return false
  })
  const params = { numRuns, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.path !== undefined ? { path: opts.path } : {}) }
  const r = fc.check(property, params)
  if (!r.failed) return
  if (last === null || first === null) throw new LawError('(suite)', `fast-check failed without a failing law: ${String(r.errorInstance)}`)
  const l = last as { args: unknown[]; second: unknown[]; seed: number; law: Law; msg: string }
  const fst = first as { args: unknown[]; msg: string }
  // Search at the first failure's point, where the error is usually largest; then at the shrunk one.
  const search = (args: unknown[]) => localizeFailure(l.law, f, args, tolerances(args, opts), l.seed, allowed)
  let found = opts.localize === false ? { localized: null, note: 'equation search off' } : search(fst.args)
  if (opts.localize !== false && found.localized === null && fst.args !== l.args) {
    const again = search(l.args)
    if (again.localized !== null) found = again
  }
  const { localized, note } = found
  const failure: LawFailure = {
    law: l.law.name, statement: l.law.statement, counterexample: l.args, message: l.msg,
    firstCounterexample: fst.args, firstMessage: fst.msg, localized, localizeNote: note,
    seed: r.seed, path: r.counterexamplePath ?? '', numShrinks: r.numShrinks,
  }
  throw new LawError(l.law.name, formatFailure(failure, suite), failure)
}

/** First-order laws of differentiable functions (see predicates.ts for their statements). */
export const differentiable = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void =>
  runSuite('differentiable', FIRST_ORDER, f, arbArgs, opts)

/** `differentiable`, then the second-order laws. */
export const twiceDifferentiable = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void => {
  differentiable(f, arbArgs, opts)
  runSuite('twiceDifferentiable', SECOND_ORDER, f, arbArgs, opts)
}

/** `twiceDifferentiable`, then the third-order laws: every route, and differences of the second derivative. */
export const thriceDifferentiable = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void => {
  twiceDifferentiable(f, arbArgs, opts)
  runSuite('thriceDifferentiable', THIRD_ORDER, f, arbArgs, opts)
}

/** Exception and NaN consistency in every mode, and the unselected-branch lint (see nan.ts). */
export const consistent = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void => runSuite('consistent', CONSISTENT, f, arbArgs, opts)

/** Laws of linear functions: linearity, and linearTranspose's adjointness and involution. */
export const linear = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void => runSuite('linear', LINEAR, f, arbArgs, opts)

/** Taylor mode: `jet` ≡ nested `jvp`, term by term up to `opts.order` (default 3). */
export const taylor = (f: F, arbArgs: fc.Arbitrary<unknown[]>, opts: LawOptions = {}): void =>
  runSuite('taylor', [
    pointLaw(`jet ≡ nested jvp (order ${opts.order ?? 3})`, 'Taylor mode (jet) gives the derivative coefficients that nested jvp gives, term by term', opts.order ?? 3, FWD, jetMatchesNestedJvp(opts.order ?? 3)),
  ], f, arbArgs, opts)
