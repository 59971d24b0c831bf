/**
 * Export layer (ONNX): dynamic slices, gathers and scatters. XLA's general gather/scatter has
 * no single ONNX operator, so each lowers to GatherND / ScatterND over a full index array:
 * for every element w of the window array (gather's output, scatter's updates) the operand
 * index is, axis by axis,
 *   I[a] = start_k(G)     if a = startIndexMap[k]     (the index vector at batch position G)
 *        + G[j]           if a = operandBatchingDims[i], j = indicesBatchingDims[i]
 *        + w[offset(m)]   if a is the m-th window axis (neither collapsed nor batching)
 * Starts are clamped into range (XLA's clip mode); in fill / drop mode the lowering also masks
 * the windows whose start was out of range (filled with the fill value, or adding 0).
 */
import type { Shape } from '../../ir/aval'
import type { DType } from '../../ir/dtypes'
import { type GraphBuilder, elemOf } from './builder'
import { onAxis, range, reshapeTo } from './structural'
import type { OnnxTable, Val } from './types'

type G = GraphBuilder

const toI64 = (g: G, x: string): string => g.op('Cast', [x], { to: { int: 7 } })

/** The full index array [...shape, r] from per-axis components broadcastable to `shape`. */
const indexArray = (g: G, shape: Shape, parts: readonly string[]): string => {
  const cols = parts.map((c) => g.op('Unsqueeze', [g.op('Expand', [c, g.ints(shape)]), g.ints([shape.length])]))
  return g.op('Concat', cols, { axis: { int: shape.length } })
}

/** Clamp int64 `s` into [0, hi]. */
const clamp = (g: G, s: string, hi: number): string => g.op('Clip', [s, g.scalar('int64', 0), g.scalar('int64', Math.max(hi, 0))])

interface Layout {
  /** positions of the window axes in the window array, in order */
  readonly windowDims: readonly number[]
  /** operand axes with no window (collapsed / inserted) */
  readonly collapsed: readonly number[]
  readonly startMap: readonly number[]
  readonly operandBatching: readonly number[]
  readonly indicesBatching: readonly number[]
}

/**
 * The index array of a gather or scatter, and (for fill / drop) a bool mask of the windows
 * whose every start was in range, broadcastable to the window array.
 */
const windowIndices = (g: G, op: Shape, idx: Val, wShape: Shape, win: readonly number[], d: Layout): { index: string; inBounds: string } => {
  const R = wShape.length
  const batchPos = wShape.map((_, i) => i).filter((i) => !d.windowDims.includes(i))
  const bShape = idx.aval.shape.slice(0, -1)
  /** an array of shape bShape placed on the batch axes of the window array */
  const onBatch = (x: string): string => reshapeTo(g, x, wShape.map((n, i) => (batchPos.includes(i) ? n : 1)))
  const windowAxes = op.map((_, a) => a).filter((a) => !d.collapsed.includes(a) && !d.operandBatching.includes(a))
  const parts: string[] = []
  const oks: string[] = []
  for (let a = 0; a < op.length; a++) {
    const terms: string[] = []
    const k = d.startMap.indexOf(a)
    if (k >= 0) {
      const raw = toI64(g, g.op('Gather', [idx.name, g.constant('int64', [], [k])], { axis: { int: bShape.length } }))
      const hi = op[a] - win[a]
      oks.push(g.op('And', [g.op('GreaterOrEqual', [raw, g.scalar('int64', 0)]), g.op('LessOrEqual', [raw, g.scalar('int64', hi)])]))
      terms.push(onBatch(clamp(g, raw, hi)))
    }
    const i = d.operandBatching.indexOf(a)
    if (i >= 0) {
      const j = d.indicesBatching[i]
      terms.push(onAxis(g, range(g, 'int64', bShape[j]), bShape[j], R, batchPos[j]))
    }
    const m = windowAxes.indexOf(a)
    if (m >= 0) terms.push(onAxis(g, range(g, 'int64', win[a]), win[a], R, d.windowDims[m]))
    parts.push(terms.length === 0 ? g.scalar('int64', 0) : terms.reduce((x, y) => g.op('Add', [x, y])))
  }
  const all = oks.length === 0 ? g.constant('bool', [], [1]) : onBatch(oks.reduce((x, y) => g.op('And', [x, y])))
  return { index: indexArray(g, wShape, parts), inBounds: all }
}

/** The default fill of an out-of-bounds gather (JAX's): NaN, the least int32, or true. */
const fillOf = (fill: number | null, dtype: DType): number =>
  fill !== null ? fill : dtype === 'float64' || dtype === 'float32' ? NaN : dtype === 'bool' ? 1 : -(2 ** 31)

/** The clamped starts of a dynamic slice, as an int64 vector. */
const dynStarts = (g: G, shape: Shape, sizes: Shape, starts: readonly Val[]): string[] =>
  starts.map((s, a) => clamp(g, toI64(g, s.name), shape[a] - sizes[a]))

export const indexingEntries: Pick<OnnxTable, 'dynamic_slice' | 'dynamic_update_slice' | 'gather' | 'scatter_add'> = {
  dynamic_slice: {
    lower: (g, [x, ...starts], p) => {
      const r = x.aval.shape.length
      if (r === 0) return [g.op('Identity', [x.name])]
      const s = dynStarts(g, x.aval.shape, p.sliceSizes, starts).map((v) => g.op('Unsqueeze', [v, g.ints([0])]))
      const begin = g.op('Concat', s, { axis: { int: 0 } })
      const end = g.op('Add', [begin, g.ints(p.sliceSizes)])
      return [g.op('Slice', [x.name, begin, end, g.ints(x.aval.shape.map((_, i) => i))])]
    },
  },
  dynamic_update_slice: {
    lower: (g, [x, u, ...starts]) => {
      const shape = u.aval.shape
      if (shape.length === 0) return [g.op('Identity', [u.name])]
      const s = dynStarts(g, x.aval.shape, shape, starts)
      const parts = s.map((st, a) => g.op('Add', [onAxis(g, range(g, 'int64', shape[a]), shape[a], shape.length, a), st]))
      return [g.op('ScatterND', [x.name, indexArray(g, shape, parts), u.name])]
    },
  },
  gather: {
    lower: (g, [x, idx], p, [o]) => {
      const d = p.dimensionNumbers
      const { index, inBounds } = windowIndices(g, x.aval.shape, idx, o.shape, p.sliceSizes, {
        windowDims: d.offsetDims, collapsed: d.collapsedSliceDims, startMap: d.startIndexMap,
        operandBatching: d.operandBatchingDims, indicesBatching: d.startIndicesBatchingDims,
      })
      const y = g.op('GatherND', [x.name, index])
      if (p.mode === 'clip') return [y]
      return [g.op('Where', [inBounds, y, g.scalar(elemOf(o.dtype), fillOf(p.fillValue, o.dtype))])]
    },
  },
  scatter_add: {
    lower: (g, [x, idx, u], p) => {
      const d = p.dimensionNumbers
      const windowAxes = x.aval.shape.map((_, a) => a).filter((a) => !d.insertedWindowDims.includes(a) && !d.operandBatchingDims.includes(a))
      const win = x.aval.shape.map((_, a) => {
        const m = windowAxes.indexOf(a)
        return m < 0 ? 1 : u.aval.shape[d.updateWindowDims[m]]
      })
      const { index, inBounds } = windowIndices(g, x.aval.shape, idx, u.aval.shape, win, {
        windowDims: d.updateWindowDims, collapsed: d.insertedWindowDims, startMap: d.scatterDimsToOperandDims,
        operandBatching: d.operandBatchingDims, indicesBatching: d.scatterIndicesBatchingDims,
      })
      const upd = p.mode === 'clip' ? u.name : g.op('Where', [inBounds, u.name, g.scalar(elemOf(u.aval.dtype), 0)])
      return [g.op('ScatterND', [x.name, index, upd], { reduction: { string: 'add' } })]
    },
  },
}

