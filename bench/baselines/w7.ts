/**
 * W7 plain JS: f(x) = Σ y₅ where y₀ = x and each of 5 rounds applies 10 elementwise ops
 *   sin, ×1.3 (scale), +0.2 (shift), tanh, square, neg, exp, cos, +x (add), ×0.5 (halve).
 * The gradient is hand-written reverse mode, fused per element: a forward sweep keeps the
 * three values the backward sweep needs per round (sin input, tanh output, exp output).
 */
import { tanhViaExp } from './fastmath'

export const ROUNDS = 5

export const chainValue = (x: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]
    let y = xi
    for (let r = 0; r < ROUNDS; r++) {
      y = Math.tanh(1.3 * Math.sin(y) + 0.2)
      y = Math.cos(Math.exp(-y * y))
      y = 0.5 * (y + xi)
    }
    s += y
  }
  return s
}

export const chainGrad = (x: ArrayLike<number>): Float32Array => {
  const g = new Float32Array(x.length)
  const a = new Float64Array(ROUNDS) // sin input
  const t = new Float64Array(ROUNDS) // tanh output
  const e = new Float64Array(ROUNDS) // exp output
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]
    let y = xi
    for (let r = 0; r < ROUNDS; r++) {
      a[r] = y
      const tr = tanhViaExp(1.3 * Math.sin(y) + 0.2)
      t[r] = tr
      const er = Math.exp(-tr * tr)
      e[r] = er
      y = 0.5 * (Math.cos(er) + xi)
    }
    let yb = 1 // ∂f/∂y, swept backwards
    let gx = 0
    for (let r = ROUNDS - 1; r >= 0; r--) {
      yb *= 0.5 // halve
      gx += yb // add x
      yb *= -Math.sin(e[r]) // cos
      yb *= e[r] // exp
      yb = -yb // neg
      yb *= 2 * t[r] // square
      yb *= 1 - t[r] * t[r] // tanh
      yb *= 1.3 * Math.cos(a[r]) // shift, scale, sin
    }
    g[i] = gx + yb // y₀ = x
  }
  return g
}
