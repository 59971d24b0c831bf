/**
 * lax: the `progress` option of scan, foriLoop and whileLoop — a host function told how many
 * steps are done, from inside any program (built on debug.callback, so it runs under jit and
 * in compiled loops). The loop carries a hidden int32 step counter; every `every` steps (and
 * at the last step of a loop of known length) a `cond` calls the host. The counter has no
 * tangent and the callback is not differentiated, so jvp, grad and vmap of the loop are those
 * of the loop without the option; under vmap the report comes once per step, not per member.
 */
import { scalar } from '../core/array'
import { ValueError } from '../core/errors'
import { show } from '../core/validate'
import type { Tracer } from '../core/tracer'
import { callback } from '../debug'
import { add, eq, or, rem } from '../primitives/binary'
import { switch_ } from './control'

/** Told `step` (steps done so far, 1-based) and `total` (null when the loop's length is not known). */
export type ProgressReport = (step: number, total: number | null) => void

/** A report function, or one with how often to call it (default: about 100 reports per loop
 *  of known length, every step otherwise). */
export type ProgressOption = ProgressReport | { readonly report: ProgressReport; readonly every?: number }

export interface Progress {
  readonly report: ProgressReport
  readonly every: number
}

/** Normalize the option (null: no progress); `total` is the loop's length when it is known. */
export const progressOf = (opt: ProgressOption | undefined, total: number | null, where: string): Progress | null => {
  if (opt === undefined) return null
  const report = typeof opt === 'function' ? opt : opt !== null && typeof opt === 'object' ? opt.report : undefined
  if (typeof report !== 'function') {
    throw new ValueError(`${where}: progress must be a function (step, total) => void or { report, every? }, got ${show(opt)}`)
  }
  const every = typeof opt === 'function' ? undefined : opt.every
  if (every !== undefined && (!Number.isSafeInteger(every) || every < 1)) {
    throw new ValueError(`${where}: progress.every must be a positive integer, got ${show(every)}`)
  }
  return { report, every: every ?? (total === null ? 1 : Math.max(1, Math.ceil(total / 100))) }
}

/** The next counter value; reports it when it is a multiple of `every` or the last step. */
export const tick = (p: Progress, count: Tracer, total: number | Tracer | null): Tracer => {
  const k = add(count, 1)
  let due = eq(rem(k, p.every), 0)
  if (total !== null) due = or(due, eq(k, typeof total === 'number' ? scalar(total, 'int32') : total))
  const report = (step: Tracer, n: Tracer | null) => {
    p.report(step.item() as number, n === null ? null : (n.item() as number))
  }
  switch_(due, [() => null, () => {
    callback(report, k, typeof total === 'number' ? scalar(total, 'int32') : total)
    return null
  }])
  return k
}

export const counter0 = (): Tracer => scalar(0, 'int32')
