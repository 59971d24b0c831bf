/**
 * The `ode` namespace: differentiable ODE solvers. `solve` (Diffrax-style options),
 * `odeint` (JAX's `jax.experimental.ode.odeint`), and the list of `solvers`.
 */
import { STEPPERS, type SolverName } from './steppers'

export { solve, checkStats, SolveStatus } from './solve'
export type { SolveOptions, Solution, SolveStats, Time } from './solve'
export { odeint } from './odeint'
export type { OdeintOptions } from './odeint'
export type { SolverName } from './steppers'
export { MaxStepsExceededError, StepSizeUnderflowError, NonFiniteStateError } from './errors'
import type { CheckpointPolicy as Policy } from '../ir/params'

/** How reverse mode keeps the solver's steps (see SolveOptions.checkpoint); a declared alias so
 *  the bundled declarations keep it a type. */
export type CheckpointPolicy = Policy

/** A solver's description. */
export interface SolverInfo {
  readonly name: SolverName
  /** order of accuracy of the propagated solution */
  readonly order: number
  /** error-controlled step sizes (otherwise a fixed dt0) */
  readonly adaptive: boolean
  /** suited to stiff problems (implicit: uses the Jacobian of f) */
  readonly stiff: boolean
}

export const solvers: readonly SolverInfo[] = Object.freeze(
  Object.values(STEPPERS).map(({ name, order, adaptive, stiff }) => Object.freeze({ name, order, adaptive, stiff })),
)
