// Planted wrong rules, found and named: the law fails, and its report names the equation,
// the rule, the order and the values.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { customJvp, customVjp, jit, lax, makeJaxpr, np, stopGradient } from '../../src'
import type { Array } from '../../src'
import { LawError, arb, checkGrads, laws, localize } from '../../laws'

const opts = { numRuns: 3, seed: 5 }
const x3 = fc.tuple(arb.array({ shape: [3], min: -1.5, max: 1.5 }))

// cos with the right first derivative (−sin) but a zero second derivative (−cos expected).
const cosFlat2 = customJvp(function cosFlat2(x: Array) { return np.cos(x) }, ([x], [t]) => [np.cos(x), stopGradient(np.sin(x)).neg().mul(t)])
// sin with d sin = cosFlat2: right at orders 1 and 2, wrong at order 3 (0 instead of −cos).
const sinWrong3 = customJvp(function sinWrong3(x: Array) { return np.sin(x) }, ([x], [t]) => [np.sin(x), cosFlat2(x).mul(t)])
// exp whose pullback has the wrong sign.
const expNeg = customVjp(function expNeg(x: Array) { return np.exp(x) }, (x: Array) => [np.exp(x), np.exp(x)], (r: Array, ct: Array) => [ct.mul(r).neg()])
const expOk = customVjp(function expOk(x: Array) { return np.exp(x) }, (x: Array) => [np.exp(x), np.exp(x)], (r: Array, ct: Array) => [ct.mul(r)])

/** A residual model of `layers` layers, ~6 equations each, with `planted` applied after layer `at`. */
const deepModel = (layers: number, at: number, planted: (x: Array) => Array) => (x: Array) => {
  let h = x
  for (let i = 0; i < layers; i++) {
    // residual layers keep the Jacobian near the identity, so no layer's error is damped away
    h = h.add(np.tanh(h.mul(1 + 0.01 * i)).mul(0.05)).add(np.sin(h.mul(0.5 + 0.01 * i)).mul(0.02))
    if (i % 7 === 3) h = h.add(expOk(h.mul(0.1)).mul(0.05))
    if (i === at) h = h.add(planted(h.mul(0.5)).mul(0.2))
  }
  return np.sum(h)
}

describe('localization names the wrong equation', () => {
  it('a rule wrong at order 3 only: orders 1 and 2 pass, the third-order laws fail and name it', () => {
    const f = (x: Array) => np.sum(sinWrong3(x).mul(x))
    expect(() => laws.twiceDifferentiable(f, x3, opts)).not.toThrow()
    let err: LawError | null = null
    try {
      laws.thriceDifferentiable(f, x3, opts)
    } catch (e) {
      err = e as LawError
    }
    expect(err).toBeInstanceOf(LawError)
    expect(err!.law).toMatch(/third/)
    expect(err!.failure!.localized!.name).toBe('sinWrong3')
    expect(err!.failure!.localized!.order).toBe(3)
    expect(err!.message).toMatch(/custom rule "sinWrong3" \(customJvp\)/)
    expect(err!.message).toMatch(/input 0: f64\[3\]/)
    expect(() => checkGrads(sinWrong3, [np.array([0.3, -0.4])], { order: 2 })).not.toThrow()
    expect(() => checkGrads(sinWrong3, [np.array([0.3, -0.4])], { order: 3 })).toThrow(/order 3/)
  })

  it('a wrong customVjp hidden in a 200-equation model: the report names it and its inputs', () => {
    const f = deepModel(40, 29, expNeg)
    const x = np.array([0.3, -0.2, 0.5])
    expect(makeJaxpr(f)(x).jaxpr.eqns.length).toBeGreaterThanOrEqual(200)
    let err: LawError | null = null
    try {
      laws.differentiable(f, x3, { ...opts, modes: ['rev'] })
    } catch (e) {
      err = e as LawError
    }
    expect(err).toBeInstanceOf(LawError)
    expect(err!.law).toBe('vjp matches finite differences')
    const loc = err!.failure!.localized!
    expect(loc.prim).toBe('custom_vjp_call')
    expect(loc.name).toBe('expNeg')
    expect(loc.mode).toBe('rev')
    expect(err!.message).toMatch(/custom rule "expNeg" \(customVjp\)/)
    // The equation's input is the model's state at that layer: check against a direct computation.
    const direct = localize(f, [x], { modes: ['rev'] })!
    expect(direct.name).toBe('expNeg')
    expect(Number(direct.path.match(/^eqn (\d+)/)![1])).toBeGreaterThan(100)
    // The same model with the right rule: nothing to find, and the law holds.
    const g = deepModel(40, 29, expOk)
    expect(localize(g, [x], { modes: ['rev'] })).toBeNull()
    laws.differentiable(g, x3, { ...opts, modes: ['rev'] })
  })

  it('a wrong customJvp inside a jit call: the path goes through the call', () => {
    const sinOff = customJvp(function sinOff(x: Array) { return np.sin(x) }, ([x], [t]) => [np.sin(x), np.cos(x).mul(t).mul(1.01)])
    const block = jit(function block(x: Array) { return sinOff(np.tanh(x).mul(2)) })
    const loc = localize((x: Array) => np.sum(block(x).add(np.cos(x))), [np.array([1, 2])])!
    expect(loc.path).toMatch(/^eqn 0 \(jit "block"\) › eqn \d+ \(custom_jvp_call "sinOff"\)$/)
    expect(loc.mode).toBe('fwd')
    // the values: the rule sees tanh(x)·2 at x = [1, 2]
    const seen = globalThis.Array.from(loc.inputs[0].toTypedArray())
    expect(seen[0]).toBeCloseTo(2 * Math.tanh(1), 12)
    expect(seen[1]).toBeCloseTo(2 * Math.tanh(2), 12)
  })

  it('a scan body whose transpose is wrong: the law fails in reverse mode, the body equation is named', () => {
    const f = (x: Array) => {
      const [c, ys] = lax.scan((c: Array, xi: Array): [Array, Array] => {
        const c2 = expNeg(np.sin(c).mul(xi))
        return [c2, c2.mul(0.5)]
      }, np.array(0.5), x)
      return c.add(np.sum(ys))
    }
    let err: LawError | null = null
    try {
      laws.differentiable(f, x3, { ...opts, modes: ['rev'] })
    } catch (e) {
      err = e as LawError
    }
    expect(err).toBeInstanceOf(LawError)
    expect(err!.message).toMatch(/eqn \d+ \(scan\) › iteration 0 › eqn \d+ \(custom_vjp_call "expNeg"\)/)
    expect(err!.message).toMatch(/⟨Jᵀu, v⟩ = -?\d/)
  })

  it('every piece of the report: plain-words law, shrunk and first counterexample, replay', () => {
    const sinOff = customJvp(function sinOff(x: Array) { return np.sin(x) }, ([x], [t]) => [np.sin(x), np.cos(x).mul(t).mul(1.01)])
    const f = (x: Array) => np.sum(sinOff(x))
    let err: LawError | null = null
    try {
      laws.differentiable(f, x3, { numRuns: 5, seed: 42 })
    } catch (e) {
      err = e as LawError
    }
    const x = err!.failure!
    expect(x.statement).toMatch(/forward-mode derivative/)
    expect(x.firstCounterexample.length).toBe(1)
    expect(x.message).toMatch(/\|diff\|/)
    expect(x.firstMessage).toMatch(/\|diff\|/)
    expect(err!.message).toMatch(/replay: laws\.differentiable\(f, arbArgs, \{ seed: 42, path: "[\d:]+" \}\)/)
    // Replaying the path reproduces the same shrunk counterexample at once.
    let again: LawError | null = null
    try {
      laws.differentiable(f, x3, { numRuns: 5, seed: 42, path: x.path })
    } catch (e) {
      again = e as LawError
    }
    expect(globalThis.Array.from((again!.failure!.counterexample[0] as Array).toTypedArray())).toEqual(globalThis.Array.from((x.counterexample[0] as Array).toTypedArray()))
    // Shrinking is capped.
    let capped: LawError | null = null
    try {
      laws.differentiable(f, x3, { numRuns: 5, seed: 42, maxShrinks: 1 })
    } catch (e) {
      capped = e as LawError
    }
    expect(capped!.failure!.numShrinks).toBeLessThanOrEqual(1)
  })

  it('a right function: localize finds nothing', () => {
    expect(localize((x: Array) => np.sum(np.sin(x).mul(np.exp(x))), [np.array([0.1, 0.2])], { order: 3 })).toBeNull()
  })
})
