import { describe, expect, it } from 'vitest'
import { np, jit, makeJaxpr, checkpoint, customJvp, customVjp, grad } from '../../src'
import type { Array } from '../../src'
import { inlineJit } from '../../src/passes'
import type { Jaxpr } from '../../src/ir/jaxpr'
import type { ParamsMap, PrimName } from '../../src/ir/params'
import { shaped } from '../../src/ir/aval'
import { Builder, countPrim, expectSameResults, expectWellTyped, lit, randomInputs, rng } from './helpers'

const check = (j: Jaxpr, out: Jaxpr, consts: readonly never[] = []): void => {
  expectWellTyped(out)
  expectSameResults(j, out, consts, randomInputs(j, rng(13)))
}

/** A jit equation calling `body`, with `n` extra sin equations to make it big. */
const chainBody = (n: number): Jaxpr => {
  const b = new Builder()
  let x = b.input([])
  for (let i = 0; i < n; i++) x = b.op('sin', [x])
  return b.done(x)
}

describe('inlineJit', () => {
  it('inlines small top-level calls, keeps big ones unless asked', () => {
    const b = new Builder()
    const x = b.input([])
    const small = b.op('jit', [x], { jaxpr: chainBody(2), numConsts: 0, name: 'small' })
    const big = b.op('jit', [small], { jaxpr: chainBody(20), numConsts: 0, name: 'big' })
    const j = b.done(big)
    const out = inlineJit(j)
    check(j, out)
    expect(out.eqns.map((e) => e.prim)).toEqual(['sin', 'sin', 'jit'])
    expect(countPrim(inlineJit(j, { maxEqns: 1 }), 'jit')).toBe(2)
    expect(countPrim(inlineJit(j, { all: true }), 'jit')).toBe(0)
    expect(countPrim(inlineJit(j, { maxEqns: 20 }), 'jit')).toBe(0)
  })
  it('always inlines calls nested inside another body, however big', () => {
    const ib = new Builder()
    const a = ib.input([])
    const body = ib.done(ib.op('cos', [ib.op('jit', [a], { jaxpr: chainBody(20), numConsts: 0, name: 'big' })]))
    const b = new Builder()
    const x = b.input([])
    const j = b.done(b.op('jit', [x], { jaxpr: body, numConsts: 0, name: 'outer' }))
    const out = inlineJit(j, { maxEqns: 0 })
    check(j, out)
    expect(out.eqns.map((e) => e.prim)).toEqual(['jit'])
    expect(countPrim(out, 'jit')).toBe(1)
    expect(countPrim(out, 'sin')).toBe(20)
  })
  it('uses fresh variables: one body inlined twice binds each variable once', () => {
    const f = jit(function f(x: Array) { return np.sin(x).mul(2) })
    const c = makeJaxpr((x: Array) => f(f(x)))(np.ones([3]))
    expect((c.jaxpr.eqns[0].params as ParamsMap['jit']).jaxpr).toBe((c.jaxpr.eqns[1].params as ParamsMap['jit']).jaxpr) // one cached body
    const out = inlineJit(c.jaxpr)
    check(c.jaxpr, out)
    expect(String(out)).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] .
        let b:f64[3] = sin a
            c:f64[3] = mul b 2.0
            d:f64[3] = sin c
            e:f64[3] = mul d 2.0
        in ( e ) }"
    `)
  })
  it('passes numConsts leading inputs as ordinary inputs; body outputs may be inputs or literals', () => {
    const w = np.array([1, 2, 3])
    const f = jit(function f(x: Array) { return [x.mul(w), x, np.array(2.5)] })
    const c = makeJaxpr((x: Array) => f(x.add(1)))(np.ones([3]))
    expect(c.jaxpr.eqns[1].params).toMatchObject({ numConsts: 1 })
    const out = inlineJit(c.jaxpr)
    check(c.jaxpr, out, c.consts as never[])
    expect(String(out)).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] ; b:f64[3] .
        let c:f64[3] = add b 1.0
            d:f64[3] = mul c a
        in ( d c 2.5 ) }"
    `)
  })
  it('recurses into every higher-order primitive’s sub-jaxprs but inlines none of them', () => {
    const withJit = (): Jaxpr => {
      const b = new Builder()
      const a = b.input([])
      return b.done(b.op('jit', [a], { jaxpr: chainBody(1), numConsts: 0, name: 'j' }))
    }
    const two = (): Jaxpr => {
      const b = new Builder()
      const a = b.input([])
      const t = b.input([])
      return b.done(b.op('jit', [a], { jaxpr: chainBody(1), numConsts: 0, name: 'j' }), t)
    }
    const cases: [PrimName, number, unknown][] = [
      ['checkpoint', 1, { jaxpr: withJit(), numConsts: 0, name: 'c' }],
      ['custom_jvp_call', 1, { jaxpr: withJit(), numConsts: 0, name: 'c', jvpJaxpr: two(), jvpNumConsts: 0 }],
      ['custom_vjp_call', 1, {
        jaxpr: withJit(), numConsts: 0, name: 'c', fwdJaxpr: withJit(), fwdNumConsts: 0, bwdJaxpr: withJit(), bwdNumConsts: 0, numResiduals: 0,
      }],
      ['custom_vjp_lin', 1, { bwdJaxpr: withJit(), bwdNumConsts: 0, numResiduals: 0, outAvals: [shaped([], 'float64')], name: 'c' }],
    ]
    for (const [prim, nIn, params] of cases) {
      const b = new Builder()
      const x = b.input([])
      const ins = new globalThis.Array<typeof x>(nIn).fill(x)
      const j = b.done(...b.ops(prim, ins, params as ParamsMap[typeof prim]))
      const out = inlineJit(j, { all: true })
      expectWellTyped(out)
      expect(out.eqns.map((e) => e.prim)).toEqual([prim])
      expect(countPrim(j, 'jit')).toBeGreaterThan(0)
      expect(countPrim(out, 'jit')).toBe(0)
      expect(countPrim(out, 'sin')).toBe(countPrim(j, 'sin'))
    }
  })
  it('on traced code: jits inside checkpoint and custom rules are inlined there', () => {
    const s = jit(function s(x: Array) { return np.sin(x) })
    const c = checkpoint((x: Array) => s(x).mul(x))
    const cj = customJvp((x: Array) => s(x), ([x], [t]) => [s(x), np.cos(x).mul(t)])
    const cv = customVjp((x: Array) => s(x), (x: Array) => [s(x), x], (r: Array, ct: Array) => [s(ct).mul(r)])
    const f = (x: Array) => c(x).add(cj(x)).add(cv(x))
    const j = makeJaxpr(f)(np.array(0.5)).jaxpr
    // (grad through the checkpoint of a jit is left out: it fails before any pass runs)
    const g = makeJaxpr(grad((x: Array) => cj(x).add(cv(x))))(np.array(0.5)).jaxpr
    for (const k of [j, g]) {
      const out = inlineJit(k, { maxEqns: 0 })
      check(k, out)
      expect(countPrim(k, 'jit')).toBeGreaterThan(0)
      expect(out.eqns.filter((e) => e.prim === 'jit').length).toBe(k.eqns.filter((e) => e.prim === 'jit').length)
      expect(countPrim(out, 'jit')).toBe(out.eqns.filter((e) => e.prim === 'jit').length)
    }
  })
  it('returns its input when there is nothing to inline', () => {
    const b = new Builder()
    const x = b.input([])
    const j = b.done(b.op('add', [x, lit(1)]))
    expect(inlineJit(j, { all: true })).toBe(j)
  })
})
