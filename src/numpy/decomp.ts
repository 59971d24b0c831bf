/**
 * NumPy layer: the decomposition half of `np.linalg` — eigh, eigvalsh, svd, svdvals, qr,
 * lstsq, pinv, matrixPower, matrixRank, cond, multiDot. Built on the eigh / svd / qr primitives
 * (src/primitives/decomp.ts) and the rest of `np`, so everything differentiates (to any order)
 * and batches; matrices are the last two axes, leading axes are batch axes (lstsq: 2-D `a`, as
 * jax.numpy). Integer and bool inputs are converted to float64.
 */
import { ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { add, div, gt, ge, mul, sub } from '../primitives/binary'
import { eigh as laxEigh, qr as laxQr, singularValues, svd as laxSvd } from '../primitives/decomp'
import { mT } from '../primitives/linalg'
import { reduceSum } from '../primitives/reduce'
import { broadcastInDim, convertElementType, reshape } from '../primitives/shape'
import { slice } from '../primitives/slicing'
import { customJvp } from '../transforms/custom'
import { matmul } from './contract'
import { eye, zeros } from './creation'
import { isnan, logicalAnd, logicalNot, where } from './elementwise'
import { inv, norm, type NormOrd } from './linalg'
import { type ArrayLike, promoteArgs, toFloat } from './promote'
import { any } from './reductions'

// ---- helpers -----------------------------------------------------------------------------

const matrices = (x: Tracer, op: string): [number, number] => {
  if (x.ndim < 2) throw new ShapeError(`${op}: expected matrices in the last two axes, got ${avalStr(x.aval)}; leading axes are batch axes`)
  return [x.shape[x.ndim - 2], x.shape[x.ndim - 1]]
}

const square = (x: Tracer, op: string): number => {
  const [m, n] = matrices(x, op)
  if (m !== n) throw new ShapeError(`${op}: expected square matrices in the last two axes, got ${avalStr(x.aval)}`)
  return n
}

/** Entries [lo, hi) of the last axis. */
const lastSlice = (x: Tracer, lo: number, hi: number): Tracer =>
  slice(x, [...x.shape.slice(0, -1).map(() => 0), lo], [...x.shape.slice(0, -1), hi])

/** Entry i of the last axis, that axis dropped. */
const lastAt = (x: Tracer, i: number): Tracer => reshape(lastSlice(x, i, i + 1), x.shape.slice(0, -1))

/** s₀ (the largest singular value) of each vector of s [..., k], spread over [..., k]. */
const firstSpread = (s: Tracer): Tracer => broadcastInDim(lastAt(s, 0), s.shape, s.shape.slice(0, -1).map((_, i) => i))

/** Machine epsilon of x's float dtype. */
const eps = (x: Tracer): number => (x.dtype === 'float32' ? 2 ** -23 : 2 ** -52)

// ---- eigh, eigvalsh ----------------------------------------------------------------------

export type UPLO = 'L' | 'U'
export interface EighOpts {
  /** Replace a by (a + aᵀ)/2 first (default true, as jax.numpy): then both triangles are read
   *  and the derivative is the symmetric one. */
  readonly symmetrizeInput?: boolean
}

const lowerOf = (UPLO: unknown, op: string): boolean => {
  if (UPLO === null || UPLO === undefined || UPLO === 'L') return true
  if (UPLO === 'U') return false
  throw new ValueError(`${op}: UPLO must be 'L', 'U' or null, got ${typeof UPLO === 'string' ? JSON.stringify(UPLO) : String(UPLO)}`)
}

/**
 * [eigenvalues, eigenvectors] of symmetric matrices `a` [..., n, n]: eigenvalues ascending
 * [..., n], eigenvectors the columns of [..., n, n], a = V·diag(w)·Vᵀ. With
 * `symmetrizeInput: false`, only the triangle UPLO ('L' default, or 'U') is read.
 * Each eigenvector's sign is fixed (its entry of largest magnitude is positive). Derivatives:
 * see docs/sharp-edges.md (eigenvectors are not differentiable at repeated eigenvalues).
 */
export const eigh = (a: ArrayLike, UPLO: UPLO | null = null, opts: EighOpts = {}): [eigenvalues: Tracer, eigenvectors: Tracer] => {
  const op = 'eigh'
  let x = toFloat(a, op)
  square(x, op)
  const lower = lowerOf(UPLO, op)
  if (opts.symmetrizeInput ?? true) x = mul(add(x, mT(x)), 0.5)
  const [v, w] = laxEigh(x, { lower })
  return [w, v]
}

/** The eigenvalues (ascending) of symmetric matrices `a` [..., n, n]; see `eigh`. */
export const eigvalsh = (a: ArrayLike, UPLO: UPLO | null = 'L', opts: EighOpts = {}): Tracer => eigh(a, UPLO, opts)[0]

// ---- svd, svdvals ------------------------------------------------------------------------

export interface SvdOpts {
  /** u [..., m, m] and vh [..., n, n] (default true, as NumPy), else [..., m, k], [..., k, n]. */
  readonly fullMatrices?: boolean
  /** Return [u, s, vh] (default true), else s alone. */
  readonly computeUv?: boolean
}

/**
 * Singular value decomposition a = u·diag(s)·vh of each matrix of `a` [..., m, n], s
 * descending, as `numpy.linalg.svd`: returns [u, s, vh], or s alone with `computeUv: false`.
 * Each pair (uᵢ, vhᵢ) is signed so that uᵢ's entry of largest magnitude is positive.
 * Differentiable with `fullMatrices: false` (or square a); s always.
 */
export function svd(a: ArrayLike, opts: SvdOpts & { readonly computeUv: false }): Tracer
export function svd(a: ArrayLike, opts?: SvdOpts & { readonly computeUv?: true }): [u: Tracer, s: Tracer, vh: Tracer]
export function svd(a: ArrayLike, opts?: SvdOpts): [u: Tracer, s: Tracer, vh: Tracer] | Tracer
export function svd(a: ArrayLike, opts: SvdOpts = {}): [u: Tracer, s: Tracer, vh: Tracer] | Tracer {
  const x = toFloat(a, 'svd')
  matrices(x, 'svd')
  if (opts.computeUv === false) return singularValues(x)
  const [s, u, vt] = laxSvd(x, { fullMatrices: opts.fullMatrices ?? true })
  return [u, s, vt]
}

/** The singular values of each matrix of `x` [..., m, n], descending [..., min(m, n)]. */
export const svdvals = (x: ArrayLike): Tracer => {
  const t = toFloat(x, 'svdvals')
  matrices(t, 'svdvals')
  return singularValues(t)
}

// ---- qr ----------------------------------------------------------------------------------

export type QrMode = 'reduced' | 'complete' | 'r'

/**
 * QR decomposition a = q·r of each matrix of `a` [..., m, n], k = min(m, n):
 *   'reduced' (default) [q, r], q [..., m, k], r [..., k, n];
 *   'complete'          [q, r], q [..., m, m], r [..., m, n];
 *   'r'                 r alone, [..., k, n].
 * r's diagonal is non-negative, which makes the factorization of a full-rank matrix unique
 * (LAPACK, and so NumPy and JAX, may return −q, −r rows instead). Differentiable for full-rank
 * inputs in modes 'reduced' and 'r' (and 'complete' when m ≤ n).
 */
export function qr(a: ArrayLike, mode: 'r'): Tracer
export function qr(a: ArrayLike, mode?: 'reduced' | 'complete'): [q: Tracer, r: Tracer]
export function qr(a: ArrayLike, mode?: QrMode): [q: Tracer, r: Tracer] | Tracer
export function qr(a: ArrayLike, mode: QrMode = 'reduced'): [q: Tracer, r: Tracer] | Tracer {
  const op = 'qr'
  if (mode !== 'reduced' && mode !== 'complete' && mode !== 'r') {
    throw new ValueError(`${op}: mode must be 'reduced', 'complete' or 'r', got ${typeof mode === 'string' ? JSON.stringify(mode) : String(mode)}`)
  }
  const x = toFloat(a, op)
  matrices(x, op)
  const [q, r] = laxQr(x, { fullMatrices: mode === 'complete' })
  return mode === 'r' ? r : [q, r]
}

// ---- lstsq -------------------------------------------------------------------------------

/**
 * Least-squares solution of a·x = b, as jax.numpy.linalg.lstsq: returns
 * [x, residuals, rank, s]. `a` is [m, n]; `b` is [m] or [m, k]. Singular values below
 * rcond·s₀ (rcond default ε·max(m, n); a negative rcond means ε) are treated as zero, so x is
 * the minimum-norm solution. residuals are the squared 2-norms of the columns of b − a·x (as
 * JAX, always computed), rank is an int32 scalar, s the singular values of a.
 */
export const lstsq = (a: ArrayLike, b: ArrayLike, rcond: number | null = null): [x: Tracer, residuals: Tracer, rank: Tracer, s: Tracer] => {
  const op = 'lstsq'
  const [A, B0] = promoteArgs(op, toFloat(a, op), toFloat(b, op))
  if (A.ndim !== 2) throw new ShapeError(`${op}: a must be 2-D [m, n], got ${avalStr(A.aval)} (batch with vmap)`)
  if (B0.ndim !== 1 && B0.ndim !== 2) throw new ShapeError(`${op}: b must be 1-D [m] or 2-D [m, k], got ${avalStr(B0.aval)}`)
  const [m, n] = A.shape
  if (B0.shape[0] !== m) throw new ShapeError(`${op}: the leading axes of a ${avalStr(A.aval)} and b ${avalStr(B0.aval)} must match`)
  if (rcond !== null && (typeof rcond !== 'number' || Number.isNaN(rcond))) throw new ValueError(`${op}: rcond must be a number or null, got ${String(rcond)}`)
  const B = B0.ndim === 1 ? reshape(B0, [m, 1]) : B0
  const k = B.shape[1]
  let x: Tracer
  let rank: Tracer
  let s: Tracer
  if (m === 0 || n === 0) {
    s = zeros([0], { dtype: A.dtype })
    rank = zeros([], { dtype: 'int32' })
    x = zeros([n, k], { dtype: A.dtype })
  } else {
    const cut = rcond === null ? eps(A) * Math.max(m, n) : rcond < 0 ? eps(A) : rcond
    const [sv, u, vt] = laxSvd(A)
    s = sv
    // keep s_i > 0 with s_i ≥ rcond·s₀
    const keep = logicalAnd(gt(s, 0), ge(s, mul(firstSpread(s), cut)))
    rank = reduceSum(convertElementType(keep, 'int32'), [0])
    const sInv = where(keep, div(1, where(keep, s, 1)), 0)
    const utb = matmul(mT(u), B)
    x = matmul(mT(vt), mul(broadcastInDim(sInv, utb.shape, [0]), utb))
  }
  const r = sub(B, matmul(A, x))
  const resid = reduceSum(mul(r, r), [0])
  return [B0.ndim === 1 ? reshape(x, [n]) : x, resid, rank, s]
}

// ---- pinv --------------------------------------------------------------------------------

export interface PinvOpts {
  /** Singular values at or below rtol·s₀ count as zero (default 10·max(m, n)·ε). */
  readonly rtol?: number | null
}

/** V·diag(1/s)·Uᵀ over the singular values above the cutoff. */
const pinvValue = (x: Tracer, rtol: number): Tracer => {
  const [s, u, vt] = laxSvd(x)
  const cutoff = mul(firstSpread(s), rtol)
  const big = gt(s, cutoff)
  const sInv = where(big, div(1, where(big, s, 1)), 0)
  const ut = mT(u) // [..., k, m]
  return matmul(mT(vt), mul(broadcastInDim(sInv, ut.shape, [...Array(ut.ndim - 1).keys()]), ut))
}

/**
 * The Moore–Penrose pseudo-inverse of each matrix of `a` [..., m, n] → [..., n, m], from the
 * SVD with singular values at or below rtol·s₀ dropped. Its derivative (as jax.numpy) is the
 * Golub–Pereyra formula for a fixed rank:
 *   dp = −p·da·p + p·pᵀ·daᵀ·(I − a·p) + (I − p·a)·daᵀ·pᵀ·p.
 */
export const pinv = (a: ArrayLike, opts: PinvOpts = {}): Tracer => {
  const op = 'pinv'
  const x = toFloat(a, op)
  const [m, n] = matrices(x, op)
  const rtol = opts.rtol ?? 10 * Math.max(m, n) * eps(x)
  if (typeof rtol !== 'number' || Number.isNaN(rtol)) throw new ValueError(`${op}: rtol must be a number, got ${String(rtol)}`)
  if (m === 0 || n === 0) return zeros([...x.shape.slice(0, -2), n, m], { dtype: x.dtype })
  const f = customJvp(
    (y: Tracer) => pinvValue(y, rtol),
    ([y]: Tracer[], [dy]: Tracer[]): [Tracer, Tracer] => {
      const p = pinvValue(y, rtol)
      const pT = mT(p)
      const dyT = mT(dy)
      const s = matmul(matmul(p, pT), dyT) // n×m
      const t = matmul(matmul(dyT, pT), p) // n×m
      const dp = add(sub(add(sub(t, matmul(matmul(p, y), t)), s), matmul(matmul(s, y), p)), mul(matmul(matmul(p, dy), p), -1))
      return [p, dp]
    },
  )
  return f(x)
}

// ---- matrixPower, matrixRank, cond -------------------------------------------------------

/**
 * aⁿ for square matrices `a` [..., n, n] and an integer n (negative: powers of inv(a); 0: the
 * identity), by repeated squaring.
 */
export const matrixPower = (a: ArrayLike, n: number): Tracer => {
  const op = 'matrixPower'
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new ValueError(`${op}: the exponent must be an integer, got ${String(n)}`)
  const x0 = toFloat(a, op)
  const size = square(x0, op)
  if (n === 0) return broadcastInDim(eye(size, size, { dtype: x0.dtype }), x0.shape, [x0.ndim - 2, x0.ndim - 1])
  let base = n < 0 ? inv(x0) : x0
  let e = Math.abs(n)
  let result: Tracer | null = null
  while (e > 0) {
    if (e % 2 === 1) result = result === null ? base : matmul(result, base)
    e = Math.floor(e / 2)
    if (e > 0) base = matmul(base, base)
  }
  return result as Tracer
}

export interface MatrixRankOpts {
  /** Absolute threshold: singular values above it count. */
  readonly tol?: number
  /** Relative threshold: singular values above rtol·s₀ count (default max(m, n)·ε). */
  readonly rtol?: number
}

/**
 * The rank of each matrix of `a` [..., m, n] (int32 [...]): the number of singular values
 * above the threshold, by default s₀·max(m, n)·ε; `tol` sets an absolute threshold, `rtol` a
 * relative one (as NumPy ≥ 2; jax.numpy treats its `rtol` as absolute). A 0-d or 1-D `a` has
 * rank 1 unless all its entries are zero.
 */
export const matrixRank = (a: ArrayLike, opts: MatrixRankOpts = {}): Tracer => {
  const op = 'matrixRank'
  const x = toFloat(a, op)
  if (opts.tol !== undefined && opts.rtol !== undefined) throw new ValueError(`${op}: give tol (absolute) or rtol (relative), not both`)
  for (const k of ['tol', 'rtol'] as const) {
    const v = opts[k]
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new ValueError(`${op}: ${k} must be a number, got ${String(v)}`)
  }
  if (x.ndim < 2) return convertElementType(any(x.ne(0)), 'int32')
  const [m, n] = x.shape.slice(-2)
  const s = singularValues(x)
  if (s.shape[s.ndim - 1] === 0) return zeros(s.shape.slice(0, -1), { dtype: 'int32' })
  const threshold = opts.tol !== undefined ? opts.tol : mul(firstSpread(s), opts.rtol ?? Math.max(m, n) * eps(x))
  return reduceSum(convertElementType(gt(s, threshold), 'int32'), [s.ndim - 1])
}

/**
 * The condition number of each matrix of `x` [..., m, n] in the norm `p`, as jax.numpy:
 *   null or 2: s_max / s_min;  −2: s_min / s_max (both from the singular values, any m, n);
 *   'fro', 'nuc', ±1, ±Infinity: norm(x, p)·norm(inv(x), p) (square x), with NaN turned into
 *   Infinity when x itself has no NaN (a singular matrix).
 */
export const cond = (x: ArrayLike, p: NormOrd = null): Tracer => {
  const op = 'cond'
  const t = toFloat(x, op)
  const [m, n] = matrices(t, op)
  if (m === 0 || n === 0) throw new ShapeError(`${op}: the matrices must not be empty, got ${avalStr(t.aval)}`)
  let r: Tracer
  if (p === null || p === 2 || p === -2) {
    const s = singularValues(t)
    const first = lastAt(s, 0)
    const last = lastAt(s, s.shape[s.ndim - 1] - 1)
    if (p !== -2) return div(first, last)
    r = div(last, first)
  } else {
    if (m !== n) throw new ShapeError(`${op}: p=${String(p)} needs square matrices, got ${avalStr(t.aval)}`)
    r = mul(norm(t, p, [-2, -1]), norm(inv(t), p, [-2, -1]))
  }
  const xNan = any(isnan(t), [t.ndim - 2, t.ndim - 1])
  return where(logicalAnd(isnan(r), logicalNot(xNan)), Infinity, r)
}

// ---- multiDot ----------------------------------------------------------------------------

/**
 * The product of a chain of matrices, multiplied in the cheapest order (the classic
 * matrix-chain dynamic program over the flop counts), as `numpy.linalg.multi_dot`: the first
 * array may be 1-D (a row vector) and the last one 1-D (a column vector); the others are 2-D.
 */
export const multiDot = (arrays: readonly ArrayLike[]): Tracer => {
  const op = 'multiDot'
  if (!Array.isArray(arrays) || arrays.length < 2) throw new ValueError(`${op}: expected a list of at least two arrays, got ${Array.isArray(arrays) ? `${arrays.length}` : String(arrays)}`)
  const xs = promoteArgs(op, ...arrays.map((a) => toFloat(a, op)))
  const last = xs.length - 1
  const firstVec = xs[0].ndim === 1
  const lastVec = xs[last].ndim === 1
  const ms = xs.map((x, i) => {
    if (x.ndim === 1 && (i === 0 || i === last)) return i === 0 ? reshape(x, [1, x.shape[0]]) : reshape(x, [x.shape[0], 1])
    if (x.ndim !== 2) throw new ShapeError(`${op}: array ${i} must be 2-D (only the first and the last may be 1-D), got ${avalStr(x.aval)}`)
    return x
  })
  for (let i = 0; i < last; i++) {
    if (ms[i].shape[1] !== ms[i + 1].shape[0]) throw new ShapeError(`${op}: arrays ${i} ${avalStr(xs[i].aval)} and ${i + 1} ${avalStr(xs[i + 1].aval)} do not chain`)
  }
  // dims[i] × dims[i + 1] is the shape of matrix i; cost[i][j] the cheapest product of i…j
  const dims = [...ms.map((x) => x.shape[0]), ms[last].shape[1]]
  const k = ms.length
  const cost = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  const split = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (let len = 1; len < k; len++) {
    for (let i = 0; i + len < k; i++) {
      const j = i + len
      cost[i][j] = Infinity
      for (let s = i; s < j; s++) {
        const c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
        if (c < cost[i][j]) [cost[i][j], split[i][j]] = [c, s]
      }
    }
  }
  const product = (i: number, j: number): Tracer => (i === j ? ms[i] : matmul(product(i, split[i][j]), product(split[i][j] + 1, j)))
  const out = product(0, last)
  const shape = [...(firstVec ? [] : [out.shape[0]]), ...(lastVec ? [] : [out.shape[1]])]
  return firstVec || lastVec ? reshape(out, shape) : out
}

