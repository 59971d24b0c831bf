/**
 * Export layer (ONNX): shape, reduction, contraction and slicing primitives. Shapes are static
 * in a jaxpr, so every shape, axis list and start of a static slice is an int64 constant.
 */
import { ExportError } from '../../core/errors'
import type { Shape } from '../../ir/aval'
import type { ParamsMap, ReducePrim } from '../../ir/params'
import { ElemType, type GraphBuilder, type OnnxElem, elemOf } from './builder'
import type { OnnxEntry, OnnxTable, Val } from './types'

type G = GraphBuilder

const el = (v: Val): OnnxElem => elemOf(v.aval.dtype)

export const refuseOnnx = (prim: string, why: string): never => {
  throw new ExportError(`exportOnnx: the primitive '${prim}' cannot be exported to ONNX: ${why}`, 'onnx', prim)
}

export const reshapeTo = (g: G, x: string, shape: Shape): string => g.op('Reshape', [x, g.ints(shape)], { allowzero: { int: 1 } })

/** A 1-d int64 vector placed on `axis` of a rank-`rank` array of ones elsewhere. */
export const onAxis = (g: G, v: string, n: number, rank: number, axis: number): string =>
  reshapeTo(g, v, Array.from({ length: rank }, (_, i) => (i === axis ? n : 1)))

export const range = (g: G, elem: OnnxElem, n: number): string => g.op('Range', [g.scalar(elem, 0), g.scalar(elem, n), g.scalar(elem, 1)])

const castTo = (g: G, x: string, elem: OnnxElem): string => g.op('Cast', [x], { to: { int: ElemType[elem] } })

/** x^y by repeated squaring, in the order of the reference implementation. */
const integerPow = (g: G, x: Val, y: number, shape: Shape): string => {
  if (y === 0) return g.op('Expand', [g.scalar(el(x), 1), g.ints(shape)])
  let e = Math.abs(y)
  let r: string | null = null
  let b = x.name
  while (e > 0) {
    if (e % 2 === 1) r = r === null ? b : g.op('Mul', [r, b])
    e = Math.floor(e / 2)
    if (e > 0) b = g.op('Mul', [b, b])
  }
  return y < 0 ? g.op('Div', [g.scalar(el(x), 1), r as string]) : (r as string)
}

const reduce = <P extends ReducePrim>(op: string): OnnxEntry<P> => ({
  lower: (g, [x], p) => {
    const axes = (p as ParamsMap[ReducePrim]).axes
    if (axes.length === 0) return [g.op('Identity', [x.name])]
    // ReduceSum takes its axes as an input since opset 13, the others since opset 18.
    if (op !== 'ReduceSum' && g.opset < 18) return [g.op(op, [x.name], { axes: { ints: axes }, keepdims: { int: 0 } })]
    return [g.op(op, [x.name, g.ints(axes)], { keepdims: { int: 0 } })]
  },
})

const argReduce = <P extends 'argmax' | 'argmin'>(op: string): OnnxEntry<P> => ({
  lower: (g, [x], p) => [castTo(g, g.op(op, [x.name], { axis: { int: p.axis }, keepdims: { int: 0 }, select_last_index: { int: 0 } }), 'int32')],
})

const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** dot_general as MatMul (a plain matrix product) or Einsum (everything else). */
const dotGeneral = (g: G, [a, b]: readonly Val[], p: ParamsMap['dot_general'], outElem: OnnxElem): string => {
  const { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb } = p.dimensionNumbers
  const [x, y] = [a, b].map((v) => (el(v) === outElem ? v.name : castTo(g, v.name, outElem)))
  const ra = a.aval.shape.length
  const rb2 = b.aval.shape.length
  if (ra === 2 && rb2 === 2 && lb.length === 0 && lc[0] === 1 && rc[0] === 0) return g.op('MatMul', [x, y])
  const la = new Array<string>(ra)
  const lbb = new Array<string>(rb2)
  let next = 0
  lb.forEach((d, i) => { la[d] = lbb[rb[i]] = letters[next++] })
  lc.forEach((d, i) => { la[d] = lbb[rc[i]] = letters[next++] })
  const freeA: string[] = []
  const freeB: string[] = []
  for (let d = 0; d < ra; d++) if (la[d] === undefined) freeA.push((la[d] = letters[next++]))
  for (let d = 0; d < rb2; d++) if (lbb[d] === undefined) freeB.push((lbb[d] = letters[next++]))
  if (next > letters.length) refuseOnnx('dot_general', `more than ${letters.length} distinct axes`)
  const out = [...lb.map((d) => la[d]), ...freeA, ...freeB].join('')
  return g.op('Einsum', [x, y], { equation: { string: `${la.join('')},${lbb.join('')}->${out}` } })
}

/** Pad with interior padding and negative (cropping) edges, by Pad and Slice. */
const pad = (g: G, x: Val, value: string, cfg: ParamsMap['pad']['paddingConfig']): string => {
  let cur = x.name
  const shape = [...x.aval.shape]
  const r = shape.length
  cfg.forEach(([, , interior], a) => {
    if (interior === 0 || shape[a] === 0) return
    // [.., n, ..] → [.., n, 1, ..] → pad the new axis by `interior` → [.., n·(1+k), ..] → drop the last k.
    const n = shape[a]
    const u = g.op('Unsqueeze', [cur, g.ints([a + 1])])
    const pads = new Array<number>(2 * (r + 1)).fill(0)
    pads[r + 1 + a + 1] = interior
    const padded = g.op('Pad', [u, g.ints(pads), value])
    const flat = reshapeTo(g, padded, shape.map((d, i) => (i === a ? n * (1 + interior) : d)))
    cur = g.op('Slice', [flat, g.ints([0]), g.ints([n + (n - 1) * interior]), g.ints([a])])
    shape[a] = n + (n - 1) * interior
  })
  const lo = cfg.map(([l]) => Math.max(l, 0))
  const hi = cfg.map(([, h]) => Math.max(h, 0))
  if (lo.some((v) => v > 0) || hi.some((v) => v > 0)) cur = g.op('Pad', [cur, g.ints([...lo, ...hi]), value])
  const crop = cfg.map(([l, h], a) => [Math.max(-l, 0), shape[a] + lo[a] + hi[a] - Math.max(-h, 0)] as const)
  if (cfg.some(([l, h]) => l < 0 || h < 0)) {
    cur = g.op('Slice', [cur, g.ints(crop.map((c) => c[0])), g.ints(crop.map((c) => c[1])), g.ints(cfg.map((_, a) => a))])
  }
  return cur
}

const LINALG = 'ONNX has no operator for it and leibniz exports no loop-based factorization; compute it outside the exported function (or export its inputs\' preparation and solve on the host)'

type Structural =
  | 'integer_pow' | 'select_n' | 'convert_element_type' | 'broadcast_in_dim' | 'reshape' | 'transpose' | 'squeeze'
  | ReducePrim | 'argmax' | 'argmin' | 'dot_general' | 'slice' | 'pad' | 'concatenate' | 'iota' | 'cumsum' | 'sort'
  | 'cholesky' | 'triangular_solve' | 'lu' | 'eigh' | 'svd' | 'qr'
  | 'conv_general_dilated' | 'reduce_window_sum' | 'reduce_window_max' | 'reduce_window_min'

const WINDOWS = 'not lowered yet: ONNX Conv and the pooling operators cover only part of its dilations, layouts and paddings, and a partial lowering would refuse programs at run time; run convolutions in leibniz'

export const structuralEntries: Pick<OnnxTable, Structural> = {
  integer_pow: { lower: (g, [x], p, [o]) => [integerPow(g, x, p.y, o.shape)] },
  select_n: {
    lower: (g, [which, ...cases]) => {
      if (which.aval.dtype === 'bool') return [g.op('Where', [which.name, cases[1].name, cases[0].name])]
      // An int32 index is clamped into range, as the reference does: case i when which ≤ i.
      let r = cases[cases.length - 1].name
      for (let i = cases.length - 2; i >= 0; i--) r = g.op('Where', [g.op('LessOrEqual', [which.name, g.scalar('int32', i)]), cases[i].name, r])
      return [r]
    },
  },
  convert_element_type: {
    lower: (g, [x], p) => {
      const from = x.aval.dtype
      if (from === p.newDtype) return [g.op('Identity', [x.name])]
      // NaN → int32 is 0 in leibniz (ORT's cast leaves it to the hardware).
      const src = (from === 'float64' || from === 'float32') && p.newDtype === 'int32'
        ? g.op('Where', [g.op('IsNaN', [x.name]), g.scalar(el(x), 0), x.name])
        : x.name
      return [castTo(g, src, elemOf(p.newDtype))]
    },
  },
  broadcast_in_dim: {
    lower: (g, [x], p) => {
      const inShape = p.shape.map((_, i) => {
        const k = p.broadcastDimensions.indexOf(i)
        return k < 0 ? 1 : x.aval.shape[k]
      })
      return [g.op('Expand', [reshapeTo(g, x.name, inShape), g.ints(p.shape)])]
    },
  },
  reshape: { lower: (g, [x], p) => [reshapeTo(g, x.name, p.newSizes)] },
  transpose: { lower: (g, [x], p) => [g.op('Transpose', [x.name], { perm: { ints: p.permutation } })] },
  squeeze: { lower: (g, [x], _p, [o]) => [reshapeTo(g, x.name, o.shape)] },
  reduce_sum: reduce('ReduceSum'),
  reduce_max: reduce('ReduceMax'),
  reduce_min: reduce('ReduceMin'),
  reduce_prod: reduce('ReduceProd'),
  argmax: argReduce('ArgMax'),
  argmin: argReduce('ArgMin'),
  dot_general: { lower: (g, ins, p, [o]) => [dotGeneral(g, ins, p, elemOf(o.dtype))] },
  slice: {
    lower: (g, [x], p) => {
      const axes = p.startIndices.map((_, i) => i)
      if (axes.length === 0) return [g.op('Identity', [x.name])]
      return [g.op('Slice', [x.name, g.ints(p.startIndices), g.ints(p.limitIndices), g.ints(axes), g.ints(p.strides ?? axes.map(() => 1))])]
    },
  },
  pad: { lower: (g, [x, v], p) => [pad(g, x, v.name, p.paddingConfig)] },
  concatenate: { lower: (g, ins, p) => [g.op('Concat', ins.map((v) => v.name), { axis: { int: p.dimension } })] },
  iota: {
    lower: (g, _ins, p) => {
      const elem = elemOf(p.dtype)
      if (elem === 'bool') refuseOnnx('iota', 'a bool iota has no meaning')
      const n = p.shape[p.dimension]
      return [g.op('Expand', [onAxis(g, range(g, elem, n), n, p.shape.length, p.dimension), g.ints(p.shape)])]
    },
  },
  cumsum: {
    lower: (g, [x], p) => [g.op('CumSum', [x.name, g.constant('int64', [], [p.axis])], { reverse: { int: p.reverse ? 1 : 0 } })],
  },
  sort: {
    // TopK with k = n sorts ascending with ties in index order (stable). Several keys sort
    // lexicographically by stable passes from the last key to the first (as an LSD radix sort);
    // every operand then follows the final permutation.
    lower: (g, ins, p) => {
      const n = ins[0].aval.shape[p.dimension]
      const axis = { axis: { int: p.dimension } }
      const topk = (k: string): string => g.nodeN('TopK', [k, g.ints([n])], 2, { ...axis, largest: { int: 0 }, sorted: { int: 1 } })[1]
      let perm = topk(ins[p.numKeys - 1].name)
      for (let j = p.numKeys - 2; j >= 0; j--) {
        const step = topk(g.op('GatherElements', [ins[j].name, perm], axis))
        perm = g.op('GatherElements', [perm, step], axis)
      }
      return ins.map((v) => g.op('GatherElements', [v.name, perm], axis))
    },
  },
  cholesky: { refuse: LINALG },
  triangular_solve: { refuse: LINALG },
  lu: { refuse: LINALG },
  eigh: { refuse: LINALG },
  svd: { refuse: LINALG },
  qr: { refuse: LINALG },
  conv_general_dilated: { refuse: WINDOWS },
  reduce_window_sum: { refuse: WINDOWS },
  reduce_window_max: { refuse: WINDOWS },
  reduce_window_min: { refuse: WINDOWS },
}
