/**
 * Primitives layer: sort — a stable sort of several same-shaped operands along one axis,
 * ordered lexicographically by the first `numKeys` of them; every operand is permuted alike.
 * Keys order as NumPy: −0 equals 0, NaNs last; bool keys order false < true.
 */
import { AxisError, ShapeError, ValueError } from '../core/errors'
import { type RuleTable, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import { type ShapedArray, avalStr, shapeEq, shaped, sizeOf, stridesOf } from '../ir/aval'
import { allocate } from '../ir/dtypes'
import { takeAlongAxis } from './gather'
import { iota } from './shape'
import { batchToFront, makeArray, normAxis, zeroLike } from './util'

// ---- wrappers ----------------------------------------------------------------------------

/** Sort `operands` along `dimension` (negative counts from the end) by the first `numKeys`. */
export const sort = (operands: readonly Tracer[], dimension: number, numKeys = 1): Tracer[] => {
  const d = operands.length > 0 ? normAxis(dimension, operands[0].ndim, 'sort') : dimension
  return bind('sort', [...operands], { dimension: d, numKeys })
}

// ---- abstract eval -----------------------------------------------------------------------

const sortAvals = (avals: readonly ShapedArray[], p: { dimension: number; numKeys: number }): ShapedArray[] => {
  const op = 'sort'
  if (avals.length === 0) throw new ValueError(`${op}: needs at least one operand`)
  const shape = avals[0].shape
  if (avals.some((a) => !shapeEq(a.shape, shape))) {
    throw new ShapeError(`${op}: operands must have equal shapes, got ${avals.map(avalStr).join(', ')}`)
  }
  if (shape.length === 0) throw new AxisError(`${op}: cannot sort a 0-d array (${avalStr(avals[0])}); reshape it to [1]`)
  if (!Number.isInteger(p.dimension) || p.dimension < 0 || p.dimension >= shape.length) {
    throw new AxisError(`${op}: dimension ${p.dimension} must be a normalized axis of ${avalStr(avals[0])} (0 … ${shape.length - 1})`)
  }
  if (!Number.isInteger(p.numKeys) || p.numKeys < 1 || p.numKeys > avals.length) {
    throw new ValueError(`${op}: numKeys must be an integer in [1, ${avals.length}] (the number of operands), got ${p.numKeys}`)
  }
  return avals.map((a) => shaped(a.shape, a.dtype, a.weakType))
}

// ---- impl --------------------------------------------------------------------------------

/** Total order of NumPy's sort: numbers ascending (−0 = 0), then NaN (all NaNs equal). */
const compareKey = (a: number, b: number): number => {
  if (a < b) return -1
  if (a > b) return 1
  if (a === b) return 0
  const an = a !== a
  return an === (b !== b) ? 0 : an ? 1 : -1
}

/** Stable sort of `perm` by `cmp`: insertion-sorted runs of 16, then bottom-up merges. */
const mergeSort = (perm: Int32Array, scratch: Int32Array, cmp: (i: number, j: number) => number): void => {
  const n = perm.length
  const RUN = 16
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n)
    for (let i = lo + 1; i < hi; i++) {
      const v = perm[i]
      let j = i - 1
      while (j >= lo && cmp(perm[j], v) > 0) {
        perm[j + 1] = perm[j]
        j--
      }
      perm[j + 1] = v
    }
  }
  let src = perm
  let dst = scratch
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n)
      const hi = Math.min(lo + 2 * width, n)
      let i = lo
      let j = mid
      let k = lo
      // take from the left run on ties: that keeps the sort stable
      while (i < mid && j < hi) dst[k++] = cmp(src[j], src[i]) < 0 ? src[j++] : src[i++]
      while (i < mid) dst[k++] = src[i++]
      while (j < hi) dst[k++] = src[j++]
    }
    ;[src, dst] = [dst, src]
  }
  if (src !== perm) perm.set(src)
}

const sortImpl: RuleTable['sort']['impl'] = (xs, p) => {
  const outs = sortAvals(xs.map((x) => x.aval), p)
  const shape = xs[0].shape
  const n = shape[p.dimension]
  const inner = stridesOf(shape)[p.dimension]
  const outer = sizeOf(shape.slice(0, p.dimension))
  const dsts = outs.map((a) => allocate(a.dtype, sizeOf(shape)))
  const keys = Array.from({ length: p.numKeys }, () => new Float64Array(n))
  const perm = new Int32Array(n)
  const scratch = new Int32Array(n)
  const k0 = keys[0]
  const cmp =
    keys.length === 1
      ? (i: number, j: number): number => compareKey(k0[i], k0[j])
      : (i: number, j: number): number => {
          for (let k = 0; k < keys.length; k++) {
            const c = compareKey(keys[k][i], keys[k][j])
            if (c !== 0) return c
          }
          return 0
        }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i
      for (let k = 0; k < p.numKeys; k++) {
        const src = xs[k].data
        for (let j = 0; j < n; j++) keys[k][j] = src[base + j * inner]
      }
      for (let j = 0; j < n; j++) perm[j] = j
      mergeSort(perm, scratch, cmp)
      xs.forEach((x, m) => {
        const src = x.data
        const dst = dsts[m]
        for (let j = 0; j < n; j++) dst[base + j * inner] = src[base + perm[j] * inner]
      })
    }
  }
  return outs.map((a, m) => makeArray(dsts[m], a))
}

// ---- the rules ---------------------------------------------------------------------------

export const sortRules: Pick<RuleTable, 'sort'> = {
  sort: {
    abstractEval: (avals, p) => sortAvals(avals, p),
    impl: sortImpl,
    // d sort(x)ᵢ = take_along_axis(dxᵢ, perm): sort an iota alongside to get the permutation.
    jvp: (primals, tangents, p) => {
      if (tangents.every(isZero)) {
        const ys = sort(primals, p.dimension, p.numKeys)
        return [ys, ys.map(zeroLike)]
      }
      const ys = sort([...primals, iota('int32', primals[0].shape, p.dimension)], p.dimension, p.numKeys)
      const perm = ys.pop() as Tracer
      return [ys, tangents.map((t) => (isZero(t) ? t : takeAlongAxis(t, perm, p.dimension)))]
    },
    // Batch axis to 0 on every operand (unbatched ones are broadcast); sort one axis further in.
    batch: (axisSize, xs, bdims, p) => {
      const moved = xs.map((x, i) => batchToFront(x, bdims[i], axisSize))
      return [sort(moved, p.dimension + 1, p.numKeys), xs.map(() => 0)]
    },
  },
}
