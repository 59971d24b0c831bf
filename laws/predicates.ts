/**
 * leibniz/laws, layer 1: the laws as pure predicates. Each takes a function, a point and
 * options, and returns null when the law holds or a message saying how it failed.
 *
 *   first order   jvp ≈ central differences; jvp linear in the tangent; ⟨u, Jv⟩ = ⟨Jᵀu, v⟩;
 *                 linearize ≡ jvp; scalar f: grad ≡ vjp(1) ≡ jacrev ≡ jacfwd; jit(f) ≡ f;
 *                 vmap(f) ≡ stacking f over a batch
 *   second order  ⟨w, Hv⟩ = ⟨v, Hw⟩ (symmetry); hvp ≡ jvp∘grad ≡ grad⟨grad f, v⟩ ≡ hessian·v;
 *                 second directional derivative ≈ differences of jvp
 *   linear        f(ax + by) = a f(x) + b f(y); ⟨u, f v⟩ = ⟨fᵀu, v⟩; (fᵀ)ᵀ = f
 *   Taylor        jet along x(t) = x + t v + t² w ≡ nested jvp of t ↦ f(x(t)), order by order
 */
import { grad, hessian, hvp, jacfwd, jacrev, jet, jit, jvp, linearize, linearTranspose, np, tree, vjp, vmap } from '../src'
import type { Array } from '../src'
import { findMismatch } from './allclose'
import { isFloat } from '../src/ir/dtypes'
import { type Difference, centralDifference } from './differences'
import { routesOfOrder } from './routes'
import { type Rng, absTree, asArray, axpy, onesTree, randomLike, scale, sub, vdot } from './treeMath'

/** Tolerances of a predicate: |actual − expected| ≤ atol + rtol·|expected|, and the finite-difference step. */
export interface LawTolerance {
  readonly rtol: number
  readonly atol: number
  readonly eps: number
}
type F = (...args: any[]) => any
/** A law at one point: null when it holds, else how it failed. `rng` draws the random directions. */
export type Predicate = (f: F, args: unknown[], tol: LawTolerance, rng: Rng) => string | null

const close = (what: string, actual: unknown, expected: unknown, tol: LawTolerance): string | null => {
  const m = findMismatch(actual, expected, tol)
  return m ? `${what}: ${m.reason}` : null
}
/** Against differences: their error estimate widens atol (a kink is undecidable, not wrong) and is printed. */
export const closeToDifference = (what: string, actual: unknown, fd: Difference, tol: LawTolerance): string | null => {
  const m = findMismatch(actual, fd.value, { rtol: tol.rtol, atol: tol.atol + 2 * fd.error })
  return m ? `${what} (h = ${fd.step.toExponential(1)}, Richardson error estimate ${fd.error.toExponential(1)}): ${m.reason}` : null
}
const closeNum = (what: string, a: number, b: number, tol: LawTolerance): string | null =>
  Math.abs(a - b) <= tol.atol + tol.rtol * Math.max(Math.abs(a), Math.abs(b)) ? null : `${what}: ${a} vs ${b}`

/** A direction for the first argument only (the others get zero tangents). */
const firstArgDirection = (args: unknown[], rng: Rng): unknown[] =>
  args.map((a, i) => (i === 0 ? randomLike(a, rng) : tree.map((l: unknown) => np.zerosLike(asArray(l)), a)))

const isScalarOut = (out: unknown): boolean => {
  const ls = tree.leaves(out)
  return ls.length === 1 && asArray(ls[0]).ndim === 0
}

// ---- first order --------------------------------------------------------------------------

/** jvp(f, x, v) ≈ (f(x + εv) − f(x − εv)) / 2ε. */
export const jvpMatchesFiniteDifferences: Predicate = (f, args, tol, rng) => {
  const v = randomLike(args, rng) as unknown[]
  const [, t] = jvp(f, args, v)
  return closeToDifference('jvp vs central differences', t, centralDifference(f, args, v, tol.eps), tol)
}

/** jvp(f, x, 2v − 3w) = 2 jvp(f, x, v) − 3 jvp(f, x, w). */
export const jvpLinearInTangent: Predicate = (f, args, tol, rng) => {
  const v = randomLike(args, rng) as unknown[]
  const w = randomLike(args, rng) as unknown[]
  const [, tv] = jvp(f, args, v)
  const [, tw] = jvp(f, args, w)
  const [, tvw] = jvp(f, args, axpy(2, v, scale(-3, w)) as unknown[])
  return close('jvp(f, x, 2v − 3w) vs 2 jvp(v) − 3 jvp(w)', tvw, axpy(2, tv, scale(-3, tw)), tol)
}

/** ⟨u, J v⟩ = ⟨Jᵀu, v⟩: the pullback of vjp is the adjoint of jvp. */
export const vjpAdjointToJvp: Predicate = (f, args, tol, rng) => {
  const v = randomLike(args, rng) as unknown[]
  const [out, tv] = jvp(f, args, v)
  const u = randomLike(out, rng)
  const ju = vjp(f, args)[1](u)
  return closeNum('⟨u, J v⟩ vs ⟨Jᵀu, v⟩', vdot(u, tv), vdot(ju, v), tol)
}

/** linearize(f, x) gives f(x), and fLin(v) = jvp(f, x, v). */
export const linearizeMatchesJvp: Predicate = (f, args, tol, rng) => {
  const v = randomLike(args, rng) as unknown[]
  const [out, tv] = jvp(f, args, v)
  const [outL, fLin] = linearize(f, args)
  return close('linearize primal output vs f', outL, out, tol) ?? close('linearize(f)(v) vs jvp', fLin(...v), tv, tol)
}

/** For scalar f: grad ≡ vjp(1) ≡ jacrev ≡ jacfwd, w.r.t. every argument. */
export const gradAgreesForScalar: Predicate = (f, args, tol) => {
  const out = f(...args)
  if (!isScalarOut(out) || tree.leaves(out)[0] !== out) return null
  const argnums = args.map((_, i) => i)
  const g = grad(f, { argnums })(...args)
  const one = tree.map((l: unknown) => np.onesLike(asArray(l)), out)
  const viaVjp = vjp(f, args)[1](one)
  return (
    close('grad vs vjp(f)(1)', g, viaVjp, tol) ??
    close('jacrev vs grad', jacrev(f, { argnums })(...args), g, tol) ??
    close('jacfwd vs grad', jacfwd(f, { argnums })(...args), g, tol)
  )
}

/** jit(f)(x) = f(x). */
export const jitMatches: Predicate = (f, args, tol) => close('jit(f) vs f', jit(f)(...args), f(...args), tol)

/** vmap(f) over a batch of two points (args and a second sample) ≡ stacking f at each. */
/** Where `vmapMatchesStack` puts the batch axis: per argument 0, the last axis (−1) or null (not
 *  batched: both members share the first draw's value), and on the outputs 0 or −1. */
export interface VmapAxes {
  readonly inAxes: readonly (0 | -1 | null)[]
  readonly outAxes: 0 | -1
}

/** Batch axes drawn from `seed` (at least one argument batched). */
export const vmapAxesOf = (seed: number, numArgs: number): VmapAxes => {
  const choices: readonly (0 | -1 | null)[] = [0, -1, null, 0]
  const inAxes = globalThis.Array.from({ length: numArgs }, (_, i) => choices[(seed >>> (2 * i)) & 3])
  if (!inAxes.some((a) => a !== null)) inAxes[0] = 0
  return { inAxes, outAxes: (seed >>> 24) & 1 ? -1 : 0 }
}

export const vmapMatchesStack = (f: F, args: unknown[], second: unknown[], tol: LawTolerance, axes?: VmapAxes): string | null => {
  const inAxes = axes?.inAxes ?? args.map(() => 0 as const)
  const outAxes = axes?.outAxes ?? 0
  // an unbatched argument is the same for both members
  const other = second.map((b, i) => (inAxes[i] === null ? args[i] : b))
  const [la, da] = tree.flatten(args)
  const [lb, db] = tree.flatten(other)
  if (!tree.treedefEq(da, db) || la.some((x, i) => asArray(x).shape.join() !== asArray(lb[i]).shape.join())) return null
  const batched = args.map((a, i) => {
    const ax = inAxes[i]
    return ax === null ? a : tree.map((p: unknown, q: unknown) => np.stack([asArray(p), asArray(q)], ax), a, other[i])
  })
  const got = vmap(f, { inAxes: [...inAxes], outAxes })(...batched)
  const [o1, o2] = [f(...args), f(...other)]
  const want = tree.map((p: unknown, q: unknown) => np.stack([asArray(p), asArray(q)], outAxes), o1, o2)
  const where = axes === undefined ? '' : ` (inAxes [${inAxes.map(String).join(', ')}], outAxes ${outAxes})`
  return close(`vmap(f) vs stacking f${where}`, got, want, tol)
}

// ---- second order -----------------------------------------------------------------------

/** ⟨w, H v⟩ = ⟨v, H w⟩ for the Hessian w.r.t. the first argument. */
export const hessianSymmetric: Predicate = (f, args, tol, rng) => {
  if (!isScalarOut(f(...args))) return null
  const v = firstArgDirection(args, rng)
  const w = firstArgDirection(args, rng)
  return closeNum('⟨w, H v⟩ vs ⟨v, H w⟩', vdot(w[0], hvp(f, args, v)), vdot(v[0], hvp(f, args, w)), tol)
}

/** hvp ≡ jvp(grad f) ≡ grad(x ↦ ⟨grad f(x), v⟩) ≡ hessian(f) · v (first argument). */
export const hvpAgrees: Predicate = (f, args, tol, rng) => {
  if (!isScalarOut(f(...args))) return null
  const v = firstArgDirection(args, rng)
  const h = hvp(f, args, v)
  const viaJvp = jvp(grad(f), args, v)[1]
  const viaGrad = grad((...xs: unknown[]) => {
    const g = grad(f)(...xs)
    const terms = tree.leaves(g).map((gi, i) => np.sum(asArray(gi).mul(asArray(tree.leaves(v[0])[i]))))
    return terms.reduce((a: Array, b: Array) => a.add(b))
  })(...args)
  const err = close('hvp vs jvp(grad f)', h, viaJvp, tol) ?? close('hvp vs grad ⟨grad f, v⟩', h, viaGrad, tol)
  const singleArray = tree.leaves(args[0]).length === 1 && tree.leaves(args[0])[0] === args[0]
  if (err || !singleArray) return err
  const x0 = asArray(args[0])
  const H = asArray(tree.leaves(hessian(f)(...args))[0]).reshape([x0.size, x0.size])
  const Hv = np.matmul(H, asArray(v[0]).reshape([x0.size])).reshape(x0.shape as number[])
  return close('hvp vs hessian · v', h, Hv, tol)
}

/** d²f[v, w] by jvp of jvp ≈ central differences of jvp along w. */
export const secondOrderFiniteDifferences: Predicate = (f, args, tol, rng) => {
  const v = randomLike(args, rng) as unknown[]
  const w = randomLike(args, rng) as unknown[]
  const d1 = (...xs: unknown[]) => jvp(f, xs, v)[1]
  const [, d2] = jvp(d1, args, w)
  return closeToDifference('jvp∘jvp vs differences of jvp', d2, centralDifference(d1, args, w, tol.eps), tol)
}

// ---- linear functions -----------------------------------------------------------------------

/** For linear f: f(2x − 1.5y) = 2 f(x) − 1.5 f(y). */
export const linearity: Predicate = (f, args, tol, rng) => {
  const y = randomLike(args, rng) as unknown[]
  const lhs = f(...(axpy(-1.5, y, scale(2, args)) as unknown[]))
  const rhs = axpy(-1.5, f(...y), scale(2, f(...args)))
  return close('f(2x − 1.5y) vs 2f(x) − 1.5f(y)', lhs, rhs, tol)
}

/** For linear f: ⟨u, f(x)⟩ = ⟨fᵀ(u), x⟩ with fᵀ = linearTranspose(f). */
export const transposeAdjoint: Predicate = (f, args, tol, rng) => {
  const out = f(...args)
  const u = randomLike(out, rng)
  const fT = linearTranspose(f, ...args)
  return closeNum('⟨u, f(x)⟩ vs ⟨fᵀ(u), x⟩', vdot(u, out), vdot(fT(u), args), tol)
}

/** For linear f: (fᵀ)ᵀ = f. */
export const transposeInvolution: Predicate = (f, args, tol, rng) => {
  const out = f(...args)
  const u = randomLike(out, rng)
  const fT = linearTranspose(f, ...args)
  const fTT = linearTranspose((ct: unknown) => fT(ct), u)
  return close('(fᵀ)ᵀ(x) vs f(x)', fTT(args)[0], out, tol)
}

// ---- Taylor mode ------------------------------------------------------------------------------

/**
 * jet ≡ nested jvp, to `order`: along the curve x(t) = x + t·v + t²·w (v, w random; int leaves
 * fixed), the k-th output term of `jet(f, [x], [[v, 2w, 0, …]])` (JAX's derivative
 * coefficients) equals the k-th nested jvp of g(t) = f(x(t)) at t = 0, for k = 1 … order.
 */
export const jetMatchesNestedJvp =
  (order: number): Predicate =>
  (f, args, tol, rng) => {
    const v = randomLike(args, rng) as unknown[]
    const w = randomLike(args, rng) as unknown[]
    const zero = scale(0, v) as unknown[]
    const series = args.map((_, i) => globalThis.Array.from({ length: order }, (_, k) => (k === 0 ? v[i] : k === 1 ? scale(2, w[i]) : zero[i])))
    const [y, terms] = jet(f, args, series)
    const g = (t: Array) =>
      f(...(tree.map((xi: unknown, vi: unknown, wi: unknown) => {
        const x = asArray(xi)
        return isFloat(x.dtype) ? x.add(asArray(vi).mul(t)).add(asArray(wi).mul(t.mul(t))) : x
      }, args, v, w) as unknown[]))
    let d: (t: Array) => unknown = g
    const t0 = np.array(0)
    let err = close('jet primal vs f(x)', y, f(...args), tol)
    for (let k = 1; k <= order && err === null; k++) {
      const prev = d
      d = (t: Array) => jvp(prev, [t], [np.array(1)])[1]
      err = close(`jet term ${k} vs ${k} nested jvps`, terms[k - 1], d(t0), tol)
    }
    return err
  }

// ---- every route, any order ---------------------------------------------------------------------

const routeSetup = (f: F, args: unknown[], k: number, rng: Rng) => {
  const c = randomLike(f(...args), rng)
  const dirs = globalThis.Array.from({ length: k }, () => randomLike(args, rng) as unknown[])
  return { c, dirs }
}

/**
 * Order k: every composition of fwd and rev (fwd∘fwd∘fwd, fwd∘rev∘fwd, …, rev∘rev∘rev, and
 * any extra route registered for k) gives the same dᵏ⟨c, f⟩[d₁…d_k]. `forwardOnly` keeps the
 * pure forward route (for functions with no reverse mode).
 */
export const routesAgree = (k: number, forwardOnly = false): Predicate => (f, args, tol, rng) => {
  const { c, dirs } = routeSetup(f, args, k, rng)
  const routes = Object.entries(routesOfOrder(k, forwardOnly))
  const [refName, ref] = routes[0]
  const want = ref(f, args, c, dirs)
  for (const [name, route] of routes.slice(1)) {
    const got = route(f, args, c, dirs)
    const err = closeNum(`d${k}⟨c, f⟩[…] by ${name} vs ${refName}`, got, want, tol)
    if (err) return err
  }
  return null
}

/** Order k: dᵏ⟨c, f⟩[d₁…d_k] by fwd∘…∘fwd ≈ differences of the (k−1)-th derivative along d_k. */
export const kthDerivativeMatchesDifferences = (k: number): Predicate => (f, args, tol, rng) => {
  const { c, dirs } = routeSetup(f, args, k, rng)
  const fwd = (j: number) => routesOfOrder(j, true)[globalThis.Array.from({ length: j }, () => 'fwd').join('∘')]
  const exact = fwd(k)(f, args, c, dirs)
  const lower = (...xs: unknown[]) => np.array(fwd(k - 1)(f, xs, c, dirs))
  const fd = centralDifference(lower, args, dirs[k - 1], tol.eps)
  const approx = Number(asArray(fd.value).item())
  const slack = tol.atol + 2 * fd.error + tol.rtol * Math.abs(approx)
  return Math.abs(exact - approx) <= slack
    ? null
    : `d${k}⟨c, f⟩[…] by fwd^${k} = ${exact} but differences of d${k - 1} give ${approx} (h = ${fd.step.toExponential(1)}, Richardson error estimate ${fd.error.toExponential(1)}; |diff| ${Math.abs(exact - approx).toExponential(3)})`
}

/** ⟨u, D⟩ = ⟨Jᵀu, v⟩ with D the extrapolated differences along v: reverse mode alone against f. */
export const vjpMatchesFiniteDifferences: Predicate = (f, args, tol, rng) => {
  const v = randomLike(args, rng) as unknown[]
  const fd = centralDifference(f, args, v, tol.eps)
  const u = randomLike(f(...args), rng) // in the output's dtypes (the differences are float64)
  const lhs = vdot(u, fd.value)
  const rhs = vdot(vjp(f, args)[1](u), v)
  const slack = 2 * fd.error * vdot(absTree(u), onesTree(u))
  return Math.abs(lhs - rhs) <= tol.atol + slack + tol.rtol * Math.max(Math.abs(lhs), Math.abs(rhs))
    ? null
    : `⟨u, differences along v⟩ = ${lhs} (h = ${fd.step.toExponential(1)}, Richardson error estimate ${fd.error.toExponential(1)}) but ⟨Jᵀu, v⟩ = ${rhs} by vjp (|diff| ${Math.abs(lhs - rhs).toExponential(3)})`
}
