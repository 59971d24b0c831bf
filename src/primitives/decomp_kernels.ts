/**
 * Primitives layer: the float64 algorithms behind the eigh, svd and qr primitives, on one
 * row-major matrix at a time (plain loops over Float64Arrays; the impls in decomp.ts loop over
 * the batch and round to float32 at the store when needed).
 *
 *   symmetricEigen   cyclic Jacobi: rotations Jᵀ A J that zero one off-diagonal pair at a
 *                    time. Converges quadratically and gives eigenvalues to high relative
 *                    accuracy; O(n³) per sweep, typically 6–10 sweeps.
 *   jacobiSvd        one-sided (Hestenes) Jacobi: rotate pairs of columns of A until all are
 *                    mutually orthogonal; then A·V = U·diag(s). Same accuracy properties.
 *   householderQr    Householder reflections H = I − 2vvᵀ, one per column.
 *
 * Gauge: every result is made unique where the math allows it, so that it is a continuous
 * function of the input wherever the spectrum is simple: eigenvectors and singular-vector
 * pairs are signed so that the entry of largest magnitude of each eigenvector / left singular
 * vector is positive, and R of a QR has a non-negative diagonal.
 */

const EPS = 2 ** -52

/** Flip column j of the rows × cols matrix `u` (row-major), and column j of `v` (vRows
 *  rows) with it, when u's entry of largest magnitude in that column is negative. */
const signColumns = (u: Float64Array, rows: number, cols: number, v?: { m: Float64Array; rows: number; cols: number }): void => {
  for (let j = 0; j < cols; j++) {
    let best = 0
    for (let i = 0; i < rows; i++) if (Math.abs(u[i * cols + j]) > Math.abs(best)) best = u[i * cols + j]
    if (best >= 0) continue
    for (let i = 0; i < rows; i++) u[i * cols + j] = -u[i * cols + j]
    if (v && j < v.cols) for (let i = 0; i < v.rows; i++) v.m[i * v.cols + j] = -v.m[i * v.cols + j]
  }
}

const allFinite = (a: Float64Array): boolean => {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false
  return true
}

/**
 * Divide `a` in place by a power of two close to its largest |entry| (exact: only exponents
 * change) and return that factor, so that sums of squares neither overflow (entries near
 * 1e300) nor underflow (entries near 1e-300); results that scale with `a` are multiplied back.
 */
const normalize = (a: Float64Array): number => {
  let big = 0
  for (let i = 0; i < a.length; i++) big = Math.max(big, Math.abs(a[i]))
  if (big === 0 || !Number.isFinite(big)) return 1
  const scale = 2 ** Math.floor(Math.log2(big))
  if (scale === 1) return 1
  for (let i = 0; i < a.length; i++) a[i] /= scale
  return scale
}

// ---- symmetric eigendecomposition ------------------------------------------------------

/**
 * Eigenvalues w (ascending) and eigenvectors V (columns, n×n row-major) of the symmetric n×n
 * matrix `a` (overwritten). A pair (p, q) is rotated while |a_pq| > ε·√|a_pp·a_qq| (the
 * criterion that gives relative accuracy); the rotation angle solves
 *   t² + 2θt − 1 = 0,  θ = (a_qq − a_pp) / (2 a_pq),  t = tan φ (the smaller root),
 * after which a_pp −= t·a_pq, a_qq += t·a_pq, a_pq = 0. Non-finite input gives all NaN.
 */
export const symmetricEigen = (a: Float64Array, n: number): { w: Float64Array; v: Float64Array } => {
  const w = new Float64Array(n)
  const v = new Float64Array(n * n)
  if (!allFinite(a)) return { w: w.fill(NaN), v: v.fill(NaN) }
  for (let i = 0; i < n; i++) v[i * n + i] = 1
  const scale = normalize(a)
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]
        const app = a[p * n + p]
        const aqq = a[q * n + q]
        if (apq === 0 || Math.abs(apq) <= EPS * Math.sqrt(Math.abs(app * aqq))) continue
        rotated = true
        const theta = (aqq - app) / (2 * apq)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.hypot(theta, 1))
        const c = 1 / Math.hypot(t, 1)
        const s = t * c
        a[p * n + p] = app - t * apq
        a[q * n + q] = aqq + t * apq
        a[p * n + q] = a[q * n + p] = 0
        for (let r = 0; r < n; r++) {
          if (r !== p && r !== q) {
            const arp = a[r * n + p]
            const arq = a[r * n + q]
            a[r * n + p] = a[p * n + r] = c * arp - s * arq
            a[r * n + q] = a[q * n + r] = s * arp + c * arq
          }
          const vrp = v[r * n + p]
          const vrq = v[r * n + q]
          v[r * n + p] = c * vrp - s * vrq
          v[r * n + q] = s * vrp + c * vrq
        }
      }
    }
    if (!rotated) break
  }
  // sort ascending, permuting V's columns alike
  const order = [...Array(n).keys()].sort((i, j) => a[i * n + i] - a[j * n + j])
  const vs = new Float64Array(n * n)
  order.forEach((src, j) => {
    w[j] = a[src * n + src] * scale
    for (let r = 0; r < n; r++) vs[r * n + j] = v[r * n + src]
  })
  signColumns(vs, n, n)
  return { w, v: vs }
}

// ---- singular value decomposition ------------------------------------------------------

/** Orthonormal completion: columns `from`…cols−1 of `u` (rows × cols, row-major; columns
 *  before `from` orthonormal) become unit vectors orthogonal to all earlier ones, taken from
 *  the standard basis by Gram–Schmidt applied twice. */
const completeBasis = (u: Float64Array, rows: number, cols: number, from: number[]): void => {
  const x = new Float64Array(rows)
  const done: number[] = [...Array(cols).keys()].filter((j) => !from.includes(j))
  for (const j of from) {
    let bestNorm = -1
    let best = new Float64Array(rows)
    for (let e = 0; e < rows; e++) {
      x.fill(0)
      x[e] = 1
      for (let pass = 0; pass < 2; pass++) {
        for (const k of done) {
          let d = 0
          for (let i = 0; i < rows; i++) d += u[i * cols + k] * x[i]
          for (let i = 0; i < rows; i++) x[i] -= d * u[i * cols + k]
        }
      }
      let nrm = 0
      for (let i = 0; i < rows; i++) nrm += x[i] * x[i]
      if (nrm > bestNorm + 1e-3) [bestNorm, best] = [nrm, Float64Array.from(x)]
    }
    const inv = 1 / Math.sqrt(bestNorm)
    for (let i = 0; i < rows; i++) u[i * cols + j] = best[i] * inv
    done.push(j)
  }
}

/**
 * Thin SVD of the m×n matrix G (m ≥ n) given by columns — column j is g[j·m … j·m + m − 1],
 * contiguous, since the algorithm works on pairs of columns; overwritten: s (descending),
 * U (m×ucols row-major, the first n columns the left singular vectors, the rest an orthonormal
 * completion when ucols > n) and V (n×n row-major, columns the right singular vectors).
 * A pair of columns (p, q) with Gram entries α = ‖g_p‖², β = ‖g_q‖², γ = g_p·g_q is rotated
 * while |γ| > ε·√(αβ); the angle solves t² + 2ζt − 1 = 0 with ζ = (β − α)/(2γ), which makes
 * the rotated columns orthogonal.
 */
const tallSvd = (g: Float64Array, m: number, n: number, ucols: number): { s: Float64Array; u: Float64Array; v: Float64Array } => {
  const v = new Float64Array(n * n) // by columns too: v[j·n + i] = V_ij
  for (let i = 0; i < n; i++) v[i * n + i] = 1
  const rotate = (x: Float64Array, len: number, p: number, q: number, c: number, sn: number): void => {
    const op = p * len
    const oq = q * len
    for (let i = 0; i < len; i++) {
      const a = x[op + i]
      const b = x[oq + i]
      x[op + i] = c * a - sn * b
      x[oq + i] = sn * a + c * b
    }
  }
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0
        let beta = 0
        let gamma = 0
        const op = p * m
        const oq = q * m
        for (let i = 0; i < m; i++) {
          const x = g[op + i]
          const y = g[oq + i]
          alpha += x * x
          beta += y * y
          gamma += x * y
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue
        rotated = true
        const zeta = (beta - alpha) / (2 * gamma)
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.hypot(zeta, 1))
        const c = 1 / Math.hypot(t, 1)
        rotate(g, m, p, q, c, t * c)
        rotate(v, n, p, q, c, t * c)
      }
    }
    if (!rotated) break
  }
  const norms = [...Array(n).keys()].map((j) => {
    let t = 0
    for (let i = 0; i < m; i++) t += g[j * m + i] * g[j * m + i]
    return Math.sqrt(t)
  })
  const order = [...Array(n).keys()].sort((i, j) => norms[j] - norms[i])
  const s = new Float64Array(n)
  const u = new Float64Array(m * ucols)
  const vs = new Float64Array(n * n)
  const missing: number[] = []
  order.forEach((src, j) => {
    s[j] = norms[src]
    if (s[j] > 0) for (let i = 0; i < m; i++) u[i * ucols + j] = g[src * m + i] / s[j]
    else missing.push(j)
    for (let i = 0; i < n; i++) vs[i * n + j] = v[src * n + i]
  })
  for (let j = n; j < ucols; j++) missing.push(j)
  if (missing.length > 0) completeBasis(u, m, ucols, missing)
  return { s, u, v: vs }
}

/**
 * SVD of the m×n matrix `a` (row-major; not modified): s (min(m, n), descending), U
 * (m × (full ? m : k)) and Vᵀ ((full ? n : k) × n), k = min(m, n). A wide matrix is handled
 * through its transpose: Aᵀ = U'ΣV'ᵀ gives A = V'ΣU'ᵀ. Non-finite input gives all NaN.
 */
export const jacobiSvd = (a: Float64Array, m: number, n: number, full: boolean): { s: Float64Array; u: Float64Array; vt: Float64Array } => {
  const k = Math.min(m, n)
  const uc = full ? m : k
  const vr = full ? n : k
  if (!allFinite(a)) return { s: new Float64Array(k).fill(NaN), u: new Float64Array(m * uc).fill(NaN), vt: new Float64Array(vr * n).fill(NaN) }
  const tall = m >= n
  const [rows, cols] = tall ? [m, n] : [n, m]
  // the columns of A (tall), or of Aᵀ, which are the rows of A (wide)
  const g = tall ? new Float64Array(rows * cols) : Float64Array.from(a)
  if (tall) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) g[j * m + i] = a[i * n + j]
  // U' of the tall problem has `rows` rows and (full ? rows : cols) columns; V' is cols × cols
  const scale = normalize(g)
  const { s, u: u1, v: v1 } = tallSvdSigned(g, rows, cols, full ? rows : cols)
  for (let i = 0; i < s.length; i++) s[i] *= scale
  if (tall) {
    // U = U' (m × uc); Vᵀ = V'ᵀ (n × n)
    const vt = new Float64Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[i * n + j] = v1[j * n + i]
    return { s, u: u1, vt }
  }
  // wide: U = V' (m × m), Vᵀ = U'ᵀ (vr × n), U' is n × vr
  return {
    s,
    u: v1,
    vt: (() => {
      const vt = new Float64Array(vr * n)
      for (let i = 0; i < vr; i++) for (let j = 0; j < n; j++) vt[i * n + j] = u1[j * vr + i]
      return vt
    })(),
  }
}

/** tallSvd with the gauge fixed: the pair (u_j, v_j) is flipped together so that u_j's entry
 *  of largest magnitude is positive (completion columns are signed alone). */
const tallSvdSigned = (g: Float64Array, m: number, n: number, ucols: number): { s: Float64Array; u: Float64Array; v: Float64Array } => {
  const r = tallSvd(g, m, n, ucols)
  signColumns(r.u, m, ucols, { m: r.v, rows: n, cols: n })
  return r
}

// ---- QR --------------------------------------------------------------------------------

/** X[r0:, c0:] −= 2 v (vᵀ X[r0:, c0:]) for the row-major matrix X with `cols` columns (v is
 *  zero above r0); rows are traversed contiguously. */
const reflect = (x: Float64Array, cols: number, v: Float64Array, r0: number, c0: number): void => {
  const d = new Float64Array(cols)
  for (let i = r0; i < v.length; i++) {
    const vi = v[i]
    if (vi !== 0) for (let c = c0; c < cols; c++) d[c] += vi * x[i * cols + c]
  }
  for (let i = r0; i < v.length; i++) {
    const f = 2 * v[i]
    if (f !== 0) for (let c = c0; c < cols; c++) x[i * cols + c] -= f * d[c]
  }
}

/**
 * Householder QR of the m×n matrix `a` (row-major; not modified): Q (m × (full ? m : k)) and
 * R ((full ? m : k) × n), k = min(m, n), with A = Q R and R's diagonal made non-negative
 * (row i of R and column i of Q negated together), which makes the factorization of a
 * full-rank matrix unique. Reflector j maps column j below the diagonal onto
 * −sign(x₀)‖x‖ e₁ (the sign that avoids cancellation).
 */
export const householderQr = (a: Float64Array, m: number, n: number, full: boolean): { q: Float64Array; r: Float64Array } => {
  const k = Math.min(m, n)
  const qc = full ? m : k
  if (!allFinite(a)) return { q: new Float64Array(m * qc).fill(NaN), r: new Float64Array(qc * n).fill(NaN) }
  const w = Float64Array.from(a)
  const scale = normalize(w)
  const vs: Float64Array[] = []
  for (let j = 0; j < k; j++) {
    let nrm = 0
    for (let i = j; i < m; i++) nrm += w[i * n + j] * w[i * n + j]
    nrm = Math.sqrt(nrm)
    const v = new Float64Array(m)
    if (nrm === 0) {
      vs.push(v) // H = I
      continue
    }
    const x0 = w[j * n + j]
    const alpha = x0 >= 0 ? -nrm : nrm
    for (let i = j; i < m; i++) v[i] = w[i * n + j]
    v[j] -= alpha
    let vn = 0
    for (let i = j; i < m; i++) vn += v[i] * v[i]
    vn = Math.sqrt(vn)
    for (let i = j; i < m; i++) v[i] /= vn
    reflect(w, n, v, j, j)
    for (let i = j + 1; i < m; i++) w[i * n + j] = 0
    vs.push(v)
  }
  // Q = H₀ H₁ … H_{k−1} applied to the first qc columns of the identity
  const q = new Float64Array(m * qc)
  for (let i = 0; i < Math.min(m, qc); i++) q[i * qc + i] = 1
  for (let j = k - 1; j >= 0; j--) reflect(q, qc, vs[j], j, 0)
  const r = new Float64Array(qc * n)
  for (let i = 0; i < Math.min(qc, m); i++) for (let c = i; c < n; c++) r[i * n + c] = w[i * n + c] * scale
  for (let i = 0; i < k; i++) {
    if (r[i * n + i] >= 0) continue
    for (let c = i; c < n; c++) r[i * n + c] = -r[i * n + c] // (entries left of the diagonal stay +0)
    for (let row = 0; row < m; row++) q[row * qc + i] = -q[row * qc + i]
  }
  return { q, r }
}
