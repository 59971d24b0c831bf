/** W8 plain JS: f(x) = Σ tanh(2 sin x + 1) (5 ops), ∇f = (1 − t²) · 2 cos x. */
export const smallGrad = (x: ArrayLike<number>): Float32Array => {
  const g = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const t = Math.tanh(2 * Math.sin(x[i]) + 1)
    g[i] = (1 - t * t) * 2 * Math.cos(x[i])
  }
  return g
}

export const smallValue = (x: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < x.length; i++) s += Math.tanh(2 * Math.sin(x[i]) + 1)
  return s
}
