import { describe, expect, it } from 'vitest'
import {
  np, nn, lax, grad, jvp, vmap, jit, jacfwd, jacrev, hessian, makeJaxpr, checkpoint, customJvp, customVjp,
} from '../../src'
import type { Array, ClosedJaxpr } from '../../src'
import { constantFold, cse, dce, inlineJit, optimize, simplify, zeroCleanup } from '../../src/passes'
import type { Jaxpr } from '../../src/ir/jaxpr'
import type { Tracer } from '../../src/core/tracer'
import { allEqns, expectDeepFrozen, expectSameResults, expectWellTyped, randomInputs, rng } from './helpers'

const opt = (c: ClosedJaxpr<Tracer>): string => String(optimize(c.jaxpr))

// A two-layer MLP and its loss; the gradient is taken w.r.t. the parameter pytree.
interface Params { w1: Array; b1: Array; w2: Array; b2: Array }
const x5 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [0.7, 0.8, 0.9], [-1.0, 1.1, 1.2], [1.3, -1.4, 1.5]])
const y5 = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 1]])
const loss = (p: Params) => {
  const h = np.tanh(np.matmul(x5, p.w1).add(p.b1))
  return np.sum(np.square(np.matmul(h, p.w2).add(p.b2).sub(y5)))
}
const params: Params = { w1: np.ones([3, 4]), b1: np.ones([4]), w2: np.ones([4, 2]), b2: np.ones([2]) }

describe('optimize: jaxprs of real functions', () => {
  it('grad of x·x + (x + 2)', () => {
    const c = makeJaxpr(grad((x: Array) => x.mul(x).add(x.add(2))))(np.array(1.0))
    expect(opt(c)).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] = add 1.0 a
            c:f64[] = add b a
        in ( c ) }"
    `)
  })
  it('jvp of sum(exp(x)·x)', () => {
    const c = makeJaxpr((x: Array, t: Array) => jvp((y: Array) => np.exp(y).mul(y).sum(), [x], [t]))(np.ones([3]), np.ones([3]))
    expect(opt(c)).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] b:f64[3] .
        let c:f64[3] = exp a
            d:f64[3] = mul b c
            e:f64[3] = mul c a
            f:f64[3] = mul d a
            g:f64[3] = add f d
            h:f64[] = reduce_sum[axes=(0,)] e
            i:f64[] = reduce_sum[axes=(0,)] g
        in ( h i ) }"
    `)
  })
  it('grad of grad of sin(x)·x', () => {
    const c = makeJaxpr(grad(grad((x: Array) => np.sin(x).mul(x))))(np.array(1.0))
    expect(opt(c)).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] = sin a
            c:f64[] = cos a
            d:f64[] = neg b
            e:f64[] = mul a d
            f:f64[] = add e c
            g:f64[] = add f c
        in ( g ) }"
    `)
  })
  it('grad of jit(f): small jit bodies are inlined and simplified across the call', () => {
    const c = makeJaxpr(grad(jit((x: Array) => np.sin(x).mul(x).sum())))(np.ones([2]))
    expect(opt(c)).toMatchInlineSnapshot(`
      "{ lambda a:f64[2] .
        let b:f64[2] = sin a
            c:f64[2] = cos a
            d:f64[2] = mul a c
            e:f64[2] = add b d
        in ( e ) }"
    `)
  })
  it('MLP gradient: no multiplication by a broadcast 1, no identity reshape', () => {
    const c = makeJaxpr(grad(loss))(params)
    const isOnes = (j: Jaxpr) => {
      const ones = new Set(j.eqns.filter((e) => e.prim === 'broadcast_in_dim' && e.inputs[0]._tag === 'Lit' && e.inputs[0].value === 1).flatMap((e) => e.outVars))
      return j.eqns.some((e) => e.prim === 'mul' && e.inputs.some((a) => a._tag === 'Var' && ones.has(a)))
    }
    const identityReshape = (j: Jaxpr) =>
      allEqns(j).some((e) => e.prim === 'reshape' && e.inputs[0].aval.shape.join() === e.outVars[0].aval.shape.join())
    expect(isOnes(c.jaxpr)).toBe(true) // the original multiplies by ones
    expect(identityReshape(c.jaxpr)).toBe(false) // (identity reshapes are forwarded while staging)
    const o = optimize(c.jaxpr)
    expect(isOnes(o)).toBe(false)
    expect(identityReshape(o)).toBe(false)
    expect(String(o)).toMatchInlineSnapshot(`
      "{ lambda a:f64[5,3] b:f64[5,2] ; c:f64[4] d:f64[2] e:f64[3,4] f:f64[4,2] .
        let g:f64[5,4] = dot_general[dimensionNumbers={lhsContracting=(1,) rhsContracting=(0,) lhsBatch=() rhsBatch=()} preferredElementType=None] a e
            h:f64[5,4] = broadcast_in_dim[shape=(5, 4) broadcastDimensions=(1,)] c
            i:f64[5,4] = add g h
            j:f64[5,4] = tanh i
            k:f64[5,4] = mul j j
            l:f64[5,4] = sub 1.0 k
            m:f64[5,2] = dot_general[dimensionNumbers={lhsContracting=(1,) rhsContracting=(0,) lhsBatch=() rhsBatch=()} preferredElementType=None] j f
            n:f64[5,2] = broadcast_in_dim[shape=(5, 2) broadcastDimensions=(1,)] d
            o:f64[5,2] = add m n
            p:f64[5,2] = sub o b
            q:f64[5,2] = mul p 2.0
            r:f64[2] = reduce_sum[axes=(0,)] q
            s:f64[2,4] = dot_general[dimensionNumbers={lhsContracting=(0,) rhsContracting=(0,) lhsBatch=() rhsBatch=()} preferredElementType=None] q j
            t:f64[4,2] = transpose[permutation=(1, 0)] s
            u:f64[5,4] = dot_general[dimensionNumbers={lhsContracting=(1,) rhsContracting=(1,) lhsBatch=() rhsBatch=()} preferredElementType=None] q f
            v:f64[5,4] = mul u l
            w:f64[4] = reduce_sum[axes=(0,)] v
            x:f64[4,3] = dot_general[dimensionNumbers={lhsContracting=(0,) rhsContracting=(0,) lhsBatch=() rhsBatch=()} preferredElementType=None] v a
            y:f64[3,4] = transpose[permutation=(1, 0)] x
        in ( w r y t ) }"
    `)
  })
  it('jit optimizes the body it caches (nested jits inlined)', () => {
    const inner = jit((x: Array) => x.mul(1).add(0))
    const f = jit(grad((x: Array) => inner(x).mul(x).add(x.add(2))))
    expect(String(makeJaxpr(f)(np.array(1.0)))).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] = jit[jaxpr={ lambda a:f64[] .
                  let b:f64[] = add 1.0 a
                      c:f64[] = add b a
                  in ( c ) } numConsts=0 name=fn] a
        in ( b ) }"
    `)
    expect(f(np.array(3.0)).item()).toBe(7)
  })
})

// ---- semantics are preserved, and nothing is mutated ----------------------------------------

const s = np.array(0.7)
const v3 = np.array([0.3, -0.5, 0.9])
const v6 = np.array([0.1, 0.2, -0.3, 0.4, 0.5, -0.6])
const cube = (x: Array) => np.sum(x.mul(x).mul(x).add(np.sin(x).mul(x.sum())))
const cj = customJvp((x: Array) => np.sin(x), ([x], [t]) => [np.sin(x), np.cos(x).mul(t).mul(2)])
const cv = customVjp((x: Array) => np.exp(x), (x: Array) => [np.exp(x), np.exp(x)], (r: Array, ct: Array) => [ct.mul(r).mul(3)])
const cp = checkpoint((x: Array) => np.sin(np.sin(x)))

const cases: [string, () => ClosedJaxpr<Tracer>][] = [
  ['grad x·x + x + 2', () => makeJaxpr(grad((x: Array) => x.mul(x).add(x.add(2))))(s)],
  ['grad grad sin(x)·x', () => makeJaxpr(grad(grad((x: Array) => np.sin(x).mul(x))))(s)],
  ['grad grad grad tanh', () => makeJaxpr(grad(grad(grad((x: Array) => np.tanh(x).div(x.add(3))))))(s)],
  ['MLP gradient', () => makeJaxpr(grad(loss))(params)],
  ['jvp', () => makeJaxpr((x: Array, t: Array) => jvp((y: Array) => np.exp(y).mul(y).sum(), [x], [t]))(v3, v3)],
  ['hessian', () => makeJaxpr(hessian(cube))(v3)],
  ['grad of a grad-sum (vector)', () => makeJaxpr(grad((x: Array) => grad(cube)(x).mul(x).sum()))(v3)],
  ['jacrev softmax', () => makeJaxpr(jacrev((x: Array) => nn.softmax(x)))(v3)],
  ['jacfwd of reshapes and transposes', () => makeJaxpr(jacfwd((x: Array) => np.sin(x).reshape([2, 3]).T.reshape([6]).mul(x)))(v6)],
  ['grad of reshape∘reshape, transpose∘transpose', () =>
    makeJaxpr(grad((x: Array) => np.sum(np.transpose(np.transpose(x.reshape([6]).reshape([3, 2]), [1, 0]), [1, 0]).mul(x.reshape([3, 2])))))(v6.reshape([2, 3]))],
  ['vmap of grad', () => makeJaxpr(vmap(grad((x: Array) => np.sin(x).mul(x))))(v3)],
  ['grad of jit', () => makeJaxpr(grad(jit((x: Array) => np.log1p(x.mul(x)).sum())))(v3)],
  ['grad of logsumexp and where', () => makeJaxpr(grad((x: Array) => np.logsumexp(x).add(np.where(x.gt(0), x, x.mul(2)).sum())))(v3)],
  ['grad of custom rules and checkpoint', () => makeJaxpr(grad((x: Array) => cj(x).add(cv(x)).add(cp(x))))(s)],
  ['float32 with weak literals', () => makeJaxpr(grad((x: Array) => x.mul(2.5).add(1).mul(x).sum()))(np.array([1, 2], { dtype: 'float32' }))],
  ['integer_pow and max', () => makeJaxpr(grad((x: Array) => np.maximum(lax.integerPow(x, 3), x).sum()))(v3)],
]

describe('optimize: same values, typed, pure', () => {
  for (const [name, make] of cases) {
    it(name, () => {
      const c = make()
      const before = String(c.jaxpr)
      const o = optimize(c.jaxpr)
      expectWellTyped(o)
      expect(o.inVars).toEqual(c.jaxpr.inVars)
      expect(o.constVars).toEqual(c.jaxpr.constVars)
      expect(o.outAvals).toEqual(c.jaxpr.outAvals)
      expect(allEqns(o).length).toBeLessThanOrEqual(allEqns(c.jaxpr).length)
      for (let seed = 1; seed <= 3; seed++) expectSameResults(c.jaxpr, o, c.consts, randomInputs(c.jaxpr, rng(seed)))
      expect(String(c.jaxpr)).toBe(before)
      expectDeepFrozen(o)
      expect(optimize(o)).toBe(o) // a fixed point
    })
  }
  it('no pass mutates its input, and each returns a frozen jaxpr', () => {
    const passes: [string, (j: Jaxpr) => Jaxpr][] = [
      ['inlineJit', (j) => inlineJit(j, { all: true })], ['simplify', simplify], ['constantFold', constantFold],
      ['zeroCleanup', zeroCleanup], ['cse', cse], ['dce', dce], ['optimize', (j) => optimize(j)],
    ]
    for (const [, make] of cases) {
      const j = make().jaxpr
      const before = String(j)
      for (const [, pass] of passes) {
        const out = pass(j)
        expect(String(j)).toBe(before)
        expectDeepFrozen(j)
        expectDeepFrozen(out)
      }
    }
  })
})
