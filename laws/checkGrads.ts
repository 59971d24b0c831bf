/**
 * leibniz/laws: `checkGrads` — derivatives against finite differences, to any order.
 *
 *   fwd: jvp(f, x, v) ≈ (f(x + εv) − f(x − εv)) / 2ε           (central differences, O(ε²))
 *   rev: ⟨u, J v⟩ = ⟨Jᵀu, v⟩        (vjp against jvp; against central differences in rev mode alone)
 * For order k > 1 the same checks run on the derivative maps x ↦ jvp(f, x, v) and
 * x ↦ vjp(f, x)(u), so a rule whose first derivative is right and second is wrong is caught.
 */
import { jvp, vjp } from '../src'
import { findMismatch } from './allclose'
import { centralDifference } from './differences'
import { type Rng, absTree, makeRng, onesTree, precisionOf, randomLike, vdot } from './treeMath'

/** `fwd`: jvp against central differences; `rev`: vjp against jvp (adjointness). */
export type Mode = 'fwd' | 'rev'

/** Options of `checkGrads`; tolerances default to `defaultTolerances` of the arguments' precision. */
export interface CheckGradsOptions {
  /** Highest derivative order to check (default 2). */
  readonly order?: number
  /** Which modes to check (default both); use `['rev']` for a `customVjp` function. */
  readonly modes?: readonly Mode[]
  /** Finite-difference step. */
  readonly eps?: number
  /** Absolute tolerance: |actual − expected| ≤ atol + rtol·|expected|. */
  readonly atol?: number
  /** Relative tolerance. */
  readonly rtol?: number
  /** Seed of the random directions (default 0). */
  readonly seed?: number
}

/** Thrown by `checkGrads`: which mode and order failed, with the expected and actual values. */
export class GradCheckError extends Error {
  override readonly name = 'GradCheckError'
  constructor(
    readonly mode: Mode,
    readonly order: number,
    readonly expected: unknown,
    readonly actual: unknown,
    detail: string,
  ) {
    super(`checkGrads: ${mode}-mode derivative of order ${order} is wrong: ${detail}`)
  }
}

/** Tolerances by dtype: tight for float64, loose for float32 (whose ε must be large). */
export const defaultTolerances = (precision: 'float32' | 'float64') =>
  precision === 'float64' ? { eps: 1e-5, rtol: 1e-5, atol: 1e-5 } : { eps: 1e-3, rtol: 2e-2, atol: 2e-2 }

type F = (...args: any[]) => unknown

const checkJvp = (f: F, args: unknown[], order: number, tol: Required<Omit<CheckGradsOptions, 'modes' | 'order' | 'seed'>>, rng: Rng): void => {
  const v = randomLike(args, rng) as unknown[]
  const [, t] = jvp(f, args, v)
  const fd = centralDifference(f, args, v, tol.eps)
  // The differences' own error estimate widens the absolute tolerance: a kink is undecidable, not wrong.
  const m = findMismatch(t, fd.value, { rtol: tol.rtol, atol: tol.atol + 2 * fd.error })
  if (m) throw new GradCheckError('fwd', order, fd.value, t, `jvp vs central differences (h = ${fd.step.toExponential(1)}, Richardson error estimate ${fd.error.toExponential(1)}): ${m.reason}`)
}

/**
 * ⟨u, J v⟩ = ⟨Jᵀu, v⟩. J v comes from jvp when forward mode is checked too; in reverse mode
 * alone (e.g. a customVjp function, which has no jvp) it comes from central differences.
 */
const checkVjp = (f: F, args: unknown[], order: number, tol: { rtol: number; atol: number; eps: number }, rng: Rng, withJvp: boolean): void => {
  const v = randomLike(args, rng) as unknown[]
  const fd = withJvp ? null : centralDifference(f, args, v, tol.eps)
  const tv = fd === null ? jvp(f, args, v)[1] : fd.value
  const u = randomLike(tv, rng)
  const [, pullback] = vjp(f, args)
  const ju = pullback(u)
  const lhs = vdot(u, tv)
  const rhs = vdot(ju, v)
  // ⟨u, error⟩ ≤ Σ|uᵢ| · error estimate of the differences
  const fdErr = fd === null ? 0 : 2 * fd.error * vdot(absTree(u), onesTree(u))
  if (!(Math.abs(lhs - rhs) <= tol.atol + fdErr + tol.rtol * Math.abs(lhs))) {
    const ref = fd === null ? 'jvp' : `central differences (h = ${fd.step.toExponential(1)}, error estimate ${fd.error.toExponential(1)})`
    throw new GradCheckError('rev', order, lhs, rhs, `⟨u, J v⟩ = ${lhs} (by ${ref}) but ⟨Jᵀu, v⟩ = ${rhs} (by vjp)`)
  }
}

/**
 * Check `f`'s derivatives at `args` up to `order` in the given modes; throws a
 * `GradCheckError` naming the mode, the order, and the expected and actual values.
 */
export const checkGrads = (f: F, args: readonly unknown[], opts: CheckGradsOptions = {}): void => {
  const order = opts.order ?? 2
  const modes = opts.modes ?? ['fwd', 'rev']
  const d = defaultTolerances(precisionOf(args))
  const tol = { eps: opts.eps ?? d.eps, rtol: opts.rtol ?? d.rtol, atol: opts.atol ?? d.atol }
  const rng = makeRng(opts.seed ?? 0)
  const go = (g: F, k: number): void => {
    if (modes.includes('fwd')) checkJvp(g, [...args], k, tol, rng)
    if (modes.includes('rev')) checkVjp(g, [...args], k, tol, rng, modes.includes('fwd'))
    if (k >= order) return
    if (modes.includes('fwd')) {
      const v = randomLike([...args], rng) as unknown[]
      go((...xs: unknown[]) => jvp(g, xs, v)[1], k + 1)
    }
    if (modes.includes('rev')) {
      const u = randomLike(g(...args), rng)
      go((...xs: unknown[]) => vjp(g, xs)[1](u), k + 1)
    }
  }
  go(f, 1)
}
