// Exception and NaN consistency, and the where-trap lint.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { np } from '../../src'
import type { Array } from '../../src'
import { LawError, arb, exceptionsAndNaNsConsistent, laws, lintUnselectedBranches } from '../../laws'
import { makeRng } from '../../laws/treeMath'

const tol = { eps: 1e-5 }
// The trap: sqrt is evaluated where it is then discarded (x ≤ 0); its derivative there is ∞ or NaN.
const trapped = (x: Array) => np.sum(np.where(x.gt(0), np.sqrt(x), x.mul(0.5)))
// The fix: make the discarded input safe before sqrt.
const safe = (x: Array) => np.sum(np.where(x.gt(0), np.sqrt(np.where(x.gt(0), x, 1)), x.mul(0.5)))

describe('NaN consistency and the unselected-branch lint', () => {
  it('the lint names the select and the sqrt that produced the discarded value', () => {
    const found = lintUnselectedBranches(trapped, [np.array([0.5, -2, 1])])
    expect(found.length).toBe(1)
    expect(found[0].producerPrim).toBe('sqrt')
    expect(found[0].element).toBe(1)
    expect(found[0].what).toBe('NaN')
    expect(found[0].message).toMatch(/select_n.*discards operand 2 at element 1.*\(sqrt\) computed NaN/)
    expect(lintUnselectedBranches(safe, [np.array([0.5, -2, 1])])).toEqual([])
  })
  it('the consistency law: the gradient is NaN where f and its derivative (0.5) are finite', () => {
    const msg = exceptionsAndNaNsConsistent(trapped, [np.array([0.5, -2, 1])], tol, makeRng(0))
    expect(msg).toMatch(/vjp gives a non-finite derivative at input element 1 .*derivative is 0\.5/)
    expect(exceptionsAndNaNsConsistent(safe, [np.array([0.5, -2, 1])], tol, makeRng(0))).toBeNull()
    // where f is truly non-differentiable (√ at 0⁺), a non-finite derivative is allowed
    expect(exceptionsAndNaNsConsistent((x: Array) => np.sum(np.sqrt(np.abs(x))), [np.array([0, 1])], tol, makeRng(0))).toBeNull()
  })
  it('the suite: fails on the trap with the law and the equation, passes on the fix', () => {
    const xs = fc.tuple(arb.array({ shape: [3], min: -2, max: 2 }))
    let err: LawError | null = null
    try {
      laws.consistent(trapped, xs, { numRuns: 10, seed: 3 })
    } catch (e) {
      err = e as LawError
    }
    expect(err).toBeInstanceOf(LawError)
    expect(err!.message).toMatch(/sqrt/)
    laws.consistent(safe, xs, { numRuns: 10, seed: 3 })
  })
  it('a derivative that throws where f does not is reported', () => {
    let calls = 0
    // f evaluates; its derivative (traced differently) throws: a stand-in for a broken rule
    const f = (x: Array) => {
      calls++
      if (typeof (x as unknown as { primal?: unknown }).primal !== 'undefined' || calls > 1) throw new RangeError('boom in a derivative')
      return np.sum(x)
    }
    expect(exceptionsAndNaNsConsistent(f, [np.array([1, 2])], tol, makeRng(0))).toMatch(/f\(x\) evaluates but jvp throws RangeError/)
  })
})
