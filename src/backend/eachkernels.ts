/**
 * Backend: the kernels of reductions, small contractions and structural equations in the
 * one-step-per-equation mode (scalarmode.ts), made directly from the equation. Every operand
 * is materialized there, so what a region would expand for such a root (plan.ts `expandRoot`,
 * build.ts `loop`) is only loads of the operands: no region, maps or structural keys are
 * needed. Same nodes, same reduction order, same rounding as the builder's kernel.
 */
import { sizeOf, stridesOf } from '../ir/aval'
import type { Eqn, Var } from '../ir/jaxpr'
import { RED_OP, accDtype } from './build'
import { float32Mode } from './compile'
import { identityMap, operandMap, toFlat } from './indexmap'
import type { Affine, KNode, LoopKernel } from './kernel'
import { dotGeometry, dotMaps, reduceDomain } from './roots'

/** A kernel and the variables its inputs load, in order. */
export interface EachKernel {
  readonly kernel: LoopKernel
  readonly inputs: readonly Var[]
}

/** An empty list of stores or reductions, shared: kernels are immutable data. */
export const NONE: readonly never[] = Object.freeze([])

/** The reduction's output index: the output's strides over the kept loops, 0 over the reduced. */
const keptIdx = (out: Var, extents: readonly number[], nKept: number): Affine => {
  const st = stridesOf(out.aval.shape)
  return { off: 0, st: extents.map((_, d) => (d < nKept ? st[d] : 0)) }
}

/** A load of materialized `v` (kernel input `input`) at a flat index that never leaves it: no clamp. */
const load = (v: Var, input: number, idx: Affine): KNode => ({ k: 'load', input, idx, dtype: v.aval.dtype, clamp: -1 })

const kernel = (extents: readonly number[], nReduced: number, inputs: readonly Var[], outs: readonly Var[], nodes: KNode[], rest: Pick<LoopKernel, 'stores' | 'reductions'>): LoopKernel => ({
  kind: 'loop', f32: float32Mode(), domain: extents, nReduced,
  inputs: inputs.map((v) => v.aval.dtype), outputs: outs.map((v) => v.aval.dtype), nodes, ...rest, epilogue: NONE,
})

/** reduce_* / argmax / argmin of a materialized operand; null for a literal operand. */
export const reduceKernel = (e: Eqn): EachKernel | null => {
  const x = e.inputs[0]
  if (x._tag !== 'Var') return null
  const { extents, nReduced, map } = reduceDomain(e)
  const out = e.outVars[0]
  const nodes = [load(x, 0, toFlat(map, x.aval.shape, extents.length))]
  const op = RED_OP[e.prim as keyof typeof RED_OP]
  const reductions = [{ node: 0, op, out: 0, idx: keptIdx(out, extents, extents.length - nReduced), acc: accDtype(x.aval.dtype) }]
  return { kernel: kernel(extents, nReduced, [x], [out], nodes, { stores: NONE, reductions }), inputs: [x] }
}

/**
 * A small contraction: Σ over the contracting loops of x·y in the accumulator dtype; without
 * contracting axes the impl's 0 + x·y, cast to the result dtype, stored (expandRoot). Null for
 * a literal operand.
 */
export const dotfKernel = (e: Eqn): EachKernel | null => {
  const [x, y] = e.inputs
  if (x._tag !== 'Var' || y._tag !== 'Var') return null
  const g = dotGeometry(e)
  const r = g.extents.length
  const maps = dotMaps(e)
  const inputs = x === y ? [x] : [x, y]
  const nodes: KNode[] = [load(x, 0, toFlat(maps.lhs, x.aval.shape, r)), load(y, inputs.indexOf(y), toFlat(maps.rhs, y.aval.shape, r))]
  nodes.push({ k: 'op', op: 'mul', args: [0, 1], dtype: g.acc, attr: 0 })
  const out = e.outVars[0]
  if (g.nContract > 0) {
    const reductions = [{ node: 2, op: 'sum' as const, out: 0, idx: keptIdx(out, g.extents, r - g.nContract), acc: g.acc }]
    return { kernel: kernel(g.extents, g.nContract, inputs, [out], nodes, { stores: NONE, reductions }), inputs }
  }
  nodes.push({ k: 'lit', value: 0, dtype: g.acc }, { k: 'op', op: 'add', args: [3, 2], dtype: g.acc, attr: 0 })
  if (out.aval.dtype !== g.acc) nodes.push({ k: 'op', op: 'cast', args: [4], dtype: out.aval.dtype, attr: 0 })
  const stores = [{ node: nodes.length - 1, out: 0, idx: { off: 0, st: stridesOf(out.aval.shape) } }]
  return { kernel: kernel(g.extents, 0, inputs, [out], nodes, { stores, reductions: NONE }), inputs }
}

/**
 * A structural equation (reshape, broadcast, slice, transpose, …) of a materialized operand:
 * one load of it at the operand's map of the output's coordinates (indexmap.ts), stored; a
 * literal operand is that literal at every point. Null when the map is not affine (the region
 * then decides).
 */
export const structKernel = (e: Eqn): EachKernel | null => {
  const u = e.inputs[0]
  const v = e.outVars[0]
  const extents = v.aval.shape
  const r = extents.length
  const m = operandMap(e, identityMap(r), extents)
  if (m === null) return null
  const stores = [{ node: 0, out: 0, idx: { off: 0, st: stridesOf(extents) } }]
  if (u._tag === 'Lit') return { kernel: kernel(extents, 0, [], [v], [{ k: 'lit', value: u.value, dtype: u.aval.dtype }], { stores, reductions: NONE }), inputs: NONE }
  const idx = toFlat(m, u.aval.shape, r)
  // an index that could leave the operand is clamped into it (as a region's load is)
  // (a loop: a callback capturing lo and hi would allocate them and itself for every equation)
  let lo = idx.off
  let hi = idx.off
  for (let d = 0; d < idx.st.length; d++) {
    const s = idx.st[d]
    if (s > 0) hi += s * (extents[d] - 1)
    else lo += s * (extents[d] - 1)
  }
  const last = sizeOf(u.aval.shape) - 1
  const clamp = extents.some((x) => x === 0) || (lo >= 0 && hi <= last) ? -1 : Math.max(last, 0)
  const nodes: KNode[] = [{ k: 'load', input: 0, idx, dtype: u.aval.dtype, clamp }]
  return { kernel: kernel(extents, 0, [u], [v], nodes, { stores, reductions: NONE }), inputs: [u] }
}
