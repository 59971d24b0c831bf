/**
 * ODE layer: `ode.solve` — integrate dy/dt = f(t, y, args) from t0 to t1 in one bounded
 * while loop, traced like any other function, so jvp/jacfwd, vmap and jit go through the
 * solver, step-size control included (discretise, then differentiate).
 *
 * Run-time failures (too many steps, a step size that underflows, a non-finite state) end the
 * loop with a status code in `stats.status`. Called on concrete values, `solve` then throws the
 * named error; inside a transformation (jit, jacfwd, vmap) it cannot throw at run time, so the
 * final state is NaN and the status says why (`ode.checkStats` turns it into the error).
 */
import { ArgumentTypeError, ConcretizationError, ShapeError, ValueError } from '../core/errors'
import { checkOptionKeys } from '../core/validate'
import type { Tracer } from '../core/tracer'
import * as lax from '../lax'
import * as np from '../numpy'
import { jvp } from '../transforms/autodiff'
import { stopGradient } from '../transforms/custom'
import type { CheckpointPolicy } from '../ir/params'
import type { Arrays, Like } from '../tree/types'
import { type PIConfig, type Tolerances, errorNorm, initialStep, piConfig, stepFactor } from './controller'
import { MaxStepsExceededError, NonFiniteStateError, StepSizeUnderflowError } from './errors'
import { solverLoop } from './loop'
import { type StateLayout, type VectorField, layoutOf, unravel, unravelStacked, vectorField } from './state'
import { STEPPERS, type SolverName, type StepResult, type Stepper } from './steppers'

/** What `solve` accepts for a time: a JS number or a 0-d Array (differentiable). */
export type Time = Tracer | number

export interface SolveOptions<Y, A> {
  /** dy/dt = f(t, y, args), returning the state's structure, shapes and dtype */
  readonly f: (t: Tracer, y: Arrays<Y>, args: Arrays<A>) => Like<Arrays<Y>>
  readonly y0: Y
  readonly t0: Time
  readonly t1: Time
  /** a pytree passed to f (and to `event`): the parameters to differentiate by */
  readonly args?: A
  /** default 'tsit5' */
  readonly solver?: SolverName
  /** the first step (adaptive solvers choose one by Hairer's rule when absent); the step of fixed-step solvers */
  readonly dt0?: Time
  /** relative and absolute tolerances of the adaptive solvers (default 1e-6, 1e-9) */
  readonly rtol?: number
  readonly atol?: number
  /** return the solution at these times (increasing, within [t0, t1]) instead of the final state */
  readonly saveat?: { readonly ts: Tracer | readonly number[] }
  /** steps (accepted and rejected) before MaxStepsExceededError; default 4096 */
  readonly maxSteps?: number
  /** bounds on the step size of adaptive solvers (default 0 and t1 − t0) */
  readonly dtmin?: number
  readonly dtmax?: number
  /**
   * A terminal event: the solve ends at the first root of event(t, y, args) (a sign change
   * between two steps, located on the dense output); the time and state there are returned,
   * and their derivatives follow the implicit-function theorem.
   */
  readonly event?: (t: Tracer, y: Arrays<Y>, args: Arrays<A>) => Tracer | number
  /** on concrete values, throw the named error when the solve fails (default true) */
  readonly throwOnError?: boolean
  /**
   * How reverse mode (grad, vjp, jacrev) keeps the steps' residuals: 'store' (every step),
   * 'recompute', 'sqrt', or `{ binomial: snapshots }` (Griewank's schedule: memory for
   * `snapshots` states, time × O(log) recomputation). Ignored by forward mode, vmap and jit.
   */
  readonly checkpoint?: CheckpointPolicy
}

/** Counters of a solve, as int32 Arrays; `status` is 0 on success, otherwise a `SolveStatus`. */
export interface SolveStats {
  readonly steps: Tracer
  readonly accepted: Tracer
  readonly rejected: Tracer
  readonly fevals: Tracer
  readonly status: Tracer
}

export interface Solution<Y> {
  /** the `saveat` times, or the final time (t1, or the event time) as a 0-d Array */
  readonly ts: Tracer
  /** the state at `ts`, stacked along a leading axis for `saveat`; the final state otherwise */
  readonly ys: Arrays<Y>
  readonly stats: SolveStats
  /** with `event`: whether the event ended the solve (a bool Array) */
  readonly event?: Tracer
}

/** The codes of `stats.status`. */
export const SolveStatus = { success: 0, maxSteps: 1, stepSizeUnderflow: 2, nonFinite: 3 } as const

interface Carry {
  t: Tracer
  y: Tracer
  f0: Tracer
  h: Tracer
  errPrev: Tracer
  steps: Tracer
  accepted: Tracer
  rejected: Tracer
  fevals: Tracer
  status: Tracer
  ys: Tracer | null
  g: Tracer | null
  done: Tracer
}

const all = (...xs: Tracer[]): Tracer => xs.reduce((a, b) => np.logicalAnd(a, b))

const int = (x: number): Tracer => np.array(x, { dtype: 'int32' })

const checkNumber = (x: unknown, name: string, where: string, positive: boolean): number | undefined => {
  if (x === undefined) return undefined
  if (typeof x !== 'number' || Number.isNaN(x) || (positive ? !(x > 0) : x < 0)) {
    throw new ValueError(`${where}: ${name} must be a ${positive ? 'positive' : 'non-negative'} number, got ${String(x)}`)
  }
  return x
}

const KNOWN = new Set(['f', 'y0', 't0', 't1', 'args', 'solver', 'dt0', 'rtol', 'atol', 'saveat', 'maxSteps', 'dtmin', 'dtmax', 'event', 'throwOnError', 'checkpoint'])

/** Integrate an ODE; see `SolveOptions`. */
export const solve = <Y, A = undefined>(opts: SolveOptions<Y, A>): Solution<Y> => solveImpl(opts, 'ode.solve')

export const solveImpl = <Y, A>(opts: SolveOptions<Y, A>, where: string): Solution<Y> => {
  if (typeof opts !== 'object' || opts === null) throw new ArgumentTypeError(`${where}: expected an options object { f, y0, t0, t1, ... }, got ${String(opts)}`)
  checkOptionKeys(opts, [...KNOWN], where, true)
  if (typeof opts.f !== 'function') throw new ArgumentTypeError(`${where}: f must be a function f(t, y, args), got ${typeof opts.f}`)
  const solverName = opts.solver ?? 'tsit5'
  const st: Stepper | undefined = Object.prototype.hasOwnProperty.call(STEPPERS, solverName) ? STEPPERS[solverName] : undefined
  if (st === undefined) throw new ValueError(`${where}: unknown solver '${String(solverName)}'; choose one of ${Object.keys(STEPPERS).join(', ')}`)
  const rtol = checkNumber(opts.rtol, 'rtol', where, false) ?? 1e-6
  const atol = checkNumber(opts.atol, 'atol', where, false) ?? 1e-9
  if (rtol === 0 && atol === 0) throw new ValueError(`${where}: rtol and atol cannot both be 0`)
  const maxSteps = opts.maxSteps ?? 4096
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new ValueError(`${where}: maxSteps must be a positive integer, got ${String(maxSteps)}`)
  const dtmin = checkNumber(opts.dtmin, 'dtmin', where, false) ?? 0
  const dtmax = checkNumber(opts.dtmax, 'dtmax', where, true)
  if (!st.adaptive && opts.dt0 === undefined) throw new ValueError(`${where}: the fixed-step solver '${st.name}' needs a step size dt0`)

  const { layout, y: y0 } = layoutOf(opts.y0, where)
  const dtype = layout.dtype
  const time = (x: Time, name: string): Tracer => {
    const a = typeof x === 'number' ? np.array(x, { dtype }) : x
    if (typeof x !== 'number' && (typeof x !== 'object' || x === null || !('aval' in x))) throw new ArgumentTypeError(`${where}: ${name} must be a number or a 0-d Array, got ${String(x)}`)
    if (a.ndim !== 0) throw new ShapeError(`${where}: ${name} must be a scalar, got shape [${a.shape.join(', ')}]`)
    return lax.convertElementType(a, dtype, false)
  }
  const t0 = time(opts.t0, 't0')
  const t1 = time(opts.t1, 't1')
  if (typeof opts.t0 === 'number' && typeof opts.t1 === 'number' && !(opts.t1 >= opts.t0)) {
    throw new ValueError(`${where}: t1 must be ≥ t0 (integration runs forward in time), got t0 = ${opts.t0}, t1 = ${opts.t1}`)
  }
  const args = opts.args as Arrays<A>
  const f: VectorField = vectorField((t, y) => opts.f(t, y as Arrays<Y>, args), layout, where)
  const tol: Tolerances = { rtol, atol }

  let tsave: Tracer | null = null
  if (opts.saveat !== undefined) {
    const ts = Array.isArray(opts.saveat.ts) ? np.array(opts.saveat.ts as number[], { dtype }) : (opts.saveat.ts as Tracer)
    if (ts === undefined || ts.ndim !== 1 || ts.shape[0] === 0) throw new ShapeError(`${where}: saveat.ts must be a non-empty 1-d list of times`)
    if (Array.isArray(opts.saveat.ts)) {
      const v = opts.saveat.ts as number[]
      for (let i = 1; i < v.length; i++) if (!(v[i] >= v[i - 1])) throw new ValueError(`${where}: saveat.ts must be non-decreasing; ts[${i}] = ${v[i]} < ts[${i - 1}] = ${v[i - 1]}`)
      if (typeof opts.t0 === 'number' && typeof opts.t1 === 'number' && (v[0] < opts.t0 || v[v.length - 1] > opts.t1)) {
        throw new ValueError(`${where}: saveat.ts must lie within [t0, t1] = [${opts.t0}, ${opts.t1}], got [${v[0]}, ${v[v.length - 1]}]`)
      }
    }
    tsave = lax.convertElementType(ts, dtype, false)
  }

  const eventFn = opts.event
  const g = eventFn === undefined ? null : (t: Tracer, y: Tracer): Tracer => {
    const v = eventFn(t, unravel<Arrays<Y>>(y, layout), args)
    const a = typeof v === 'number' ? np.array(v, { dtype }) : v
    if (a.ndim !== 0) throw new ShapeError(`${where}: event must return a scalar, got shape [${a.shape.join(', ')}]`)
    return lax.convertElementType(a, dtype, false)
  }

  const f0 = f(t0, y0)
  const span = t1.sub(t0)
  const h0 = opts.dt0 !== undefined ? time(opts.dt0, 'dt0') : initialStep(f, t0, y0, f0, span, st.order, tol)
  const hmax = dtmax === undefined ? span : np.minimum(span, dtmax)
  const init: Carry = {
    t: t0,
    y: y0,
    f0,
    h: st.adaptive ? np.minimum(h0, hmax) : h0,
    errPrev: np.array(1e-4, { dtype }),
    steps: int(0),
    accepted: int(0),
    rejected: int(0),
    fevals: int(opts.dt0 !== undefined || !st.adaptive ? 1 : 2),
    status: np.where(np.all(np.isfinite(f0)), 0, SolveStatus.nonFinite).astype('int32'),
    ys: tsave === null ? null : np.where(tsave.le(t0).reshape([-1, 1]), y0.reshape([1, -1]), Infinity).astype(dtype),
    g: g === null ? null : g(t0, y0),
    done: np.array(false),
  }
  const ctx: BodyContext = { st, f, g, tol, pi: piConfig(st.errOrder), t1, tsave, maxSteps, dtmin, hmax }
  const out = solverLoop(
    (c: Carry) => np.logicalAnd(np.logicalAnd(c.status.eq(0), np.logicalNot(c.done)), c.t.lt(t1)),
    (c: Carry) => body(c, ctx),
    init,
    maxSteps,
    opts.checkpoint,
  )
  return finish(out, layout, t1, tsave, opts.throwOnError !== false, g !== null, where)
}

interface BodyContext {
  readonly st: Stepper
  readonly f: VectorField
  readonly g: ((t: Tracer, y: Tracer) => Tracer) | null
  readonly tol: Tolerances
  readonly pi: PIConfig
  readonly t1: Tracer
  readonly tsave: Tracer | null
  readonly maxSteps: number
  readonly dtmin: number
  readonly hmax: Tracer
}

/** One attempted step: accept or reject, choose the next h, save, look for the event. */
const body = (c: Carry, ctx: BodyContext): Carry => {
  const { st, pi } = ctx
  const remaining = ctx.t1.sub(c.t)
  const last = c.h.ge(remaining)
  const h = np.where(last, remaining, c.h)
  const r: StepResult = st.step(ctx.f, c.t, c.y, c.f0, h)
  const finite = np.logicalAnd(np.all(np.isfinite(r.y1)), np.all(np.isfinite(r.f1)))
  let accept: Tracer
  let hNext: Tracer
  let errPrev = c.errPrev
  if (st.adaptive && r.err !== null) {
    const e = errorNorm(r.err, c.y, r.y1, ctx.tol)
    accept = np.logicalAnd(e.le(1), finite)
    const fac = np.where(finite, stepFactor(e, c.errPrev, accept, pi), pi.facmin)
    hNext = np.minimum(h.mul(fac), ctx.hmax)
    errPrev = np.where(accept, np.maximum(e, 1e-4), c.errPrev)
  } else {
    accept = finite
    hNext = c.h
  }
  let tNew = np.where(accept, np.where(last, ctx.t1, c.t.add(h)), c.t)
  let yNew = np.where(accept, r.y1, c.y)
  const f0New = np.where(accept, r.f1, c.f0)
  let done = c.done
  let gNew = c.g
  if (ctx.g !== null && c.g !== null) {
    const ev = locateEvent(ctx.g, c.t, h, c.g, r, accept)
    tNew = np.where(ev.crossed, ev.t, tNew)
    yNew = np.where(ev.crossed, ev.y, yNew)
    gNew = np.where(accept, ev.g1, c.g)
    done = ev.crossed
  }
  let ys = c.ys
  if (ctx.tsave !== null && ys !== null) {
    const ts = ctx.tsave
    const within = np.logicalAnd(np.logicalAnd(accept, ts.gt(c.t)), ts.le(tNew))
    const theta = np.clip(ts.sub(c.t).div(h), 0, 1).reshape([-1, 1])
    ys = np.where(within.reshape([-1, 1]), r.dense(theta), ys)
  }
  const steps = c.steps.add(1)
  // a step that no longer moves t (or is below dtmin) cannot make progress
  const tiny = np.logicalOr(c.t.add(hNext).le(c.t), hNext.lt(ctx.dtmin))
  const unfinished = tNew.lt(ctx.t1)
  let status = np.where(np.logicalNot(finite), st.adaptive ? np.where(tiny, SolveStatus.nonFinite, 0) : SolveStatus.nonFinite, 0)
  status = np.where(all(status.eq(0), finite, tiny, unfinished, np.logicalNot(done)), SolveStatus.stepSizeUnderflow, status)
  status = np.where(all(status.eq(0), steps.ge(ctx.maxSteps), unfinished, np.logicalNot(done)), SolveStatus.maxSteps, status)
  return {
    t: tNew,
    y: yNew,
    f0: f0New,
    h: hNext,
    errPrev,
    steps,
    accepted: c.accepted.add(accept.astype('int32')),
    rejected: c.rejected.add(np.logicalNot(accept).astype('int32')),
    fevals: c.fevals.add(r.fevals),
    status: status.astype('int32'),
    ys,
    g: gNew,
    done,
  }
}

/** Bisection steps on the dense output (2⁻⁶⁰ of a step: below float64 resolution). */
const BISECTIONS = 60

/**
 * The first root of g on an accepted step, when g changes sign over it. Bisection on θ finds
 * θ_b; one Newton step θ* = θ_b − g(θ_b)/s, with s = dg/dθ held constant, leaves the value
 * unchanged (g(θ_b) ≈ 0) but gives θ* the derivative −dg/s of the implicit-function theorem.
 */
const locateEvent = (g: (t: Tracer, y: Tracer) => Tracer, t: Tracer, h: Tracer, g0: Tracer, r: StepResult, accept: Tracer) => {
  const g1 = g(t.add(h), r.y1)
  const crossed = np.logicalAnd(accept, np.logicalOr(np.logicalAnd(g0.gt(0), g1.le(0)), np.logicalAnd(g0.lt(0), g1.ge(0))))
  const at = (th: Tracer): [Tracer, Tracer] => {
    const y = r.dense(th.reshape([1, 1])).reshape([-1])
    return [y, g(t.add(h.mul(th)), y)]
  }
  const sg0 = stopGradient(g0)
  const bisect = (): Tracer[] => {
    const [lo, hi] = lax.foriLoop(0, BISECTIONS, (_i: Tracer, [lo, hi]: [Tracer, Tracer]): [Tracer, Tracer] => {
      const mid = lo.add(hi).mul(0.5)
      const gm = stopGradient(at(mid)[1])
      const sameSide = np.logicalOr(np.logicalAnd(sg0.gt(0), gm.gt(0)), np.logicalAnd(sg0.lt(0), gm.lt(0)))
      return [np.where(sameSide, mid, lo), np.where(sameSide, hi, mid)]
    }, [np.zerosLike(t), np.onesLike(t)] as [Tracer, Tracer])
    return [lo, hi]
  }
  const [, hi] = lax.cond(crossed, bisect, () => [np.zerosLike(t), np.onesLike(t)]) as Tracer[]
  const thB = stopGradient(hi)
  const [, gb] = at(thB)
  // dg/dθ at the root from the dense-output polynomial (a bracket 2⁻⁶⁰ wide is too narrow for a secant)
  const slope = stopGradient(jvp((th: Tracer) => at(th)[1], [thB], [np.onesLike(thB)])[1] as Tracer)
  const safeSlope = np.where(slope.eq(0), 1, slope)
  const th = np.clip(thB.sub(gb.div(safeSlope)), 0, 1)
  const [yE] = at(th)
  return { crossed, t: t.add(h.mul(th)), y: yE, g1 }
}

const MESSAGES = {
  [SolveStatus.maxSteps]: (t: number, w: string) =>
    new MaxStepsExceededError(`${w}: reached maxSteps before t1 (stopped at t = ${t}); raise maxSteps, loosen rtol/atol, or use a stiff solver ('rodas4') if the problem is stiff`),
  [SolveStatus.stepSizeUnderflow]: (t: number, w: string) =>
    new StepSizeUnderflowError(`${w}: the step size underflowed at t = ${t} (it no longer advances t, or fell below dtmin); the problem may be stiff ('rodas4') or singular there`),
  [SolveStatus.nonFinite]: (t: number, w: string) =>
    new NonFiniteStateError(`${w}: the state or f became NaN or infinite at t = ${t}; check f for divisions by zero or blow-up (a finite-time singularity), or reduce dt0`),
} as const

/** The named error of a failed solve (status ≠ 0), or null. */
export const statusError = (status: number, t: number, where: string): Error | null =>
  status === 0 ? null : (MESSAGES[status as 1 | 2 | 3]?.(t, where) ?? null)

/** Read a concrete number, or null inside a transformation. */
const concrete = (x: Tracer): number | null => {
  try {
    return x.item()
  } catch (e) {
    if (e instanceof ConcretizationError) return null
    throw e
  }
}

const finish = <Y>(c: Carry, layout: StateLayout, t1: Tracer, tsave: Tracer | null, throwOnError: boolean, hasEvent: boolean, where: string): Solution<Y> => {
  const s = concrete(c.status)
  if (throwOnError && s !== null && s !== 0) throw statusError(s, concrete(c.t) ?? NaN, where) as Error
  const failed = c.status.ne(0)
  const stats: SolveStats = { steps: c.steps, accepted: c.accepted, rejected: c.rejected, fevals: c.fevals, status: c.status }
  const event = hasEvent ? { event: c.done } : {}
  if (tsave !== null && c.ys !== null) {
    return { ts: tsave, ys: unravelStacked<Arrays<Y>>(c.ys, layout), stats, ...event }
  }
  void t1
  // y · NaN rather than a NaN constant: the derivatives of a failed solve are NaN too
  const y = c.y.mul(np.where(failed, NaN, 1))
  return { ts: c.t, ys: unravel<Arrays<Y>>(y, layout), stats, ...event }
}

/** Throw the named error of a failed solve from its (concrete) stats: the check to run on a
 *  result computed under jit / jacfwd / vmap, where the solver cannot throw itself. */
export const checkStats = (stats: SolveStats, t?: Tracer | number): void => {
  const st = stats.status.toTypedArray()
  for (let i = 0; i < st.length; i++) {
    const err = statusError(st[i], typeof t === 'number' ? t : NaN, 'ode.solve')
    if (err !== null) throw err
  }
}
