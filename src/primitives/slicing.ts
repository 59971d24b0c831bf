/**
 * Primitives layer: windows of arrays — slice, pad, concatenate (static windows) and
 * dynamic_slice, dynamic_update_slice (windows whose start is data: one 0-d int32 operand per
 * axis, clamped into range as XLA does, so a window never leaves the array). All are linear in
 * their array operands; start indices get no tangent. With batched start indices the dynamic
 * ones become gather / scatter_add with batching dimensions.
 */
import { type ConcreteArray, scalar } from '../core/array'
import { AxisError, DTypeError, ShapeError, ValueError } from '../core/errors'
import { type BDim, type RuleTable, type Tangent, type UndefPrimal, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type Shape, type ShapedArray, avalStr, shapeStr, shaped, sizeOf, stridesOf } from '../ir/aval'
import { type DType, type TypedArray, allocate } from '../ir/dtypes'
import type { GatherDimensionNumbers, ParamsMap, ScatterDimensionNumbers } from '../ir/params'
import { gt, ne, sub } from './binary'
import { gather, scatterAdd } from './gather'
import { reduceSum } from './reduce'
import { broadcastInDim, convertElementType, selectN } from './shape'
import { batchToFront, checkShape, instantiate, makeArray, normAxis, stridedCopy, zerosOf } from './util'

// ---- wrappers ----------------------------------------------------------------------------

/** `x[start : limit : stride]` along every axis (`strides` null or omitted: all 1). */
export const slice = (
  x: Tracer,
  startIndices: readonly number[],
  limitIndices: readonly number[],
  strides?: readonly number[] | null,
): Tracer =>
  bind1('slice', [x], {
    startIndices: [...startIndices],
    limitIndices: [...limitIndices],
    strides: strides == null ? null : [...strides],
  })

/** Pad each axis with `lo` / `hi` copies of the 0-d `padValue` (negative: crop) and `interior`
 *  copies between neighbouring elements. */
export const pad = (x: Tracer, padValue: Tracer, paddingConfig: ReadonlyArray<readonly [number, number, number]>): Tracer =>
  bind1('pad', [x, padValue], { paddingConfig: paddingConfig.map((c) => [c[0], c[1], c[2]] as const) })

/** Join arrays along `dimension` (negative counts from the end). */
export const concatenate = (xs: readonly Tracer[], dimension: number): Tracer =>
  bind1('concatenate', xs, { dimension: xs.length > 0 ? normAxis(dimension, xs[0].ndim, 'concatenate') : dimension })

/** The window of `sliceSizes` at `startIndices` (0-d int32 arrays, one per axis, clamped). */
export const dynamicSlice = (x: Tracer, startIndices: readonly Tracer[], sliceSizes: readonly number[]): Tracer =>
  bind1('dynamic_slice', [x, ...startIndices], { sliceSizes: [...sliceSizes] })

/** `x` with the window at `startIndices` (clamped) replaced by `update`. */
export const dynamicUpdateSlice = (x: Tracer, update: Tracer, startIndices: readonly Tracer[]): Tracer =>
  bind1('dynamic_update_slice', [x, update, ...startIndices], {})

// ---- abstract eval -----------------------------------------------------------------------

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)
const list = (v: readonly unknown[]): string => `(${v.join(', ')})`

/** A per-axis list of integer params: one integer per axis of `a`. */
const checkPerAxis = (op: string, what: string, v: readonly number[], a: ShapedArray): void => {
  if (!Array.isArray(v) || v.length !== a.shape.length) {
    throw new ShapeError(`${op}: ${what} ${Array.isArray(v) ? list(v) : String(v)} must have one entry per axis of ${avalStr(a)}`)
  }
  for (let i = 0; i < v.length; i++) if (!isInt(v[i])) throw new ValueError(`${op}: ${what} must be integers, got ${list(v)}`)
}

const sliceAval = (a: ShapedArray, p: { startIndices: readonly number[]; limitIndices: readonly number[]; strides: readonly number[] | null }): ShapedArray => {
  const op = 'slice'
  checkPerAxis(op, 'startIndices', p.startIndices, a)
  checkPerAxis(op, 'limitIndices', p.limitIndices, a)
  const strides = p.strides
  if (strides !== null) {
    checkPerAxis(op, 'strides', strides, a)
    for (let i = 0; i < strides.length; i++) if (strides[i] < 1) throw new ValueError(`${op}: strides must be >= 1, got ${list(strides)}`)
  }
  // (every slice staged comes here, mostly in cold code: indexed loops, no closure per call)
  const rank = a.shape.length
  for (let i = 0; i < rank; i++) {
    const d = a.shape[i]
    const s = p.startIndices[i]
    const l = p.limitIndices[i]
    if (!(s >= 0 && s <= l && l <= d)) {
      throw new ShapeError(
        `${op}: axis ${i} of ${avalStr(a)} needs 0 <= start <= limit <= ${d}, got start ${s}, limit ${l} ` +
          `(startIndices ${list(p.startIndices)}, limitIndices ${list(p.limitIndices)}); keep the window inside the array`,
      )
    }
  }
  const shape = new Array<number>(rank)
  for (let i = 0; i < rank; i++) shape[i] = Math.ceil((p.limitIndices[i] - p.startIndices[i]) / (strides === null ? 1 : strides[i]))
  // (frozen here, the aval takes it as is instead of copying it)
  return shaped(Object.freeze(shape), a.dtype, a.weakType)
}

/** Output size of one padded axis: lo + hi + d + max(0, d − 1) · interior. */
const paddedDim = (d: number, [lo, hi, interior]: readonly [number, number, number]): number =>
  lo + hi + d + Math.max(0, d - 1) * interior

const padAval = (a: ShapedArray, v: ShapedArray, p: { paddingConfig: ReadonlyArray<readonly [number, number, number]> }): ShapedArray => {
  const op = 'pad'
  if (v.shape.length !== 0) throw new ShapeError(`${op}: the padding value must be 0-d, got ${avalStr(v)} (operand ${avalStr(a)})`)
  if (v.dtype !== a.dtype) {
    throw new DTypeError(`${op}: the padding value ${avalStr(v)} must have the operand's dtype (${avalStr(a)}); convert it with astype('${a.dtype}')`)
  }
  const cfg = p.paddingConfig
  if (!Array.isArray(cfg) || cfg.length !== a.shape.length) {
    throw new ShapeError(`${op}: paddingConfig needs one [lo, hi, interior] per axis of ${avalStr(a)}, got ${Array.isArray(cfg) ? cfg.length : String(cfg)} entries`)
  }
  const shape = a.shape.map((d, i) => {
    const c = cfg[i]
    if (!Array.isArray(c as unknown) || c.length !== 3 || !c.every(isInt)) {
      throw new ValueError(`${op}: paddingConfig[${i}] must be three integers [lo, hi, interior], got ${JSON.stringify(c)}`)
    }
    if (c[2] < 0) throw new ValueError(`${op}: interior padding must be >= 0, got ${c[2]} for axis ${i} of ${avalStr(a)}`)
    const n = paddedDim(d, c)
    if (n < 0) {
      throw new ShapeError(`${op}: axis ${i} of ${avalStr(a)} padded by [${c.join(', ')}] would have size ${n}; negative lo/hi may crop at most the padded size`)
    }
    return n
  })
  checkShape(shape, op)
  return shaped(shape, a.dtype, a.weakType)
}

const concatAval = (avals: readonly ShapedArray[], p: { dimension: number }): ShapedArray => {
  const op = 'concatenate'
  if (avals.length === 0) throw new ValueError(`${op}: needs at least one operand`)
  const a0 = avals[0]
  const nd = a0.shape.length
  const dim = p.dimension
  if (!isInt(dim) || dim < 0 || dim >= nd) {
    throw new AxisError(`${op}: dimension ${dim} is out of range for operands of rank ${nd} (${avals.map(avalStr).join(', ')})${nd === 0 ? '; 0-d arrays cannot be concatenated, use stack' : ''}`)
  }
  if (avals.some((a) => a.dtype !== a0.dtype)) {
    throw new DTypeError(`${op}: operand dtypes must be equal, got ${avals.map(avalStr).join(', ')}; convert them first`)
  }
  const bad = avals.find((a) => a.shape.length !== nd || a.shape.some((d, i) => i !== dim && d !== a0.shape[i]))
  if (bad !== undefined) {
    throw new ShapeError(`${op}: operands must have equal shapes except along dimension ${dim}, got ${avals.map(avalStr).join(', ')}`)
  }
  const shape = a0.shape.map((d, i) => (i === dim ? avals.reduce((s, a) => s + a.shape[dim], 0) : d))
  checkShape(shape, op)
  return shaped(shape, a0.dtype, avals.every((a) => a.weakType))
}

/** Start indices of a dynamic window: one 0-d int32 array per axis of `x`. */
const checkStartIndices = (op: string, x: ShapedArray, idx: readonly ShapedArray[]): void => {
  if (idx.length !== x.shape.length) {
    throw new ShapeError(`${op}: needs one start index per axis of ${avalStr(x)} (${x.shape.length}), got ${idx.length}`)
  }
  idx.forEach((a, i) => {
    if (a.shape.length !== 0) throw new ShapeError(`${op}: start index ${i} must be a 0-d int32 array, got ${avalStr(a)}; pass one scalar per axis`)
    if (a.dtype !== 'int32') throw new DTypeError(`${op}: start index ${i} must be int32, got ${avalStr(a)}; convert it with astype('int32')`)
  })
}

const dynamicSliceAval = (avals: readonly ShapedArray[], p: { sliceSizes: Shape }): ShapedArray => {
  const op = 'dynamic_slice'
  const [x, ...idx] = avals
  checkStartIndices(op, x, idx)
  checkPerAxis(op, 'sliceSizes', p.sliceSizes, x)
  p.sliceSizes.forEach((s, i) => {
    if (s < 0 || s > x.shape[i]) {
      throw new ShapeError(`${op}: sliceSizes ${list(p.sliceSizes)} must lie in 0 … the operand's shape ${shapeStr(x.shape)} (axis ${i})`)
    }
  })
  return shaped(p.sliceSizes, x.dtype, x.weakType)
}

const dynamicUpdateSliceAval = (avals: readonly ShapedArray[]): ShapedArray => {
  const op = 'dynamic_update_slice'
  if (avals.length < 2) throw new ValueError(`${op}: needs an operand and an update, got ${avals.length} arrays`)
  const [x, u, ...idx] = avals
  if (u.dtype !== x.dtype) throw new DTypeError(`${op}: the update ${avalStr(u)} must have the operand's dtype (${avalStr(x)})`)
  if (u.shape.length !== x.shape.length || u.shape.some((d, i) => d > x.shape[i])) {
    throw new ShapeError(`${op}: the update ${avalStr(u)} must have the operand's rank and fit inside it (${avalStr(x)})`)
  }
  checkStartIndices(op, x, idx)
  return x
}

// ---- impl --------------------------------------------------------------------------------

/** dst[dstOff + Σ i_d·dstStrides_d] = src[srcOff + Σ i_d·srcStrides_d] for every multi-index i < shape. */
const stridedAssign = (
  src: TypedArray, srcOff: number, srcStrides: readonly number[],
  dst: TypedArray, dstOff: number, dstStrides: readonly number[],
  shape: Shape,
): void => {
  const n = sizeOf(shape)
  if (n === 0) return
  const nd = shape.length
  if (nd === 0) {
    dst[dstOff] = src[srcOff]
    return
  }
  const last = nd - 1
  const inner = shape[last]
  const si = srcStrides[last]
  const di = dstStrides[last]
  const idx = new Array<number>(nd).fill(0)
  let s0 = srcOff
  let d0 = dstOff
  for (let done = 0; done < n; done += inner) {
    for (let i = 0, s = s0, d = d0; i < inner; i++, s += si, d += di) dst[d] = src[s]
    for (let k = last - 1; k >= 0; k--) {
      idx[k]++
      s0 += srcStrides[k]
      d0 += dstStrides[k]
      if (idx[k] < shape[k]) break
      s0 -= srcStrides[k] * shape[k]
      d0 -= dstStrides[k] * shape[k]
      idx[k] = 0
    }
  }
}

/** XLA's clamp of a dynamic start: the window [start, start + size) stays inside [0, dim). */
const clampStart = (start: number, dim: number, size: number): number => Math.min(Math.max(start, 0), dim - size)

/** Flat offset of the clamped window start of size `sizes` in `x`. */
const windowOffset = (x: ConcreteArray, idx: readonly ConcreteArray[], sizes: Shape): number => {
  const st = stridesOf(x.shape)
  return x.shape.reduce((off, d, i) => off + clampStart(idx[i].data[0], d, sizes[i]) * st[i], 0)
}

const sliceImpl = (x: ConcreteArray, p: ParamsMap['slice']): ConcreteArray => {
  const out = sliceAval(x.aval, p)
  const st = stridesOf(x.shape)
  const offset = p.startIndices.reduce((o, s, i) => o + s * st[i], 0)
  const strides = st.map((s, i) => s * (p.strides?.[i] ?? 1))
  return makeArray(stridedCopy(x.data, offset, strides, out.shape, allocate(out.dtype, sizeOf(out.shape))), out)
}

/** Fill with the pad value, then copy the operand elements that land inside the output. */
const padImpl = (x: ConcreteArray, v: ConcreteArray, p: ParamsMap['pad']): ConcreteArray => {
  const out = padAval(x.aval, v.aval, p)
  const dst = allocate(out.dtype, sizeOf(out.shape))
  if (v.data[0] !== 0) dst.fill(v.data[0])
  const inSt = stridesOf(x.shape)
  const outSt = stridesOf(out.shape)
  let srcOff = 0
  let dstOff = 0
  const counts: number[] = []
  const dstStrides: number[] = []
  x.shape.forEach((d, i) => {
    const [lo, , interior] = p.paddingConfig[i]
    const step = interior + 1
    // element j lands at lo + j·step; keep the j with 0 <= lo + j·step < out.shape[i]
    const jLo = lo < 0 ? Math.ceil(-lo / step) : 0
    const jHi = Math.min(d - 1, Math.floor((out.shape[i] - 1 - lo) / step))
    counts.push(Math.max(0, jHi - jLo + 1))
    srcOff += jLo * inSt[i]
    dstOff += (lo + jLo * step) * outSt[i]
    dstStrides.push(outSt[i] * step)
  })
  stridedAssign(x.data, srcOff, inSt, dst, dstOff, dstStrides, counts)
  return makeArray(dst, out)
}

/** Row-major: each operand contributes one contiguous chunk per index of the leading axes. */
const concatImpl = (xs: readonly ConcreteArray[], p: ParamsMap['concatenate']): ConcreteArray => {
  const out = concatAval(xs.map((x) => x.aval), p)
  const dim = p.dimension
  const dst = allocate(out.dtype, sizeOf(out.shape))
  const inner = sizeOf(out.shape.slice(dim + 1))
  const outer = sizeOf(out.shape.slice(0, dim))
  const outChunk = out.shape[dim] * inner
  let off = 0
  for (const x of xs) {
    const src = x.data
    const chunk = x.shape[dim] * inner
    for (let o = 0; o < outer; o++) {
      const s = o * chunk
      const d = o * outChunk + off
      for (let j = 0; j < chunk; j++) dst[d + j] = src[s + j]
    }
    off += chunk
  }
  return makeArray(dst, out)
}

const dynamicSliceImpl = (xs: readonly ConcreteArray[], p: ParamsMap['dynamic_slice']): ConcreteArray => {
  const out = dynamicSliceAval(xs.map((x) => x.aval), p)
  const [x, ...idx] = xs
  const off = windowOffset(x, idx, p.sliceSizes)
  return makeArray(stridedCopy(x.data, off, stridesOf(x.shape), out.shape, allocate(out.dtype, sizeOf(out.shape))), out)
}

const dynamicUpdateSliceImpl = (xs: readonly ConcreteArray[]): ConcreteArray => {
  const out = dynamicUpdateSliceAval(xs.map((x) => x.aval))
  const [x, u, ...idx] = xs
  const dst = x.data.slice()
  stridedAssign(u.data, 0, stridesOf(u.shape), dst, windowOffset(x, idx, u.shape), stridesOf(x.shape), u.shape)
  return makeArray(dst, out)
}


// ---- jvp ---------------------------------------------------------------------------------

/** jvp of a primitive linear in all its operands jointly: apply it to the tangents, with
 *  symbolic zeros instantiated (all zero: a zero). */
const jointlyLinearJvp =
  <P extends 'slice' | 'pad' | 'concatenate'>(prim: P) =>
  (primals: readonly Tracer[], tangents: readonly Tangent[], params: ParamsMap[P]): [Tracer[], Tangent[]] => {
    const y = bind1(prim, primals, params)
    if (tangents.every(isZero)) return [[y], [new Zero(y.aval)]]
    return [[y], [bind1(prim, tangents.map(instantiate), params)]]
  }

// ---- transpose helpers -------------------------------------------------------------------

/** A cotangent with exactly the aval of its primal (weak type may differ after joining). */
const asAval = (t: Tracer, a: ShapedArray): Tracer =>
  t.dtype === a.dtype && t.weakType === a.weakType ? t : convertElementType(t, a.dtype, a.weakType)

const zeroScalarLike = (t: Tracer): Tracer => scalar(0, t.dtype, t.weakType)

const allAxes = (t: Tracer): number[] => t.shape.map((_, i) => i)

const primalIndices = (op: string, idx: readonly (Tracer | UndefPrimal)[]): Tracer[] =>
  idx.map((i) => {
    if (isUndef(i)) throw new Error(`internal: ${op} start indices cannot be linear`)
    return i
  })

const ctOrNull = (arg: Tracer | UndefPrimal, f: () => Tangent): Tangent | null => (isUndef(arg) ? f() : null)

// ---- batching helpers --------------------------------------------------------------------

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)
const inserted = <T>(xs: readonly T[], at: number, v: T): T[] => [...xs.slice(0, at), v, ...xs.slice(at)]

/** Per-example start indices as one [n, k] int32 array (the index vector is the last axis). */
const stackIndices = (n: number, idx: readonly Tracer[], bdims: readonly BDim[]): Tracer => {
  const columns = idx.map((i, k) => broadcastInDim(i, [n, 1], bdims[k] === null ? [] : [0]))
  return columns.length === 1 ? columns[0] : concatenate(columns, 1)
}

// ---- the rules ---------------------------------------------------------------------------

const sliceRules: RuleTable['slice'] = {
  abstractEval: ([a], p) => [sliceAval(a, p)],
  impl: ([x], p) => [sliceImpl(x, p)],
  // d slice(x) = slice(dx)
  jvp: jointlyLinearJvp('slice'),
  // slice^T: put ct back in place, zeros elsewhere — a pad with interior = stride − 1.
  transpose: ([ct], [x], p) => {
    if (isZero(ct)) return [new Zero(x.aval)]
    const cfg = x.aval.shape.map((d, i): [number, number, number] => {
      const lo = p.startIndices[i]
      const interior = (p.strides?.[i] ?? 1) - 1
      return [lo, d - lo - paddedDim(ct.shape[i], [0, 0, interior]), interior]
    })
    return [pad(ct, zeroScalarLike(ct), cfg)]
  },
  // The batch axis is sliced whole, where it is.
  batch: (n, [x], [b], p) => {
    const bd = b as number
    const strides = p.strides === null ? null : inserted(p.strides, bd, 1)
    return [[slice(x, inserted(p.startIndices, bd, 0), inserted(p.limitIndices, bd, n), strides)], [bd]]
  },
}

const padRules: RuleTable['pad'] = {
  abstractEval: ([a, v], p) => [padAval(a, v, p)],
  impl: ([x, v], p) => [padImpl(x, v, p)],
  // d pad(x, v) = pad(dx, dv)  (linear in x and v jointly)
  jvp: jointlyLinearJvp('pad'),
  // pad^T: x's ct is the strided window of ct where x landed (cropped parts re-padded with 0);
  // v's ct is everything else: Σ ct − Σ ct_x.
  transpose: ([ct], [x, v], p) => {
    if (isZero(ct)) return [ctOrNull(x, () => new Zero(x.aval)), ctOrNull(v, () => new Zero(v.aval))]
    const uncrop = p.paddingConfig.map(([lo, hi]): [number, number, number] => [Math.max(-lo, 0), Math.max(-hi, 0), 0])
    const full = uncrop.some(([lo, hi]) => lo > 0 || hi > 0) ? pad(ct, zeroScalarLike(ct), uncrop) : ct
    const start = p.paddingConfig.map(([lo]) => Math.max(lo, 0))
    const steps = p.paddingConfig.map(([, , interior]) => interior + 1)
    const limit = x.aval.shape.map((d, i) => start[i] + (d > 0 ? (d - 1) * steps[i] + 1 : 0))
    const ctX = slice(full, start, limit, steps.every((s) => s === 1) ? null : steps)
    return [
      ctOrNull(x, () => asAval(ctX, x.aval)),
      ctOrNull(v, () => asAval(sub(reduceSum(ct, allAxes(ct)), reduceSum(ctX, allAxes(ctX))), v.aval)),
    ]
  },
  // The batch axis is not padded. Batched pad values: pad with zeros, then select the padding
  // positions (a padded mask) from the broadcast pad values.
  batch: (n, [x, v], [bx, bv], p) => {
    const bd = bx ?? 0
    const xb = bx === null ? batchToFront(x, null, n) : x
    const cfg = inserted(p.paddingConfig, bd, [0, 0, 0] as const)
    if (bv === null) return [[pad(xb, v, cfg)], [bd]]
    const padded = pad(xb, zeroScalarLike(xb), cfg)
    const inside = pad(broadcastInDim(scalar(true), xb.shape, []), scalar(false), cfg)
    const values = broadcastInDim(v, padded.shape, [bd])
    return [[selectN(inside, values, padded)], [bd]]
  },
}

const concatRules: RuleTable['concatenate'] = {
  abstractEval: (avals, p) => [concatAval(avals, p)],
  impl: (xs, p) => [concatImpl(xs, p)],
  // d concat(xs) = concat(dxs)
  jvp: jointlyLinearJvp('concatenate'),
  // concat^T: each linear operand gets its own window of ct.
  transpose: ([ct], xs, p) => {
    const dim = p.dimension
    let off = 0
    return xs.map((x) => {
      const start = off
      off += x.aval.shape[dim]
      return ctOrNull(x, () => {
        if (isZero(ct)) return new Zero(x.aval)
        const s = ct.shape.map((_, i) => (i === dim ? start : 0))
        const l = ct.shape.map((d, i) => (i === dim ? start + x.aval.shape[dim] : d))
        return asAval(slice(ct, s, l), x.aval)
      })
    })
  },
  batch: (n, xs, bdims, p) => [[concatenate(xs.map((x, i) => batchToFront(x, bdims[i], n)), p.dimension + 1)], [0]],
}

const dynamicSliceRules: RuleTable['dynamic_slice'] = {
  abstractEval: (avals, p) => [dynamicSliceAval(avals, p)],
  impl: (xs, p) => [dynamicSliceImpl(xs, p)],
  // d dynamic_slice(x, i) = dynamic_slice(dx, i)
  jvp: ([x, ...idx], [dx], p) => {
    const y = dynamicSlice(x, idx, p.sliceSizes)
    return [[y], [isZero(dx) ? new Zero(y.aval) : dynamicSlice(dx, idx, p.sliceSizes)]]
  },
  // dynamic_slice^T: write ct into zeros at the same (equally clamped) window.
  transpose: ([ct], [x, ...idxArgs]) => {
    const idx = primalIndices('dynamic_slice', idxArgs)
    const nulls = idx.map(() => null)
    return [ctOrNull(x, () => (isZero(ct) ? new Zero(x.aval) : dynamicUpdateSlice(zerosOf(x.aval), ct, idx))), ...nulls]
  },
  // Shared start indices: slice the batch axis whole. Per-example ones: a gather with the
  // batch axis as a batching dimension (mode clip clamps exactly as dynamic_slice does).
  batch: (n, [x, ...idx], [bx, ...bi], p) => {
    if (bi.every((b) => b === null)) {
      if (bx === null) return [[dynamicSlice(x, idx, p.sliceSizes)], [null]]
      return [[dynamicSlice(x, inserted(idx, bx, scalar(0, 'int32')), inserted(p.sliceSizes, bx, n))], [bx]]
    }
    const k = p.sliceSizes.length
    const axes = range(0, x.ndim).filter((a) => a !== bx)
    const dimensionNumbers: GatherDimensionNumbers = {
      offsetDims: range(1, k + 1),
      collapsedSliceDims: [],
      startIndexMap: axes,
      operandBatchingDims: bx === null ? [] : [bx],
      startIndicesBatchingDims: bx === null ? [] : [0],
    }
    // (a batching axis has slice size 1, or 0 when the batch is empty)
    const sliceSizes = bx === null ? p.sliceSizes : inserted(p.sliceSizes, bx, Math.min(1, n))
    return [[gather(x, stackIndices(n, idx, bi), dimensionNumbers, sliceSizes, { mode: 'clip' })], [0]]
  },
}

const dynamicUpdateSliceRules: RuleTable['dynamic_update_slice'] = {
  abstractEval: (avals) => [dynamicUpdateSliceAval(avals)],
  impl: (xs) => [dynamicUpdateSliceImpl(xs)],
  // d dynamic_update_slice(x, u, i) = dynamic_update_slice(dx, du, i)
  jvp: ([x, u, ...idx], [dx, du]) => {
    const y = dynamicUpdateSlice(x, u, idx)
    if (isZero(dx) && isZero(du)) return [[y], [new Zero(y.aval)]]
    return [[y], [dynamicUpdateSlice(instantiate(dx), instantiate(du), idx)]]
  },
  // dus^T: x's ct is ct with the window zeroed; u's ct is ct's window.
  transpose: ([ct], [x, u, ...idxArgs]) => {
    const idx = primalIndices('dynamic_update_slice', idxArgs)
    const nulls = idx.map(() => null)
    if (isZero(ct)) return [ctOrNull(x, () => new Zero(x.aval)), ctOrNull(u, () => new Zero(u.aval)), ...nulls]
    return [
      ctOrNull(x, () => dynamicUpdateSlice(ct, zerosOf(u.aval), idx)),
      ctOrNull(u, () => asAval(dynamicSlice(ct, idx, u.aval.shape), u.aval)),
      ...nulls,
    ]
  },
  // Shared start indices: the batch axis is updated whole. Per-example ones: scatter the
  // update and a mask of its window into zeros (one window per example, so the adds never
  // overlap), then select the window from the scattered values.
  batch: (n, [x, u, ...idx], [bx, bu, ...bi]) => {
    if (bx === null && bu === null && bi.every((b) => b === null)) return [[dynamicUpdateSlice(x, u, idx)], [null]]
    const xb = batchToFront(x, bx, n)
    const ub = batchToFront(u, bu, n)
    if (bi.every((b) => b === null)) return [[dynamicUpdateSlice(xb, ub, [scalar(0, 'int32'), ...idx])], [0]]
    const k = x.ndim - (bx === null ? 0 : 1)
    const dimensionNumbers: ScatterDimensionNumbers = {
      updateWindowDims: range(1, k + 1),
      insertedWindowDims: [],
      scatterDimsToOperandDims: range(1, k + 1),
      operandBatchingDims: [0],
      scatterIndicesBatchingDims: [0],
    }
    const index = stackIndices(n, idx, bi)
    const scatterInto = (dtype: DType, upd: Tracer): Tracer =>
      scatterAdd(zerosOf(shaped(xb.shape, dtype, upd.weakType)), index, upd, dimensionNumbers, { mode: 'clip' })
    // bool has no addition: scatter it as int32.
    const placed = xb.dtype === 'bool' ? ne(scatterInto('int32', convertElementType(ub, 'int32')), 0) : scatterInto(xb.dtype, ub)
    const inside = gt(scatterInto('int32', broadcastInDim(scalar(1, 'int32'), ub.shape, [])), 0)
    return [[selectN(inside, xb, placed)], [0]]
  },
}

export const slicingRules: Pick<RuleTable, 'slice' | 'pad' | 'concatenate' | 'dynamic_slice' | 'dynamic_update_slice'> = {
  slice: sliceRules,
  pad: padRules,
  concatenate: concatRules,
  dynamic_slice: dynamicSliceRules,
  dynamic_update_slice: dynamicUpdateSliceRules,
}
