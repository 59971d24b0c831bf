/**
 * Export layer (StableHLO): one entry per primitive — a lowering to StableHLO (CHLO for the
 * inverse and hyperbolic functions, as JAX emits them) or a refusal naming why. leibniz's
 * primitives follow XLA's semantics, so most lower one to one: integer division by 0,
 * clamped dynamic slices and gathers, dropped out-of-bounds scatter windows and shift amounts
 * outside [0, 31] are XLA's own behaviour.
 */
import { ExportError } from '../../core/errors'
import { type ShapedArray, shaped } from '../../ir/aval'
import type { DType } from '../../ir/dtypes'
import type { Jaxpr } from '../../ir/jaxpr'
import type { BinaryPrim, BitwisePrim, ParamsMap, PrimName, ReducePrim, UnaryPrim } from '../../ir/params'
import { type Block, type Value, i64, i64Array, ints } from './text'
import { solveInputs } from '../solve'

export type ShloSub = (b: Block, jaxpr: Jaxpr, inputs: readonly Value[]) => Value[]
export type ShloLowering<P extends PrimName> = (b: Block, ins: readonly Value[], params: ParamsMap[P], outs: readonly ShapedArray[], sub: ShloSub) => Value[]
export type ShloEntry<P extends PrimName> = { readonly lower: ShloLowering<P> } | { readonly refuse: string }
/** One entry per primitive: a primitive added to `ParamsMap` without one does not compile. */
export type ShloTable = { readonly [P in PrimName]: ShloEntry<P> }

const DECOMP = 'eigh, svd and qr run as leibniz host kernels; StableHLO has no portable operation for them (XLA lowers them to LAPACK custom calls)'

export const refuseShlo = (prim: string, why: string): never => {
  throw new ExportError(`exportStableHlo: the primitive '${prim}' cannot be exported to StableHLO: ${why}`, 'stablehlo', prim)
}

const isFloat = (d: DType): boolean => d === 'float64' || d === 'float32'

/** A 0-d operand broadcast to `shape` (StableHLO's elementwise ops want equal shapes). */
const fit = (b: Block, v: Value, like: ShapedArray): Value =>
  v.aval.shape.length === like.shape.length ? v : b.op('stablehlo.broadcast_in_dim', [v], shaped(like.shape, v.aval.dtype), `broadcast_dimensions = ${i64Array([])}`)

const un = <P extends UnaryPrim>(op: string): ShloEntry<P> => ({ lower: (b, [x], _p, [o]) => [b.op(op, [x], o)] })
const bin = <P extends BinaryPrim | BitwisePrim>(op: string): ShloEntry<P> => ({
  lower: (b, [x, y], _p, [o]) => [b.op(op, [fit(b, x, o), fit(b, y, o)], o)],
})
const cmp = <P extends BinaryPrim>(dir: string): ShloEntry<P> => ({
  lower: (b, [x, y], _p, [o]) => {
    const d = x.aval.dtype
    const kind = isFloat(d) ? 'FLOAT' : d === 'bool' ? 'UNSIGNED' : 'SIGNED'
    const full = shaped(o.shape, d)
    return [b.op('stablehlo.compare', [fit(b, x, full), fit(b, y, full)], o, `comparison_direction = #stablehlo<comparison_direction ${dir}>, compare_type = #stablehlo<comparison_type ${kind}>`)]
  },
})

const scalarOf = (b: Block, v: number, dtype: DType): Value => b.constant([v], [], dtype)

/** A reduction with a scalar body `op` and its identity. */
const reduce = <P extends ReducePrim>(op: string, init: (d: DType) => number): ShloEntry<P> => ({
  lower: (b, [x], p, [o]) => {
    const d = x.aval.dtype
    const s = shaped([], d)
    const region = b.region([s, s], (r, [u, v]) => [r.op(op, [u, v], s)])
    return b.opN('stablehlo.reduce', [x, scalarOf(b, init(d), d)], [o], `dimensions = ${i64Array((p as ParamsMap[ReducePrim]).axes)}`, [region])
  },
})
const lowest = (d: DType): number => (isFloat(d) ? -Infinity : d === 'int32' ? -(2 ** 31) : 0)
const highest = (d: DType): number => (isFloat(d) ? Infinity : d === 'int32' ? 2 ** 31 - 1 : 1)

const integerPow = (b: Block, x: Value, y: number, o: ShapedArray): Value => {
  if (y === 0) return b.op('stablehlo.broadcast_in_dim', [scalarOf(b, 1, o.dtype)], o, `broadcast_dimensions = ${i64Array([])}`)
  let e = Math.abs(y)
  let r: Value | null = null
  let base = x
  while (e > 0) {
    if (e % 2 === 1) r = r === null ? base : b.op('stablehlo.multiply', [r, base], o)
    e = Math.floor(e / 2)
    if (e > 0) base = b.op('stablehlo.multiply', [base, base], o)
  }
  const pos = r as Value
  return y < 0 ? b.op('stablehlo.divide', [fit(b, scalarOf(b, 1, o.dtype), o), pos], o) : pos
}

const dims = (xs: readonly number[]) => `[${ints(xs)}]`

/** Clamp the index vectors (the last axis of `idx`) componentwise into [0, hi[k]]. */
const clampStarts = (b: Block, idx: Value, hi: readonly number[]): Value => {
  const s = idx.aval.shape
  const last = `broadcast_dimensions = ${i64Array([s.length - 1])}`
  const lo = b.op('stablehlo.broadcast_in_dim', [b.constant(hi.map(() => 0), [hi.length], 'int32')], idx.aval, last)
  const up = b.op('stablehlo.broadcast_in_dim', [b.constant(hi.map((h) => Math.max(h, 0)), [hi.length], 'int32')], idx.aval, last)
  return b.op('stablehlo.clamp', [lo, idx, up], idx.aval)
}

const inline = (b: Block, ins: readonly Value[], j: Jaxpr, sub: ShloSub): Value[] => sub(b, j, ins)

const WINDOWS = 'not lowered yet (stablehlo.convolution and stablehlo.reduce_window are not in the exported subset); run convolutions and window reductions in leibniz'
const NOT_CURATED = 'it is outside the curated StableHLO subset; export this program to ONNX (exportOnnx) instead'

export const SHLO_TABLE: ShloTable = {
  neg: un('stablehlo.negate'), sin: un('stablehlo.sine'), cos: un('stablehlo.cosine'), tan: un('stablehlo.tan'),
  asin: un('chlo.asin'), acos: un('chlo.acos'), atan: un('chlo.atan'), sinh: un('chlo.sinh'), cosh: un('chlo.cosh'),
  tanh: un('stablehlo.tanh'), exp: un('stablehlo.exponential'), expm1: un('stablehlo.exponential_minus_one'),
  log: un('stablehlo.log'), log1p: un('stablehlo.log_plus_one'), sqrt: un('stablehlo.sqrt'), rsqrt: un('stablehlo.rsqrt'),
  abs: un('stablehlo.abs'), sign: un('stablehlo.sign'), floor: un('stablehlo.floor'), ceil: un('stablehlo.ceil'),
  round: un('stablehlo.round_nearest_even'), logistic: un('stablehlo.logistic'), not: un('stablehlo.not'),
  stop_gradient: { lower: (_b, [x]) => [x] },
  add: bin('stablehlo.add'), sub: bin('stablehlo.subtract'), mul: bin('stablehlo.multiply'), div: bin('stablehlo.divide'),
  pow: bin('stablehlo.power'), max: bin('stablehlo.maximum'), min: bin('stablehlo.minimum'), atan2: bin('stablehlo.atan2'),
  rem: bin('stablehlo.remainder'), and: bin('stablehlo.and'), or: bin('stablehlo.or'),
  eq: cmp('EQ'), ne: cmp('NE'), lt: cmp('LT'), le: cmp('LE'), gt: cmp('GT'), ge: cmp('GE'),
  xor: bin('stablehlo.xor'), shift_left: bin('stablehlo.shift_left'),
  shift_right_logical: bin('stablehlo.shift_right_logical'), shift_right_arithmetic: bin('stablehlo.shift_right_arithmetic'),
  integer_pow: { lower: (b, [x], p, [o]) => [integerPow(b, x, p.y, o)] },
  select_n: {
    // bool: which ? c₁ : c₀; int32 (clamped): case i where which ≤ i, from the last case down.
    lower: (b, [which, ...cases], _p, [o]) => {
      const pred = (w: Value) => fit(b, w, shaped(o.shape, w.aval.dtype))
      if (which.aval.dtype === 'bool') return [b.op('stablehlo.select', [pred(which), cases[1], cases[0]], o)]
      let r = cases[cases.length - 1]
      for (let i = cases.length - 2; i >= 0; i--) {
        const le = cmp<'le'>('LE') as { lower: ShloLowering<'le'> }
        const [c] = le.lower(b, [which, scalarOf(b, i, 'int32')], {}, [shaped(which.aval.shape, 'bool')], () => [])
        r = b.op('stablehlo.select', [pred(c), cases[i], r], o)
      }
      return [r]
    },
  },
  convert_element_type: { lower: (b, [x], _p, [o]) => [x.aval.dtype === o.dtype ? x : b.op('stablehlo.convert', [x], o)] },
  broadcast_in_dim: { lower: (b, [x], p, [o]) => [b.op('stablehlo.broadcast_in_dim', [x], o, `broadcast_dimensions = ${i64Array(p.broadcastDimensions)}`)] },
  reshape: { lower: (b, [x], _p, [o]) => [b.op('stablehlo.reshape', [x], o)] },
  squeeze: { lower: (b, [x], _p, [o]) => [b.op('stablehlo.reshape', [x], o)] },
  transpose: { lower: (b, [x], p, [o]) => [b.op('stablehlo.transpose', [x], o, `permutation = ${i64Array(p.permutation)}`)] },
  reduce_sum: reduce('stablehlo.add', () => 0),
  reduce_max: reduce('stablehlo.maximum', lowest),
  reduce_min: reduce('stablehlo.minimum', highest),
  reduce_prod: reduce('stablehlo.multiply', () => 1),
  argmax: { refuse: NOT_CURATED },
  argmin: { refuse: NOT_CURATED },
  dot_general: {
    lower: (b, ins, p, [o]) => {
      const d = p.dimensionNumbers
      const [x, y] = ins.map((v) => (v.aval.dtype === o.dtype ? v : b.op('stablehlo.convert', [v], shaped(v.aval.shape, o.dtype))))
      return [b.op('stablehlo.dot_general', [x, y], o,
        `dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = ${dims(d.lhsBatch)}, rhs_batching_dimensions = ${dims(d.rhsBatch)}, ` +
          `lhs_contracting_dimensions = ${dims(d.lhsContracting)}, rhs_contracting_dimensions = ${dims(d.rhsContracting)}>`)]
    },
  },
  slice: {
    lower: (b, [x], p, [o]) => [b.op('stablehlo.slice', [x], o,
      `start_indices = ${i64Array(p.startIndices)}, limit_indices = ${i64Array(p.limitIndices)}, strides = ${i64Array(p.strides ?? p.startIndices.map(() => 1))}`)],
  },
  dynamic_slice: { lower: (b, [x, ...starts], p, [o]) => [b.op('stablehlo.dynamic_slice', [x, ...starts], o, `slice_sizes = ${i64Array(p.sliceSizes)}`)] },
  dynamic_update_slice: { lower: (b, ins, _p, [o]) => [b.op('stablehlo.dynamic_update_slice', ins, o)] },
  pad: {
    lower: (b, [x, v], p, [o]) => [b.op('stablehlo.pad', [x, v], o,
      `edge_padding_low = ${i64Array(p.paddingConfig.map((c) => c[0]))}, edge_padding_high = ${i64Array(p.paddingConfig.map((c) => c[1]))}, interior_padding = ${i64Array(p.paddingConfig.map((c) => c[2]))}`)],
  },
  concatenate: { lower: (b, ins, p, [o]) => [b.op('stablehlo.concatenate', ins, o, `dimension = ${i64(p.dimension)}`)] },
  gather: {
    lower: (b, [x, idx], p, [o]) => {
      if (p.mode !== 'clip') refuseShlo('gather', `mode '${p.mode}' (${NOT_CURATED})`)
      const d = p.dimensionNumbers
      return [b.op('stablehlo.gather', [x, idx], o,
        `dimension_numbers = #stablehlo.gather<offset_dims = ${dims(d.offsetDims)}, collapsed_slice_dims = ${dims(d.collapsedSliceDims)}, ` +
          `operand_batching_dims = ${dims(d.operandBatchingDims)}, start_indices_batching_dims = ${dims(d.startIndicesBatchingDims)}, ` +
          `start_index_map = ${dims(d.startIndexMap)}, index_vector_dim = ${ints([idx.aval.shape.length - 1])}>, ` +
          `slice_sizes = ${i64Array(p.sliceSizes)}, indices_are_sorted = false`)]
    },
  },
  scatter_add: {
    lower: (b, [x, idx0, u], p, [o]) => {
      const d = p.dimensionNumbers
      // XLA drops out-of-bounds windows; in clip mode clamp each start into range first.
      const idx = p.mode === 'drop' ? idx0 : clampStarts(b, idx0, d.scatterDimsToOperandDims.map((a) => {
        const windowAxes = x.aval.shape.map((_, k) => k).filter((k) => !d.insertedWindowDims.includes(k) && !d.operandBatchingDims.includes(k))
        const m = windowAxes.indexOf(a)
        return x.aval.shape[a] - (m < 0 ? 1 : u.aval.shape[d.updateWindowDims[m]])
      }))
      const s = shaped([], o.dtype)
      const region = b.region([s, s], (r, [a, c]) => [r.op('stablehlo.add', [a, c], s)])
      return b.opN('stablehlo.scatter', [x, idx, u], [o],
        `scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = ${dims(d.updateWindowDims)}, inserted_window_dims = ${dims(d.insertedWindowDims)}, ` +
          `input_batching_dims = ${dims(d.operandBatchingDims)}, scatter_indices_batching_dims = ${dims(d.scatterIndicesBatchingDims)}, ` +
          `scatter_dims_to_operand_dims = ${dims(d.scatterDimsToOperandDims)}, index_vector_dim = ${ints([idx.aval.shape.length - 1])}>, ` +
          `indices_are_sorted = false, unique_indices = false`, [region])
    },
  },
  iota: { lower: (b, _i, p, [o]) => [b.op('stablehlo.iota', [], o, `iota_dimension = ${i64(p.dimension)}`)] },
  cumsum: { refuse: NOT_CURATED },
  sort: { refuse: NOT_CURATED },
  cholesky: { lower: (b, [a], _p, [o]) => [b.op('stablehlo.cholesky', [a], o, 'lower = true')] },
  triangular_solve: {
    lower: (b, [a, x], p, [o]) => [b.op('stablehlo.triangular_solve', [a, x], o,
      `left_side = ${String(p.leftSide)}, lower = ${String(p.lower)}, unit_diagonal = ${String(p.unitDiagonal)}, ` +
        `transpose_a = #stablehlo<transpose ${p.transposeA ? 'TRANSPOSE' : 'NO_TRANSPOSE'}>`)],
  },
  lu: { refuse: 'StableHLO has no LU operation (XLA runs it as a custom call)' },
  jit: { lower: (b, ins, p, _o, sub) => inline(b, ins, p.jaxpr, sub) },
  // the solver's own program computes the value (its derivative rules are not needed)
  custom_linear_solve: { lower: (b, ins, p, _o, sub) => inline(b, solveInputs(ins, p.numConsts, 2), p.solveJaxpr, sub) },
  custom_root: { lower: (b, ins, p, _o, sub) => inline(b, solveInputs(ins, p.numConsts, 1), p.solveJaxpr, sub) },
  debug_callback: { refuse: 'a host callback (debug.print / debug.callback) runs JavaScript, which an exported program cannot call' },
  eigh: { refuse: DECOMP },
  svd: { refuse: DECOMP },
  qr: { refuse: DECOMP },
  conv_general_dilated: { refuse: WINDOWS },
  reduce_window_sum: { refuse: WINDOWS },
  reduce_window_max: { refuse: WINDOWS },
  reduce_window_min: { refuse: WINDOWS },
  checkpoint: { lower: (b, ins, p, _o, sub) => inline(b, ins, p.jaxpr, sub) },
  custom_jvp_call: { lower: (b, ins, p, _o, sub) => inline(b, ins, p.jaxpr, sub) },
  custom_vjp_call: {
    lower: (b, ins, p, _o, sub) => inline(b, [...ins.slice(0, p.numConsts), ...ins.slice(p.numConsts + p.fwdNumConsts + p.bwdNumConsts)], p.jaxpr, sub),
  },
  custom_vjp_lin: { refuse: 'it is the linear map of a customVjp function that exists only to be transposed; export grad/vjp of the function instead' },
  cond: {
    // stablehlo.case runs the last branch for an out-of-range index; leibniz clamps, so clamp first.
    lower: (b, [index, ...ops], p, outs, sub) => {
      const n = p.branches.length
      const idx = b.op('stablehlo.clamp', [scalarOf(b, 0, 'int32'), index, scalarOf(b, n - 1, 'int32')], index.aval)
      const regions = p.branches.map((j) => b.region([], (r) => sub(r, j, ops)))
      return b.opN('stablehlo.case', [idx], outs, '', regions)
    },
  },
  while: {
    // The constants ride along as loop-carried values, so the regions capture nothing.
    lower: (b, ins, p, _outs, sub) => {
      const nc = p.condNumConsts
      const nb = p.bodyNumConsts
      const avals = ins.map((v) => v.aval)
      const cond = b.region(avals, (r, a) => sub(r, p.condJaxpr, [...a.slice(0, nc), ...a.slice(nc + nb)]))
      const body = b.region(avals, (r, a) => [...a.slice(0, nc + nb), ...sub(r, p.bodyJaxpr, [...a.slice(nc, nc + nb), ...a.slice(nc + nb)])])
      return b.opN('stablehlo.while', ins, avals, '', [cond, body]).slice(nc + nb)
    },
  },
  scan: {
    // A while loop over (i, consts, carry, xs, ys): step t reads xs[t] by dynamic_slice and
    // writes ys[t] by dynamic_update_slice (t = length − 1 − i when reversed).
    lower: (b, ins, p, outs, sub) => {
      const { numConsts: nk, numCarry: nc, length } = p
      const i32 = shaped([], 'int32')
      const ysAvals = outs.slice(nc)
      const ys0 = ysAvals.map((a) => b.op('stablehlo.broadcast_in_dim', [scalarOf(b, 0, a.dtype)], a, `broadcast_dimensions = ${i64Array([])}`))
      const init = [scalarOf(b, 0, 'int32'), ...ins, ...ys0]
      const avals = init.map((v) => v.aval)
      const cond = b.region(avals, (r, [i]) => [r.op('stablehlo.compare', [i, scalarOf(r, length, 'int32')], shaped([], 'bool'),
        'comparison_direction = #stablehlo<comparison_direction LT>, compare_type = #stablehlo<comparison_type SIGNED>')])
      const body = b.region(avals, (r, a) => {
        const [i, ...rest] = a
        const consts = rest.slice(0, nk)
        const carry = rest.slice(nk, nk + nc)
        const xs = rest.slice(nk + nc, ins.length)
        const ys = rest.slice(ins.length)
        const t = p.reverse ? r.op('stablehlo.subtract', [scalarOf(r, length - 1, 'int32'), i], i32) : i
        const zero = scalarOf(r, 0, 'int32')
        const xt = xs.map((x) => {
          const s = x.aval.shape
          const slab = r.op('stablehlo.dynamic_slice', [x, t, ...s.slice(1).map(() => zero)], shaped([1, ...s.slice(1)], x.aval.dtype), `slice_sizes = ${i64Array([1, ...s.slice(1)])}`)
          return r.op('stablehlo.reshape', [slab], shaped(s.slice(1), x.aval.dtype))
        })
        const res = sub(r, p.jaxpr, [...consts, ...carry, ...xt])
        const ysNext = ys.map((y, k) => {
          const yt = res[nc + k]
          const slab = r.op('stablehlo.reshape', [yt], shaped([1, ...yt.aval.shape], yt.aval.dtype))
          return r.op('stablehlo.dynamic_update_slice', [y, slab, t, ...yt.aval.shape.map(() => zero)], y.aval)
        })
        const iNext = r.op('stablehlo.add', [i, scalarOf(r, 1, 'int32')], i32)
        return [iNext, ...consts, ...res.slice(0, nc), ...xs, ...ysNext]
      })
      const all = b.opN('stablehlo.while', init, avals, '', [cond, body])
      return [...all.slice(1 + nk, 1 + nk + nc), ...all.slice(1 + ins.length)]
    },
  },
}

/** The primitives that lower to StableHLO and those refused (with the reason). */
export const stablehloCoverage = (): { readonly exported: readonly PrimName[]; readonly refused: ReadonlyMap<PrimName, string> } => {
  const exported: PrimName[] = []
  const refused = new Map<PrimName, string>()
  for (const [prim, entry] of Object.entries(SHLO_TABLE) as [PrimName, ShloEntry<PrimName>][]) {
    if ('refuse' in entry) refused.set(prim, entry.refuse)
    else exported.push(prim)
  }
  return { exported, refused }
}
