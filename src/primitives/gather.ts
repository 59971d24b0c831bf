/**
 * Primitives layer: indexing — gather and scatter_add, with XLA's semantics (the index vector
 * is always the last axis of `indices`), and `takeAlongAxis` built on gather.
 *
 * Both primitives share one structure. A *window array* W (gather's output, scatter's
 * updates) has `windowDims` that run over a slice of the operand and other axes that run over
 * the indices' batch axes. For a batch index G, the operand start is
 *   Sin[startMap[k]] = indices[G, k],  Sin[operandBatching[i]] = G[indicesBatching[i]],
 * other entries 0; the window axes index the operand axes that are neither collapsed
 * (inserted) nor batching, in order. gather reads operand[Sin + w] into W; scatter_add adds W
 * into operand[Sin + w]. Each is linear in its array operands and the other's transpose.
 */
import { ConcreteArray } from '../core/array'
import { AxisError, DTypeError, ShapeError, ValueError } from '../core/errors'
import { type BDim, type RuleTable, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type Shape, type ShapedArray, avalStr, shapeEq, shapeStr, shaped, sizeOf, stridesOf } from '../ir/aval'
import { type DType, type TypedArray, allocate, castScalar, isBool, isFloat } from '../ir/dtypes'
import type { GatherDimensionNumbers, GatherMode, ScatterDimensionNumbers, ScatterMode } from '../ir/params'
import { broadcastInDim, reshape } from './shape'
import { axisList, batchToFront, instantiate, makeArray, moveAxis, normAxis, zerosOf } from './util'

// ---- wrappers ----------------------------------------------------------------------------

const GATHER_FORM = '{ offsetDims, collapsedSliceDims, startIndexMap, operandBatchingDims?, startIndicesBatchingDims? } (lists of axes)'
const SCATTER_FORM = '{ updateWindowDims, insertedWindowDims, scatterDimsToOperandDims, operandBatchingDims?, scatterIndicesBatchingDims? } (lists of axes)'

/** A checked copy (a user's object may be mutated later); batching fields default to []. */
const copyGatherDnums = (d: GatherDimensionNumbers): GatherDimensionNumbers => ({
  offsetDims: axisList(d, 'offsetDims', 'lax.gather', GATHER_FORM),
  collapsedSliceDims: axisList(d, 'collapsedSliceDims', 'lax.gather', GATHER_FORM),
  startIndexMap: axisList(d, 'startIndexMap', 'lax.gather', GATHER_FORM),
  operandBatchingDims: axisList(d, 'operandBatchingDims', 'lax.gather', GATHER_FORM, true),
  startIndicesBatchingDims: axisList(d, 'startIndicesBatchingDims', 'lax.gather', GATHER_FORM, true),
})

const copyScatterDnums = (d: ScatterDimensionNumbers): ScatterDimensionNumbers => ({
  updateWindowDims: axisList(d, 'updateWindowDims', 'lax.scatterAdd', SCATTER_FORM),
  insertedWindowDims: axisList(d, 'insertedWindowDims', 'lax.scatterAdd', SCATTER_FORM),
  scatterDimsToOperandDims: axisList(d, 'scatterDimsToOperandDims', 'lax.scatterAdd', SCATTER_FORM),
  operandBatchingDims: axisList(d, 'operandBatchingDims', 'lax.scatterAdd', SCATTER_FORM, true),
  scatterIndicesBatchingDims: axisList(d, 'scatterIndicesBatchingDims', 'lax.scatterAdd', SCATTER_FORM, true),
})

/** XLA gather (see the module header); out-of-bounds starts are clamped by default. */
export const gather = (
  operand: Tracer,
  indices: Tracer,
  dimensionNumbers: GatherDimensionNumbers,
  sliceSizes: readonly number[],
  opts?: { mode?: GatherMode; fillValue?: number | null },
): Tracer =>
  bind1('gather', [operand, indices], {
    dimensionNumbers: copyGatherDnums(dimensionNumbers),
    sliceSizes: [...sliceSizes],
    mode: opts?.mode ?? 'clip',
    fillValue: opts?.fillValue ?? null,
  })

/** XLA scatter with addition; windows that do not fit in the operand are dropped by default. */
export const scatterAdd = (
  operand: Tracer,
  indices: Tracer,
  updates: Tracer,
  dimensionNumbers: ScatterDimensionNumbers,
  opts?: { mode?: ScatterMode },
): Tracer =>
  bind1('scatter_add', [operand, indices, updates], {
    dimensionNumbers: copyScatterDnums(dimensionNumbers),
    mode: opts?.mode ?? 'drop',
  })

/**
 * NumPy's take_along_axis: out[..., i, ...] = x[..., indices[..., i, ...], ...] along `axis`.
 * `indices` is int32 with the rank of `x`; the other axes broadcast (NumPy's rule). Indices
 * are clamped into range (negative indices are not wrapped: normalize them first).
 */
export const takeAlongAxis = (x: Tracer, indices: Tracer, axis: number): Tracer => {
  const op = 'takeAlongAxis'
  const a = normAxis(axis, x.ndim, op)
  if (indices.dtype !== 'int32') {
    throw new DTypeError(`${op}: indices must be int32, got ${avalStr(indices.aval)}. Convert them: idx.astype('int32').`)
  }
  if (indices.ndim !== x.ndim) {
    throw new ShapeError(`${op}: indices ${avalStr(indices.aval)} must have the rank of the array ${avalStr(x.aval)}; add axes with expandDims`)
  }
  const xShape = [...x.shape]
  const iShape = [...indices.shape]
  for (let d = 0; d < x.ndim; d++) {
    if (d === a || xShape[d] === iShape[d]) continue
    if (xShape[d] === 1) xShape[d] = iShape[d]
    else if (iShape[d] === 1) iShape[d] = xShape[d]
    else {
      throw new ShapeError(`${op}: indices ${avalStr(indices.aval)} do not broadcast against ${avalStr(x.aval)} along axis ${d} (axes other than ${a} must match or be 1)`)
    }
  }
  const widen = (t: Tracer, shape: number[]) => (shapeEq(t.shape, shape) ? t : broadcastInDim(t, shape, shape.map((_, i) => i)))
  if (x.shape[a] === 0) {
    if (sizeOf(iShape) > 0) throw new ShapeError(`${op}: cannot take indices ${avalStr(indices.aval)} from the empty axis ${a} of ${avalStr(x.aval)}`)
    return zerosOf(shaped(iShape, x.dtype, x.weakType))
  }
  const others = xShape.map((_, d) => d).filter((d) => d !== a)
  return gather(
    widen(x, xShape),
    reshape(widen(indices, iShape), [...iShape, 1]),
    { offsetDims: [], collapsedSliceDims: [a], startIndexMap: [a], operandBatchingDims: others, startIndicesBatchingDims: others },
    xShape.map((s, d) => (d === a ? 1 : Math.min(1, s))),
  )
}

// ---- abstract eval -----------------------------------------------------------------------

/** The structure gather and scatter share (see the module header). */
interface Dnums {
  readonly windowDims: readonly number[]
  readonly collapsed: readonly number[]
  readonly startMap: readonly number[]
  readonly operandBatching: readonly number[]
  readonly indicesBatching: readonly number[]
}

const fromGather = (d: GatherDimensionNumbers): Dnums => ({
  windowDims: d.offsetDims,
  collapsed: d.collapsedSliceDims,
  startMap: d.startIndexMap,
  operandBatching: d.operandBatchingDims,
  indicesBatching: d.startIndicesBatchingDims,
})

const fromScatter = (d: ScatterDimensionNumbers): Dnums => ({
  windowDims: d.updateWindowDims,
  collapsed: d.insertedWindowDims,
  startMap: d.scatterDimsToOperandDims,
  operandBatching: d.operandBatchingDims,
  indicesBatching: d.scatterIndicesBatchingDims,
})

type Names = { readonly [K in keyof Dnums]: string }
const GATHER_NAMES: Names = {
  windowDims: 'offsetDims', collapsed: 'collapsedSliceDims', startMap: 'startIndexMap',
  operandBatching: 'operandBatchingDims', indicesBatching: 'startIndicesBatchingDims',
}
const SCATTER_NAMES: Names = {
  windowDims: 'updateWindowDims', collapsed: 'insertedWindowDims', startMap: 'scatterDimsToOperandDims',
  operandBatching: 'operandBatchingDims', indicesBatching: 'scatterIndicesBatchingDims',
}

const listStr = (xs: readonly number[]): string => `(${xs.join(', ')})`

/** Axes of something of rank `bound`: integers in range, distinct, and sorted if asked. */
const checkAxes = (op: string, name: string, dims: readonly number[], bound: number, of: string, sorted: boolean): void => {
  if (!Array.isArray(dims)) throw new ValueError(`${op}: ${name} must be an array of axes, got ${String(dims)}`)
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= bound) {
      throw new AxisError(`${op}: ${name} ${listStr(dims)} must be axes of ${of} (0 … ${bound - 1}); ${d} is not`)
    }
  }
  if (new Set(dims).size !== dims.length) throw new AxisError(`${op}: ${name} ${listStr(dims)} has a repeated axis`)
  if (sorted && dims.some((d, i) => i > 0 && d < dims[i - 1])) {
    throw new AxisError(`${op}: ${name} ${listStr(dims)} must be sorted`)
  }
}

/**
 * Validate what gather and scatter share; `windowRank` is the rank of the window array.
 * Returns the operand axes the window dims run over (neither collapsed nor batching), in order.
 */
const checkDnums = (op: string, names: Names, operand: ShapedArray, indices: ShapedArray, windowRank: number, d: Dnums): number[] => {
  const opRank = operand.shape.length
  const opStr = `the operand ${avalStr(operand)}`
  if (indices.dtype !== 'int32') {
    throw new DTypeError(`${op}: indices must be int32, got ${avalStr(indices)}. Convert them: idx.astype('int32').`)
  }
  const idxRank = indices.shape.length
  if (idxRank === 0) {
    throw new ShapeError(`${op}: indices ${avalStr(indices)} need at least one axis (the last axis is the index vector); reshape a scalar index to [1]`)
  }
  if (indices.shape[idxRank - 1] !== d.startMap.length) {
    throw new ShapeError(`${op}: the last axis of indices ${avalStr(indices)} is the index vector and must have length ${d.startMap.length} = len(${names.startMap})`)
  }
  checkAxes(op, names.windowDims, d.windowDims, windowRank, `the ${op === 'gather' ? 'output' : 'updates'} (rank ${windowRank})`, true)
  checkAxes(op, names.collapsed, d.collapsed, opRank, opStr, true)
  checkAxes(op, names.operandBatching, d.operandBatching, opRank, opStr, true)
  checkAxes(op, names.startMap, d.startMap, opRank, opStr, false)
  checkAxes(op, names.indicesBatching, d.indicesBatching, idxRank - 1, `the batch axes of indices ${avalStr(indices)} (all but the last)`, false)
  for (const a of d.operandBatching) {
    if (d.collapsed.includes(a)) throw new AxisError(`${op}: axis ${a} is in both ${names.collapsed} and ${names.operandBatching}`)
    if (d.startMap.includes(a)) throw new AxisError(`${op}: axis ${a} is in both ${names.startMap} and ${names.operandBatching}`)
  }
  if (d.indicesBatching.length !== d.operandBatching.length) {
    throw new ShapeError(`${op}: ${names.operandBatching} ${listStr(d.operandBatching)} and ${names.indicesBatching} ${listStr(d.indicesBatching)} must have equal lengths`)
  }
  d.operandBatching.forEach((a, i) => {
    const b = d.indicesBatching[i]
    if (operand.shape[a] !== indices.shape[b]) {
      throw new ShapeError(`${op}: batching axis ${a} of ${opStr} has size ${operand.shape[a]} but axis ${b} of indices ${avalStr(indices)} has size ${indices.shape[b]}`)
    }
  })
  const windowAxes = operand.shape.map((_, a) => a).filter((a) => !d.collapsed.includes(a) && !d.operandBatching.includes(a))
  if (d.windowDims.length !== windowAxes.length) {
    throw new ShapeError(`${op}: ${names.windowDims} ${listStr(d.windowDims)} must have one entry per operand axis that is neither in ${names.collapsed} nor in ${names.operandBatching} (${windowAxes.length} for ${opStr})`)
  }
  return windowAxes
}

/** The default fill of out-of-bounds gathers (JAX's): NaN, the least int32, or true. */
const fillFor = (fillValue: number | null, dtype: DType): number =>
  fillValue !== null ? castScalar(fillValue, dtype) : isFloat(dtype) ? NaN : isBool(dtype) ? 1 : -(2 ** 31)

interface GatherParams {
  readonly dimensionNumbers: GatherDimensionNumbers
  readonly sliceSizes: Shape
  readonly mode: GatherMode
  readonly fillValue: number | null
}

const gatherAval = (operand: ShapedArray, indices: ShapedArray, p: GatherParams): ShapedArray => {
  const op = 'gather'
  const d = fromGather(p.dimensionNumbers)
  if (p.mode !== 'clip' && p.mode !== 'fill') throw new ValueError(`${op}: mode must be 'clip' or 'fill', got ${String(p.mode)}`)
  if (p.fillValue !== null && typeof p.fillValue !== 'number') {
    throw new ValueError(`${op}: fillValue must be a number or null, got ${String(p.fillValue)}`)
  }
  const outRank = d.windowDims.length + indices.shape.length - 1
  const windowAxes = checkDnums(op, GATHER_NAMES, operand, indices, outRank, d)
  const ss = p.sliceSizes
  if (!Array.isArray(ss) || ss.length !== operand.shape.length) {
    throw new ShapeError(`${op}: sliceSizes ${Array.isArray(ss) ? shapeStr(ss) : String(ss)} must have one entry per axis of the operand ${avalStr(operand)}`)
  }
  ss.forEach((s, a) => {
    if (!Number.isInteger(s) || s < 0 || s > operand.shape[a]) {
      throw new ShapeError(`${op}: sliceSizes ${shapeStr(ss)} must be integers in [0, operand size] for ${avalStr(operand)}; axis ${a} has ${s}`)
    }
    if (d.collapsed.includes(a) && s !== 1) {
      throw new ShapeError(`${op}: collapsed axis ${a} must have slice size 1, got sliceSizes ${shapeStr(ss)}`)
    }
    // An empty batching axis has an empty slice (the output is empty then anyway).
    if (d.operandBatching.includes(a) && s !== Math.min(1, operand.shape[a])) {
      throw new ShapeError(`${op}: batching axis ${a} must have slice size 1, got sliceSizes ${shapeStr(ss)}`)
    }
  })
  const batchSizes = indices.shape.slice(0, -1)
  let k = 0
  let j = 0
  const shape = Array.from({ length: outRank }, (_, a) =>
    d.windowDims.includes(a) ? ss[windowAxes[k++]] : batchSizes[j++],
  )
  return shaped(shape, operand.dtype, operand.weakType)
}

interface ScatterParams {
  readonly dimensionNumbers: ScatterDimensionNumbers
  readonly mode: ScatterMode
}

/** Validates and returns the window size of every operand axis (1 for inserted and batching axes). */
const scatterWindow = (operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, p: ScatterParams): number[] => {
  const op = 'scatter_add'
  const d = fromScatter(p.dimensionNumbers)
  if (p.mode !== 'clip' && p.mode !== 'drop') throw new ValueError(`${op}: mode must be 'clip' or 'drop', got ${String(p.mode)}`)
  if (updates.dtype !== operand.dtype) {
    throw new DTypeError(`${op}: updates ${avalStr(updates)} must have the dtype of the operand ${avalStr(operand)}`)
  }
  if (isBool(operand.dtype)) throw new DTypeError(`${op} needs numeric arrays, got ${avalStr(operand)}; convert bools first (x.astype('int32'))`)
  const want = d.windowDims.length + indices.shape.length - 1
  if (updates.shape.length !== want) {
    throw new ShapeError(`${op}: updates ${avalStr(updates)} must have rank ${want} = len(updateWindowDims) + rank(indices) - 1 for indices ${avalStr(indices)}`)
  }
  const windowAxes = checkDnums(op, SCATTER_NAMES, operand, indices, updates.shape.length, d)
  const scatterSizes = updates.shape.filter((_, a) => !d.windowDims.includes(a))
  const batchSizes = indices.shape.slice(0, -1)
  if (!shapeEq(scatterSizes, batchSizes)) {
    throw new ShapeError(`${op}: the scatter axes of updates ${avalStr(updates)} (those not in updateWindowDims) have sizes ${shapeStr(scatterSizes)}, but the batch axes of indices ${avalStr(indices)} have ${shapeStr(batchSizes)}`)
  }
  const win = operand.shape.map(() => 1)
  windowAxes.forEach((a, k) => {
    const s = updates.shape[d.windowDims[k]]
    if (s > operand.shape[a]) {
      throw new ShapeError(`${op}: window axis ${d.windowDims[k]} of updates ${avalStr(updates)} (size ${s}) is larger than axis ${a} of the operand ${avalStr(operand)}`)
    }
    win[a] = s
  })
  d.operandBatching.forEach((a) => (win[a] = Math.min(1, operand.shape[a])))
  return win
}

const scatterAval = (operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, p: ScatterParams): ShapedArray => {
  scatterWindow(operand, indices, updates, p)
  return shaped(operand.shape, operand.dtype, operand.weakType)
}

// ---- impl --------------------------------------------------------------------------------

/** Everything the loops need, computed once from shapes and dimension numbers. */
interface Plan {
  readonly batchShape: readonly number[]
  readonly ivLen: number
  /** stride in the window array of each indices batch axis */
  readonly wBatchStrides: readonly number[]
  readonly startMap: readonly number[]
  /** largest in-bounds start of each startMap entry (operand size − window size) */
  readonly startHi: readonly number[]
  readonly opStrides: readonly number[]
  readonly batchOp: readonly number[]
  readonly batchIdx: readonly number[]
  readonly winShape: readonly number[]
  readonly winOpStrides: readonly number[]
  readonly winWStrides: readonly number[]
}

const makePlan = (opShape: Shape, idxShape: Shape, wShape: Shape, d: Dnums, win: readonly number[]): Plan => {
  const wStrides = stridesOf(wShape)
  const opStrides = stridesOf(opShape)
  const windowAxes = opShape.map((_, a) => a).filter((a) => !d.collapsed.includes(a) && !d.operandBatching.includes(a))
  const wBatchAxes = wShape.map((_, a) => a).filter((a) => !d.windowDims.includes(a))
  return {
    batchShape: idxShape.slice(0, -1),
    ivLen: idxShape[idxShape.length - 1],
    wBatchStrides: wBatchAxes.map((a) => wStrides[a]),
    startMap: d.startMap,
    startHi: d.startMap.map((a) => opShape[a] - win[a]),
    opStrides,
    batchOp: d.operandBatching,
    batchIdx: d.indicesBatching,
    winShape: windowAxes.map((a) => win[a]),
    winOpStrides: windowAxes.map((a) => opStrides[a]),
    winWStrides: d.windowDims.map((a) => wStrides[a]),
  }
}

/**
 * Call `f(opBase, wBase, inBounds)` for every batch index G: the flat offsets of the window's
 * first element in the operand and in the window array. `clip` clamps each start into range;
 * otherwise a start out of range gives `inBounds = false` (and an unusable `opBase`).
 */
const forEachWindow = (plan: Plan, idx: TypedArray, clip: boolean, f: (opBase: number, wBase: number, inBounds: boolean) => void): void => {
  const { batchShape, ivLen, wBatchStrides, startMap, startHi, opStrides, batchOp, batchIdx } = plan
  const nb = batchShape.length
  const n = sizeOf(batchShape)
  const G = new Array<number>(nb).fill(0)
  let wBase = 0
  for (let g = 0; g < n; g++) {
    let opBase = 0
    let ok = true
    for (let k = 0; k < ivLen; k++) {
      let s = idx[g * ivLen + k]
      const hi = startHi[k]
      if (clip) s = s < 0 ? 0 : s > hi ? hi : s
      if (s < 0 || s > hi) ok = false
      opBase += s * opStrides[startMap[k]]
    }
    for (let i = 0; i < batchOp.length; i++) opBase += G[batchIdx[i]] * opStrides[batchOp[i]]
    f(opBase, wBase, ok)
    for (let j = nb - 1; j >= 0; j--) {
      G[j]++
      wBase += wBatchStrides[j]
      if (G[j] < batchShape[j]) break
      wBase -= wBatchStrides[j] * batchShape[j]
      G[j] = 0
    }
  }
}

const COPY = 0
const ADD = 1
const ADD_INT = 2

/** dst[dBase + Σ w·dStr] ← (or +=) src[sBase + Σ w·sStr] over every w in `shape`. */
const windowLoop = (
  shape: readonly number[],
  src: TypedArray, sBase: number, sStr: readonly number[],
  dst: TypedArray, dBase: number, dStr: readonly number[],
  how: number,
): void => {
  const nd = shape.length
  if (nd === 0) {
    dst[dBase] = how === COPY ? src[sBase] : how === ADD ? dst[dBase] + src[sBase] : (dst[dBase] + src[sBase]) | 0
    return
  }
  if (sizeOf(shape) === 0) return
  const last = nd - 1
  const inner = shape[last]
  const si = sStr[last]
  const di = dStr[last]
  const w = new Array<number>(nd).fill(0)
  for (;;) {
    let s = sBase
    let t = dBase
    if (how === COPY) for (let i = 0; i < inner; i++, s += si, t += di) dst[t] = src[s]
    else if (how === ADD) for (let i = 0; i < inner; i++, s += si, t += di) dst[t] += src[s]
    else for (let i = 0; i < inner; i++, s += si, t += di) dst[t] = (dst[t] + src[s]) | 0
    let d = last - 1
    for (; d >= 0; d--) {
      w[d]++
      sBase += sStr[d]
      dBase += dStr[d]
      if (w[d] < shape[d]) break
      sBase -= sStr[d] * shape[d]
      dBase -= dStr[d] * shape[d]
      w[d] = 0
    }
    if (d < 0) return
  }
}

const gatherImpl = (x: ConcreteArray, idx: ConcreteArray, p: GatherParams): ConcreteArray => {
  const out = gatherAval(x.aval, idx.aval, p)
  const dst = allocate(out.dtype, sizeOf(out.shape))
  if (dst.length === 0) return makeArray(dst, out)
  const plan = makePlan(x.shape, idx.shape, out.shape, fromGather(p.dimensionNumbers), p.sliceSizes)
  const fill = allocate(out.dtype, 1)
  fill[0] = fillFor(p.fillValue, out.dtype)
  const zeros = plan.winShape.map(() => 0)
  forEachWindow(plan, idx.data, p.mode === 'clip', (opBase, wBase, ok) => {
    if (ok) windowLoop(plan.winShape, x.data, opBase, plan.winOpStrides, dst, wBase, plan.winWStrides, COPY)
    else windowLoop(plan.winShape, fill, 0, zeros, dst, wBase, plan.winWStrides, COPY)
  })
  return makeArray(dst, out)
}

const scatterAddImpl = (x: ConcreteArray, idx: ConcreteArray, upd: ConcreteArray, p: ScatterParams): ConcreteArray => {
  const win = scatterWindow(x.aval, idx.aval, upd.aval, p)
  const dst = x.data.slice()
  if (upd.size > 0) {
    const plan = makePlan(x.shape, idx.shape, upd.shape, fromScatter(p.dimensionNumbers), win)
    const how = x.dtype === 'int32' ? ADD_INT : ADD
    // A clamped start is still out of range when the window cannot fit at all (an empty axis).
    const fits = plan.startHi.every((h) => h >= 0)
    forEachWindow(plan, idx.data, p.mode === 'clip' && fits, (opBase, wBase, ok) => {
      if (ok) windowLoop(plan.winShape, upd.data, wBase, plan.winWStrides, dst, opBase, plan.winOpStrides, how)
    })
  }
  return new ConcreteArray(dst, x.shape, x.dtype, x.weakType)
}

// ---- jvp ---------------------------------------------------------------------------------

/** The gather of a scatter's window (and back): mirrored dimension numbers. */
const toScatterDnums = (d: GatherDimensionNumbers): ScatterDimensionNumbers => ({
  updateWindowDims: d.offsetDims,
  insertedWindowDims: d.collapsedSliceDims,
  scatterDimsToOperandDims: d.startIndexMap,
  operandBatchingDims: d.operandBatchingDims,
  scatterIndicesBatchingDims: d.startIndicesBatchingDims,
})
const toGatherDnums = (d: ScatterDimensionNumbers): GatherDimensionNumbers => ({
  offsetDims: d.updateWindowDims,
  collapsedSliceDims: d.insertedWindowDims,
  startIndexMap: d.scatterDimsToOperandDims,
  operandBatchingDims: d.operandBatchingDims,
  startIndicesBatchingDims: d.scatterIndicesBatchingDims,
})

const gatherOf = (x: Tracer, idx: Tracer, p: GatherParams): Tracer =>
  gather(x, idx, p.dimensionNumbers, p.sliceSizes, { mode: p.mode, fillValue: p.fillValue })

// ---- batching ----------------------------------------------------------------------------

const up = (xs: readonly number[]): number[] => xs.map((a) => a + 1)

/** Fold the batch into the gather: a leading window axis, a leading index batch axis, or a
 *  batching-dim pair when both are batched. The output batch axis is 0 in every case. */
const gatherBatch = (n: number, [x, idx]: readonly Tracer[], [bx, bi]: readonly BDim[], p: GatherParams): [Tracer[], BDim[]] => {
  const d = p.dimensionNumbers
  const opts = { mode: p.mode, fillValue: p.fillValue }
  if (bx === null && bi === null) return [[gatherOf(x, idx, p)], [null]]
  if (bi === null) {
    const dn = { ...d, offsetDims: [0, ...up(d.offsetDims)], collapsedSliceDims: up(d.collapsedSliceDims), startIndexMap: up(d.startIndexMap), operandBatchingDims: up(d.operandBatchingDims) }
    return [[gather(moveAxis(x, bx as number, 0), idx, dn, [n, ...p.sliceSizes], opts)], [0]]
  }
  if (bx === null) {
    const dn = { ...d, offsetDims: up(d.offsetDims), startIndicesBatchingDims: up(d.startIndicesBatchingDims) }
    return [[gather(x, moveAxis(idx, bi, 0), dn, p.sliceSizes, opts)], [0]]
  }
  const dn: GatherDimensionNumbers = {
    offsetDims: up(d.offsetDims),
    collapsedSliceDims: up(d.collapsedSliceDims),
    startIndexMap: up(d.startIndexMap),
    operandBatchingDims: [0, ...up(d.operandBatchingDims)],
    startIndicesBatchingDims: [0, ...up(d.startIndicesBatchingDims)],
  }
  return [[gather(moveAxis(x, bx, 0), moveAxis(idx, bi, 0), dn, [Math.min(1, n), ...p.sliceSizes], opts)], [0]]
}

/** As gather: unbatched indices → a leading window axis of operand and updates (both given the
 *  batch axis); batched indices → a batching-dim triple. Output batch axis 0. */
const scatterBatch = (n: number, [x, idx, u]: readonly Tracer[], [bx, bi, bu]: readonly BDim[], p: ScatterParams): [Tracer[], BDim[]] => {
  const d = p.dimensionNumbers
  if (bx === null && bi === null && bu === null) return [[scatterAdd(x, idx, u, d, { mode: p.mode })], [null]]
  const xb = batchToFront(x, bx, n)
  const ub = batchToFront(u, bu, n)
  const common = {
    insertedWindowDims: up(d.insertedWindowDims),
    scatterDimsToOperandDims: up(d.scatterDimsToOperandDims),
  }
  if (bi === null) {
    const dn: ScatterDimensionNumbers = {
      ...common,
      updateWindowDims: [0, ...up(d.updateWindowDims)],
      operandBatchingDims: up(d.operandBatchingDims),
      scatterIndicesBatchingDims: d.scatterIndicesBatchingDims,
    }
    return [[scatterAdd(xb, idx, ub, dn, { mode: p.mode })], [0]]
  }
  const dn: ScatterDimensionNumbers = {
    ...common,
    updateWindowDims: up(d.updateWindowDims),
    operandBatchingDims: [0, ...up(d.operandBatchingDims)],
    scatterIndicesBatchingDims: [0, ...up(d.scatterIndicesBatchingDims)],
  }
  return [[scatterAdd(xb, moveAxis(idx, bi, 0), ub, dn, { mode: p.mode })], [0]]
}

// ---- the rules ---------------------------------------------------------------------------

const noLinearIndices = (op: string): never => {
  throw new Error(`internal: transpose of ${op} with linear indices (indices are never linear)`)
}

export const gatherRules: Pick<RuleTable, 'gather' | 'scatter_add'> = {
  gather: {
    abstractEval: ([x, idx], p) => [gatherAval(x, idx, p)],
    impl: ([x, idx], p) => [gatherImpl(x, idx, p)],
    // d gather(x, i) = gather(dx, i): a constant fill has a zero tangent.
    jvp: ([x, idx], [dx], p) => {
      const y = gatherOf(x, idx, p)
      if (isZero(dx)) return [[y], [new Zero(y.aval)]]
      return [[y], [gatherOf(dx, idx, p.mode === 'fill' ? { ...p, fillValue: 0 } : p)]]
    },
    // gatherᵀ ct = scatter_add(0, i, ct): filled (out-of-bounds) windows receive nothing.
    transpose: ([ct], [x, idx], p) => {
      if (isUndef(idx)) noLinearIndices('gather')
      if (!isUndef(x)) return [null, null]
      const a = x.aval
      if (isZero(ct)) return [new Zero(a), null]
      const mode = p.mode === 'clip' ? 'clip' : 'drop'
      return [scatterAdd(zerosOf(a), idx as Tracer, ct, toScatterDnums(p.dimensionNumbers), { mode }), null]
    },
    batch: gatherBatch,
  },
  scatter_add: {
    abstractEval: ([x, idx, u], p) => [scatterAval(x, idx, u, p)],
    impl: ([x, idx, u], p) => [scatterAddImpl(x, idx, u, p)],
    // d scatter_add(x, i, u) = scatter_add(dx, i, du)
    jvp: ([x, idx, u], [dx, , du], p) => {
      const y = scatterAdd(x, idx, u, p.dimensionNumbers, { mode: p.mode })
      if (isZero(dx) && isZero(du)) return [[y], [new Zero(y.aval)]]
      return [[y], [scatterAdd(instantiate(dx), idx, instantiate(du), p.dimensionNumbers, { mode: p.mode })]]
    },
    // scatter_addᵀ ct = (ct, ·, gather(ct, i)): dropped windows read as 0.
    transpose: ([ct], [x, idx, u], p) => {
      if (isUndef(idx)) noLinearIndices('scatter_add')
      const ua = isUndef(u) ? u.aval : null
      if (isZero(ct)) return [isUndef(x) ? new Zero(x.aval) : null, null, ua && new Zero(ua)]
      let uct: Tracer | null = null
      if (ua) {
        const xa = (x as { aval: ShapedArray }).aval
        const win = scatterWindow(xa, (idx as Tracer).aval, ua, p)
        const mode = p.mode === 'clip' ? 'clip' : 'fill'
        // An empty inserted axis drops every update (and has no slice to gather from).
        const dropsAll = p.dimensionNumbers.insertedWindowDims.some((a) => xa.shape[a] === 0)
        uct = dropsAll ? zerosOf(ua) : gather(ct, idx as Tracer, toGatherDnums(p.dimensionNumbers), win, { mode, fillValue: 0 })
      }
      return [isUndef(x) ? ct : null, null, uct]
    },
    batch: scatterBatch,
  },
}
