/**
 * W2 plain JS, the fused analytic gradient of W1: with t = tanh(1.5x + 0.5), e = e^{−x²},
 * d/dx [t e] = 1.5 (1 − t²) e − 2x t e.
 */
import { tanhViaExp } from './fastmath'

export const w2Grad = (x: ArrayLike<number>): Float32Array => {
  const g = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const v = x[i]
    const t = tanhViaExp(1.5 * v + 0.5)
    const e = Math.exp(-v * v)
    g[i] = e * (1.5 * (1 - t * t) - 2 * v * t)
  }
  return g
}
