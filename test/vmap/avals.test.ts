/**
 * What a vmapped function sees: every value (inputs mapped along any axis, unmapped inputs,
 * results of batched primitives) has the per-example shape, dtype and weak type.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, np, vmap } from '../../src'

describe('vmap: values inside the mapped function', () => {
  it('have the per-example aval, whatever the batch axis', () => {
    const seen: unknown[] = []
    const f = (x: Arr, y: Arr): Arr => {
      const z = x.mul(y)
      const w = np.sin(z).add(1)
      seen.push([x.shape, y.shape, z.shape, w.shape, w.dtype, w.weakType, z.ndim, z.size])
      return w.sum()
    }
    const x = np.ones([3, 4, 2])
    const y = np.full([3, 2], 0.5)
    const out = vmap(f, { inAxes: [1, null] })(x, y)
    expect(out.shape).toEqual([4])
    for (const v of out.tolist() as number[]) expect(v).toBeCloseTo(6 * (Math.sin(0.5) + 1), 12)
    expect(seen).toEqual([[[3, 2], [3, 2], [3, 2], [3, 2], 'float64', false, 2, 6]])
  })
})
