import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/Either'
import { np, lax, makeJaxpr, grad, jit, evalShape } from '../../src'
import type { Array } from '../../src'
import { typecheckJaxpr, jaxprsChecked } from '../../src/interpret/check'
import { Jaxpr, Var, makeEqn } from '../../src/ir/jaxpr'
import { shaped } from '../../src/ir/aval'

describe('jaxpr text form', () => {
  it('matches DESIGN §3 for sum(sin(a * b))', () => {
    const j = makeJaxpr((a: Array, b: Array) => np.sum(np.sin(np.multiply(a, b))))(np.zeros([3]), np.array(2.0))
    expect(String(j)).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] b:f64[] .
        let c:f64[3] = mul a b
            d:f64[3] = sin c
            e:f64[] = reduce_sum[axes=(0,)] d
        in ( e ) }"
    `)
  })
  it('prints literals, constants, multiple outputs and nested jaxprs', () => {
    const w = np.array([1, 2, 3])
    const j = makeJaxpr((x: Array) => [x.mul(2.5).add(w), lax.integerPow(x, 3)])(np.zeros([3]))
    expect(String(j)).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] ; b:f64[3] .
        let c:f64[3] = mul b 2.5
            d:f64[3] = add c a
            e:f64[3] = integer_pow[y=3] b
        in ( d e ) }"
    `)
    const k = makeJaxpr(jit(function inner(x: Array) { return np.cos(x) }))(np.array(1.0))
    expect(String(k)).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] = jit[jaxpr={ lambda a:f64[] .
                  let b:f64[] = cos a
                  in ( b ) } numConsts=0 name=inner] a
        in ( b ) }"
    `)
  })
  it('a jaxpr with no equations', () => {
    expect(String(makeJaxpr((x: Array) => x)(np.ones([2])))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2] .
        in ( a ) }"
    `)
  })
})

describe('immutability and typechecking', () => {
  it('jaxprs and equations are frozen', () => {
    const j = makeJaxpr((x: Array) => np.exp(x).sum())(np.ones([4])).jaxpr
    expect(Object.isFrozen(j)).toBe(true)
    expect(Object.isFrozen(j.eqns)).toBe(true)
    expect(Object.isFrozen(j.eqns[0])).toBe(true)
    expect(Object.isFrozen(j.eqns[0].params)).toBe(true)
    expect(() => {
      ;(j.eqns as Jaxpr['eqns'][number][]).push(j.eqns[0])
    }).toThrow(TypeError)
  })
  it('every jaxpr built under test is typechecked', () => {
    const before = jaxprsChecked()
    makeJaxpr(grad((x: Array) => np.tanh(x).sum()))(np.ones([3]))
    expect(jaxprsChecked()).toBeGreaterThan(before)
  })
  it('the typechecker rejects ill-typed jaxprs', () => {
    const a = new Var(shaped([3], 'float64'))
    const b = new Var(shaped([3], 'float32'))
    const bad = new Jaxpr([], [a], [makeEqn('sin', [a], {}, [b])], [b])
    const r = typecheckJaxpr(bad)
    expect(E.isLeft(r) && r.left).toMatch(/sin.*output 0 is f32\[3\] but abstract eval gives f64\[3\]/)
    const unbound = new Var(shaped([], 'float64'))
    const c = new Var(shaped([], 'float64'))
    const r2 = typecheckJaxpr(new Jaxpr([], [], [makeEqn('cos', [unbound], {}, [c])], [c]))
    expect(E.isLeft(r2) && r2.left).toMatch(/used before it is bound/)
    const twice = new Jaxpr([], [a], [makeEqn('sin', [a], {}, [a])], [a])
    expect(E.isLeft(typecheckJaxpr(twice))).toBe(true)
  })
  it('evalShape computes avals without values', () => {
    const out = evalShape((x: Array, y: Array) => ({ p: np.matmul(x, y), s: x.sum() }))(np.ones([2, 3]), np.ones([3, 5]))
    expect(out.p.shape).toEqual([2, 5])
    expect(out.p.dtype).toBe('float64')
    expect(out.s.shape).toEqual([])
  })
})
