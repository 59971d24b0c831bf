/**
 * ODE layer: the one loop every solve runs in. It is a bounded `lax.whileLoop`: the solver
 * stops itself after `maxSteps` steps (reporting it in its status), so the loop never needs
 * more iterations than that bound.
 */
import * as lax from '../lax'

/** `carry = body(carry)` while `cond(carry)`, at most `maxSteps` times. */
export const solverLoop = <C>(cond: (c: C) => import('../core/tracer').Tracer, body: (c: C) => C, init: C, maxSteps: number): C => {
  void maxSteps
  return lax.whileLoop(cond, body, init)
}
