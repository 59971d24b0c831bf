/**
 * Lorenz sensitivities, forward mode: the final state and its Jacobian w.r.t. (σ, ρ, β) through
 * lax.foriLoop, by jacfwd and jvp, equal the hand-written dual-number simulation (see ./lorenz.ts).
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, jacfwd, jvp, np } from '../../src'
import { PARAMS, dualLorenz, lorenz, relClose } from './lorenz'

describe('Lorenz sensitivities, forward mode', () => {
  const ref = dualLorenz()
  const jRef = ref.map((u) => [...u.d])
  const p = np.array(PARAMS)

  it('jacfwd through foriLoop equals the dual numbers (rel. 1e-9)', () => {
    const J = jacfwd(lorenz)(p)
    expect(J.shape).toEqual([3, 3])
    ;(J.tolist() as number[][]).forEach((r, i) => relClose(r, jRef[i], 1e-9, `J[${i}]`))
    // the sensitivities are large: chaos amplifies them over 10 time units
    expect(Math.max(...jRef.flat().map(Math.abs))).toBeGreaterThan(10)
  })
  it('jvp along ∂/∂ρ gives the state and the ρ column', () => {
    const [out, dRho] = jvp(lorenz, [p], [np.array([0, 1, 0])]) as [Arr, Arr]
    relClose(out.tolist() as number[], ref.map((u) => u.v), 1e-12, 'state')
    relClose(dRho.tolist() as number[], jRef.map((r) => r[1]), 1e-9, '∂/∂ρ')
  })
})
