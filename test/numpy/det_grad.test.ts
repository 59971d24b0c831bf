/**
 * grad(det) is the cofactor matrix (the adjugate transposed), also at singular matrices, where
 * det(a)·a⁻ᵀ is NaN. Closed forms by hand; nonsingular cases against det·a⁻ᵀ and float64
 * central differences.
 */
import { describe, expect, it } from 'vitest'
import { np, grad, jit, vmap, hessian, jacrev } from '../../src'
import type { Array } from '../../src'

/** −0 and 0 compare equal here (JSON has no −0). */
const z = <T>(x: T): T => JSON.parse(JSON.stringify(x))
const gdet = (m: number[][]) => z(grad(np.linalg.det)(np.array(m)).tolist() as number[][])
const close = (a: number[][], b: number[][], tol = 1e-12) =>
  a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i][j])))))

describe('grad(np.linalg.det)', () => {
  it('at singular matrices: the adjugate transpose, not NaN', () => {
    expect(gdet([[1, 2], [2, 4]])).toEqual([[4, -2], [-2, 1]])
    // a zero pivot that is not the last one: [[0, 1], [0, 2]] has cofactors [[2, 0], [−1, 0]]
    expect(gdet([[0, 1], [0, 2]])).toEqual([[2, 0], [-1, 0]])
    expect(gdet([[0, 0], [0, 0]])).toEqual([[0, 0], [0, 0]])
    for (const n of [3, 4]) {
      const zs = np.zeros([n, n])
      expect(z(grad(np.linalg.det)(zs).tolist())).toEqual(np.zeros([n, n]).tolist())
    }
    // rank 1 in 3×3: every 2×2 minor vanishes
    close(gdet([[1, 2, 3], [2, 4, 6], [3, 6, 9]]), [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
    // rank 2 in 3×3: cofactors by hand (C_ij = (−1)^{i+j} M_ij)
    close(gdet([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), [[-3, 6, -3], [6, -12, 6], [-3, 6, -3]])
  })

  it('at nonsingular matrices: det(a)·a⁻ᵀ and central differences', () => {
    const m = [[2, -1, 0.5], [0.3, 4, 1], [-2, 0.7, 3]]
    const a = np.array(m)
    const want = np.linalg.inv(a).T.mul(np.linalg.det(a)).tolist() as number[][]
    close(gdet(m), want)
    const h = 1e-6
    m.forEach((row, i) => row.forEach((_, j) => {
      const p = m.map((r) => [...r]), q = m.map((r) => [...r])
      p[i][j] += h
      q[i][j] -= h
      const fd = (np.linalg.det(np.array(p)).item() - np.linalg.det(np.array(q)).item()) / (2 * h)
      expect(Math.abs(gdet(m)[i][j] - fd)).toBeLessThan(1e-8)
    }))
  })

  it('under jit, vmap and jacrev, and in float32', () => {
    expect(z(jit(grad(np.linalg.det))(np.array([[1, 2], [2, 4]])).tolist())).toEqual([[4, -2], [-2, 1]])
    const batch = np.array([[[1, 2], [2, 4]], [[2, 1], [1, 3]]])
    expect(z(vmap(grad(np.linalg.det))(batch).tolist())).toEqual([[[4, -2], [-2, 1]], [[3, -1], [-1, 2]]])
    expect(z(jacrev(np.linalg.det)(batch).tolist())).toEqual([
      [[[4, -2], [-2, 1]], [[0, 0], [0, 0]]],
      [[[0, 0], [0, 0]], [[3, -1], [-1, 2]]],
    ])
    const f32 = grad(np.linalg.det)(np.array([[1, 2], [2, 4]], { dtype: 'float32' }))
    expect(f32.dtype).toBe('float32')
    expect(z(f32.tolist())).toEqual([[4, -2], [-2, 1]])
  })

  it('stays differentiable: the Hessian of det of a 2×2 is the constant ∂²(ad − bc)', () => {
    for (const m of [[[1, 2], [3, 4]], [[0, 0], [0, 0]]]) {
      expect(z(hessian(np.linalg.det)(np.array(m)).tolist())).toEqual([
        [[[0, 0], [0, 1]], [[0, 0], [-1, 0]]],
        [[[0, -1], [0, 0]], [[1, 0], [0, 0]]],
      ])
    }
    // third derivative of det of a 3×3 at 0: ∂³ det / ∂a00 ∂a11 ∂a22 = 1
    const e = (i: number) => np.array([0, 1, 2].map((r) => [0, 1, 2].map((c) => (r === i && c === i ? 1 : 0))))
    const d3 = grad((x: Array) => grad((y: Array) => grad(np.linalg.det)(y).mul(e(0)).sum())(x).mul(e(1)).sum())(np.zeros([3, 3]))
    expect(z(d3.tolist())).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 1]])
  })

  it('large matrices use det·a⁻ᵀ', () => {
    const a = np.eye(20).mul(2)
    const g = grad(np.linalg.det)(a).tolist() as number[][]
    expect(g[0][0]).toBe(2 ** 19)
    expect(g[0][1]).toBe(0)
  })
})
