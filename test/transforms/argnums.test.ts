import { describe, expect, it } from 'vitest'
import { np, grad, valueAndGrad, jacfwd, jacrev, hessian, ValueError } from '../../src'
import type { Array } from '../../src'

const f = (a: Array, b: Array) => a.mul(b).sum()
const x = np.array([1, 2])
const y = np.array([3, 4])

describe('argnums naming one argument twice', () => {
  it('is a ValueError for grad, valueAndGrad, jacfwd, jacrev and hessian', () => {
    // untyped on purpose: the run-time check is what a JavaScript caller meets
    const makers = [grad, valueAndGrad, jacfwd, jacrev, hessian] as unknown as ((f: unknown, o: { argnums: number[] }) => (...a: Array[]) => unknown)[]
    for (const make of makers) {
      for (const argnums of [[0, 0], [1, -1], [0, 1, 0]]) {
        expect(() => make(f, { argnums })(x, y)).toThrow(ValueError)
        expect(() => make(f, { argnums })(x, y)).toThrow(/more than once/)
      }
    }
  })
  it('distinct argnums still work: d(a·b)/da = b, d/db = a', () => {
    const [ga, gb] = grad(f, { argnums: [0, -1] })(x, y) as Array[]
    expect(ga.tolist()).toEqual([3, 4])
    expect(gb.tolist()).toEqual([1, 2])
  })
})
