/**
 * W4 plain JS: Rosenbrock f(x) = Σ_{i<n−1} 100 (x_{i+1} − x_i²)² + (1 − x_i)², and its
 * analytic Hessian-vector product. H is tridiagonal:
 *   H_ii = [i < n−1] (1200 x_i² − 400 x_{i+1} + 2) + [i > 0] 200,
 *   H_{i,i+1} = H_{i+1,i} = −400 x_i.
 * The timed version is one fused pass with no branch per element: the two ends are peeled
 * out of the loop, and the interior loop carries x_{i−1}, v_{i−1}, x_i, v_i in locals so each
 * element is read once.
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

/** (Hv)_i = (H_ii) v_i − 400 x_i v_{i+1} − 400 x_{i−1} v_{i−1}, for monomorphic Float64Arrays. */
export const rosenbrockHvp = (x: Float64Array, v: Float64Array): Float64Array => {
  const n = x.length
  const out = new Float64Array(n)
  if (n === 0) return out
  if (n === 1) return out // f is constant in a single variable: H = 0
  // i = 0: no left neighbour
  let xp = x[0]
  let vp = v[0]
  let xi = x[1]
  let vi = v[1]
  out[0] = (1200 * xp * xp - 400 * xi + 2) * vp - 400 * xp * vi
  // interior 0 < i < n−1: both neighbours
  for (let i = 1; i < n - 1; i++) {
    const xn = x[i + 1]
    const vn = v[i + 1]
    out[i] = (1200 * xi * xi - 400 * xn + 202) * vi - 400 * (xi * vn + xp * vp)
    xp = xi
    vp = vi
    xi = xn
    vi = vn
  }
  // i = n−1: no right neighbour
  out[n - 1] = 200 * vi - 400 * xp * vp
  return out
}

/** The textbook form with a branch per element (the reference this file was checked against). */
export const rosenbrockHvpBranchy = (x: ArrayLike<number>, v: ArrayLike<number>): Float64Array => {
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
