/**
 * W4 plain JS: Rosenbrock f(x) = Σ_{i<n−1} 100 (x_{i+1} − x_i²)² + (1 − x_i)², and its
 * analytic Hessian-vector product. H is tridiagonal:
 *   H_ii = [i < n−1] (1200 x_i² − 400 x_{i+1} + 2) + [i > 0] 200,
 *   H_{i,i+1} = H_{i+1,i} = −400 x_i.
 */
export const rosenbrock = (x: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i]
    const b = x[i + 1] - a * a
    s += 100 * b * b + (1 - a) * (1 - a)
  }
  return s
}

export const rosenbrockHvp = (x: ArrayLike<number>, v: ArrayLike<number>): Float64Array => {
  const n = x.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const xi = x[i]
    let d = i > 0 ? 200 : 0
    let s = 0
    if (i + 1 < n) {
      d += 1200 * xi * xi - 400 * x[i + 1] + 2
      s -= 400 * xi * v[i + 1]
    }
    if (i > 0) s -= 400 * x[i - 1] * v[i - 1]
    out[i] = d * v[i] + s
  }
  return out
}
