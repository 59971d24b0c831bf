/**
 * EqnTable (src/ir/eqnkey.ts) has the equality of `eqnKey`: two equations share a slot exactly
 * when their string keys are equal. Checked on every pair of a set of equations that differ
 * in one respect at a time (primitive, operand order, arity, literal value / dtype / weak type,
 * −0, NaN, params by content and by identity), and through staging and the CSE pass.
 */
import { describe, expect, it } from 'vitest'
import { jit, makeJaxpr, np } from '../../src'
import { EqnTable, atomKey, eqnKey, operandOf } from '../../src/ir/eqnkey'
import { shaped } from '../../src/ir/aval'
import { type Atom, Lit, Var } from '../../src/ir/jaxpr'
import type { PrimName } from '../../src/ir/params'
import { cse } from '../../src/passes'

describe('EqnTable', () => {
  const a = new Var(shaped([], 'float64'))
  const b = new Var(shaped([], 'float64'))
  const c = new Var(shaped([], 'float64'))
  const lits = [new Lit(2, 'float64', true), new Lit(2, 'float64', false), new Lit(2, 'float32', true), new Lit(0, 'float64', true), new Lit(-0, 'float64', true), new Lit(NaN, 'float64', true), new Lit(NaN, 'float64', true), new Lit(3, 'float64', true)]
  const fn = (x: number) => x
  const sameFn = fn
  const operands: Atom[][] = [[], [a], [b], [a, b], [b, a], [a, a], [a, b, c], [c, b, a], ...lits.map((l) => [a, l]), ...lits.map((l) => [l, a]), [lits[0], lits[3]], [lits[3], lits[0]], [lits[3], lits[4]], [lits[4], lits[3]], [lits[5], lits[0]], [lits[0], lits[6]], [lits[1], lits[0]], [lits[0], lits[1]], [lits[2], lits[0]], [lits[0], lits[2]]]
  const prims: PrimName[] = ['add', 'sub', 'mul', 'concatenate', 'max']
  const params: unknown[] = [{}, {}, Object.freeze({}), Object.create(null), Object.freeze(Object.create(null)), { axes: [0, 1] }, { axes: [0, 1] }, { axes: [1, 0] }, Object.freeze({ axes: Object.freeze([0, 1]) }), { f: fn }, { f: sameFn }, { f: (x: number) => x }, { y: -0 }, { y: 0 }, { y: 'a', z: 1 }, { z: 1, y: 'a' }]

  it('shares a slot exactly when eqnKey is equal', () => {
    const eqns = prims.flatMap((p) => operands.flatMap((ops) => params.map((pa) => ({ p, ops, pa }))))
    const t = new EqnTable<number>()
    const byKey = new Map<string, number>()
    let merged = 0
    eqns.forEach(({ p, ops, pa }, i) => {
      const key = eqnKey(p, ops.map(atomKey), pa)
      const slot = t.slot(p, ops.map(operandOf), pa)
      expect(slot.value).toBe(byKey.get(key))
      if (slot.value === undefined) {
        slot.value = i
        byKey.set(key, i)
      } else merged++
    })
    // (a check that can fail: both merged and distinct equations occur)
    expect(merged).toBeGreaterThan(100)
    expect(byKey.size).toBeGreaterThan(500)
  })

  it('treats the operands of commutative primitives as unordered, of others as ordered', () => {
    const t = new EqnTable<string>()
    t.slot('mul', [a, b], {}).value = 'ab'
    expect(t.slot('mul', [b, a], {}).value).toBe('ab')
    t.slot('sub', [a, b], {}).value = 'ab'
    expect(t.slot('sub', [b, a], {}).value).toBeUndefined()
    t.slot('add', [operandOf(lits[0]), a], {}).value = '2a'
    expect(t.slot('add', [a, operandOf(lits[0])], {}).value).toBe('2a')
  })

  it('staging and the CSE pass merge x·y with y·x and keep x−y apart from y−x', () => {
    const f = (x: ReturnType<typeof np.array>, y: ReturnType<typeof np.array>) => [np.sin(x.mul(y)), np.sin(y.mul(x)), x.sub(y), y.sub(x)]
    const j = makeJaxpr(f)(np.array(0.3), np.array(0.5)).jaxpr
    expect(j.eqns.map((e) => e.prim)).toEqual(['mul', 'sin', 'sub', 'sub'])
    expect(cse(j)).toBe(j)
    const [p, q, r, s] = jit(f)(np.array(0.3), np.array(0.5)).map((z) => z.item())
    expect(p).toBe(Math.sin(0.3 * 0.5))
    expect(q).toBe(p)
    expect(r).toBe(0.3 - 0.5)
    expect(s).toBe(0.5 - 0.3)
  })
})
