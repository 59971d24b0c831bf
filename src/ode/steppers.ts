/**
 * ODE layer: one step of each method, on the raveled state. A step takes (t, y, f(t, y), h)
 * and returns the candidate y₁, f(t + h, y₁) (the next step's first stage: every method here
 * reuses it, so it costs nothing extra), an error vector when the method is adaptive, and
 * the dense output on [t, t + h] for `saveat` and events.
 */
import type { Tracer } from '../core/tracer'
import * as lax from '../lax'
import * as np from '../numpy'
import { jvp } from '../transforms/autodiff'
import { customJvp } from '../transforms/custom'
import { jacfwd } from '../transforms/jacobian'
import type { VectorField } from './state'
import { type ExplicitTableau, type RosenbrockTableau, dopri5, euler, heun, rk4, rodas4, tsit5 } from './tableaus'

export interface StepResult {
  readonly y1: Tracer
  readonly f1: Tracer
  /** the local error estimate (absent for fixed-step methods) */
  readonly err: Tracer | null
  /** y(t + θh) for θ of shape [m, 1], as [m, n] */
  readonly dense: (theta: Tracer) => Tracer
  /** evaluations of f in this step (Jacobians count as one each, of n directions) */
  readonly fevals: number
}

export interface Stepper {
  readonly name: SolverName
  /** order of the propagated solution */
  readonly order: number
  readonly adaptive: boolean
  readonly stiff: boolean
  /** the error estimate is O(h^errOrder): the controller's exponents divide by it */
  readonly errOrder: number
  readonly step: (f: VectorField, t: Tracer, y: Tracer, f0: Tracer, h: Tracer) => StepResult
}

export type SolverName = 'euler' | 'heun' | 'rk4' | 'dopri5' | 'tsit5' | 'rodas4'

/** y + h Σ_j w_j k_j, skipping zero weights. */
const combine = (y: Tracer, h: Tracer, w: readonly number[], k: readonly Tracer[]): Tracer => {
  let acc: Tracer | null = null
  w.forEach((a, j) => {
    if (a === 0) return
    const term = a === 1 ? k[j] : k[j].mul(a)
    acc = acc === null ? term : acc.add(term)
  })
  return acc === null ? y : y.add((acc as Tracer).mul(h))
}

/** h Σ_j e_j k_j, the embedded pair's difference (zeros when every weight is 0). */
const errorEstimate = (y: Tracer, h: Tracer, e: readonly number[], k: readonly Tracer[]): Tracer => {
  const nz = e.flatMap((a, j) => (a === 0 ? [] : [a === 1 ? k[j] : k[j].mul(a)]))
  return nz.length === 0 ? np.zerosLike(y) : nz.reduce((acc, term) => acc.add(term)).mul(h)
}

/** Cubic Hermite interpolation from the values and slopes at both ends (third order). */
export const hermite = (y0: Tracer, y1: Tracer, f0: Tracer, f1: Tracer, h: Tracer) => (theta: Tracer): Tracer => {
  const t2 = theta.mul(theta)
  const t3 = t2.mul(theta)
  const h00 = t3.mul(2).sub(t2.mul(3)).add(1)
  const h10 = t3.sub(t2.mul(2)).add(theta)
  const h01 = t2.mul(3).sub(t3.mul(2))
  const h11 = t3.sub(t2)
  return h00.mul(y0).add(h10.mul(f0.mul(h))).add(h01.mul(y1)).add(h11.mul(f1.mul(h)))
}

/** Σ_p c_p θ^p by Horner's rule. */
const horner = (c: readonly number[], theta: Tracer): Tracer => {
  let acc: Tracer | number = c[c.length - 1]
  for (let p = c.length - 2; p >= 0; p--) acc = theta.mul(acc).add(c[p])
  return acc as Tracer
}

const explicitStep = (tab: ExplicitTableau) => (f: VectorField, t: Tracer, y: Tracer, f0: Tracer, h: Tracer): StepResult => {
  const k: Tracer[] = [f0]
  const s = tab.c.length
  for (let i = 1; i < s; i++) k.push(f(t.add(h.mul(tab.c[i])), combine(y, h, tab.a[i], k)))
  let y1: Tracer
  let f1: Tracer
  let fevals = s - 1
  if (tab.fsal) {
    // the last stage is evaluated at y₁ = y + h Σ b_i k_i (its a-row is b)
    y1 = combine(y, h, tab.a[s - 1], k)
    f1 = k[s - 1]
  } else {
    y1 = combine(y, h, tab.b, k)
    f1 = f(t.add(h), y1)
    fevals += 1
  }
  const err = tab.e === undefined ? null : errorEstimate(y, h, tab.e, k)
  const dense = tab.dense === undefined
    ? hermite(y, y1, f0, f1, h)
    : (theta: Tracer): Tracer => {
        let acc: Tracer | null = null
        tab.dense?.forEach((c, i) => {
          const term = horner(c, theta).mul(k[i])
          acc = acc === null ? term : acc.add(term)
        })
        return y.add((acc as unknown as Tracer).mul(h))
      }
  return { y1, f1, err, dense, fevals }
}

/**
 * G⁻¹ with the derivative d(G⁻¹) = −G⁻¹ dG G⁻¹ (matrix products). The stages then cost one
 * matrix–vector product each, and their tangents (jacfwd over parameters) are products too,
 * instead of differentiating the LU factorisation and its triangular solves. The iteration
 * matrix I/(hγ) − J is well conditioned for the step sizes the controller accepts.
 */
const inverse = customJvp(
  (g: Tracer) => np.linalg.inv(g),
  ([g], [dg]) => {
    const x = np.linalg.inv(g)
    return [x, np.matmul(np.matmul(x, dg), x).neg()] as const
  },
)

/**
 * A stage's solve k = G⁻¹ b as X b, given X = G⁻¹ (from `inverse`), with the derivative
 * dk = X (db − dG k) (from d(G k) = dG k + G dk = db): two matrix–vector products per tangent,
 * where differentiating X b as written costs d(G⁻¹) = −X dG X, two matrix products per
 * tangent and step (jacfwd over p parameters: 2pn³ against 2pn² per stage). `g` is an input
 * only for its tangent; the rule holds because X is G⁻¹ (its own tangent, unused here, is
 * dropped as dead code). Higher derivatives stay exact: the rule is itself differentiated
 * through X, whose derivative `inverse` gives.
 */
const applyInverse = customJvp(
  (_g: Tracer, x: Tracer, b: Tracer) => np.matmul(x, b),
  ([, x, b], [dg, , db]) => {
    const k = np.matmul(x, b)
    return [k, np.matmul(x, db.sub(np.matmul(dg, k)))] as const
  },
)

/**
 * A Rosenbrock step: one Jacobian J = ∂f/∂y (by jacfwd) and one inverse of I/(hγ) − J (by LU)
 * per step, then one matrix–vector product per stage; ∂f/∂t enters non-autonomous problems through one jvp.
 */
const rosenbrockStep = (tab: RosenbrockTableau) => (f: VectorField, t: Tracer, y: Tracer, f0: Tracer, h: Tracer): StepResult => {
  const n = y.shape[0]
  const jac = jacfwd((yy: Tracer) => f(t, yy))(y) as Tracer
  const ft = jvp((tt: Tracer) => f(tt, y), [t], [np.onesLike(t)])[1] as Tracer
  const g = np.eye(n, n, { dtype: y.dtype }).div(h.mul(tab.gamma)).sub(jac)
  const gInv = inverse(g)
  const solve = (b: Tracer): Tracer => applyInverse(g, gInv, b)
  const k: Tracer[] = []
  let fevals = 2
  for (let i = 0; i < tab.alpha.length; i++) {
    let fi: Tracer
    if (i === 0) fi = f0
    else {
      let yi = y
      tab.a[i].forEach((a, j) => {
        if (a !== 0) yi = yi.add(k[j].mul(a))
      })
      fi = f(t.add(h.mul(tab.alpha[i])), yi)
      fevals += 1
    }
    let rhs = fi
    tab.c[i].forEach((c, j) => {
      if (c !== 0) rhs = rhs.add(k[j].mul(c).div(h))
    })
    if (tab.gammas[i] !== 0) rhs = rhs.add(ft.mul(h.mul(tab.gammas[i])))
    k.push(solve(rhs))
  }
  let y1 = y
  tab.m.forEach((m, i) => {
    if (m !== 0) y1 = y1.add(m === 1 ? k[i] : k[i].mul(m))
  })
  let err: Tracer | null = null
  tab.e.forEach((e, i) => {
    if (e !== 0) err = err === null ? k[i].mul(e) : (err as Tracer).add(k[i].mul(e))
  })
  const f1 = f(t.add(h), y1)
  return { y1, f1, err, dense: hermite(y, y1, f0, f1, h), fevals: fevals + 1 }
}

export const STEPPERS: Readonly<Record<SolverName, Stepper>> = {
  euler: { name: 'euler', order: 1, adaptive: false, stiff: false, errOrder: 1, step: explicitStep(euler) },
  heun: { name: 'heun', order: 2, adaptive: false, stiff: false, errOrder: 2, step: explicitStep(heun) },
  rk4: { name: 'rk4', order: 4, adaptive: false, stiff: false, errOrder: 4, step: explicitStep(rk4) },
  dopri5: { name: 'dopri5', order: 5, adaptive: true, stiff: false, errOrder: 5, step: explicitStep(dopri5) },
  tsit5: { name: 'tsit5', order: 5, adaptive: true, stiff: false, errOrder: 5, step: explicitStep(tsit5) },
  rodas4: { name: 'rodas4', order: 4, adaptive: true, stiff: true, errOrder: 4, step: rosenbrockStep(rodas4) },
}
