import { describe, expect, it } from 'vitest'
import { zeroCleanup } from '../../src/passes'
import type { Jaxpr } from '../../src/ir/jaxpr'
import { Builder, bcast, expectSameResults, expectWellTyped, lit, randomInputs, rng } from './helpers'

const run = (j: Jaxpr): string => {
  const s = zeroCleanup(j)
  expectWellTyped(s)
  expectSameResults(j, s, [], randomInputs(j, rng(17)))
  return String(s)
}

describe('zeroCleanup', () => {
  it('select_n whose cases are all the same atom → that case (bool or int32 predicate)', () => {
    const b = new Builder()
    const p = b.input([3], 'bool')
    const i = b.input([], 'int32')
    const x = b.input([3])
    const s1 = b.op('select_n', [p, x, x])
    const s2 = b.op('select_n', [i, s1, s1, s1])
    const s3 = b.op('select_n', [i, lit(2), lit(2)]) // equal literals count as the same
    const s4 = b.op('select_n', [p, x, s1]) // the same once s1 is x
    const kept = b.op('select_n', [p, x, b.op('neg', [x])])
    expect(run(b.done(s2, s3, s4, kept))).toMatchInlineSnapshot(`
      "{ lambda a:bool[3] b:i32[] c:f64[3] .
        let d:f64[3] = neg c
            e:f64[3] = select_n a c d
        in ( c 2.0 c e ) }"
    `)
  })
  it('keeps select_n between literals that differ in value or sign of zero', () => {
    const b = new Builder()
    const p = b.input([], 'bool')
    const j = b.done(b.op('select_n', [p, lit(0), lit(-0)]), b.op('select_n', [p, lit(1), lit(2)]))
    expect(zeroCleanup(j)).toBe(j)
  })
  it('add of two broadcasts of zero → one of them (the sum’s sign of zero)', () => {
    const b = new Builder()
    const z1 = bcast(b, lit(0), [2, 2])
    const z2 = bcast(b, lit(0), [2, 2])
    const m1 = bcast(b, lit(-0), [2, 2])
    const m2 = bcast(b, lit(-0), [2, 2])
    const s = b.op('add', [m1, z1]) // -0 + 0 = +0: the second operand
    const t = b.op('add', [m1, m2]) // -0 + -0 = -0
    const u = b.op('add', [z1, z2])
    expect(run(b.done(s, t, u))).toMatchInlineSnapshot(`
      "{ lambda .
        let a:f64[2,2] = broadcast_in_dim[shape=(2, 2) broadcastDimensions=()] 0.0
            b:f64[2,2] = broadcast_in_dim[shape=(2, 2) broadcastDimensions=()] 0.0
            c:f64[2,2] = broadcast_in_dim[shape=(2, 2) broadcastDimensions=()] -0.0
            d:f64[2,2] = broadcast_in_dim[shape=(2, 2) broadcastDimensions=()] -0.0
        in ( a c a ) }"
    `)
  })
  it('leaves x + broadcast 0, mul and dot_general by broadcast zeros alone (NaN·0 is NaN)', () => {
    const b = new Builder()
    const x = b.input([2, 2])
    const z = bcast(b, lit(0), [2, 2])
    const m = b.op('mul', [x, z])
    const d = b.op('dot_general', [x, z], {
      dimensionNumbers: { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] },
      preferredElementType: null,
    })
    const a = b.op('add', [x, z])
    const j = b.done(m, d, a)
    expect(zeroCleanup(j)).toBe(j)
  })
  it('works inside sub-jaxprs', () => {
    const ib = new Builder()
    const p = ib.input([], 'bool')
    const a = ib.input([])
    const body = ib.done(ib.op('select_n', [p, a, a]))
    const b = new Builder()
    const q = b.input([], 'bool')
    const x = b.input([])
    expect(run(b.done(b.op('jit', [q, x], { jaxpr: body, numConsts: 0, name: 'f' })))).toMatchInlineSnapshot(`
      "{ lambda a:bool[] b:f64[] .
        let c:f64[] = jit[jaxpr={ lambda a:bool[] b:f64[] .
                  in ( b ) } numConsts=0 name=f] a b
        in ( c ) }"
    `)
  })
})
