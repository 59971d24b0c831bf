/**
 * ODE layer: step-size control. Errors are measured in Hairer's scaled RMS norm
 *   ‖e‖ = sqrt(mean((e_i / (atol + rtol · max(|y0_i|, |y1_i|)))²)),
 * a step is accepted when ‖e‖ ≤ 1, and the next step is h · clip(safety · ‖e‖^(−β₁) ·
 * ‖e_prev‖^(β₂), facmin, facmax) (a PI controller, Gustafsson; β₁ = 0.7/k, β₂ = 0.4/k for an
 * error of order k). All of it is traced, so derivatives see the step sizes too.
 */
import type { Tracer } from '../core/tracer'
import * as np from '../numpy'
import type { VectorField } from './state'

export interface Tolerances {
  readonly rtol: number
  readonly atol: number
}

/** The floor under a squared norm: keeps sqrt differentiable when the error vanishes. */
const TINY = 1e-30

const rms = (v: Tracer): Tracer => np.sqrt(np.maximum(np.mean(v.mul(v)), TINY))

export const errorNorm = (err: Tracer, y0: Tracer, y1: Tracer, tol: Tolerances): Tracer =>
  rms(err.div(np.maximum(np.abs(y0), np.abs(y1)).mul(tol.rtol).add(tol.atol)))

export interface PIConfig {
  readonly safety: number
  readonly facmin: number
  readonly facmax: number
  readonly beta1: number
  readonly beta2: number
}

export const piConfig = (errOrder: number): PIConfig => ({ safety: 0.9, facmin: 0.2, facmax: 10, beta1: 0.7 / errOrder, beta2: 0.4 / errOrder })

/** The factor by which to multiply h; after a rejection it never grows. */
export const stepFactor = (err: Tracer, errPrev: Tracer, accept: Tracer, c: PIConfig): Tracer => {
  const e = np.maximum(err, 1e-10)
  const raw = np.power(e, -c.beta1).mul(np.power(errPrev, c.beta2)).mul(c.safety)
  const fac = np.clip(raw, c.facmin, c.facmax)
  return np.where(accept, fac, np.minimum(fac, 1))
}

/**
 * Hairer's initial step (Solving ODEs I, §II.4): h₀ from the sizes of y and f, one explicit
 * Euler trial step to estimate the second derivative, then h = min(100 h₀, (0.01 / max(d₁, d₂))^(1/(p+1))).
 */
export const initialStep = (f: VectorField, t0: Tracer, y0: Tracer, f0: Tracer, span: Tracer, order: number, tol: Tolerances): Tracer => {
  const sc = np.abs(y0).mul(tol.rtol).add(tol.atol)
  const d0 = rms(y0.div(sc))
  const d1 = rms(f0.div(sc))
  const h0 = np.minimum(np.where(np.logicalOr(d0.lt(1e-5), d1.lt(1e-5)), 1e-6, d0.div(d1).mul(0.01)), span)
  const f1 = f(t0.add(h0), y0.add(f0.mul(h0)))
  const d2 = rms(f1.sub(f0).div(sc)).div(h0)
  const dm = np.maximum(d1, d2)
  const h1 = np.where(dm.le(1e-15), np.maximum(h0.mul(1e-3), 1e-6), np.power(np.maximum(dm, 1e-15).div(0.01), -1 / (order + 1)))
  return np.minimum(np.minimum(h0.mul(100), h1), span)
}
