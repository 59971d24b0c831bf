/**
 * Transforms: Jacobians. `jacfwd` pushes the standard basis of the inputs forward (vmap of
 * jvp: one pass per input element, cheap for tall Jacobians); `jacrev` pulls the basis of the
 * outputs back (vmap of vjp: one pass per output element, cheap for wide ones). Both return
 * blocks of shape `out.shape ++ in.shape`, nested as the output tree of input trees (JAX's layout).
 */
import { type Tracer, bind1 } from '../core/tracer'
import { jvpFlat } from '../interpret/jvp'
import { convertElementType, iota, reshape, transpose } from '../primitives/shape'
import { add, eq } from '../primitives/binary'
import { instantiate } from '../primitives/util'
import { sizeOf } from '../ir/aval'
import { type TreeDef, unflatten } from '../tree/treedef'
import { linearizeFlat, pullbackFlat } from './autodiff'
import { flattenArrays, flattenFun, requireFloatInputs, requireFunction, selectArgnums } from './flat'
import { checkTransformOptions } from './validate'
import type { AnyFn, ArgsLike, AuxFn, Jacobian, Selected } from '../tree/types'
import { vmapFlatChunked } from './vmap'

/** Options of `jacfwd`, `jacrev` and `hessian`. */
export interface JacOptions {
  /** Which arguments to differentiate (default 0); an array gives a tuple of Jacobians. */
  readonly argnums?: number | readonly number[]
  /** The function returns `[output, aux]`; the result is then `[jacobian, aux]`. */
  readonly hasAux?: boolean
  /** Evaluate the basis in chunks of this many directions (bounds peak memory). */
  readonly chunkSize?: number
}

/** Options of `hessian` (no `hasAux`: differentiate a function of the output only). */
export type HessianOptions = Omit<JacOptions, 'hasAux'>

/** The `argnums` of an options type, `undefined` when absent. */
type ArgnumsOf<O> = O extends { readonly argnums: infer A } ? A : undefined

/** The Jacobian of `F`'s output `Y` with respect to its selected argument(s). */
type JacOf<F extends AnyFn, O, Y = ReturnType<F>> = Jacobian<Y, Selected<Parameters<F>, ArgnumsOf<O>>>

/** The two forms of `jacfwd` and `jacrev`: plain, and with `hasAux` (`[jacobian, aux]`). */
interface JacobianTransform {
  <F extends AuxFn, const O extends JacOptions & { readonly hasAux: true }>(
    f: F,
    opts: O,
  ): (...args: ArgsLike<Parameters<F>>) => [JacOf<F, O, ReturnType<F>[0]>, ReturnType<F>[1]]
  <F extends AnyFn, const O extends JacOptions & { readonly hasAux?: false } = {}>(
    f: F,
    opts?: O,
  ): (...args: ArgsLike<Parameters<F>>) => JacOf<F, O>
}

/** The rows [off, off + n) of an N×N identity, shaped [N, ...shape], in `like`'s dtype. */
const basisBlock = (N: number, off: number, shape: readonly number[], like: Tracer): Tracer => {
  const n = sizeOf(shape)
  const rows = iota('int32', [N, n], 0)
  const cols = iota('int32', [N, n], 1)
  const e = convertElementType(eq(rows, add(cols, off)), like.dtype)
  return reshape(e, [N, ...shape])
}

/** Split the argument list into the differentiated leaves and a function of them alone. */
const prepare = (f: AnyFn, args: readonly unknown[], opts: JacOptions, where: string) => {
  requireFunction(f, where)
  checkTransformOptions('jac', opts, where)
  const argnums = selectArgnums(opts.argnums ?? 0, args.length, where)
  argnums.forEach((i) => requireFloatInputs(flattenArrays(args[i], where)[0], i, where))
  const diff = typeof opts.argnums === 'number' || opts.argnums === undefined ? args[argnums[0]] : argnums.map((i) => args[i])
  const [xs, inTree] = flattenArrays(diff, where)
  const single = typeof opts.argnums === 'number' || opts.argnums === undefined
  const g = (d: unknown) => {
    const full = [...args]
    if (single) full[argnums[0]] = d
    else argnums.forEach((a, k) => (full[a] = (d as unknown[])[k]))
    const r = f(...full)
    return opts.hasAux ? r[0] : r
  }
  const aux = (d: unknown) => {
    const full = [...args]
    if (single) full[argnums[0]] = d
    else argnums.forEach((a, k) => (full[a] = (d as unknown[])[k]))
    return f(...full)[1]
  }
  const { flat, outTree } = flattenFun((d: unknown) => g(d), { kind: 'array', children: [inTree] } as TreeDef, where)
  return { xs, inTree, flat, outTree, aux: () => aux(diff) }
}

/** Assemble blocks[j][i] (output leaf j, input leaf i) into the output tree of input trees. */
const assemble = (outTree: TreeDef, inTree: TreeDef, blocks: Tracer[][]): unknown =>
  unflatten(outTree, blocks.map((row) => unflatten(inTree, row)))

/**
 * The Jacobian of `f` by forward mode: one `jvp` per input element, evaluated together as one
 * batched pass. Cheaper than `jacrev` when there are fewer inputs than outputs. For an output
 * of shape `out` and an input of shape `in`, the block has shape `[...out, ...in]`; pytree
 * outputs and inputs give the output's tree of input trees (JAX's layout).
 */
export const jacfwd: JacobianTransform =
  (f: AnyFn, opts: JacOptions = {}) =>
  (...args: readonly unknown[]): any => {
    const { xs, inTree, flat, outTree, aux } = prepare(f, args, opts, 'jacfwd')
    const sizes = xs.map((x) => x.size)
    const N = sizes.reduce((a, b) => a + b, 0)
    const offs = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0))
    const basis = xs.map((x, i) => basisBlock(N, offs[i], x.shape, x))
    const push = (...ts: Tracer[]) => jvpFlat(flat, xs, ts)[1].map(instantiate)
    const touts = vmapFlatChunked(push, N, basis, basis.map(() => 0), (n) => Array(n).fill(0), opts.chunkSize)
    // tout_j: [N, ...outShape_j] → block (j, i): rows of input i, moved last, reshaped out ++ in
    const blocks = touts.map((t) =>
      xs.map((x, i) => {
        const rows = bind1('slice', [t], {
          startIndices: t.shape.map((_, d) => (d === 0 ? offs[i] : 0)),
          limitIndices: t.shape.map((s, d) => (d === 0 ? offs[i] + sizes[i] : s)),
          strides: null,
        })
        const perm = [...Array(t.ndim).keys()].slice(1).concat([0])
        return reshape(transpose(rows, perm), [...t.shape.slice(1), ...x.shape])
      }),
    )
    const jac = assemble(outTree(), inTree, blocks)
    return opts.hasAux ? [jac, aux()] : jac
  }

/**
 * The Jacobian of `f` by reverse mode: one forward pass, then one pullback per output element
 * (batched). Cheaper than `jacfwd` when there are fewer outputs than inputs. Same layout as
 * `jacfwd`: shape `[...out, ...in]` per (output leaf, input leaf).
 */
export const jacrev: JacobianTransform =
  (f: AnyFn, opts: JacOptions = {}) =>
  (...args: readonly unknown[]): any => {
    const { xs, inTree, flat, outTree, aux } = prepare(f, args, opts, 'jacrev')
    const lin = linearizeFlat(flat, xs)
    const outs = lin.primalsOut
    const sizes = outs.map((o) => o.size)
    const M = sizes.reduce((a, b) => a + b, 0)
    const offs = sizes.map((_, j) => sizes.slice(0, j).reduce((a, b) => a + b, 0))
    const basis = outs.map((o, j) => basisBlock(M, offs[j], o.shape, o))
    const pull = pullbackFlat(lin, xs)
    const cts = vmapFlatChunked((...c: Tracer[]) => pull(c), M, basis, basis.map(() => 0), (n) => Array(n).fill(0), opts.chunkSize)
    // ct_i: [M, ...inShape_i] → block (j, i): rows of output j, reshaped out ++ in
    const blocks = outs.map((o, j) =>
      xs.map((x, i) => {
        const c = cts[i]
        const rows = bind1('slice', [c], {
          startIndices: c.shape.map((_, d) => (d === 0 ? offs[j] : 0)),
          limitIndices: c.shape.map((s, d) => (d === 0 ? offs[j] + sizes[j] : s)),
          strides: null,
        })
        return reshape(rows, [...o.shape, ...x.shape])
      }),
    )
    const jac = assemble(outTree(), inTree, blocks)
    return opts.hasAux ? [jac, aux()] : jac
  }

/**
 * The Hessian: `jacfwd(jacrev(f))`, shape `out.shape ++ in.shape ++ in.shape` per block; for
 * pytrees, the output's tree of the input's tree of the input's tree.
 */
export const hessian = <F extends AnyFn, const O extends HessianOptions = {}>(
  f: F,
  opts?: O,
): ((...args: ArgsLike<Parameters<F>>) => Jacobian<JacOf<F, O>, Selected<Parameters<F>, ArgnumsOf<O>>>) => {
  const o: HessianOptions = opts ?? {}
  const inner = { argnums: o.argnums, chunkSize: o.chunkSize }
  return jacfwd(jacrev(f, inner) as AnyFn, inner) as AnyFn
}


/** `jacobian(f, opts?)`: the same transformation as `jacrev` (reverse mode), under JAX's name
 *  `jax.jacobian`. */
export const jacobian: JacobianTransform = jacrev
