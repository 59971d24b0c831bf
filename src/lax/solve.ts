/**
 * lax: implicit differentiation — `customLinearSolve` and `customRoot`, as JAX's
 * `lax.custom_linear_solve` and `lax.custom_root`. The solver is a user function that runs
 * forward but is never differentiated: derivatives come from the equation the solution
 * satisfies (A x = b; f(x) = 0) by the implicit function theorem, so a 200-iteration Newton
 * solve differentiates at the price of one linear solve.
 */
import { ArgumentTypeError, ShapeError, TreeMismatchError } from '../core/errors'
import { checkOptionKeys, checkOptions, opt, requireSync, show } from '../core/validate'
import { type Tracer, bind } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import type { Jaxpr } from '../ir/jaxpr'
import { evalJaxpr } from '../interpret/eval'
import { jvpFlat } from '../interpret/jvp'
import { transposeJaxpr } from '../interpret/transpose'
import { avalsStr, sameAvals, traceHoisted } from '../higher/util'
import { instantiate } from '../primitives/util'
import { flattenArrays } from '../transforms/flat'
import { type TreeDef, treedefEq, treedefStr, unflatten } from '../tree/treedef'
import type { Arrays } from '../tree/types'

export interface CustomLinearSolveOptions {
  /** The matrix is symmetric: the transposed system is solved by `solve` itself. */
  readonly symmetric?: boolean
}

/** A linear map on pytrees shaped like the right-hand side. */
export type LinearMap<B> = (x: Arrays<B>) => Arrays<B>

interface Staged {
  readonly jaxpr: Jaxpr
  readonly consts: Tracer[]
}

/** Trace `f` on pytrees of `tree`/`avals`; its output must have the same structure and avals. */
const stageSquare = (f: (x: never) => unknown, tree: TreeDef, avals: readonly ShapedArray[], what: string): Staged => {
  let outTree: TreeDef | undefined
  const s = traceHoisted((...xs) => {
    const [leaves, def] = flattenArrays(requireSync(f(unflatten<never>(tree, xs)), what), `${what} output`)
    outTree = def
    return leaves
  }, avals)
  if (!treedefEq(outTree as TreeDef, tree)) {
    throw new TreeMismatchError(`${what}: must return the structure of its input ${treedefStr(tree)}, got ${treedefStr(outTree as TreeDef)}`)
  }
  if (!sameAvals(s.jaxpr.outAvals, avals)) {
    throw new ShapeError(`${what}: must return its input's shapes and dtypes ${avalsStr(avals)}, got ${avalsStr(s.jaxpr.outAvals)}`)
  }
  return s
}

const requireFn = (f: unknown, what: string, form: string): void => {
  if (typeof f !== 'function') throw new ArgumentTypeError(`${what} must be a function ${form}, got ${show(f)}`)
}

/** Evaluate a staged map on a pytree. */
const asFn = <B>(s: Staged, tree: TreeDef): LinearMap<B> => (x) =>
  unflatten<Arrays<B>>(tree, evalJaxpr(s.jaxpr, [], [...s.consts, ...flattenArrays(x, 'linear map argument')[0]]))

/**
 * `customLinearSolve(matvec, b, solve, transposeSolve?, { symmetric })`: x = solve(matvec, b),
 * a solution of matvec(x) = b, differentiated without differentiating `solve`:
 * dx = solve(matvec, db − (d matvec)(x)); reverse mode runs `transposeSolve(vecmat, ct)` (vecmat
 * is the transpose of matvec, derived automatically), or `solve` itself when `symmetric`.
 * `b` is any pytree; `matvec` and `solve` map pytrees of b's structure to the same structure.
 */
export const customLinearSolve = <B>(
  matvec: (x: Arrays<B>) => B | Arrays<B>,
  b: B,
  solve: (matvec: LinearMap<B>, b: Arrays<B>) => B | Arrays<B>,
  transposeSolve?: ((vecmat: LinearMap<B>, b: Arrays<B>) => B | Arrays<B>) | null,
  opts: CustomLinearSolveOptions = {},
): Arrays<B> => {
  const where = 'lax.customLinearSolve'
  checkOptions(opts, { symmetric: opt.boolean }, where)
  checkOptionKeys(opts, ['symmetric'], where)
  requireFn(matvec, `${where}: matvec`, '(x) => A·x')
  requireFn(solve, `${where}: solve`, '(matvec, b) => x')
  if (transposeSolve !== undefined && transposeSolve !== null) requireFn(transposeSolve, `${where}: transposeSolve`, '(vecmat, b) => x')
  const [bs, tree] = flattenArrays(b, `${where} b`)
  const avals = bs.map((x) => x.aval)
  const name = matvec.name || 'matvec'
  const mv = stageSquare(matvec as never, tree, avals, `${where}: matvec`)
  const mvFn = asFn<B>(mv, tree)
  const s = stageSquare(((x: Arrays<B>) => solve(mvFn, x)) as never, tree, avals, `${where}: solve`)
  let vm: Staged | null = null
  let ts: Staged | null = null
  if (opts.symmetric === true) {
    vm = mv
    ts = s
  } else if (transposeSolve !== undefined && transposeSolve !== null) {
    // vecmat(y) = Aᵀ y: the transpose of matvec in x, its constants fixed
    const t = transposeJaxpr(mv.jaxpr, mv.jaxpr.inVars.map((_, i) => i >= mv.consts.length))
    vm = { jaxpr: t.jaxpr, consts: [...t.consts, ...mv.consts] }
    const vmFn = asFn<B>(vm, tree)
    ts = stageSquare(((x: Arrays<B>) => transposeSolve(vmFn, x)) as never, tree, avals, `${where}: transposeSolve`)
  }
  const outs = bind('custom_linear_solve', [...mv.consts, ...(vm?.consts ?? []), ...s.consts, ...(ts?.consts ?? []), ...bs], {
    matvecJaxpr: mv.jaxpr,
    vecmatJaxpr: vm?.jaxpr ?? null,
    solveJaxpr: s.jaxpr,
    transposeSolveJaxpr: ts?.jaxpr ?? null,
    numConsts: [mv.consts.length, vm?.consts.length ?? 0, s.consts.length, ts?.consts.length ?? 0],
    name,
  })
  return unflatten<Arrays<B>>(tree, outs)
}

/**
 * `customRoot(f, initialGuess, solve, tangentSolve)`: x* = solve(f, initialGuess), a root of
 * f (f(x*) = 0), differentiated by the implicit function theorem instead of through the
 * iterations of `solve`: with f depending on parameters θ it closes over,
 *   ∂f/∂x dx + ∂f/∂θ dθ = 0  ⇒  dx = −(∂f/∂x)⁻¹ (∂f/∂θ dθ),
 * where `tangentSolve(g, y)` solves the linear system g(x) = y (g is ∂f/∂x at the root, as a
 * function). Reverse mode calls `tangentSolve` with the transposed map. The derivative with
 * respect to `initialGuess` is zero, as JAX.
 */
export const customRoot = <X>(
  f: (x: Arrays<X>) => X | Arrays<X>,
  initialGuess: X,
  solve: (f: (x: Arrays<X>) => Arrays<X>, initialGuess: Arrays<X>) => X | Arrays<X>,
  tangentSolve: (g: LinearMap<X>, y: Arrays<X>) => X | Arrays<X>,
): Arrays<X> => {
  const where = 'lax.customRoot'
  requireFn(f, `${where}: f`, '(x) => residual')
  requireFn(solve, `${where}: solve`, '(f, initialGuess) => root')
  requireFn(tangentSolve, `${where}: tangentSolve`, '(g, y) => x solving g(x) = y')
  const [gs, tree] = flattenArrays(initialGuess, `${where} initialGuess`)
  const avals = gs.map((x) => x.aval)
  const n = avals.length
  const fs = stageSquare(f as never, tree, avals, `${where}: f`)
  const fFn = asFn<X>(fs, tree)
  const ss = stageSquare(((x: Arrays<X>) => solve(fFn, x)) as never, tree, avals, `${where}: solve`)
  const fAt = (xs: readonly Tracer[]) => evalJaxpr(fs.jaxpr, [], [...fs.consts, ...xs])
  // (x, v) ↦ ∂f/∂x·v at x; its transpose (x, u) ↦ (∂f/∂x)ᵀu
  const mv = traceHoisted((...xv) => jvpFlat((...xs) => fAt(xs), xv.slice(0, n), xv.slice(n))[1].map(instantiate), [...avals, ...avals])
  const t = transposeJaxpr(mv.jaxpr, mv.jaxpr.inVars.map((_, i) => i >= mv.consts.length + n))
  const vm = { jaxpr: t.jaxpr, consts: [...t.consts, ...mv.consts] }
  // (x, y) ↦ the v with g(v) = y, g the map (or its transpose) at x
  const solveWith = (lin: Staged, what: string): Staged =>
    traceHoisted((...xy) => {
      const g: LinearMap<X> = (v) =>
        unflatten<Arrays<X>>(tree, evalJaxpr(lin.jaxpr, [], [...lin.consts, ...xy.slice(0, n), ...flattenArrays(v, `${what}: argument of g`)[0]]))
      const out = requireSync(tangentSolve(g, unflatten<Arrays<X>>(tree, xy.slice(n))), what)
      const [leaves, def] = flattenArrays(out, `${what} output`)
      if (!treedefEq(def, tree)) throw new TreeMismatchError(`${what}: must return the structure of y ${treedefStr(tree)}, got ${treedefStr(def)}`)
      if (!sameAvals(leaves.map((l) => l.aval), avals)) throw new ShapeError(`${what}: must return y's shapes and dtypes ${avalsStr(avals)}, got ${avalsStr(leaves.map((l) => l.aval))}`)
      return leaves
    }, [...avals, ...avals])
  const ts = solveWith(mv, `${where}: tangentSolve`)
  const tts = solveWith(vm, `${where}: tangentSolve (transposed map)`)
  const groups = [fs, ss, mv, vm, ts, tts]
  const outs = bind('custom_root', [...groups.flatMap((g) => g.consts), ...gs], {
    fJaxpr: fs.jaxpr,
    solveJaxpr: ss.jaxpr,
    matvecJaxpr: mv.jaxpr,
    vecmatJaxpr: vm.jaxpr,
    tangentSolveJaxpr: ts.jaxpr,
    transposeTangentSolveJaxpr: tts.jaxpr,
    numConsts: groups.map((g) => g.consts.length) as unknown as readonly [number, number, number, number, number, number],
    name: f.name || 'f',
  })
  return unflatten<Arrays<X>>(tree, outs)
}
