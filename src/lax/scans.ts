/**
 * lax: scans and selections built by composition — `associativeScan` (the parallel prefix
 * algorithm: O(log n) rounds of strided slices, pads and one `fn` application each), `map`
 * (a scan, optionally over vmapped batches), `topK`, and the cumulative reductions `cumprod`,
 * `cummax`, `cummin`, `cumlogsumexp`, which are associative scans of mul, max, min and
 * logaddexp (as JAX computes them), so their derivatives are those of the composition
 * (cummax with ties splits the derivative evenly, as max does).
 */
import { scalar } from '../core/array'
import { ArgumentTypeError, ShapeError, TreeMismatchError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { isBool } from '../ir/dtypes'
import { abs, exp, log1p, neg, not } from '../primitives/unary'
import { add, max, min, mul, ne, or, sub } from '../primitives/binary'
import { takeAlongAxis } from '../primitives/gather'
import { broadcastInDim, iota, reshape, selectN } from '../primitives/shape'
import { concatenate, pad, slice } from '../primitives/slicing'
import { sort } from '../primitives/sort'
import { asTracer, normAxis } from '../primitives/util'
import { flattenArrays } from '../transforms/flat'
import { vmap } from '../transforms/vmap'
import { type TreeDef, treedefEq, treedefStr, unflatten } from '../tree/treedef'
import { scan } from './control'

// ---- associativeScan ---------------------------------------------------------------------

const sliceAxis = (x: Tracer, axis: number, start: number, limit: number, stride = 1): Tracer =>
  slice(
    x,
    x.shape.map((_, d) => (d === axis ? start : 0)),
    x.shape.map((n, d) => (d === axis ? Math.max(start, limit) : n)),
    x.shape.map((_, d) => (d === axis ? stride : 1)),
  )

/** Interleave a and b along `axis` (a first; a has as many elements as b, or one more). */
const interleave = (a: Tracer, b: Tracer, axis: number): Tracer => {
  const same = a.shape[axis] === b.shape[axis]
  const cfg = (lo: number, hi: number) => a.shape.map((_, d) => (d === axis ? ([lo, hi, 1] as const) : ([0, 0, 0] as const)))
  const z = (t: Tracer) => scalar(0, t.dtype, t.weakType)
  const pa = pad(a, z(a), cfg(0, same ? 1 : 0))
  const pb = pad(b, z(b), cfg(1, same ? 0 : 1))
  return isBool(a.dtype) ? or(pa, pb) : add(pa, pb)
}

const flip = (x: Tracer, axis: number): Tracer => {
  const n = x.shape[axis]
  if (n <= 1) return x
  const idx = sub(scalar(n - 1, 'int32', false), iota('int32', x.shape, axis))
  return takeAlongAxis(x, idx, axis)
}

export interface AssociativeScanOptions {
  readonly reverse?: boolean
  readonly axis?: number
}

/**
 * Inclusive scan with an associative `fn` (`jax.lax.associative_scan`): out[i] = e[0] ⊕ … ⊕ e[i]
 * along `axis` of every leaf of `elems` (a pytree; `fn` takes and returns two such trees, of
 * any length along the axis). Parallel prefix: combine neighbouring pairs, scan the half-size
 * result recursively, then fill in the even positions.
 */
export const associativeScan = <T>(fn: (a: T, b: T) => T, elems: T, opts: AssociativeScanOptions = {}): T => {
  const op = 'lax.associativeScan'
  if (typeof fn !== 'function') throw new ArgumentTypeError(`${op}: fn must be a function of two pytrees, got ${typeof fn}`)
  const [leaves, tree] = flattenArrays(elems, `${op} elems`)
  if (leaves.length === 0) return elems
  const axis = normAxis(opts.axis ?? 0, leaves[0].ndim, op)
  const n = leaves[0].shape[axis]
  leaves.forEach((x) => {
    if (x.ndim <= axis || x.shape[axis] !== n) throw new ShapeError(`${op}: every leaf needs axis ${axis} of length ${n}, got shape [${x.shape.join(', ')}]`)
  })
  const combine = (a: Tracer[], b: Tracer[]): Tracer[] => {
    const [out, outTree] = flattenArrays(fn(unflatten<T>(tree, a), unflatten<T>(tree, b)), `${op} fn output`)
    if (!treedefEq(outTree, tree as TreeDef)) throw new TreeMismatchError(`${op}: fn must return the structure of elems ${treedefStr(tree)}, got ${treedefStr(outTree)}`)
    return out
  }
  const go = (es: Tracer[]): Tracer[] => {
    const m = es[0].shape[axis]
    if (m < 2) return es
    const reduced = combine(es.map((e) => sliceAxis(e, axis, 0, m - 1, 2)), es.map((e) => sliceAxis(e, axis, 1, m, 2)))
    const odd = go(reduced)
    const even = m % 2 === 0
      ? combine(odd.map((e) => sliceAxis(e, axis, 0, e.shape[axis] - 1)), es.map((e) => sliceAxis(e, axis, 2, m, 2)))
      : combine(odd, es.map((e) => sliceAxis(e, axis, 2, m, 2)))
    const evenFull = es.map((e, i) => (even[i].shape[axis] === 0 ? sliceAxis(e, axis, 0, 1) : concatenate([sliceAxis(e, axis, 0, 1), even[i]], axis)))
    return evenFull.map((e, i) => interleave(e, odd[i], axis))
  }
  const rev = opts.reverse === true
  const ins = rev ? leaves.map((x) => flip(x, axis)) : leaves
  const outs = go(ins)
  return unflatten<T>(tree, rev ? outs.map((x) => flip(x, axis)) : outs)
}

// ---- cumulative reductions -----------------------------------------------------------------

/** log(eᵃ + eᵇ) = max(a, b) + log1p(e^{−|a − b|}); both −∞ gives −∞ (not NaN). */
const logaddexp = (a: Tracer, b: Tracer): Tracer => {
  const m = max(a, b)
  const d = sub(a, b)
  const nan = ne(d, d)
  const zero = broadcastInDim(scalar(0, d.dtype, d.weakType), d.shape, [])
  const safe = selectN(nan, d, zero)
  return add(m, selectN(nan, log1p(exp(neg(abs(safe)))), zero))
}

const cumulative = (name: string, f: (a: Tracer, b: Tracer) => Tracer) => (x: Tracer, axis = 0, reverse = false): Tracer => {
  const a = asTracer(x)
  if (a.ndim === 0) throw new ShapeError(`lax.${name}: needs an array with at least one axis, got a 0-d array`)
  return associativeScan(f, a, { axis: normAxis(axis, a.ndim, `lax.${name}`), reverse })
}

/** Cumulative product along `axis` (default 0); `reverse`: from the end. */
export const cumprod = cumulative('cumprod', mul)
/** Running maximum along `axis` (default 0); `reverse`: from the end. */
export const cummax = cumulative('cummax', max)
/** Running minimum along `axis` (default 0); `reverse`: from the end. */
export const cummin = cumulative('cummin', min)
/** log Σ_{j ≤ i} e^{x_j} along `axis` (default 0), stable; `reverse`: from the end. */
export const cumlogsumexp = cumulative('cumlogsumexp', logaddexp)

// ---- topK --------------------------------------------------------------------------------

/**
 * The `k` largest entries along the last axis, in descending order, and their int32 indices
 * (`jax.lax.top_k`; equal values keep their index order). The values are gathered from `x` at
 * those indices, so they differentiate like a gather.
 */
export const topK = (x: Tracer, k: number): [values: Tracer, indices: Tracer] => {
  const op = 'lax.topK'
  const a = asTracer(x)
  if (a.ndim === 0) throw new ShapeError(`${op}: needs an array with at least one axis, got a 0-d array`)
  const n = a.shape[a.ndim - 1]
  if (!Number.isInteger(k) || k < 0 || k > n) throw new ValueError(`${op}: k must be an integer in 0 … ${n} (the size of the last axis), got ${k}`)
  const last = a.ndim - 1
  // a stable ascending sort of −x is descending in x with ties in index order; for int32 the
  // key is ~x = −x − 1 (bitwise not), which reverses the order of every int32 — −(−2³¹)
  // would wrap to −2³¹ and sort the smallest value first
  const keys = isBool(a.dtype) || a.dtype === 'int32' ? not(a) : neg(a)
  const [, order] = sort([keys, iota('int32', a.shape, last)], last, 1)
  const idx = sliceAxis(order, last, 0, k)
  return [takeAlongAxis(a, idx, last), idx]
}

// ---- map ---------------------------------------------------------------------------------

export interface MapOptions {
  /** Evaluate `f` on this many elements at once (vmapped), scanning over the batches. */
  readonly batchSize?: number
}

/**
 * `f` applied to every slice of `xs` along the leading axis, sequentially (`jax.lax.map`): a
 * scan, so memory stays that of one application. With `batchSize`, `f` is vmapped over batches
 * of that many elements (the remainder in one more vmapped call).
 */
export const map = <X, Y>(f: (x: X) => Y, xs: X, opts: MapOptions = {}): Y => {
  const op = 'lax.map'
  if (typeof f !== 'function') throw new ArgumentTypeError(`${op}: f must be a function, got ${typeof f}`)
  const bs = opts.batchSize
  if (bs === undefined) return scan((c: readonly [], x: X) => [c, f(x)] as [readonly [], Y], [] as const, xs)[1]
  if (!Number.isInteger(bs) || bs < 1) throw new ValueError(`${op}: batchSize must be a positive integer, got ${bs}`)
  const [leaves, tree] = flattenArrays(xs, `${op} xs`)
  if (leaves.length === 0) throw new ValueError(`${op}: xs has no arrays to map over`)
  const n = leaves[0].shape[0]
  const nb = Math.floor(n / bs)
  const fv = vmap(f as (x: X) => Y) as unknown as (x: X) => Y
  const parts: Tracer[][] = []
  let outTree: TreeDef | undefined
  if (nb > 0) {
    const batched = leaves.map((x) => reshape(sliceAxis(x, 0, 0, nb * bs), [nb, bs, ...x.shape.slice(1)]))
    const ys = scan((c: readonly [], x: X) => [c, fv(x)] as [readonly [], Y], [] as const, unflatten<X>(tree, batched))[1]
    const [yl, yt] = flattenArrays(ys, `${op} output`)
    outTree = yt
    parts.push(yl.map((y) => reshape(y, [nb * bs, ...y.shape.slice(2)])))
  }
  if (nb * bs < n) {
    const [yl, yt] = flattenArrays(fv(unflatten<X>(tree, leaves.map((x) => sliceAxis(x, 0, nb * bs, n)))), `${op} output`)
    outTree = yt
    parts.push(yl)
  }
  if (outTree === undefined) return scan((c: readonly [], x: X) => [c, f(x)] as [readonly [], Y], [] as const, xs)[1]
  const outs = parts.length === 1 ? parts[0] : parts[0].map((y, i) => concatenate([y, parts[1][i]], 0))
  return unflatten<Y>(outTree, outs)
}
