/**
 * W11 plain JS: Lotka–Volterra with classical RK4 and its forward sensitivities by hand.
 *   ẋ = αx − βxy,  ẏ = δxy − γy;  s = (x, y), p = (α, β, γ, δ)
 * The sensitivity S = ∂s/∂p (2×4) follows each stage: for k = F(u), dk = F_s(u)·dU + F_p(u),
 * with  F_s = [[α − βy, −βx], [δy, δx − γ]]  and  F_p = [[x, −xy, 0, 0], [0, 0, −y, xy]];
 * the stage points u = s + c·h·k carry dU = S + c·h·dk. All in scalar locals: nothing is
 * allocated per step.
 */

export interface LotkaSetup {
  readonly alpha: number
  readonly beta: number
  readonly gamma: number
  readonly delta: number
  readonly x0: readonly [number, number]
  readonly dt: number
  readonly steps: number
}

/** Final state and J[i][j] = ∂state_i/∂param_j (row-major 2×4, JAX's layout). */
export const lotkaSensitivity = (s: LotkaSetup): { state: Float64Array; jac: Float64Array } => {
  const { alpha: a, beta: b, gamma: g, delta: d, dt: h } = s
  const h2 = h / 2
  const h6 = h / 6
  let x = s.x0[0]
  let y = s.x0[1]
  // S = [∂x/∂(α β γ δ), ∂y/∂(α β γ δ)]
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0
  for (let n = 0; n < s.steps; n++) {
    // each stage: u = (ux, uy), k = F(u), dk = F_s(u)·dU + F_p(u) with dU = t (or S)
    // stage 1 at s
    const ux1 = x, uy1 = y, xy1 = ux1 * uy1
    const fxx1 = a - b * uy1, fxy1 = -b * ux1, fyx1 = d * uy1, fyy1 = d * ux1 - g
    const kx1 = a * ux1 - b * xy1, ky1 = d * xy1 - g * uy1
    const dx10 = fxx1 * s0 + fxy1 * s4 + ux1, dx11 = fxx1 * s1 + fxy1 * s5 - xy1, dx12 = fxx1 * s2 + fxy1 * s6, dx13 = fxx1 * s3 + fxy1 * s7
    const dy10 = fyx1 * s0 + fyy1 * s4, dy11 = fyx1 * s1 + fyy1 * s5, dy12 = fyx1 * s2 + fyy1 * s6 - uy1, dy13 = fyx1 * s3 + fyy1 * s7 + xy1
    // stage 2 at s + h/2·k1 (tangent S + h/2·dk1)
    const t20 = s0 + h2 * dx10, t21 = s1 + h2 * dx11, t22 = s2 + h2 * dx12, t23 = s3 + h2 * dx13, t24 = s4 + h2 * dy10, t25 = s5 + h2 * dy11, t26 = s6 + h2 * dy12, t27 = s7 + h2 * dy13
    const ux2 = x + h2 * kx1, uy2 = y + h2 * ky1, xy2 = ux2 * uy2
    const fxx2 = a - b * uy2, fxy2 = -b * ux2, fyx2 = d * uy2, fyy2 = d * ux2 - g
    const kx2 = a * ux2 - b * xy2, ky2 = d * xy2 - g * uy2
    const dx20 = fxx2 * t20 + fxy2 * t24 + ux2, dx21 = fxx2 * t21 + fxy2 * t25 - xy2, dx22 = fxx2 * t22 + fxy2 * t26, dx23 = fxx2 * t23 + fxy2 * t27
    const dy20 = fyx2 * t20 + fyy2 * t24, dy21 = fyx2 * t21 + fyy2 * t25, dy22 = fyx2 * t22 + fyy2 * t26 - uy2, dy23 = fyx2 * t23 + fyy2 * t27 + xy2
    // stage 3 at s + h/2·k2
    const t30 = s0 + h2 * dx20, t31 = s1 + h2 * dx21, t32 = s2 + h2 * dx22, t33 = s3 + h2 * dx23, t34 = s4 + h2 * dy20, t35 = s5 + h2 * dy21, t36 = s6 + h2 * dy22, t37 = s7 + h2 * dy23
    const ux3 = x + h2 * kx2, uy3 = y + h2 * ky2, xy3 = ux3 * uy3
    const fxx3 = a - b * uy3, fxy3 = -b * ux3, fyx3 = d * uy3, fyy3 = d * ux3 - g
    const kx3 = a * ux3 - b * xy3, ky3 = d * xy3 - g * uy3
    const dx30 = fxx3 * t30 + fxy3 * t34 + ux3, dx31 = fxx3 * t31 + fxy3 * t35 - xy3, dx32 = fxx3 * t32 + fxy3 * t36, dx33 = fxx3 * t33 + fxy3 * t37
    const dy30 = fyx3 * t30 + fyy3 * t34, dy31 = fyx3 * t31 + fyy3 * t35, dy32 = fyx3 * t32 + fyy3 * t36 - uy3, dy33 = fyx3 * t33 + fyy3 * t37 + xy3
    // stage 4 at s + h·k3
    const t40 = s0 + h * dx30, t41 = s1 + h * dx31, t42 = s2 + h * dx32, t43 = s3 + h * dx33, t44 = s4 + h * dy30, t45 = s5 + h * dy31, t46 = s6 + h * dy32, t47 = s7 + h * dy33
    const ux4 = x + h * kx3, uy4 = y + h * ky3, xy4 = ux4 * uy4
    const fxx4 = a - b * uy4, fxy4 = -b * ux4, fyx4 = d * uy4, fyy4 = d * ux4 - g
    const kx4 = a * ux4 - b * xy4, ky4 = d * xy4 - g * uy4
    const dx40 = fxx4 * t40 + fxy4 * t44 + ux4, dx41 = fxx4 * t41 + fxy4 * t45 - xy4, dx42 = fxx4 * t42 + fxy4 * t46, dx43 = fxx4 * t43 + fxy4 * t47
    const dy40 = fyx4 * t40 + fyy4 * t44, dy41 = fyx4 * t41 + fyy4 * t45, dy42 = fyx4 * t42 + fyy4 * t46 - uy4, dy43 = fyx4 * t43 + fyy4 * t47 + xy4
    // s += h/6 (k1 + 2k2 + 2k3 + k4), and the same for S
    s0 += h6 * (dx10 + 2 * dx20 + 2 * dx30 + dx40)
    s1 += h6 * (dx11 + 2 * dx21 + 2 * dx31 + dx41)
    s2 += h6 * (dx12 + 2 * dx22 + 2 * dx32 + dx42)
    s3 += h6 * (dx13 + 2 * dx23 + 2 * dx33 + dx43)
    s4 += h6 * (dy10 + 2 * dy20 + 2 * dy30 + dy40)
    s5 += h6 * (dy11 + 2 * dy21 + 2 * dy31 + dy41)
    s6 += h6 * (dy12 + 2 * dy22 + 2 * dy32 + dy42)
    s7 += h6 * (dy13 + 2 * dy23 + 2 * dy33 + dy43)
    x += h6 * (kx1 + 2 * kx2 + 2 * kx3 + kx4)
    y += h6 * (ky1 + 2 * ky2 + 2 * ky3 + ky4)

  }
  return { state: Float64Array.of(x, y), jac: Float64Array.of(s0, s1, s2, s3, s4, s5, s6, s7) }
}
