// Taylor mode through the primitives that arrived beside it: bounded while loops (and the
// scans with a running flag that their reverse mode builds), implicit differentiation,
// decompositions and host callbacks. References: nested grad / jvp of the same function.
import { describe, expect, it } from 'vitest'
import { debug, derivatives, grad, jit, jvp, lax, np } from '../../src'
import type { NDArray } from '../../src'

type F = (x: NDArray) => NDArray
const nested = (f: F, k: number): F => {
  let g = f
  for (let i = 0; i < k; i++) g = grad(g) as F
  return g
}
const expectSeries = (got: NDArray, f: F, x: number, order: number, tol: number) => {
  const g = got.tolist() as number[]
  for (let k = 0; k <= order; k++) {
    const want = nested(f, k)(np.array(x)).item()
    expect(Math.abs(g[k] - want), `order ${k}: ${g[k]} vs ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)))
  }
}

/** x(θ) solving x = cos(θx) by fixed-point iteration under a bounded while loop. */
const iterate = (theta: NDArray): NDArray =>
  lax.whileLoop(
    (c: [NDArray, NDArray]) => np.logicalAnd(c[1].lt(200), np.abs(c[0].sub(np.cos(theta.mul(c[0])))).gt(1e-15)),
    (c: [NDArray, NDArray]): [NDArray, NDArray] => [np.cos(theta.mul(c[0])), c[1].add(1)],
    [np.array(0.5), np.array(0, { dtype: 'int32' })],
    { maxSteps: 200 },
  )[0]

describe('jet through merged primitives', () => {
  it('a bounded whileLoop, and the flagged scan of its reverse mode (jet of grad)', () => {
    expectSeries(derivatives(iterate, 3)(np.array(0.7)), iterate, 0.7, 3, 1e-9)
    const dIterate = grad(iterate) as F
    expectSeries(derivatives(dIterate, 2)(np.array(0.7)), dIterate, 0.7, 2, 1e-9)
    expectSeries(jit((x: NDArray) => derivatives(dIterate, 2)(x))(np.array(0.7)), dIterate, 0.7, 2, 1e-9)
  })

  it('customRoot: the series of the root is the implicit-function series', () => {
    const root = (theta: NDArray): NDArray =>
      lax.customRoot(
        (x: NDArray) => x.sub(np.cos(theta.mul(x))),
        np.array(0.5),
        (f, x0) => lax.foriLoop(0, 60, (_i: NDArray, x: NDArray) => x.sub(f(x).div(np.array(1).add(theta.mul(np.sin(theta.mul(x)))))), x0),
        (g, y) => y.div(g(np.array(1))),
      )
    const d = derivatives(root, 3)(np.array(0.7)).tolist() as number[]
    // against finite differences of the iteration itself, at a step where they are accurate
    const h = 1e-4
    const x = (t: number) => iterate(np.array(t)).item()
    expect(Math.abs(d[0] - x(0.7))).toBeLessThan(1e-14)
    expect(Math.abs(d[1] - (x(0.7 + h) - x(0.7 - h)) / (2 * h))).toBeLessThan(1e-7)
    expect(Math.abs(d[2] - (x(0.7 + h) - 2 * x(0.7) + x(0.7 - h)) / (h * h))).toBeLessThan(1e-5)
    expectSeries(derivatives(root, 3)(np.array(0.7)), root, 0.7, 3, 1e-9)
  })

  it('eigh: the series of the largest eigenvalue of A + tB', () => {
    const A = np.array([[2, 1, 0], [1, 3, 1], [0, 1, 4]])
    const B = np.array([[1, 0, 2], [0, -1, 0], [2, 0, 1]])
    const top = (t: NDArray): NDArray => np.linalg.eigvalsh(A.add(B.mul(t))).max()
    expectSeries(derivatives(top, 3)(np.array(0.1)), top, 0.1, 3, 1e-8)
  })

  it('debug.callback sees the primals under jet and costs no series', () => {
    const seen: number[] = []
    const f = (x: NDArray): NDArray => {
      debug.callback((v: NDArray) => void seen.push(v.item()), x)
      return np.sin(x)
    }
    const d = derivatives(f, 2)(np.array(0.3)).tolist() as number[]
    expect(seen).toEqual([0.3])
    expect(d[0]).toBeCloseTo(Math.sin(0.3), 15)
    expect(d[2]).toBeCloseTo(-Math.sin(0.3), 15)
    const [, t] = jvp(f, [np.array(0.3)], [np.array(1)])
    expect(t.item()).toBeCloseTo(Math.cos(0.3), 15)
  })
})
