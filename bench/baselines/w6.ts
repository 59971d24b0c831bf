/**
 * W6 plain JS: per-example gradients of logistic regression,
 *   ℓ(w; x, y) = softplus(w·x) − y w·x,   ∇_w ℓ = (σ(w·x) − y) x.
 */
/** σ(z) without overflow for either sign. */
const sigmoid = (z: number): number => {
  if (z >= 0) return 1 / (1 + Math.exp(-z))
  const e = Math.exp(z)
  return e / (1 + e)
}

/** G[i, :] = ∇_w ℓ(w; X[i, :], y[i]) for X [n×d]. */
export const perExampleGrads = (w: ArrayLike<number>, X: ArrayLike<number>, y: ArrayLike<number>): Float32Array => {
  const d = w.length
  const n = y.length
  const G = new Float32Array(n * d)
  for (let i = 0; i < n; i++) {
    const r = i * d
    let z = 0
    for (let j = 0; j < d; j++) z += w[j] * X[r + j]
    const c = sigmoid(z) - y[i]
    for (let j = 0; j < d; j++) G[r + j] = c * X[r + j]
  }
  return G
}

/** ℓ for one example (softplus(z) = max(z, 0) + log1p(e^{−|z|})), for checks. */
export const logisticLoss = (w: ArrayLike<number>, x: ArrayLike<number>, y: number): number => {
  let z = 0
  for (let j = 0; j < w.length; j++) z += w[j] * x[j]
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z
}
