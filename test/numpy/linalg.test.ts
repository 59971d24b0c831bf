import { describe, expect, it } from 'vitest'
import type { ConcreteArray } from '../../src/core/array'
import { ShapeError, ValueError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import { cholesky, det, inv, norm, slogdet, solve } from '../../src/numpy/linalg'
import { sum } from '../../src/numpy/reductions'
import { grad } from '../../src/transforms/autodiff'
import { vmap } from '../../src/transforms/vmap'
import { arr, at, expectClose, multiIndices, numGrad, rand, relErr, vals } from './dense'

/** A random well-conditioned n×n matrix (diagonally dominant), or a batch of them. */
const wellConditioned = (batch: number[], n: number): ConcreteArray => {
  const r = rand([...batch, n, n])
  const d = vals(r).map((v, i) => (Math.floor(i / n) % n === i % n ? v + 2 * n * Math.sign(v || 1) : v))
  return arr(d, [...batch, n, n])
}

/** Plain matrix product of one n×n matrix (rows) and an n×k matrix. */
const mm = (a: number[][], b: number[][]): number[][] => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)))
const rows = (x: Tracer, batch: number[] = []): number[][] => {
  const [n, m] = x.shape.slice(-2)
  return [...Array(n).keys()].map((i) => [...Array(m).keys()].map((j) => at(x, [...batch, i, j])))
}

/** det by the Leibniz formula: Σ over permutations σ of sgn(σ) Π a[i, σ(i)]. */
const leibniz = (a: number[][]): number => {
  const n = a.length
  let total = 0
  const perm = [...Array(n).keys()]
  const rec = (k: number, sgn: number): void => {
    if (k === n) {
      total += sgn * perm.reduce((p, s, i) => p * a[i][s], 1)
      return
    }
    for (let i = k; i < n; i++) {
      ;[perm[k], perm[i]] = [perm[i], perm[k]]
      rec(k + 1, i === k ? sgn : -sgn)
      ;[perm[k], perm[i]] = [perm[i], perm[k]]
    }
  }
  rec(0, 1)
  return total
}

describe('solve', () => {
  it('vector right-hand side: residual a·x − b ≈ 0', () => {
    const a = wellConditioned([], 5)
    const b = rand([5])
    const x = solve(a, b)
    expect(x.shape).toEqual([5])
    const r = mm(rows(a), vals(x).map((v) => [v])).map((row, i) => row[0] - vals(b)[i])
    r.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-12))
  })
  it('matrix right-hand sides with broadcast batch axes', () => {
    const a = wellConditioned([2, 1], 4)
    const b = rand([3, 4, 2])
    const x = solve(a, b)
    expect(x.shape).toEqual([2, 3, 4, 2])
    for (const [i, j] of multiIndices([2, 3])) {
      const ax = mm(rows(a, [i, 0]), rows(x, [i, j]))
      const bb = rows(b, [j])
      ax.forEach((row, p) => row.forEach((v, q) => expect(Math.abs(v - bb[p][q])).toBeLessThan(1e-12)))
    }
  })
  it('a batch of matrices against one vector; a pivoting case', () => {
    const a = wellConditioned([3], 3)
    const b = rand([3])
    const x = solve(a, b)
    expect(x.shape).toEqual([3, 3])
    for (let i = 0; i < 3; i++) {
      const ax = mm(rows(a, [i]), [0, 1, 2].map((k) => [at(x, [i, k])]))
      ax.forEach((row, p) => expect(Math.abs(row[0] - vals(b)[p])).toBeLessThan(1e-12))
    }
    // needs a row swap: the (0, 0) entry is zero
    const p = arr([0, 1, 1, 1], [2, 2])
    expectClose(solve(p, arr([2, 5], [2])), [2], [3, 2])
  })
  it('int inputs become float64', () => {
    const x = solve(arr([2, 0, 0, 4], [2, 2], 'int32'), arr([2, 2], [2], 'int32'))
    expect(x.dtype).toBe('float64')
    expectClose(x, [2], [1, 0.5])
  })
  it('gradient of Σ w·solve(a, b) matches finite differences in a and in b', () => {
    const a = wellConditioned([], 3)
    const b = rand([3])
    const w = rand([3])
    const f = (m: Tracer, v: Tracer) => sum(solve(m, v).mul(w))
    const [ga, gb] = grad(f, { argnums: [0, 1] })(a, b) as Tracer[]
    const na = numGrad((m) => f(m, b).item() as number, a)
    const nb = numGrad((v) => f(a, v).item() as number, b)
    vals(ga).forEach((g, i) => expect(relErr(g, na[i])).toBeLessThan(1e-6))
    vals(gb).forEach((g, i) => expect(relErr(g, nb[i])).toBeLessThan(1e-6))
  })
  it('vmap over right-hand sides', () => {
    const a = wellConditioned([], 3)
    const B = rand([4, 3])
    const X = vmap((v: Tracer) => solve(a, v))(B)
    expect(X.shape).toEqual([4, 3])
    for (let i = 0; i < 4; i++) {
      const ax = mm(rows(a), [0, 1, 2].map((k) => [at(X, [i, k])]))
      ax.forEach((row, p) => expect(Math.abs(row[0] - at(B, [i, p]))).toBeLessThan(1e-12))
    }
  })
  it('errors name the shapes', () => {
    expect(() => solve(rand([2, 3]), rand([2]))).toThrow(ShapeError)
    expect(() => solve(rand([2, 3]), rand([2]))).toThrow(/solve: expected square matrices in the last two axes, got f64\[2,3\]/)
    expect(() => solve(rand([3, 3]), rand([4]))).toThrow(/b must be a vector \[3\] or matrices \[\.\.\., 3, k\] to match a f64\[3,3\], got b f64\[4\]/)
    expect(() => solve(rand([2, 3, 3]), rand([4, 3, 1]))).toThrow(/batch axes of a f64\[2,3,3\] and b f64\[4,3,1\] do not broadcast/)
  })
})

describe('inv', () => {
  it('inv(a)·a = I, batched', () => {
    const a = wellConditioned([2], 4)
    const ia = inv(a)
    for (let b = 0; b < 2; b++) {
      const p = mm(rows(ia, [b]), rows(a, [b]))
      p.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - (i === j ? 1 : 0))).toBeLessThan(1e-12)))
    }
  })
  it('closed form for 2×2 and float32', () => {
    expectClose(inv(arr([4, 7, 2, 6], [2, 2])), [2, 2], [0.6, -0.7, -0.2, 0.4])
    const f = inv(arr([4, 7, 2, 6], [2, 2], 'float32'))
    expect(f.dtype).toBe('float32')
    expectClose(f, [2, 2], [0.6, -0.7, -0.2, 0.4], 1e-6)
  })
})

describe('det and slogdet', () => {
  it('triangular matrices: the product of the diagonal', () => {
    expectClose(det(arr([2, 5, 7, 0, 3, 1, 0, 0, -4], [3, 3])), [], [-24])
    expectClose(det(arr([2, 0, 0, 9, 3, 0, 1, 8, 0.5], [3, 3])), [], [3])
  })
  it('permutation matrices: their sign', () => {
    const permMatrix = (p: number[]) => arr(p.flatMap((c) => p.map((_, j) => (j === c ? 1 : 0))), [p.length, p.length])
    expectClose(det(permMatrix([1, 0, 2])), [], [-1])
    expectClose(det(permMatrix([1, 2, 0])), [], [1])
    expectClose(det(permMatrix([3, 2, 1, 0])), [], [1])
    expectClose(det(permMatrix([1, 0, 3, 2, 4])), [], [1])
    expectClose(det(permMatrix([4, 0, 1, 2, 3])), [], [1])
    expectClose(det(permMatrix([1, 2, 3, 4, 0, 5])), [], [1])
    expectClose(det(permMatrix([1, 2, 3, 0, 4, 5])), [], [-1])
  })
  it('random matrices (batched) against the Leibniz formula; empty and singular', () => {
    const a = rand([3, 4, 4])
    const d = det(a)
    expect(d.shape).toEqual([3])
    vals(d).forEach((v, b) => expect(relErr(v, leibniz(rows(a, [b])))).toBeLessThan(1e-12))
    expectClose(det(rand([0, 0])), [], [1])
    expectClose(det(arr([1, 2, 2, 4], [2, 2])), [], [0])
  })
  it('slogdet: sign·exp(logabsdet) = det, no overflow, singular → (0, −∞)', () => {
    const a = rand([2, 5, 5])
    const [s, l] = slogdet(a)
    vals(s).forEach((sg, b) => {
      const ref = leibniz(rows(a, [b]))
      expect(sg).toBe(Math.sign(ref))
      expect(relErr(vals(l)[b], Math.log(Math.abs(ref)))).toBeLessThan(1e-12)
    })
    const big = arr([1e200, 0, 0, 0, -1e200, 0, 0, 0, 1e200], [3, 3])
    expect(det(big).item()).toBe(-Infinity)
    const [sb, lb] = slogdet(big)
    expect(sb.item()).toBe(-1)
    expect(relErr(lb.item() as number, 600 * Math.log(10))).toBeLessThan(1e-14)
    const [s0, l0] = slogdet(arr([1, 2, 2, 4], [2, 2]))
    expect(s0.item()).toBe(0)
    expect(l0.item()).toBe(-Infinity)
  })
  it('d det(a)/da = det(a)·inv(a)ᵀ; d logabsdet/da = inv(a)ᵀ', () => {
    const a = wellConditioned([], 3)
    const g = grad((m: Tracer) => det(m))(a)
    const d = det(a).item() as number
    const ia = rows(inv(a))
    expectClose(g, [3, 3], multiIndices([3, 3]).map(([i, j]) => d * ia[j][i]), 1e-10)
    const gl = grad((m: Tracer) => slogdet(m)[1])(a)
    expectClose(gl, [3, 3], multiIndices([3, 3]).map(([i, j]) => ia[j][i]), 1e-10)
  })
  it('errors on non-square input', () => {
    expect(() => det(rand([2, 3]))).toThrow(/det: expected square matrices in the last two axes, got f64\[2,3\]/)
    expect(() => slogdet(rand([3]))).toThrow(ShapeError)
  })
})

describe('cholesky', () => {
  it('L is lower triangular with L·Lᵀ = a (batched)', () => {
    const m = rand([2, 4, 4])
    // a = m mᵀ + 4 I is symmetric positive definite
    const a = arr(
      multiIndices([2, 4, 4]).map(([b, i, j]) => [0, 1, 2, 3].reduce((s, k) => s + at(m, [b, i, k]) * at(m, [b, j, k]), 0) + (i === j ? 4 : 0)),
      [2, 4, 4],
    )
    const L = cholesky(a)
    for (let b = 0; b < 2; b++) {
      const l = rows(L, [b])
      l.forEach((row, i) => row.forEach((v, j) => j > i && expect(v).toBe(0)))
      const llt = mm(l, l[0].map((_, j) => l.map((row) => row[j])))
      llt.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - at(a, [b, i, j]))).toBeLessThan(1e-12)))
    }
  })
  it('symmetrizes its input (as jax.numpy) and gives NaN when not positive definite', () => {
    expectClose(cholesky(arr([4, 2, 2, 3], [2, 2])), [2, 2], [2, 0, 1, Math.SQRT2])
    expectClose(cholesky(arr([4, 0, 4, 3], [2, 2])), [2, 2], [2, 0, 1, Math.SQRT2])
    vals(cholesky(arr([1, 2, 2, 1], [2, 2]))).forEach((v) => expect(v).toBeNaN())
    expect(() => cholesky(rand([2, 3]))).toThrow(ShapeError)
  })
})

describe('norm', () => {
  const x = arr([3, -4, 0, 1, -2, 2], [6])
  const xs = vals(x)
  it('vector norms: 2 (default), 1, ±inf, 0, p', () => {
    expectClose(norm(x), [], [Math.sqrt(34)])
    expectClose(norm(x, 2), [], [Math.sqrt(34)])
    expectClose(norm(x, 1), [], [12])
    expectClose(norm(x, Infinity), [], [4])
    expectClose(norm(x, -Infinity), [], [0])
    expectClose(norm(x, 0), [], [5])
    expectClose(norm(x, 3), [], [Math.cbrt(xs.reduce((s, v) => s + Math.abs(v) ** 3, 0))])
    expectClose(norm(x, 0.5), [], [xs.reduce((s, v) => s + Math.sqrt(Math.abs(v)), 0) ** 2])
    expectClose(norm(arr([1, 2], [2]), -1), [], [1 / (1 + 1 / 2)])
  })
  it('vector norms along an axis, with keepdims', () => {
    const m = x.reshape([2, 3])
    expectClose(norm(m, null, 1), [2], [5, 3])
    expectClose(norm(m, 1, 0), [3], [4, 6, 2])
    expectClose(norm(m, Infinity, -1, { keepdims: true }), [2, 1], [4, 2])
    expectClose(norm(m, null, null, { keepdims: true }), [1, 1], [Math.sqrt(34)])
  })
  it('matrix norms: fro (default), 1, -1, inf, -inf', () => {
    const m = x.reshape([2, 3]) // [[3, -4, 0], [1, -2, 2]]
    expectClose(norm(m, 'fro'), [], [Math.sqrt(34)])
    expectClose(norm(m, 'fro', [0, 1]), [], [Math.sqrt(34)])
    expectClose(norm(m, 1), [], [6]) // column sums 4, 6, 2
    expectClose(norm(m, -1), [], [2])
    expectClose(norm(m, Infinity), [], [7]) // row sums 7, 5
    expectClose(norm(m, -Infinity), [], [5])
    expectClose(norm(m, 1, [1, 0]), [], [7]) // rows and columns swapped
    const b = rand([3, 2, 4])
    expectClose(norm(b, Infinity, [1, 2], { keepdims: true }), [3, 1, 1],
      [0, 1, 2].map((k) => Math.max(...[0, 1].map((i) => [0, 1, 2, 3].reduce((s, j) => s + Math.abs(at(b, [k, i, j])), 0)))))
    expectClose(norm(b, 'fro', [2, 0]), [2], [0, 1].map((i) => Math.sqrt(multiIndices([3, 4]).reduce((s, [k, j]) => s + at(b, [k, i, j]) ** 2, 0))))
  })
  it('gradient of the 2-norm is x/‖x‖', () => {
    const v = rand([5])
    const n = Math.sqrt(vals(v).reduce((s, t) => s + t * t, 0))
    expectClose(grad((t: Tracer) => norm(t))(v), [5], vals(v).map((t) => t / n))
  })
  it('clear errors for unsupported orders and shapes', () => {
    const m = rand([3, 3])
    expect(() => norm(m, 3)).toThrow(ValueError)
    expect(() => norm(m, 3)).toThrow(/invalid norm order 3 for matrices.*'nuc', 2, -2/)
    expect(() => norm(rand([3]), 'fro')).toThrow(/invalid norm order 'fro' for vectors/)
    expect(() => norm(rand([2, 2, 2]), 1)).toThrow(/x must be 1-D or 2-D/)
    expect(() => norm(m, null, [0, 0])).toThrow(/repeated axis/)
    expect(() => norm(m, null, [0, 1, 0])).toThrow(/one axis \(vector norm\) or two/)
  })
})
