// np.linalg decompositions and what is built on them, against jax.numpy.linalg in float64
// (test/fixtures/linalg/linalg.json, made by make_linalg.py there). Vectors that are unique
// only up to sign are compared through gauge-invariant quantities (squares of entries, QR with
// diag(R) ≥ 0, gradients of invariant scalars).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Array, grad, np } from '../../src'

type Nested = number | Nested[]
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'linalg', 'linalg.json'), 'utf8')) as Record<string, any>

const flat = (x: Nested): number[] => (Array_isArray(x) ? x.flatMap(flat) : [x])
const Array_isArray = (x: unknown): x is Nested[] => globalThis.Array.isArray(x)
const a = (x: Nested): Array => np.array(x as number[][])

/** max |actual − expected| ≤ tol · max(1, max |expected|), and equal shapes (by size). */
const close = (actual: Array, expected: Nested, tol = 1e-11): void => {
  const got = flat(actual.tolist() as Nested)
  const want = flat(expected)
  expect(got.length).toBe(want.length)
  const scale = Math.max(1, ...want.map(Math.abs))
  const err = Math.max(0, ...got.map((g, i) => Math.abs(g - want[i])))
  expect(err).toBeLessThanOrEqual(tol * scale)
}

describe('eigh / eigvalsh against JAX', () => {
  const e = fx.eigh
  it('eigenvalues, squared eigenvector entries, gradient of an invariant scalar', () => {
    const [w, v] = np.linalg.eigh(a(e.a))
    close(w, e.w)
    close(v.mul(v), e.vv)
    const f = (x: Array) => {
      const [ww, vv] = np.linalg.eigh(x)
      return ww.mul(a(e.c)).sum().add(vv.mul(vv).mul(a(e.C)).sum())
    }
    close(grad(f)(a(e.a)), e.grad, 1e-10)
  })
  it('a repeated eigenvalue: the gradient of Σ w² + Σ w is finite and matches', () => {
    const d = fx.eigh_degenerate
    const g = grad((x: Array) => {
      const w = np.linalg.eigvalsh(x)
      return w.mul(w).sum().add(w.sum())
    })(a(d.a))
    close(g, d.grad, 1e-10)
  })
})

describe('svd against JAX', () => {
  for (const name of ['svd_tall', 'svd_wide']) {
    it(name, () => {
      const e = fx[name]
      const [u, s, vt] = np.linalg.svd(a(e.a), { fullMatrices: false })
      close(s, e.s)
      close(u.mul(u), e.uu)
      close(vt.mul(vt), e.vtvt)
      close(np.linalg.svdvals(a(e.a)), e.s)
      const f = (x: Array) => {
        const [uu, ss, vv] = np.linalg.svd(x, { fullMatrices: false })
        return ss.mul(a(e.c)).sum().add(uu.mul(uu).mul(a(e.C1)).sum()).add(vv.mul(vv).mul(a(e.C2)).sum())
      }
      close(grad(f)(a(e.a)), e.grad, 1e-10)
    })
  }
})

describe('qr against JAX (diag(R) ≥ 0 on both sides)', () => {
  for (const name of ['qr_tall', 'qr_wide', 'qr_square']) {
    it(name, () => {
      const e = fx[name]
      const [q, r] = np.linalg.qr(a(e.a))
      close(q, e.q)
      close(r, e.r)
      close(np.linalg.qr(a(e.a), 'r'), e.r)
      const f = (x: Array) => {
        const [qq, rr] = np.linalg.qr(x)
        return qq.mul(a(e.C1)).sum().add(rr.mul(a(e.C2)).sum())
      }
      close(grad(f)(a(e.a)), e.grad, 1e-10)
    })
  }
})

describe('lstsq, pinv, matrixPower, matrixRank, cond, norm, multiDot against JAX', () => {
  it('lstsq: x, residuals, rank, s and the gradient of x in a and b', () => {
    const e = fx.lstsq
    const [x, resid, rank, s] = np.linalg.lstsq(a(e.a), a(e.b))
    close(x, e.x)
    close(resid, e.resid)
    expect(rank.dtype).toBe('int32')
    expect(rank.item()).toBe(e.rank)
    close(s, e.s)
    const [ga, gb] = grad((p: Array, q: Array) => np.linalg.lstsq(p, q)[0].mul(a(e.C)).sum(), { argnums: [0, 1] })(a(e.a), a(e.b))
    close(ga, e.grad_a, 1e-10)
    close(gb, e.grad_b, 1e-10)
  })
  it('lstsq of a rank-deficient matrix: the minimum-norm solution, a vector b', () => {
    const e = fx.lstsq_deficient
    const [x, resid, rank, s] = np.linalg.lstsq(a(e.a), np.array(e.b as number[]))
    expect(x.shape).toEqual([3])
    close(x, e.x, 1e-10)
    close(resid, e.resid, 1e-10)
    expect(rank.item()).toBe(e.rank)
    close(s, e.s)
  })
  for (const name of ['pinv_tall', 'pinv_wide']) {
    it(`${name}: value and gradient`, () => {
      const e = fx[name]
      close(np.linalg.pinv(a(e.a)), e.p)
      close(grad((x: Array) => np.linalg.pinv(x).mul(a(e.C)).sum())(a(e.a)), e.grad, 1e-10)
    })
  }
  it('matrixPower for n = −3 … 5, with gradients', () => {
    const e = fx.matrix_power
    for (const k of [-3, -1, 0, 1, 2, 5]) close(np.linalg.matrixPower(a(e.a), k), e[String(k)], 1e-12)
    close(grad((x: Array) => np.linalg.matrixPower(x, 5).sum())(a(e.a)), e.grad5, 1e-12)
    close(grad((x: Array) => np.linalg.matrixPower(x, -2).sum())(a(e.a)), e['grad-2'], 1e-11)
  })
  it('matrixRank', () => {
    const e = fx.matrix_rank
    expect(np.linalg.matrixRank(a(e.a)).item()).toBe(e.rank)
    expect(np.linalg.matrixRank(a(e.full)).item()).toBe(e.full_rank)
  })
  it('cond for every p, and the gradient of cond(a)', () => {
    const e = fx.cond
    const ps: Record<string, np.linalg.NormOrd> = { None: null, '2': 2, '-2': -2, fro: 'fro', nuc: 'nuc', '1': 1, '-1': -1, inf: Infinity, '-inf': -Infinity }
    for (const [key, p] of Object.entries(ps)) close(np.linalg.cond(a(e.a), p), e.values[key], 1e-12)
    close(grad((x: Array) => np.linalg.cond(x))(a(e.a)), e.grad, 1e-10)
    close(np.linalg.cond(a(e.tall)), e.tall_value, 1e-12)
  })
  it('norm with ord 2, −2, nuc over the last two axes of a batch, and gradients', () => {
    const e = fx.norm
    const x = np.array(e.a as number[][][])
    for (const [key, o] of [['2', 2], ['-2', -2], ['nuc', 'nuc']] as const) {
      close(np.linalg.norm(x, o, [-2, -1]), e.ords[key].value)
      close(grad((y: Array) => np.linalg.norm(y, o, [-2, -1]).sum())(x), e.ords[key].grad, 1e-10)
    }
    close(np.linalg.norm(x, 2, [2, 1]), e.swapped_2)
  })
  it('multiDot with vector ends, and a gradient', () => {
    const e = fx.multi_dot
    const xs = (e.arrays as Nested[]).map((t) => np.array(t as number[][]))
    const out = np.linalg.multiDot(xs)
    expect(out.shape).toEqual([])
    close(out, e.value, 1e-12)
    close(grad((m: Array) => np.linalg.multiDot([xs[0], m, ...xs.slice(2)]))(xs[1]), e.grad1, 1e-12)
  })
})
