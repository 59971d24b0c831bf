/**
 * Test helper for the control-flow suites: a structured function (lax.cond / switch / scan /
 * whileLoop / foriLoop) must agree with its unrolled JS reference (a JS `if`, a JS `for` loop)
 * under every transformation — eval, jit, jvp, grad, grad∘grad and vmap (and vmap∘grad).
 *
 * Both functions take `(s, ...xs)`: `s` is non-differentiable data (predicates, indices; the
 * reference may read it with `.item()`, so it is only ever concrete there) and `xs` are the
 * float64 arrays that are differentiated. The derivatives of the reference come from
 * straight-line code, so agreement checks the loop/branch rules against the plain rules.
 */
import { expect } from 'vitest'
import { type Array as Arr, grad, jit, jvp, np, tree, vmap } from '../../src'
import { findMismatch } from '../../laws'

export type Fn = (s: any, ...xs: Arr[]) => unknown

/** mulberry32 (seeded, reproducible): the one in leibniz/laws. */
import { makeRng } from '../../laws/treeMath'

export { makeRng }

/** A float64 array of `shape` with entries uniform in [lo, hi). */
export const randn = (rng: () => number, shape: readonly number[], lo = -1, hi = 1): Arr => {
  const n = shape.reduce((a, b) => a * b, 1)
  return np.array(Float64Array.from({ length: n }, () => lo + (hi - lo) * rng())).reshape([...shape])
}

export const expectClose = (actual: unknown, expected: unknown, what: string, rtol = 1e-10, atol = 1e-12): void => {
  const m = findMismatch(actual, expected, { rtol, atol })
  if (m) expect.fail(`${what}: ${m.reason}`)
}

/** Row i of x along axis 0 (works on tracers). */
export const row = (x: Arr, i: number): Arr => np.take(x, np.array(i, { dtype: 'int32' }), 0)
export const rows = (x: Arr): Arr[] => Array.from({ length: x.shape[0] }, (_, i) => row(x, i))

/** Stack a list of equally shaped pytrees leafwise on a new axis 0. */
export const stackTrees = (ts: readonly unknown[]): unknown => tree.map((...ls: Arr[]) => np.stack(ls), ts[0], ...ts.slice(1))

/** A nonlinear scalar loss over every leaf of an output pytree: Σ sum(w ⊙ sin(leaf)) + Σ sum(leaf²)/10. */
export const lossOf = (out: unknown): Arr => {
  const ls: Arr[] = tree.leaves(out)
  let acc: Arr = np.array(0)
  ls.forEach((l, k) => {
    const w = np.arange(l.size).reshape([...l.shape]).mul(0.37 * (k + 1)).add(0.5)
    acc = acc.add(np.sum(np.sin(l).mul(w))).add(np.sum(l.mul(l)).mul(0.1))
  })
  return acc
}

/** `vmap` also checks jit∘vmap, and vmap∘grad when `grad` is among the checks. */
export type Check = 'eval' | 'jit' | 'jvp' | 'grad' | 'gradgrad' | 'vmap'
export const ALL: readonly Check[] = ['eval', 'jit', 'jvp', 'grad', 'gradgrad', 'vmap']

export interface Case {
  readonly f: Fn
  readonly ref: Fn
  readonly s: unknown
  readonly xs: readonly Arr[]
  /** Per-example inputs for the vmap checks (they are stacked on axis 0). */
  readonly batch?: readonly { readonly s: unknown; readonly xs: readonly Arr[] }[]
  readonly checks?: readonly Check[]
  readonly rtol?: number
  readonly atol?: number
  readonly seed?: number
}

/** Assert that `f` and `ref` agree under every transformation in `checks` (default: all). */
export const expectAgree = (name: string, c: Case): void => {
  const checks = c.checks ?? ALL
  const rtol = c.rtol ?? 1e-10
  const atol = c.atol ?? 1e-12
  const close = (a: unknown, b: unknown, what: string) => expectClose(a, b, `${name} — ${what}`, rtol, atol)
  const rng = makeRng(c.seed ?? 7)
  const xs = [...c.xs]
  const argnums = xs.map((_, i) => i)
  const fx = (...v: Arr[]) => c.f(c.s, ...v)
  const rx = (...v: Arr[]) => c.ref(c.s, ...v)
  const L = (g: (...v: Arr[]) => unknown) => (...v: Arr[]) => lossOf(g(...v))

  if (checks.includes('eval')) close(fx(...xs), rx(...xs), 'eval')
  if (checks.includes('jit')) close(jit((s: unknown, ...v: Arr[]) => c.f(s, ...v))(c.s, ...xs), rx(...xs), 'jit')
  if (checks.includes('jvp')) {
    const ts = xs.map((x) => randn(rng, x.shape))
    close(jvp(fx, xs, ts), jvp(rx, xs, ts), 'jvp')
  }
  if (xs.length > 0 && checks.includes('grad')) {
    close(grad(L(fx), { argnums })(...xs), grad(L(rx), { argnums })(...xs), 'grad')
    close(jit(grad(L(fx), { argnums }))(...xs), grad(L(rx), { argnums })(...xs), 'jit(grad)')
  }
  if (xs.length > 0 && checks.includes('gradgrad')) {
    const vs = xs.map((x) => randn(rng, x.shape))
    // x ↦ ⟨∇L(x), v⟩, differentiated again: the Hessian times v, by reverse-over-reverse
    const dir = (g: (...v: Arr[]) => unknown) => (...v: Arr[]) =>
      (grad(L(g), { argnums })(...v) as Arr[]).reduce((acc: Arr, gi, i) => acc.add(np.sum(gi.mul(vs[i]))), np.array(0))
    close(grad(dir(fx), { argnums })(...xs), grad(dir(rx), { argnums })(...xs), 'grad(grad)')
  }
  if (c.batch && checks.includes('vmap')) {
    const S = c.batch.some((b) => b.s === null) ? null : stackTrees(c.batch.map((b) => b.s))
    const XS = xs.map((_, i) => np.stack(c.batch!.map((b) => b.xs[i])))
    const bf = (s: unknown, ...v: Arr[]) => c.f(s, ...v)
    const inAxes = [S === null ? null : 0, ...xs.map(() => 0)]
    const want = stackTrees(c.batch.map((b) => c.ref(b.s, ...b.xs)))
    close(vmap(bf, { inAxes })(S, ...XS), want, 'vmap')
    close(jit(vmap(bf, { inAxes }))(S, ...XS), want, 'jit(vmap)')
    if (xs.length > 0 && checks.includes('grad')) {
      const gWant = stackTrees(c.batch.map((b) => grad(L((...v: Arr[]) => c.ref(b.s, ...v)), { argnums })(...b.xs)))
      const gGot = vmap((s: unknown, ...v: Arr[]) => grad(L((...w: Arr[]) => c.f(s, ...w)), { argnums })(...v), { inAxes })(S, ...XS)
      close(gGot, gWant, 'vmap(grad)')
    }
  }
}
