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
import { jvp, np, tree, vjp } from '../src'
import type { Array } from '../src'
import { isFloat } from '../src/ir/dtypes'
import { asArray } from './treeMath'

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

/** Routes of order k that are not compositions of jvp and vjp (e.g. Taylor mode), by order. */
export const EXTRA_ROUTES: Record<number, Record<string, Route>> = {}

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
