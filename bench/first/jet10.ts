/**
 * JET10, not a bench workload: jit of derivatives(f, 10), f(x) = sin(x)·exp(−x²/2) at x = 0.7
 * (bench/taylor: 205 equations of 0-d float64), whose first call is the fixed cost of `jit`.
 */
import type { AnyWorkload, LeibnizModule } from '../harness/types'

export const jet10 = {
  id: 'JET10',
  makeInputs: () => ({}),
  leibniz: ({ np, jit, derivatives }: LeibnizModule) => {
    type A = ReturnType<LeibnizModule['np']['array']>
    const d = derivatives((x: A) => np.sin(x).mul(np.exp(x.mul(x).mul(-0.5))), 10)
    const g = jit((x: A) => d(x))
    const x = np.array(0.7)
    return { call: () => ({ d: g(x).toTypedArray() }) }
  },
} as unknown as AnyWorkload
