/**
 * ODE layer: `ode.odeint(f, y0, ts, ...args)` with JAX's conventions
 * (`jax.experimental.ode.odeint`): f(y, t, ...args), values at every time of `ts` stacked
 * along a leading axis (ts[0] is the initial time), Dormand–Prince 5(4) with
 * rtol = atol = 1.4e-8. Options come last, as a plain object `{ rtol, atol, mxstep, hmax }`.
 */
import { ArgumentTypeError, ShapeError } from '../core/errors'
import { checkOptionKeys, closestOption } from '../core/validate'
import type { Tracer } from '../core/tracer'
import * as np from '../numpy'
import type { ArgArrays, Arrays, Like } from '../tree/types'

/** The extra arguments as f receives them: each with Array leaves. */
export type ArrayArgs<A extends readonly unknown[]> = Extract<ArgArrays<A>, readonly unknown[]>
import { solveImpl } from './solve'

export interface OdeintOptions {
  readonly rtol?: number
  readonly atol?: number
  /** the most steps (accepted and rejected) over the whole of ts; default 10000 */
  readonly mxstep?: number
  /** the largest step */
  readonly hmax?: number
}

const OPTION_KEYS = new Set(['rtol', 'atol', 'mxstep', 'hmax'])

/** A trailing plain object whose keys are all odeint options (and numbers) is the options. */
const isOptions = (x: unknown): x is OdeintOptions => {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || Object.getPrototypeOf(x) !== Object.prototype) return false
  const keys = Object.keys(x)
  return keys.length > 0 && keys.every((k) => OPTION_KEYS.has(k) && typeof (x as Record<string, unknown>)[k] === 'number')
}

/** A plain object of JS numbers with a key that is, or nearly is, an option name. */
const misspeltOptions = (x: unknown): boolean => {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || Object.getPrototypeOf(x) !== Object.prototype) return false
  const entries = Object.entries(x)
  return entries.length > 0 && entries.every(([, v]) => typeof v === 'number') && entries.some(([k]) => OPTION_KEYS.has(k) || closestOption(k, [...OPTION_KEYS]) !== undefined)
}

/** `odeint(f, y0, ts, ...args)` → the solution at `ts` (every leaf with a leading axis of len(ts)). */
export const odeint = <Y, A extends readonly unknown[]>(
  f: (y: Arrays<Y>, t: Tracer, ...args: ArrayArgs<A>) => Like<Arrays<Y>>,
  y0: Y,
  ts: Tracer | readonly number[],
  ...rest: [...args: A] | [...args: A, options: OdeintOptions]
): Arrays<Y> => {
  const where = 'ode.odeint'
  if (typeof f !== 'function') throw new ArgumentTypeError(`${where}: f must be a function f(y, t, ...args), got ${typeof f}`)
  const last = rest[rest.length - 1]
  // a trailing object of numbers with a misspelled option ({ rtoll: 1e-3 }) would otherwise be
  // passed to f as one more argument, and the option silently not applied
  if (rest.length > 0 && !isOptions(last) && misspeltOptions(last)) checkOptionKeys(last, [...OPTION_KEYS], `${where} options`, true)
  const o: OdeintOptions = rest.length > 0 && isOptions(last) ? last : {}
  const args = (rest.length > 0 && isOptions(last) ? rest.slice(0, -1) : rest) as unknown as ArrayArgs<A>
  const tsArr = Array.isArray(ts) ? np.array(ts as number[]) : (ts as Tracer)
  if (typeof tsArr !== 'object' || tsArr === null || !('aval' in tsArr)) throw new ArgumentTypeError(`${where}: ts must be a list of times or a 1-d Array`)
  if (tsArr.ndim !== 1 || tsArr.shape[0] < 1) throw new ShapeError(`${where}: ts must be a non-empty 1-d list of increasing times, got shape [${tsArr.shape.join(', ')}]`)
  const n = tsArr.shape[0]
  const r = solveImpl<Y, ArrayArgs<A>>(
    {
      f: (t, y, a) => f(y, t, ...(a as ArrayArgs<A>)),
      y0,
      t0: Array.isArray(ts) ? (ts as readonly number[])[0] : first(tsArr),
      t1: Array.isArray(ts) ? (ts as readonly number[])[n - 1] : lastOf(tsArr),
      args,
      solver: 'dopri5',
      rtol: o.rtol ?? 1.4e-8,
      atol: o.atol ?? 1.4e-8,
      maxSteps: o.mxstep ?? 10000,
      ...(o.hmax !== undefined ? { dtmax: o.hmax } : {}),
      saveat: { ts: Array.isArray(ts) ? (ts as readonly number[]) : tsArr },
    },
    where,
  )
  return r.ys as Arrays<Y>
}

const first = (ts: Tracer): Tracer => np.take(ts, 0)
const lastOf = (ts: Tracer): Tracer => np.take(ts, ts.shape[0] - 1)
