/**
 * Primitives layer: `reduce_window_sum`, `reduce_window_max`, `reduce_window_min` — XLA's
 * ReduceWindow with a monoid (0, −∞, +∞ as identity and padding value). Per axis: windows of
 * `windowDimensions[d]` elements spaced by `windowDilation[d]`, every `windowStrides[d]`
 * positions of the operand dilated by `baseDilation[d]` and padded by (lo, hi):
 *
 *   out[s] = ⊕_{k} x̃[s·stride + k·windowDilation]     (x̃: dilated, padded x; holes are the identity)
 *
 * The sum is linear; its transpose pads the cotangent (interior: stride − 1) and sums it over
 * the same windows again (JAX's rule). Max and min differentiate through the element each
 * window selects (the first extremum: JAX's select-and-gather), written with window patches
 * (pad + strided slices), argmax and a one-hot select, so the transpose of that tangent is the
 * select-and-scatter-add that the primitives' own transposes produce.
 */
import { scalar } from '../core/array'
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import { type BatchRule, type ImplRule, type JvpRule, type RuleTable, Zero, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr, shaped, sizeOf, stridesOf } from '../ir/aval'
import { allocate, isBool, isFloat } from '../ir/dtypes'
import type { ReduceWindowParams, ReduceWindowPrim } from '../ir/params'
import { eq } from './binary'
import { axisTable, dilateDim, vjpLhsPadding, windowCount } from './conv'
import { argmax, argmin, reduceSum } from './reduce'
import { broadcastInDim, iota, reshape, selectN } from './shape'
import { concatenate, pad, slice } from './slicing'
import { makeArray, zerosOf } from './util'

// ---- wrappers ----------------------------------------------------------------------------

export const reduceWindowP = (prim: ReduceWindowPrim, x: Tracer, p: ReduceWindowParams): Tracer => bind1(prim, [x], p)

/** The monoid's identity for `x`'s dtype (also the padding value). */
export const windowIdentity = (prim: ReduceWindowPrim, dtype: string): number =>
  prim === 'reduce_window_sum' ? 0 : isFloat(dtype as never) ? (prim === 'reduce_window_max' ? -Infinity : Infinity) : prim === 'reduce_window_max' ? -(2 ** 31) : 2 ** 31 - 1

// ---- abstract eval -----------------------------------------------------------------------

const intList = (v: unknown, n: number, min: number): boolean =>
  Array.isArray(v) && v.length === n && v.every((d) => Number.isSafeInteger(d) && d >= min)

export const reduceWindowAval = (prim: string, a: ShapedArray, p: ReduceWindowParams, numeric = true): ShapedArray => {
  const nd = a.shape.length
  if (numeric && isBool(a.dtype)) throw new DTypeError(`${prim} needs a numeric array, got ${avalStr(a)}; convert bools first (x.astype('int32'))`)
  const lists: [string, unknown, number][] = [
    ['windowDimensions', p.windowDimensions, 0], ['windowStrides', p.windowStrides, 1], ['baseDilation', p.baseDilation, 1], ['windowDilation', p.windowDilation, 1],
  ]
  for (const [name, v, min] of lists) {
    if (!intList(v, nd, min)) throw new ValueError(`${prim}: ${name} must list ${nd} integers ≥ ${min} (one per axis of ${avalStr(a)}), got ${JSON.stringify(v)}`)
  }
  if (!Array.isArray(p.padding) || p.padding.length !== nd || !p.padding.every((q) => Array.isArray(q) && q.length === 2 && q.every(Number.isSafeInteger))) {
    throw new ValueError(`${prim}: padding must list ${nd} pairs of integers [lo, hi], got ${JSON.stringify(p.padding)}`)
  }
  const shape = a.shape.map((n, d) => {
    const m = dilateDim(n, p.baseDilation[d]) + p.padding[d][0] + p.padding[d][1]
    if (m < 0) throw new ShapeError(`${prim}: axis ${d} of ${avalStr(a)} padded by [${p.padding[d].join(', ')}] would have size ${m}`)
    return windowCount(m, dilateDim(p.windowDimensions[d], p.windowDilation[d]), p.windowStrides[d])
  })
  return shaped(shape, a.dtype, a.weakType)
}

// ---- impl --------------------------------------------------------------------------------

const reduceWindowImpl = <P extends ReduceWindowPrim>(prim: P): ImplRule<P> => ([x], p) => {
  const out = reduceWindowAval(prim, x.aval, p)
  const nd = x.ndim
  const xs = stridesOf(x.shape)
  const tables = x.shape.map((n, d) => axisTable(n, p.windowDimensions[d], out.shape[d], p.windowStrides[d], p.padding[d][0], p.baseDilation[d], p.windowDilation[d]))
  const W = sizeOf(p.windowDimensions)
  const S = sizeOf(out.shape)
  const init = windowIdentity(prim, x.dtype)
  const int = !isFloat(x.dtype)
  const combine =
    // (float32 sums round at every step, as the fused kernels that fold the window do)
    prim === 'reduce_window_sum' ? (int ? (a: number, b: number) => (a + b) | 0 : x.dtype === 'float32' ? (a: number, b: number) => Math.fround(a + b) : (a: number, b: number) => a + b)
      : prim === 'reduce_window_max' ? (a: number, b: number) => (a > b || Number.isNaN(a) ? a : b)
        : (a: number, b: number) => (a < b || Number.isNaN(a) ? a : b)
  const dst = allocate(out.dtype, S)
  const sIdx = Array<number>(nd).fill(0)
  for (let s = 0; s < S; s++) {
    let rem = s
    for (let d = nd - 1; d >= 0; d--) {
      sIdx[d] = rem % out.shape[d]
      rem = Math.floor(rem / out.shape[d])
    }
    let acc = init
    for (let k = 0; k < W; k++) {
      let kr = k
      let off = 0
      for (let d = nd - 1; d >= 0 && off >= 0; d--) {
        const K = p.windowDimensions[d]
        const q = tables[d][sIdx[d] * K + (kr % K)]
        kr = Math.floor(kr / K)
        off = q < 0 ? -1 : off + q * xs[d]
      }
      acc = combine(acc, off < 0 ? init : x.data[off])
    }
    dst[s] = acc
  }
  return [makeArray(dst, out)]
}

// ---- window patches ----------------------------------------------------------------------

/**
 * Every window of `x` stacked on a new leading axis: [W, …out], W = Π windowDimensions, window
 * positions in row-major order; holes and padding hold `padValue`. Pad + strided slices +
 * concatenate: each piece differentiates and transposes.
 */
export const windowPatches = (x: Tracer, p: ReduceWindowParams, padValue: number | Tracer): Tracer => {
  const out = reduceWindowAval('reduceWindow', x.aval, p, false)
  const xp = pad(x, typeof padValue === 'number' ? scalar(padValue, x.dtype, x.weakType) : padValue, x.shape.map((_, d) => [p.padding[d][0], p.padding[d][1], p.baseDilation[d] - 1] as const))
  const W = sizeOf(p.windowDimensions)
  const pieces: Tracer[] = []
  for (let k = 0; k < W; k++) {
    let kr = k
    const start = Array<number>(x.ndim)
    for (let d = x.ndim - 1; d >= 0; d--) {
      start[d] = (kr % p.windowDimensions[d]) * p.windowDilation[d]
      kr = Math.floor(kr / p.windowDimensions[d])
    }
    const limit = start.map((s0, d) => (out.shape[d] === 0 ? s0 : s0 + (out.shape[d] - 1) * p.windowStrides[d] + 1))
    const piece = slice(xp, start, limit, p.windowStrides)
    pieces.push(reshape(piece, [1, ...out.shape]))
  }
  return pieces.length === 1 ? pieces[0] : concatenate(pieces, 0)
}

// ---- jvp ---------------------------------------------------------------------------------

/** d maxwindow(x) = dx at the first maximal element of each window (min likewise). */
const chooserJvp = <P extends 'reduce_window_max' | 'reduce_window_min'>(prim: P): JvpRule<P> => ([x], [dx], p) => {
  const y = reduceWindowP(prim, x, p)
  if (isZero(dx)) return [[y], [new Zero(y.aval)]]
  const W = sizeOf(p.windowDimensions)
  if (W === 0 || sizeOf(y.shape) === 0) return [[y], [zerosOf(y.aval)]]
  const patches = windowPatches(x, p, windowIdentity(prim, x.dtype))
  const choice = prim === 'reduce_window_max' ? argmax(patches, 0) : argmin(patches, 0)
  const shape = [W, ...y.shape]
  const onehot = eq(iota('int32', shape, 0), broadcastInDim(choice, shape, y.shape.map((_, i) => i + 1)))
  const dPatches = windowPatches(dx, p, 0)
  return [[y], [reduceSum(selectN(onehot, zerosOf(dPatches.aval), dPatches), [0])]]
}

// ---- transpose ---------------------------------------------------------------------------

// ct_x = windowsum over the cotangent dilated by the strides and padded (all-ones windows are symmetric)
const sumTranspose: RuleTable['reduce_window_sum']['transpose'] = ([ct], [x], p) => {
  const aval = (x as { aval: ShapedArray }).aval
  if (isZero(ct)) return [new Zero(aval)]
  const pads = vjpLhsPadding(aval.shape, p.windowDimensions, p.windowStrides, ct.shape, p.padding, p.baseDilation, p.windowDilation)
  const padded = pad(ct, scalar(0, ct.dtype, ct.weakType), pads.map(([lo, hi], d) => [lo, hi, p.windowStrides[d] - 1] as const))
  const ones = aval.shape.map(() => 1)
  return [reduceWindowP('reduce_window_sum', padded, {
    windowDimensions: p.windowDimensions,
    windowStrides: p.baseDilation,
    padding: aval.shape.map(() => [0, 0] as const),
    baseDilation: ones,
    windowDilation: p.windowDilation,
  })]
}

// ---- batch -------------------------------------------------------------------------------

/** The batch axis gets a window of one element. */
const batchRule = <P extends ReduceWindowPrim>(prim: P): BatchRule<P> => (_n, [x], [b], p) => {
  const bd = b as number
  const ins = <T>(v: readonly T[], e: T): T[] => [...v.slice(0, bd), e, ...v.slice(bd)]
  return [[reduceWindowP(prim, x, {
    windowDimensions: ins(p.windowDimensions, 1),
    windowStrides: ins(p.windowStrides, 1),
    padding: ins(p.padding, [0, 0] as const),
    baseDilation: ins(p.baseDilation, 1),
    windowDilation: ins(p.windowDilation, 1),
  })], [bd]]
}

// ---- the rules ---------------------------------------------------------------------------

export const reduceWindowRules: Pick<RuleTable, ReduceWindowPrim> = {
  reduce_window_sum: {
    abstractEval: ([a], p) => [reduceWindowAval('reduce_window_sum', a, p)],
    impl: reduceWindowImpl('reduce_window_sum'),
    // d windowsum(x) = windowsum(dx)
    jvp: ([x], [dx], p) => [[reduceWindowP('reduce_window_sum', x, p)], [isZero(dx) ? new Zero(reduceWindowAval('reduce_window_sum', x.aval, p)) : reduceWindowP('reduce_window_sum', dx, p)]],
    transpose: sumTranspose,
    batch: batchRule('reduce_window_sum'),
  },
  reduce_window_max: {
    abstractEval: ([a], p) => [reduceWindowAval('reduce_window_max', a, p)],
    impl: reduceWindowImpl('reduce_window_max'),
    jvp: chooserJvp('reduce_window_max'),
    batch: batchRule('reduce_window_max'),
  },
  reduce_window_min: {
    abstractEval: ([a], p) => [reduceWindowAval('reduce_window_min', a, p)],
    impl: reduceWindowImpl('reduce_window_min'),
    jvp: chooserJvp('reduce_window_min'),
    batch: batchRule('reduce_window_min'),
  },
}
