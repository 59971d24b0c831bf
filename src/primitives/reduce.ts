/**
 * Primitives layer: reductions — reduce_sum (linear), reduce_max, reduce_min, reduce_prod —
 * and argmax/argmin. `axes` are normalized, sorted and distinct.
 */
import { scalar } from '../core/array'
import { AxisError, DTypeError } from '../core/errors'
import { type JvpRule, type RuleTable, Zero, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type Shape, type ShapedArray, avalStr, shaped, sizeOf, stridesOf } from '../ir/aval'
import { allocate, isBool } from '../ir/dtypes'
import type { ReducePrim } from '../ir/params'
import { add, div, eq, mul } from './binary'
import { broadcastInDim, convertElementType, reshape, transpose } from './shape'
import { makeArray, moveAxis, normAxes, normAxis, zeroJvp } from './util'

// ---- wrappers ----------------------------------------------------------------------------

const w = (prim: ReducePrim) => (x: Tracer, axes: readonly number[]): Tracer => bind1(prim, [x], { axes: [...axes] })
export const reduceSum = w('reduce_sum'), reduceMax = w('reduce_max'), reduceMin = w('reduce_min'), reduceProd = w('reduce_prod')
export const argmax = (x: Tracer, axis: number): Tracer => bind1('argmax', [x], { axis, indexDtype: 'int32' })
export const argmin = (x: Tracer, axis: number): Tracer => bind1('argmin', [x], { axis, indexDtype: 'int32' })

// ---- abstract eval -----------------------------------------------------------------------

const reduceAval = (prim: ReducePrim, a: ShapedArray, axes: readonly number[]): ShapedArray => {
  const ax = normAxes(axes, a.shape.length, prim)
  if (ax.some((v, i) => v !== axes[i])) {
    throw new AxisError(`${prim}: axes must be normalized and sorted, got (${axes.join(', ')}) for ${avalStr(a)}`)
  }
  if ((prim === 'reduce_sum' || prim === 'reduce_prod') && isBool(a.dtype)) {
    throw new DTypeError(`${prim} needs a numeric array, got ${avalStr(a)}; convert bools first (x.astype('int32'))`)
  }
  return shaped(a.shape.filter((_, i) => !ax.includes(i)), a.dtype, a.weakType)
}

/** The axes that a reduction keeps, in order. */
const keptAxes = (ndim: number, axes: readonly number[]): number[] =>
  [...Array(ndim).keys()].filter((i) => !axes.includes(i))

// ---- impl --------------------------------------------------------------------------------

/** Fold every input element into its output slot: out[j] = combine(out[j], x[i]). */
const reduceImpl = (
  data: ArrayLike<number>,
  shape: Shape,
  axes: readonly number[],
  out: ShapedArray,
  init: number,
  combine: (acc: number, v: number) => number,
) => {
  const dst = allocate(out.dtype, sizeOf(out.shape))
  const acc = new Float64Array(dst.length).fill(init)
  const outStrides = stridesOf(out.shape)
  // output stride of each input axis (0 for reduced axes)
  const st: number[] = []
  let k = 0
  shape.forEach((_, d) => st.push(axes.includes(d) ? 0 : outStrides[k++]))
  const nd = shape.length
  const n = sizeOf(shape)
  const idx = new Array<number>(nd).fill(0)
  let o = 0
  for (let i = 0; i < n; i++) {
    acc[o] = combine(acc[o], data[i])
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++
      o += st[d]
      if (idx[d] < shape[d]) break
      o -= st[d] * shape[d]
      idx[d] = 0
    }
  }
  for (let j = 0; j < dst.length; j++) dst[j] = acc[j]
  return makeArray(dst, out)
}

const maxOf = (a: number, b: number): number => (a !== a || b > a ? b : a)
const minOf = (a: number, b: number): number => (a !== a || b < a ? b : a)
const isNaNNum = (v: number): boolean => v !== v

const initFor = (prim: ReducePrim, a: ShapedArray): number => {
  switch (prim) {
    case 'reduce_sum': return 0
    case 'reduce_prod': return 1
    case 'reduce_max': return a.dtype === 'int32' ? -(2 ** 31) : isBool(a.dtype) ? 0 : -Infinity
    case 'reduce_min': return a.dtype === 'int32' ? 2 ** 31 - 1 : isBool(a.dtype) ? 1 : Infinity
  }
}

const combineFor = (prim: ReducePrim, a: ShapedArray): ((x: number, y: number) => number) => {
  switch (prim) {
    case 'reduce_sum': return a.dtype === 'int32' ? (x, y) => (x + y) | 0 : (x, y) => x + y
    case 'reduce_prod': return a.dtype === 'int32' ? (x, y) => Math.imul(x, y) : (x, y) => x * y
    // NaN propagates through max/min, as in XLA.
    case 'reduce_max': return (x, y) => (isNaNNum(x) || isNaNNum(y) ? NaN : maxOf(x, y))
    case 'reduce_min': return (x, y) => (isNaNNum(x) || isNaNNum(y) ? NaN : minOf(x, y))
  }
}

// ---- jvp ---------------------------------------------------------------------------------

/** Broadcast a reduced value back over the reduced axes of `like`. */
const unreduce = (y: Tracer, like: ShapedArray, axes: readonly number[]): Tracer =>
  broadcastInDim(y, like.shape, keptAxes(like.shape.length, axes))

/** d max(x) = Σ dx·[x = max] / #[x = max]: ties split the derivative evenly (as JAX). */
const chooserJvp =
  (prim: 'reduce_max' | 'reduce_min'): JvpRule<'reduce_max' | 'reduce_min'> =>
  ([x], [dx], p) => {
    const y = bind1(prim, [x], p)
    if (isZero(dx)) return [[y], [new Zero(y.aval)]]
    const mask = convertElementType(eq(x, unreduce(y, x.aval, p.axes)), x.dtype, x.weakType)
    const count = reduceSum(mask, p.axes)
    return [[y], [div(reduceSum(mul(dx, mask), p.axes), count)]]
  }

/**
 * d Π x: a pairwise product tree, d(a·b) = da·b + a·db at each level. Exact with zeros in x
 * (unlike Σ dx·Πx/x), and log₂(n) levels of primitives.
 */
const prodJvp: JvpRule<'reduce_prod'> = ([x], [dx], p) => {
  const y = reduceProd(x, p.axes)
  if (isZero(dx)) return [[y], [new Zero(y.aval)]]
  const kept = keptAxes(x.ndim, p.axes)
  const n = sizeOf(p.axes.map((a) => x.shape[a]))
  const m = sizeOf(kept.map((a) => x.shape[a]))
  const flat = (t: Tracer) => reshape(transpose(t, [...p.axes, ...kept]), [n, m])
  let [a, da] = [flat(x), flat(dx)]
  if (n === 0) return [[y], [reshape(mul(reduceSum(da, [0]), 0), y.shape)]]
  while (a.shape[0] > 1) {
    let k = a.shape[0]
    if (k % 2 === 1) {
      a = bind1('pad', [a, scalar(1, a.dtype, a.weakType)], { paddingConfig: [[0, 1, 0], [0, 0, 0]] })
      da = bind1('pad', [da, scalar(0, da.dtype, da.weakType)], { paddingConfig: [[0, 1, 0], [0, 0, 0]] })
      k++
    }
    const half = (t: Tracer, j: number) =>
      reshape(bind1('slice', [reshape(t, [k / 2, 2, m])], { startIndices: [0, j, 0], limitIndices: [k / 2, j + 1, m], strides: null }), [k / 2, m])
    const [a0, a1, d0, d1] = [half(a, 0), half(a, 1), half(da, 0), half(da, 1)]
    ;[a, da] = [mul(a0, a1), add(mul(d0, a1), mul(a0, d1))]
  }
  return [[y], [reshape(da, y.shape)]]
}

// ---- batching ----------------------------------------------------------------------------

const reduceBatch =
  (prim: ReducePrim) =>
  (_n: number, [x]: readonly Tracer[], [b]: readonly (number | null)[], p: { axes: readonly number[] }): [Tracer[], (number | null)[]] =>
    [[bind1(prim, [moveAxis(x, b as number, 0)], { axes: p.axes.map((a) => a + 1) })], [0]]

const reduceRules = (prim: ReducePrim, jvp: JvpRule<ReducePrim>) => ({
  abstractEval: ([a]: readonly ShapedArray[], p: { axes: readonly number[] }) => [reduceAval(prim, a, p.axes)],
  impl: ([x]: readonly { data: ArrayLike<number>; shape: Shape; aval: ShapedArray }[], p: { axes: readonly number[] }) => {
    const out = reduceAval(prim, x.aval, p.axes)
    return [reduceImpl(x.data, x.shape, p.axes, out, initFor(prim, x.aval), combineFor(prim, x.aval))]
  },
  jvp,
  batch: reduceBatch(prim),
})

// ---- argmax / argmin ---------------------------------------------------------------------

const argAval = (prim: 'argmax' | 'argmin', a: ShapedArray, axis: number): ShapedArray => {
  const ax = normAxis(axis, a.shape.length, prim)
  if (ax !== axis) throw new AxisError(`${prim}: axis must be normalized, got ${axis} for ${avalStr(a)}`)
  if (a.shape[ax] === 0) throw new AxisError(`${prim}: cannot take ${prim} of an empty axis (${avalStr(a)}, axis ${axis})`)
  return shaped(a.shape.filter((_, i) => i !== ax), 'int32')
}

/** First index of the max (min); NaN counts as the max (and the min), as NumPy. */
const argRules = (prim: 'argmax' | 'argmin') => ({
  abstractEval: ([a]: readonly ShapedArray[], p: { axis: number }) => [argAval(prim, a, p.axis)],
  impl: ([x]: readonly { data: ArrayLike<number>; shape: Shape; aval: ShapedArray }[], p: { axis: number }) => {
    const out = argAval(prim, x.aval, p.axis)
    const dst = allocate('int32', sizeOf(out.shape))
    const n = x.shape[p.axis]
    const inner = stridesOf(x.shape)[p.axis]
    const outer = sizeOf(x.shape.slice(0, p.axis))
    const better = prim === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i
        let best = x.data[base]
        let bi = 0
        for (let k = 1; k < n && best === best; k++) {
          const v = x.data[base + k * inner]
          if (v !== v || better(v, best)) {
            best = v
            bi = k
          }
        }
        dst[o * inner + i] = bi
      }
    }
    return [makeArray(dst, out)]
  },
  jvp: zeroJvp(prim),
  batch: (_n: number, [x]: readonly Tracer[], [b]: readonly (number | null)[], p: { axis: number; indexDtype: 'int32' }): [Tracer[], (number | null)[]] =>
    [[bind1(prim, [moveAxis(x, b as number, 0)], { axis: p.axis + 1, indexDtype: p.indexDtype })], [0]],
})

export const reduceRulesTable: Pick<RuleTable, ReducePrim | 'argmax' | 'argmin'> = {
  reduce_sum: {
    ...reduceRules('reduce_sum', (([x], [dx], p) => [[reduceSum(x, p.axes)], [reduceSum(dx as Tracer, p.axes)]]) as JvpRule<ReducePrim>),
    // ct of a sum: broadcast back over the summed axes.
    transpose: ([ct], [x], p) => [isZero(ct) ? ct : unreduce(ct, (x as { aval: ShapedArray }).aval, p.axes)],
  },
  reduce_max: reduceRules('reduce_max', chooserJvp('reduce_max') as JvpRule<ReducePrim>),
  reduce_min: reduceRules('reduce_min', chooserJvp('reduce_min') as JvpRule<ReducePrim>),
  reduce_prod: reduceRules('reduce_prod', prodJvp as JvpRule<ReducePrim>),
  argmax: argRules('argmax'),
  argmin: argRules('argmin'),
}
