/**
 * Differential fuzzer: one case through every route, and the derivative identities.
 *
 *   values, grad(Σ f), jvp(f)·v, vmap(f)   on every route  ≡ the reference (./tolerance.ts)
 *   vmap(f)(xs)                            ≡ f applied to each example, stacked
 *   jvp(f)(x; v)                           ≈ Richardson-extrapolated central differences
 *   ⟨u, J v⟩ (jvp)                         ≈ ⟨Jᵀu, v⟩ (vjp)
 *
 * Finite differences: D(h) = (f(x + hv) − f(x − hv)) / 2h has error c·h² + O(h⁴), so
 * D(2h) − D(h) ≈ 3c·h² measures it, and R = (4D(h) − D(2h)) / 3 cancels it. jvp must be within
 * FD_SLACK·(|D(2h) − D(h)| + rounding) of R (rounding: 8u·max|f|/h, at least 8u/h for the O(1)
 * intermediates): the tolerance scales with the function's own
 * curvature at that point, and a jump of f between x ± 2hv (a `cond` switching) shows up as a
 * large D(2h) − D(h), never as a false report. An element that disagrees is tried again at
 * steps ten times smaller, down to FD_MIN_STEP: where f varies on a scale below h, D(h) and
 * D(2h) can be aliased samples of an oscillation that happen to be close, and only a step that
 * resolves it estimates the derivative.
 */
import { type Array as Arr, grad, jit, jvp, makeJaxpr, np, tree, vjp, vmap } from '../../src'
import type { TypedArray } from '../../src/ir/dtypes'
import { makeRng, randomLike } from '../../laws/treeMath'
import type { FuzzCase } from './cases'
import { REFERENCE, type Route, ROUTES, selectRoute } from './routes'
import { type Policy, compare, errorBudget, nearKink, periodicGain, policyFor } from './tolerance'

/** A disagreement between two ways of computing the same thing. */
export class Disagreement extends Error {
  override readonly name = 'Disagreement'
  constructor(readonly check: string, readonly route: string, detail: string) {
    super(`${check} on route ${route}: ${detail}`)
  }
}

type Fn = (...xs: Arr[]) => unknown

const leaves = (t: unknown): TypedArray[] => tree.leaves(t).map((l) => (l as Arr).toTypedArray())

const FD_STEP = 1e-3
/** the smallest step a disagreement is tried again at (see the module comment) */
const FD_MIN_STEP = 1e-10
const FD_SLACK = 8

/** Routes a case runs by: threads only split kernels of 2¹⁶ elements, so only large cases. */
export const routesFor = (c: FuzzCase, only?: readonly string[]): Route[] =>
  ROUTES.filter((r) => (r.threads === 1 || c.size === 'large') && (only === undefined || only.includes(r.name) || r === REFERENCE))

/** The functions each route computes for a case, by name. */
const functionsOf = (c: FuzzCase): { name: string; fn: Fn; args: Arr[] }[] => {
  const p = c.program
  const args = p.args
  const dirs = randomLike(args, makeRng(c.dirSeed)) as Arr[]
  const all = args.map((_, i) => i)
  const out: { name: string; fn: Fn; args: Arr[] }[] = [
    { name: 'value', fn: p.fn, args },
    { name: 'jvp', fn: (...xs: Arr[]) => jvp(p.fn, xs, dirs)[1], args },
  ]
  if (p.reverse) out.push({ name: 'grad', fn: grad((...xs: Arr[]) => np.sum(p.fn(...xs)), { argnums: all }), args })
  if (c.size !== 'large') out.push({ name: 'vmap', fn: vmap(p.fn, { inAxes: vmapAxes(c) }), args: batched(c) })
  return out
}

const BATCH = 3
const vmapAxes = (c: FuzzCase): (number | null)[] => (c.inAxes.every((a) => a === null) ? [0, ...c.inAxes.slice(1)] : [...c.inAxes])
/** Example b of input i: the input itself, scaled and shifted (kept inside the domain). */
const example = (x: Arr, b: number): Arr => (b === 0 ? x : x.mul(1 - 0.25 * b).add(0.125 * b))
const batched = (c: FuzzCase): Arr[] =>
  c.program.args.map((x, i) => {
    const ax = vmapAxes(c)[i]
    return ax === null ? x : np.stack(Array.from({ length: BATCH }, (_, b) => example(x, b)), ax)
  })

/** Run every function of the case on one route; results as typed arrays per leaf. */
const runRoute = async (r: Route, fns: { name: string; fn: Fn; args: Arr[] }[]): Promise<Map<string, TypedArray[]>> => {
  await selectRoute(r)
  const res = new Map<string, TypedArray[]>()
  for (const f of fns) {
    const g = r.jit ? jit(f.fn) : f.fn
    try {
      res.set(f.name, leaves(g(...f.args)))
    } catch (e) {
      throw new Disagreement(f.name, r.name, `threw ${String(e)}`)
    }
  }
  return res
}

const check = (what: string, route: string, got: TypedArray[], want: TypedArray[], policy: Policy, dtype: 'float64' | 'float32'): void => {
  if (got.length !== want.length) throw new Disagreement(what, route, `${got.length} outputs, expected ${want.length}`)
  got.forEach((g, i) => {
    const d = compare(g, want[i], policy, dtype)
    if (d !== null) throw new Disagreement(what, route, `output ${i}: ${d}`)
  })
}

/** Every route against the reference, and vmap against a loop. Throws a `Disagreement`. */
export const checkRoutes = async (c: FuzzCase, only?: readonly string[], onlyFns?: readonly string[], loopCheck = true): Promise<void> => {
  const fns = functionsOf(c).filter((f) => onlyFns === undefined || onlyFns.includes(f.name))
  const ref = await runRoute(REFERENCE, fns)
  const budgets = new Map(fns.map((f) => [f.name, errorBudget(makeJaxpr(f.fn)(...f.args).jaxpr)]))
  // Selections near a tie in the reference (./tolerance.ts, nearKink): under an error budget a
  // route may take the other side, so such a function is not compared there. value, jvp and
  // grad select where the program does; vmap on its own (batched) inputs.
  const kinkOf = (fn: Fn, args: Arr[]) => nearKink(makeJaxpr(fn)(...args), args, errorBudget(makeJaxpr(fn)(...args).jaxpr), c.dtype)
  const primal = kinkOf(c.program.fn, c.program.args)
  const batchedFn = fns.find((f) => f.name === 'vmap')
  const kinks = new Map(fns.map((f) => [f.name, f === batchedFn ? kinkOf(f.fn, f.args) : primal]))
  // sin/cos/tan of large arguments carry the argument's error with a gain (./tolerance.ts)
  const gainOf = (fn: Fn, args: Arr[]) => periodicGain(makeJaxpr(fn)(...args), args)
  const primalGain = gainOf(c.program.fn, c.program.args)
  const gains = new Map(fns.map((f) => [f.name, f === batchedFn ? gainOf(f.fn, f.args) : primalGain]))
  const scaled = (name: string, p: Policy): Policy => (p.kind === 'budget' ? { kind: 'budget', ulps: p.ulps * (gains.get(name) ?? 1) } : p)
  const skipUnderBudget = (name: string) => kinks.get(name) === 'jump' || (kinks.get(name) === 'kink' && name !== 'value' && name !== 'vmap')
  // vmap against the program applied to each example (on the reference route)
  if (ref.has('vmap') && loopCheck) {
    const p = c.program
    const axes = vmapAxes(c)
    const per = Array.from({ length: BATCH }, (_, b) => p.fn(...p.args.map((x, i) => (axes[i] === null ? x : example(x, b)))))
    const loop = leaves(np.stack(per, 0))
    check('vmap vs a loop over examples', REFERENCE.name, ref.get('vmap')!, loop, scaled('vmap', { kind: 'budget', ulps: budgets.get('vmap')!.ulps }), c.dtype)
  }
  let wasm1: Map<string, TypedArray[]> | undefined
  for (const r of routesFor(c, only)) {
    if (r === REFERENCE) continue
    const got = await runRoute(r, fns)
    for (const f of fns) {
      const base = r.threads > 1 && wasm1 !== undefined ? wasm1 : ref
      const policy: Policy = r.threads > 1 && wasm1 !== undefined ? { kind: 'bitwise' } : scaled(f.name, policyFor(r, c.dtype, budgets.get(f.name)!))
      if (policy.kind === 'budget' && skipUnderBudget(f.name)) continue
      check(f.name, r.name, got.get(f.name)!, base.get(f.name)!, policy, c.dtype)
    }
    if (r.name === 'jit-wasm') wasm1 = got
  }
  await selectRoute(REFERENCE)
}

/** jvp against finite differences (float64, smooth programs) and against vjp. */
export const checkDerivatives = async (c: FuzzCase): Promise<void> => {
  await selectRoute(REFERENCE)
  const p = c.program
  const rng = makeRng(c.dirSeed)
  const v = randomLike(p.args, rng) as Arr[]
  const [y, t] = jvp(p.fn, p.args, v)
  const tv = (t as Arr).toTypedArray()
  // A cond switches where a mean crosses a threshold; shrinking walks a failure towards that
  // kink, where central differences straddle it. Its branches are checked by the other cases.
  if (c.dtype === 'float64' && c.smooth && !p.ops.includes('cond')) {
    const at = (h: number) => (p.fn(...p.args.map((x, i) => x.add(v[i].mul(h)))) as Arr).toTypedArray()
    // Elements that disagree at one step are tried again at a step ten times smaller, down to
    // FD_MIN_STEP: where f varies on a scale below h (sin of a product of 40 factors, whose
    // argument moves by thousands across x ± 2hv), D(h) and D(2h) are aliased samples of an
    // oscillation and estimate nothing, while a step that resolves it agrees with the jvp. A
    // wrong jvp rule disagrees at every step.
    let pending = Array.from(tv, (_, k) => k)
    let first: string | null = null
    for (let h = FD_STEP; pending.length > 0; h /= 10) {
      const [p1, m1, p2, m2] = [at(h), at(-h), at(2 * h), at(-2 * h)]
      const u = 2 ** -53
      // rounding of f's intermediates, which are O(1) here (inputs in [−1.5, 1.5], bounded ops):
      // a floor under the per-element estimate, whose |f(x ± hv)| may be far smaller than them
      let fmax = 1
      for (const ys of [p1, m1, p2, m2]) for (const y of ys) if (Number.isFinite(y)) fmax = Math.max(fmax, Math.abs(y))
      const floor = (8 * u * fmax) / h
      const still: number[] = []
      for (const k of pending) {
        const d1 = (p1[k] - m1[k]) / (2 * h)
        const d2 = (p2[k] - m2[k]) / (4 * h)
        const rich = (4 * d1 - d2) / 3
        const rounding = (8 * u * Math.max(Math.abs(p1[k]), Math.abs(m1[k]), Math.abs(p2[k]), Math.abs(m2[k]), 1e-300)) / h
        const tol = FD_SLACK * (Math.abs(d2 - d1) + rounding + floor) + 1e-12 * Math.abs(rich)
        if (Math.abs(tv[k] - rich) <= tol) continue
        still.push(k)
        first ??= `element ${k}: jvp ${tv[k]}, central differences ${d1} (h = ${h}), ${d2} (2h), extrapolated ${rich}: |diff| ${Math.abs(tv[k] - rich).toExponential(3)} > ${tol.toExponential(3)}`
      }
      pending = still
      if (pending.length > 0 && h / 10 < FD_MIN_STEP) {
        throw new Disagreement('jvp vs finite differences', REFERENCE.name, `${first} (and at every step down to h = ${h})`)
      }
    }
  }
  if (!p.reverse) return
  // ⟨u, J v⟩ = ⟨Jᵀu, v⟩, to rounding of the sums' magnitudes
  const ct = randomLike(y, rng) as Arr
  const [, pullback] = vjp(p.fn, p.args)
  const back = pullback(ct) as Arr[]
  const cu = ct.toTypedArray()
  // Each tangent entry is computed to about budget·u of the tangents flowing through the
  // program (at most max(|v|, |J v|), as the programs' ops are O(1)-Lipschitz), each
  // cotangent entry likewise: the tolerance is that, summed against |u| and |v|.
  const amax = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, x) => (Number.isFinite(x) ? Math.max(m, Math.abs(x)) : m), 0)
  const asum = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, x) => m + Math.abs(x), 0)
  let lhs = 0
  for (let k = 0; k < tv.length; k++) lhs += cu[k] * tv[k]
  let rhs = 0
  let vsum = 0
  let vmax = 0
  let bmax = 0
  back.forEach((b, i) => {
    const bs = b.toTypedArray()
    const vs = v[i].toTypedArray()
    for (let k = 0; k < bs.length; k++) rhs += bs[k] * vs[k]
    vsum += asum(vs)
    vmax = Math.max(vmax, amax(vs))
    bmax = Math.max(bmax, amax(bs))
  })
  const budget = errorBudget(makeJaxpr((...xs: Arr[]) => jvp(p.fn, xs, v)[1])(...p.args).jaxpr).ulps
  const u = c.dtype === 'float64' ? 2 ** -53 : 2 ** -24
  const tol = 8 * budget * u * (asum(cu) * Math.max(vmax, amax(tv)) + vsum * Math.max(amax(cu), bmax))
  if (!Number.isFinite(lhs) && !Number.isFinite(rhs)) return // overflow in both: nothing to compare
  if (!(Math.abs(lhs - rhs) <= tol)) {
    throw new Disagreement('jvp vs vjp (⟨u, J v⟩ = ⟨Jᵀu, v⟩)', REFERENCE.name, `⟨u, J v⟩ = ${lhs} by jvp, ⟨Jᵀu, v⟩ = ${rhs} by vjp: |diff| ${Math.abs(lhs - rhs).toExponential(3)} > ${tol.toExponential(3)}`)
  }
}

/** Which check failed: while a failure is shrunk, only that check runs (much faster, and the
 *  shrunk case fails the same way). */
export interface Focus {
  readonly check: string
  readonly route: string
}

const ROUTE_CHECKS = new Set(['value', 'jvp', 'grad', 'vmap'])

/** All checks of one case (or only the focused one). */
export const checkCase = async (c: FuzzCase, only?: readonly string[], focus?: Focus): Promise<void> => {
  if (focus === undefined) {
    await checkRoutes(c, only)
    await checkDerivatives(c)
  } else if (ROUTE_CHECKS.has(focus.check)) {
    const routes = focus.route === 'jit-wasm-threads' ? ['jit-wasm', focus.route] : focus.route === REFERENCE.name ? [] : [focus.route]
    await checkRoutes(c, routes, [focus.check], false)
  } else if (focus.check.startsWith('vmap vs')) {
    await checkRoutes(c, [], ['vmap'])
  } else await checkDerivatives(c)
}
