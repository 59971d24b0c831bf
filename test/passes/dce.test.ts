import { describe, expect, it } from 'vitest'
import { dce, dceJaxpr } from '../../src/passes'
import { dceJaxpr as dceFromInterpret } from '../../src/interpret/dce'
import type { Jaxpr } from '../../src/ir/jaxpr'
import { Builder, expectSameResults, expectWellTyped, lit, randomInputs, rng } from './helpers'

const run = (j: Jaxpr): string => {
  const s = dce(j)
  expectWellTyped(s)
  expectSameResults(j, s, [], randomInputs(j, rng(5)))
  return String(s)
}

describe('dce', () => {
  it('removes equations nobody reads, keeps the inputs', () => {
    const b = new Builder()
    const x = b.input([3])
    const unusedIn = b.input([2])
    b.op('exp', [b.op('sin', [x])]) // dead chain
    b.op('neg', [unusedIn])
    const y = b.op('cos', [x])
    expect(run(b.done(y))).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] b:f64[2] .
        let c:f64[3] = cos a
        in ( c ) }"
    `)
  })
  it('keeps a multi-output equation when one output is used', () => {
    const b = new Builder()
    const x = b.input([2, 2])
    const [lu] = b.ops('lu', [x], {})
    const j = b.done(lu)
    expect(dce(j)).toBe(j)
  })
  it('cleans sub-jaxpr bodies but keeps their signatures (every body output counts as used)', () => {
    const ib = new Builder()
    const a = ib.input([])
    const unused = ib.input([])
    ib.op('sin', [a]) // dead inside the body
    const body = ib.done(ib.op('cos', [a]), ib.op('exp', [unused]))
    const b = new Builder()
    const x = b.input([])
    const [c1] = b.ops('checkpoint', [x, lit(1)], { jaxpr: body, numConsts: 0, name: 'f' })
    expect(run(b.done(c1))).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] c:f64[] = checkpoint[jaxpr={ lambda a:f64[] b:f64[] .
                  let c:f64[] = cos a
                      d:f64[] = exp b
                  in ( c d ) } numConsts=0 name=f] a 1.0
        in ( b ) }"
    `)
  })
  it('dceJaxpr: selected outputs only, importable from the interpreters too', () => {
    expect(dceFromInterpret).toBe(dceJaxpr)
    const b = new Builder()
    const x = b.input([])
    const s = b.op('sin', [x])
    const c = b.op('cos', [x])
    const j = b.done(s, c)
    expect(String(dceJaxpr(j, [false, true]))).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] = cos a
        in ( b ) }"
    `)
    expect(dceJaxpr(j)).toBe(j)
  })
})
