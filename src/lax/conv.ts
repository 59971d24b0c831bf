/**
 * lax: convolutions — `convGeneralDilated` (XLA's ConvGeneralDilated, as `jax.lax`), `conv`,
 * `convWithGeneralPadding`, `convTranspose` — and the argument forms JAX accepts: padding as
 * explicit (lo, hi) pairs or 'SAME' / 'SAME_LOWER' / 'VALID'; dimension numbers as layout
 * strings (['NHWC', 'HWIO', 'NHWC']) or as { lhsSpec, rhsSpec, outSpec } axis lists.
 */
import { ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import type { DType } from '../ir/dtypes'
import type { ConvDimensionNumbers, ConvParams } from '../ir/params'
import { convGeneralDilatedP, defaultConvDims, dilateDim, flipAxes } from '../primitives/conv'
import { transpose } from '../primitives/shape'
import { asTracer } from '../primitives/util'

/** 'SAME' (extra padding after), 'SAME_LOWER' (extra padding before), 'VALID' (none). */
export type PaddingType = 'SAME' | 'SAME_LOWER' | 'VALID'
/** A padding type, or one (lo, hi) pair per spatial axis. */
export type Padding = PaddingType | ReadonlyArray<readonly [number, number]>
/** Layout strings (lhs, rhs, out): 'N' batch, 'C' feature, 'O'/'I' kernel output/input
 *  feature, any other letter a spatial axis matched by letter — or the axis lists. */
export type ConvDimensionNumbersLike = readonly [string, string, string] | ConvDimensionNumberLists

/** Dimension numbers as axis lists: `lhsSpec` (batch, feature, spatial…), `rhsSpec` (output
 *  feature, input feature, spatial…), `outSpec` (batch, feature, spatial…). */
export interface ConvDimensionNumberLists {
  readonly lhsSpec: readonly number[]
  readonly rhsSpec: readonly number[]
  readonly outSpec: readonly number[]
}

export interface ConvGeneralDilatedOptions {
  readonly lhsDilation?: readonly number[] | null
  readonly rhsDilation?: readonly number[] | null
  readonly dimensionNumbers?: ConvDimensionNumbersLike | null
  readonly featureGroupCount?: number
  readonly batchGroupCount?: number
  /** Accepted for JAX compatibility; every product is computed at the operands' precision. */
  readonly precision?: unknown
  readonly preferredElementType?: DType | null
}

/**
 * Explicit (lo, hi) pairs for a padding type (JAX's padtype_to_pads): with 'SAME', each output
 * covers ⌈n / stride⌉ positions and the padding needed is split evenly, the odd one after
 * ('SAME_LOWER': before).
 */
export const padtypeToPads = (inShape: readonly number[], windowShape: readonly number[], strides: readonly number[], padding: Padding, op: string): [number, number][] => {
  if (typeof padding !== 'string') {
    if (!Array.isArray(padding) || padding.length !== inShape.length || !padding.every((q) => Array.isArray(q) && q.length === 2 && q.every(Number.isSafeInteger))) {
      throw new ValueError(`${op}: padding must be 'SAME', 'SAME_LOWER', 'VALID' or ${inShape.length} pairs [lo, hi] of integers, got ${JSON.stringify(padding)}`)
    }
    return padding.map((q) => [q[0], q[1]])
  }
  if (padding === 'VALID') return inShape.map(() => [0, 0])
  if (padding !== 'SAME' && padding !== 'SAME_LOWER') {
    throw new ValueError(`${op}: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a list of [lo, hi] pairs, got ${JSON.stringify(String(padding).slice(0, 20))}`)
  }
  return inShape.map((n, d) => {
    const out = Math.ceil(n / strides[d])
    const total = Math.max(0, (out - 1) * strides[d] + windowShape[d] - n)
    const small = Math.floor(total / 2)
    return padding === 'SAME' ? [small, total - small] : [total - small, small]
  })
}

/** Dimension numbers as axis lists (JAX's conv_dimension_numbers / conv_general_permutations). */
export const convDimensionNumbers = (nd: number, dn: ConvDimensionNumbersLike | null | undefined, op: string): ConvDimensionNumbers => {
  if (dn === null || dn === undefined) return defaultConvDims(nd)
  if (!Array.isArray(dn)) return dn as ConvDimensionNumbers
  const [l, r, o] = dn as readonly string[]
  const form = `three layout strings of length ${nd}, e.g. ['NHWC', 'HWIO', 'NHWC']`
  if (dn.length !== 3 || ![l, r, o].every((s) => typeof s === 'string' && s.length === nd && new Set(s).size === nd)) {
    throw new ValueError(`${op}: dimensionNumbers must be ${form}, got ${JSON.stringify(dn)}`)
  }
  const need = (s: string, a: string, b: string, which: string) => {
    if (!s.includes(a) || !s.includes(b)) throw new ValueError(`${op}: the ${which} layout ${JSON.stringify(s)} must contain '${a}' and '${b}' (${form})`)
  }
  need(l, 'N', 'C', 'lhs')
  need(r, 'O', 'I', 'rhs')
  need(o, 'N', 'C', 'out')
  const spatial = [...r].filter((c) => c !== 'O' && c !== 'I')
  const spec = (s: string, a: string, b: string, which: string): number[] => {
    const sp = spatial.map((c) => s.indexOf(c))
    if (sp.some((i) => i < 0 || s[i] === a || s[i] === b)) {
      throw new ValueError(`${op}: the ${which} layout ${JSON.stringify(s)} must name the spatial axes ${JSON.stringify(spatial.join(''))} of the kernel layout`)
    }
    return [s.indexOf(a), s.indexOf(b), ...sp]
  }
  return { lhsSpec: spec(l, 'N', 'C', 'lhs'), rhsSpec: spec(r, 'O', 'I', 'rhs'), outSpec: spec(o, 'N', 'C', 'out') }
}

const ones = (n: number): number[] => Array<number>(n).fill(1)

/**
 * General dilated convolution (`jax.lax.conv_general_dilated`): `lhs` [N, C, spatial…] and
 * `rhs` [O, I, spatial…] in the layouts the dimension numbers name (default: those).
 */
export const convGeneralDilated = (
  lhs: Tracer,
  rhs: Tracer,
  windowStrides: readonly number[],
  padding: Padding,
  opts: ConvGeneralDilatedOptions = {},
): Tracer => {
  const op = 'lax.convGeneralDilated'
  const [x, w] = [asTracer(lhs), asTracer(rhs)]
  const nd = x.ndim
  const ns = Math.max(nd - 2, 0)
  const dn = convDimensionNumbers(nd, opts.dimensionNumbers, op)
  const rhsDilation = opts.rhsDilation ?? ones(ns)
  if (!Array.isArray(windowStrides) || windowStrides.length !== ns) {
    throw new ValueError(`${op}: windowStrides must list ${ns} integers (one per spatial axis of lhs [${x.shape.join(', ')}]), got ${JSON.stringify(windowStrides)}`)
  }
  let pads: [number, number][]
  if (typeof padding === 'string') {
    const rhsSp = Array.isArray(dn.rhsSpec) ? dn.rhsSpec.slice(2).map((d) => w.shape[d]) : []
    const lhsSp = Array.isArray(dn.lhsSpec) ? dn.lhsSpec.slice(2).map((d) => x.shape[d]) : []
    pads = padtypeToPads(lhsSp, rhsSp.map((k, d) => dilateDim(k, rhsDilation[d] ?? 1)), windowStrides, padding, op)
  } else pads = padtypeToPads(ones(ns), ones(ns), ones(ns), padding, op)
  const p: ConvParams = {
    windowStrides: [...windowStrides],
    padding: pads,
    lhsDilation: [...(opts.lhsDilation ?? ones(ns))],
    rhsDilation: [...rhsDilation],
    dimensionNumbers: { lhsSpec: [...dn.lhsSpec], rhsSpec: [...dn.rhsSpec], outSpec: [...dn.outSpec] },
    featureGroupCount: opts.featureGroupCount ?? 1,
    batchGroupCount: opts.batchGroupCount ?? 1,
    preferredElementType: opts.preferredElementType ?? null,
  }
  return convGeneralDilatedP(x, w, p)
}

/** `jax.lax.conv`: NC… input, OI… kernel, no dilation. */
export const conv = (
  lhs: Tracer,
  rhs: Tracer,
  windowStrides: readonly number[],
  padding: Padding,
  opts: { readonly precision?: unknown; readonly preferredElementType?: DType | null } = {},
): Tracer => convGeneralDilated(lhs, rhs, windowStrides, padding, opts)

/** `jax.lax.conv_with_general_padding`: NC… input, OI… kernel, with dilations. */
export const convWithGeneralPadding = (
  lhs: Tracer,
  rhs: Tracer,
  windowStrides: readonly number[],
  padding: Padding,
  lhsDilation?: readonly number[] | null,
  rhsDilation?: readonly number[] | null,
  opts: { readonly precision?: unknown; readonly preferredElementType?: DType | null } = {},
): Tracer => convGeneralDilated(lhs, rhs, windowStrides, padding, { ...opts, lhsDilation, rhsDilation })

export interface ConvTransposeOptions {
  readonly rhsDilation?: readonly number[] | null
  readonly dimensionNumbers?: ConvDimensionNumbersLike | null
  /** Flip the kernel in space and swap its feature axes: the gradient of `convGeneralDilated`
   *  with respect to its input (as `jax.lax.conv_transpose(transpose_kernel=True)`). */
  readonly transposeKernel?: boolean
  readonly precision?: unknown
  readonly preferredElementType?: DType | null
}

/** Padding of a transposed convolution for 'SAME' / 'VALID' (JAX's _conv_transpose_padding). */
const convTransposePadding = (k: number, s: number, padding: PaddingType, op: string): [number, number] => {
  let len: number
  let a: number
  if (padding === 'SAME') {
    len = k + s - 2
    a = s > k - 1 ? k - 1 : Math.ceil(len / 2)
  } else if (padding === 'VALID') {
    len = k + s - 2 + Math.max(k - s, 0)
    a = k - 1
  } else throw new ValueError(`${op}: padding must be 'SAME', 'VALID' or a list of [lo, hi] pairs, got ${JSON.stringify(padding)}`)
  return [a, len - a]
}

const TRANSPOSE_LAYOUTS: Readonly<Record<number, readonly [string, string, string]>> = {
  2: ['NC', 'IO', 'NC'], 3: ['NHC', 'HIO', 'NHC'], 4: ['NHWC', 'HWIO', 'NHWC'], 5: ['NHWDC', 'HWDIO', 'NHWDC'],
}

/**
 * Transposed convolution (`jax.lax.conv_transpose`): the lhs dilated by `strides`, default
 * layouts channel-last (NHWC / HWIO), padding 'SAME' / 'VALID' chosen so the output grows by
 * the strides (or explicit pairs).
 */
export const convTranspose = (lhs: Tracer, rhs: Tracer, strides: readonly number[], padding: Padding, opts: ConvTransposeOptions = {}): Tracer => {
  const op = 'lax.convTranspose'
  const [x, w0] = [asTracer(lhs), asTracer(rhs)]
  const nd = x.ndim
  const layouts = opts.dimensionNumbers ?? TRANSPOSE_LAYOUTS[nd]
  if (layouts === undefined) throw new ValueError(`${op}: no default layout for rank ${nd}; pass dimensionNumbers`)
  const dn = convDimensionNumbers(nd, layouts, op)
  const ns = nd - 2
  const rhsDilation = opts.rhsDilation ?? ones(ns)
  const kSp = dn.rhsSpec.slice(2).map((d) => w0.shape[d])
  const pads = typeof padding === 'string'
    ? kSp.map((k, d) => convTransposePadding(dilateDim(k, rhsDilation[d]), strides[d], padding, op))
    : padding
  let w = w0
  if (opts.transposeKernel === true) {
    w = flipAxes(w, dn.rhsSpec.slice(2))
    const perm = [...Array(nd).keys()]
    ;[perm[dn.rhsSpec[0]], perm[dn.rhsSpec[1]]] = [perm[dn.rhsSpec[1]], perm[dn.rhsSpec[0]]]
    w = transpose(w, perm)
  }
  return convGeneralDilated(x, w, ones(ns), pads, {
    lhsDilation: strides, rhsDilation, dimensionNumbers: dn, preferredElementType: opts.preferredElementType,
  })
}
