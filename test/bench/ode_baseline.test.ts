/**
 * W12's plain-JS baseline (Tsit5 on the forward-sensitivity system) against JAX's odeint
 * Jacobian of the same Lotka–Volterra problem (test/fixtures/ode).
 */
import { describe, expect, it } from 'vitest'
import { LV_PARAMS, LV_Y0, POLLU_K, POLLU_Y0, polluPlain } from '../../bench/baselines/ode'
import { lvSensitivity } from '../../bench/baselines/w12'
import fixture from '../fixtures/ode/odeint.json'

describe('ODE baselines', () => {
  it('lvSensitivity at tight tolerances gives the Jacobian of y(10) w.r.t. (α, β, γ, δ)', () => {
    const s = lvSensitivity({ p: [...LV_PARAMS], y0: [...LV_Y0], t1: 10, rtol: 1e-11, atol: 1e-11 })
    fixture.lotkaVolterra.jacFinal.flat().forEach((v, i) => expect(Math.abs(s[i] - v)).toBeLessThan(1e-6 * (1 + Math.abs(v))))
  })

  it('polluPlain at the initial state: dy8/dt = r4 + r5 + r6 + r7 = k4 y7 + k5 y7 + k7 y9 (y6 = 0)', () => {
    const d = polluPlain(POLLU_Y0, POLLU_K)
    expect(d[7]).toBeCloseTo(POLLU_K[3] * 0.1 + POLLU_K[4] * 0.1 + POLLU_K[6] * 0.01, 15)
    expect(d).toHaveLength(20)
  })
})
