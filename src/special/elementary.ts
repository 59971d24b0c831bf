/**
 * logit, expit, xlogy, xlog1py, entr, as jax.scipy.special (float results; int inputs become
 * float64). xlogy and xlog1py take JAX's custom JVP: ∂x = log y (log1p y), ∂y = x/y (x/(1 + y)),
 * so at x = 0 the value is 0 while the derivatives are those of x·log y (−∞ and NaN at (0, 0)).
 */
import type { Tracer } from '../core/tracer'
import { add, and, div, eq, ge, gt, le, lt, mul, sub } from '../primitives/binary'
import { log, log1p, logistic, neg } from '../primitives/unary'
import { type ArrayLike, promoteToFloat } from '../numpy/promote'
import { floatArg, isNan, lit, where, withJvp } from './util'

/**
 * log(p/(1 − p)); for p ∈ [¼, ¾] as log1p((2p − 1)/(1 − p)) (2p − 1 and 1 − p exact there), so
 * logit(½ + δ) ≈ 4δ keeps its relative accuracy. logit′ = 1/(p(1 − p)).
 */
const logitJ = withJvp(
  'special.logit',
  (p: Tracer) => {
    const inner = and(ge(p, 0.25), le(p, 0.75))
    return where(inner, log1p(div(sub(mul(p, 2), 1), sub(1, p))), log(div(p, sub(1, p))))
  },
  ([p], [t]) => div(t, mul(p, sub(1, p))),
)

/** log(p/(1 − p)), the inverse of expit: ∓∞ at 0 and 1, NaN outside [0, 1]. */
export const logit = (p: ArrayLike): Tracer => logitJ(floatArg(p, 'logit'))

/** 1/(1 + e^{−x}), the logistic sigmoid (stable for every x). */
export const expit = (x: ArrayLike): Tracer => logistic(floatArg(x, 'expit'))

const xlogyJ = withJvp(
  'special.xlogy',
  (x: Tracer, y: Tracer) => where(eq(x, 0), lit(x, 0), mul(x, log(y))),
  ([x, y], [tx, ty]) => add(mul(tx, log(y)), mul(ty, div(x, y))),
)
const xlog1pyJ = withJvp(
  'special.xlog1py',
  (x: Tracer, y: Tracer) => where(eq(x, 0), lit(x, 0), mul(x, log1p(y))),
  ([x, y], [tx, ty]) => add(mul(tx, log1p(y)), mul(ty, div(x, add(y, 1)))),
)

/** x·log(y), 0 where x = 0 (even for y = 0); x and y broadcast. */
export const xlogy = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteToFloat('special.xlogy', x, y)
  return xlogyJ(a, b)
}

/** x·log(1 + y), 0 where x = 0 (even for y = −1); x and y broadcast. */
export const xlog1py = (x: ArrayLike, y: ArrayLike): Tracer => {
  const [a, b] = promoteToFloat('special.xlog1py', x, y)
  return xlog1pyJ(a, b)
}

const entrJ = withJvp(
  'special.entr',
  (x: Tracer) => {
    const xs = where(gt(x, 0), x, lit(x, 1))
    return where(gt(x, 0), neg(mul(xs, log(xs))), where(eq(x, 0), lit(x, -0), where(isNan(x), x, lit(x, -Infinity))))
  },
  ([x], [t]) => mul(t, where(lt(x, 0), lit(x, 0), neg(add(log(x), 1)))),
)

/** −x·log x for x > 0, 0 at 0, −∞ for x < 0 (the elementwise entropy). entr′ = −(log x + 1). */
export const entr = (x: ArrayLike): Tracer => entrJ(floatArg(x, 'entr'))
