/**
 * The backend's validation of each equation (src/backend/validate.ts): its error names the
 * equation (index in its jaxpr and primitive) for every kind of failure — the location is
 * written out only when an error is thrown, so each path is checked here — and valid
 * equations, including those of inlined call bodies, pass.
 */
import { describe, expect, it } from 'vitest'
import { ShapeError, ValueError, jit, makeJaxpr, np } from '../../src'
import { flattenCalls, validateEqn } from '../../src/backend/validate'
import { isStagedEqn } from '../../src/interpret/stage'
import { shaped } from '../../src/ir/aval'
import { Jaxpr, Lit, Var, makeEqn } from '../../src/ir/jaxpr'

const f64 = (shape: number[]) => shaped(shape, 'float64')

/** x ↦ sin(x) at k = 0, then the equation under test at k = 1. */
const second = (eqn: (x: Var) => ReturnType<typeof makeEqn>): Jaxpr => {
  const x = new Var(f64([3]))
  const s = new Var(f64([3]))
  const e = eqn(s)
  // (the output is s: the jaxpr's own outputs are checked before any equation)
  return new Jaxpr([], [x], [makeEqn('sin', [x], {}, [s]), e], [s])
}

describe('validateEqn', () => {
  it('accepts equations whose outputs are their abstract evaluation', () => {
    const x = new Var(f64([2, 3]))
    const y = new Var(f64([3, 2]))
    expect(() => validateEqn(makeEqn('transpose', [x], { permutation: [1, 0] }, [y]), 0)).not.toThrow()
    const a = new Var(f64([]))
    const b = new Var(f64([]))
    expect(() => validateEqn(makeEqn('mul', [a, new Lit(2, 'float64', true)], {}, [b]), 7)).not.toThrow()
  })

  it('names the equation when an output aval is wrong', () => {
    const j = second((s) => makeEqn('cos', [s], {}, [new Var(f64([4]))]))
    expect(() => flattenCalls(j)).toThrow(ValueError)
    expect(() => flattenCalls(j)).toThrow(/^jit: equation 1 \(cos\): its outputs do not match its primitive's abstract evaluation$/)
  })

  it('names the equation when the number of outputs is wrong', () => {
    const j = second((s) => makeEqn('cos', [s], {}, [new Var(f64([3])), new Var(f64([3]))]))
    expect(() => flattenCalls(j)).toThrow(/^jit: equation 1 \(cos\): its outputs do not match/)
  })

  it('names the equation when an aval or a literal is malformed', () => {
    const bad = second((s) => makeEqn('cos', [s], {}, [new Var({ shape: [-1], dtype: 'float64', weakType: false } as never)]))
    expect(() => flattenCalls(bad)).toThrow(/^jit: equation 1 \(cos\): shape entries must be non-negative integers, got -1$/)
    const dtype = second((s) => makeEqn('cos', [s], {}, [new Var({ shape: [3], dtype: 'float128', weakType: false } as never)]))
    expect(() => flattenCalls(dtype)).toThrow(/^jit: equation 1 \(cos\): unknown dtype "float128"$/)
    const lit = second((s) => makeEqn('mul', [s, new Lit('2' as never, 'float64', false)], {}, [new Var(f64([3]))]))
    expect(() => flattenCalls(lit)).toThrow(/^jit: equation 1 \(mul\): literal is not a number$/)
  })

  it("prefixes the location to the abstract evaluation's own error, keeping its class", () => {
    const j = second((s) => makeEqn('add', [s, new Var(f64([4]))], {}, [new Var(f64([3]))]))
    let err: unknown
    try {
      flattenCalls(j)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ShapeError)
    expect((err as Error).message).toMatch(/^jit: equation 1 \(add\): /)
  })

  it('numbers the equations of an inlined body within that body', () => {
    const x = new Var(f64([3]))
    const y = new Var(f64([3]))
    const z = new Var(f64([3]))
    const bx = new Var(f64([3]))
    const by = new Var(f64([3]))
    const bz = new Var(f64([3]))
    const body = new Jaxpr([], [bx], [makeEqn('sin', [bx], {}, [by]), makeEqn('exp', [by], {}, [bz])], [bz])
    const ok = new Jaxpr([], [x], [makeEqn('cos', [x], {}, [y]), makeEqn('jit', [y], { jaxpr: body, name: 'g' } as never, [z])], [z])
    expect(flattenCalls(ok).eqns.map((e) => e.prim)).toEqual(['cos', 'sin', 'exp'])
    const bw = new Var(f64([5]))
    const badBody = new Jaxpr([], [bx], [makeEqn('sin', [bx], {}, [by]), makeEqn('exp', [by], {}, [bw])], [bw])
    const w = new Var(f64([5]))
    const bad = new Jaxpr([], [x], [makeEqn('cos', [x], {}, [y]), makeEqn('jit', [y], { jaxpr: badBody, name: 'g' } as never, [w])], [w])
    expect(() => flattenCalls(bad)).toThrow(/^jit: equation 1 \(exp\): its outputs do not match/)
  })

  it('a jitted program of many equations runs as its eager twin', () => {
    const f = (x: ReturnType<typeof np.array>) => {
      let y = x
      for (let i = 0; i < 20; i++) y = np.sin(y).mul(1.1).add(x)
      return y
    }
    const x = np.array([0.1, 0.2, 0.3])
    expect(jit(f)(x).tolist()).toEqual(f(x).tolist())
  })

  it('evaluates a staged equation once (when staged), any other equation again', () => {
    const j = makeJaxpr((x: ReturnType<typeof np.array>) => np.sum(np.sin(x).mul(x), 0))(np.array([0.1, 0.2, 0.3])).jaxpr
    expect(j.eqns.length).toBe(3)
    for (const e of j.eqns) {
      expect(isStagedEqn(e)).toBe(true)
      // everything its avals were computed from is frozen
      expect(Object.isFrozen(e) && Object.isFrozen(e.params) && Object.isFrozen(e.inputs) && Object.isFrozen(e.outVars)).toBe(true)
      expect(e.outVars.every((v) => Object.isFrozen(v.aval) && Object.isFrozen(v.aval.shape))).toBe(true)
      expect(() => validateEqn(e, 0)).not.toThrow()
    }
    // the same parts with a wrong output aval, or wrong params, make a new (unstaged) equation: caught
    const [, mul, sum] = j.eqns
    const wrongOut = makeEqn(mul.prim, mul.inputs, mul.params, [new Var(f64([4]))])
    expect(isStagedEqn(wrongOut)).toBe(false)
    expect(() => validateEqn(wrongOut, 1)).toThrow(/^jit: equation 1 \(mul\): its outputs do not match/)
    const wrongParams = makeEqn(sum.prim, sum.inputs, { ...(sum.params as object), axes: [1] } as never, sum.outVars)
    expect(() => validateEqn(wrongParams, 2)).toThrow(/^jit: equation 2 \(reduce_sum\): /)
    // and a staged equation's own avals are still checked (they are frozen, so this is a copy)
    const x = new Var(f64([3]))
    expect(() => validateEqn(makeEqn('sin', [x], {}, [new Var({ shape: [3], dtype: 'float128', weakType: false } as never)]), 0)).toThrow(/unknown dtype/)
  })
})
