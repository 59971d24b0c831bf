/**
 * Backend: the kernel IR — what the fusion planner produces and code generators consume.
 *
 * A `LoopKernel` is one loop nest over a `domain` (extents, outermost first). Its last
 * `nReduced` loops are reduced. Inside, an SSA list of scalar `nodes` (loads of input buffers
 * at affine indices, constants, coordinates, scalar ops of the closed vocabulary); `stores`
 * write nodes to output buffers at every point of the domain; `reductions` fold nodes over
 * the reduced loops and write one value per point of the kept loops. Broadcasts, transposes,
 * slices and reshapes never appear: they are already folded into the affine indices.
 *
 * A `DotKernel` is a contraction out[b,m,n] = Σ_k lhs[b,m,k]·rhs[b,k,n] over strided views.
 *
 * Kernels are plain data (numbers, dtype names, op names of a closed set), so their JSON is a
 * structural key: two kernels with the same key generate the same code, whatever jaxpr or
 * variable names they came from. Any other code generator (WebAssembly) can take the same IR.
 */
import type { DType } from '../ir/dtypes'
import type { ScalarOp } from './scalar'

/** off + Σ_d st[d] · i_d over the loop coordinates i. */
export interface Affine {
  readonly off: number
  readonly st: readonly number[]
}

export type KNode =
  /** `clamp` ≥ 0: the index may leave [0, clamp] (inside a computed pad or concatenate piece,
   *  whose value is discarded there) and is clamped into it, so no read is out of bounds. */
  | { readonly k: 'load'; readonly input: number; readonly idx: Affine; readonly dtype: DType; readonly clamp: number }
  | { readonly k: 'lit'; readonly value: number; readonly dtype: DType }
  | { readonly k: 'coord'; readonly idx: Affine; readonly dtype: DType }
  | { readonly k: 'op'; readonly op: ScalarOp; readonly args: readonly number[]; readonly dtype: DType; readonly attr: number }
  /** The result of reduction `red` (as stored: rounded to its output dtype), for epilogues. */
  | { readonly k: 'acc'; readonly red: number; readonly dtype: DType }
  /** Pad and concatenate: the first piece whose conditions all hold, else node `fallback`. A
   *  condition holds when 0 ≤ c − lo < n. A piece loads `input` at `idx` (only when chosen), or,
   *  when `node` ≥ 0, is that node's value — computed at every point, also where its coordinates
   *  fall outside the operand (reads there give NaN or a wrong element; the value is discarded). */
  | {
      readonly k: 'pick'
      readonly pieces: readonly Piece[]
      readonly fallback: number
      readonly dtype: DType
    }

export interface Piece {
  readonly input: number
  readonly idx: Affine
  readonly node: number
  readonly conds: readonly PieceCond[]
}

export interface PieceCond {
  readonly c: Affine
  readonly lo: number
  readonly n: number
}

export type RedOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin'

export interface Store {
  readonly node: number
  readonly out: number
  readonly idx: Affine
}

export interface Reduction {
  readonly node: number
  readonly op: RedOp
  readonly out: number
  /** Index of the output element: strides over the kept loops, 0 over the reduced ones. */
  readonly idx: Affine
  /** Accumulator dtype: float64 for float inputs (as the reference impls), else the input's. */
  readonly acc: DType
}

export interface LoopKernel {
  readonly kind: 'loop'
  /** exact: every float32 op rounds (bitwise equal to the reference); relaxed: float32
   *  intermediates stay double until stored. */
  readonly f32: 'exact' | 'relaxed'
  readonly domain: readonly number[]
  readonly nReduced: number
  readonly inputs: readonly DType[]
  readonly outputs: readonly DType[]
  readonly nodes: readonly KNode[]
  readonly stores: readonly Store[]
  readonly reductions: readonly Reduction[]
  /** Stores that read reduction results ('acc' nodes): done after each point of the kept
   *  loops has finished its reductions, in a second sweep over the reduced loops. */
  readonly epilogue: readonly Store[]
  /** Inputs that are buffers this kernel itself stores, read back by the epilogue: their loads
   *  belong to the second sweep, after the stores (never hoisted above them, even where the
   *  reduced loops have extent 1 and were dropped). Absent: none. */
  readonly rereads?: readonly number[]
}

/** A strided operand view of a contraction: element (b, r, c) is at off + b·sb + r·sr + c·sc
 *  (the planner collapses multi-axis batch/free/contracting groups, or packs the operand). */
export interface DotOperand {
  readonly input: number
  readonly off: number
  readonly sb: number
  readonly sr: number
  readonly sc: number
}

export interface DotKernel {
  readonly kind: 'dot'
  readonly B: number
  readonly M: number
  readonly K: number
  readonly N: number
  readonly lhs: DotOperand
  readonly rhs: DotOperand
  readonly inputs: readonly DType[]
  readonly out: DType
  /** int32: wrapping int32 arithmetic; float64: products and sums in double. */
  readonly acc: DType
}

export type Kernel = LoopKernel | DotKernel

/** JSON, except that the numbers JSON cannot tell apart (NaN, ±Infinity, −0) are spelled out. */
export const kernelKey = (k: Kernel): string =>
  JSON.stringify(k, (_key, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `#${Object.is(v, -0) ? '-0' : String(v)}` : v))

// ---- loop normalization ----------------------------------------------------------------

/** Every affine index of a loop kernel, in a fixed order (for rewriting them all at once). */
const affinesOf = (k: LoopKernel): Affine[] => [
  ...k.nodes.flatMap((n) => (n.k === 'load' || n.k === 'coord' ? [n.idx] : n.k === 'pick' ? n.pieces.flatMap((p) => [p.idx, ...p.conds.map((c) => c.c)]) : [])),
  ...k.stores.map((s) => s.idx),
  ...k.reductions.map((r) => r.idx),
  ...k.epilogue.map((s) => s.idx),
]

const withAffines = (k: LoopKernel, domain: readonly number[], nReduced: number, next: () => Affine): LoopKernel => ({
  ...k,
  domain,
  nReduced,
  nodes: k.nodes.map((n): KNode =>
    n.k === 'load' || n.k === 'coord'
      ? { ...n, idx: next() }
      : n.k === 'pick'
        ? { ...n, pieces: n.pieces.map((p) => ({ ...p, idx: next(), conds: p.conds.map((c) => ({ ...c, c: next() })) })) }
        : n,
  ),
  stores: k.stores.map((s) => ({ ...s, idx: next() })),
  reductions: k.reductions.map((r) => ({ ...r, idx: next() })),
  epilogue: k.epilogue.map((s) => ({ ...s, idx: next() })),
})

/**
 * Simplify a loop nest without changing what it computes, or the order in which each
 * reduction visits its elements: drop loops of extent 1, and merge neighbouring loops of the
 * same kind (kept/reduced) when every index steps through them as through one loop
 * (st[d] = st[d+1] · extent[d+1]). An elementwise kernel over contiguous buffers becomes a
 * single loop.
 */
export const normalizeLoops = (k: LoopKernel): LoopKernel => {
  const affs = affinesOf(k)
  const nKept = k.domain.length - k.nReduced
  let dims = k.domain.map((extent, d) => ({ extent, reduced: d >= nKept, st: affs.map((a) => a.st[d]) }))
  // a reduction's argmax index is its loop counter: keep that single loop as it is
  const keepReduced = k.reductions.some((r) => r.op === 'argmax' || r.op === 'argmin')
  dims = dims.filter((d) => d.extent !== 1 || (keepReduced && d.reduced))
  const merged: typeof dims = []
  for (const d of dims) {
    const prev = merged[merged.length - 1]
    const canMerge =
      prev !== undefined && prev.reduced === d.reduced && !(keepReduced && d.reduced) &&
      prev.st.every((s, j) => s === d.st[j] * d.extent)
    if (canMerge) merged[merged.length - 1] = { extent: prev.extent * d.extent, reduced: d.reduced, st: d.st }
    else merged.push(d)
  }
  let j = 0
  return withAffines(
    k,
    merged.map((d) => d.extent),
    merged.filter((d) => d.reduced).length,
    () => {
      const a = affs[j]
      const st = merged.map((d) => d.st[j])
      j++
      return { off: a.off, st }
    },
  )
}
