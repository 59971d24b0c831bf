/**
 * The `special` namespace: jax.scipy.special in camelCase. Each function is elementwise, takes
 * Arrays or JS numbers (int and bool inputs become float64), works in float32 and float64, and is
 * built from primitive wrappers with a registered jvp rule giving the closed-form derivative (itself
 * written in these functions, so every order is a closed form) — so it runs
 * eagerly, under jit and vmap, and differentiates to any order.
 */
export { erf, erfc, erfinv, ndtr, ndtri, logNdtr } from './erf'
export { gammaln, digamma, gamma, polygamma, betaln } from './gamma'
export { i0e, i1e } from './bessel'
export { gammainc, gammaincc } from './igamma'
export { logit, expit, xlogy, xlog1py, entr } from './elementary'
