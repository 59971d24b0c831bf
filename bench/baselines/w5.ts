/**
 * W5 plain JS: forward-mode sensitivities of an explicit-Euler Lorenz integration, the tangent
 * recurrences written out by hand in scalar locals (3 states + 9 tangents ∂(x, y, z)/∂(σ, ρ, β);
 * nothing allocated per step):
 *   x' = x + dt σ (y − x),        ẋ' = ẋ + dt (σ̇ (y − x) + σ (ẏ − ẋ))
 *   y' = y + dt (x (ρ − z) − y),  ẏ' = ẏ + dt (ẋ (ρ − z) + x (ρ̇ − ż) − ẏ)
 *   z' = z + dt (x y − β z),      ż' = ż + dt (ẋ y + x ẏ − β̇ z − β ż)
 * with (σ̇, ρ̇, β̇) the unit vectors of the three tangent directions.
 */

export interface LorenzSetup {
  readonly sigma: number
  readonly rho: number
  readonly beta: number
  readonly x0: readonly [number, number, number]
  readonly dt: number
  readonly steps: number
}

/** Final state and its Jacobian J[i][j] = ∂state_i/∂param_j (row-major 3×3, JAX layout). */
export const lorenzSensitivity = (s: LorenzSetup): { state: Float64Array; jac: Float64Array } => {
  const sg = s.sigma
  const rh = s.rho
  const be = s.beta
  const dt = s.dt
  let x = s.x0[0]
  let y = s.x0[1]
  let z = s.x0[2]
  // xj = ∂x/∂(σ, ρ, β)[j], likewise y, z
  let x0 = 0, x1 = 0, x2 = 0, y0 = 0, y1 = 0, y2 = 0, z0 = 0, z1 = 0, z2 = 0
  for (let k = 0; k < s.steps; k++) {
    const ymx = y - x
    const rmz = rh - z
    const nx0 = x0 + (ymx + sg * (y0 - x0)) * dt
    const nx1 = x1 + sg * (y1 - x1) * dt
    const nx2 = x2 + sg * (y2 - x2) * dt
    const ny0 = y0 + (x0 * rmz - x * z0 - y0) * dt
    const ny1 = y1 + (x1 * rmz + x * (1 - z1) - y1) * dt
    const ny2 = y2 + (x2 * rmz - x * z2 - y2) * dt
    const nz0 = z0 + (x0 * y + x * y0 - be * z0) * dt
    const nz1 = z1 + (x1 * y + x * y1 - be * z1) * dt
    const nz2 = z2 + (x2 * y + x * y2 - (z + be * z2)) * dt
    const nx = x + sg * ymx * dt
    const ny = y + (x * rmz - y) * dt
    const nz = z + (x * y - be * z) * dt
    x = nx, y = ny, z = nz
    x0 = nx0, x1 = nx1, x2 = nx2, y0 = ny0, y1 = ny1, y2 = ny2, z0 = nz0, z1 = nz1, z2 = nz2
  }
  return {
    state: Float64Array.of(x, y, z),
    jac: Float64Array.of(x0, x1, x2, y0, y1, y2, z0, z1, z2),
  }
}

/** The plain Euler loop, no derivatives (for finite-difference checks). */
export const lorenzFinal = (s: LorenzSetup): Float64Array => {
  let x = s.x0[0]
  let y = s.x0[1]
  let z = s.x0[2]
  for (let k = 0; k < s.steps; k++) {
    const nx = x + s.dt * s.sigma * (y - x)
    const ny = y + s.dt * (x * (s.rho - z) - y)
    const nz = z + s.dt * (x * y - s.beta * z)
    x = nx
    y = ny
    z = nz
  }
  return Float64Array.of(x, y, z)
}
