/**
 * Backend: convolutions and window reductions rewritten for the fused evaluator.
 *
 * `conv_general_dilated` becomes im2col + one contraction: the patch tensor
 *
 *   T[n, s…, c, k…] = x̃[n, c, s·stride + k·rhsDilation]     (x̃: lhs dilated and padded)
 *
 * is built from strided slices of the padded lhs joined by nested concatenations — all index
 * arithmetic, so the planner writes T in one fused loop — and contracted with the kernel over
 * (c, k…) by `dot_general`, which runs on the register-blocked (WebAssembly SIMD) matmul.
 * Feature and batch groups become the contraction's batch axis. T is assembled from whichever
 * of the two enumerations has fewer pieces: one slice per kernel offset (a forward or
 * input-gradient convolution: few kernel offsets, many output positions), or one slice per
 * output position (a kernel-gradient convolution: the cotangent is the "kernel", so there are
 * many offsets and few outputs). Measured on the CNN workload of bench/ (docs/performance.md):
 * im2col + matmul against the reference impl's direct loops.
 *
 * `reduce_window_*` becomes the elementwise fold of its window slices (add / max / min of
 * strided slices of the padded operand): one fused loop, no patch tensor.
 *
 * Both fall back to the primitive's impl when a rewrite would need too many pieces.
 */
import { scalar } from '../core/array'
import type { Tracer } from '../core/tracer'
import { traceToJaxpr } from '../interpret/stage'
import { type ShapedArray, sizeOf } from '../ir/aval'
import { type Atom, type Eqn, Jaxpr, type Var } from '../ir/jaxpr'
import type { ConvParams, ReduceWindowParams, ReduceWindowPrim } from '../ir/params'
import { inlineBody } from '../passes/inline'
import { add, max, min } from '../primitives/binary'
import { dotGeneral } from '../primitives/dot'
import { windowIdentity } from '../primitives/reduce_window'
import { broadcastInDim, reshape, transpose } from '../primitives/shape'
import { concatenate, pad, slice } from '../primitives/slicing'

/** Most slices one rewrite may join (each is a guarded load in the fused patch loop). */
export const MAX_WINDOW_PIECES = 64

const range = (n: number): number[] => [...Array(n).keys()]
const isIdentity = (perm: readonly number[]): boolean => perm.every((q, i) => q === i)
const permute = (x: Tracer, perm: readonly number[]): Tracer => (isIdentity(perm) ? x : transpose(x, perm))

// ---- convolution -------------------------------------------------------------------------

/** The im2col form of a convolution, or null when it would take too many pieces (or is empty). */
const im2colConv = (x: Tracer, w: Tracer, p: ConvParams, out: ShapedArray): Tracer | null => {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers
  const ns = x.ndim - 2
  const xc = permute(x, lhsSpec) // [N, C, S…]
  const wc = permute(w, rhsSpec) // [O, I, K…]
  const [N, C] = [xc.shape[0], xc.shape[1]]
  const [O, I] = [wc.shape[0], wc.shape[1]]
  const K = wc.shape.slice(2)
  const S = outSpec.slice(2).map((d) => out.shape[d])
  const [Kp, Sp] = [sizeOf(K), sizeOf(S)]
  if (N === 0 || C === 0 || O === 0 || Kp === 0 || Sp === 0 || Math.min(Kp, Sp) > MAX_WINDOW_PIECES) return null
  const zero = scalar(0, x.dtype, x.weakType)
  const xp = pad(xc, zero, [[0, 0, 0], [0, 0, 0], ...range(ns).map((d) => [p.padding[d][0], p.padding[d][1], p.lhsDilation[d] - 1] as const)])
  const byKernel = Kp <= Sp
  // one piece: [N, S…, C, K…] with the enumerated axes of size 1
  const piece = (idx: readonly number[]): Tracer => {
    const start = [0, 0, ...range(ns).map((d) => (byKernel ? idx[d] * p.rhsDilation[d] : idx[d] * p.windowStrides[d]))]
    const size = byKernel ? S : K
    const step = byKernel ? p.windowStrides : p.rhsDilation
    const limit = [N, C, ...range(ns).map((d) => start[2 + d] + (size[d] - 1) * step[d] + 1)]
    const s = slice(xp, start, limit, [1, 1, ...step]) // [N, C, size…]
    if (byKernel) return reshape(permute(s, [0, ...range(ns).map((d) => 2 + d), 1]), [N, ...S, C, ...K.map(() => 1)])
    return reshape(s, [N, ...S.map(() => 1), C, ...K])
  }
  // nested concatenation over the enumerated axes (the kernel axes at 2 + ns + d, or the
  // output axes at 1 + d)
  const enumerated = byKernel ? K : S
  const axisOf = (d: number) => (byKernel ? 2 + ns + d : 1 + d)
  const build = (d: number, prefix: number[]): Tracer =>
    d === ns ? piece(prefix) : concatenate(range(enumerated[d]).map((j) => build(d + 1, [...prefix, j])), axisOf(d))
  const T = ns === 0 ? reshape(xp, [N, C]) : build(0, []) // [N, S…, C, K…]
  const G = p.featureGroupCount
  const B = p.batchGroupCount
  const contractT = (first: number) => range(ns + 1).map((i) => first + i)
  const contractW = range(ns + 1).map((i) => 2 + i)
  const pe = p.preferredElementType
  let y: Tracer // [N', S…, O]
  if (G === 1 && B === 1) {
    y = dotGeneral(T, wc, { lhsContracting: contractT(1 + ns), rhsContracting: range(ns + 1).map((i) => 1 + i), lhsBatch: [], rhsBatch: [] }, pe)
  } else {
    const H = G * B
    const wg = reshape(wc, [H, O / H, I, ...K])
    let r: Tracer // [H, N', S…, O/H]
    if (B > 1) {
      const tb = reshape(T, [B, N / B, ...S, I, ...K])
      r = dotGeneral(tb, wg, { lhsContracting: contractT(2 + ns), rhsContracting: contractW, lhsBatch: [0], rhsBatch: [0] }, pe)
    } else {
      const tg = reshape(T, [N, ...S, G, I, ...K])
      r = dotGeneral(tg, wg, { lhsContracting: contractT(2 + ns), rhsContracting: contractW, lhsBatch: [1 + ns], rhsBatch: [0] }, pe)
    }
    const Np = N / B
    y = reshape(permute(r, [...range(ns + 1).map((i) => 1 + i), 0, ns + 2]), [Np, ...S, O])
  }
  // [N', S…, O] → the output layout: out axis outSpec[0] ← 0, outSpec[1] ← ns + 1, outSpec[2 + d] ← 1 + d
  const perm = Array<number>(ns + 2)
  perm[outSpec[0]] = 0
  perm[outSpec[1]] = ns + 1
  range(ns).forEach((d) => (perm[outSpec[2 + d]] = 1 + d))
  return permute(y, perm)
}

// ---- window reductions -------------------------------------------------------------------

const FOLD: Readonly<Record<ReduceWindowPrim, (a: Tracer, b: Tracer) => Tracer>> = {
  reduce_window_sum: add, reduce_window_max: max, reduce_window_min: min,
}

/** The fold of the window slices, or null when the window has too many elements. */
const foldWindows = (prim: ReduceWindowPrim, x: Tracer, p: ReduceWindowParams, out: ShapedArray): Tracer | null => {
  const W = sizeOf(p.windowDimensions)
  if (W === 0 || W > MAX_WINDOW_PIECES || sizeOf(out.shape) === 0) return null
  const init = scalar(windowIdentity(prim, x.dtype), x.dtype, x.weakType)
  const xp = pad(x, init, x.shape.map((_, d) => [p.padding[d][0], p.padding[d][1], p.baseDilation[d] - 1] as const))
  // the impl's order: init ⊕ x_0 ⊕ x_1 ⊕ … (so −0 sums and NaNs come out alike)
  let acc = broadcastInDim(init, out.shape, [])
  for (let k = 0; k < W; k++) {
    let kr = k
    const start = Array<number>(x.ndim)
    for (let d = x.ndim - 1; d >= 0; d--) {
      start[d] = (kr % p.windowDimensions[d]) * p.windowDilation[d]
      kr = Math.floor(kr / p.windowDimensions[d])
    }
    const limit = start.map((s0, d) => s0 + (out.shape[d] - 1) * p.windowStrides[d] + 1)
    acc = FOLD[prim](acc, slice(xp, start, limit, p.windowStrides))
  }
  return acc
}

// ---- the pass ----------------------------------------------------------------------------

/** The equations that replace `e` (applied to its inputs), or null to keep it. */
const expansion = (e: Eqn): { eqns: Eqn[]; outs: Atom[] } | null => {
  const out = e.outVars[0].aval
  let f: ((xs: Tracer[]) => Tracer | null) | null = null
  if (e.prim === 'conv_general_dilated') f = ([x, w]) => im2colConv(x, w, e.params as ConvParams, out)
  else if (e.prim === 'reduce_window_sum' || e.prim === 'reduce_window_max' || e.prim === 'reduce_window_min') {
    const prim = e.prim
    f = ([x]) => foldWindows(prim, x, e.params as ReduceWindowParams, out)
  }
  if (f === null) return null
  const g = f
  let declined = false
  const closed = traceToJaxpr((...xs) => {
    const y = g(xs)
    if (y === null) {
      declined = true
      return xs.slice(0, 1)
    }
    return [y]
  }, e.inputs.map((a) => a.aval))
  if (declined || closed.jaxpr.constVars.length > 0) return null
  return inlineBody(closed.jaxpr, e.inputs)
}

let rewrite = true
/** Turn the rewrite off (the impls' direct loops run instead): for measurements and for tests
 *  that compare the two. Compiled programs are cached per jaxpr: set it before compiling. */
export const setWindowRewrite = (on: boolean): void => {
  rewrite = on
}

/** Rewrite every convolution and window reduction of `j` (top level; bodies of control flow
 *  are compiled, and rewritten, on their own). Returns `j` itself when there is none. */
export const expandWindows = (j: Jaxpr): Jaxpr => {
  if (!rewrite || !j.eqns.some((e) => e.prim === 'conv_general_dilated' || e.prim.startsWith('reduce_window_'))) return j
  const eqns: Eqn[] = []
  const env = new Map<Var, Atom>()
  const read = (a: Atom): Atom => (a._tag === 'Var' ? (env.get(a) ?? a) : a)
  for (const e0 of j.eqns) {
    const e = { ...e0, inputs: e0.inputs.map(read) }
    const r = expansion(e)
    if (r === null) {
      eqns.push(e)
      continue
    }
    eqns.push(...r.eqns)
    env.set(e.outVars[0], r.outs[0])
  }
  return new Jaxpr(j.constVars, j.inVars, eqns, j.outs.map(read))
}
