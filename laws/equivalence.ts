/**
 * leibniz/laws: two functions that must be the same function — in value and in every
 * derivative mode. This is the law of transparency:
 *
 *   scan ≡ the unrolled loop;  cond ≡ the JS branch taken at that point;  a bounded whileLoop
 *   ≡ scan;  checkpoint(f) ≡ f;  customJvp / customVjp ≡ the derivative of its own primal body
 *
 * and, for a time stepper x_{k+1} = step(x_k), the simulation laws: the dot-product test of the
 * tangent-linear and adjoint models over the whole run, and jacfwd of the n-step map equal to
 * the product of the per-step Jacobians J_n ⋯ J_1.
 *
 * Each predicate returns null when the law holds, else how it failed.
 */
import { jacfwd, jvp, np, tree, vjp } from '../src'
import type { Array } from '../src'
import { NonDifferentiableError } from '../src/core/errors'
import { findMismatch } from './allclose'
import { centralDifference } from './differences'
import type { LawTolerance } from './predicates'
import { type Rng, asArray, randomLike, vdot } from './treeMath'

type F = (...args: any[]) => any
/** The modes in which two functions are compared: value, jvp, vjp, and second order (jvp∘jvp, jvp∘vjp). */
export type EquivalenceMode = 'value' | 'jvp' | 'vjp' | 'jvp2' | 'vjp2'
export const ALL_EQUIVALENCE_MODES: readonly EquivalenceMode[] = ['value', 'jvp', 'vjp', 'jvp2', 'vjp2']

const close = (what: string, a: unknown, b: unknown, tol: LawTolerance): string | null => {
  const m = findMismatch(a, b, tol)
  return m ? `${what}: ${m.reason}` : null
}

/**
 * f ≡ g at `args` in each of `modes` (default all): the same values, the same jvp along a
 * random v, the same vjp of a random u, and the same second derivatives jvp(jvp) and
 * jvp(vjp). `names` label f and g in the message.
 */
export const equivalent = (
  f: F, g: F, args: unknown[], tol: LawTolerance, rng: Rng,
  modes: readonly EquivalenceMode[] = ALL_EQUIVALENCE_MODES, names: readonly [string, string] = ['f', 'g'],
): string | null => {
  const [nf, ng] = names
  const v = randomLike(args, rng) as unknown[]
  const w = randomLike(args, rng) as unknown[]
  const out = f(...args)
  const u = randomLike(out, rng)
  const d1 = (h: F) => (...xs: unknown[]) => jvp(h, xs, v)[1]
  const r1 = (h: F) => (...xs: unknown[]) => vjp(h, xs)[1](u)
  const checks: Record<EquivalenceMode, () => string | null> = {
    value: () => close(`${nf}(x) vs ${ng}(x)`, out, g(...args), tol),
    jvp: () => close(`jvp of ${nf} vs of ${ng}`, d1(f)(...args), d1(g)(...args), tol),
    vjp: () => close(`vjp of ${nf} vs of ${ng}`, r1(f)(...args), r1(g)(...args), tol),
    jvp2: () => close(`jvp∘jvp of ${nf} vs of ${ng}`, jvp(d1(f), args, w)[1], jvp(d1(g), args, w)[1], tol),
    vjp2: () => close(`jvp∘vjp of ${nf} vs of ${ng}`, jvp(r1(f), args, w)[1], jvp(r1(g), args, w)[1], tol),
  }
  for (const m of modes) {
    let msg: string | null
    try {
      msg = checks[m]()
    } catch (e) {
      msg = `${m}: threw ${(e as Error).name}: ${(e as Error).message}`
    }
    if (msg) return `[${m}] ${msg}`
  }
  return null
}

/**
 * A custom rule's claims, verified: the custom function agrees with its own primal body in
 * the modes it supports (`supported`, default: the modes that do not throw), and in every
 * other mode raises a named error (NonDifferentiableError), never a generic one or a wrong
 * number.
 */
export const customRuleAgreesWithBody = (custom: F, body: F, args: unknown[], tol: LawTolerance, rng: Rng, supported: readonly EquivalenceMode[]): string | null => {
  const agree = equivalent(custom, body, args, tol, rng, supported, ['the custom rule', 'its primal body'])
  if (agree) return agree
  for (const m of ALL_EQUIVALENCE_MODES.filter((x) => !supported.includes(x))) {
    const r = equivalent(custom, body, args, tol, rng, [m], ['the custom rule', 'its primal body'])
    if (r === null) continue // the mode works after all (and agrees): nothing claimed falsely
    if (!/threw NonDifferentiableError/.test(r)) return `mode ${m} is unsupported, but it did not raise NonDifferentiableError: ${r}`
  }
  return null
}

/** Whether `g` raises a NonDifferentiableError in forward mode at `args` (a customVjp's declared limit). */
export const forwardModeRaisesNamedError = (g: F, args: unknown[]): boolean => {
  try {
    jvp(g, args, args)
    return false
  } catch (e) {
    return e instanceof NonDifferentiableError
  }
}

// ---- simulation laws -------------------------------------------------------------------------

/** Run `step` n times from x: the n-step map of a time stepper. */
const iterate = (step: (x: Array) => Array, n: number) => (x: Array): Array => {
  let y = x
  for (let k = 0; k < n; k++) y = step(y)
  return y
}

/**
 * The dot-product test over a whole run: with M the tangent-linear model of `run` and Mᵀ its
 * adjoint (vjp), ⟨u, M v⟩ = ⟨Mᵀu, v⟩ for random u, v. M v comes from jvp, or — when the run
 * has no forward mode (a customVjp step) — from Richardson-extrapolated differences, so a
 * hand-written adjoint is checked against the model itself.
 */
export const tangentLinearAdjointDotProduct = (run: (x: Array) => Array, x0: Array, tol: LawTolerance, rng: Rng): string | null => {
  const v = randomLike(x0, rng) as Array
  let mv: unknown
  let by = 'tangent-linear model'
  try {
    mv = jvp(run, [x0], [v])[1]
  } catch (e) {
    if (!(e instanceof NonDifferentiableError)) throw e
    mv = centralDifference(run, [x0], [v], tol.eps).value
    by = 'differences of the run'
  }
  const u = randomLike(run(x0), rng) as Array
  const mtu = vjp(run, [x0])[1](u)
  const lhs = vdot(u, mv)
  const rhs = vdot(mtu, v)
  return Math.abs(lhs - rhs) <= tol.atol + tol.rtol * Math.max(Math.abs(lhs), Math.abs(rhs))
    ? null
    : `⟨u, M v⟩ = ${lhs} (${by}) but ⟨Mᵀu, v⟩ = ${rhs} (adjoint model) (|diff| ${Math.abs(lhs - rhs).toExponential(3)})`
}

/**
 * jacfwd of the n-step map `run` at x₀ = J_n ⋯ J_2 J_1, with J_k = jacfwd(step) at x_{k−1}
 * (state: a 1-d array).
 */
export const jacobianIsProductOfSteps = (run: (x: Array) => Array, step: (x: Array) => Array, n: number, x0: Array, tol: LawTolerance): string | null => {
  const whole = jacfwd(run)(x0) as Array
  let prod = np.eye(x0.size)
  let x = x0
  for (let k = 0; k < n; k++) {
    prod = np.matmul(jacfwd(step)(x) as Array, prod)
    x = step(x)
  }
  return close(`jacfwd of ${n} steps vs the product of the ${n} per-step Jacobians`, whole, prod, tol)
}

export { iterate }

// ---- gauge-invariant laws ----------------------------------------------------------------------

/**
 * Decompositions are unique only up to a gauge (signs or rotations of eigenvectors, of
 * singular vectors, of Q's columns), so their raw outputs cannot be compared across
 * perturbations — but invariant outputs can: projectors v vᵀ of a simple eigenvalue, the
 * singular values, the reconstruction u·diag(s)·vᵀ. `gaugeInvariantLaws` checks, for each
 * named invariant function of the input matrix, the first-order laws (jvp against differences,
 * vjp adjointness) and that jit does not change it.
 */
export const gaugeInvariantLaws = (
  invariants: Readonly<Record<string, (a: Array) => Array>>, a: Array, tol: LawTolerance, rng: Rng,
  check: (f: F, args: unknown[], tol: LawTolerance, rng: Rng) => string | null,
): string | null => {
  for (const [name, inv] of Object.entries(invariants)) {
    const msg = check(inv, [a], tol, rng)
    if (msg) return `invariant '${name}': ${msg}`
  }
  return null
}

/** Flat leaves of a tree as one float64 vector (for comparing invariants). */
export const flatVector = (t: unknown): Array => np.concatenate(tree.leaves(t).map((l) => asArray(l).reshape([-1]).astype('float64')), 0)
