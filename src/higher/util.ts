/**
 * Higher-order primitives: helpers for building the jaxprs their rules need.
 */
import type { Tracer } from '../core/tracer'
import { ShapeError } from '../core/errors'
import { type ShapedArray, avalStr, shapeEq } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import { Jaxpr, type Var } from '../ir/jaxpr'
import { BINARY_PRIMS, UNARY_PRIMS } from '../ir/params'
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

export const sameAvals = (a: readonly ShapedArray[], b: readonly ShapedArray[]): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i].dtype !== b[i].dtype || !shapeEq(a[i].shape, b[i].shape)) return false
  return true
}

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
export const fixedPoint = (init: boolean[], step: (m: boolean[]) => boolean[]): boolean[] => fixedPointWith(init, (m) => ({ mask: step(m), result: null })).mask

/**
 * `fixedPoint` for steps that transform a loop body: it also returns the step's result at the
 * fixed point. A rule whose step already transforms the body as the final loop needs it (the
 * carries of mask `m` instantiated, so the step at the fixed point is that final transform)
 * takes the body from here instead of tracing it once more — per loop, and per nesting level
 * for loops inside loops. `reusable` says whether the last result is that final transform
 * (a step that cannot instantiate by `m` reports false when its own mask differs from `m`).
 */
export const fixedPointWith = <R>(
  init: boolean[],
  step: (m: boolean[]) => { readonly mask: readonly boolean[]; readonly result: R },
): { mask: boolean[]; result: R; reusable: boolean } => {
  let m = init
  for (;;) {
    const r = step(m)
    const next = r.mask.map((v, i) => v || m[i])
    if (next.every((v, i) => v === m[i])) return { mask: m, result: r.result, reusable: r.mask.every((v, i) => v === m[i]) }
    m = next
  }
}

/**
 * The same jaxpr with its inputs and outputs reordered (`ins[k]` / `outs[k]`: the index of the
 * k-th new one in the old order) — a loop rule lays out a transformed body as its primitive
 * wants without tracing it again. The equations are shared: jaxprs are immutable.
 */
export const permuteJaxpr = (j: Jaxpr, ins: readonly number[], outs: readonly number[]): Jaxpr => {
  if (j.constVars.length > 0) throw new Error('internal: permuteJaxpr of a jaxpr with constVars')
  if (ins.length !== j.inVars.length || outs.length !== j.outs.length) throw new Error('internal: permuteJaxpr needs a full permutation')
  return new Jaxpr([], ins.map((i) => j.inVars[i]), j.eqns, outs.map((i) => j.outs[i]))
}

/** The indices 0…n−1 of the segments of sizes `sizes`, concatenated in the order `order`. */
export const segments = (sizes: readonly number[], order: readonly number[]): number[] => {
  const starts = sizes.reduce<number[]>((acc, n) => [...acc, acc[acc.length - 1] + n], [0])
  return order.flatMap((k) => Array.from({ length: sizes[k] }, (_, i) => starts[k] + i))
}

/** Primitives whose jvp rule gives a nonzero tangent to a float output as soon as a float input
 *  has one (no rule among them answers a symbolic zero then). */
const TANGENT_FLOWS = new Set<string>([
  'neg', 'sin', 'cos', 'tanh', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'logistic',
  'add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'integer_pow', 'select_n', 'convert_element_type',
  'broadcast_in_dim', 'reshape', 'transpose', 'squeeze', 'slice', 'concatenate', 'reduce_sum', 'dot_general',
])
/** Primitives whose batch rule batches every output when an input is batched, and that partial
 *  evaluation stages as soon as an input is unknown. */
const ALL_FLOWS = new Set<string>([...UNARY_PRIMS, ...BINARY_PRIMS, ...TANGENT_FLOWS])

/**
 * Which outputs of `j` a mark on its inputs certainly reaches: a tangent (`'tangent'`: float
 * values through TANGENT_FLOWS), a batch axis or unknown-ness (`'flow'`: through ALL_FLOWS).
 * Other equations (control flow, custom rules, indexing…) are taken not to pass marks on, so
 * the answer is a lower bound of what transforming `j` finds — read off the equations, no trace.
 */
const marksReaching = (j: Jaxpr, ins: readonly boolean[], mode: 'tangent' | 'flow'): boolean[] => {
  const flows = mode === 'tangent' ? TANGENT_FLOWS : ALL_FLOWS
  const carries = (v: Var) => mode === 'flow' || isFloat(v.aval.dtype)
  const marked = new Set<Var>(j.inVars.filter((v, i) => ins[i] && carries(v)))
  // (indexed loops: this walk runs over whole loop bodies, often before V8 optimizes it)
  const eqns = j.eqns
  for (let k = 0; k < eqns.length; k++) {
    const e = eqns[k]
    if (!flows.has(e.prim)) continue
    let reached = false
    for (let i = 0; i < e.inputs.length && !reached; i++) {
      const a = e.inputs[i]
      reached = a._tag === 'Var' && marked.has(a)
    }
    if (reached) for (let i = 0; i < e.outVars.length; i++) if (carries(e.outVars[i])) marked.add(e.outVars[i])
  }
  return j.outs.map((a) => a._tag === 'Var' && marked.has(a))
}

/**
 * A start for a loop's fixed point over its carries (`fixedPointWith`): `init` grown by the
 * marks that certainly go round the loop (`marksReaching`, iterated on the body's equations —
 * cheap, no trace). It never exceeds the fixed point from `init` (a lower bound of every step),
 * so the fixed point reached from it is the same, usually at the first step: a carry that gets
 * a tangent, a batch axis or unknown-ness only after one trip round the loop (an initial state
 * that is a constant) no longer costs a transform of the body that is thrown away.
 * `ins(m)` lays out the body's input mask for carry mask `m`; the first `m.length` outputs of
 * the body are its carries.
 */
export const loopMaskStart = (body: Jaxpr, init: boolean[], ins: (m: boolean[]) => boolean[], mode: 'tangent' | 'flow'): boolean[] => {
  let m = init
  for (;;) {
    const next = marksReaching(body, ins(m), mode).slice(0, m.length).map((v, i) => v || m[i])
    if (next.every((v, i) => v === m[i])) return m
    m = next
  }
}
