/**
 * Transforms: `jet` (Taylor mode), `derivatives` and `taylorCoefficients`.
 *
 * Convention (JAX's `jax.experimental.jet`): `series[i]` lists the *derivative* coefficients
 * x₁ … x_K of input i along a curve x(t) = x₀ + Σ_k x_k t^k / k!; the result lists those of the
 * output, y_k = d^k/dt^k f(x(t)) at t = 0. Internally coefficients are divided by k! (see
 * src/interpret/jet.ts) and scaled back on the way out.
 */
import { ShapeError, TreeMismatchError, ValueError } from '../core/errors'
import { requireSync } from '../core/validate'
import { Zero, isZero } from '../core/rules'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import { type Coef, type Series, jetFlat, registerJetRules } from '../interpret/jet'
import { JET_RULES } from '../jet'
import { mul } from '../primitives/binary'
import { convertElementType, reshape } from '../primitives/shape'
import { concatenate } from '../primitives/slicing'
import { describe, instantiate, isTracerLike } from '../primitives/util'
import { flatten, unflatten } from '../tree/treedef'
import type { AnyFn, Arrays, ArgsLike, SeriesLike } from '../tree/types'
import { checkSameTree, checkTangentAvals, flattenArrays, flattenFun, leafToArray, requireArgList, requireFunction } from './flat'

// An explicit call (not an import for its side effect), so bundlers cannot drop the table.
registerJetRules(JET_RULES)

/** k! as a double (exact up to 22!). */
const factorial = (k: number): number => {
  let f = 1
  for (let i = 2; i <= k; i++) f *= i
  return f
}

const scaleBy = (c: Coef, s: number): Coef => (isZero(c) || s === 1 ? c : mul(c, s))

/**
 * `[primalOut, seriesOut]`: the Taylor series of `f` along the curve through `primals` whose
 * derivative coefficients are `series` (`series[i]` = the K terms of argument i, each with its
 * structure). `seriesOut` lists the K terms of the output, each with the output's structure.
 */
export const jet = <F extends AnyFn>(
  f: F,
  primals: ArgsLike<Parameters<F>>,
  series: SeriesLike<Parameters<F>>,
): [Arrays<ReturnType<F>>, Arrays<ReturnType<F>>[]] => {
  requireFunction(f, 'jet')
  requireArgList(primals, 'primals', 'jet')
  requireArgList(series, 'series', 'jet')
  const args = [...(primals as readonly unknown[])]
  const terms = [...(series as readonly unknown[])]
  if (terms.length !== args.length) {
    throw new TreeMismatchError(`jet: series must have one list of terms per primal: expected ${args.length}, got ${terms.length}`)
  }
  terms.forEach((s, i) => {
    if (!Array.isArray(s)) {
      throw new TreeMismatchError(`jet: series[${i}] must be a list of Taylor terms (one per order, each shaped like primals[${i}]), got ${describe(s)}. Use [] for order 0.`)
    }
  })
  const K = (terms[0] as unknown[] | undefined)?.length ?? 0
  terms.forEach((s, i) => {
    if ((s as unknown[]).length !== K) {
      throw new ValueError(`jet: every series must have the same number of terms (the order): series[0] has ${K}, series[${i}] has ${(s as unknown[]).length}`)
    }
  })
  const [ps, inTree] = flattenArrays(args, 'jet primals')
  // Per order k, the terms of every argument as one flat list (the primals' structure).
  const perOrder = Array.from({ length: K }, (_, k) => {
    const [ts, tTree] = flattenArrays(terms.map((s) => (s as unknown[])[k]), `jet series (order ${k + 1})`)
    checkSameTree(inTree, tTree, `jet: the order-${k + 1} terms of series must have the structure of primals`)
    checkTangentAvals(ps.map((p) => p.aval), ts.map((t) => t.aval), `jet series (order ${k + 1})`)
    return ts
  })
  const inSeries: Series[] = ps.map((p, i) =>
    perOrder.map((ts, k) => (isFloat(p.dtype) ? scaleBy(ts[i], 1 / factorial(k + 1)) : new Zero(p.aval))),
  )
  const { flat, outTree } = flattenFun(f, inTree, 'jet')
  const [outs, outSeries] = jetFlat(flat, ps, inSeries, K)
  const outTerms = Array.from({ length: K }, (_, k) =>
    unflatten<Arrays<ReturnType<F>>>(outTree(), outSeries.map((s) => instantiate(scaleBy(s[k], factorial(k + 1))))),
  )
  return [unflatten(outTree(), outs), outTerms]
}

type Scalarish = Tracer | number

const checkOrder = (order: unknown, where: string): number => {
  if (typeof order !== 'number' || !Number.isInteger(order) || order < 0) {
    throw new ValueError(`${where}: order must be a non-negative integer, got ${describe(order)}`)
  }
  return order
}

/** f(x(t)) along x(t) = x + t·direction, as normalized coefficients y₀ … y_K stacked on axis 0. */
const alongLine = (f: (x: Tracer) => Scalarish, order: number, where: string, x: Scalarish, direction?: Scalarish): Tracer[] => {
  const x0 = leafToArray(x, `${where} x`)
  if (!isFloat(x0.dtype)) throw new ValueError(`${where}: x must be a float array, got ${avalStr(x0.aval)}. Convert it: x.astype('float64').`)
  if (direction === undefined && x0.ndim > 0) {
    throw new ShapeError(`${where}: x is ${avalStr(x0.aval)}; for a non-scalar x pass a direction of the same shape (derivatives along x + t·direction)`)
  }
  const v = direction === undefined ? leafToArray(1, where) : leafToArray(direction, `${where} direction`)
  if (v.shape.join() !== x0.shape.join()) {
    throw new ShapeError(`${where}: direction must have x's shape ${avalStr(x0.aval)}, got ${avalStr(v.aval)}`)
  }
  const vx = v.dtype === x0.dtype ? v : convertElementType(v, x0.dtype, x0.weakType)
  const [outs, series] = jetFlat(
    (xt) => {
      const y = requireSync(f(xt), where)
      const [leaves] = flatten(y)
      if (leaves.length !== 1 || !(isTracerLike(leaves[0]) || typeof leaves[0] === 'number')) {
        throw new ValueError(`${where}: f must return one Array, got ${describe(y)}. For several outputs use jet directly.`)
      }
      return [leafToArray(leaves[0], `${where} (output)`)]
    },
    [x0],
    [[vx, ...Array.from({ length: order - 1 }, () => new Zero(x0.aval))].slice(0, order)],
    order,
  )
  return [outs[0], ...series[0].map(instantiate)]
}

const stack = (ys: readonly Tracer[]): Tracer => concatenate(ys.map((y) => reshape(y, [1, ...y.shape])), 0)

/**
 * `derivatives(f, order)(x, direction?)`: f(x) and its 1st … order-th derivatives, stacked on a
 * new leading axis (shape `[order + 1, ...out.shape]`). For a non-scalar x they are taken along
 * `direction` (dᵏ/dtᵏ f(x + t·direction) at t = 0). Computed in one Taylor-mode pass (`jet`).
 */
export const derivatives =
  (f: (x: Tracer) => Scalarish, order: number) =>
  (x: Scalarish, direction?: Scalarish): Tracer => {
    requireFunction(f, 'derivatives')
    const K = checkOrder(order, 'derivatives')
    return stack(alongLine(f, K, 'derivatives', x, direction).map((c, k) => (k < 2 ? c : mul(c, factorial(k)))))
  }

/**
 * `taylorCoefficients(f, order)(x, direction?)`: the Taylor coefficients f⁽ᵏ⁾/k! of f around x
 * (along `direction` for a non-scalar x), k = 0 … order, stacked on a new leading axis.
 */
export const taylorCoefficients =
  (f: (x: Tracer) => Scalarish, order: number) =>
  (x: Scalarish, direction?: Scalarish): Tracer => {
    requireFunction(f, 'taylorCoefficients')
    const K = checkOrder(order, 'taylorCoefficients')
    return stack(alongLine(f, K, 'taylorCoefficients', x, direction))
  }
