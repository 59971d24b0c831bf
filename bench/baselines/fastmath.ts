/**
 * What a performance-minded engineer uses in place of V8's `Math.tanh` (about twice the cost
 * of `Math.exp` on V8): tanh u = 1 − 2 / (e^{2u} + 1). It needs one exp, has an absolute error
 * of a few ulps, and saturates cleanly: e^{2u} = ∞ gives 1, e^{2u} = 0 gives −1 (no NaN).
 */
export const tanhViaExp = (u: number): number => 1 - 2 / (Math.exp(2 * u) + 1)
