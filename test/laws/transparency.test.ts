// Control flow, remat and custom rules are transparent: the same function in value and every
// derivative mode. Simulation laws over a whole time stepper. Gauge-invariant laws for
// decompositions. Each law is also shown to fail on a planted defect.
import { describe, expect, it } from 'vitest'
import { checkpoint, customJvp, customVjp, lax, np, vjp } from '../../src'
import type { Array } from '../../src'
import {
  customRuleAgreesWithBody, equivalent, forwardModeRaisesNamedError, gaugeInvariantLaws, iterate,
  jacobianIsProductOfSteps, predicates, tangentLinearAdjointDotProduct,
} from '../../laws'
import { makeRng } from '../../laws/treeMath'

const tol = { rtol: 1e-9, atol: 1e-10, eps: 1e-5 }
const x = np.array([0.3, -0.7, 1.1])
const step = (c: Array, xi: Array): [Array, Array] => {
  const c2 = np.sin(c).mul(0.9).add(xi.mul(0.5))
  return [c2, c2.mul(xi)]
}

describe('control flow and remat are transparent, in value and every derivative mode', () => {
  it('scan ≡ the unrolled loop', () => {
    const viaScan = (xs: Array) => {
      const [c, ys] = lax.scan(step, np.array(0.2), xs)
      return ys.add(c)
    }
    const unrolled = (xs: Array) => {
      let c = np.array(0.2)
      const ys: Array[] = []
      for (let k = 0; k < 3; k++) {
        const [c2, y] = step(c, np.take(xs, k, 0))
        c = c2
        ys.push(y)
      }
      return np.stack(ys).add(c)
    }
    expect(equivalent(viaScan, unrolled, [x], tol, makeRng(1))).toBeNull()
    // a loop that forgets one step is caught
    const short = (xs: Array) => unrolled(np.concatenate([np.take(xs, np.array([0, 1], { dtype: 'int32' }), 0), np.array([0])], 0))
    expect(equivalent(viaScan, short, [x], tol, makeRng(1))).toMatch(/\[value\]/)
  })
  it('cond ≡ the JS branch taken at that point', () => {
    const viaCond = (a: Array) => lax.cond(np.sum(a).gt(0), (y: Array) => np.sin(y).mul(y), (y: Array) => np.tanh(y), a)
    const js = (a: Array) => np.sin(a).mul(a) // sum(x) = 0.7 > 0
    expect(equivalent(viaCond, js, [x], tol, makeRng(2))).toBeNull()
    expect(equivalent(viaCond, (a: Array) => np.tanh(a), [x], tol, makeRng(2))).toMatch(/\[value\]/)
  })
  it('a bounded whileLoop ≡ scan (forward modes: whileLoop has no reverse mode)', () => {
    const body = (c: Array) => np.sin(c).mul(0.9).add(0.1)
    const viaWhile = (a: Array) => lax.whileLoop(([i]: [Array, Array]) => i.lt(4), ([i, c]: [Array, Array]): [Array, Array] => [i.add(1), body(c)], [np.array(0, { dtype: 'int32' }), a] as [Array, Array])[1]
    const viaScan = (a: Array) => lax.scan((c: Array, _: Array): [Array, Array] => [body(c), c], a, np.zeros([4]))[0]
    expect(equivalent(viaWhile, viaScan, [x], tol, makeRng(3), ['value', 'jvp', 'jvp2'])).toBeNull()
    const viaScan3 = (a: Array) => lax.scan((c: Array, _: Array): [Array, Array] => [body(c), c], a, np.zeros([3]))[0]
    expect(equivalent(viaWhile, viaScan3, [x], tol, makeRng(3), ['value', 'jvp', 'jvp2'])).toMatch(/\[value\]/)
  })
  it('checkpoint(f) ≡ f', () => {
    const f = (a: Array) => np.exp(np.sin(a)).mul(a)
    expect(equivalent(checkpoint(f), f, [x], tol, makeRng(4))).toBeNull()
  })
})

describe('custom rules agree with their own primal body; unsupported modes raise named errors', () => {
  const body = (a: Array) => np.log1p(np.exp(a))
  const good = customJvp(function softplus(a: Array) { return body(a) }, ([a], [t]) => [body(a), lax.logistic(a).mul(t)])
  const bad = customJvp(function softplusBad(a: Array) { return body(a) }, ([a], [t]) => [body(a), lax.logistic(a.neg()).mul(t)])
  const vjpGood = customVjp(function softplusV(a: Array) { return body(a) }, (a: Array) => [body(a), a], (a: Array, ct: Array) => [ct.mul(lax.logistic(a))])
  it('customJvp: every mode agrees with the body; a wrong rule is caught in jvp', () => {
    expect(customRuleAgreesWithBody(good, body, [x], tol, makeRng(5), ['value', 'jvp', 'vjp', 'jvp2', 'vjp2'])).toBeNull()
    expect(customRuleAgreesWithBody(bad, body, [x], tol, makeRng(5), ['value', 'jvp', 'vjp'])).toMatch(/\[jvp\] jvp of the custom rule vs of its primal body/)
  })
  it('customVjp: reverse modes agree, forward mode raises NonDifferentiableError', () => {
    expect(customRuleAgreesWithBody(vjpGood, body, [x], tol, makeRng(6), ['value', 'vjp'])).toBeNull()
    expect(forwardModeRaisesNamedError(vjpGood, [x])).toBe(true)
    expect(forwardModeRaisesNamedError(good, [x])).toBe(false)
  })
})

describe('simulation laws over a time stepper', () => {
  const dt = 0.05
  // a damped pendulum, explicit Euler: state [θ, ω]
  const pendulum = (s: Array) => {
    const th = np.take(s, 0, 0)
    const om = np.take(s, 1, 0)
    return np.stack([th.add(om.mul(dt)), om.add(np.sin(th).mul(-9.81 * dt)).sub(om.mul(0.1 * dt))])
  }
  const s0 = np.array([0.8, -0.3])
  it('the tangent-linear / adjoint dot-product test over 40 steps (scan)', () => {
    const run = (s: Array) => lax.scan((c: Array, _: Array): [Array, Array] => [pendulum(c), c], s, np.zeros([40]))[0]
    expect(tangentLinearAdjointDotProduct(run, s0, tol, makeRng(7))).toBeNull()
  })
  it('jacfwd of the n-step scan = the product of the per-step Jacobians', () => {
    const n = 12
    const run = (s: Array) => lax.scan((c: Array, _: Array): [Array, Array] => [pendulum(c), c], s, np.zeros([n]))[0]
    expect(jacobianIsProductOfSteps(run, pendulum, n, s0, tol)).toBeNull()
    expect(jacobianIsProductOfSteps(iterate(pendulum, n), pendulum, n, s0, tol)).toBeNull()
    // one step too few in the product: caught
    expect(jacobianIsProductOfSteps(run, pendulum, n - 1, s0, tol)).toMatch(/jacfwd of 11 steps/)
  })
  it('a scan body whose adjoint is wrong (a customVjp step with a 0.1 % pullback error) fails the dot-product test', () => {
    const pullback = (s: Array, ct: Array) => vjp(pendulum, [s])[1](ct)[0] as Array
    const stepOk = customVjp(function stepOk(s: Array) { return pendulum(s) }, (s: Array) => [pendulum(s), s], (s: Array, ct: Array) => [pullback(s, ct)])
    const stepOff = customVjp(function stepOff(s: Array) { return pendulum(s) }, (s: Array) => [pendulum(s), s], (s: Array, ct: Array) => [pullback(s, ct).mul(1.001)])
    const runWith = (st: (s: Array) => Array) => (s: Array) => lax.scan((c: Array, _: Array): [Array, Array] => [st(c), c], s, np.zeros([20]))[0]
    const loose = { rtol: 1e-6, atol: 1e-8, eps: 1e-5 }
    expect(tangentLinearAdjointDotProduct(runWith(stepOk), s0, loose, makeRng(8))).toBeNull()
    expect(tangentLinearAdjointDotProduct(runWith(stepOff), s0, loose, makeRng(8))).toMatch(/⟨u, M v⟩ = .* \(differences of the run\) but ⟨Mᵀu, v⟩ = /)
  })
})

describe('gauge-invariant laws for decompositions', () => {
  const spd = (a: Array) => np.matmul(a, np.transpose(a)).add(np.eye(3).mul(3))
  const a = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [0.0, 0.2, 0.6]])
  const diag3 = (m: Array) => np.take(m.reshape([9]), np.array([0, 4, 8], { dtype: 'int32' }), 0)
  const lawTol = { rtol: 1e-6, atol: 1e-8, eps: 1e-5 }
  const firstOrder = (f: (...xs: any[]) => any, args: unknown[], t: typeof lawTol, rng: () => number) =>
    predicates.jvpMatchesFiniteDifferences(f, args, t, rng) ?? predicates.vjpAdjointToJvp(f, args, t, rng) ?? predicates.jitMatches(f, args, t, rng)
  it('cholesky, lu and triangular_solve through invariant outputs', () => {
    const invariants = {
      'cholesky reconstruction L·Lᵀ': (m: Array) => { const l = lax.cholesky(spd(m)); return np.matmul(l, np.transpose(l)) },
      'cholesky log-determinant': (m: Array) => np.sum(np.log(diag3(lax.cholesky(spd(m))))).mul(2),
      'lu: |det| from the diagonal of U': (m: Array) => np.prod(np.abs(diag3(lax.lu(spd(m))[0]))),
      'triangular_solve: L⁻¹b': (m: Array) => lax.triangularSolve(lax.cholesky(spd(m)), np.array([[1], [2], [3]]), { leftSide: true, lower: true, transposeA: false, unitDiagonal: false }),
    }
    expect(gaugeInvariantLaws(invariants, a, lawTol, makeRng(9), firstOrder)).toBeNull()
    // log-determinant by a closed form: 2 Σ log Lᵢᵢ = log det(A)
    const ld = Number(invariants['cholesky log-determinant'](a).item())
    const m = spd(a).toTypedArray()
    const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
    expect(ld).toBeCloseTo(Math.log(det), 12)
  })
  it('eigh and svd through invariant outputs; a gauge-dependent output is not an invariant', () => {
    const sym = (m: Array) => spd(m)
    const invariants = {
      'eigenvalues': (m: Array) => lax.eigh(sym(m))[1],
      'projector of the largest eigenvalue': (m: Array) => { const v = np.take(lax.eigh(sym(m))[0], 2, 1); return np.outer(v, v) },
      'singular values': (m: Array) => lax.svd(m, { fullMatrices: false })[1],
      'svd reconstruction': (m: Array) => { const [u, s, vt] = lax.svd(m, { fullMatrices: false }); return np.matmul(u.mul(s), vt) },
      'qr reconstruction': (m: Array) => { const [q, r] = lax.qr(m); return np.matmul(q, r) },
    }
    expect(gaugeInvariantLaws(invariants, a, lawTol, makeRng(10), firstOrder)).toBeNull()
  })
})
