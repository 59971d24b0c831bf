/**
 * ODE layer: the named errors of `ode.solve` / `ode.odeint`. A solve that cannot finish
 * reports why and where (the time reached), so a user can raise `maxSteps`, loosen the
 * tolerances, switch to a stiff solver or fix the model.
 */

// Too many steps is the library's MaxStepsExceededError (src/core/errors.ts), shared with
// lax.whileLoop's { maxSteps }: the solver took maxSteps steps without reaching t1.
export { MaxStepsExceededError } from '../core/errors'

/** The step size fell below its lower bound (`dtmin`, or the spacing of floating-point
 *  numbers at the current time): the problem is probably stiff or singular there. */
export class StepSizeUnderflowError extends RangeError {
  override readonly name = 'StepSizeUnderflowError'
}

/** The state (or `f` at it) became NaN or ±Infinity at the reported time. */
export class NonFiniteStateError extends RangeError {
  override readonly name = 'NonFiniteStateError'
}
