/**
 * Transposing a jaxpr whose scan or jit calls mix linear and non-linear inputs: a call that is
 * linear all through (every body equation reads a linear value, as in the linear jaxpr of
 * reverse mode) is transposed as it stands; one with a primal part (a loop counter, a
 * computation on constants only) is split first. Both routes against closed forms.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, grad, jacrev, jit, lax, linearTranspose, makeJaxpr, np } from '../../src'

const T = 4
const xs = np.array([0.5, -1.25, 2, 0.75])

describe('transposing calls with linear and non-linear inputs', () => {
  it('a scan with a primal counter carry: ys = k·x_k, acc = Σ 2·x_k', () => {
    const f = (x: Arr): [Arr, Arr] => {
      const [[, acc], ys] = lax.scan(([k, acc]: [Arr, Arr], xk: Arr): [[Arr, Arr], Arr] => [[k.add(1), acc.add(xk.mul(2))], xk.mul(k.astype('float64'))], [np.array(0, { dtype: 'int32' }), np.array(0)], x)
      return [acc, ys]
    }
    const ctAcc = np.array(3)
    const ctYs = np.array([1, -1, 0.5, 2])
    const [ct] = linearTranspose(f, xs)([ctAcc, ctYs]) as unknown as [Arr]
    // ∂/∂x_k: 2·ctAcc + k·ctYs_k
    expect(ct.tolist()).toEqual([6 + 0 * 1, 6 + 1 * -1, 6 + 2 * 0.5, 6 + 3 * 2])
  })

  it('a jit whose body computes on a captured constant alone', () => {
    const c = np.array([0.25, 1, -0.5, 2])
    const f = (x: Arr): Arr => jit((y: Arr) => y.mul(np.exp(c)))(x)
    const [ct] = linearTranspose(f, xs)(np.ones([T])) as unknown as [Arr]
    expect(ct.tolist()).toEqual((c.tolist() as number[]).map((v) => Math.exp(v)))
  })

  it("reverse mode's linear scan (carries that start as known zeros) needs no second split; the gradient is exact", () => {
    // x_{k+1} = x_k · a + b; d x_T / d(a, b) by recurrences
    const run = (p: Arr): Arr => {
      const [a, b] = [lax.reshape(lax.slice(p, [0], [1]), []), lax.reshape(lax.slice(p, [1], [2]), [])]
      return lax.foriLoop(0, T, (_i: Arr, x: Arr) => x.mul(a).add(b), np.array(1.5))
    }
    const p = np.array([0.9, 0.2])
    let [x, dxa, dxb] = [1.5, 0, 0]
    for (let k = 0; k < T; k++) [x, dxa, dxb] = [x * 0.9 + 0.2, dxa * 0.9 + x, dxb * 0.9 + 1]
    const g = grad(run)(p).tolist() as number[]
    expect(g[0]).toBeCloseTo(dxa, 14)
    expect(g[1]).toBeCloseTo(dxb, 14)
    expect(jit(jacrev(run))(p).tolist()).toEqual(g)
    // one scan forward (primal and residuals), one transposed scan backward
    expect(makeJaxpr(grad(run))(p).jaxpr.eqns.filter((e) => e.prim === 'scan')).toHaveLength(2)
  })
})
