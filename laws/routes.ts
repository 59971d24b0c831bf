/**
 * leibniz/laws: every route to a k-th derivative.
 *
 * The k-th derivative of f at x, contracted with an output weight c and directions d₁…d_k,
 * is one number: dᵏ⟨c, f⟩(x)[d₁, …, d_k]. Each of the 2ᵏ compositions of forward and reverse
 * mode computes it, one level at a time, from the scalar function L₀(x) = ⟨c, f(x)⟩:
 *
 *   fwd   L_{j+1}(x) = jvp(L_j, x, d_{j+1})             (directional derivative)
 *   rev   L_{j+1}(x) = ⟨vjp(L_j, x)(1), d_{j+1}⟩         (gradient, then its component)
 *
 * A route is written innermost level first ('rev∘fwd' is grad of a jvp: level 1 fwd, level 2
 * rev). A route that is not built of jvp and vjp (Taylor mode, `jet`) joins the laws by one
 * entry in `EXTRA_ROUTES`: a function from (f, x, c, directions) to the number.
 */
import { jet, jvp, np, tree, vjp } from '../src'
import type { Array } from '../src'
import { isFloat } from '../src/ir/dtypes'
import { asArray, axpy } from './treeMath'

type F = (...args: any[]) => unknown
/** A route: the number dᵏ⟨c, f⟩(x)[d₁, …, d_k] (directions are argument lists like x). */
export type Route = (f: F, args: unknown[], c: unknown, dirs: readonly unknown[][]) => number

/** ⟨a, b⟩ over pytrees with the library's own ops, so it is traced and differentiated. */
export const traceableDot = (a: unknown, b: unknown): Array => {
  const la = tree.leaves(a).map(asArray)
  const lb = tree.leaves(b).map(asArray)
  let s: Array = np.array(0)
  la.forEach((x, i) => {
    if (isFloat(x.dtype)) s = s.add(np.sum(x.mul(lb[i])).astype('float64'))
  })
  return s
}

type Level = (...xs: unknown[]) => Array

const step = (L: Level, kind: 'fwd' | 'rev', d: unknown[]): Level =>
  kind === 'fwd'
    ? (...xs) => asArray(jvp(L, xs, d)[1])
    : (...xs) => traceableDot(vjp(L, xs)[1](np.array(1)), d)

/** The route of a string of levels, innermost first, e.g. ['fwd', 'rev', 'rev']. */
export const composedRoute = (levels: readonly ('fwd' | 'rev')[]): Route => (f, args, c, dirs) => {
  let L: Level = (...xs) => traceableDot(c, f(...xs))
  levels.forEach((kind, j) => (L = step(L, kind, dirs[j] as unknown[])))
  return Number(asArray(L(...args)).item())
}

/**
 * Taylor mode as a route. `jet` along one direction v gives the pure derivative dᵏ⟨c, f⟩[v, …, v]
 * (its k-th term, in JAX's convention of derivative coefficients). The mixed derivative
 * comes from pure ones by polarization:
 *   d²[a, b]    = (d²[a+b]ᵏ − d²[a−b]ᵏ) / 4
 *   d³[a, b, e] = Σ over signs of b, e of (±)(±) d³[a ± b ± e] / 24
 * (the other sign patterns of a repeat these, since dᵏ[−v] = (−1)ᵏ dᵏ[v]).
 */
const jetRoute =
  (k: 2 | 3): Route =>
  (f, args, c, dirs) => {
    const g = (...xs: unknown[]) => traceableDot(c, f(...xs))
    const pure = (signs: readonly number[]): number => {
      // v = d₁ + Σ signs[j]·d_{j+2}, per argument
      const v = args.map((_, i) => dirs.slice(1).reduce<unknown>((acc, d, j) => axpy(signs[j], d[i], acc), dirs[0][i]))
      const series = v.map((vi, i) => {
        const zero = tree.map((x: unknown) => np.zerosLike(asArray(x)), args[i])
        return [vi, ...globalThis.Array.from({ length: k - 1 }, () => zero)]
      })
      const [, out] = jet(g, args, series)
      return Number(asArray((out as unknown[])[k - 1]).item())
    }
    if (k === 2) return (pure([1]) - pure([-1])) / 4
    return (pure([1, 1]) - pure([1, -1]) - pure([-1, 1]) + pure([-1, -1])) / 24
  }

/** Routes of order k that are not compositions of jvp and vjp (Taylor mode), by order. */
export const EXTRA_ROUTES: Record<number, Record<string, Route>> = { 2: { jet: jetRoute(2) }, 3: { jet: jetRoute(3) } }

/** Every route of order k: the 2ᵏ compositions of fwd and rev (named outermost first, as `rev∘fwd`), then the extras. */
export const routesOfOrder = (k: number, forwardOnly = false): Record<string, Route> => {
  const out: Record<string, Route> = {}
  for (let m = 0; m < 2 ** k; m++) {
    const levels = globalThis.Array.from({ length: k }, (_, j) => ((m >> j) & 1 ? 'rev' : 'fwd') as 'fwd' | 'rev')
    if (forwardOnly && levels.includes('rev')) continue
    out[[...levels].reverse().join('∘')] = composedRoute(levels)
  }
  return { ...out, ...(EXTRA_ROUTES[k] ?? {}) }
}
