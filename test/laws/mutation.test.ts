// The laws must fail — with a useful message — on functions whose derivatives are wrong.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { np, customJvp, customVjp, stopGradient } from '../../src'
import type { Array } from '../../src'
import { laws, arb, checkGrads, GradCheckError, LawError } from '../../laws'

const x3 = fc.tuple(arb.array({ shape: [3], min: -1.5, max: 1.5 }))
const opts = { numRuns: 5, seed: 42 }

// d sin = cos, but this rule is 1 % too large.
const sinOff = customJvp((x: Array) => np.sin(x), ([x], [t]) => [np.sin(x), np.cos(x).mul(t).mul(1.01)])
// First derivative right; the rule's cos(x) is under stopGradient, so d²/dx² is 0 instead of −sin.
const sinFlat2 = customJvp((x: Array) => np.sin(x), ([x], [t]) => [np.sin(x), stopGradient(np.cos(x)).mul(t)])
// A VJP with the wrong sign.
const expNeg = customVjp((x: Array) => np.exp(x), (x: Array) => [np.exp(x), np.exp(x)], (r: Array, ct: Array) => [ct.mul(r).neg()])
const sinCorrect = customJvp((x: Array) => np.sin(x), ([x], [t]) => [np.sin(x), np.cos(x).mul(t)])

describe('laws catch wrong derivatives', () => {
  it('a customJvp off by 1 %: jvp vs finite differences', () => {
    expect(() => laws.differentiable((x: Array) => np.sum(sinOff(x)), x3, opts)).toThrow(LawError)
    expect(() => laws.differentiable((x: Array) => np.sum(sinOff(x)), x3, opts)).toThrow(/jvp matches finite differences.*shrunk.*custom rule.*seed: 42/s)
    expect(() => checkGrads(sinOff, [np.array([0.3, -0.4])], { order: 1 })).toThrow(GradCheckError)
    expect(() => checkGrads(sinOff, [np.array([0.3, -0.4])], { order: 1 })).toThrow(/fwd-mode derivative of order 1/)
  })
  it('a rule right at first order but wrong at second: caught at order 2 only', () => {
    const f = (x: Array) => np.sum(sinFlat2(x))
    expect(() => laws.differentiable(f, x3, opts)).not.toThrow()
    expect(() => laws.twiceDifferentiable(f, x3, opts)).toThrow(LawError)
    expect(() => checkGrads(sinFlat2, [np.array([0.3, -0.4])], { order: 1 })).not.toThrow()
    expect(() => checkGrads(sinFlat2, [np.array([0.3, -0.4])], { order: 2 })).toThrow(/order 2/)
  })
  it('a customVjp with the wrong sign: vjp vs jvp adjointness', () => {
    // forward mode through a customVjp is undefined, so check reverse mode alone
    expect(() => checkGrads(expNeg, [np.array([0.3, -0.4])], { order: 1, modes: ['rev'] })).toThrow(/forward-mode|rev-mode/)
    const g = (x: Array) => np.sum(expNeg(x))
    expect(() => laws.differentiable(g, x3, opts)).toThrow(LawError)
  })
  it('correct functions pass every suite', () => {
    laws.twiceDifferentiable((x: Array) => np.sum(sinCorrect(x).mul(x)), x3, opts)
    laws.twiceDifferentiable((x: Array, y: Array) => np.sum(np.tanh(x.mul(y))), fc.tuple(arb.array({ shape: [2, 2] }), arb.array({ shape: [2, 2] })), opts)
    checkGrads((x: Array) => np.exp(np.sin(x)).mul(x), [np.array([0.1, 0.7, -0.3])], { order: 3 })
    laws.linear((x: Array) => np.cumsum(x.mul(2), 0), x3, opts)
    laws.linear((x: Array) => np.matmul(np.array([[1, 2, 3], [0, 1, -1]]), x), x3, opts)
  })
  it('linear laws fail on a non-linear function', () => {
    expect(() => laws.linear((x: Array) => x.mul(x), x3, opts)).toThrow(/f is linear/)
  })
  it('float32 gets loose tolerances and still catches a 1 % error only when large enough', () => {
    const x32 = fc.tuple(arb.array({ shape: [3], dtype: 'float32', min: -1, max: 1 }))
    laws.differentiable((x: Array) => np.sum(np.sin(x)), x32, opts)
  })
})
