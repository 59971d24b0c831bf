/**
 * Transforms: jvp, linearize, vjp, grad, valueAndGrad, linearTranspose, hvp.
 *
 * Reverse mode is derived from forward mode, as JAX does:
 *   linearize = jvp + partial evaluation (known primals, unknown tangents);
 *   vjp       = linearize + transpose of the linear jaxpr;
 *   grad      = vjp seeded with 1.
 */
import { timed } from '../core/phases'
import { scalar } from '../core/array'
import { NonDifferentiableError, NonLinearError, ShapeError } from '../core/errors'
import { requireSync } from '../core/validate'
import { type Tangent, UndefPrimal, Zero } from '../core/rules'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import type { ClosedJaxpr, Jaxpr } from '../ir/jaxpr'
import { evalJaxpr } from '../interpret/eval'
import { jvpFlat } from '../interpret/jvp'
import { knownVal, partialEvalFlat, unknownVal } from '../interpret/partial'
import { traceToJaxpr } from '../interpret/stage'
import { backwardPass } from '../interpret/transpose'
import { instantiate, zerosOf } from '../primitives/util'
import { type TreeDef, unflatten } from '../tree/treedef'
import {
  callUser, checkSameTree, checkTangentAvals, flattenArrays, flattenFun, requireArgList, requireFloatInputs, selectArgnums, requireFunction,
} from './flat'
import { checkTransformOptions } from './validate'
import type { AnyFn, ArgArrays, ArgsLike, Arrays, AuxFn, GradOf, Like, ScalarFn, TangentsLike } from '../tree/types'

// ---- flat cores --------------------------------------------------------------------------

export interface Linearized {
  readonly primalsOut: Tracer[]
  /** inputs: tangents of the float primals; outputs: tangents of every output */
  readonly jaxpr: Jaxpr
  readonly consts: Tracer[]
  /** which primals are float (only those have tangents) */
  readonly floatIns: boolean[]
}

/** jvp under partial evaluation: run the primal computation, stage the tangent one. */
export const linearizeFlat = (f: (...xs: Tracer[]) => readonly Tracer[], primals: readonly Tracer[]): Linearized => {
  const floatIns = primals.map((p) => isFloat(p.dtype))
  const tangentAvals = primals.filter((_, i) => floatIns[i]).map((p) => p.aval)
  const n = primals.length
  let numOuts = 0
  const fJvp = (...xs: Tracer[]): Tracer[] => {
    let k = n
    const tangents: Tangent[] = primals.map((p, i) => (floatIns[i] ? xs[k++] : new Zero(p.aval)))
    const [outs, touts] = jvpFlat(f, xs.slice(0, n), tangents)
    numOuts = outs.length
    return [...outs, ...touts.map(instantiate)]
  }
  const { jaxpr, consts, pvalsOut } = timed('trace: linearize', () => partialEvalFlat(
    fJvp,
    [...primals.map(knownVal), ...tangentAvals.map(unknownVal)],
    (i) => i >= numOuts,
  ))
  const primalsOut = pvalsOut.slice(0, numOuts).map((pv) => {
    if (pv.known === null) throw new Error('internal: a primal output of linearize is unknown')
    return pv.known
  })
  return { primalsOut, jaxpr, consts, floatIns }
}

/** The pullback of a linearization: cotangents of the outputs → cotangents of every primal. */
export const pullbackFlat = (lin: Linearized, primals: readonly Tracer[]) => (cts: readonly Tracer[]): Tracer[] => {
  const args = lin.jaxpr.inVars.map((v) => new UndefPrimal(v.aval))
  const grads = timed('trace: transpose', () => backwardPass(lin.jaxpr, lin.consts, args, cts))
  let k = 0
  return primals.map((p, i) => (lin.floatIns[i] ? instantiate(grads[k++]) : zerosOf(p.aval)))
}

// ---- public ------------------------------------------------------------------------------

/** `[out, tangentOut]`: push `tangents` through `f` at `primals` (forward mode). Tangents have
 *  the structure of the primals; both results have the structure of `f`'s output. */
export const jvp = <F extends AnyFn>(
  f: F,
  primals: ArgsLike<Parameters<F>>,
  tangents: TangentsLike<Parameters<F>>,
): [Arrays<ReturnType<F>>, Arrays<ReturnType<F>>] => {
  requireFunction(f, 'jvp')
  requireArgList(primals, 'primals', 'jvp')
  requireArgList(tangents, 'tangents', 'jvp')
  const [ps, inTree] = flattenArrays([...primals], 'jvp primals')
  const [ts, tTree] = flattenArrays([...tangents], 'jvp tangents')
  checkSameTree(inTree, tTree, 'jvp: tangents must have the structure of primals')
  checkTangentAvals(ps.map((p) => p.aval), ts.map((t) => t.aval), 'jvp tangents')
  const { flat, outTree } = flattenFun(f, inTree, 'jvp')
  const [outs, touts] = jvpFlat(flat, ps, ts.map((t, i): Tangent => (isFloat(ps[i].dtype) ? t : new Zero(ps[i].aval))))
  return [unflatten(outTree(), outs), unflatten(outTree(), touts.map(instantiate))]
}

/** `[out, fLin]`: `fLin(...tangents)` evaluates the linearization at `primals` without re-tracing `f`. */
export const linearize = <F extends AnyFn>(
  f: F,
  primals: ArgsLike<Parameters<F>>,
): [Arrays<ReturnType<F>>, (...tangents: TangentsLike<Parameters<F>>) => Arrays<ReturnType<F>>] => {
  requireFunction(f, 'linearize')
  requireArgList(primals, 'primals', 'linearize')
  const [ps, inTree] = flattenArrays([...primals], 'linearize primals')
  const { flat, outTree } = flattenFun(f, inTree, 'linearize')
  const lin = linearizeFlat(flat, ps)
  const out = unflatten<Arrays<ReturnType<F>>>(outTree(), lin.primalsOut)
  const fLin = (...tangents: TangentsLike<Parameters<F>>): Arrays<ReturnType<F>> => {
    const [ts, tTree] = flattenArrays(tangents, 'linearize fLin tangents')
    checkSameTree(inTree, tTree, 'fLin: tangents must have the structure of primals')
    checkTangentAvals(ps.map((p) => p.aval), ts.map((t) => t.aval), 'fLin tangents')
    const touts = evalJaxpr(lin.jaxpr, lin.consts, ts.filter((_, i) => lin.floatIns[i]))
    return unflatten(outTree(), touts)
  }
  return [out, fLin]
}

/** `[out, pullback]`: `pullback(ct)` returns one cotangent per primal (reverse mode); `ct`
 *  has the structure of the output, each cotangent that of its primal. */
export function vjp<F extends AnyFn>(
  f: F,
  primals: ArgsLike<Parameters<F>>,
): [Arrays<ReturnType<F>>, (ct: Like<Arrays<ReturnType<F>>>) => ArgArrays<Parameters<F>>]
/** With `hasAux`, `f` returns `[output, aux]`: `[out, pullback, aux]`, aux not differentiated. */
export function vjp<F extends AuxFn>(
  f: F,
  primals: ArgsLike<Parameters<F>>,
  opts: { readonly hasAux: true },
): [Arrays<ReturnType<F>[0]>, (ct: Like<Arrays<ReturnType<F>[0]>>) => ArgArrays<Parameters<F>>, Arrays<ReturnType<F>[1]>]
export function vjp(f: AnyFn, primals: readonly unknown[], opts: { readonly hasAux?: boolean } = {}): unknown[] {
  checkTransformOptions('vjp', opts, 'vjp')
  return vjpImpl(f, primals, opts.hasAux === true)
}

/** vjp on untyped trees: `[out, pullback, aux?]`. */
const vjpImpl = (
  f: (...args: any[]) => unknown,
  primals: readonly unknown[],
  hasAux: boolean,
): [unknown, (ct: unknown) => unknown[], unknown] => {
  requireFunction(f, 'vjp')
  requireArgList(primals, 'primals', 'vjp')
  const [ps, inTree] = flattenArrays([...primals], 'vjp primals')
  let auxTree: TreeDef | undefined
  let mainTree: TreeDef | undefined
  let numMain = 0
  const { flat, outTree } = flattenFun(
    (...args: unknown[]) => {
      const r = requireSync(f(...args), 'vjp')
      if (!hasAux) return r
      if (!Array.isArray(r) || r.length !== 2) {
        throw new TypeError('vjp with hasAux: the function must return [output, aux]')
      }
      return r
    },
    inTree,
    'vjp',
  )
  const lin = linearizeFlat(flat, ps)
  const tree = outTree()
  let outs = lin.primalsOut
  if (hasAux && tree.kind === 'array') {
    mainTree = tree.children[0]
    auxTree = tree.children[1]
    numMain = countLeaves(mainTree)
  } else {
    mainTree = tree
    numMain = outs.length
  }
  const pull = pullbackFlat(lin, ps)
  const pullback = (ct: unknown): unknown[] => {
    const [cts, ctTree] = flattenArrays(ct, 'vjp cotangent')
    checkSameTree(mainTree as TreeDef, ctTree, 'pullback: the cotangent must have the structure of the output')
    checkTangentAvals(outs.slice(0, numMain).map((o) => o.aval), cts.map((c) => c.aval), 'pullback cotangent')
    const allCts = [...cts, ...outs.slice(numMain).map((o) => zerosOf(o.aval))]
    return unflatten<unknown[]>(inTree, pull(allCts))
  }
  const main = unflatten(mainTree, outs.slice(0, numMain))
  if (!hasAux) return [main, pullback, undefined]
  outs = lin.primalsOut
  return [main, pullback, unflatten(auxTree as TreeDef, outs.slice(numMain))]
}

const countLeaves = (d: TreeDef): number =>
  d.kind === 'leaf' ? 1 : d.kind === 'none' ? 0 : d.children.reduce((n, c) => n + countLeaves(c), 0)

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions {
  /**
   * Which arguments to differentiate (default 0). A number gives the gradient with the
   * structure of that argument; an array gives a tuple of gradients, one per listed argument.
   * Differentiated arguments must be float arrays (or pytrees of them).
   */
  readonly argnums?: number | readonly number[]
  /**
   * The function returns `[output, aux]`: `aux` (any pytree) is passed through, not
   * differentiated. `grad` then returns `[g, aux]`, `valueAndGrad` `[[value, aux], g]`.
   */
  readonly hasAux?: boolean
}

/** The `argnums` of an options type, `undefined` when absent. */
type ArgnumsOf<O> = O extends { readonly argnums: infer A } ? A : undefined

/** `(...args) => [[value, aux?], grads]` — the shared core of grad and valueAndGrad. */
const valueAndGradImpl = (f: AnyFn, opts: GradOptions, where: string) => (...args: readonly unknown[]): [unknown, unknown] => {
  requireFunction(f, where)
  checkTransformOptions('grad', opts, where)
  const argnums = selectArgnums(opts.argnums ?? 0, args.length, where)
  const diffArgs = argnums.map((i) => args[i])
  argnums.forEach((i) => requireFloatInputs(flattenArrays(args[i], where)[0], i, where))
  const g = (...dargs: unknown[]) => {
    const full = [...args]
    argnums.forEach((a, k) => (full[a] = dargs[k]))
    return requireSync(callUser(f, full, where), where)
  }
  const [out, pullback, aux] = vjpImpl(g, diffArgs, opts.hasAux === true)
  const [outLeaves] = flattenArrays(out, where)
  if (outLeaves.length !== 1 || outLeaves[0].ndim !== 0 || !isFloat(outLeaves[0].dtype)) {
    const got = outLeaves.length === 1 ? avalStr(outLeaves[0].aval) : `${outLeaves.length} outputs`
    throw new ShapeError(
      `${where} needs a function with a scalar float output, got ${got}. ` +
        `Reduce it first (e.g. .sum()), or use vjp/jacrev for non-scalar outputs.`,
    )
  }
  const o = outLeaves[0]
  const grads = pullback(unflatten(flattenArrays(out, where)[1], [scalar(1, o.dtype, o.aval.weakType)]))
  const gOut = typeof opts.argnums === 'number' || opts.argnums === undefined ? grads[0] : grads
  return [opts.hasAux ? [out, aux] : out, gOut]
}

/**
 * The gradient of a scalar function, with the structure of `args[argnums]`: a pytree of
 * Arrays keeps its keys, a JS number becomes an Array; `argnums` as a tuple gives a tuple of
 * gradients. With `hasAux` (`f` returns `[output, aux]`): `[gradient, aux]`.
 */
export function grad<F extends AuxFn<Tracer | number>, const O extends GradOptions & { readonly hasAux: true }>(
  f: F,
  opts: O,
): (...args: ArgsLike<Parameters<F>>) => [GradOf<Parameters<F>, ArgnumsOf<O>>, Arrays<ReturnType<F>[1]>]
export function grad<F extends ScalarFn, const O extends GradOptions & { readonly hasAux?: false } = {}>(
  f: F,
  opts?: O,
): (...args: ArgsLike<Parameters<F>>) => GradOf<Parameters<F>, ArgnumsOf<O>>
export function grad(f: AnyFn, opts: GradOptions = {}): (...args: readonly unknown[]) => unknown {
  return (...args) => {
    const [value, g] = valueAndGradImpl(f, opts, 'grad')(...args)
    return opts.hasAux ? [g, (value as unknown[])[1]] : g
  }
}

/** `[value, grad]` (with hasAux: `[[value, aux], grad]`); `grad` as in {@link grad}. */
export function valueAndGrad<F extends AuxFn<Tracer | number>, const O extends GradOptions & { readonly hasAux: true }>(
  f: F,
  opts: O,
): (...args: ArgsLike<Parameters<F>>) => [[Tracer, Arrays<ReturnType<F>[1]>], GradOf<Parameters<F>, ArgnumsOf<O>>]
export function valueAndGrad<F extends ScalarFn, const O extends GradOptions & { readonly hasAux?: false } = {}>(
  f: F,
  opts?: O,
): (...args: ArgsLike<Parameters<F>>) => [Tracer, GradOf<Parameters<F>, ArgnumsOf<O>>]
export function valueAndGrad(f: AnyFn, opts: GradOptions = {}): (...args: readonly unknown[]) => [unknown, unknown] {
  return (...args) => valueAndGradImpl(f, opts, 'valueAndGrad')(...args)
}

/** The transpose of a linear function: `(ct) => cotangents`, one per primal (`ct` has the
 *  structure of the output, each cotangent that of its primal). */
export const linearTranspose = <F extends AnyFn>(fLinear: F, ...primalsForShapes: ArgsLike<Parameters<F>>) => {
  requireFunction(fLinear, 'linearTranspose')
  const [ps, inTree] = flattenArrays(primalsForShapes, 'linearTranspose primals')
  const { flat, outTree } = flattenFun(fLinear, inTree, 'linearTranspose')
  const closed: ClosedJaxpr<Tracer> = traceToJaxpr(flat, ps.map((p) => p.aval))
  return (ct: Like<Arrays<ReturnType<F>>>): ArgArrays<Parameters<F>> => {
    const [cts, ctTree] = flattenArrays(ct, 'linearTranspose cotangent')
    checkSameTree(outTree(), ctTree, 'linearTranspose: the cotangent must have the structure of the output')
    const args = closed.jaxpr.inVars.map((v) => new UndefPrimal(v.aval))
    const out = transposeLinear(() => backwardPass(closed.jaxpr, closed.consts, args, cts))
    return unflatten(inTree, out.map(instantiate))
  }
}

/** A transpose that meets a nonlinear operation says that the user's function is not linear. */
const transposeLinear = <T>(run: () => T): T => {
  try {
    return run()
  } catch (e) {
    if (!(e instanceof NonLinearError || e instanceof NonDifferentiableError)) throw e
    throw new NonLinearError(
      `linearTranspose: the function is not linear in its input (${e.message}). linearTranspose ` +
        `only transposes linear functions (x => A·x, sums, slices, …). For a nonlinear f, transpose ` +
        `its derivative instead: vjp(f, [x]) returns the pullback at x.`,
      { cause: e },
    )
  }
}

/** Hessian (w.r.t. the first argument) times `tangents`: `jvp(grad(f), primals, tangents)[1]`,
 *  with the structure of the first argument. */
export const hvp = <F extends ScalarFn>(
  f: F,
  primals: ArgsLike<Parameters<F>>,
  tangents: TangentsLike<Parameters<F>>,
): Arrays<Parameters<F>[0]> => {
  requireArgList(primals, 'primals', 'hvp')
  requireArgList(tangents, 'tangents', 'hvp')
  return jvp(grad(f) as AnyFn, primals, tangents)[1]
}
