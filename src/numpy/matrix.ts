/**
 * NumPy layer: matrix building and reading — diag, diagonal, trace, tri / tril / triu and their
 * index lists, kron, vdot, cross, meshgrid, block, columnStack. Reads are gathers at static
 * positions and masks are selects (never multiplication by 0/1, which would turn an ∞ off the
 * diagonal into NaN), so every function differentiates and batches like its parts.
 */
import { ConcreteArray, scalar } from '../core/array'
import { ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr, shapeStr } from '../ir/aval'
import * as bin from '../primitives/binary'
import { broadcastInDim, convertElementType, iota } from '../primitives/shape'
import { slice as laxSlice } from '../primitives/slicing'
import { checkShape, normAxis } from '../primitives/util'
import { type DTypeOpts, zerosLike } from './creation'
import { dot } from './contract'
import { multiply, subtract, where } from './elementwise'
import { take } from './indexing'
import { type ArrayLike, asArray, broadcastShapes, promoteArgs } from './promote'
import { sum } from './reductions'
import { atleast1d, concatenate, expandDims, moveaxis, ravel, reshape } from './shape'

const int32s = (v: readonly number[]): Tracer => new ConcreteArray(Int32Array.from(v), [v.length], 'int32')

const checkInt = (v: number, what: string, op: string): void => {
  if (!Number.isInteger(v)) throw new ValueError(`${op}: ${what} must be an integer, got ${v}`)
}

/** The length of diagonal `k` of an n×m matrix. */
const diagLength = (n: number, m: number, k: number): number => Math.max(0, k >= 0 ? Math.min(n, m - k) : Math.min(n + k, m))

/**
 * The diagonal `offset` (0 main, > 0 above, < 0 below) of the matrices over `axis1`, `axis2`
 * (default the first two axes, as NumPy): those axes are removed and the diagonal becomes the
 * last axis.
 */
export const diagonal = (a: ArrayLike, offset = 0, axis1 = 0, axis2 = 1): Tracer => {
  const op = 'diagonal'
  const x = asArray(a, op)
  if (x.ndim < 2) throw new ValueError(`${op}: needs at least 2 axes, got ${avalStr(x.aval)}`)
  const k = offset
  checkInt(k, 'offset', op)
  const a1 = normAxis(axis1, x.ndim, op)
  const a2 = normAxis(axis2, x.ndim, op)
  if (a1 === a2) throw new ValueError(`${op}: axis1 and axis2 cannot be the same (both ${a1})`)
  const t = moveaxis(x, [a1, a2], [-2, -1])
  const [n, m] = t.shape.slice(-2)
  const len = diagLength(n, m, k)
  const batch = t.shape.slice(0, -2)
  const flat = reshape(t, [...batch, n * m])
  // Element i of the diagonal sits at row r = i + max(−k, 0), column r + k.
  const pos = Array.from({ length: len }, (_, i) => (i + Math.max(-k, 0)) * m + i + Math.max(-k, 0) + k)
  if (len === 0) return laxSlice(flat, flat.shape.map(() => 0), [...batch, 0])
  return take(flat, int32s(pos), -1)
}

/** Σ of the diagonal `offset` over `axis1`, `axis2` (default the first two axes). */
export const trace = (a: ArrayLike, offset = 0, axis1 = 0, axis2 = 1, opts: DTypeOpts = {}): Tracer =>
  sum(diagonal(a, offset, axis1, axis2), -1, opts.dtype === undefined ? {} : { dtype: opts.dtype })

/**
 * For 1-D `v`: the square matrix with v on diagonal `k`; for 2-D `v`: its diagonal `k`
 * (np.diag).
 */
export const diag = (v: ArrayLike, k = 0): Tracer => {
  const op = 'diag'
  const x = asArray(v, op)
  checkInt(k, 'k', op)
  if (x.ndim === 2) return diagonal(x, k)
  if (x.ndim !== 1) throw new ValueError(`${op}: input must be 1-D or 2-D, got ${avalStr(x.aval)}`)
  const len = x.shape[0]
  const n = len + Math.abs(k)
  const rows = iota('int32', [n, n], 0)
  const cols = iota('int32', [n, n], 1)
  const on = bin.eq(bin.sub(cols, rows), scalar(k, 'int32'))
  if (len === 0) return broadcastInDim(scalar(0, x.dtype), [n, n], [])
  const at = bin.min(k >= 0 ? rows : cols, scalar(len - 1, 'int32'))
  return where(on, take(x, at), scalar(0, x.dtype, true))
}

/** The n×m mask (bool) of the elements on and below diagonal k: j ≤ i + k. */
const lowerMask = (n: number, m: number, k: number): Tracer =>
  bin.le(iota('int32', [n, m], 1), bin.add(iota('int32', [n, m], 0), scalar(Math.max(-n - 1, Math.min(m + 1, k)), 'int32')))

export interface TriOpts extends DTypeOpts {
  /** the diagonal: 0 main (default), > 0 above, < 0 below */
  readonly k?: number
}

/** The n×m matrix with ones on and below diagonal k (default float64). */
export const tri = (n: number, m?: number, opts: TriOpts = {}): Tracer => {
  const op = 'tri'
  const cols = m ?? n
  checkShape([n, cols], op)
  const k = opts.k ?? 0
  checkInt(k, 'k', op)
  const mask = lowerMask(n, cols, k)
  const dtype = opts.dtype ?? 'float64'
  return dtype === 'bool' ? mask : convertElementType(mask, dtype)
}

const triangle = (op: string, lower: boolean) => (a: ArrayLike, k = 0): Tracer => {
  const x = asArray(a, op)
  checkInt(k, 'k', op)
  if (x.ndim < 2) throw new ValueError(`${op}: needs at least 2 axes (it works on the last two), got ${avalStr(x.aval)}`)
  const [n, m] = x.shape.slice(-2)
  // triu(x, k) keeps j ≥ i + k: the complement of j ≤ i + k − 1.
  const lowerK = lowerMask(n, m, lower ? k : k - 1)
  const keep = lower ? lowerK : bin.eq(lowerK, scalar(false))
  const mask = broadcastInDim(keep, x.shape, [x.ndim - 2, x.ndim - 1])
  return where(mask, x, zerosLike(x))
}
/** The lower triangle (on and below diagonal k) of the last two axes; zeros above. */
export const tril = triangle('tril', true)
/** The upper triangle (on and above diagonal k) of the last two axes; zeros below. */
export const triu = triangle('triu', false)

const triIndices = (op: string, lower: boolean) => (n: number, k = 0, m?: number): [rows: Tracer, cols: Tracer] => {
  const cols = m ?? n
  checkShape([n, cols], op)
  checkInt(k, 'k', op)
  const r: number[] = []
  const c: number[] = []
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < cols; j++) {
      if (lower ? j <= i + k : j >= i + k) {
        r.push(i)
        c.push(j)
      }
    }
  }
  return [int32s(r), int32s(c)]
}
/** Row and column positions (int32, row-major order) of the lower triangle of an n×m matrix. */
export const trilIndices = triIndices('trilIndices', true)
/** Row and column positions (int32, row-major order) of the upper triangle of an n×m matrix. */
export const triuIndices = triIndices('triuIndices', false)

/** The Kronecker product: blocks a[i…]·b, shape a.shape · b.shape (the shorter is padded with 1s in front). */
export const kron = (a: ArrayLike, b: ArrayLike): Tracer => {
  const op = 'kron'
  const [x, y] = promoteArgs(op, a, b)
  const nd = Math.max(x.ndim, y.ndim)
  const xs = reshape(x, [...Array(nd - x.ndim).fill(1), ...x.shape])
  const ys = reshape(y, [...Array(nd - y.ndim).fill(1), ...y.shape])
  const inter = xs.shape.flatMap((d, i) => [d, ys.shape[i]])
  const xb = broadcastInDim(xs, inter, xs.shape.map((_, i) => 2 * i))
  const yb = broadcastInDim(ys, inter, ys.shape.map((_, i) => 2 * i + 1))
  return reshape(multiply(xb, yb), xs.shape.map((d, i) => d * ys.shape[i]))
}

/** Σ a·b over the flattened arrays (real arrays: no conjugation needed). */
export const vdot = (a: ArrayLike, b: ArrayLike): Tracer => {
  const op = 'vdot'
  const x = ravel(asArray(a, op))
  const y = ravel(asArray(b, op))
  if (x.shape[0] !== y.shape[0]) throw new ShapeError(`${op}: arrays of ${x.shape[0]} and ${y.shape[0]} elements`)
  return dot(x, y)
}

export interface CrossOpts {
  /** the vector axis of a, of b and of the result (default last) */
  readonly axisa?: number
  readonly axisb?: number
  readonly axisc?: number
  /** sets all three */
  readonly axis?: number
}

/**
 * The cross product of 3-vectors (or 2-vectors, taken with z = 0) along the vector axes,
 * broadcasting the others. Two 2-vectors give the z component alone (a scalar per pair).
 */
export const cross = (a: ArrayLike, b: ArrayLike, opts: CrossOpts = {}): Tracer => {
  const op = 'cross'
  let [x, y] = promoteArgs(op, a, b)
  if (x.ndim === 0 || y.ndim === 0) throw new ValueError(`${op}: inputs must have a vector axis, got ${avalStr(x.aval)} and ${avalStr(y.aval)}`)
  x = moveaxis(x, normAxis(opts.axis ?? opts.axisa ?? -1, x.ndim, op), -1)
  y = moveaxis(y, normAxis(opts.axis ?? opts.axisb ?? -1, y.ndim, op), -1)
  const [p, q] = [x.shape[x.ndim - 1], y.shape[y.ndim - 1]]
  if (![2, 3].includes(p) || ![2, 3].includes(q)) {
    throw new ValueError(`${op}: incompatible dimensions for cross product (dimension must be 2 or 3), got ${p} and ${q}`)
  }
  const comp = (t: Tracer, i: number): Tracer | null => (i < t.shape[t.ndim - 1] ? take(t, scalar(i, 'int32'), -1) : null)
  const [a0, a1, a2] = [0, 1, 2].map((i) => comp(x, i))
  const [b0, b1, b2] = [0, 1, 2].map((i) => comp(y, i))
  const mulOr0 = (u: Tracer | null, v: Tracer | null): Tracer | null => (u === null || v === null ? null : multiply(u, v))
  const diff2 = (u: Tracer | null, v: Tracer | null, like: Tracer): Tracer =>
    u === null ? (v === null ? multiply(like, 0) : subtract(0, v)) : v === null ? u : subtract(u, v)
  const cz = subtract(multiply(a0!, b1!), multiply(a1!, b0!))
  if (p === 2 && q === 2) return cz
  const cx = diff2(mulOr0(a1, b2), mulOr0(a2, b1), cz)
  const cy = diff2(mulOr0(a2, b0), mulOr0(a0, b2), cz)
  const shape = broadcastShapes(op, cx.shape, cy.shape, cz.shape)
  const parts = [cx, cy, cz].map((t) => expandDims(broadcastInDim(t, shape, shape.slice(shape.length - t.ndim).map((_, i) => shape.length - t.ndim + i)), -1))
  const c = concatenate(parts, -1)
  return moveaxis(c, -1, normAxis(opts.axis ?? opts.axisc ?? -1, c.ndim, op))
}

export interface MeshgridOpts {
  /** 'xy' (default, Cartesian: the first two output axes swapped) or 'ij' (matrix) */
  readonly indexing?: 'xy' | 'ij'
  /** broadcastable arrays with size-1 axes instead of full grids */
  readonly sparse?: boolean
}

/** Coordinate grids from 1-D coordinate vectors (np.meshgrid). */
export const meshgrid = (xs: readonly ArrayLike[], opts: MeshgridOpts = {}): Tracer[] => {
  const op = 'meshgrid'
  const indexing = opts.indexing ?? 'xy'
  if (indexing !== 'xy' && indexing !== 'ij') throw new ValueError(`${op}: indexing must be 'xy' or 'ij', got ${String(indexing)}`)
  const vs = xs.map((x) => ravel(asArray(x, op)))
  const n = vs.length
  // axis of input i in the output: i, except that 'xy' swaps inputs 0 and 1.
  const axisOf = (i: number): number => (indexing === 'xy' && n >= 2 && i < 2 ? 1 - i : i)
  const shape = Array<number>(n)
  vs.forEach((v, i) => (shape[axisOf(i)] = v.shape[0]))
  return vs.map((v, i) => {
    const ax = axisOf(i)
    if (opts.sparse) return reshape(v, shape.map((d, j) => (j === ax ? d : 1)))
    return broadcastInDim(v, shape, [ax])
  })
}

/** Nested lists of arrays for `block`: the innermost lists are joined along the last axis. */
export type BlockList = ArrayLike | readonly BlockList[]

/**
 * An array assembled from nested lists of blocks (np.block): at list depth d, the innermost
 * lists are concatenated along axis −1, the next along −2, …; blocks get leading 1s up to
 * the result rank max(d, rank of any block).
 */
export const block = (arrays: BlockList): Tracer => {
  const op = 'block'
  const depthOf = (b: BlockList, path: string): number => {
    if (!Array.isArray(b)) return 0
    if (b.length === 0) throw new ValueError(`${op}: list at ${path || 'the top level'} is empty`)
    const ds = (b as readonly BlockList[]).map((e, i) => depthOf(e, `${path}[${i}]`))
    if (ds.some((d) => d !== ds[0])) throw new ValueError(`${op}: list depths are mismatched at ${path || 'the top level'} (depths ${ds.join(', ')})`)
    return ds[0] + 1
  }
  const depth = depthOf(arrays, '')
  const leaves: Tracer[] = []
  const collect = (b: BlockList): void => (Array.isArray(b) ? (b as readonly BlockList[]).forEach(collect) : void leaves.push(asArray(b as ArrayLike, op)))
  collect(arrays)
  const promoted = promoteArgs(op, ...leaves)
  const nd = Math.max(depth, ...promoted.map((t) => t.ndim))
  let k = 0
  const build = (b: BlockList, level: number): Tracer => {
    if (!Array.isArray(b)) {
      const t = promoted[k++]
      return t.ndim === nd ? t : reshape(t, [...Array(nd - t.ndim).fill(1), ...t.shape])
    }
    const parts = (b as readonly BlockList[]).map((e) => build(e, level + 1))
    const ax = nd - (depth - level)
    try {
      return concatenate(parts, ax)
    } catch (e) {
      throw new ShapeError(`${op}: blocks at depth ${level} do not fit along axis ${ax - nd}: shapes ${parts.map((p) => shapeStr(p.shape)).join(' ')}`)
    }
  }
  return build(arrays, 0)
}

/** 1-D arrays as columns, 2-D arrays as they are, joined along axis 1. */
export const columnStack = (xs: readonly ArrayLike[]): Tracer => {
  const op = 'columnStack'
  if (xs.length === 0) throw new ValueError(`${op}: need at least one array`)
  const cols = xs.map((x) => {
    const t = atleast1d(asArray(x, op))
    return t.ndim === 1 ? reshape(t, [t.shape[0], 1]) : t
  })
  return concatenate(cols, 1)
}
