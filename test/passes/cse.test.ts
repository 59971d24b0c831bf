import { describe, expect, it } from 'vitest'
import { cse } from '../../src/passes'
import type { Jaxpr } from '../../src/ir/jaxpr'
import { Builder, expectSameResults, expectWellTyped, lit, randomInputs, rng } from './helpers'

const run = (j: Jaxpr): string => {
  const s = cse(j)
  expectWellTyped(s)
  expectSameResults(j, s, [], randomInputs(j, rng(11)))
  return String(s)
}

describe('cse', () => {
  it('merges identical equations, and what becomes identical after merging', () => {
    const b = new Builder()
    const x = b.input([3])
    const s1 = b.op('sin', [x])
    const s2 = b.op('sin', [x])
    const e1 = b.op('exp', [s1])
    const e2 = b.op('exp', [s2]) // identical once s2 is s1
    expect(run(b.done(b.op('add', [e1, e2])))).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] .
        let b:f64[3] = sin a
            c:f64[3] = exp b
            d:f64[3] = add c c
        in ( d ) }"
    `)
  })
  it('compares params structurally (equal arrays that are different objects merge)', () => {
    const b = new Builder()
    const x = b.input([2, 3])
    const t1 = b.op('transpose', [x], { permutation: [1, 0] })
    const t2 = b.op('transpose', [x], { permutation: [1, 0] })
    const r1 = b.op('reduce_sum', [x], { axes: [0] })
    const r2 = b.op('reduce_sum', [x], { axes: [1] }) // different params: kept
    expect(run(b.done(t1, t2, r1, r2))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2,3] .
        let b:f64[3,2] = transpose[permutation=(1, 0)] a
            c:f64[3] = reduce_sum[axes=(0,)] a
            d:f64[2] = reduce_sum[axes=(1,)] a
        in ( b b c d ) }"
    `)
  })
  it('compares literals by value, dtype and weak type', () => {
    const b = new Builder()
    const x = b.input([2])
    const a1 = b.op('mul', [x, lit(2)])
    const a2 = b.op('mul', [x, lit(2)]) // same: merged
    const a3 = b.op('mul', [x, lit(3)]) // other value
    const a4 = b.op('mul', [x, lit(2, 'float64', false)]) // strong 2.0: not the weak one
    const a5 = b.op('add', [x, lit(0)])
    const a6 = b.op('add', [x, lit(-0)]) // -0 is not 0
    expect(run(b.done(a1, a2, a3, a4, a5, a6))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2] .
        let b:f64[2] = mul a 2.0
            c:f64[2] = mul a 3.0
            d:f64[2] = mul a 2.0
            e:f64[2] = add a 0.0
            f:f64[2] = add a -0.0
        in ( b b c d e f ) }"
    `)
  })
  it('treats commutative operands as unordered, and ordered ones as ordered', () => {
    const b = new Builder()
    const x = b.input([2])
    const y = b.input([2])
    const m1 = b.op('mul', [x, y])
    const m2 = b.op('mul', [y, x])
    const s1 = b.op('sub', [x, y])
    const s2 = b.op('sub', [y, x])
    expect(run(b.done(m1, m2, s1, s2))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2] b:f64[2] .
        let c:f64[2] = mul a b
            d:f64[2] = sub a b
            e:f64[2] = sub b a
        in ( c c d e ) }"
    `)
  })
  it('compares jaxpr params by identity, and works inside sub-jaxprs', () => {
    const ib = new Builder()
    const a = ib.input([])
    const body = ib.done(ib.op('add', [ib.op('cos', [a]), ib.op('cos', [a])]))
    const b = new Builder()
    const x = b.input([])
    const c1 = b.op('jit', [x], { jaxpr: body, numConsts: 0, name: 'f' })
    const c2 = b.op('jit', [x], { jaxpr: body, numConsts: 0, name: 'f' })
    expect(run(b.done(c1, c2))).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] = jit[jaxpr={ lambda a:f64[] .
                  let b:f64[] = cos a
                      c:f64[] = add b b
                  in ( c ) } numConsts=0 name=f] a
        in ( b b ) }"
    `)
  })
  it('returns its input when nothing repeats', () => {
    const b = new Builder()
    const x = b.input([2])
    const j = b.done(b.op('sin', [x]), b.op('cos', [x]))
    expect(cse(j)).toBe(j)
  })
})
