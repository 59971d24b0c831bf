/**
 * Lorenz sensitivities, reverse mode: grad of the summed final state through lax.foriLoop, and
 * through a lax.scan whose step is checkpointed, equal the column sums of the dual-number
 * Jacobian (see ./lorenz.ts).
 */
import { describe, it } from 'vitest'
import { type Array as Arr, grad, jit, np } from '../../src'
import { PARAMS, dualLorenz, lorenz, lorenzCheckpointed, relClose } from './lorenz'

describe('Lorenz sensitivities, reverse mode', () => {
  const jRef = dualLorenz().map((u) => [...u.d])
  const colSums = [0, 1, 2].map((k) => jRef.reduce((s, r) => s + r[k], 0))
  const p = np.array(PARAMS)

  it('grad of x + y + z through foriLoop', () => {
    relClose(grad((q: Arr) => lorenz(q).sum())(p).tolist() as number[], colSums, 1e-9, 'grad')
  })
  it('the same gradient with a checkpointed scan step (under jit)', () => {
    relClose(jit(grad((q: Arr) => lorenzCheckpointed(q).sum()))(p).tolist() as number[], colSums, 1e-9, 'grad with checkpoint')
  })
})
