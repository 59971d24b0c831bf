import { describe, expect, it } from 'vitest'
import { constantFold } from '../../src/passes'
import { Jaxpr } from '../../src/ir/jaxpr'
import { Builder, bcast, expectDeepFrozen, expectSameResults, expectWellTyped, lit, randomInputs, rng } from './helpers'

const run = (j: Jaxpr): string => {
  const s = constantFold(j)
  expectWellTyped(s)
  expectSameResults(j, s, [], randomInputs(j, rng(3)))
  return String(s)
}

describe('constantFold', () => {
  it('evaluates 0-d equations of literals by the primitive impl, in chains', () => {
    const b = new Builder()
    const x = b.input([])
    const c = b.op('mul', [lit(2), lit(3)])
    const s = b.op('sin', [c]) // sin(6), folded once c is a literal
    const y = b.op('add', [x, s])
    const j = b.done(y, c)
    const out = constantFold(j)
    expect(out.eqns.length).toBe(1)
    expect(out.eqns[0].inputs[1]).toMatchObject({ _tag: 'Lit', value: Math.sin(6) })
    expect(run(j)).toMatchInlineSnapshot(`
      "{ lambda a:f64[] .
        let b:f64[] = add a -0.27941549819892586
        in ( b 6.0 ) }"
    `)
  })
  it('folds with exact dtype semantics: float32 rounding, int32 division, comparisons to bool', () => {
    const b = new Builder()
    const f = b.op('div', [lit(1, 'float32', false), lit(3, 'float32', false)])
    const i = b.op('div', [lit(7, 'int32', false), lit(-2, 'int32', false)])
    const p = b.op('lt', [lit(1), lit(2)])
    const n = b.op('log', [lit(-1)])
    const j = b.done(f, i, p, n)
    const out = constantFold(j)
    expect(out.eqns.length).toBe(0)
    expect(out.outs.map((a) => (a._tag === 'Lit' ? a.value : null))).toEqual([Math.fround(1 / 3), -3, 1, NaN])
    expect(out.outs.map((a) => a.aval)).toEqual(j.outs.map((a) => a.aval))
    expect(run(j)).toMatchInlineSnapshot(`
      "{ lambda .
        in ( 0.3333333432674408 -3 true nan ) }"
    `)
  })
  it('leaves non-0-d results alone (no big constants in a jaxpr)', () => {
    const b = new Builder()
    const x = b.input([3])
    const one = bcast(b, lit(1), [3])
    const j = b.done(b.op('mul', [x, one]))
    expect(constantFold(j)).toBe(j)
  })
  it('does not fold equations with a variable input', () => {
    const b = new Builder()
    const x = b.input([])
    const j = b.done(b.op('add', [x, lit(1)]))
    expect(constantFold(j)).toBe(j)
  })
  it('does not fold calls (a jit of literals), but folds inside their bodies', () => {
    const inner = new Builder()
    const a = inner.input([])
    const body = inner.done(inner.op('mul', [a, inner.op('add', [lit(1), lit(2)])]))
    const b = new Builder()
    const y = b.op('jit', [lit(4)], { jaxpr: body, numConsts: 0, name: 'f' })
    const j = b.done(y)
    const out = constantFold(j)
    expect(out.eqns.map((e) => e.prim)).toEqual(['jit'])
    expect(run(j)).toMatchInlineSnapshot(`
      "{ lambda .
        let a:f64[] = jit[jaxpr={ lambda a:f64[] .
                  let b:f64[] = mul a 3.0
                  in ( b ) } numConsts=0 name=f] 4.0
        in ( a ) }"
    `)
    expectDeepFrozen(out)
  })
})
