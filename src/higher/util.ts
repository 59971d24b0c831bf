/**
 * Higher-order primitives: helpers for building the jaxprs their rules need.
 */
import type { Tracer } from '../core/tracer'
import { ShapeError } from '../core/errors'
import { type ShapedArray, avalStr } from '../ir/aval'
import type { Jaxpr } from '../ir/jaxpr'
import { hoistConsts } from '../interpret/jvp'
import { evalJaxpr } from '../interpret/eval'
import { traceToJaxpr } from '../interpret/stage'

/** Trace `f` to a jaxpr whose constants (if any) are hoisted as leading inputs. */
export const traceHoisted = (f: (...xs: Tracer[]) => readonly Tracer[], avals: readonly ShapedArray[]): { jaxpr: Jaxpr; consts: Tracer[] } => {
  const c = traceToJaxpr(f, avals)
  return { jaxpr: hoistConsts(c.jaxpr), consts: [...c.consts] }
}

/** A jaxpr with `n` extra unused leading inputs of the given avals (so branches share a signature). */
export const withLeadingInputs = (j: Jaxpr, lead: readonly ShapedArray[], where = 0): { jaxpr: Jaxpr; consts: Tracer[] } =>
  traceHoisted((...xs) => {
    const ins = [...xs.slice(0, where), ...xs.slice(where + lead.length)]
    return evalJaxpr(j, [], ins)
  }, [...j.inAvals.slice(0, where), ...lead, ...j.inAvals.slice(where)])

export const sameAvals = (a: readonly ShapedArray[], b: readonly ShapedArray[]): boolean =>
  a.length === b.length && a.every((x, i) => x.dtype === b[i].dtype && x.shape.join() === b[i].shape.join())

export const avalsStr = (a: readonly ShapedArray[]): string => `(${a.map(avalStr).join(', ')})`

export const checkAvals = (what: string, got: readonly ShapedArray[], want: readonly ShapedArray[]): void => {
  if (!sameAvals(got, want)) throw new ShapeError(`${what}: got ${avalsStr(got)}, expected ${avalsStr(want)}`)
}

/** Indices where `mask` is true. */
export const where = (mask: readonly boolean[]): number[] => mask.flatMap((m, i) => (m ? [i] : []))
/** Split `xs` by `mask` into [false part, true part]. */
export const partition = <T>(mask: readonly boolean[], xs: readonly T[]): [T[], T[]] => [
  xs.filter((_, i) => !mask[i]),
  xs.filter((_, i) => mask[i]),
]
/** Merge two lists back by `mask` (inverse of partition). */
export const merge = <T>(mask: readonly boolean[], falses: readonly T[], trues: readonly T[]): T[] => {
  let [i, j] = [0, 0]
  return mask.map((m) => (m ? trues[j++] : falses[i++]))
}

/** Iterate `step` on a boolean mask until it stops growing (which carries have tangents,
 *  are unknown, or are batched is decided this way for loops). */
export const fixedPoint = (init: boolean[], step: (m: boolean[]) => boolean[]): boolean[] => {
  let m = init
  for (;;) {
    const next = step(m).map((v, i) => v || m[i])
    if (next.every((v, i) => v === m[i])) return m
    m = next
  }
}
