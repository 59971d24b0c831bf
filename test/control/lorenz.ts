/**
 * Test fixture: the Lorenz system (σ = 10, ρ = 28, β = 8/3), explicit Euler with dt = 0.001 for
 * 10,000 steps from (1, 1, 1), in float64 — as a leibniz loop, and as a hand-written
 * forward-mode dual-number simulation in plain JS (the reference for its sensitivities).
 */
import { expect } from 'vitest'
import { type Array as Arr, checkpoint, lax, np } from '../../src'

export const DT = 0.001
export const STEPS = 10_000
export const PARAMS = [10, 28, 8 / 3]

// ---- the reference: dual numbers with three tangent components (∂/∂σ, ∂/∂ρ, ∂/∂β) -------------

export class Dual {
  constructor(readonly v: number, readonly d: readonly [number, number, number]) {}
  static const(v: number): Dual { return new Dual(v, [0, 0, 0]) }
  add(o: Dual): Dual { return new Dual(this.v + o.v, [this.d[0] + o.d[0], this.d[1] + o.d[1], this.d[2] + o.d[2]]) }
  sub(o: Dual): Dual { return new Dual(this.v - o.v, [this.d[0] - o.d[0], this.d[1] - o.d[1], this.d[2] - o.d[2]]) }
  // (u + u'ε)(v + v'ε) = uv + (u'v + uv')ε
  mul(o: Dual): Dual {
    return new Dual(this.v * o.v, [this.d[0] * o.v + this.v * o.d[0], this.d[1] * o.v + this.v * o.d[1], this.d[2] * o.v + this.v * o.d[2]])
  }
  scale(k: number): Dual { return new Dual(this.v * k, [this.d[0] * k, this.d[1] * k, this.d[2] * k]) }
}

/** Final state (x, y, z) as duals: values, and gradients w.r.t. (σ, ρ, β). */
export const dualLorenz = (): Dual[] => {
  const sigma = new Dual(PARAMS[0], [1, 0, 0])
  const rho = new Dual(PARAMS[1], [0, 1, 0])
  const beta = new Dual(PARAMS[2], [0, 0, 1])
  let [x, y, z] = [Dual.const(1), Dual.const(1), Dual.const(1)]
  for (let i = 0; i < STEPS; i++) {
    const dx = sigma.mul(y.sub(x))
    const dy = x.mul(rho.sub(z)).sub(y)
    const dz = x.mul(y).sub(beta.mul(z))
    ;[x, y, z] = [x.add(dx.scale(DT)), y.add(dy.scale(DT)), z.add(dz.scale(DT))]
  }
  return [x, y, z]
}

// ---- leibniz --------------------------------------------------------------------------------

type State = [Arr, Arr, Arr]
const unpack = (p: Arr): Arr[] => [0, 1, 2].map((i) => lax.slice(p, [i], [i + 1]).reshape([]))
const step = ([sigma, rho, beta]: Arr[], [x, y, z]: State): State => {
  const dx = sigma.mul(y.sub(x))
  const dy = x.mul(rho.sub(z)).sub(y)
  const dz = x.mul(y).sub(beta.mul(z))
  return [x.add(dx.mul(DT)), y.add(dy.mul(DT)), z.add(dz.mul(DT))]
}
const start = (): State => [np.array(1), np.array(1), np.array(1)]

/** The final state [x, y, z] for params [σ, ρ, β], through lax.foriLoop. */
export const lorenz = (p: Arr): Arr => {
  const k = unpack(p)
  return np.stack(lax.foriLoop(0, STEPS, (_i: Arr, s: State) => step(k, s), start()))
}

/** The same, through lax.scan with the step wrapped in checkpoint (rematerialized in reverse mode). */
export const lorenzCheckpointed = (p: Arr): Arr => {
  const k = unpack(p)
  const [s] = lax.scan(checkpoint((s: State, _x: null): [State, null] => [step(k, s), null]), start(), null, { length: STEPS })
  return np.stack(s)
}

export const relClose = (got: number[], want: number[], rtol: number, what: string): void =>
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `${what}[${i}]: ${g} vs ${want[i]}`).toBeLessThanOrEqual(rtol * Math.abs(want[i])))
