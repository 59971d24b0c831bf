/**
 * Derivatives with closed forms: high-order derivatives of sin and 1/x, Hessians of
 * quadratic forms, Hessian-vector products (Rosenbrock), and Jacobians in both modes for
 * non-square, matrix-input and pytree functions (shape out.shape ++ in.shape, as JAX).
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, grad, hessian, hvp, jacfwd, jacrev, jvp, lax, np, vjp } from '../../src'
import { checkGradsInternal, expectClose, f64, makeRng, randArray, valuesOf } from './check'

const vals = (x: unknown): Float64Array => valuesOf(x)
const close = (got: unknown, want: readonly number[] | Float64Array, rtol = 1e-12, atol = 0, what = 'value') =>
  expectClose(vals(got), Float64Array.from(want), rtol, atol, what)
const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b)

const nthGrad = (f: (x: Arr) => Arr, n: number): ((x: Arr) => Arr) => {
  let g = f
  for (let k = 0; k < n; k++) g = grad(g)
  return g
}

describe('nth derivatives in closed form', () => {
  it('d^n/dx^n sin x = sin(x + nπ/2), n = 1 … 6, to 1e-10 relative', () => {
    for (const x0 of [0.7, -1.3, 2.1]) {
      for (let n = 1; n <= 6; n++) {
        const got = nthGrad((x) => np.sin(x), n)(np.array(x0)).item() as number
        expect(relErr(got, Math.sin(x0 + (n * Math.PI) / 2)), `n=${n} x=${x0}`).toBeLessThanOrEqual(1e-10)
      }
    }
  })
  it('d^n/dx^n 1/x = (−1)^n n! / x^(n+1); the 6th at 4 is 720/4^7', () => {
    let fact = 1
    for (let n = 1; n <= 6; n++) {
      fact *= n
      const got = nthGrad((x) => np.divide(1, x), n)(np.array(4)).item() as number
      expect(relErr(got, ((-1) ** n * fact) / 4 ** (n + 1)), `n=${n}`).toBeLessThanOrEqual(1e-10)
    }
    expect(relErr(nthGrad((x) => np.divide(1, x), 6)(np.array(4)).item() as number, 720 / 4 ** 7)).toBeLessThanOrEqual(1e-10)
  })
  it('forward over forward agrees: the 4th jvp of exp is exp', () => {
    let f = (x: Arr): Arr => np.exp(x)
    for (let k = 0; k < 4; k++) {
      const g = f
      f = (x: Arr) => jvp(g, [x], [np.array(1)])[1]
    }
    expect(relErr(f(np.array(0.4)).item() as number, Math.exp(0.4))).toBeLessThanOrEqual(1e-12)
  })
})

describe('Hessians and Hessian-vector products', () => {
  const A = np.array([[1, 2, 0.5, -1], [3, 4, 0, 2], [-2, 1, 5, 0.25], [0, 0.5, -3, 2]])
  const At = [[1, 3, -2, 0], [2, 4, 1, 0.5], [0.5, 0, 5, -3], [-1, 2, 0.25, 2]]
  const AplusAt = (A.tolist() as number[][]).map((row, i) => row.map((v, j) => v + At[i][j]))
  const quad = (x: Arr) => np.sum(x.mul(np.matmul(A, x)))

  it('hessian(xᵀAx) = A + Aᵀ for a non-symmetric A, at any x', () => {
    for (const x of [np.array([0.5, -1, 2, 0.3]), np.zeros([4])]) {
      const H = hessian(quad)(x)
      expect(H.shape).toEqual([4, 4])
      close(H, AplusAt.flat())
      close(jacrev(jacrev(quad))(x), AplusAt.flat())
      close(jacfwd(jacfwd(quad))(x), AplusAt.flat())
    }
  })

  /** Rosenbrock f(x) = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², its Hessian by hand. */
  const rosen = (x: Arr) => {
    const n = x.shape[0]
    const a = lax.slice(x, [0], [n - 1])
    const b = lax.slice(x, [1], [n])
    return np.sum(np.square(b.sub(a.mul(a))).mul(100).add(np.square(a.neg().add(1))))
  }
  const rosenHess = (x: number[]): number[][] => {
    const n = x.length
    const H = x.map(() => x.map(() => 0))
    for (let i = 0; i < n - 1; i++) {
      H[i][i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
      H[i + 1][i + 1] += 200
      H[i][i + 1] -= 400 * x[i]
      H[i + 1][i] -= 400 * x[i]
    }
    return H
  }

  it('hvp equals hessian @ v and the analytic Rosenbrock HVP', () => {
    const rnd = makeRng(11)
    for (let rep = 0; rep < 3; rep++) {
      const xs = Array.from({ length: 5 }, () => 2 * rnd() - 1)
      const vs = Array.from({ length: 5 }, () => 2 * rnd() - 1)
      const x = np.array(xs)
      const v = np.array(vs)
      const H = rosenHess(xs)
      const want = H.map((row) => row.reduce((s, h, j) => s + h * vs[j], 0))
      const got = hvp(rosen, [x], [v])
      expect(got.shape).toEqual([5])
      close(got, want, 1e-12, 1e-12, 'hvp vs analytic')
      close(hessian(rosen)(x), H.flat(), 1e-12, 1e-12, 'hessian vs analytic')
      close(np.matmul(hessian(rosen)(x), v), vals(got), 1e-12, 1e-12, 'hessian @ v vs hvp')
    }
  })

  it('hvp has the structure of primals[0] (a dict), and is symmetric: ⟨w, Hv⟩ = ⟨v, Hw⟩', () => {
    const f = (p: { a: Arr; b: Arr }) => np.sum(np.sin(p.a.mul(p.b.sum())).add(p.b.mul(p.b).mul(p.a.sum())))
    const p = { a: np.array([0.3, -0.2]), b: np.array([[0.5], [1.5], [-0.7]]) }
    const v = { a: np.array([1, 2]), b: np.array([[0.1], [-0.3], [0.2]]) }
    const w = { a: np.array([-0.5, 0.25]), b: np.array([[1], [0], [-1]]) }
    const Hv = hvp(f, [p], [v])
    const Hw = hvp(f, [p], [w])
    expect(Object.keys(Hv).sort()).toEqual(['a', 'b'])
    expect(Hv.b.shape).toEqual([3, 1])
    const ip = (x: typeof p, y: typeof p) => np.sum(x.a.mul(y.a)).item() as number + (np.sum(x.b.mul(y.b)).item() as number)
    expect(Math.abs(ip(w, Hv) - ip(v, Hw))).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(ip(w, Hv))))
    // and equals the Hessian from jacfwd(jacrev) contracted with v
    const H = hessian(f)(p)
    expect(H.a.b.shape).toEqual([2, 3, 1])
    expect(H.b.a.shape).toEqual([3, 1, 2])
    const hv_a = np.add(np.matmul(H.a.a, v.a), np.tensordot(H.a.b, v.b, 2))
    close(Hv.a, vals(hv_a), 1e-12, 1e-14)
  })
})

describe('jacfwd == jacrev, with JAX shapes out.shape ++ in.shape', () => {
  it('non-square R³ → R² and R² → R⁴, against the analytic Jacobian', () => {
    const f = (x: Arr) => np.stack([np.sin(x.sum()), np.prod(x)])
    const x = np.array([0.5, -1.2, 2])
    const Jf = jacfwd(f)(x)
    const Jr = jacrev(f)(x)
    expect(Jf.shape).toEqual([2, 3])
    expect(Jr.shape).toEqual([2, 3])
    const [a, b, c] = [0.5, -1.2, 2]
    const want = [Math.cos(a + b + c), Math.cos(a + b + c), Math.cos(a + b + c), b * c, a * c, a * b]
    close(Jf, want)
    close(Jr, want)
    const g = (y: Arr) => np.concatenate([y.mul(y), np.exp(y)])
    const y = np.array([0.3, 0.7])
    expect(jacfwd(g)(y).shape).toEqual([4, 2])
    close(jacfwd(g)(y), vals(jacrev(g)(y)))
    close(jacfwd(g)(y), [0.6, 0, 0, 1.4, Math.exp(0.3), 0, 0, Math.exp(0.7)])
  })

  it('matrix input and matrix output: shape [2,2, 3,2]', () => {
    const W = np.array([[1, -2, 0.5], [0.3, 0.7, -1]])
    const f = (X: Arr) => np.tanh(np.matmul(W, X)) // [2,3]·[3,2] → [2,2]
    const X = randArray([3, 2], makeRng(3))
    const Jf = jacfwd(f)(X)
    const Jr = jacrev(f)(X)
    expect(Jf.shape).toEqual([2, 2, 3, 2])
    expect(Jr.shape).toEqual([2, 2, 3, 2])
    close(Jf, vals(Jr))
    // J[i, j, k, l] = (1 − tanh²(WX)[i, j]) W[i, k] [j = l]
    const Y = f(X).tolist() as number[][]
    const Wl = W.tolist() as number[][]
    const want: number[] = []
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) for (let l = 0; l < 2; l++) want.push(j === l ? (1 - Y[i][j] ** 2) * Wl[i][k] : 0)
    close(Jf, want)
  })

  it('pytrees: dict inputs and tuple outputs, nested as the output tree of input trees', () => {
    const f = (p: { w: Arr; b: Arr }) => [np.matmul(p.w, p.b), np.sum(p.w.mul(p.w))] as const
    const p = { w: np.array([[1, 2, 3], [4, 5, 6]]), b: np.array([0.5, -1, 2]) }
    const Jf = jacfwd(f)(p)
    const Jr = jacrev(f)(p)
    for (const J of [Jf, Jr]) {
      expect(Array.isArray(J)).toBe(true)
      expect(J.length).toBe(2)
      expect(Object.keys(J[0]).sort()).toEqual(['b', 'w'])
      expect(J[0].w.shape).toEqual([2, 2, 3])
      expect(J[0].b.shape).toEqual([2, 3])
      expect(J[1].w.shape).toEqual([2, 3])
      expect(J[1].b.shape).toEqual([3])
      close(J[0].b, [1, 2, 3, 4, 5, 6])
      close(J[1].w, [2, 4, 6, 8, 10, 12])
      close(J[1].b, [0, 0, 0])
      // d(w b)_i / d w_jk = [i = j] b_k
      close(J[0].w, [0.5, -1, 2, 0, 0, 0, 0, 0, 0, 0.5, -1, 2])
    }
  })

  it('argnums as a list: one block per argument; 0-d input and output', () => {
    const f = (x: Arr, y: Arr) => x.mul(np.sum(y.mul(y)))
    const x = np.array(1.5)
    const y = np.array([1, -2])
    for (const jac of [jacfwd, jacrev]) {
      const [jx, jy] = jac(f, { argnums: [0, 1] })(x, y)
      expect(jx.shape).toEqual([])
      expect(jy.shape).toEqual([2])
      close(jx, [5])
      close(jy, [3, -6])
    }
  })

  it('jacobians agree with finite differences (checkGradsInternal on the jacobian functions)', () => {
    const f = (x: Arr) => np.sin(x).mul(np.roll(x, 1)).cumsum()
    const x = f64([0.1, 0.9, -0.4], [3])
    checkGradsInternal((y) => jacfwd(f)(y), [x], { order: 1, label: 'jacfwd' })
    checkGradsInternal((y) => jacrev(f)(y), [x], { order: 1, label: 'jacrev' })
    close(jacfwd(f)(x), vals(jacrev(f)(x)), 1e-13, 1e-15)
  })
})

describe('vjp and jvp agree on a composite function', () => {
  it('⟨u, J v⟩ = ⟨Jᵀ u, v⟩ through softmax, matmul and logsumexp', () => {
    const f = (W: Arr, x: Arr) => np.logsumexp(np.matmul(W, x).reshape([2, 2]), 1)
    const rnd = makeRng(9)
    const W = randArray([4, 3], () => 2 * rnd() - 1)
    const x = randArray([3], () => 2 * rnd() - 1)
    checkGradsInternal(f, [W, x], { order: 2 })
    const [, pb] = vjp(f, [W, x])
    const [gW, gx] = pb(np.array([1, 0]))
    expect(gW.shape).toEqual([4, 3])
    expect(gx.shape).toEqual([3])
  })
})
