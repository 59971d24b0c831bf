/**
 * Primitives layer: `conv_general_dilated`, XLA's general convolution. In the canonical layout
 * (lhs [N, C, S…], rhs [O, I, K…], out [N/B, O, S'…], axes picked by the dimension numbers):
 *
 *   out[n, o, s] = Σ_{i, k} lhs[n + b·N/B, g·I + i, (s·stride + k·rhsDil − lo) / lhsDil] · rhs[o, i, k]
 *
 * where the lhs index along each spatial axis counts in the lhs dilated by `lhsDilation` (zeros
 * between elements) and padded by (lo, hi); positions that fall on an inserted zero or in the
 * padding contribute nothing. g = o div (O/G) is the feature group (featureGroupCount G, and
 * C = G·I), b = o div (O/B) the batch group (batchGroupCount B).
 *
 * Bilinear: its jvp is the product rule, and its transposes in each operand are themselves
 * convolutions (the lhs one with the kernel flipped and its feature axes swapped, dilated by the
 * strides; the rhs one correlating the lhs with the cotangent), exactly as JAX derives them, so
 * gradients with respect to input and kernel differentiate again to any order.
 */
import type { ConcreteArray } from '../core/array'
import { scalar } from '../core/array'
import { DTypeError, NonLinearError, ShapeError, ValueError } from '../core/errors'
import { type BDim, type RuleTable, type Tangent, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr, shaped, sizeOf, stridesOf } from '../ir/aval'
import { allocate, isBool, isDType, isFloat, isInt } from '../ir/dtypes'
import type { ConvDimensionNumbers, ConvParams } from '../ir/params'
import { addTangents, sub } from './binary'
import { gather } from './gather'
import { convertElementType, iota, reshape, transpose } from './shape'
import { makeArray, zerosOf } from './util'

const OP = 'conv_general_dilated'

// ---- wrappers ----------------------------------------------------------------------------

export const convGeneralDilatedP = (lhs: Tracer, rhs: Tracer, p: ConvParams): Tracer => bind1(OP, [lhs, rhs], p)

// ---- shape helpers (shared with lax/conv.ts) ---------------------------------------------

/** The size of an axis of `d` elements with `r − 1` zeros inserted between neighbours. */
export const dilateDim = (d: number, r: number): number => (d === 0 ? 0 : 1 + r * (d - 1))

/** Output size of a strided window sweep: windows of (dilated) size `k` over `n` elements. */
export const windowCount = (n: number, k: number, stride: number): number => (n < k ? 0 : Math.floor((n - k) / stride) + 1)

/** The identity dimension numbers for rank `nd`: (0, 1, 2, …) on all three sides. */
export const defaultConvDims = (nd: number): ConvDimensionNumbers => {
  const id = [...Array(nd).keys()]
  return { lhsSpec: id, rhsSpec: id, outSpec: id }
}

const isPerm = (spec: unknown, nd: number): boolean =>
  Array.isArray(spec) && spec.length === nd && spec.every((d) => Number.isInteger(d) && d >= 0 && d < nd) && new Set(spec).size === nd

const intList = (v: unknown, n: number, min: number): boolean =>
  Array.isArray(v) && v.length === n && v.every((d) => Number.isSafeInteger(d) && d >= min)

const convAval = (lhs: ShapedArray, rhs: ShapedArray, p: ConvParams): ShapedArray => {
  const operands = `${avalStr(lhs)} ⊛ ${avalStr(rhs)}`
  const nd = lhs.shape.length
  if (nd < 2 || rhs.shape.length !== nd) {
    throw new ShapeError(`${OP}: lhs and rhs must have the same rank (at least 2: batch and feature axes), got ${operands}`)
  }
  if (lhs.dtype !== rhs.dtype) throw new DTypeError(`${OP}: operand dtypes must be equal, got ${operands}; convert one first (x.astype('${lhs.dtype}'))`)
  if (isBool(lhs.dtype)) throw new DTypeError(`${OP} needs numeric operands, got ${operands}`)
  const pe = p.preferredElementType
  if (pe !== null && (!isDType(pe) || isBool(pe) || (isFloat(lhs.dtype) && isInt(pe)))) {
    throw new DTypeError(`${OP}: preferredElementType must be null or a numeric dtype that holds the product, got ${String(pe)} for ${operands}`)
  }
  const dn = p.dimensionNumbers
  if (dn === null || typeof dn !== 'object' || !isPerm(dn.lhsSpec, nd) || !isPerm(dn.rhsSpec, nd) || !isPerm(dn.outSpec, nd)) {
    throw new ValueError(`${OP}: dimensionNumbers must be { lhsSpec, rhsSpec, outSpec }, each a permutation of 0 … ${nd - 1}, for ${operands}`)
  }
  const ns = nd - 2
  const lists: [string, unknown, number][] = [['windowStrides', p.windowStrides, 1], ['lhsDilation', p.lhsDilation, 1], ['rhsDilation', p.rhsDilation, 1]]
  for (const [name, v, min] of lists) {
    if (!intList(v, ns, min)) throw new ValueError(`${OP}: ${name} must list ${ns} integers ≥ ${min} (one per spatial axis), got ${JSON.stringify(v)}`)
  }
  if (!Array.isArray(p.padding) || p.padding.length !== ns || !p.padding.every((q) => Array.isArray(q) && q.length === 2 && q.every(Number.isSafeInteger))) {
    throw new ValueError(`${OP}: padding must list ${ns} pairs of integers [lo, hi], got ${JSON.stringify(p.padding)}`)
  }
  const G = p.featureGroupCount
  const B = p.batchGroupCount
  if (!Number.isSafeInteger(G) || G < 1 || !Number.isSafeInteger(B) || B < 1) {
    throw new ValueError(`${OP}: featureGroupCount and batchGroupCount must be positive integers, got ${G} and ${B}`)
  }
  if (G > 1 && B > 1) throw new ValueError(`${OP}: at most one of featureGroupCount (${G}) and batchGroupCount (${B}) may exceed 1`)
  const [N, C] = [lhs.shape[dn.lhsSpec[0]], lhs.shape[dn.lhsSpec[1]]]
  const [O, I] = [rhs.shape[dn.rhsSpec[0]], rhs.shape[dn.rhsSpec[1]]]
  if (C !== I * G) {
    throw new ShapeError(`${OP}: lhs feature size ${C} must equal the kernel's input feature size ${I} times featureGroupCount ${G}, for ${operands}`)
  }
  if (O % G !== 0) throw new ShapeError(`${OP}: kernel output feature size ${O} must be a multiple of featureGroupCount ${G}, for ${operands}`)
  if (N % B !== 0 || O % B !== 0) {
    throw new ShapeError(`${OP}: lhs batch size ${N} and kernel output feature size ${O} must be multiples of batchGroupCount ${B}, for ${operands}`)
  }
  const out = Array<number>(nd)
  out[dn.outSpec[0]] = N / B
  out[dn.outSpec[1]] = O
  for (let d = 0; d < ns; d++) {
    const [lo, hi] = p.padding[d]
    const n = dilateDim(lhs.shape[dn.lhsSpec[d + 2]], p.lhsDilation[d]) + lo + hi
    const k = dilateDim(rhs.shape[dn.rhsSpec[d + 2]], p.rhsDilation[d])
    if (n < 0) throw new ShapeError(`${OP}: spatial axis ${d} of ${avalStr(lhs)} padded by [${lo}, ${hi}] would have size ${n}`)
    out[dn.outSpec[d + 2]] = windowCount(n, k, p.windowStrides[d])
  }
  return shaped(out, pe ?? lhs.dtype, pe === null && lhs.weakType && rhs.weakType)
}

// ---- impl --------------------------------------------------------------------------------

/**
 * For each spatial axis, the lhs index read by (output position s, kernel position k), or −1
 * for a zero (padding or a dilation hole): table[s·K + k].
 */
export const axisTable = (n: number, k: number, s: number, stride: number, lo: number, lhsDil: number, rhsDil: number): Int32Array => {
  const t = new Int32Array(s * k)
  for (let a = 0; a < s; a++) {
    for (let b = 0; b < k; b++) {
      const q = a * stride + b * rhsDil - lo
      t[a * k + b] = q >= 0 && q % lhsDil === 0 && q / lhsDil < n ? q / lhsDil : -1
    }
  }
  return t
}

/** Direct loops (the reference definition): float64 accumulation (int32 wraps, as XLA). */
const convImpl = (x: ConcreteArray, w: ConcreteArray, p: ConvParams): ConcreteArray => {
  const out = convAval(x.aval, w.aval, p)
  const dn = p.dimensionNumbers
  const ns = x.ndim - 2
  const xs = stridesOf(x.shape)
  const ws = stridesOf(w.shape)
  const os = stridesOf(out.shape)
  const [N, C] = [x.shape[dn.lhsSpec[0]], x.shape[dn.lhsSpec[1]]]
  const [O, I] = [w.shape[dn.rhsSpec[0]], w.shape[dn.rhsSpec[1]]]
  const G = p.featureGroupCount
  const B = p.batchGroupCount
  const inSp = dn.lhsSpec.slice(2).map((d) => x.shape[d])
  const kSp = dn.rhsSpec.slice(2).map((d) => w.shape[d])
  const outSp = dn.outSpec.slice(2).map((d) => out.shape[d])
  const tables = inSp.map((n, d) => axisTable(n, kSp[d], outSp[d], p.windowStrides[d], p.padding[d][0], p.lhsDilation[d], p.rhsDilation[d]))
  // flat spatial offsets: the lhs offset of (s, k) (or −1), the kernel offset of k, the output offset of s
  const S = sizeOf(outSp)
  const K = sizeOf(kSp)
  const lhsOff = new Float64Array(S * K)
  const kOff = new Float64Array(K)
  const outOff = new Float64Array(S)
  const sIdx = Array<number>(ns).fill(0)
  for (let s = 0; s < S; s++) {
    let rem = s
    let o = 0
    for (let d = ns - 1; d >= 0; d--) {
      sIdx[d] = rem % outSp[d]
      rem = Math.floor(rem / outSp[d])
      o += sIdx[d] * os[dn.outSpec[d + 2]]
    }
    outOff[s] = o
    for (let k = 0; k < K; k++) {
      let kr = k
      let off = 0
      for (let d = ns - 1; d >= 0 && off >= 0; d--) {
        const kd = kr % kSp[d]
        kr = Math.floor(kr / kSp[d])
        const q = tables[d][sIdx[d] * kSp[d] + kd]
        off = q < 0 ? -1 : off + q * xs[dn.lhsSpec[d + 2]]
      }
      lhsOff[s * K + k] = off
    }
  }
  for (let k = 0; k < K; k++) {
    let kr = k
    let off = 0
    for (let d = ns - 1; d >= 0; d--) {
      off += (kr % kSp[d]) * ws[dn.rhsSpec[d + 2]]
      kr = Math.floor(kr / kSp[d])
    }
    kOff[k] = off
  }
  const dst = allocate(out.dtype, out.shape.reduce((a, b) => a * b, 1))
  const int = isInt(out.dtype)
  const [xd, wd] = [x.data, w.data]
  const Nout = N / B
  const oPerG = O / G
  const oPerB = O / B
  const [xsN, xsC, wsO, wsI, osN, osO] = [xs[dn.lhsSpec[0]], xs[dn.lhsSpec[1]], ws[dn.rhsSpec[0]], ws[dn.rhsSpec[1]], os[dn.outSpec[0]], os[dn.outSpec[1]]]
  for (let n = 0; n < Nout; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / oPerG)
      const nIn = Math.floor(o / oPerB) * Nout + n
      const xBase = nIn * xsN + g * I * xsC
      const wBase = o * wsO
      for (let s = 0; s < S; s++) {
        let acc = 0
        for (let i = 0; i < I; i++) {
          const xb = xBase + i * xsC
          const wb = wBase + i * wsI
          for (let k = 0; k < K; k++) {
            const q = lhsOff[s * K + k]
            if (q < 0) continue
            acc = int ? (acc + Math.imul(xd[xb + q], wd[wb + kOff[k]])) | 0 : acc + xd[xb + q] * wd[wb + kOff[k]]
          }
        }
        dst[n * osN + o * osO + outOff[s]] = acc
      }
    }
  }
  return makeArray(dst, out)
}

// ---- jvp ---------------------------------------------------------------------------------

// d(x ⊛ w) = dx ⊛ w + x ⊛ dw
const convJvp: RuleTable['conv_general_dilated']['jvp'] = ([x, w], [dx, dw], p) => {
  const z = convGeneralDilatedP(x, w, p)
  const tx: Tangent = isZero(dx) ? new Zero(z.aval) : convGeneralDilatedP(dx, w, p)
  const tw: Tangent = isZero(dw) ? new Zero(z.aval) : convGeneralDilatedP(x, dw, p)
  return [[z], [addTangents(tx, tw)]]
}

// ---- transpose ---------------------------------------------------------------------------

/** Swap the first two entries of a spec: (O, I, …) ↔ (I, O, …). */
const swapSpec = (spec: readonly number[]): number[] => [spec[1], spec[0], ...spec.slice(2)]

/** Split axis `src` of `x` into (size1, rest), the new major axis at `src`. */
export const reshapeAxisOutOf = (src: number, size1: number, x: Tracer): Tracer => {
  const shape = [...x.shape]
  shape.splice(src, 1, size1, x.shape[src] / size1)
  return reshape(x, shape)
}

/** Merge axis `src` into axis `dst` (numbered after `src` is removed) as its major part. */
export const reshapeAxisInto = (src: number, dst: number, x: Tracer): Tracer => {
  const perm = [...Array(x.ndim).keys()].filter((i) => i !== src)
  perm.splice(dst, 0, src)
  const moved = perm.every((q, i) => q === i) ? x : transpose(x, perm)
  const shape = x.shape.filter((_, i) => i !== src)
  shape[dst] *= x.shape[src]
  return reshape(moved, shape)
}

/** Reverse `x` along each of `axes` (a gather with reversed indices). */
export const flipAxes = (x: Tracer, axes: readonly number[]): Tracer =>
  axes.reduce((a, ax) => {
    const n = a.shape[ax]
    if (n <= 1) return a
    const idx = sub(scalar(n - 1, 'int32', false), iota('int32', [n, 1], 0))
    const offsetDims = [...Array(a.ndim).keys()].filter((d) => d !== ax)
    const dn = { offsetDims, collapsedSliceDims: [ax], startIndexMap: [ax], operandBatchingDims: [], startIndicesBatchingDims: [] }
    return gather(a, idx, dn, a.shape.map((d, i) => (i === ax ? 1 : d)))
  }, x)

/** The padding of the lhs-cotangent convolution (JAX's _conv_general_vjp_lhs_padding). */
export const vjpLhsPadding = (
  inShape: readonly number[], window: readonly number[], strides: readonly number[], outShape: readonly number[],
  padding: ReadonlyArray<readonly [number, number]>, lhsDil: readonly number[], rhsDil: readonly number[],
): [number, number][] =>
  inShape.map((n, d) => {
    const before = dilateDim(window[d], rhsDil[d]) - padding[d][0] - 1
    const after = dilateDim(n, lhsDil[d]) + dilateDim(window[d], rhsDil[d]) - 1 - dilateDim(outShape[d], strides[d]) - before
    return [before, after]
  })

/** The padding of the rhs-cotangent convolution (JAX's _conv_general_vjp_rhs_padding). */
const vjpRhsPadding = (
  inShape: readonly number[], window: readonly number[], strides: readonly number[], outShape: readonly number[],
  padding: ReadonlyArray<readonly [number, number]>, lhsDil: readonly number[], rhsDil: readonly number[],
): [number, number][] =>
  inShape.map((n, d) => {
    const lo = padding[d][0]
    const fromLhs = dilateDim(outShape[d], strides[d]) - dilateDim(n, lhsDil[d])
    const fromRhs = dilateDim(window[d], rhsDil[d]) - lo - 1
    return [lo, fromLhs + fromRhs]
  })

const castTo = (x: Tracer, aval: ShapedArray): Tracer =>
  x.dtype === aval.dtype && x.weakType === aval.weakType ? x : convertElementType(x, aval.dtype, aval.weakType)

const take = (shape: readonly number[], axes: readonly number[]): number[] => axes.map((d) => shape[d])

/**
 * ct_lhs: the cotangent convolved with the kernel flipped in space and with its feature axes
 * swapped, lhs-dilated by the forward strides (a "transposed convolution"). Feature groups move
 * from the kernel's output axis into its input axis; batch groups become feature groups and the
 * result's feature axis is folded back into its batch axis.
 */
const transposeLhs = (ct: Tracer, lhsAval: ShapedArray, w: Tracer, p: ConvParams): Tracer => {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers
  let G = p.featureGroupCount
  const B = p.batchGroupCount
  let rhs = w.dtype === ct.dtype ? w : convertElementType(w, ct.dtype)
  if (G > 1) {
    rhs = reshapeAxisInto(rhsSpec[0], rhsSpec[1], reshapeAxisOutOf(rhsSpec[0], G, rhs))
  } else if (B > 1) {
    rhs = reshapeAxisInto(rhsSpec[0], rhsSpec[1], reshapeAxisOutOf(rhsSpec[0], B, rhs))
    G = B
  }
  const sp = (spec: readonly number[]) => spec.slice(2)
  const padding = vjpLhsPadding(
    take(lhsAval.shape, sp(lhsSpec)), take(rhs.shape, sp(rhsSpec)), p.windowStrides, take(ct.shape, sp(outSpec)),
    p.padding, p.lhsDilation, p.rhsDilation,
  )
  let out = convGeneralDilatedP(ct, flipAxes(rhs, sp(rhsSpec)), {
    windowStrides: p.lhsDilation,
    padding,
    lhsDilation: p.windowStrides,
    rhsDilation: p.rhsDilation,
    dimensionNumbers: { lhsSpec: outSpec, rhsSpec: swapSpec(rhsSpec), outSpec: lhsSpec },
    featureGroupCount: G,
    batchGroupCount: 1,
    preferredElementType: null,
  })
  if (B > 1) out = reshapeAxisInto(lhsSpec[1], lhsSpec[0], reshapeAxisOutOf(lhsSpec[1], B, out))
  return castTo(out, lhsAval)
}

/**
 * ct_rhs: the lhs correlated with the cotangent (the cotangent plays the kernel, the lhs batch
 * axis is contracted), rhs-dilated by the forward strides. Feature groups become batch groups
 * and vice versa.
 */
const transposeRhs = (ct: Tracer, x: Tracer, rhsAval: ShapedArray, p: ConvParams): Tracer => {
  // (an empty cotangent would make a convolution with an empty kernel)
  if (sizeOf(ct.shape) === 0) return zerosOf(rhsAval)
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers
  let G = p.featureGroupCount
  let B = p.batchGroupCount
  if (B > 1) [G, B] = [B, 1]
  else if (G > 1) [B, G] = [G, 1]
  const sp = (spec: readonly number[]) => spec.slice(2)
  const padding = vjpRhsPadding(
    take(x.shape, sp(lhsSpec)), take(rhsAval.shape, sp(rhsSpec)), p.windowStrides, take(ct.shape, sp(outSpec)),
    p.padding, p.lhsDilation, p.rhsDilation,
  )
  const lhs = x.dtype === ct.dtype ? x : convertElementType(x, ct.dtype)
  const out = convGeneralDilatedP(lhs, ct, {
    windowStrides: p.rhsDilation,
    padding,
    lhsDilation: p.lhsDilation,
    rhsDilation: p.windowStrides,
    dimensionNumbers: { lhsSpec: swapSpec(lhsSpec), rhsSpec: swapSpec(outSpec), outSpec: swapSpec(rhsSpec) },
    featureGroupCount: G,
    batchGroupCount: B,
    preferredElementType: null,
  })
  return castTo(out, rhsAval)
}

const convTranspose: RuleTable['conv_general_dilated']['transpose'] = ([ct], [x, w], p) => {
  if (isUndef(x) && isUndef(w)) throw new NonLinearError(`${OP} of two values that both depend on the input is not linear (transpose with both operands linear)`)
  if (isUndef(x)) return [isZero(ct) ? new Zero(x.aval) : transposeLhs(ct, x.aval, w as Tracer, p), null]
  if (isUndef(w)) return [null, isZero(ct) ? new Zero(w.aval) : transposeRhs(ct, x, w.aval, p)]
  throw new Error(`internal: transpose of ${OP} with no linear operand`)
}

// ---- batch -------------------------------------------------------------------------------

/**
 * The vmapped axis is folded into an axis the convolution already maps over (JAX's rule):
 * an lhs-only batch into the lhs batch axis; a kernel-only batch into the output feature axis;
 * both batched into feature groups (or batch groups), one group per example.
 */
const convBatch: RuleTable['conv_general_dilated']['batch'] = (n, [x, w], [bx, bw], p) => {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers
  if (n === 0) {
    // an empty batch cannot be folded into a group count: the (empty) result directly
    const un = (t: Tracer, b: BDim) => (b === null ? t.aval : shaped(t.shape.filter((_, i) => i !== b), t.dtype, t.weakType))
    const out = convAval(un(x, bx), un(w, bw), p)
    return [[zerosOf(shaped([0, ...out.shape], out.dtype, out.weakType))], [0]]
  }
  const G = p.featureGroupCount
  const B = p.batchGroupCount
  if (bx !== null && bw !== null) {
    const size = x.shape[bx]
    let lhs: Tracer
    let q: ConvParams
    if (B > 1) {
      lhs = reshapeAxisInto(bx, lhsSpec[0], x)
      q = { ...p, batchGroupCount: B * size }
    } else {
      lhs = reshapeAxisInto(bx, lhsSpec[1], x)
      q = { ...p, featureGroupCount: G * size }
    }
    const out = convGeneralDilatedP(lhs, reshapeAxisInto(bw, rhsSpec[0], w), q)
    return [[reshapeAxisOutOf(outSpec[1], size, out)], [outSpec[1]]]
  }
  if (bx !== null) {
    const size = x.shape[bx]
    let lhs: Tracer
    if (B === 1) lhs = reshapeAxisInto(bx, lhsSpec[0], x)
    else {
      // batch groups must stay outermost in the lhs batch axis: split them out, fold the vmapped
      // axis in under them, then merge the groups back
      lhs = reshapeAxisOutOf(lhsSpec[0] + (bx <= lhsSpec[0] ? 1 : 0), B, x)
      lhs = reshapeAxisInto(bx + (lhsSpec[0] < bx ? 1 : 0), lhsSpec[0] + 1, lhs)
      lhs = reshapeAxisInto(lhsSpec[0], lhsSpec[0], lhs)
    }
    const out = convGeneralDilatedP(lhs, w, p)
    return [[reshapeAxisOutOf(outSpec[0], size, out)], [outSpec[0]]]
  }
  if (bw !== null) {
    const size = w.shape[bw]
    if (G === 1 && B === 1) {
      const out = convGeneralDilatedP(x, reshapeAxisInto(bw, rhsSpec[0], w), p)
      return [[reshapeAxisOutOf(outSpec[1], size, out)], [outSpec[1]]]
    }
    // groups stay outermost in the kernel's output axis (and so in the output feature axis)
    const groups = G > 1 ? G : B
    let rhs = reshapeAxisOutOf(rhsSpec[0] + (bw <= rhsSpec[0] ? 1 : 0), groups, w)
    rhs = reshapeAxisInto(bw + (rhsSpec[0] < bw ? 1 : 0), rhsSpec[0] + 1, rhs)
    rhs = reshapeAxisInto(rhsSpec[0], rhsSpec[0], rhs)
    let out = convGeneralDilatedP(x, rhs, p)
    out = reshapeAxisOutOf(outSpec[1], groups, out)
    out = reshapeAxisOutOf(outSpec[1] + 1, size, out)
    out = reshapeAxisInto(outSpec[1], outSpec[1] + 1, out)
    return [[out], [outSpec[1]]]
  }
  return [[convGeneralDilatedP(x, w, p)], [null as BDim]]
}

// ---- the rules ---------------------------------------------------------------------------

export const convRules: Pick<RuleTable, 'conv_general_dilated'> = {
  conv_general_dilated: {
    abstractEval: ([lhs, rhs], p) => [convAval(lhs, rhs, p)],
    impl: ([x, w], p) => [convImpl(x, w, p)],
    jvp: convJvp,
    transpose: convTranspose,
    batch: convBatch,
  },
}
