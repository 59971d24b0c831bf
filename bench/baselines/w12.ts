/**
 * W12 baseline: Lotka–Volterra's sensitivities ∂y(10)/∂(α, β, γ, δ) in plain JS — Tsit5 with the
 * same PI controller on the forward-sensitivity system (y and S = ∂y/∂p together:
 * S′ = ∂f/∂y · S + ∂f/∂p), error-controlled on all ten components. The reference answer of
 * bench/workloads/w12.ts (it agrees with differentiating the discretisation to the tolerance).
 */
import { tsit5 } from '../../src/ode/tableaus'

export interface LvSetup {
  readonly p: readonly number[]
  readonly y0: readonly number[]
  readonly t1: number
  readonly rtol: number
  readonly atol: number
}

/** d/dt of [x, y, S (2×4, row-major)] for p = [α, β, γ, δ]. */
const rhs = (p: readonly number[], u: Float64Array, out: Float64Array): void => {
  const [a, b, c, d] = p
  const x = u[0]
  const y = u[1]
  out[0] = a * x - b * x * y
  out[1] = d * x * y - c * y
  // ∂f/∂y = [[a − b y, −b x], [d y, d x − c]]; ∂f/∂p = [[x, −xy, 0, 0], [0, 0, −y, xy]]
  const j00 = a - b * y
  const j01 = -b * x
  const j10 = d * y
  const j11 = d * x - c
  const fp = [[x, -x * y, 0, 0], [0, 0, -y, x * y]]
  for (let k = 0; k < 4; k++) {
    const s0 = u[2 + k]
    const s1 = u[6 + k]
    out[2 + k] = j00 * s0 + j01 * s1 + fp[0][k]
    out[6 + k] = j10 * s0 + j11 * s1 + fp[1][k]
  }
}

/** Adaptive Tsit5 from 0 to t1 (Hairer's initial step, PI control as src/ode/controller.ts). */
export const lvSensitivity = (s: LvSetup): Float64Array => {
  const n = 10
  const u = new Float64Array(n)
  u[0] = s.y0[0]
  u[1] = s.y0[1]
  const k = Array.from({ length: 7 }, () => new Float64Array(n))
  const tmp = new Float64Array(n)
  const sc = (i: number, a: number, b: number) => s.atol + s.rtol * Math.max(Math.abs(a), Math.abs(b))
  const rms = (v: (i: number) => number) => {
    let acc = 0
    for (let i = 0; i < n; i++) acc += v(i) ** 2
    return Math.sqrt(acc / n)
  }
  rhs(s.p, u, k[0])
  // initial step
  const d0 = rms((i) => u[i] / sc(i, u[i], u[i]))
  const d1 = rms((i) => k[0][i] / sc(i, u[i], u[i]))
  let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1
  h0 = Math.min(h0, s.t1)
  for (let i = 0; i < n; i++) tmp[i] = u[i] + h0 * k[0][i]
  rhs(s.p, tmp, k[1])
  const d2 = rms((i) => (k[1][i] - k[0][i]) / sc(i, u[i], u[i])) / h0
  const dm = Math.max(d1, d2)
  const h1 = dm <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dm) ** (1 / 6)
  let h = Math.min(100 * h0, h1, s.t1)
  let t = 0
  let errPrev = 1e-4
  const y1 = new Float64Array(n)
  const { a, c, e } = tsit5
  while (t < s.t1) {
    const last = h >= s.t1 - t
    const hh = last ? s.t1 - t : h
    for (let st = 1; st < 7; st++) {
      for (let i = 0; i < n; i++) {
        let acc = 0
        for (let j = 0; j < st; j++) acc += a[st][j] * k[j][i]
        tmp[i] = u[i] + hh * acc
      }
      rhs(s.p, tmp, k[st])
      void c
    }
    y1.set(tmp)
    const err = rms((i) => {
      let acc = 0
      for (let j = 0; j < 7; j++) acc += (e as number[])[j] * k[j][i]
      return (hh * acc) / sc(i, u[i], y1[i])
    })
    const accept = err <= 1
    const ee = Math.max(err, 1e-10)
    let fac = Math.min(10, Math.max(0.2, 0.9 * ee ** (-0.7 / 5) * errPrev ** (0.4 / 5)))
    if (!accept) fac = Math.min(fac, 1)
    if (accept) {
      t = last ? s.t1 : t + hh
      u.set(y1)
      k[0].set(k[6])
      errPrev = Math.max(err, 1e-4)
    }
    h = Math.min(hh * fac, s.t1)
  }
  return u.slice(2)
}
