/**
 * Primitives layer: matrix decompositions on the last two axes (leading axes are batch axes),
 * as jax.lax.linalg —
 *   eigh  [v, w]      symmetric eigendecomposition a = v·diag(w)·vᵀ, w ascending; only the
 *                     lower (or upper) triangle of a is read
 *   svd   [s, u, vt]  a = u·diag(s)·vt, s descending (just [s] without computeUv)
 *   qr    [q, r]      a = q·r, q with orthonormal columns, r upper triangular, diag(r) ≥ 0
 * Impls run the float64 algorithms of decomp_kernels.ts on each matrix (float32 rounds at the
 * store); in jit they run as opaque host steps, like cholesky and lu. The gauge is fixed (see
 * decomp_kernels.ts), so every output is a continuous function of a where the spectrum is
 * simple. The jvp rules are the classical perturbation formulas, written in primitives, so
 * they differentiate again and transpose through reverse mode.
 */
import type { ConcreteArray } from '../core/array'
import { DTypeError, NonDifferentiableError, ShapeError, ValueError } from '../core/errors'
import { type RuleTable, Zero, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import type { ParamsMap } from '../ir/params'
import { type Shape, type ShapedArray, avalStr, shaped, sizeOf } from '../ir/aval'
import { allocate, isFloat } from '../ir/dtypes'
import { add, div, mul, sub } from './binary'
import { jacobiSvd, householderQr, symmetricEigen } from './decomp_kernels'
import { eyeLike, matmul, mT, squareFloat, triangularSolve, tril, triu } from './linalg'
import { reduceSum } from './reduce'
import { broadcastInDim } from './shape'
import { concatenate, slice } from './slicing'
import { makeArray, moveAxis } from './util'

type EighParams = ParamsMap['eigh']
type SvdParams = ParamsMap['svd']
type QrParams = ParamsMap['qr']

// ---- wrappers ----------------------------------------------------------------------------

/** [v, w]: eigenvectors (columns of v) and ascending eigenvalues of symmetric matrices, read
 *  from the lower triangle (`lower`, default) or the upper one. */
export const eigh = (a: Tracer, opts: { readonly lower?: boolean } = {}): [v: Tracer, w: Tracer] => {
  const [v, w] = bind('eigh', [a], { lower: opts.lower ?? true })
  return [v, w]
}

/** [s, u, vt] with a = u·diag(s)·vt (s descending); u is m×m and vt n×n with `fullMatrices`,
 *  else m×k and k×n (k = min(m, n)). */
export const svd = (a: Tracer, opts: { readonly fullMatrices?: boolean } = {}): [s: Tracer, u: Tracer, vt: Tracer] => {
  const [s, u, vt] = bind('svd', [a], { fullMatrices: opts.fullMatrices ?? false, computeUv: true })
  return [s, u, vt]
}

/** The singular values of each matrix, descending. */
export const singularValues = (a: Tracer): Tracer => bind('svd', [a], { fullMatrices: false, computeUv: false })[0]

/** [q, r] with a = q·r, diag(r) ≥ 0; q is m×m and r m×n with `fullMatrices`, else m×k, k×n. */
export const qr = (a: Tracer, opts: { readonly fullMatrices?: boolean } = {}): [q: Tracer, r: Tracer] => {
  const [q, r] = bind('qr', [a], { fullMatrices: opts.fullMatrices ?? false })
  return [q, r]
}

// ---- abstract eval -----------------------------------------------------------------------

const checkBools = (p: Readonly<Record<string, unknown>>, keys: readonly string[], op: string): void => {
  for (const k of keys) if (typeof p[k] !== 'boolean') throw new ValueError(`${op}: param ${k} must be a boolean, got ${String(p[k])}`)
}

/** A float stack of (possibly rectangular) matrices: returns [m, n]. */
const matrixFloat = (a: ShapedArray, op: string): [number, number] => {
  const r = a.shape.length
  if (r < 2) throw new ShapeError(`${op} needs matrices in the last two axes, got ${avalStr(a)}; leading axes are batch axes`)
  if (!isFloat(a.dtype)) throw new DTypeError(`${op} needs a float array, got ${avalStr(a)}. Convert first: x.astype('float64').`)
  return [a.shape[r - 2], a.shape[r - 1]]
}

const eighAvals = (a: ShapedArray, p: EighParams): ShapedArray[] => {
  checkBools(p, ['lower'], 'eigh')
  const n = squareFloat(a, 'eigh')
  return [shaped(a.shape, a.dtype, a.weakType), shaped([...a.shape.slice(0, -2), n], a.dtype, a.weakType)]
}

const svdAvals = (a: ShapedArray, p: SvdParams): ShapedArray[] => {
  checkBools(p, ['fullMatrices', 'computeUv'], 'svd')
  const [m, n] = matrixFloat(a, 'svd')
  const b = a.shape.slice(0, -2)
  const k = Math.min(m, n)
  const s = shaped([...b, k], a.dtype, a.weakType)
  if (!p.computeUv) return [s]
  const [uc, vr] = p.fullMatrices ? [m, n] : [k, k]
  return [s, shaped([...b, m, uc], a.dtype, a.weakType), shaped([...b, vr, n], a.dtype, a.weakType)]
}

const qrAvals = (a: ShapedArray, p: QrParams): ShapedArray[] => {
  checkBools(p, ['fullMatrices'], 'qr')
  const [m, n] = matrixFloat(a, 'qr')
  const b = a.shape.slice(0, -2)
  const qc = p.fullMatrices ? m : Math.min(m, n)
  return [shaped([...b, m, qc], a.dtype, a.weakType), shaped([...b, qc, n], a.dtype, a.weakType)]
}

// ---- impl --------------------------------------------------------------------------------

/** Run `kernel` on each m×n matrix of x (as float64) and store its outputs into `outs`. */
const perMatrix = (x: ConcreteArray, outs: readonly ShapedArray[], kernel: (a: Float64Array) => readonly Float64Array[]): ConcreteArray[] => {
  const [m, n] = x.shape.slice(-2)
  const count = sizeOf(x.shape.slice(0, -2))
  const dsts = outs.map((o) => allocate(o.dtype, sizeOf(o.shape)))
  const sizes = outs.map((o) => (count === 0 ? 0 : sizeOf(o.shape) / count))
  const a = new Float64Array(m * n)
  for (let q = 0; q < count; q++) {
    for (let i = 0; i < m * n; i++) a[i] = x.data[q * m * n + i]
    kernel(a).forEach((r, k) => dsts[k].set(r, q * sizes[k]))
  }
  return dsts.map((d, k) => makeArray(d, outs[k]))
}

/** The symmetric matrix whose lower (or upper) triangle is that of `a` (in place). */
const fillFromTriangle = (a: Float64Array, n: number, lower: boolean): Float64Array => {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (lower) a[i * n + j] = a[j * n + i]
      else a[j * n + i] = a[i * n + j]
    }
  }
  return a
}

const eighImpl = (x: ConcreteArray, p: EighParams): ConcreteArray[] => {
  const n = x.shape[x.ndim - 1]
  return perMatrix(x, eighAvals(x.aval, p), (a) => {
    const { w, v } = symmetricEigen(fillFromTriangle(a, n, p.lower), n)
    return [v, w]
  })
}

const svdImpl = (x: ConcreteArray, p: SvdParams): ConcreteArray[] => {
  const [m, n] = x.shape.slice(-2)
  return perMatrix(x, svdAvals(x.aval, p), (a) => {
    const { s, u, vt } = jacobiSvd(a, m, n, p.fullMatrices)
    return p.computeUv ? [s, u, vt] : [s]
  })
}

const qrImpl = (x: ConcreteArray, p: QrParams): ConcreteArray[] => {
  const [m, n] = x.shape.slice(-2)
  return perMatrix(x, qrAvals(x.aval, p), (a) => {
    const { q, r } = householderQr(a, m, n, p.fullMatrices)
    return [q, r]
  })
}

// ---- helpers for the rules ---------------------------------------------------------------

/** The diagonals of a stack of square matrices: [..., k, k] → [..., k]. */
const diagOf = (x: Tracer): Tracer => reduceSum(mul(x, eyeLike(x.aval)), [x.ndim - 1])

/** A stack of vectors [..., k] spread over [..., rows, cols] along the columns (`along` =
 *  'cols': entry (i, j) is s_j) or the rows (entry (i, j) is s_i). */
const spread = (s: Tracer, shape: Shape, along: 'rows' | 'cols'): Tracer => {
  const r = shape.length
  const dims = [...Array(r - 2).keys(), along === 'cols' ? r - 1 : r - 2]
  return broadcastInDim(s, shape, dims)
}

/** 1 / (x + I) − I: the reciprocals of the off-diagonal entries of x, 0 on the diagonal
 *  (whose entries are 0 in the uses below, so no 1/0 is formed there). */
const offDiagReciprocal = (x: Tracer): Tracer => {
  const eye = eyeLike(x.aval)
  return sub(div(1, add(x, eye)), eye)
}

// ---- jvp ---------------------------------------------------------------------------------

// With a = v·diag(w)·vᵀ and M = vᵀ·da·v (da the symmetric tangent the triangle defines):
//   dw = diag(M),  dv = v·(F ∘ M),  F_ij = 1/(w_j − w_i) (i ≠ j), F_ii = 0.
// Degenerate eigenvalues make F (and dv) infinite: the eigenvectors are not differentiable
// there, while dw stays finite.
const eighJvp: RuleTable['eigh']['jvp'] = ([a], [da], p) => {
  const [v, w] = eigh(a, p)
  if (isZero(da)) return [[v, w], [new Zero(v.aval), new Zero(w.aval)]]
  const daSym = p.lower ? add(tril(da), mT(tril(da, -1))) : add(triu(da), mT(triu(da, 1)))
  const M = matmul(matmul(mT(v), daSym), v)
  const F = offDiagReciprocal(sub(spread(w, v.shape, 'cols'), spread(w, v.shape, 'rows')))
  return [[v, w], [matmul(v, mul(F, M)), diagOf(M)]]
}

// With a = u·diag(s)·vᵀ (thin) and dS = uᵀ·da·v:  ds = diag(dS);
//   du = u·(F ∘ (dS·S + S·dSᵀ)) + (I − u uᵀ)·da·v·S⁻¹          (the last term when m > n)
//   dv = v·(F ∘ (S·dS + dSᵀ·S)) + (I − v vᵀ)·daᵀ·u·S⁻¹         (the last term when n > m)
// with F_ij = 1/(s_j² − s_i²) off the diagonal, 0 on it. Repeated singular values make F
// infinite (the singular vectors are not differentiable there), zero ones the S⁻¹ terms.
const svdJvp: RuleTable['svd']['jvp'] = ([a], [da], p) => {
  const [m, n] = a.shape.slice(-2)
  if (p.computeUv && p.fullMatrices && m !== n) {
    throw new NonDifferentiableError(
      `svd: the derivative of the full-matrices SVD of a non-square matrix (${avalStr(a.aval)}) is not defined (the extra columns of u or vt are an arbitrary basis); use fullMatrices: false`,
    )
  }
  const [s, u, vt] = svd(a)
  if (isZero(da)) {
    const outs = p.computeUv ? [s, u, vt] : [s]
    return [outs, outs.map((o) => new Zero(o.aval))]
  }
  const v = mT(vt)
  const dS = matmul(matmul(mT(u), da), v)
  const ds = diagOf(dS)
  if (!p.computeUv) return [[s], [ds]]
  const sj = spread(s, dS.shape, 'cols')
  const si = spread(s, dS.shape, 'rows')
  const F = offDiagReciprocal(mul(add(sj, si), sub(sj, si)))
  const dSS = mul(dS, sj)
  const SdS = mul(si, dS)
  let du = matmul(u, mul(F, add(dSS, mT(dSS))))
  let dv = matmul(v, mul(F, add(SdS, mT(SdS))))
  if (m > n) {
    const dav = matmul(da, v)
    du = add(du, div(sub(dav, matmul(u, matmul(mT(u), dav))), spread(s, dav.shape, 'cols')))
  }
  if (n > m) {
    const datu = matmul(mT(da), u)
    dv = add(dv, div(sub(datu, matmul(v, matmul(vt, datu))), spread(s, datu.shape, 'cols')))
  }
  return [[s, u, vt], [ds, du, mT(dv)]]
}

// Thin QR a = q·r with r square (m ≥ n): with X = qᵀ·da·r⁻¹ and Ω = tril(X, −1) − tril(X, −1)ᵀ,
//   dq = q·(Ω − X) + da·r⁻¹,  dr = (X − Ω)·r
// (qᵀdq = Ω is skew and dr·r⁻¹ = X − Ω is upper triangular).
const thinQrJvp = (q: Tracer, r: Tracer, da: Tracer): [Tracer, Tracer] => {
  const daRinv = triangularSolve(r, da, { leftSide: false, lower: false, transposeA: false, unitDiagonal: false })
  const X = matmul(mT(q), daRinv)
  const low = tril(X, -1)
  const omega = sub(low, mT(low))
  return [add(matmul(q, sub(omega, X)), daRinv), matmul(sub(X, omega), r)]
}

// Wide a = [a₁ a₂] (m < n): q·[r₁ r₂] with a₁ = q·r₁ square; (dq, dr₁) from a₁, and
// dr₂ = dqᵀ·a₂ + qᵀ·da₂ (from a₂ = q·r₂).
const qrJvp: RuleTable['qr']['jvp'] = ([a], [da], p) => {
  const [m, n] = a.shape.slice(-2)
  if (p.fullMatrices && m > n) {
    throw new NonDifferentiableError(
      `qr: the derivative of the complete QR of a tall matrix (${avalStr(a.aval)}) is not defined (the extra columns of q are an arbitrary basis); use mode 'reduced' (fullMatrices: false)`,
    )
  }
  const [q, r] = qr(a, p)
  if (isZero(da)) return [[q, r], [new Zero(q.aval), new Zero(r.aval)]]
  if (m >= n) {
    const [dq, dr] = thinQrJvp(q, r, da)
    return [[q, r], [dq, dr]]
  }
  const lead = a.shape.slice(0, -2)
  const cols = (x: Tracer, lo: number, hi: number): Tracer =>
    slice(x, [...lead.map(() => 0), 0, lo], [...lead, x.shape[x.ndim - 2], hi])
  const [dq, dr1] = thinQrJvp(q, cols(r, 0, m), cols(da, 0, m))
  const dr2 = add(matmul(mT(dq), cols(a, m, n)), matmul(mT(q), cols(da, m, n)))
  return [[q, r], [dq, concatenate([dr1, dr2], a.ndim - 1)]]
}

// ---- the rules ---------------------------------------------------------------------------

const front = (x: Tracer, b: number | null): Tracer => moveAxis(x, b as number, 0)

export const decompRules: Pick<RuleTable, 'eigh' | 'svd' | 'qr'> = {
  eigh: {
    abstractEval: ([a], p) => eighAvals(a, p),
    impl: ([x], p) => eighImpl(x, p),
    jvp: eighJvp,
    batch: (_n, [x], [b], p) => [eigh(front(x, b), p), [0, 0]],
  },
  svd: {
    abstractEval: ([a], p) => svdAvals(a, p),
    impl: ([x], p) => svdImpl(x, p),
    jvp: svdJvp,
    batch: (_n, [x], [b], p) => {
      const outs = bind('svd', [front(x, b)], p)
      return [outs, outs.map(() => 0)]
    },
  },
  qr: {
    abstractEval: ([a], p) => qrAvals(a, p),
    impl: ([x], p) => qrImpl(x, p),
    jvp: qrJvp,
    batch: (_n, [x], [b], p) => [qr(front(x, b), p), [0, 0]],
  },
}
