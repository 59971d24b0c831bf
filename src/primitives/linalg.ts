/**
 * Primitives layer: dense linear algebra on the last two axes (leading axes are batch axes) —
 *   cholesky          L with L·Lᵀ = A (A symmetric positive definite; only its lower triangle is read)
 *   triangular_solve  x with op(a)·x = b (leftSide) or x·op(a) = b, op(a) = a or aᵀ
 *   lu                partial-pivoting LU: a[perm] = L·U, packed into one matrix
 * Impls are float64 loops over each matrix of the batch (float32 rounds at the store). The
 * derivative rules are programs in primitives: triangular solves, batched dot_generals and
 * iota-built triangle masks.
 */
import type { ConcreteArray } from '../core/array'
import { DTypeError, NonLinearError, ShapeError, ValueError } from '../core/errors'
import { type BDim, type RuleTable, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind, bind1 } from '../core/tracer'
import { type Shape, type ShapedArray, avalStr, shaped, shapeStr, sizeOf } from '../ir/aval'
import { allocate, isFloat } from '../ir/dtypes'
import { add, eq, ge, le, mul, sub } from './binary'
import { neg } from './unary'
import { dotGeneral } from './dot'
import { broadcastInDim, convertElementType, iota, reshape, selectN, transpose } from './shape'
import { batchToFront, makeArray, moveAxis, zerosOf } from './util'

type SolveParams = {
  readonly leftSide: boolean
  readonly lower: boolean
  readonly transposeA: boolean
  readonly unitDiagonal: boolean
}

// ---- wrappers ----------------------------------------------------------------------------

/** Lower Cholesky factor of symmetric positive-definite matrices (NaNs where not PD). */
export const cholesky = (a: Tracer): Tracer => bind1('cholesky', [a], {})

/** x with op(a)·x = b (`leftSide`) or x·op(a) = b, for triangular `a`; op(a) = aᵀ if `transposeA`. */
export const triangularSolve = (a: Tracer, b: Tracer, opts: SolveParams): Tracer =>
  bind1('triangular_solve', [a, b], {
    leftSide: opts.leftSide,
    lower: opts.lower,
    transposeA: opts.transposeA,
    unitDiagonal: opts.unitDiagonal,
  })

/** LU with partial pivoting: [lu, pivots, permutation] with a[..., permutation, :] = L·U. */
export const lu = (a: Tracer): [lu: Tracer, pivots: Tracer, permutation: Tracer] => {
  const [f, piv, perm] = bind('lu', [a], {})
  return [f, piv, perm]
}

// ---- abstract eval -----------------------------------------------------------------------

/** A stack of square float matrices: returns n (the matrix size). */
export const squareFloat = (a: ShapedArray, op: string, what = 'its operand'): number => {
  const r = a.shape.length
  if (r < 2 || a.shape[r - 1] !== a.shape[r - 2]) {
    throw new ShapeError(`${op} needs square matrices in the last two axes of ${what}, got ${avalStr(a)}; leading axes are batch axes`)
  }
  if (!isFloat(a.dtype)) throw new DTypeError(`${op} needs a float array, got ${avalStr(a)}. Convert first: x.astype('float64').`)
  return a.shape[r - 1]
}

const solveAval = (a: ShapedArray, b: ShapedArray, p: SolveParams): ShapedArray => {
  const op = 'triangular_solve'
  for (const k of ['leftSide', 'lower', 'transposeA', 'unitDiagonal'] as const) {
    if (typeof p[k] !== 'boolean') throw new ValueError(`${op}: param ${k} must be a boolean, got ${String(p[k])}`)
  }
  const m = squareFloat(a, op, 'a')
  if (b.dtype !== a.dtype) throw new DTypeError(`${op}: a and b must have equal dtypes, got ${avalStr(a)} and ${avalStr(b)}; convert one first`)
  const r = a.shape.length
  const batchA = a.shape.slice(0, r - 2)
  if (b.shape.length !== r || b.shape.slice(0, r - 2).some((d, i) => d !== batchA[i])) {
    throw new ShapeError(`${op}: b must have a's batch axes ${shapeStr(batchA)} followed by two matrix axes, got a ${avalStr(a)} and b ${avalStr(b)}`)
  }
  const k = p.leftSide ? b.shape[r - 2] : b.shape[r - 1]
  if (k !== m) {
    const side = p.leftSide ? 'rows (axis -2)' : 'columns (axis -1)'
    throw new ShapeError(`${op}: with leftSide=${p.leftSide}, b's ${side} must match a's size ${m}, got a ${avalStr(a)} and b ${avalStr(b)}`)
  }
  return shaped(b.shape, b.dtype, a.weakType && b.weakType)
}

const luAvals = (a: ShapedArray): ShapedArray[] => {
  const n = squareFloat(a, 'lu')
  const batch = a.shape.slice(0, -2)
  return [shaped(a.shape, a.dtype, a.weakType), shaped([...batch, n], 'int32'), shaped([...batch, n], 'int32')]
}

// ---- impl --------------------------------------------------------------------------------

/** Cholesky–Banachiewicz on each n×n matrix, reading only the lower triangle; a matrix that
 *  is not positive definite (or has NaNs) becomes all NaN, as JAX. */
const choleskyImpl = (x: ConcreteArray): ConcreteArray => {
  squareFloat(x.aval, 'cholesky')
  const n = x.shape[x.ndim - 1]
  const nn = n * n
  const count = nn === 0 ? 0 : x.size / nn
  const src = x.data
  const dst = allocate(x.dtype, x.size)
  const L = new Float64Array(nn)
  for (let b = 0; b < count; b++) {
    const off = b * nn
    L.fill(0)
    let ok = true
    for (let j = 0; j < n && ok; j++) {
      let s = src[off + j * n + j]
      for (let k = 0; k < j; k++) s -= L[j * n + k] * L[j * n + k]
      if (!(s > 0)) ok = false
      const d = Math.sqrt(s)
      L[j * n + j] = d
      for (let i = j + 1; i < n; i++) {
        let t = src[off + i * n + j]
        for (let k = 0; k < j; k++) t -= L[i * n + k] * L[j * n + k]
        L[i * n + j] = t / d
      }
    }
    if (!ok) L.fill(NaN)
    for (let i = 0; i < nn; i++) dst[off + i] = L[i]
  }
  return makeArray(dst, x.aval)
}

/**
 * Solve T·X = X0 in place (X: m×n row-major, float64), T triangular, read as
 * T[i][j] = a[off + i·si + j·sj]; `unit`: T's diagonal is taken as 1.
 */
const substitute = (a: ArrayLike<number>, off: number, si: number, sj: number, m: number, lowerT: boolean, unit: boolean, X: Float64Array, n: number): void => {
  for (let t = 0; t < m; t++) {
    const i = lowerT ? t : m - 1 - t
    const [j0, j1] = lowerT ? [0, i] : [i + 1, m]
    const xi = i * n
    for (let j = j0; j < j1; j++) {
      const c = a[off + i * si + j * sj]
      const xj = j * n
      for (let k = 0; k < n; k++) X[xi + k] -= c * X[xj + k]
    }
    if (!unit) {
      const d = a[off + i * si + i * sj]
      for (let k = 0; k < n; k++) X[xi + k] /= d
    }
  }
}

const solveImpl = (a: ConcreteArray, b: ConcreteArray, p: SolveParams): ConcreteArray => {
  const out = solveAval(a.aval, b.aval, p)
  const r = a.ndim
  const m = a.shape[r - 1]
  const [rows, cols] = [b.shape[r - 2], b.shape[r - 1]]
  const mat = rows * cols
  const count = sizeOf(b.shape.slice(0, r - 2))
  const src = b.data
  const dst = allocate(out.dtype, b.size)
  const X = new Float64Array(mat)
  // op(a) is lower triangular iff lower ≠ transposeA.
  const opLower = p.lower !== p.transposeA
  for (let q = 0; q < count; q++) {
    const aOff = q * m * m
    const bOff = q * mat
    if (p.leftSide) {
      // op(a)·X = B with T = op(a).
      for (let i = 0; i < mat; i++) X[i] = src[bOff + i]
      const [si, sj] = p.transposeA ? [1, m] : [m, 1]
      substitute(a.data, aOff, si, sj, m, opLower, p.unitDiagonal, X, cols)
      for (let i = 0; i < mat; i++) dst[bOff + i] = X[i]
    } else {
      // X·op(a) = B  ⟺  op(a)ᵀ·Xᵀ = Bᵀ: solve with T = op(a)ᵀ on Bᵀ (m × rows).
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) X[j * rows + i] = src[bOff + i * cols + j]
      const [si, sj] = p.transposeA ? [m, 1] : [1, m]
      substitute(a.data, aOff, si, sj, m, !opLower, p.unitDiagonal, X, rows)
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) dst[bOff + i * cols + j] = X[j * rows + i]
    }
  }
  return makeArray(dst, out)
}

/** Right-looking LU with partial pivoting (LAPACK getf2): the pivot of column j is the first
 *  row of largest |value| at or below j; a zero pivot leaves its column unscaled. */
const luImpl = (x: ConcreteArray): ConcreteArray[] => {
  const [outLu, outPiv, outPerm] = luAvals(x.aval)
  const n = x.shape[x.ndim - 1]
  const nn = n * n
  const count = sizeOf(x.shape.slice(0, -2))
  const dst = allocate(x.dtype, x.size)
  const piv = new Int32Array(count * n)
  const perm = new Int32Array(count * n)
  const A = new Float64Array(nn)
  for (let q = 0; q < count; q++) {
    for (let i = 0; i < nn; i++) A[i] = x.data[q * nn + i]
    const P = perm.subarray(q * n, (q + 1) * n)
    for (let i = 0; i < n; i++) P[i] = i
    for (let j = 0; j < n; j++) {
      let pr = j
      let best = Math.abs(A[j * n + j])
      for (let i = j + 1; i < n; i++) {
        const v = Math.abs(A[i * n + j])
        if (v > best) {
          best = v
          pr = i
        }
      }
      piv[q * n + j] = pr
      if (pr !== j) {
        // swaps through a scalar local: no array literal per element in the hot loop
        for (let k = 0; k < n; k++) {
          const t = A[j * n + k]
          A[j * n + k] = A[pr * n + k]
          A[pr * n + k] = t
        }
        const tp = P[j]
        P[j] = P[pr]
        P[pr] = tp
      }
      const d = A[j * n + j]
      if (d !== 0) for (let i = j + 1; i < n; i++) A[i * n + j] /= d
      for (let i = j + 1; i < n; i++) {
        const l = A[i * n + j]
        for (let k = j + 1; k < n; k++) A[i * n + k] -= l * A[j * n + k]
      }
    }
    for (let i = 0; i < nn; i++) dst[q * nn + i] = A[i]
  }
  return [makeArray(dst, outLu), makeArray(piv, outPiv), makeArray(perm, outPerm)]
}

// ---- helpers for the rules (programs in primitives) ---------------------------------------

/** a·b over the last two axes, batched over the leading ones. */
export const matmul = (a: Tracer, b: Tracer): Tracer => {
  const r = a.ndim
  const batch = [...Array(r - 2).keys()]
  return dotGeneral(a, b, { lhsContracting: [r - 1], rhsContracting: [r - 2], lhsBatch: batch, rhsBatch: batch })
}

/** Swap the last two axes. */
export const mT = (x: Tracer): Tracer => {
  const perm = [...Array(x.ndim).keys()]
  ;[perm[x.ndim - 2], perm[x.ndim - 1]] = [perm[x.ndim - 1], perm[x.ndim - 2]]
  return transpose(x, perm)
}

/** A bool mask of `shape` (matrices in the last two axes) that is true where `keep(i, j)`. */
const matrixMask = (shape: Shape, keep: (i: Tracer, j: Tracer) => Tracer): Tracer => {
  const r = shape.length
  const mn = shape.slice(r - 2)
  const m2 = keep(iota('int32', mn, 0), iota('int32', mn, 1))
  return broadcastInDim(m2, shape, [r - 2, r - 1])
}

/** Entries with j − i ≤ k (tril) or j − i ≥ k (triu) kept, the rest zero. */
const plus = (i: Tracer, k: number): Tracer => (k === 0 ? i : add(i, k))
export const tril = (x: Tracer, k = 0): Tracer => selectN(matrixMask(x.shape, (i, j) => le(j, plus(i, k))), zerosOf(x.aval), x)
export const triu = (x: Tracer, k = 0): Tracer => selectN(matrixMask(x.shape, (i, j) => ge(j, plus(i, k))), zerosOf(x.aval), x)

/** The identity matrix broadcast to `like`'s shape and dtype. */
export const eyeLike = (like: ShapedArray): Tracer =>
  convertElementType(matrixMask(like.shape, (i, j) => eq(i, j)), like.dtype, like.weakType)

/** Rows of `x` ([..., n, n]) gathered by `perm` (int32, [..., n]): the one-hot permutation
 *  matrix P[..., i, j] = [perm[..., i] = j] times x. */
const permuteRows = (x: Tracer, perm: Tracer): Tracer => {
  const r = x.ndim
  const cols = iota('int32', x.shape, r - 1)
  const rows = broadcastInDim(perm, x.shape, [...Array(r - 1).keys()])
  return matmul(convertElementType(eq(rows, cols), x.dtype, x.weakType), x)
}

// ---- jvp ---------------------------------------------------------------------------------

// dL = L·Φ(L⁻¹ dA L⁻ᵀ), Φ = lower triangle with the diagonal halved, dA symmetrized
const choleskyJvp: RuleTable['cholesky']['jvp'] = ([a], [da]) => {
  const L = cholesky(a)
  if (isZero(da)) return [[L], [new Zero(L.aval)]]
  const sym = mul(add(da, mT(da)), 0.5)
  const tmp = triangularSolve(L, sym, { leftSide: false, lower: true, transposeA: true, unitDiagonal: false })
  const X = triangularSolve(L, tmp, { leftSide: true, lower: true, transposeA: false, unitDiagonal: false })
  const half = sub(1, mul(eyeLike(X.aval), 0.5))
  return [[L], [matmul(L, mul(tril(X), half))]]
}

/** The part of `da` the solve reads (its triangle; no diagonal if unit), as op(da). */
const opOfTriangle = (da: Tracer, p: SolveParams): Tracer => {
  const k = p.unitDiagonal ? 1 : 0
  const t = p.lower ? tril(da, -k) : triu(da, k)
  return p.transposeA ? mT(t) : t
}

// left: dx = op(a)⁻¹(db − op(da)·x);  right: dx = (db − x·op(da))·op(a)⁻¹
const solveJvp: RuleTable['triangular_solve']['jvp'] = ([a, b], [da, db], p) => {
  const x = triangularSolve(a, b, p)
  if (isZero(da) && isZero(db)) return [[x], [new Zero(x.aval)]]
  let rhs: Tracer
  if (isZero(da)) rhs = db as Tracer
  else {
    const t = p.leftSide ? matmul(opOfTriangle(da, p), x) : matmul(x, opOfTriangle(da, p))
    rhs = isZero(db) ? neg(t) : sub(db, t)
  }
  return [[x], [triangularSolve(a, rhs, p)]]
}

// With A[perm] = L·U and X = L⁻¹ dA[perm] U⁻¹: dL = L·tril(X, −1), dU = triu(X)·U
const luJvp: RuleTable['lu']['jvp'] = ([a], [da]) => {
  const outs = lu(a)
  const [f, piv, perm] = outs
  if (isZero(da)) return [outs, outs.map((o) => new Zero(o.aval))]
  const pda = permuteRows(da, perm)
  const la = triangularSolve(f, pda, { leftSide: true, lower: true, transposeA: false, unitDiagonal: true })
  const X = triangularSolve(f, la, { leftSide: false, lower: false, transposeA: false, unitDiagonal: false })
  const L = add(tril(f, -1), eyeLike(f.aval))
  const U = triu(f)
  const df = add(matmul(L, tril(X, -1)), matmul(triu(X), U))
  return [outs, [df, new Zero(piv.aval), new Zero(perm.aval)]]
}

// ---- transpose ---------------------------------------------------------------------------

// x = op(a)⁻¹ b is linear in b: ct_b = op(a)⁻ᵀ ct (the same solve with transposeA flipped)
const solveTranspose: RuleTable['triangular_solve']['transpose'] = ([ct], [a, b], p) => {
  if (isUndef(a)) throw new NonLinearError('triangular_solve with a matrix that depends on the input is not linear (transpose of triangular_solve with a linear matrix a)')
  if (!isUndef(b)) return [null, null]
  const bAval = b.aval
  if (isZero(ct)) return [null, new Zero(bAval)]
  let r = triangularSolve(a, ct, { ...p, transposeA: !p.transposeA })
  if (r.dtype !== bAval.dtype || r.weakType !== bAval.weakType) r = convertElementType(r, bAval.dtype, bAval.weakType)
  return [null, r]
}

// ---- batch -------------------------------------------------------------------------------

/**
 * Batched a: both operands get their batch axis at 0 (b is broadcast if unbatched). Batched b
 * alone: its batch axis folds into the columns (leftSide) or rows (right side) of b, so a is
 * never copied.
 */
const solveBatch: RuleTable['triangular_solve']['batch'] = (n, [a, b], [ba, bb], p) => {
  if (ba !== null) return [[triangularSolve(moveAxis(a, ba, 0), batchToFront(b, bb, n), p)], [0]]
  const r = a.ndim
  const at = p.leftSide ? r - 1 : r - 2
  const moved = moveAxis(b, bb as number, at)
  const s = moved.shape
  const folded = reshape(moved, [
    ...s.slice(0, r - 2),
    ...(p.leftSide ? [s[r - 2], s[r - 1] * s[r]] : [s[r - 2] * s[r - 1], s[r]]),
  ])
  return [[reshape(triangularSolve(a, folded, p), s)], [at]]
}

const frontBatch = <T>(f: (x: Tracer) => T) => (x: Tracer, b: BDim): T => f(moveAxis(x, b as number, 0))

// ---- the rules ---------------------------------------------------------------------------

export const linalgRules: Pick<RuleTable, 'cholesky' | 'triangular_solve' | 'lu'> = {
  cholesky: {
    abstractEval: ([a]) => {
      squareFloat(a, 'cholesky')
      return [shaped(a.shape, a.dtype, a.weakType)]
    },
    impl: ([x]) => [choleskyImpl(x)],
    jvp: choleskyJvp,
    batch: (_n, [x], [b]) => [[frontBatch(cholesky)(x, b)], [0]],
  },
  triangular_solve: {
    abstractEval: ([a, b], p) => [solveAval(a, b, p)],
    impl: ([a, b], p) => [solveImpl(a, b, p)],
    jvp: solveJvp,
    transpose: solveTranspose,
    batch: solveBatch,
  },
  lu: {
    abstractEval: ([a]) => luAvals(a),
    impl: ([x]) => luImpl(x),
    jvp: luJvp,
    batch: (_n, [x], [b]) => [frontBatch(lu)(x, b), [0, 0, 0]],
  },
}
