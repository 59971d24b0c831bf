/**
 * W5 plain JS: forward-mode sensitivities of an explicit-Euler Lorenz integration with
 * dual numbers carrying three tangent lanes, ∂/∂σ, ∂/∂ρ, ∂/∂β.
 *   x' = x + dt σ (y − x),  y' = y + dt (x (ρ − z) − y),  z' = z + dt (x y − β z)
 */

/** v + d₀ε₀ + d₁ε₁ + d₂ε₂ with εᵢεⱼ = 0. */
export class Dual3 {
  constructor(
    readonly v: number,
    readonly d0: number,
    readonly d1: number,
    readonly d2: number,
  ) {}
  add(o: Dual3): Dual3 {
    return new Dual3(this.v + o.v, this.d0 + o.d0, this.d1 + o.d1, this.d2 + o.d2)
  }
  sub(o: Dual3): Dual3 {
    return new Dual3(this.v - o.v, this.d0 - o.d0, this.d1 - o.d1, this.d2 - o.d2)
  }
  /** (a + a'ε)(b + b'ε) = ab + (a'b + ab')ε */
  mul(o: Dual3): Dual3 {
    return new Dual3(this.v * o.v, this.d0 * o.v + this.v * o.d0, this.d1 * o.v + this.v * o.d1, this.d2 * o.v + this.v * o.d2)
  }
  scale(c: number): Dual3 {
    return new Dual3(this.v * c, this.d0 * c, this.d1 * c, this.d2 * c)
  }
}

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
  const sg = new Dual3(s.sigma, 1, 0, 0)
  const rh = new Dual3(s.rho, 0, 1, 0)
  const be = new Dual3(s.beta, 0, 0, 1)
  let x = new Dual3(s.x0[0], 0, 0, 0)
  let y = new Dual3(s.x0[1], 0, 0, 0)
  let z = new Dual3(s.x0[2], 0, 0, 0)
  const dt = s.dt
  for (let k = 0; k < s.steps; k++) {
    const nx = x.add(sg.mul(y.sub(x)).scale(dt))
    const ny = y.add(x.mul(rh.sub(z)).sub(y).scale(dt))
    const nz = z.add(x.mul(y).sub(be.mul(z)).scale(dt))
    x = nx
    y = ny
    z = nz
  }
  return {
    state: Float64Array.of(x.v, y.v, z.v),
    jac: Float64Array.of(x.d0, x.d1, x.d2, y.d0, y.d1, y.d2, z.d0, z.d1, z.d2),
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
