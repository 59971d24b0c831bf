// How staging records what it records: a 0-d constant read by an equation is in place as its
// literal from the start (one Lit per constant), every recorded equation is a staged one (its
// avals need no second evaluation), and the staging-time CSE table finds an equation again
// whatever the other equations on the same operand were.
import { describe, expect, it } from 'vitest'
import { type NDArray as Arr, jit, makeJaxpr, np } from '../../src'
import { validateEqn } from '../../src/backend/validate'
import { isStagedEqn } from '../../src/interpret/stage'
import { shaped } from '../../src/ir/aval'
import type { Lit } from '../../src/ir/jaxpr'

describe('staging records literals in place', () => {
  it('equations reading a 0-d constant carry its literal, shared by every reader and the output', () => {
    const c = np.array(2.5)
    const f = (x: Arr): [Arr, Arr] => [x.mul(c).add(x.sub(c)), c]
    const j = makeJaxpr(f)(np.array(0.75)).jaxpr
    expect(j.constVars).toEqual([])
    expect(j.eqns.map((e) => e.prim)).toEqual(['mul', 'sub', 'add'])
    const mulLit = j.eqns[0].inputs[1] as Lit
    const subLit = j.eqns[1].inputs[1] as Lit
    expect(mulLit._tag).toBe('Lit')
    expect(mulLit.value).toBe(2.5)
    // one constant, one literal: the same object wherever it is read, and as an output
    expect(subLit).toBe(mulLit)
    expect(j.outs[1]).toBe(mulLit)
    expect(String(j)).toContain('mul a 2.5')
    const [y, k] = jit(f)(np.array(0.75))
    expect(y.item()).toBe(0.75 * 2.5 + (0.75 - 2.5))
    expect(k.item()).toBe(2.5)
  })

  it('every recorded equation is a staged equation, literal readers included; a rewritten copy is not', () => {
    const j = makeJaxpr((x: Arr) => np.sin(x).mul(3).add(x))(np.array([0.1, 0.2])).jaxpr
    expect(j.eqns.map((e) => e.prim)).toEqual(['sin', 'mul', 'add'])
    for (const [k, e] of j.eqns.entries()) {
      expect(isStagedEqn(e)).toBe(true)
      expect(Object.isFrozen(e) && Object.isFrozen(e.inputs) && Object.isFrozen(e.outVars) && Object.isFrozen(e.params)).toBe(true)
      expect(() => validateEqn(e, k)).not.toThrow()
    }
    // (a pass that rewrites an equation makes a plain object with the same fields)
    const copy = { ...j.eqns[1] }
    expect(isStagedEqn(copy)).toBe(false)
    expect(Object.keys(copy)).toEqual(['prim', 'inputs', 'params', 'outVars'])
    expect(() => validateEqn(copy, 1)).not.toThrow()
    expect(jit((x: Arr) => np.sin(x).mul(3).add(x))(np.array([0.1, 0.2])).tolist()).toEqual([Math.sin(0.1) * 3 + 0.1, Math.sin(0.2) * 3 + 0.2])
  })

  it('0-d avals are one frozen object per dtype and weak type', () => {
    const a = shaped([], 'float64', true)
    expect(shaped([], 'float64', true)).toBe(a)
    expect(shaped([], 'float64', false)).not.toBe(a)
    expect(shaped([], 'float32', true)).not.toBe(a)
    expect(Object.isFrozen(a) && Object.isFrozen(a.shape)).toBe(true)
    expect(a).toEqual({ shape: [], dtype: 'float64', weakType: true })
    expect(np.array(1.5).aval).toBe(shaped([], 'float64', false))
  })
})

describe('staging-time CSE', () => {
  it('finds an equation again after other equations on the same operands (NaN and −0 literals too)', () => {
    const f = (x: Arr): Arr[] => [x.mul(Number.NaN), x.mul(2), x.mul(Number.NaN), x.sin(), x.mul(2), x.mul(-0), x.cos(), x.mul(-0), x.mul(0)]
    const j = makeJaxpr(f)(np.array(0.5)).jaxpr
    // NaN equals NaN, −0 and 0 differ: mul NaN, mul 2, sin, mul −0, cos, mul 0
    expect(j.eqns.map((e) => e.prim)).toEqual(['mul', 'mul', 'sin', 'mul', 'cos', 'mul'])
    expect(j.outs[2]).toBe(j.outs[0])
    expect(j.outs[4]).toBe(j.outs[1])
    expect(j.outs[7]).toBe(j.outs[5])
    expect(j.outs[8]).not.toBe(j.outs[5])
    const ys = jit(f)(np.array(0.5)).map((y) => y.item())
    expect(ys).toEqual([Number.NaN, 1, Number.NaN, Math.sin(0.5), 1, -0, Math.cos(0.5), -0, 0])
  })
})
