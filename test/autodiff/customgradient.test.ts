/**
 * customGradient (jax.custom_gradient): the returned vjp is the reverse-mode derivative — also
 * when it is not the true derivative — under grad, vjp, jit and vmap; grad of grad
 * differentiates the vjp itself; pytrees in and out; forward mode and malformed returns are
 * named errors.
 */
import { describe, expect, it } from 'vitest'
import {
  type Array as Arr, NonDifferentiableError, TreeMismatchError, customGradient, grad, jacfwd, jit, jvp, np, vjp, vmap,
} from '../../src'

const list = (x: Arr): number[] => x.tolist() as number[]

describe('customGradient', () => {
  // sin with its true derivative, written as a vjp that uses a value computed in f
  const sinG = customGradient((x: Arr) => {
    const c = np.cos(x)
    return [np.sin(x), (g: Arr) => [g.mul(c)]]
  })
  // x² with a deliberately wrong derivative 3x: the rule, not the function, is differentiated
  const sq3 = customGradient((x: Arr) => [x.mul(x), (g: Arr) => [g.mul(x).mul(3)]])

  it('the value is f’s value; grad and vjp use the returned vjp', () => {
    expect(sinG(np.array(0.3)).item()).toBe(Math.sin(0.3))
    expect(grad(sinG)(np.array(0.3)).item()).toBe(Math.cos(0.3))
    expect(grad(sq3)(np.array(2)).item()).toBe(6)
    const [out, pb] = vjp(sq3, [np.array([1, 2])])
    expect(list(out)).toEqual([1, 4])
    expect(list(pb(np.array([1, -2]))[0] as Arr)).toEqual([3, -12])
  })
  it('grad of grad differentiates the vjp: (sin)″ = −sin, (rule 3x)′ = 3', () => {
    expect(grad(grad(sinG))(np.array(0.3)).item()).toBeCloseTo(-Math.sin(0.3), 15)
    expect(grad(grad(sq3))(np.array(2)).item()).toBe(3)
  })
  it('jit and vmap respect the rule', () => {
    expect(jit(grad(sq3))(np.array(5)).item()).toBe(15)
    expect(grad(jit(sq3))(np.array(5)).item()).toBe(15)
    expect(list(vmap(grad(sq3))(np.array([1, 2, 3])) as Arr)).toEqual([3, 6, 9])
    expect(list(vmap(grad(sinG))(np.array([0.1, 0.2])) as Arr)).toEqual([Math.cos(0.1), Math.cos(0.2)])
  })
  it('several arguments and pytrees; null is a zero cotangent', () => {
    const f = customGradient((p: { w: Arr; b: Arr }, x: Arr) => [
      p.w.mul(x).add(p.b).sum(),
      (g: Arr) => [{ w: x.mul(g).mul(10), b: np.onesLike(p.b).mul(g) }, null],
    ])
    const p = { w: np.array([1, 2]), b: np.array(0.5) }
    const [gp, gx] = grad(f, { argnums: [0, 1] })(p, np.array([3, 4])) as [{ w: Arr; b: Arr }, Arr]
    expect(list(gp.w)).toEqual([30, 40])
    expect(gp.b.item()).toBe(1)
    expect(list(gx)).toEqual([0, 0])
  })
  it('forward mode is a NonDifferentiableError naming the function (reverse-only, as JAX)', () => {
    expect(() => jvp(sinG, [np.array(0.3)], [np.array(1)])).toThrow(NonDifferentiableError)
    expect(() => jacfwd(sinG)(np.array(0.3))).toThrow(/customGradient/)
  })
  it('malformed returns are named errors', () => {
    const noPair = customGradient((x: Arr) => x as never)
    expect(() => noPair(np.array(1))).toThrow(/must return \[value, vjp\]/)
    const wrongCount = customGradient((x: Arr) => [x, (g: Arr) => [g, g] as never])
    expect(() => grad(wrongCount)(np.array(1))).toThrow(TreeMismatchError)
    const wrongTree = customGradient((x: Arr) => [x, (g: Arr) => [{ a: g }] as never])
    expect(() => grad(wrongTree)(np.array(1))).toThrow(TreeMismatchError)
  })
})
