/** W1 plain JS: Σ tanh(1.5x + 0.5) · e^{−x²}, one loop, accumulated in double (tanh by one exp). */
import { tanhViaExp } from './fastmath'

export const w1Value = (x: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < x.length; i++) {
    const v = x[i]
    s += tanhViaExp(1.5 * v + 0.5) * Math.exp(-v * v)
  }
  return s
}
