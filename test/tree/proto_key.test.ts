import { describe, expect, it } from 'vitest'
import { np, tree, grad, jit, valueAndGrad, jacrev } from '../../src'
import type { Array } from '../../src'

// JSON.parse makes an own data property named "__proto__"; an assignment out['__proto__'] = v
// would set the prototype instead and drop the key.
const parsed = (): Record<string, unknown> => JSON.parse('{"__proto__": 2, "b": 3}')

describe('pytrees with an own "__proto__" key', () => {
  it('flatten / unflatten round-trip keeps the key and the prototype', () => {
    const [leaves, def] = tree.flatten(parsed())
    expect(leaves).toEqual([2, 3])
    const back = tree.unflatten<Record<string, unknown>>(def, [20, 30])
    expect(Object.keys(back)).toEqual(['__proto__', 'b'])
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe(20)
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).b).toBeUndefined() // nothing leaked into Object.prototype
  })

  it('tree.map keeps the key', () => {
    const out = tree.map((x: number) => x * 10, parsed()) as Record<string, number>
    expect(Object.keys(out)).toEqual(['__proto__', 'b'])
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe(20)
  })

  it('grad of a function of such an object has the same keys and the right values', () => {
    const p = JSON.parse('{"__proto__": 0, "b": 0}') as Record<string, unknown>
    Object.defineProperty(p, '__proto__', { value: np.array(2), enumerable: true })
    p.b = np.array(3)
    const f = (q: Record<string, Array>) => {
      const a = Object.getOwnPropertyDescriptor(q, '__proto__')?.value as Array
      return a.mul(a).mul(q.b) // d/da = 2ab = 12, d/db = a² = 4
    }
    for (const g of [grad(f)(p as Record<string, Array>), jit(grad(f))(p as Record<string, Array>), valueAndGrad(f)(p as Record<string, Array>)[1]]) {
      const gr = g as Record<string, Array>
      expect(Object.keys(gr)).toEqual(['__proto__', 'b'])
      expect((Object.getOwnPropertyDescriptor(gr, '__proto__')?.value as Array).item()).toBe(12)
      expect(gr.b.item()).toBe(4)
    }
    const j = jacrev(f)(p as Record<string, Array>) as Record<string, Array>
    expect(Object.keys(j)).toEqual(['__proto__', 'b'])
  })
})
