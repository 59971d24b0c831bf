/**
 * NumPy layer: `np.linalg` — solve, inv, det, slogdet, cholesky, norm (the decompositions
 * are in decomp.ts). Matrices are the last
 * two axes; leading axes are batch axes (broadcast between operands). Built on the lu,
 * triangular_solve and cholesky primitives plus elementwise/reduction primitives, so every
 * function is differentiable (through the primitives' jvp rules) and batchable.
 * Integer and bool inputs are converted to float64.
 */
import { AxisError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, avalStr } from '../ir/aval'
import { add, eq, mul, ne, pow, rem, sub } from '../primitives/binary'
import { takeAlongAxis } from '../primitives/gather'
import { singularValues } from '../primitives/decomp'
import { cholesky as laxCholesky, lu, triangularSolve } from '../primitives/linalg'
import { reduceMax, reduceMin, reduceProd, reduceSum } from '../primitives/reduce'
import { broadcastInDim, convertElementType, iota, reshape, transpose } from '../primitives/shape'
import { abs, log, sign, sqrt } from '../primitives/unary'
import { normAxes } from '../primitives/util'
import { customJvp } from '../transforms/custom'
import { array } from './creation'
import { take } from './indexing'
import { type ArrayLike, broadcastShapes, broadcastTo, promoteArgs, toFloat } from './promote'

// ---- helpers -----------------------------------------------------------------------------

/** A float stack of square matrices (ShapeError otherwise); returns n. */
const squareSize = (a: Tracer, op: string): number => {
  if (a.ndim < 2 || a.shape[a.ndim - 1] !== a.shape[a.ndim - 2]) {
    throw new ShapeError(`${op}: expected square matrices in the last two axes, got ${avalStr(a.aval)}; leading axes are batch axes`)
  }
  return a.shape[a.ndim - 1]
}

/** The n×n identity as a boolean mask, broadcast to `shape` (whose last two axes are n×n). */
const eyeMask = (shape: Shape): Tracer => {
  const n = shape[shape.length - 1]
  const m = eq(iota('int32', [n, n], 0), iota('int32', [n, n], 1))
  return broadcastInDim(m, shape, [shape.length - 2, shape.length - 1])
}

/** The diagonals of a stack of square matrices: [..., n, n] → [..., n]. */
const diagonal = (a: Tracer): Tracer => reduceSum(mul(a, convertElementType(eyeMask(a.shape), a.dtype)), [a.ndim - 1])

/** Swap the last two axes. */
const mT = (a: Tracer): Tracer => {
  const perm = a.shape.map((_, i) => i)
  perm.splice(-2, 2, a.ndim - 1, a.ndim - 2)
  return transpose(a, perm)
}

/** ±1 (a's dtype) from LU pivots: (−1)^(number of row swaps). */
const pivotSign = (pivots: Tracer, dtype: 'float64' | 'float32'): Tracer => {
  const last = pivots.ndim - 1
  const swaps = reduceSum(convertElementType(ne(pivots, iota('int32', pivots.shape, last)), 'int32'), [last])
  const odd = convertElementType(rem(swaps, 2), dtype)
  return sub(1, mul(odd, 2))
}

const floatDtype = (a: Tracer): 'float64' | 'float32' => (a.dtype === 'float32' ? 'float32' : 'float64')

// ---- solve, inv --------------------------------------------------------------------------

/** Solve a·x = b for matrices `b` with a's batch axes: P a = L U, so x = U⁻¹ L⁻¹ (P b). */
const luSolve = (a: Tracer, b: Tracer): Tracer => {
  const [f, , perm] = lu(a)
  const pb = takeAlongAxis(b, reshape(perm, [...perm.shape, 1]), b.ndim - 2)
  const y = triangularSolve(f, pb, { leftSide: true, lower: true, transposeA: false, unitDiagonal: true })
  return triangularSolve(f, y, { leftSide: true, lower: false, transposeA: false, unitDiagonal: false })
}

/**
 * Solve a·x = b. `a`: [..., n, n]. `b`: a vector [n] (then x is [..., n]) or a stack of
 * matrices [..., n, k] (then x is [..., n, k]); batch axes broadcast. As NumPy ≥ 2 and
 * jax.numpy: `b` is a vector only when it is 1-D. A singular `a` gives inf/NaN entries.
 */
export const solve = (a: ArrayLike, b: ArrayLike): Tracer => {
  const op = 'solve'
  const [x, y] = promoteArgs(op, toFloat(a, op), toFloat(b, op))
  const n = squareSize(x, op)
  const vector = y.ndim === 1
  if (y.ndim === 0 || y.shape[vector ? 0 : y.ndim - 2] !== n) {
    throw new ShapeError(
      `${op}: b must be a vector [${n}] or matrices [..., ${n}, k] to match a ${avalStr(x.aval)}, got b ${avalStr(y.aval)}`,
    )
  }
  const ym = vector ? reshape(y, [n, 1]) : y
  let batch: number[]
  try {
    batch = broadcastShapes(op, x.shape.slice(0, -2), ym.shape.slice(0, -2))
  } catch {
    throw new ShapeError(`${op}: the batch axes of a ${avalStr(x.aval)} and b ${avalStr(y.aval)} do not broadcast`)
  }
  const k = ym.shape[ym.ndim - 1]
  const xs = broadcastTo(x, [...batch, n, n], op)
  const ys = broadcastTo(ym, [...batch, n, k], op)
  const out = luSolve(xs, ys)
  return vector ? reshape(out, [...batch, n]) : out
}

/** The inverse of each matrix of `a` [..., n, n] (a solve against the identity). */
export const inv = (a: ArrayLike): Tracer => {
  const op = 'inv'
  const x = toFloat(a, op)
  squareSize(x, op)
  return luSolve(x, convertElementType(eyeMask(x.shape), x.dtype, x.weakType))
}

// ---- det, slogdet, cholesky --------------------------------------------------------------

/** (−1)^(row swaps) · Π diag(U) of P a = L U, for each matrix of a float stack. */
const detLU = (x: Tracer): Tracer => {
  const [f, pivots] = lu(x)
  const d = diagonal(f)
  return mul(pivotSign(pivots, floatDtype(x)), reduceProd(d, [d.ndim - 1]))
}

/** Up to this size the gradient of det is the cofactor matrix from minors (right everywhere);
 *  above it, det(a)·a⁻ᵀ (O(n³), but NaN at singular matrices). */
const DET_COFACTOR_MAX = 16

/**
 * The cofactor matrix C of each n×n matrix of `x`: C_ij = (−1)^(i+j) det(x without row i and
 * column j), the gradient of det (d det = Σ C ⊙ dx). Unlike det(x)·x⁻ᵀ it is right at singular
 * matrices ([[1, 2], [2, 4]] → [[4, −2], [−2, 1]]; rank ≤ n − 2 → 0). The minors' determinants
 * are `det` again, so the rule is differentiable to any order.
 */
const cofactors = (x: Tracer): Tracer => {
  const n = x.shape[x.ndim - 1]
  if (n === 0) return mul(x, 0) // no entries
  if (n === 1) return convertElementType(eyeMask(x.shape), x.dtype, x.weakType) // det of a 0×0 minor is 1
  // keep[i] = the n − 1 indices other than i
  const keep = array(Array.from({ length: n }, (_, i) => Array.from({ length: n - 1 }, (_, k) => (k < i ? k : k + 1))), { dtype: 'int32' })
  const rows = take(x, keep, x.ndim - 2) // [..., n(i), n − 1, n]
  const minors = take(rows, keep, rows.ndim - 1) // [..., n(i), n − 1, n(j), n − 1]
  const b = x.ndim - 2
  const perm = [...Array.from({ length: b }, (_, k) => k), b, b + 2, b + 1, b + 3] // → [..., i, j, n − 1, n − 1]
  const signs = array(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => ((i + j) % 2 === 0 ? 1 : -1))), { dtype: floatDtype(x) })
  const c = detOf(transpose(minors, perm))
  return mul(c, broadcastInDim(signs, c.shape, [c.ndim - 2, c.ndim - 1]))
}

/** det with its derivative d det = Σ cof(x) ⊙ dx (or det·x⁻ᵀ above DET_COFACTOR_MAX). */
const detOf: (x: Tracer) => Tracer = customJvp(
  (x: Tracer) => detLU(x),
  ([x]: Tracer[], [dx]: Tracer[]): [Tracer, Tracer] => {
    const n = x.shape[x.ndim - 1]
    const out = detLU(x)
    const g = n <= DET_COFACTOR_MAX ? cofactors(x) : mul(expandLast2(out, x.shape), mT(inv(x)))
    return [out, reduceSum(mul(g, dx), [x.ndim - 2, x.ndim - 1])]
  },
)

/** A [...] stack of scalars broadcast against [..., n, n]. */
const expandLast2 = (d: Tracer, shape: Shape): Tracer => broadcastInDim(d, shape, d.shape.map((_, i) => i))

/**
 * Determinant of each matrix of `a` [..., n, n]: (−1)^(row swaps) · Π diag(U) of P a = L U.
 * Its gradient is the cofactor matrix (the adjugate transposed), right at singular matrices
 * too for n ≤ DET_COFACTOR_MAX (16); larger matrices use det(a)·a⁻ᵀ, NaN where a is singular.
 */
export const det = (a: ArrayLike): Tracer => {
  const op = 'det'
  const x = toFloat(a, op)
  squareSize(x, op)
  return detOf(x)
}

/**
 * [sign, log|det|] of each matrix of `a`, without overflow for large matrices:
 * sign = (−1)^(row swaps) · Π sign(Uᵢᵢ), log|det| = Σ log|Uᵢᵢ|. A singular matrix gives
 * sign 0 and log|det| = −∞.
 */
export const slogdet = (a: ArrayLike): [sign: Tracer, logabsdet: Tracer] => {
  const op = 'slogdet'
  const x = toFloat(a, op)
  squareSize(x, op)
  const [f, pivots] = lu(x)
  const d = diagonal(f)
  const last = d.ndim - 1
  // + 0 turns the −0 of a singular matrix with an odd permutation into 0
  const s = add(mul(pivotSign(pivots, floatDtype(x)), reduceProd(sign(d), [last])), 0)
  return [s, reduceSum(log(abs(d)), [last])]
}

/**
 * Lower Cholesky factor L (L Lᵀ = a) of each symmetric positive-definite matrix of `a`.
 * As jax.numpy, `a` is symmetrized first ((a + aᵀ)/2), so the derivative is symmetric; a
 * matrix that is not positive definite gives NaNs.
 */
export const cholesky = (a: ArrayLike): Tracer => {
  const op = 'cholesky'
  const x = toFloat(a, op)
  squareSize(x, op)
  return laxCholesky(mul(add(x, mT(x)), 0.5))
}

// ---- norm --------------------------------------------------------------------------------

export type NormOrd = number | 'fro' | 'nuc' | null
export interface NormOpts {
  readonly keepdims?: boolean
}

/** Put size-1 axes back at `axes` (sorted) for keepdims. */
const keep = (r: Tracer, shape: Shape, axes: readonly number[], keepdims: boolean): Tracer =>
  keepdims ? reshape(r, shape.map((d, i) => (axes.includes(i) ? 1 : d))) : r

const vectorNorm = (x: Tracer, ord: number, axes: number[]): Tracer => {
  if (ord === 2) return sqrt(reduceSum(mul(x, x), axes))
  const ax = abs(x)
  if (ord === Infinity) return reduceMax(ax, axes)
  if (ord === -Infinity) return reduceMin(ax, axes)
  if (ord === 1) return reduceSum(ax, axes)
  if (ord === 0) return reduceSum(convertElementType(ne(x, 0), x.dtype), axes)
  return pow(reduceSum(pow(ax, ord), axes), 1 / ord)
}

const matrixNorm = (x: Tracer, ord: number | 'fro' | 'nuc', [r, c]: readonly [number, number], where: string): Tracer => {
  if (ord === 'fro') return sqrt(reduceSum(mul(x, x), [Math.min(r, c), Math.max(r, c)]))
  if (ord === 'nuc' || ord === 2 || ord === -2) {
    // the singular values of the matrices (axes r, c moved last): their sum, max or min
    const rest = x.shape.map((_, i) => i).filter((i) => i !== r && i !== c)
    const s = singularValues(transpose(x, [...rest, r, c]))
    const last = s.ndim - 1
    return ord === 'nuc' ? reduceSum(s, [last]) : ord === 2 ? reduceMax(s, [last]) : reduceMin(s, [last])
  }
  // 1 / −1: max / min over columns of the column sums; ±∞: over rows of the row sums.
  const [sumAxis, otherAxis] = ord === 1 || ord === -1 ? [r, c] : ord === Infinity || ord === -Infinity ? [c, r] : [-1, -1]
  if (sumAxis < 0) {
    throw new ValueError(`norm: invalid norm order ${ord} for matrices ${where}; use 'fro', 'nuc', 2, -2, 1, -1, Infinity or -Infinity`)
  }
  const s = reduceSum(abs(x), [sumAxis])
  const o = otherAxis > sumAxis ? otherAxis - 1 : otherAxis
  return ord > 0 ? reduceMax(s, [o]) : reduceMin(s, [o])
}

/**
 * Vector or matrix norm, as NumPy's `linalg.norm(x, ord, axis, keepdims)`.
 *   axis omitted: ord omitted → the 2-norm of all elements (Frobenius for matrices); with an
 *     ord, x must be 1-D (vector norm) or 2-D (matrix norm).
 *   axis a number → vector norms along it: ord 2 (default), 1, Infinity, -Infinity, 0 (the
 *     count of non-zeros), or any p (Σ|x|ᵖ)^(1/p).
 *   axis [r, c] → matrix norms: 'fro' (default), 1, -1 (max/min column sum), Infinity,
 *     -Infinity (max/min row sum), 2 / -2 (largest / smallest singular value) and 'nuc'
 *     (the sum of the singular values).
 */
export const norm = (
  x: ArrayLike,
  ord: NormOrd = null,
  axis: number | readonly number[] | null = null,
  opts: NormOpts = {},
): Tracer => {
  const op = 'norm'
  const t = toFloat(x, op)
  const keepdims = opts.keepdims ?? false
  const where = `(x ${avalStr(t.aval)}, ord ${ord === null ? 'default' : String(ord)}, axis ${axis === null ? 'default' : JSON.stringify(axis)})`
  let axes: number[]
  if (axis === null) {
    if (ord === null) {
      const all = t.shape.map((_, i) => i)
      return keep(sqrt(reduceSum(mul(t, t), all)), t.shape, all, keepdims)
    }
    if (t.ndim !== 1 && t.ndim !== 2) {
      throw new ValueError(`norm: with an ord and no axis, x must be 1-D or 2-D ${where}; pass axis`)
    }
    axes = t.ndim === 1 ? [0] : [0, 1]
  } else {
    const list = typeof axis === 'number' ? [axis] : [...axis]
    if (list.length !== 1 && list.length !== 2) {
      throw new ValueError(`norm: axis must be one axis (vector norm) or two (matrix norm) ${where}`)
    }
    const sorted = normAxes(list, t.ndim, op)
    // keep the caller's order for matrix norms (rows, columns)
    axes = list.map((a) => (a < 0 ? a + t.ndim : a))
    if (sorted.length !== axes.length) throw new AxisError(`norm: repeated axis ${where}`)
  }
  if (axes.length === 1) {
    if (typeof ord === 'string') throw new ValueError(`norm: invalid norm order '${ord}' for vectors ${where}; use a number`)
    if (ord !== null && Number.isNaN(ord)) throw new ValueError(`norm: ord must not be NaN ${where}`)
    return keep(vectorNorm(t, ord ?? 2, axes), t.shape, axes, keepdims)
  }
  const r = matrixNorm(t, ord ?? 'fro', [axes[0], axes[1]], where)
  return keep(r, t.shape, [...axes].sort((p, q) => p - q), keepdims)
}

