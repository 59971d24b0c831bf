/**
 * NumPy layer: functions whose output shape depends on the data — nonzero, flatnonzero,
 * argwhere, unique (and the array-API uniqueAll / uniqueCounts / uniqueInverse /
 * uniqueValues), bincount. As in JAX, a static `size` (`length` for bincount) fixes the
 * output shape, so they work under jit and vmap: shorter results are padded with
 * `fillValue`, longer ones truncated. Without it the size is read from the data, which must
 * be known: a concrete array, or the primal of an eager grad / jvp (as JAX); under jit or
 * vmap that is a ConcretizationError that names the option.
 *
 * All of it is one stable sort plus gathers: "the positions of the true elements, in order"
 * is the first `size` entries of iota sorted by the key (not element).
 */
import { type ConcreteArray, isConcrete, scalar } from '../core/array'
import { ConcretizationError, DTypeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { JVPTracer } from '../interpret/jvp'
import { avalStr } from '../ir/aval'
import { isInt } from '../ir/dtypes'
import * as bin from '../primitives/binary'
import { convertElementType, iota, reshape as laxReshape, selectN } from '../primitives/shape'
import { concatenate, pad, slice as laxSlice } from '../primitives/slicing'
import { sort as laxSort } from '../primitives/sort'
import { checkInt32 } from '../primitives/util'
import { full, zeros } from './creation'
import { isnan, where } from './elementwise'
import { at, take } from './indexing'
import { type ArrayLike, asArray } from './promote'
import { cumsum, max, sum } from './reductions'
import { ravel, stack } from './shape'

export interface SizeOpts {
  /** the static output length: results are padded with `fillValue` or truncated to it */
  readonly size?: number
  /** the padding (default 0; for unique: the smallest unique value) */
  readonly fillValue?: number
}

const checkSize = (size: number, op: string): number => {
  if (!Number.isInteger(size) || size < 0) throw new ValueError(`${op}: size must be a non-negative integer, got ${size}`)
  return checkInt32(size, `${op} size`)
}

/**
 * The value behind `x` when it is known now: a concrete array, or the primal of a
 * differentiation tracer whose primal is concrete (eager grad / jvp, where JAX also reads
 * the data). Under jit or vmap there is none.
 */
const knownValue = (x: Tracer): ConcreteArray | null => {
  let t = x.fullLower()
  while (!isConcrete(t)) {
    if (!(t instanceof JVPTracer)) return null
    t = t.primal.fullLower()
  }
  return t
}

/** The size from the data (known input), or a ConcretizationError naming the option. */
const sizeFromData = (x: Tracer, op: string, option: string, count: (known: ConcreteArray) => number): number => {
  const known = knownValue(x)
  if (known === null) {
    throw new ConcretizationError(
      `${op}: the output shape depends on the values of a traced array ${avalStr(x.aval)}; inside jit or vmap pass ` +
        `a static ${option} (e.g. np.${op}(x, { ${option}: n })), which pads or truncates the result to n entries.`,
    )
  }
  return count(known)
}

/** The number of nonzero elements of a concrete array. */
const countNonzero = (c: Tracer): number => sum(convertElementType(nonzeroMask(c), 'int32')).item()

/** x[0:n] along axis 0, padded with `fill` up to n. */
const fitLength = (x: Tracer, n: number, fill: Tracer): Tracer => {
  const m = x.shape[0]
  if (m === n) return x
  if (m > n) return laxSlice(x, [0], [n])
  return pad(x, fill, [[0, n - m, 0]])
}

/**
 * The positions of the true elements of the 1-D bool `m`, in order, as int32 [size]; entries
 * past the count are `fill`. Also the count (int32 0-d).
 */
const compress = (m: Tracer, size: number, fill: number): [Tracer, Tracer] => {
  const n = m.shape[0]
  const key = un1(m)
  const order = laxSort([key, iota('int32', [n], 0)], 0, 1)[1]
  const count = sum(convertElementType(m, 'int32'))
  const pos = fitLength(order, size, scalar(0, 'int32'))
  const valid = bin.lt(iota('int32', [size], 0), count)
  return [selectN(valid, full([size], fill, { dtype: 'int32' }), pos), count]
}
/** 0 for true, 1 for false: true elements sort first. */
const un1 = (m: Tracer): Tracer => convertElementType(bin.eq(m, scalar(false)), 'int32')

const nonzeroMask = (x: Tracer): Tracer => (x.dtype === 'bool' ? x : bin.ne(x, scalar(0, x.dtype, x.weakType)))

/** Row-major flat positions → one int32 index array per axis. */
const unravel = (flat: Tracer, shape: readonly number[], valid: Tracer | null, fill: number): Tracer[] => {
  const out: Tracer[] = []
  let stride = shape.reduce((a, b) => a * b, 1)
  for (const d of shape) {
    stride /= d
    const i = bin.rem(bin.div(flat, scalar(stride, 'int32')), scalar(Math.max(d, 1), 'int32'))
    out.push(valid === null ? i : selectN(valid, full(flat.shape, fill, { dtype: 'int32' }), i))
  }
  return out
}

/** Flat positions of the nonzero elements of `x` (int32 [size]). */
export const flatnonzero = (x: ArrayLike, opts: SizeOpts = {}): Tracer => {
  const op = 'flatnonzero'
  const t = ravel(asArray(x, op))
  const m = nonzeroMask(t)
  const size = opts.size === undefined ? sizeFromData(t, op, 'size', countNonzero) : checkSize(opts.size, op)
  return compress(m, size, opts.fillValue ?? 0)[0]
}

/**
 * The indices of the nonzero elements: one int32 array per axis of `x` (np.nonzero), in
 * row-major order. With `size`, each has that length; missing entries are `fillValue`.
 */
export const nonzero = (x: ArrayLike, opts: SizeOpts = {}): Tracer[] => {
  const op = 'nonzero'
  const t = asArray(x, op)
  if (t.ndim === 0) throw new ValueError(`${op}: not defined for 0-d arrays; use np.nonzero(np.atleast1d(x))`)
  const m = nonzeroMask(laxReshape(t, [t.size]))
  const size = opts.size === undefined ? sizeFromData(t, op, 'size', countNonzero) : checkSize(opts.size, op)
  const fill = opts.fillValue ?? 0
  const [flat, count] = compress(m, size, 0)
  const valid = bin.lt(iota('int32', [size], 0), count)
  return unravel(flat, t.shape, opts.fillValue === undefined ? null : valid, fill)
}

/** The indices of the nonzero elements as rows: int32 [size, x.ndim] (np.argwhere). */
export const argwhere = (x: ArrayLike, opts: SizeOpts = {}): Tracer => {
  const op = 'argwhere'
  const t = asArray(x, op)
  if (t.ndim === 0) {
    const size = opts.size === undefined ? sizeFromData(t, op, 'size', countNonzero) : checkSize(opts.size, op)
    return zeros([size, 0], { dtype: 'int32' })
  }
  const cols = nonzero(t, { ...opts, size: opts.size ?? sizeFromData(t, op, 'size', countNonzero) })
  return stack(cols, 1)
}

// ---- unique --------------------------------------------------------------------------------

export interface UniqueOpts extends SizeOpts {
  /** NaNs count as one value (default true, as JAX); false: every NaN is its own value */
  readonly equalNan?: boolean
}

/** The sorted unique values of `x` (flattened) with the positions, inverse and counts. */
export interface UniqueAll {
  /** the sorted unique values, [size] */
  readonly values: Tracer
  /** the position in the flattened x of each value's first occurrence, int32 [size] */
  readonly indices: Tracer
  /** for every element of x, the position of its value in `values`, int32, x's shape */
  readonly inverseIndices: Tracer
  /** how often each value occurs (0 for padding), int32 [size] */
  readonly counts: Tracer
}

/**
 * Sorted values s with their positions (a stable sort), and the start flags: s[i] begins a
 * new value (NaNs equal to each other unless equalNan is false).
 */
const sortedRuns = (x: Tracer, equalNan: boolean): { s: Tracer; perm: Tracer; isNew: Tracer } => {
  const n = x.shape[0]
  const [s, perm] = laxSort([x, iota('int32', [n], 0)], 0, 1)
  if (n === 0) return { s, perm, isNew: full([0], false, { dtype: 'bool' }) }
  const hi = laxSlice(s, [1], [n])
  const lo = laxSlice(s, [0], [n - 1])
  let differs = bin.ne(hi, lo)
  if (equalNan) differs = bin.and(differs, bin.eq(bin.and(isnan(hi), isnan(lo)), scalar(false)))
  const isNew = concatenate([full([1], true, { dtype: 'bool' }), differs], 0)
  return { s, perm, isNew }
}

const uniqueImpl = (x: ArrayLike, opts: UniqueOpts, op: string): UniqueAll => {
  const t = asArray(x, op)
  const flat = laxReshape(t, [t.size])
  const n = flat.shape[0]
  const equalNan = opts.equalNan ?? true
  const { s, perm, isNew } = sortedRuns(flat, equalNan)
  const size = opts.size === undefined
    ? sizeFromData(t, op, 'size', (c) => sum(convertElementType(sortedRuns(laxReshape(c, [c.size]), equalNan).isNew, 'int32')).item())
    : checkSize(opts.size, op)
  const [starts, count] = compress(isNew, size, 0)
  const valid = bin.lt(iota('int32', [size], 0), count)
  if (n === 0) {
    const empty = zeros([size], { dtype: 'int32' })
    return { values: full([size], opts.fillValue ?? 0, { dtype: t.dtype }), indices: empty, inverseIndices: zeros(t.shape, { dtype: 'int32' }), counts: empty }
  }
  const first = take(s, starts)
  const fill = opts.fillValue === undefined ? take(s, scalar(0, 'int32')) : scalar(opts.fillValue, t.dtype, t.weakType)
  const values = where(valid, first, fill)
  // Run j spans [starts[j], starts[j+1]) (the last run ends at n).
  const nEnd = full([1], n, { dtype: 'int32' })
  const shifted = size === 0 ? starts : concatenate([laxSlice(starts, [1], [size]), nEnd], 0)
  const ends = where(bin.lt(iota('int32', [size], 0), bin.sub(count, scalar(1, 'int32'))), shifted, scalar(n, 'int32'))
  const counts = where(valid, bin.sub(ends, starts), scalar(0, 'int32'))
  const indices = take(perm, starts)
  // The run number of every sorted element, sent back to its original position.
  const run = bin.sub(cumsum(convertElementType(isNew, 'int32')), scalar(1, 'int32'))
  const inverse = at(zeros([n], { dtype: 'int32' }), perm).set(run)
  return { values, indices, inverseIndices: laxReshape(inverse, t.shape), counts }
}

/**
 * The sorted unique values of `x` (flattened). With `size`, exactly that many: padded with
 * `fillValue` (default: the smallest value) or truncated. NaNs are one value unless
 * `equalNan: false`.
 */
export const unique = (x: ArrayLike, opts: UniqueOpts = {}): Tracer => uniqueImpl(x, opts, 'unique').values
/** The unique values with first positions, inverse indices and counts (array API / NumPy 2). */
export const uniqueAll = (x: ArrayLike, opts: UniqueOpts = {}): UniqueAll => uniqueImpl(x, opts, 'uniqueAll')
/** The unique values and their counts. */
export const uniqueCounts = (x: ArrayLike, opts: UniqueOpts = {}): { readonly values: Tracer; readonly counts: Tracer } => {
  const r = uniqueImpl(x, opts, 'uniqueCounts')
  return { values: r.values, counts: r.counts }
}
/** The unique values and, for every element of x, the position of its value among them. */
export const uniqueInverse = (x: ArrayLike, opts: UniqueOpts = {}): { readonly values: Tracer; readonly inverseIndices: Tracer } => {
  const r = uniqueImpl(x, opts, 'uniqueInverse')
  return { values: r.values, inverseIndices: r.inverseIndices }
}
/** The sorted unique values (the same as `unique`). */
export const uniqueValues = unique

// ---- bincount ------------------------------------------------------------------------------

export interface BincountOpts {
  /** per-element weights (x's shape); the result has their dtype (default: counts, int32) */
  readonly weights?: ArrayLike
  /** the least output length when the length comes from the data */
  readonly minlength?: number
  /** the static output length (needed inside jit / vmap / grad); larger values are dropped */
  readonly length?: number
}

/**
 * out[i] = Σ weights[j] over the j with x[j] = i (counts without weights), for the
 * non-negative int32 `x` (1-D). Negative values count at 0 and values ≥ length are dropped,
 * as JAX.
 */
export const bincount = (x: ArrayLike, opts: BincountOpts = {}): Tracer => {
  const op = 'bincount'
  const t = asArray(x, op)
  if (!isInt(t.dtype)) throw new DTypeError(`${op}: x must be int32, got ${avalStr(t.aval)}; convert with x.astype('int32')`)
  if (t.ndim !== 1) throw new ValueError(`${op}: x must be 1-D, got ${avalStr(t.aval)}`)
  const minlength = opts.minlength ?? 0
  if (!Number.isInteger(minlength) || minlength < 0) throw new ValueError(`${op}: minlength must be a non-negative integer, got ${minlength}`)
  const length = opts.length === undefined
    ? sizeFromData(t, op, 'length', (c) => Math.max(minlength, c.size === 0 ? 0 : max(c).item() + 1))
    : checkSize(opts.length, op)
  const w = opts.weights === undefined ? full(t.shape, 1, { dtype: 'int32' }) : asArray(opts.weights, op)
  if (w.shape.length !== 1 || w.shape[0] !== t.shape[0]) {
    throw new ValueError(`${op}: weights must have x's shape ${avalStr(t.aval)}, got ${avalStr(w.aval)}`)
  }
  const idx = bin.max(t, scalar(0, 'int32'))
  return at(zeros([length], { dtype: w.dtype === 'bool' ? 'int32' : w.dtype }), idx).add(w.dtype === 'bool' ? convertElementType(w, 'int32') : w)
}
