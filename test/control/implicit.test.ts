// Implicit differentiation: lax.customLinearSolve and lax.customRoot. The solvers here iterate
// (Jacobi sweeps, conjugate gradients, Newton steps); the derivatives must equal those of the
// exact solution (np.linalg.solve, closed forms, the implicit-function formula, finite
// differences) and must not come from differentiating the iterations.
import { describe, expect, it } from 'vitest'
import { type Array as Arr, NonDifferentiableError, grad, jacfwd, jacrev, jit, jvp, lax, makeJaxpr, np, vmap } from '../../src'
import { checkGrads } from '../../laws'
import { expectAgree, expectClose, makeRng, randn } from './agree'

const A0 = np.array([[4, 1, 0.5], [1, 3, 0.2], [0.3, 0.1, 2]])
/** diag(v) and the diagonal of a square matrix. */
const diag = (v: Arr): Arr => np.eye(v.shape[0]).mul(v)
const diagonal = (a: Arr): Arr => np.sum(a.mul(np.eye(a.shape[0])), 1)
/** A(s) = A0·s + diag(1, 2, 3)·s²: every entry depends on the parameter. */
const matrix = (s: Arr): Arr => A0.mul(s).add(diag(np.array([1, 2, 3])).mul(s.mul(s)))

/** Jacobi sweeps x ← x + D⁻¹(b − A x): converges for these diagonally dominant matrices. */
const jacobi = (diag: Arr, sweeps = 200) => (mv: (x: Arr) => Arr, b: Arr): Arr =>
  lax.foriLoop(0, sweeps, (_i, x: Arr) => x.add(b.sub(mv(x)).div(diag)), np.zerosLike(b))

const solved = (s: Arr, b: Arr): Arr => {
  const A = matrix(s)
  const d = diagonal(A)
  return lax.customLinearSolve((x: Arr) => np.matmul(A, x), b, jacobi(d), (vecmat, y) => jacobi(d)(vecmat, y))
}
const exact = (s: Arr, b: Arr): Arr => np.linalg.solve(matrix(s), b)

describe('lax.customLinearSolve', () => {
  it('agrees with np.linalg.solve under eval, jit, jvp, grad, grad∘grad and vmap', () => {
    const rng = makeRng(3)
    expectAgree('jacobi solve', {
      f: (_s, s, b) => solved(s, b),
      ref: (_s, s, b) => exact(s, b),
      s: null,
      xs: [np.array(1.3), np.array([1, 2, 3])],
      batch: [0.9, 1.1, 1.6].map((v) => ({ s: null, xs: [np.array(v), randn(rng, [3])] })),
      rtol: 1e-9,
      atol: 1e-11,
    })
  })

  it('matches central finite differences in both modes (to second order)', () => {
    checkGrads((s: Arr, b: Arr) => solved(s, b), [np.array(1.2), np.array([0.5, -1, 2])], { order: 2, rtol: 1e-6, atol: 1e-8 })
  })

  it('the solve is not differentiated: the tangent solve is one more solve, not its iterations', () => {
    const b = np.array([1, 2, 3])
    const text = (sweeps: number) =>
      String(makeJaxpr((s: Arr) => {
        const A = matrix(s)
        const d = diagonal(A)
        return lax.customLinearSolve((x: Arr) => np.matmul(A, x), b, jacobi(d, sweeps), jacobi(d, sweeps)).sum()
      })(np.array(1.0)))
    const g = (sweeps: number) => String(makeJaxpr(grad((s: Arr) => {
      const A = matrix(s)
      const d = diagonal(A)
      return lax.customLinearSolve((x: Arr) => np.matmul(A, x), b, jacobi(d, sweeps), jacobi(d, sweeps)).sum()
    }))(np.array(1.0)))
    // the sweep count is a loop length, not a count of staged equations
    expect(g(300).replaceAll('length=300', 'length=20')).toBe(g(20))
    expect(text(300).replaceAll('length=300', 'length=20')).toBe(text(20))
  })

  it('takes pytrees for b, and { symmetric: true } solves the transposed system with solve', () => {
    // SPD block system [[P, C], [Cᵀ, Q]] [u; v] = [f; g], solved by conjugate gradients in a whileLoop
    const P = np.array([[4, 1], [1, 3]])
    const Q = np.array([[5]])
    const C = np.array([[0.5], [0.2]])
    type UV = { u: Arr; v: Arr }
    const mv = (t: Arr) => (x: UV): UV => ({
      u: np.matmul(P.mul(t), x.u).add(np.matmul(C, x.v)),
      v: np.matmul(C.T, x.u).add(np.matmul(Q.mul(t), x.v)),
    })
    const dot = (a: UV, b: UV) => np.sum(a.u.mul(b.u)).add(np.sum(a.v.mul(b.v)))
    const axpy = (a: Arr, x: UV, y: UV): UV => ({ u: y.u.add(x.u.mul(a)), v: y.v.add(x.v.mul(a)) })
    const cg = (A: (x: UV) => UV, b: UV): UV => {
      type S = [UV, UV, UV, Arr, Arr]
      const zero = { u: np.zerosLike(b.u), v: np.zerosLike(b.v) }
      const init: S = [zero, b, b, dot(b, b), np.array(0, { dtype: 'int32' })]
      const out = lax.whileLoop(
        (st: S) => np.logicalAnd(st[4].lt(20), st[3].gt(1e-28)),
        ([x, r, p, rr, k]: S): S => {
          const Ap = A(p)
          const alpha = rr.div(dot(p, Ap))
          const x2 = axpy(alpha, p, x)
          const r2 = axpy(alpha.neg(), Ap, r)
          const rr2 = dot(r2, r2)
          return [x2, r2, axpy(rr2.div(rr), p, r2), rr2, k.add(1)]
        },
        init,
      )
      return out[0]
    }
    const f = (t: Arr, g: Arr) => lax.customLinearSolve(mv(t), { u: np.array([1, 2]), v: g }, cg, null, { symmetric: true })
    const ref = (t: Arr, g: Arr) => {
      const M = np.concatenate([np.concatenate([P.mul(t), C], 1), np.concatenate([C.T, Q.mul(t)], 1)], 0)
      const x = np.linalg.solve(M, np.concatenate([np.array([1, 2]), g]))
      return { u: lax.slice(x, [0], [2]), v: lax.slice(x, [2], [3]) }
    }
    expectAgree('cg on a pytree', {
      f: (_s, t, g) => f(t, g),
      ref: (_s, t, g) => ref(t, g),
      s: null,
      xs: [np.array(1.5), np.array([0.7])],
      batch: [1.2, 2].map((v) => ({ s: null, xs: [np.array(v), np.array([v - 1])] })),
      checks: ['eval', 'jit', 'jvp', 'grad', 'vmap'],
      rtol: 1e-9,
      atol: 1e-11,
    })
  })

  it('without transposeSolve: forward mode works, reverse mode is a NonDifferentiableError that names the fix', () => {
    const f = (s: Arr) => {
      const A = matrix(s)
      return lax.customLinearSolve((x: Arr) => np.matmul(A, x), np.array([1, 2, 3]), jacobi(diagonal(A))).sum()
    }
    const [, t] = jvp(f, [np.array(1.1)], [np.array(1)])
    expectClose(t, jvp((s: Arr) => exact(s, np.array([1, 2, 3])).sum(), [np.array(1.1)], [np.array(1)])[1], 'jvp', 1e-9, 1e-11)
    expect(() => grad(f)(np.array(1.1))).toThrow(NonDifferentiableError)
    expect(() => grad(f)(np.array(1.1))).toThrow(/transposeSolve|symmetric: true/)
  })

  it('rejects a matvec that changes shapes, and a solve that returns the wrong structure', () => {
    const b = np.array([1, 2, 3])
    expect(() => lax.customLinearSolve((x: Arr) => x.sum(), b, (_m, y) => y)).toThrow(/matvec: must return its input's shapes/)
    expect(() => lax.customLinearSolve((x: Arr) => x, b, (_m, y) => [y, y] as never)).toThrow(/solve: must return the structure/)
  })
})

/** Newton's method for a scalar root, stopping at |f| ≤ 1e-15 or after `maxIter` steps. */
const newton = (df: (x: Arr) => Arr, maxIter = 100) => (f: (x: Arr) => Arr, x0: Arr): Arr =>
  lax.whileLoop(
    (c: [Arr, Arr]) => np.logicalAnd(c[1].lt(maxIter), np.abs(f(c[0])).gt(1e-15)),
    (c: [Arr, Arr]): [Arr, Arr] => [c[0].sub(f(c[0]).div(df(c[0]))), c[1].add(1)],
    [x0, np.array(0, { dtype: 'int32' })],
  )[0]

/** x(θ) with x = cos(θx), solved by Newton: f(x) = x − cos(θx), f′(x) = 1 + θ sin(θx). */
const fixedPoint = (theta: Arr, maxIter = 100): Arr =>
  lax.customRoot(
    (x: Arr) => x.sub(np.cos(theta.mul(x))),
    np.array(0.5),
    newton((x: Arr) => np.array(1).add(theta.mul(np.sin(theta.mul(x)))), maxIter),
    (g, y) => y.div(g(np.array(1))),
  )

/** dx/dθ by the implicit-function theorem: F = x − cos θx, dx/dθ = −F_θ / F_x = −x sin θx / (1 + θ sin θx). */
const implicitDerivative = (t: number, x: number): number => (-x * Math.sin(t * x)) / (1 + t * Math.sin(t * x))

describe('lax.customRoot', () => {
  it('x = cos(θx): the root and its derivative equal the implicit-function formula to 1e-12, in both modes', () => {
    for (const t of [0.3, 0.7, 1.9]) {
      const x = fixedPoint(np.array(t)).item() as number
      expect(Math.abs(x - Math.cos(t * x))).toBeLessThan(1e-15)
      const want = implicitDerivative(t, x)
      for (const [what, got] of [
        ['grad', grad((th: Arr) => fixedPoint(th))(np.array(t))],
        ['jit(grad)', jit(grad((th: Arr) => fixedPoint(th)))(np.array(t))],
        ['jvp', jvp((th: Arr) => fixedPoint(th), [np.array(t)], [np.array(1)])[1]],
        ['jacfwd', jacfwd((th: Arr) => fixedPoint(th))(np.array(t))],
        ['jacrev', jacrev((th: Arr) => fixedPoint(th))(np.array(t))],
      ] as const) {
        expect(Math.abs((got.item() as number) - want), `${what} at θ = ${t}`).toBeLessThan(1e-12)
      }
    }
  })

  it('second derivative: differentiating the implicit-function formula again', () => {
    // x′ = −x s / (1 + θ s) with s = sin θx; x″ by central differences of the exact x′ (float64)
    const t = 0.7
    const d1 = (th: number) => {
      const x = fixedPoint(np.array(th)).item() as number
      return implicitDerivative(th, x)
    }
    const h = 1e-5
    const want = (d1(t + h) - d1(t - h)) / (2 * h)
    const got = grad(grad((th: Arr) => fixedPoint(th)))(np.array(t)).item() as number
    expect(Math.abs(got - want)).toBeLessThan(1e-8)
  })

  it('the gradient jaxpr does not unroll the iteration: one while loop (the forward solve), the same program for any iteration bound', () => {
    const g = (maxIter: number) => String(makeJaxpr(grad((th: Arr) => fixedPoint(th, maxIter)))(np.array(0.7)))
    const text = g(100)
    expect(text.match(/= while\[/g)?.length).toBe(1)
    expect(text).not.toMatch(/scan\[/)
    expect(g(1000).replace(/ 1000\b/g, ' 100')).toBe(text)
    // the whole gradient: the solve's loop, then a handful of equations
    expect(text.split('\n').filter((l) => /^ {6}[a-z]+:/.test(l)).length).toBeLessThan(20)
  })

  it('vmap over θ, and vmap of the gradient', () => {
    const ts = [0.2, 0.9, 1.4]
    const xs = vmap((th: Arr) => fixedPoint(th))(np.array(ts)).tolist() as number[]
    xs.forEach((x, i) => expect(Math.abs(x - Math.cos(ts[i] * x))).toBeLessThan(1e-14))
    const gs = vmap(grad((th: Arr) => fixedPoint(th)))(np.array(ts)).tolist() as number[]
    gs.forEach((g, i) => expect(Math.abs(g - implicitDerivative(ts[i], xs[i]))).toBeLessThan(1e-12))
    const gj = jit(vmap(grad((th: Arr) => fixedPoint(th))))(np.array(ts)).tolist() as number[]
    gj.forEach((g, i) => expect(Math.abs(g - gs[i])).toBeLessThan(1e-14))
  })

  it('a Newton solve of a vector system with a pytree unknown: gradients equal finite differences and the exact Jacobian formula', () => {
    // F(x; p) = A x + x³ − p = 0 (elementwise cube), so dx/dp = (A + 3 diag(x²))⁻¹
    const A = np.array([[3, 0.5, 0], [0.5, 4, 0.2], [0, 0.2, 5]])
    type X = { x: Arr }
    const F = (p: Arr) => (z: X): X => ({ x: np.matmul(A, z.x).add(z.x.mul(z.x).mul(z.x)).sub(p) })
    const jacOf = (g: (v: X) => X, n: number): Arr => np.stack(Array.from({ length: n }, (_, i) => g({ x: lax.slice(np.eye(n), [i, 0], [i + 1, n]).reshape([n]) }).x), 1)
    const solveNewton = (f: (z: X) => X, z0: X): X =>
      lax.foriLoop(0, 30, (_i, z: X) => {
        const J = A.add(diag(z.x.mul(z.x).mul(3)))
        return { x: z.x.sub(np.linalg.solve(J, f(z).x)) }
      }, z0)
    const root = (p: Arr) => lax.customRoot(F(p), { x: np.zeros([3]) }, solveNewton, (g, y) => ({ x: np.linalg.solve(jacOf(g, 3), y.x) })).x
    const p = np.array([1, -2, 0.5])
    const x = root(p)
    expectClose(np.matmul(A, x).add(x.mul(x).mul(x)), p, 'residual', 0, 1e-13)
    const J = jacrev(root)(p)
    const want = np.linalg.inv(A.add(diag(x.mul(x).mul(3))))
    expectClose(J, want, 'jacrev', 1e-12, 1e-13)
    expectClose(jacfwd(root)(p), want, 'jacfwd', 1e-12, 1e-13)
    checkGrads(root, [p], { order: 2, rtol: 1e-6, atol: 1e-8 })
  })
})
