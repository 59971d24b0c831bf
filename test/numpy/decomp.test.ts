// np.linalg decompositions in float64: accuracy against closed forms and backward-error bounds
// (a small multiple of n·ε·‖A‖), gauge, rank-deficient and non-finite inputs, float32,
// batching (leading axes, vmap), jit, higher derivatives against finite differences, errors.
import { describe, expect, it } from 'vitest'
import {
  type Array, DTypeError, NonDifferentiableError, ShapeError, ValueError, grad, hessian, jacobian, jacrev, jit, jvp, lax, np, vmap,
} from '../../src'

const EPS = 2 ** -52

/** A seeded uniform generator in [−1, 1). */
const rng = (seed: number) => () => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0
  return (((seed >>> 8) & 0xffffff) / 0x1000000) * 2 - 1
}
const randMat = (m: number, n: number, seed: number): number[][] => {
  const r = rng(seed)
  return Array_from(m, () => Array_from(n, () => r()))
}
const Array_from = <T>(n: number, f: (i: number) => T): T[] => globalThis.Array.from({ length: n }, (_, i) => f(i))
const rows = (x: Array): number[][] => x.tolist() as number[][]
const mm = (a: number[][], b: number[][]): number[][] => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)))
const tr = (a: number[][]): number[][] => a[0].map((_, j) => a.map((r) => r[j]))
const maxAbsDiff = (a: number[][], b: number[][]): number => Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i][j]))))
const eyeRows = (n: number): number[][] => Array_from(n, (i) => Array_from(n, (j) => (i === j ? 1 : 0)))
const normMax = (a: number[][]): number => Math.max(...a.flat().map(Math.abs))
const diagRows = (d: number[], m: number, n: number): number[][] => Array_from(m, (i) => Array_from(n, (j) => (i === j ? d[i] : 0)))

/** tridiag(off, diag, off) of size n. */
const toeplitz = (n: number, diag: number, off: number): number[][] =>
  Array_from(n, (i) => Array_from(n, (j) => (i === j ? diag : Math.abs(i - j) === 1 ? off : 0)))

/** An orthogonal matrix as a product of Householder reflections I − 2vvᵀ/vᵀv (built here). */
const orthogonal = (n: number, seed: number): number[][] => {
  let q = eyeRows(n)
  const r = rng(seed)
  for (let k = 0; k < 3; k++) {
    const v = Array_from(n, () => r())
    const vv = v.reduce((s, t) => s + t * t, 0)
    const h = Array_from(n, (i) => Array_from(n, (j) => (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv))
    q = mm(q, h)
  }
  return q
}

/** Central difference of f along d at x. */
const fd = (f: (x: Array) => Array, x: number[][], d: number[][], h = 1e-5): number[] => {
  const at = (t: number) => f(np.array(x.map((r, i) => r.map((v, j) => v + t * d[i][j])))).reshape([-1]).tolist() as number[]
  const p = at(h)
  const m = at(-h)
  return p.map((v, i) => (v - m[i]) / (2 * h))
}

describe('eigh: accuracy', () => {
  it('tridiagonal Toeplitz matrices: eigenvalues 2 − 2cos(kπ/(n+1)) and 2cos(kπ/(n+1))', () => {
    const n = 40
    const w1 = np.linalg.eigvalsh(np.array(toeplitz(n, 2, -1))).tolist() as number[]
    const w2 = np.linalg.eigvalsh(np.array(toeplitz(n, 0, 1))).tolist() as number[]
    const exact1 = Array_from(n, (k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)))
    const exact2 = Array_from(n, (k) => 2 * Math.cos(((n - k) * Math.PI) / (n + 1)))
    // ‖A‖₂ ≤ 4: the error bound n·ε·‖A‖ is 40·4·ε; the errors are far below it
    const err1 = Math.max(...w1.map((w, k) => Math.abs(w - exact1[k])))
    const err2 = Math.max(...w2.map((w, k) => Math.abs(w - exact2[k])))
    expect(err1).toBeLessThan(n * 4 * EPS)
    expect(err2).toBeLessThan(n * 4 * EPS)
    // ascending order
    expect(w1.every((w, k) => k === 0 || w >= w1[k - 1])).toBe(true)
  })
  it('a random symmetric 30×30 matrix: A = V·diag(w)·Vᵀ and VᵀV = I within n·ε·‖A‖', () => {
    const n = 30
    const m = randMat(n, n, 7)
    const a = m.map((r, i) => r.map((v, j) => v + m[j][i]))
    const [w, v] = np.linalg.eigh(np.array(a))
    const V = rows(v)
    const W = w.tolist() as number[]
    const rec = mm(mm(V, diagRows(W, n, n)), tr(V))
    expect(maxAbsDiff(rec, a)).toBeLessThan(n * EPS * normMax(a) * 4)
    expect(maxAbsDiff(mm(tr(V), V), eyeRows(n))).toBeLessThan(n * EPS * 4)
    // the gauge: each column's entry of largest magnitude is positive
    for (let j = 0; j < n; j++) {
      const col = V.map((r) => r[j])
      const big = col.reduce((b, t) => (Math.abs(t) > Math.abs(b) ? t : b), 0)
      expect(big).toBeGreaterThan(0)
    }
  })
  it('UPLO and symmetrizeInput: only the named triangle is read without symmetrizing', () => {
    const lower = [[2, 0], [1, 3]]
    const upper = [[2, 1], [0, 3]]
    const exact = [(5 - Math.sqrt(5)) / 2, (5 + Math.sqrt(5)) / 2]
    const close = (x: Array) => (x.tolist() as number[]).forEach((t, i) => expect(t).toBeCloseTo(exact[i], 14))
    close(np.linalg.eigvalsh(np.array(lower), 'L', { symmetrizeInput: false }))
    close(np.linalg.eigvalsh(np.array(upper), 'U', { symmetrizeInput: false }))
    // symmetrized by default: (a + aᵀ)/2 = [[2, .5], [.5, 3]]
    const w = np.linalg.eigvalsh(np.array(lower)).tolist() as number[]
    expect(w[0]).toBeCloseTo((5 - Math.sqrt(2)) / 2, 14)
  })
})

describe('svd: accuracy', () => {
  for (const [m, n] of [[30, 20], [20, 30], [25, 25]] as const) {
    it(`${m}×${n}: known singular values, reconstruction, orthogonality (thin and full)`, () => {
      const k = Math.min(m, n)
      const s = Array_from(k, (i) => 10 - (9 * i) / (k - 1)) // 10 … 1
      const a = mm(mm(orthogonal(m, 3), diagRows(s, m, n)), orthogonal(n, 5))
      const scale = EPS * Math.max(m, n) * 10
      const sv = np.linalg.svdvals(np.array(a)).tolist() as number[]
      expect(Math.max(...sv.map((t, i) => Math.abs(t - s[i])))).toBeLessThan(scale * 4)
      for (const fullMatrices of [false, true]) {
        const [u, sd, vh] = np.linalg.svd(np.array(a), { fullMatrices })
        const U = rows(u)
        const Vh = rows(vh)
        expect([U.length, U[0].length, Vh.length, Vh[0].length]).toEqual(fullMatrices ? [m, m, n, n] : [m, k, k, n])
        const S = diagRows(sd.tolist() as number[], U[0].length, Vh.length)
        expect(maxAbsDiff(mm(mm(U, S), Vh), a)).toBeLessThan(scale * 10)
        expect(maxAbsDiff(mm(tr(U), U), eyeRows(U[0].length))).toBeLessThan(scale)
        expect(maxAbsDiff(mm(Vh, tr(Vh)), eyeRows(Vh.length))).toBeLessThan(scale)
      }
    })
  }
  it('rank-deficient and zero matrices: zero singular values, u still orthonormal', () => {
    for (const a of [[[0, 0], [0, 0], [0, 0]], [[1, 2], [2, 4], [3, 6]], [[1, 0, 0], [0, 0, 0]]]) {
      const [u, s, vh] = np.linalg.svd(np.array(a))
      const U = rows(u)
      expect(maxAbsDiff(mm(tr(U), U), eyeRows(U.length))).toBeLessThan(1e-14)
      const V = rows(vh)
      expect(maxAbsDiff(mm(V, tr(V)), eyeRows(V.length))).toBeLessThan(1e-14)
      const S = diagRows(s.tolist() as number[], U.length, V.length)
      expect(maxAbsDiff(mm(mm(U, S), V), a)).toBeLessThan(1e-14)
    }
    expect(np.linalg.svdvals(np.array([[1, 2], [2, 4], [3, 6]])).tolist()).toEqual([Math.sqrt(70), 0])
    expect(np.linalg.matrixRank(np.array([[1, 2], [2, 4], [3, 6]])).item()).toBe(1)
  })
})

describe('qr: accuracy and modes', () => {
  for (const [m, n] of [[30, 20], [20, 30], [12, 12]] as const) {
    it(`${m}×${n}: Q·R = A, QᵀQ = I, R upper triangular with diag ≥ 0`, () => {
      const a = randMat(m, n, 11 + m)
      const k = Math.min(m, n)
      for (const mode of ['reduced', 'complete'] as const) {
        const [q, r] = np.linalg.qr(np.array(a), mode)
        const Q = rows(q)
        const R = rows(r)
        const qc = mode === 'complete' ? m : k
        expect([Q.length, Q[0].length, R.length, R[0].length]).toEqual([m, qc, qc, n])
        expect(maxAbsDiff(mm(Q, R), a)).toBeLessThan(10 * m * EPS * normMax(a))
        expect(maxAbsDiff(mm(tr(Q), Q), eyeRows(qc))).toBeLessThan(10 * m * EPS)
        R.forEach((row, i) => row.forEach((v, j) => j < i && expect(v).toBe(0)))
        for (let i = 0; i < k; i++) expect(R[i][i]).toBeGreaterThanOrEqual(0)
      }
      expect(np.linalg.qr(np.array(a), 'r').shape).toEqual([k, n])
    })
  }
})

describe('non-finite input, float32, batches, vmap, jit', () => {
  it('a NaN or ∞ entry gives NaN results (no hang)', () => {
    const bad = np.array([[1, NaN], [NaN, 2]])
    expect((np.linalg.eigvalsh(bad).tolist() as number[]).every(Number.isNaN)).toBe(true)
    expect((np.linalg.svdvals(np.array([[1, Infinity], [0, 2]])).tolist() as number[]).every(Number.isNaN)).toBe(true)
    expect((rows(np.linalg.qr(bad, 'r')).flat()).every(Number.isNaN)).toBe(true)
  })
  it('entries near the ends of the float64 range: no overflow or underflow in sums of squares', () => {
    const exact = [(5 + Math.sqrt(5)) / 2, (5 - Math.sqrt(5)) / 2] // of [[2, 1], [1, 3]]
    for (const k of [1e300, 1e-300]) {
      const a = np.array([[2, 1], [1, 3]]).mul(k)
      const rel = (x: Array, want: number[]) => (x.div(k).tolist() as number[]).forEach((t, i) => expect(Math.abs(t - want[i])).toBeLessThan(1e-15 * 4))
      rel(np.linalg.eigvalsh(a), [exact[1], exact[0]])
      rel(np.linalg.svdvals(a), exact)
      const r = rows(np.linalg.qr(a, 'r').div(k))
      expect(Math.abs(r[0][0] - Math.sqrt(5))).toBeLessThan(1e-14)
      expect(Math.abs(r[0][0] * r[1][1] - 5)).toBeLessThan(1e-14) // |det| = 5
    }
  })
  it('float32 in, float32 out, accurate to float32', () => {
    const a = np.array(toeplitz(8, 2, -1), { dtype: 'float32' })
    const w = np.linalg.eigvalsh(a)
    expect(w.dtype).toBe('float32')
    const exact = Array_from(8, (k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / 9))
    ;(w.tolist() as number[]).forEach((t, k) => expect(Math.abs(t - exact[k])).toBeLessThan(1e-6))
    const [u, s, vh] = np.linalg.svd(a)
    expect([u.dtype, s.dtype, vh.dtype]).toEqual(['float32', 'float32', 'float32'])
    expect(np.linalg.norm(a, 2).dtype).toBe('float32')
  })
  it('leading batch axes, vmap and jit agree with one matrix at a time', () => {
    const batch = [randMat(4, 3, 1), randMat(4, 3, 2), randMat(4, 3, 3)]
    const x = np.array(batch)
    const one = batch.map((b) => np.linalg.svdvals(np.array(b)).tolist())
    expect(np.linalg.svdvals(x).tolist()).toEqual(one)
    expect(vmap((t: Array) => np.linalg.svdvals(t))(x).tolist()).toEqual(one)
    expect(jit((t: Array) => np.linalg.svdvals(t))(x).tolist()).toEqual(one)
    const f = (t: Array) => {
      const [q, r] = np.linalg.qr(t)
      return q.sum().add(r.mul(r).sum())
    }
    const gs = batch.map((b) => grad(f)(np.array(b)).tolist())
    expect(vmap(grad(f))(x).tolist()).toEqual(gs)
    const jg = jit(vmap(grad(f)))(x).tolist() as number[][][]
    jg.forEach((g, i) => expect(maxAbsDiff(g, gs[i] as number[][])).toBeLessThan(1e-13))
    // eigh batched over axis 1 via inAxes
    const sym = np.array(batch.map((b) => mm(tr(b), b)))
    const w = vmap((t: Array) => np.linalg.eigvalsh(t), { inAxes: 1 })(np.moveaxis(sym, 0, 1))
    expect(maxAbsDiff(w.tolist() as number[][], np.linalg.eigvalsh(sym).tolist() as number[][])).toBeLessThan(1e-14)
  })
})

describe('derivatives', () => {
  it('np.linalg.norm(A, 2): gradient u₁v₁ᵀ, and its second derivative against finite differences', () => {
    const a = randMat(4, 3, 21)
    const g = rows(grad((x: Array) => np.linalg.norm(x, 2))(np.array(a)))
    const [u, , vh] = np.linalg.svd(np.array(a))
    const U = rows(u)
    const V = rows(vh)
    expect(maxAbsDiff(g, a.map((_, i) => a[0].map((__, j) => U[i][0] * V[0][j])))).toBeLessThan(1e-14)
    const d = randMat(4, 3, 22)
    const gradF = (x: Array) => grad((y: Array) => np.linalg.norm(y, 2))(x)
    const [, hd] = jvp(gradF, [np.array(a)], [np.array(d)])
    const num = fd(gradF, a, d)
    ;(hd.reshape([-1]).tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(num[i], 7))
  })
  it('grad of grad through eigh, svd and qr matches finite differences of the gradient', () => {
    const f = (x: Array) => {
      const w = np.linalg.eigvalsh(x)
      const [, s] = np.linalg.svd(x, { fullMatrices: false })
      const r = np.linalg.qr(x, 'r')
      return w.mul(w).sum().add(s.max()).add(r.sin().sum())
    }
    const a = randMat(3, 3, 31).map((r, i) => r.map((v, j) => v + (i === j ? 3 * i : 0)))
    const d = randMat(3, 3, 32)
    const H = hessian(f)(np.array(a)) as Array // [3, 3, 3, 3]
    const hd = np.tensordot(H, np.array(d), 2).reshape([-1]).tolist() as number[]
    const num = fd((x) => grad(f)(x), a, d)
    hd.forEach((v, i) => expect(v).toBeCloseTo(num[i], 6))
  })
  it('pinv and lstsq: second derivatives against finite differences, and vmap', () => {
    const a = randMat(4, 3, 51)
    const d = randMat(4, 3, 52)
    const c = np.array(randMat(3, 4, 53))
    const f = (x: Array) => np.linalg.pinv(x).mul(c).sum().add(np.linalg.lstsq(x, np.array([1, -2, 0.5, 3]))[0].square().sum())
    const gradF = (x: Array) => grad(f)(x)
    const [, hd] = jvp(gradF, [np.array(a)], [np.array(d)])
    const num = fd(gradF, a, d)
    ;(hd.reshape([-1]).tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(num[i], 6))
    const xs = np.array([a, d])
    expect(vmap((t: Array) => np.linalg.pinv(t))(xs).tolist()).toEqual(np.linalg.pinv(xs).tolist())
  })
  it('eigenvalue gradients stay finite at a repeated eigenvalue; eigenvector tangents do not', () => {
    const g = grad((x: Array) => np.linalg.eigvalsh(x).sum())(np.eye(3))
    expect(rows(g)).toEqual(eyeRows(3))
    const [, [dv]] = jvp((x: Array) => lax.eigh(x), [np.eye(2)], [np.array([[0, 1], [1, 0]])]) as unknown as [Array[], Array[]]
    expect((rows(dv).flat()).some((t) => !Number.isFinite(t))).toBe(true)
  })
  it('the full-matrices SVD and complete QR of non-square matrices are not differentiable (a named error)', () => {
    const a = np.array(randMat(3, 2, 41))
    expect(() => grad((x: Array) => np.linalg.svd(x)[0].sum())(a)).toThrow(NonDifferentiableError)
    expect(() => grad((x: Array) => np.linalg.svd(x)[0].sum())(a)).toThrow(/fullMatrices: false/)
    expect(() => grad((x: Array) => np.linalg.qr(x, 'complete')[0].sum())(a)).toThrow(NonDifferentiableError)
    // as JAX: even when only s is used (the rule differentiates the whole decomposition); the
    // singular values alone differentiate through svdvals or fullMatrices: false
    expect(() => grad((x: Array) => np.linalg.svd(x)[1].sum())(a)).toThrow(NonDifferentiableError)
    expect(grad((x: Array) => np.linalg.svdvals(x).sum())(a).shape).toEqual([3, 2])
    expect(grad((x: Array) => np.linalg.svd(x, { fullMatrices: false })[1].sum())(a).shape).toEqual([3, 2])
  })
})

describe('errors and the jacobian alias', () => {
  it('clear errors', () => {
    expect(() => np.linalg.eigh(np.zeros([2, 3]))).toThrow(ShapeError)
    expect(() => np.linalg.eigh(np.eye(2), 'X' as 'L')).toThrow(/UPLO must be 'L', 'U' or null, got "X"/)
    expect(() => np.linalg.qr(np.eye(2), 'raw' as 'r')).toThrow(ValueError)
    expect(() => np.linalg.svd(np.zeros([3]))).toThrow(ShapeError)
    expect(() => np.linalg.lstsq(np.zeros([2, 2, 2]), np.zeros([2]))).toThrow(ShapeError)
    expect(() => np.linalg.lstsq(np.zeros([3, 2]), np.zeros([2]))).toThrow(/leading axes/)
    expect(() => np.linalg.matrixPower(np.eye(2), 1.5)).toThrow(ValueError)
    expect(() => np.linalg.multiDot([np.eye(2)])).toThrow(/at least two/)
    expect(() => np.linalg.multiDot([np.eye(2), np.zeros([3, 2])])).toThrow(/do not chain/)
    expect(() => np.linalg.cond(np.zeros([2, 3]), 1)).toThrow(/square/)
    expect(() => lax.eigh(np.array([[1, 0], [0, 1]], { dtype: 'int32' }))).toThrow(DTypeError)
    // integer input to np functions is converted to float64
    expect(np.linalg.svdvals(np.array([[3, 0], [0, 4]], { dtype: 'int32' })).tolist()).toEqual([4, 3])
  })
  it('the namespaces export the new names', () => {
    const names = ['eigh', 'eigvalsh', 'svd', 'svdvals', 'qr', 'lstsq', 'pinv', 'matrixPower', 'matrixRank', 'cond', 'multiDot', 'norm']
    for (const n of names) expect(typeof (np.linalg as Record<string, unknown>)[n], n).toBe('function')
    for (const n of ['eigh', 'svd', 'qr']) expect(typeof (lax as unknown as Record<string, unknown>)[n], n).toBe('function')
  })
  it('lax.eigh / svd / qr follow jax.lax.linalg: output order and full-matrices defaults', () => {
    const x = np.array([[1, 2], [3, 4], [5, 6]])
    const [u, s, vh] = lax.svd(x)
    expect([u.shape, s.shape, vh.shape]).toEqual([[3, 3], [2], [2, 2]])
    expect(lax.svd(x, { computeUv: false }).tolist()).toEqual(np.linalg.svdvals(x).tolist())
    const [q, r] = lax.qr(x)
    expect([q.shape, r.shape]).toEqual([[3, 3], [3, 2]])
    // symmetrized by default, like jnp.linalg.eigh
    const a = np.array([[2, 0], [1, 3]])
    expect(lax.eigh(a)[1].tolist()).toEqual(np.linalg.eigvalsh(a).tolist())
    expect(lax.eigh(a, { symmetrizeInput: false, lower: false })[1].tolist()).toEqual([2, 3])
  })
  it('jacobian is jacrev', () => {
    expect(jacobian).toBe(jacrev)
    const f = (x: Array) => np.linalg.svdvals(x.reshape([2, 2]))
    const x = np.array([1, 2, 3, 4.5])
    const J = jacobian(f)(x) as Array
    expect(J.shape).toEqual([2, 4])
    const d = [0.3, -0.2, 0.5, 0.1]
    const num = fd((t) => f(t.reshape([4])), [[1, 2, 3, 4.5]], [d])
    const jd = rows(J).map((r) => r.reduce((s, v, k) => s + v * d[k], 0))
    jd.forEach((v, i) => expect(v).toBeCloseTo(num[i], 8))
  })
})
