import { describe, expect, it } from 'vitest'
import '../../src/rules'
import { ConcreteArray } from '../../src/core/array'
import { DTypeError, ShapeError } from '../../src/core/errors'
import { type BDim, UndefPrimal, Zero, isZero, registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { type Shape, shaped, sizeOf, stridesOf } from '../../src/ir/aval'
import { type DType, allocate } from '../../src/ir/dtypes'
import { dotRules } from '../../src/primitives/dot'
import { cholesky, linalgRules, lu, triangularSolve } from '../../src/primitives/linalg'

registerRules(dotRules)
registerRules(linalgRules)
const R = linalgRules

// ---- helpers ---------------------------------------------------------------------------

type Mat = number[][]
let seed = 4242
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0
  return ((seed >>> 8) & 0xffff) / 0x10000 - 0.5
}
const fromFlat = (data: ArrayLike<number>, shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const d = allocate(dtype, sizeOf(shape))
  for (let i = 0; i < d.length; i++) d[i] = data[i]
  return new ConcreteArray(d, shape, dtype)
}
const rand = (shape: Shape, dtype: DType = 'float64'): ConcreteArray =>
  fromFlat(Array.from({ length: sizeOf(shape) }, () => rnd() * 2), shape, dtype)
const c = (x: Tracer | unknown): ConcreteArray => x as ConcreteArray

/** The matrices of a stack (leading axes flattened), as nested arrays. */
const mats = (x: ConcreteArray): Mat[] => {
  const [m, n] = x.shape.slice(-2)
  const count = sizeOf(x.shape.slice(0, -2))
  return Array.from({ length: count }, (_, q) =>
    Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => Number(x.data[q * m * n + i * n + j]))),
  )
}
const stackMats = (ms: Mat[], shape: Shape, dtype: DType = 'float64'): ConcreteArray => fromFlat(ms.flat(2), shape, dtype)
const mm = (a: Mat, b: Mat): Mat =>
  a.map((row) => (b[0] ?? []).map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)))
const tr = (a: Mat): Mat => (a[0] ?? []).map((_, j) => a.map((row) => row[j]))
const maxDiff = (a: Mat, b: Mat): number => Math.max(0, ...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))))

/** Random symmetric positive-definite matrices M·Mᵀ + n·I. */
const spd = (batch: Shape, n: number, dtype: DType = 'float64'): ConcreteArray => {
  const ms = mats(rand([...batch, n, n])).map((m) => mm(m, tr(m)).map((row, i) => row.map((v, j) => v + (i === j ? n : 0))))
  return stackMats(ms, [...batch, n, n], dtype)
}

const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-10): void => {
  expect(got.length).toBe(want.length)
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]))
    if (!(err <= tol)) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]} (rel err ${err})`)
  }
}
/** Relative error of a jvp tangent against a central finite difference. */
const expectFd = (tangent: Tangent, f: (e: number) => ConcreteArray, eps = 1e-6, tol = 1e-6): void => {
  const [fp, fm] = [f(eps).data, f(-eps).data]
  const fd = Array.from(fp, (v, i) => (v - fm[i]) / (2 * eps))
  const t = c(tangent).data
  let num = 0
  let den = 1e-300
  for (let i = 0; i < fd.length; i++) {
    num = Math.max(num, Math.abs(t[i] - fd[i]))
    den = Math.max(den, Math.abs(fd[i]))
  }
  expect(t.length).toBe(fd.length)
  expect(num / den).toBeLessThan(tol)
}
type Tangent = Tracer | Zero
const axpy = (x: ConcreteArray, t: ConcreteArray, e: number): ConcreteArray =>
  fromFlat(Array.from(x.data, (v, i) => v + e * t.data[i]), x.shape, x.dtype)
const vdot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

const multiIndices = (shape: Shape): number[][] =>
  Array.from({ length: sizeOf(shape) }, (_, f) => {
    const idx: number[] = []
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(f % shape[d])
      f = Math.floor(f / shape[d])
    }
    return idx
  })
const flat = (shape: Shape, idx: readonly number[]): number => {
  const st = stridesOf(shape)
  return idx.reduce((s, v, d) => s + v * st[d], 0)
}
const stack = (xs: ConcreteArray[], axis: number): ConcreteArray => {
  const shape = [...xs[0].shape]
  shape.splice(axis, 0, xs.length)
  const data = allocate(xs[0].dtype, sizeOf(shape))
  multiIndices(shape).forEach((idx, f) => {
    data[f] = xs[idx[axis]].data[flat(xs[0].shape, idx.filter((_, d) => d !== axis))]
  })
  return new ConcreteArray(data, shape, xs[0].dtype)
}

type SolveOpts = { leftSide: boolean; lower: boolean; transposeA: boolean; unitDiagonal: boolean }
const ALL_OPTS: SolveOpts[] = [false, true].flatMap((leftSide) =>
  [false, true].flatMap((lower) =>
    [false, true].flatMap((transposeA) => [false, true].map((unitDiagonal) => ({ leftSide, lower, transposeA, unitDiagonal }))),
  ),
)
const optStr = (o: SolveOpts) => `left=${o.leftSide} lower=${o.lower} transA=${o.transposeA} unit=${o.unitDiagonal}`

/** A triangular matrix as the solve sees it: its triangle, with 1s on the diagonal if unit. */
const effective = (a: Mat, o: SolveOpts): Mat =>
  a.map((row, i) => row.map((v, j) => (i === j ? (o.unitDiagonal ? 1 : v) : (o.lower ? j < i : j > i) ? v : 0)))
/** A well-conditioned triangular matrix with garbage in the part the solve must ignore. */
const triangular = (batch: Shape, m: number, o: SolveOpts): ConcreteArray => {
  const ms = mats(rand([...batch, m, m])).map((a) =>
    a.map((row, i) => row.map((v, j) => (i === j ? (o.unitDiagonal ? 1e3 : 3 + v) : (o.lower ? j < i : j > i) ? v : 1e3 + v))),
  )
  return stackMats(ms, [...batch, m, m])
}
const bShape = (batch: Shape, m: number, k: number, o: SolveOpts): number[] => (o.leftSide ? [...batch, m, k] : [...batch, k, m])

// ---- cholesky ----------------------------------------------------------------------------

describe('cholesky', () => {
  it('factors a 2×2 matrix (hand-computed)', () => {
    const L = c(cholesky(fromFlat([4, 2, 2, 3], [2, 2])))
    expect(L.data[0]).toBe(2)
    expect(L.data[1]).toBe(0)
    expect(L.data[2]).toBe(1)
    expect(L.data[3]).toBeCloseTo(Math.SQRT2, 15)
  })

  it('reconstructs L·Lᵀ = A with L lower triangular, over leading batch axes', () => {
    const A = spd([2, 3], 5)
    const L = c(cholesky(A))
    expect(L.shape).toEqual([2, 3, 5, 5])
    mats(L).forEach((l, q) => {
      l.forEach((row, i) => row.forEach((v, j) => (j > i ? expect(v).toBe(0) : j === i ? expect(v).toBeGreaterThan(0) : 0)))
      expect(maxDiff(mm(l, tr(l)), mats(A)[q])).toBeLessThan(1e-12)
    })
  })

  it('reads only the lower triangle', () => {
    const A = spd([], 4)
    const garbage = stackMats([mats(A)[0].map((row, i) => row.map((v, j) => (j > i ? 99 : v)))], [4, 4])
    expect(Array.from(c(cholesky(garbage)).data)).toEqual(Array.from(c(cholesky(A)).data))
  })

  it('handles 1×1 and 0×0 matrices', () => {
    expect(c(cholesky(fromFlat([9], [1, 1]))).tolist()).toEqual([[3]])
    expect(c(cholesky(fromFlat([], [0, 0]))).shape).toEqual([0, 0])
    expect(c(cholesky(fromFlat([], [2, 0, 0]))).shape).toEqual([2, 0, 0])
  })

  it('gives NaNs (no throw) for a matrix that is not positive definite, leaving the others', () => {
    const good = mats(spd([], 2))[0]
    const L = c(cholesky(stackMats([[[1, 2], [2, 1]], good], [2, 2, 2])))
    expect(Array.from(L.data.slice(0, 4)).every(Number.isNaN)).toBe(true)
    expect(Array.from(L.data.slice(4)).some(Number.isNaN)).toBe(false)
  })

  it('float32: rounds at the store', () => {
    const A = spd([3], 4, 'float32')
    const L = c(cholesky(A))
    expect(L.dtype).toBe('float32')
    mats(L).forEach((l, q) => expect(maxDiff(mm(l, tr(l)), mats(A)[q])).toBeLessThan(1e-5))
  })

  it('validates shapes and dtypes', () => {
    expect(() => cholesky(rand([2, 3]))).toThrow(ShapeError)
    expect(() => cholesky(rand([2, 3]))).toThrow(/cholesky needs square matrices in the last two axes of its operand, got f64\[2,3\]/)
    expect(() => cholesky(rand([3]))).toThrow(ShapeError)
    expect(() => cholesky(fromFlat([1, 0, 0, 1], [2, 2], 'int32'))).toThrow(DTypeError)
    expect(() => cholesky(fromFlat([1, 0, 0, 1], [2, 2], 'int32'))).toThrow(/cholesky needs a float array, got i32\[2,2\]/)
  })

  it('jvp matches central finite differences along symmetric perturbations', () => {
    const A = spd([2], 4)
    const S = rand([2, 4, 4])
    const dA = stackMats(mats(S).map((s) => s.map((row, i) => row.map((v, j) => v + s[j][i]))), [2, 4, 4])
    const [[L], [dL]] = R.cholesky.jvp([A], [dA], {})
    expectClose(c(L).data, c(cholesky(A)).data, 0)
    expectFd(dL, (e) => c(cholesky(axpy(A, dA, e))))
  })

  it('jvp symmetrizes the tangent: dA and (dA + dAᵀ)/2 give the same dL', () => {
    const A = spd([], 3)
    const dA = rand([3, 3])
    const sym = stackMats([mats(dA)[0].map((row, i) => row.map((v, j) => (v + mats(dA)[0][j][i]) / 2))], [3, 3])
    const [, [t1]] = R.cholesky.jvp([A], [dA], {})
    const [, [t2]] = R.cholesky.jvp([A], [sym], {})
    expectClose(c(t1).data, c(t2).data, 1e-12)
    const [, [z]] = R.cholesky.jvp([A], [new Zero(A.aval)], {})
    expect(isZero(z)).toBe(true)
  })

  it('batch rule agrees with per-example results', () => {
    const xs = Array.from({ length: 3 }, () => spd([], 4))
    for (const b of [0, 1, 2]) {
      const [[out], [bo]] = R.cholesky.batch(3, [stack(xs, b)], [b], {})
      expectClose(c(out).data, stack(xs.map((x) => c(cholesky(x))), bo as number).data, 0)
    }
  })
})

// ---- triangular_solve --------------------------------------------------------------------

describe('triangular_solve', () => {
  it('solves a 2×2 lower system (hand-computed)', () => {
    const a = fromFlat([2, 0, 1, 1], [2, 2])
    const b = fromFlat([2, 3], [2, 1])
    const x = c(triangularSolve(a, b, { leftSide: true, lower: true, transposeA: false, unitDiagonal: false }))
    expect(x.tolist()).toEqual([[1], [2]])
  })

  for (const o of ALL_OPTS) {
    it(`op(a)·x = b / x·op(a) = b, ignoring the other triangle: ${optStr(o)}`, () => {
      const a = triangular([2], 4, o)
      const b = rand(bShape([2], 4, 3, o))
      const x = c(triangularSolve(a, b, o))
      expect(x.shape).toEqual(b.shape)
      mats(x).forEach((xm, q) => {
        const t = effective(mats(a)[q], o)
        const op = o.transposeA ? tr(t) : t
        expect(maxDiff(o.leftSide ? mm(op, xm) : mm(xm, op), mats(b)[q])).toBeLessThan(1e-12)
      })
    })
  }

  it('float32, 1×1, 0×0 and empty right-hand sides', () => {
    const o = { leftSide: true, lower: false, transposeA: true, unitDiagonal: false }
    const a = fromFlat(c(triangular([], 3, o)).data, [3, 3], 'float32')
    const b = rand([3, 2], 'float32')
    const x = c(triangularSolve(a, b, o))
    expect(x.dtype).toBe('float32')
    const op = tr(effective(mats(a)[0], o))
    expect(maxDiff(mm(op, mats(x)[0]), mats(b)[0])).toBeLessThan(1e-5)
    expect(c(triangularSolve(fromFlat([4], [1, 1]), fromFlat([2, 6], [1, 2]), o)).tolist()).toEqual([[0.5, 1.5]])
    expect(c(triangularSolve(fromFlat([], [0, 0]), fromFlat([], [0, 3]), o)).shape).toEqual([0, 3])
    expect(c(triangularSolve(fromFlat([], [2, 0, 0]), fromFlat([], [2, 5, 0]), { ...o, leftSide: false })).shape).toEqual([2, 5, 0])
    expect(c(triangularSolve(rand([3, 3]), fromFlat([], [3, 0]), o)).shape).toEqual([3, 0])
  })

  it('validates shapes, batch axes and dtypes', () => {
    const o = { leftSide: true, lower: true, transposeA: false, unitDiagonal: false }
    expect(() => triangularSolve(rand([3, 4]), rand([3, 1]), o)).toThrow(/triangular_solve needs square matrices in the last two axes of a, got f64\[3,4\]/)
    expect(() => triangularSolve(rand([3, 3]), rand([4, 1]), o)).toThrow(ShapeError)
    expect(() => triangularSolve(rand([3, 3]), rand([4, 1]), o)).toThrow(/leftSide=true, b's rows \(axis -2\) must match a's size 3/)
    expect(() => triangularSolve(rand([3, 3]), rand([3, 1]), { ...o, leftSide: false })).toThrow(/b's columns \(axis -1\) must match/)
    expect(() => triangularSolve(rand([2, 3, 3]), rand([3, 3, 1]), o)).toThrow(/b must have a's batch axes \[2\]/)
    expect(() => triangularSolve(rand([2, 3, 3]), rand([3, 1]), o)).toThrow(ShapeError)
    expect(() => triangularSolve(rand([3, 3]), rand([3, 1], 'float32'), o)).toThrow(DTypeError)
    expect(() => triangularSolve(rand([3, 3], 'int32'), rand([3, 1], 'int32'), o)).toThrow(/needs a float array, got i32\[3,3\]/)
  })

  for (const o of ALL_OPTS) {
    it(`jvp (in a and b) matches central finite differences: ${optStr(o)}`, () => {
      const a = triangular([2], 3, o)
      const b = rand(bShape([2], 3, 2, o))
      // da is full: the part the solve ignores must not contribute
      const [da, db] = [rand(a.shape), rand(b.shape)]
      const [[x], [dx]] = R.triangular_solve.jvp([a, b], [da, db], o)
      expectClose(c(x).data, c(triangularSolve(a, b, o)).data, 0)
      expectFd(dx, (e) => c(triangularSolve(axpy(a, da, e), axpy(b, db, e), o)))
      const [, [dxa]] = R.triangular_solve.jvp([a, b], [da, new Zero(b.aval)], o)
      expectFd(dxa, (e) => c(triangularSolve(axpy(a, da, e), b, o)))
      const [, [dxb]] = R.triangular_solve.jvp([a, b], [new Zero(a.aval), db], o)
      expectFd(dxb, (e) => c(triangularSolve(a, axpy(b, db, e), o)))
    })
  }

  for (const o of ALL_OPTS) {
    it(`transpose satisfies <ct, solve(a, t)> = <solveᵀ(ct), t>: ${optStr(o)}`, () => {
      const a = triangular([2], 4, o)
      const b = rand(bShape([2], 4, 3, o))
      const [t, ct] = [rand(b.shape), rand(b.shape)]
      const [na, ctb] = R.triangular_solve.transpose([ct], [a, new UndefPrimal(b.aval)], o)
      expect(na).toBeNull()
      expect(c(ctb).shape).toEqual(b.shape)
      expect(vdot(c(ctb).data, t.data)).toBeCloseTo(vdot(ct.data, c(triangularSolve(a, t, o)).data), 10)
    })
  }

  it('transpose: a Zero cotangent gives Zero; a linear a is rejected', () => {
    const o = ALL_OPTS[0]
    const [a, b] = [rand([2, 2]), rand([2, 2])]
    const [, z] = R.triangular_solve.transpose([new Zero(b.aval)], [a, new UndefPrimal(b.aval)], o)
    expect(isZero(z)).toBe(true)
    expect(() => R.triangular_solve.transpose([b], [new UndefPrimal(a.aval), new UndefPrimal(b.aval)], o)).toThrow(/not linear/)
  })

  const N = 3
  const checkBatch = (o: SolveOpts, ba: BDim, bb: BDim) => {
    const as = Array.from({ length: N }, () => triangular([2], 3, o))
    const bs = Array.from({ length: N }, () => rand(bShape([2], 3, 2, o)))
    const A = ba === null ? as[0] : stack(as, ba)
    const B = bb === null ? bs[0] : stack(bs, bb)
    const [[out], [bo]] = R.triangular_solve.batch(N, [A, B], [ba, bb], o)
    const per = as.map((_, i) => c(triangularSolve(as[ba === null ? 0 : i], bs[bb === null ? 0 : i], o)))
    const want = stack(per, bo as number)
    expect(c(out).shape).toEqual(want.shape)
    expectClose(c(out).data, want.data, 1e-12)
  }
  for (const o of ALL_OPTS.filter((q) => !q.unitDiagonal)) {
    it(`batch rule agrees with per-example results: ${optStr(o)}`, () => {
      for (let ba = 0; ba <= 3; ba++) {
        for (let bb = 0; bb <= 3; bb++) checkBatch(o, ba, bb)
        checkBatch(o, ba, null)
      }
      for (let bb = 0; bb <= 3; bb++) checkBatch(o, null, bb)
    })
  }

  it('batching b alone folds the batch into b (no broadcast of a)', () => {
    for (const leftSide of [true, false]) {
      const o = { leftSide, lower: true, transposeA: false, unitDiagonal: false }
      const j = traceToJaxpr(
        (a, b) => R.triangular_solve.batch(N, [a, b], [null, 0], o)[0],
        [shaped([2, 3, 3], 'float64'), shaped([N, ...bShape([2], 3, 2, o)], 'float64')],
      )
      const prims = j.jaxpr.eqns.map((e) => e.prim)
      expect(prims).not.toContain('broadcast_in_dim')
      expect(prims.filter((p) => p === 'triangular_solve')).toHaveLength(1)
    }
  })
})

// ---- lu ----------------------------------------------------------------------------------

/** Unpack lu into L (unit lower) and U (upper). */
const unpack = (f: Mat): [Mat, Mat] => [
  f.map((row, i) => row.map((v, j) => (j < i ? v : j === i ? 1 : 0))),
  f.map((row, i) => row.map((v, j) => (j >= i ? v : 0))),
]
const rowsOf = (x: ConcreteArray, n: number): number[][] => {
  const count = x.size / (n || 1)
  return Array.from({ length: n === 0 ? 0 : count }, (_, q) => Array.from(x.data.slice(q * n, (q + 1) * n), Number))
}

describe('lu', () => {
  it('pivots a 2×2 matrix (hand-computed)', () => {
    const [f, piv, perm] = lu(fromFlat([1, 2, 3, 4], [2, 2])).map(c)
    expect(perm.tolist()).toEqual([1, 0])
    expect(piv.tolist()).toEqual([1, 1])
    const v = f.data
    expect([v[0], v[1], v[2]]).toEqual([3, 4, 1 / 3])
    expect(v[3]).toBeCloseTo(2 / 3, 15)
    const [f2, piv2, perm2] = lu(fromFlat([0, 1, 1, 0], [2, 2])).map(c)
    expect(f2.tolist()).toEqual([[1, 0], [0, 1]])
    expect(piv2.tolist()).toEqual([1, 1])
    expect(perm2.tolist()).toEqual([1, 0])
  })

  it('reconstructs a[perm] = L·U with |L| ≤ 1, and pivots consistent with perm', () => {
    const a = rand([2, 3, 5, 5])
    const [f, piv, perm] = lu(a).map(c)
    expect(f.shape).toEqual([2, 3, 5, 5])
    expect(piv.shape).toEqual([2, 3, 5])
    expect(perm.shape).toEqual([2, 3, 5])
    expect(piv.dtype).toBe('int32')
    expect(perm.dtype).toBe('int32')
    const ps = rowsOf(perm, 5)
    const pv = rowsOf(piv, 5)
    mats(f).forEach((fm, q) => {
      const [L, U] = unpack(fm)
      const A = mats(a)[q]
      expect(maxDiff(mm(L, U), ps[q].map((r) => A[r]))).toBeLessThan(1e-12)
      L.forEach((row) => row.forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(1)))
      // the permutation is the identity with the swaps applied in order
      const p = [0, 1, 2, 3, 4]
      pv[q].forEach((s, i) => {
        expect(s).toBeGreaterThanOrEqual(i)
        ;[p[i], p[s]] = [p[s], p[i]]
      })
      expect(p).toEqual(ps[q])
    })
  })

  it('singular and degenerate matrices: no NaNs, zero pivots left in place', () => {
    const [f, piv, perm] = lu(fromFlat([0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 3])).map(c)
    expect(Array.from(f.data)).toEqual(new Array(9).fill(0))
    expect(Array.from(piv.data)).toEqual([0, 1, 2])
    expect(Array.from(perm.data)).toEqual([0, 1, 2])
    // rank 1: [[1,2],[2,4]]
    const a = fromFlat([1, 2, 2, 4], [2, 2])
    const [g, , pm] = lu(a).map(c)
    const [L, U] = unpack(mats(g)[0])
    expect(maxDiff(mm(L, U), rowsOf(pm, 2)[0].map((r) => mats(a)[0][r]))).toBe(0)
  })

  it('1×1 and 0×0 matrices, float32', () => {
    const [f, piv, perm] = lu(fromFlat([-3], [1, 1])).map(c)
    expect([f.tolist(), piv.tolist(), perm.tolist()]).toEqual([[[-3]], [0], [0]])
    const [e, epiv, eperm] = lu(fromFlat([], [2, 0, 0])).map(c)
    expect([e.shape, epiv.shape, eperm.shape]).toEqual([[2, 0, 0], [2, 0], [2, 0]])
    const a = rand([4, 4], 'float32')
    const [g, , pm] = lu(a).map(c)
    expect(g.dtype).toBe('float32')
    const [L, U] = unpack(mats(g)[0])
    expect(maxDiff(mm(L, U), rowsOf(pm, 4)[0].map((r) => mats(a)[0][r]))).toBeLessThan(1e-6)
  })

  it('validates shapes and dtypes', () => {
    expect(() => lu(rand([2, 3]))).toThrow(ShapeError)
    expect(() => lu(rand([2, 3]))).toThrow(/lu needs square matrices in the last two axes of its operand, got f64\[2,3\]/)
    expect(() => lu(rand([4]))).toThrow(ShapeError)
    expect(() => lu(fromFlat([1, 2, 3, 4], [2, 2], 'int32'))).toThrow(DTypeError)
  })

  it('jvp matches central finite differences; pivots and permutation have Zero tangents', () => {
    const a = rand([2, 4, 4])
    const da = rand([2, 4, 4])
    const [[f, piv, perm], [df, dpiv, dperm]] = R.lu.jvp([a], [da], {})
    expectClose(c(f).data, c(lu(a)[0]).data, 0)
    expect(Array.from(c(piv).data)).toEqual(Array.from(c(lu(a)[1]).data))
    expect(Array.from(c(perm).data)).toEqual(Array.from(c(lu(a)[2]).data))
    expect(isZero(dpiv) && isZero(dperm)).toBe(true)
    expect((dperm as Zero).aval.dtype).toBe('int32')
    // the step is small enough that the pivoting does not change
    const f2 = (e: number) => {
      const [g, , pm] = lu(axpy(a, da, e)).map(c)
      expect(Array.from(pm.data)).toEqual(Array.from(c(perm).data))
      return g
    }
    expectFd(df, f2)
    const [, tz] = R.lu.jvp([a], [new Zero(a.aval)], {})
    expect(tz.every(isZero)).toBe(true)
  })

  it('batch rule agrees with per-example results', () => {
    const xs = Array.from({ length: 3 }, () => rand([2, 3, 3]))
    for (const b of [0, 1, 2, 3]) {
      const [outs, bos] = R.lu.batch(3, [stack(xs, b)], [b], {})
      expect(outs).toHaveLength(3)
      outs.forEach((o, k) => {
        const want = stack(xs.map((x) => c(lu(x)[k])), bos[k] as number)
        expect(c(o).shape).toEqual(want.shape)
        expectClose(c(o).data, want.data, 0)
      })
    }
  })
})

// ---- the rules are programs in primitives ------------------------------------------------

describe('linalg rules stage (traceable, so differentiable again)', () => {
  it('jvps trace to jaxprs of primitives', () => {
    const s = shaped([2, 3, 3], 'float64')
    const o = { leftSide: false, lower: false, transposeA: true, unitDiagonal: true }
    const chol = traceToJaxpr((a, da) => R.cholesky.jvp([a], [da], {})[1] as Tracer[], [s, s])
    expect(chol.jaxpr.eqns.map((e) => e.prim)).toEqual(expect.arrayContaining(['cholesky', 'triangular_solve', 'dot_general']))
    const sol = traceToJaxpr((a, b, da, db) => R.triangular_solve.jvp([a, b], [da, db], o)[1] as Tracer[], [s, s, s, s])
    expect(sol.jaxpr.outs[0].aval.shape).toEqual([2, 3, 3])
    const l = traceToJaxpr((a, da) => [R.lu.jvp([a], [da], {})[1][0] as Tracer], [s, s])
    expect(l.jaxpr.eqns.map((e) => e.prim)).toEqual(expect.arrayContaining(['lu', 'triangular_solve', 'dot_general', 'iota']))
  })
})
