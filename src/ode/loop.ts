/**
 * ODE layer: the one loop every solve runs in. It is a bounded `lax.whileLoop`: the solver
 * stops itself after `maxSteps` steps (reporting it in its status), so the loop never needs
 * more iterations than that bound, and the bound is what makes reverse mode (grad, vjp,
 * jacrev) through the adaptive loop possible. `checkpoint` chooses how reverse mode keeps the
 * steps' residuals (every step, recomputed, √N segments or binomial snapshots); forward mode,
 * vmap and jit ignore it.
 */
import type { Tracer } from '../core/tracer'
import type { CheckpointPolicy } from '../ir/params'
import * as lax from '../lax'

/** `carry = body(carry)` while `cond(carry)`, at most `maxSteps` times. */
export const solverLoop = <C>(cond: (c: C) => Tracer, body: (c: C) => C, init: C, maxSteps: number, checkpoint?: CheckpointPolicy): C =>
  lax.whileLoop(cond, body, init, { maxSteps, ...(checkpoint === undefined ? {} : { checkpoint }) })
