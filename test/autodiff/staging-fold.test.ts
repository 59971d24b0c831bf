// What staging folds and forwards before an equation exists (comparisons and selects on
// constants, a select on a constant predicate), and the max/min rule whose 0-d form relies on
// it: values at ties and on either side, both dtypes, every route to the derivative.
import { describe, expect, it } from 'vitest'
import { type NDArray as Arr, grad, jacfwd, jit, jvp, lax, makeJaxpr, np } from '../../src'
import type { Jaxpr } from '../../src/ir/jaxpr'

/** Equations whose operands are all literals (staging should have evaluated them). */
const allLiteral = (j: Jaxpr): string[] =>
  j.eqns.filter((e) => e.inputs.length > 0 && e.inputs.every((a) => a._tag === 'Lit')).map((e) => e.prim)

describe('staging folds constants', () => {
  it('comparisons, logic and selects of 0-d constants are evaluated, not staged', () => {
    const f = (x: Arr): Arr => {
      const two = np.array(2)
      const c = np.logicalAnd(two.gt(1), np.logicalNot(two.eq(3)))
      return x.mul(np.where(c, np.maximum(two, 5), np.minimum(two, -1)))
    }
    const j = makeJaxpr(f)(np.array(1.5)).jaxpr
    expect(allLiteral(j)).toEqual([])
    expect(j.eqns.map((e) => e.prim)).toEqual(['mul'])
    expect(f(np.array(1.5)).item()).toBe(7.5)
    expect(jit(f)(np.array(1.5)).item()).toBe(7.5)
  })

  it('a select on a constant predicate is the case it picks', () => {
    const f = (x: Arr, y: Arr): Arr => lax.select(np.array(true), x.sin(), y.cos()).add(lax.select(np.array(false), x, y))
    const j = makeJaxpr(f)(np.array(0.3), np.array(0.7)).jaxpr
    // (cos y is staged before the select sees its predicate; DCE removes it later)
    expect(j.eqns.map((e) => e.prim)).toEqual(['sin', 'cos', 'add'])
    expect(f(np.array(0.3), np.array(0.7)).item()).toBe(Math.sin(0.3) + 0.7)
  })

  it('x + 0 and x − 0 are forwarded only where they are x bit for bit (−0 stays −0)', () => {
    const prims = (f: (x: Arr) => Arr, x: Arr) => makeJaxpr(f)(x).jaxpr.eqns.map((e) => e.prim)
    const i = np.array(7, { dtype: 'int32' })
    const z = np.array(-0)
    expect(prims((x) => x.add(0).sub(0), i)).toEqual([])
    expect(prims((x) => x.add(-0).sub(0), z)).toEqual([])
    // a float +0 added, or a −0 subtracted, turns −0 into +0: staged
    expect(prims((x) => x.add(0), z)).toEqual(['add'])
    expect(prims((x) => x.sub(-0), z)).toEqual(['sub'])
    for (const run of [(f: (x: Arr) => Arr) => f, jit]) expect(Object.is(run((x: Arr) => x.add(-0).sub(0))(z).item(), -0)).toBe(true)
    // eagerly +0 (jit's simplification pass keeps −0 there: its one documented exception)
    expect(Object.is(z.add(0).item(), 0)).toBe(true)
    expect(Object.is(z.sub(-0).item(), 0)).toBe(true)
    expect(Object.is(makeJaxpr((x: Arr) => x.add(0))(z).jaxpr.eqns.length, 1)).toBe(true)
  })

  it('a reshape, broadcast or transpose that keeps every axis in place is forwarded; one that moves them is not', () => {
    const m = np.array([[1, 2], [3, 4]])
    const j = makeJaxpr((x: Arr) => [lax.reshape(x, [2, 2]), lax.broadcastInDim(x, [2, 2], [0, 1]), lax.transpose(x, [0, 1]), lax.transpose(x, [1, 0])])(m).jaxpr
    expect(j.eqns.map((e) => e.prim)).toEqual(['transpose'])
    // and a 0-d constant broadcast stays an equation (not a captured array)
    const k = makeJaxpr((x: Arr) => x.add(lax.broadcastInDim(np.array(2), [2, 2], [])))(m)
    expect(k.consts).toHaveLength(0)
    expect(k.jaxpr.eqns.map((e) => e.prim)).toEqual(['broadcast_in_dim', 'add'])
  })

  it("pow's derivative by a constant exponent stages no test of the exponent", () => {
    const f = (x: Arr): Arr => np.power(x, 2.5)
    const j = makeJaxpr(grad(f))(np.array(1.7)).jaxpr
    expect(allLiteral(j)).toEqual([])
    expect(j.eqns.some((e) => e.prim === 'eq' || e.prim === 'select_n')).toBe(false)
    expect(grad(f)(np.array(1.7)).item()).toBeCloseTo(2.5 * 1.7 ** 1.5, 14)
    // and by a zero exponent (the case the guard is for): d x⁰ = 0, also at x = 0
    expect(grad((x: Arr) => np.power(x, 0))(np.array(0)).item()).toBe(0)
  })

  it("the square's derivative 2x·dx stages one multiplication, no x¹", () => {
    const f = (x: Arr): Arr => np.square(x).sum()
    const j = makeJaxpr(grad(f))(np.array([1.5, -0.25])).jaxpr
    expect(j.eqns.some((e) => e.prim === 'integer_pow' && (e.params as { y: number }).y === 1)).toBe(false)
    expect(grad(f)(np.array([1.5, -0.25])).tolist()).toEqual([3, -0.5])
    // x³ still goes through x² (d x³ = 3x² dx)
    const g = (x: Arr): Arr => lax.integerPow(x, 3).sum()
    expect(makeJaxpr(grad(g))(np.array([2])).jaxpr.eqns.filter((e) => e.prim === 'integer_pow').map((e) => (e.params as { y: number }).y)).toEqual([3, 2])
    expect(grad(g)(np.array([2, -0.5])).tolist()).toEqual([12, 0.75])
  })
})

describe('max and min: ties split the derivative evenly', () => {
  const cases: [string, (x: Arr, y: Arr | number) => Arr, number, number, number][] = [
    // [name, f, x, y, weight of x]
    ['max, x wins', np.maximum, 3, 2, 1],
    ['max, y wins', np.maximum, 1, 2, 0],
    ['max, tie', np.maximum, 2, 2, 0.5],
    ['min, x wins', np.minimum, 1, 2, 1],
    ['min, y wins', np.minimum, 3, 2, 0],
    ['min, tie', np.minimum, 2, 2, 0.5],
  ]
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, f, x, y, w] of cases) {
      it(`${name} (${dtype}): jvp, grad, jacfwd, jit, 0-d and 1-d`, () => {
        const X = np.array(x, { dtype })
        const Y = np.array(y, { dtype })
        // both tangents: w dx + (1 − w) dy
        const [, t] = jvp(f, [X, Y], [np.array(10, { dtype }), np.array(1, { dtype })])
        expect(t.item()).toBe(10 * w + (1 - w))
        expect(t.dtype).toBe(dtype)
        // one side constant (a literal operand, as in a clip)
        expect(grad((a: Arr) => f(a, Y))(X).item()).toBe(w)
        expect(grad((b: Arr) => f(X, b))(Y).item()).toBe(1 - w)
        expect(jit(grad((a: Arr) => f(a, np.array(y, { dtype }))))(X).item()).toBe(w)
        expect(grad((a: Arr) => f(a, y))(X).item()).toBe(w)
        // arrays: the same weights elementwise
        const xs = np.array([x, y, x], { dtype })
        const ys = np.array([y, x, x], { dtype })
        const J = jacfwd((a: Arr) => f(a, ys))(xs).tolist() as number[][]
        // (the middle element has the operands swapped: weight 1 − w)
        expect(J.map((r, i) => r[i])).toEqual([w, 1 - w, 0.5])
      })
    }
  }

  it('the second derivative through a max is zero away from ties, and the first is exact', () => {
    const f = (x: Arr): Arr => np.maximum(x.mul(x), 1)
    expect(grad(f)(np.array(3)).item()).toBe(6)
    expect(grad(grad(f))(np.array(3)).item()).toBe(2)
    expect(grad(f)(np.array(0.5)).item()).toBe(0)
    expect(grad(f)(np.array(1)).item()).toBe(1) // a tie: ½ · 2x
  })
})
