/**
 * lax: the `progress` option of scan, foriLoop and whileLoop — a host function told how many
 * steps are done, from inside any program (built on debug.callback, so it runs under jit and
 * in compiled loops). The callback is not differentiated and its step counter has no tangent,
 * so jvp, grad and vmap of the loop are those of the loop without the option; under vmap the
 * report comes once per step, not once per member.
 *
 * A loop of known length (scan, foriLoop with JS bounds) is split into chunks of `every` steps:
 * an outer scan over the chunks, whose body is the inner scan of one chunk and then the report.
 * The inner loop is the original loop's body, compiled as tightly as without the option, and
 * the host is called only once per chunk. A loop of unknown length (whileLoop, foriLoop with
 * traced bounds) carries a hidden int32 counter, and a `cond` calls the host every `every`
 * steps — a per-step branch, so such a loop runs slower with the option than without.
 */
import { scalar } from '../core/array'
import { ValueError } from '../core/errors'
import { show } from '../core/validate'
import type { Tracer } from '../core/tracer'
import { callback } from '../debug'
import { add, eq, or, rem } from '../primitives/binary'
import { reshape } from '../primitives/shape'
import { concatenate, slice } from '../primitives/slicing'
import { flattenArrays } from '../transforms/flat'
import { unflatten } from '../tree/treedef'
import { type CheckpointPolicy, switch_ } from './control'

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

type ScanFn = <C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs: X, opts: { length?: number; reverse?: boolean; checkpoint?: CheckpointPolicy }) => [C, Y]

/** Rows [lo, hi) of every leaf of `xs` (a pytree), reshaped to `[hi − lo]` or `[m, k]` rows. */
const rows = <X>(xs: X, lo: number, hi: number, chunk: number | null): X => {
  const [leaves, tree] = flattenArrays(xs, 'lax.scan xs')
  return unflatten<X>(tree, leaves.map((x) => {
    const part = slice(x, [lo, ...x.shape.slice(1).map(() => 0)], [hi, ...x.shape.slice(1)], null)
    return chunk === null ? part : reshape(part, [(hi - lo) / chunk, chunk, ...x.shape.slice(1)])
  }))
}

/** Stacked chunk outputs `[m, k, …]` back to `[m·k, …]`, then joined with the remainder's. */
const joinRows = <Y>(chunked: Y, rest: Y | null): Y => {
  const [cl, tree] = flattenArrays(chunked, 'lax.scan ys')
  const rl = rest === null ? null : flattenArrays(rest, 'lax.scan ys')[0]
  return unflatten<Y>(tree, cl.map((y, i) => {
    const flat = reshape(y, [y.shape[0] * y.shape[1], ...y.shape.slice(2)])
    if (rl === null) return flat
    // the remainder is the last rows of the sequence (reached first when reversed)
    return concatenate([flat, rl[i]], 0)
  }))
}

/**
 * `scan(f, init, xs)` of `n` steps as chunks of `p.every` steps with a report after each chunk
 * (and after the remainder). The same steps in the same order, so the same values.
 */
export const chunkedScan = <C, X, Y>(
  scan: ScanFn,
  p: Progress,
  f: (carry: C, x: X) => [C, Y],
  init: C,
  xs: X,
  n: number,
  reverse: boolean,
  checkpoint?: CheckpointPolicy,
): [C, Y] => {
  // a checkpoint policy applies to the scan over chunks and to each chunk's own scan
  const policy = checkpoint === undefined ? {} : { checkpoint }
  const k = Math.min(p.every, Math.max(n, 1))
  const m = Math.floor(n / k)
  const rem = n - m * k
  const hasXs = flattenArrays(xs, 'lax.scan xs')[0].length > 0
  const report = (step: Tracer) => {
    p.report(step.item() as number, n)
  }
  const runChunks = (c: C, done0: number): [C, Y] => {
    const outer = (kc: [Tracer, C], xc: X): [[Tracer, C], Y] => {
      const [c2, y] = scan(f, kc[1], xc, { length: k, reverse, ...policy })
      const done = add(kc[0], k)
      callback(report, done)
      return [[done, c2], y]
    }
    const [[, cOut], ys] = scan(outer, [scalar(done0, 'int32'), c] as [Tracer, C], hasXs ? rows(xs, 0, m * k, k) : xs, { length: m, reverse, ...policy })
    return [cOut, ys]
  }
  const runRest = (c: C, done: number): [C, Y] => {
    const out = scan(f, c, hasXs ? rows(xs, m * k, n, null) : xs, { length: rem, reverse, ...policy })
    callback(report, scalar(done, 'int32'))
    return out
  }
  if (rem === 0) {
    const [c, ys] = runChunks(init, 0)
    return [c, joinRows(ys, null)]
  }
  if (m === 0) return runRest(init, n)
  if (!reverse) {
    const [c1, ys1] = runChunks(init, 0)
    const [c2, ys2] = runRest(c1, n)
    return [c2, joinRows(ys1, ys2)]
  }
  // reversed: the last `rem` rows come first
  const [c1, ys2] = runRest(init, rem)
  const [c2, ys1] = runChunks(c1, rem)
  return [c2, joinRows(ys1, ys2)]
}
