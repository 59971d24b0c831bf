/**
 * W9 plain JS: Gray–Scott reaction–diffusion on an n×n periodic grid, explicit Euler,
 *   u' = u + dt (Du ∇²u − u v² + F (1 − u)),   v' = v + dt (Dv ∇²v + u v² − (F + k) v),
 * with the 5-point Laplacian ∇²a[i,j] = a[i−1,j] + a[i+1,j] + a[i,j−1] + a[i,j+1] − 4 a[i,j]
 * (indices wrap), and the forward sensitivities of the final fields w.r.t. p = (F, k). For a
 * tangent direction with (Ḟ, k̇) = (1, 0) or (0, 1), differentiating the step gives
 *   u̇' = u̇ + dt (Du ∇²u̇ − (u̇ v² + 2 u v v̇) + Ḟ (1 − u) − F u̇),
 *   v̇' = v̇ + dt (Dv ∇²v̇ + (u̇ v² + 2 u v v̇) − (Ḟ + k̇) v − (F + k) v̇).
 * The answer is J = ∂(Σu, Σv)/∂(F, k), row-major 2×2 (JAX's layout): the sums of the tangent
 * fields. One fused stencil pass per step updates u, v and the four tangent fields together;
 * the column wrap is a lookup of precomputed neighbours, so there is no branch or modulo per
 * element, and nothing is allocated per step (two sets of six fields swap roles).
 */

export interface GrayScottSetup {
  readonly n: number
  readonly steps: number
  readonly Du: number
  readonly Dv: number
  readonly F: number
  readonly k: number
  readonly dt: number
  /** initial fields, row-major n×n */
  readonly u0: Float64Array
  readonly v0: Float64Array
}

/** u = 1, v = 0, except a centred (n/6.4)-wide square — 20×20 on 128² — with u = 0.5,
 *  v = 0.25; plus a fixed deterministic perturbation of ±0.01 (`noise` gives it). */
export const grayScottInit = (n: number, noise: (seed: number, len: number) => Float64Array): { u0: Float64Array; v0: Float64Array } => {
  const u0 = new Float64Array(n * n).fill(1)
  const v0 = new Float64Array(n * n)
  const w = Math.max(1, Math.round((20 * n) / 128))
  const lo = (n - w) >> 1
  for (let i = lo; i < lo + w; i++) {
    for (let j = lo; j < lo + w; j++) {
      u0[i * n + j] = 0.5
      v0[i * n + j] = 0.25
    }
  }
  const nu = noise(91, n * n)
  const nv = noise(92, n * n)
  for (let i = 0; i < n * n; i++) {
    u0[i] += nu[i]
    v0[i] += nv[i]
  }
  return { u0, v0 }
}

/** The six fields of the state: u, v and their tangents for F (uF, vF) and for k (uK, vK). */
interface Fields {
  readonly u: Float64Array
  readonly v: Float64Array
  readonly uF: Float64Array
  readonly vF: Float64Array
  readonly uK: Float64Array
  readonly vK: Float64Array
}

const fields = (N: number): Fields => ({
  u: new Float64Array(N), v: new Float64Array(N),
  uF: new Float64Array(N), vF: new Float64Array(N), uK: new Float64Array(N), vK: new Float64Array(N),
})

/** One Euler step from a to b: one pass over the cells, all six fields at once. `left[j]` and
 *  `right[j]` are the wrapped column neighbours (no branch or modulo in the inner loop). */
const step = (a: Fields, b: Fields, s: GrayScottSetup, left: Int32Array, right: Int32Array): void => {
  const { n, Du, Dv, F, dt } = s
  const Fk = F + s.k
  const { u, v, uF, vF, uK, vK } = a
  const { u: u2, v: v2, uF: uF2, vF: vF2, uK: uK2, vK: vK2 } = b
  for (let i = 0; i < n; i++) {
    const row = i * n
    const up = (i === 0 ? n - 1 : i - 1) * n
    const dn = (i === n - 1 ? 0 : i + 1) * n
    for (let j = 0; j < n; j++) {
      const c = row + j, cu = up + j, cd = dn + j, cl = row + left[j], cr = row + right[j]
      const uc = u[c], vc = v[c]
      const vv = vc * vc
      const uvv = uc * vv
      const uv2 = 2 * uc * vc
      u2[c] = uc + dt * (Du * (u[cu] + u[cd] + u[cl] + u[cr] - 4 * uc) - uvv + F * (1 - uc))
      v2[c] = vc + dt * (Dv * (v[cu] + v[cd] + v[cl] + v[cr] - 4 * vc) + uvv - Fk * vc)
      const uf = uF[c], vf = vF[c]
      const rf = uf * vv + uv2 * vf
      uF2[c] = uf + dt * (Du * (uF[cu] + uF[cd] + uF[cl] + uF[cr] - 4 * uf) - rf + (1 - uc) - F * uf)
      vF2[c] = vf + dt * (Dv * (vF[cu] + vF[cd] + vF[cl] + vF[cr] - 4 * vf) + rf - vc - Fk * vf)
      const uk = uK[c], vk = vK[c]
      const rk = uk * vv + uv2 * vk
      uK2[c] = uk + dt * (Du * (uK[cu] + uK[cd] + uK[cl] + uK[cr] - 4 * uk) - rk - F * uk)
      vK2[c] = vk + dt * (Dv * (vK[cu] + vK[cd] + vK[cl] + vK[cr] - 4 * vk) + rk - vc - Fk * vk)
    }
  }
}

/** J = ∂(Σu_final, Σv_final)/∂(F, k) (row-major 2×2) and the final sums. */
export const grayScottJacobian = (s: GrayScottSetup): { sums: Float64Array; jac: Float64Array } => {
  const { n } = s
  const N = n * n
  let a = fields(N)
  let b = fields(N)
  a.u.set(s.u0)
  a.v.set(s.v0)
  const left = Int32Array.from({ length: n }, (_, j) => (j === 0 ? n - 1 : j - 1))
  const right = Int32Array.from({ length: n }, (_, j) => (j === n - 1 ? 0 : j + 1))
  for (let t = 0; t < s.steps; t++) {
    step(a, b, s, left, right)
    ;[a, b] = [b, a]
  }
  let su = 0, sv = 0, suF = 0, suK = 0, svF = 0, svK = 0
  for (let c = 0; c < N; c++) {
    su += a.u[c]
    sv += a.v[c]
    suF += a.uF[c]
    suK += a.uK[c]
    svF += a.vF[c]
    svK += a.vK[c]
  }
  return { sums: Float64Array.of(su, sv), jac: Float64Array.of(suF, suK, svF, svK) }
}

/** The plain Euler loop without derivatives, written op by op (for finite-difference checks). */
export const grayScottSums = (s: GrayScottSetup): Float64Array => {
  const { n } = s
  let u = Array.from(s.u0)
  let v = Array.from(s.v0)
  const at = (a: number[], i: number, j: number) => a[((i + n) % n) * n + ((j + n) % n)]
  const lap = (a: number[], i: number, j: number) => at(a, i - 1, j) + at(a, i + 1, j) + at(a, i, j - 1) + at(a, i, j + 1) - 4 * at(a, i, j)
  for (let t = 0; t < s.steps; t++) {
    const nu = u.slice()
    const nv = v.slice()
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const c = i * n + j
        const r = u[c] * v[c] * v[c]
        nu[c] = u[c] + s.dt * (s.Du * lap(u, i, j) - r + s.F * (1 - u[c]))
        nv[c] = v[c] + s.dt * (s.Dv * lap(v, i, j) + r - (s.F + s.k) * v[c])
      }
    }
    u = nu
    v = nv
  }
  return Float64Array.of(u.reduce((a, b) => a + b, 0), v.reduce((a, b) => a + b, 0))
}
