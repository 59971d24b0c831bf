/**
 * Primitives layer: `dot_general`, XLA's general tensor contraction. Contract
 * `lhsContracting[i]` with `rhsContracting[i]`, batch `lhsBatch[i]` with `rhsBatch[i]`; the
 * output axes are the batch axes, then the lhs free axes, then the rhs free axes (each in
 * increasing axis order). Bilinear: its jvp is the product rule and it transposes in each
 * operand (the other one fixed) to another dot_general followed by a transpose.
 */
import type { ConcreteArray } from '../core/array'
import { AxisError, DTypeError, NonLinearError, ShapeError } from '../core/errors'
import { type BDim, type RuleTable, type Tangent, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr, shaped, sizeOf, stridesOf } from '../ir/aval'
import { type DType, type TypedArray, allocate, isBool, isDType, isFloat, isInt } from '../ir/dtypes'
import type { DotDimensionNumbers } from '../ir/params'
import { addTangents } from './binary'
import { convertElementType, inversePermutation, transpose } from './shape'
import { axisList, makeArray, stridedCopy } from './util'

type DotParams = { readonly dimensionNumbers: DotDimensionNumbers; readonly preferredElementType: DType | null }

// ---- wrappers ----------------------------------------------------------------------------

const DOT_FORM = '{ lhsContracting, rhsContracting, lhsBatch?, rhsBatch? } (lists of axes)'

export const dotGeneral = (
  lhs: Tracer,
  rhs: Tracer,
  dimensionNumbers: DotDimensionNumbers,
  preferredElementType: DType | null = null,
): Tracer =>
  bind1('dot_general', [lhs, rhs], {
    dimensionNumbers: {
      lhsContracting: axisList(dimensionNumbers, 'lhsContracting', 'lax.dotGeneral', DOT_FORM),
      rhsContracting: axisList(dimensionNumbers, 'rhsContracting', 'lax.dotGeneral', DOT_FORM),
      lhsBatch: axisList(dimensionNumbers, 'lhsBatch', 'lax.dotGeneral', DOT_FORM, true),
      rhsBatch: axisList(dimensionNumbers, 'rhsBatch', 'lax.dotGeneral', DOT_FORM, true),
    },
    preferredElementType,
  })

// ---- abstract eval -----------------------------------------------------------------------

const OP = 'dot_general'

/** The axes of an operand that are neither contracted nor batched, in increasing order. */
const freeAxes = (ndim: number, contracting: readonly number[], batch: readonly number[]): number[] =>
  [...Array(ndim).keys()].filter((d) => !contracting.includes(d) && !batch.includes(d))

const dnStr = (dn: DotDimensionNumbers): string =>
  `contracting (${dn.lhsContracting.join(',')})·(${dn.rhsContracting.join(',')}), batch (${dn.lhsBatch.join(',')})·(${dn.rhsBatch.join(',')})`

const checkAxes = (a: ShapedArray, axes: readonly number[], side: string, dn: DotDimensionNumbers): void => {
  for (const d of axes) {
    if (!Number.isInteger(d) || d < 0 || d >= a.shape.length) {
      throw new AxisError(`${OP}: ${side} axis ${d} is out of range for ${avalStr(a)} (${dnStr(dn)}); axes must be in 0 … ${a.shape.length - 1}`)
    }
  }
  if (new Set(axes).size !== axes.length) {
    throw new AxisError(`${OP}: ${side} axes repeat in ${dnStr(dn)} for ${avalStr(a)}; each axis may be contracted or batched once`)
  }
}

const dotAval = (lhs: ShapedArray, rhs: ShapedArray, p: DotParams): ShapedArray => {
  const dn = p.dimensionNumbers
  const { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb } = dn
  const operands = `${avalStr(lhs)} · ${avalStr(rhs)}`
  if (lhs.dtype !== rhs.dtype) {
    throw new DTypeError(`${OP}: operand dtypes must be equal, got ${operands}; convert one first (x.astype('${lhs.dtype}'))`)
  }
  if (isBool(lhs.dtype)) throw new DTypeError(`${OP} needs numeric operands, got ${operands}; convert bools first (x.astype('int32'))`)
  const pe = p.preferredElementType
  if (pe !== null) {
    if (!isDType(pe) || isBool(pe)) throw new DTypeError(`${OP}: preferredElementType must be a numeric dtype or null, got ${String(pe)}`)
    if (isFloat(lhs.dtype) && isInt(pe)) {
      throw new DTypeError(`${OP}: preferredElementType ${pe} cannot hold the product of float operands ${operands}; use a float dtype or null`)
    }
  }
  if (lc.length !== rc.length) {
    throw new ShapeError(`${OP}: lhsContracting and rhsContracting must have equal lengths, got ${dnStr(dn)} for ${operands}`)
  }
  if (lb.length !== rb.length) {
    throw new ShapeError(`${OP}: lhsBatch and rhsBatch must have equal lengths, got ${dnStr(dn)} for ${operands}`)
  }
  checkAxes(lhs, [...lc, ...lb], 'lhs', dn)
  checkAxes(rhs, [...rc, ...rb], 'rhs', dn)
  lc.forEach((d, i) => {
    if (lhs.shape[d] !== rhs.shape[rc[i]]) {
      throw new ShapeError(`${OP}: contracting axis ${d} of lhs (size ${lhs.shape[d]}) and axis ${rc[i]} of rhs (size ${rhs.shape[rc[i]]}) differ, for ${operands} (${dnStr(dn)})`)
    }
  })
  lb.forEach((d, i) => {
    if (lhs.shape[d] !== rhs.shape[rb[i]]) {
      throw new ShapeError(`${OP}: batch axis ${d} of lhs (size ${lhs.shape[d]}) and axis ${rb[i]} of rhs (size ${rhs.shape[rb[i]]}) differ, for ${operands} (${dnStr(dn)})`)
    }
  })
  const shape = [
    ...lb.map((d) => lhs.shape[d]),
    ...freeAxes(lhs.shape.length, lc, lb).map((d) => lhs.shape[d]),
    ...freeAxes(rhs.shape.length, rc, rb).map((d) => rhs.shape[d]),
  ]
  return shaped(shape, pe ?? lhs.dtype, pe === null && lhs.weakType && rhs.weakType)
}

// ---- impl --------------------------------------------------------------------------------

/** The data of `x` with its axes permuted to `perm`, contiguous (no copy if already so). */
const permuted = (x: ConcreteArray, perm: readonly number[]): TypedArray => {
  if (perm.every((q, i) => q === i)) return x.data
  const st = stridesOf(x.shape)
  return stridedCopy(x.data, 0, perm.map((q) => st[q]), perm.map((q) => x.shape[q]), allocate(x.dtype, x.size))
}

/**
 * out[b, i, j] = Σ_k a[b, i, k] · c[b, k, j] with a: [B, M, K], c: [B, K, N] contiguous.
 * i-k-j order, four rows of `a` at a time (each row of `c` is loaded once per four output
 * rows), accumulating in float64; the store into `dst` rounds (float32) or casts.
 */
const matmulF64 = (a: TypedArray, c: TypedArray, dst: TypedArray, B: number, M: number, K: number, N: number): void => {
  const acc = new Float64Array(4 * N)
  for (let bi = 0; bi < B; bi++) {
    const aBase = bi * M * K
    const cBase = bi * K * N
    const oBase = bi * M * N
    let i = 0
    for (; i + 4 <= M; i += 4) {
      acc.fill(0)
      const a0 = aBase + i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K
      for (let k = 0; k < K; k++) {
        const v0 = a[a0 + k], v1 = a[a1 + k], v2 = a[a2 + k], v3 = a[a3 + k]
        const row = cBase + k * N
        for (let j = 0; j < N; j++) {
          const w = c[row + j]
          acc[j] += v0 * w
          acc[N + j] += v1 * w
          acc[2 * N + j] += v2 * w
          acc[3 * N + j] += v3 * w
        }
      }
      const o = oBase + i * N
      for (let j = 0; j < 4 * N; j++) dst[o + j] = acc[j]
    }
    for (; i < M; i++) {
      acc.fill(0, 0, N)
      const a0 = aBase + i * K
      for (let k = 0; k < K; k++) {
        const v0 = a[a0 + k]
        const row = cBase + k * N
        for (let j = 0; j < N; j++) acc[j] += v0 * c[row + j]
      }
      const o = oBase + i * N
      for (let j = 0; j < N; j++) dst[o + j] = acc[j]
    }
  }
}

/** The same product in int32 arithmetic (wrapping, as XLA). */
const matmulI32 = (a: TypedArray, c: TypedArray, dst: TypedArray, B: number, M: number, K: number, N: number): void => {
  const acc = new Int32Array(N)
  for (let bi = 0; bi < B; bi++) {
    for (let i = 0; i < M; i++) {
      acc.fill(0)
      const a0 = (bi * M + i) * K
      for (let k = 0; k < K; k++) {
        const v = a[a0 + k]
        const row = (bi * K + k) * N
        for (let j = 0; j < N; j++) acc[j] = (acc[j] + Math.imul(v, c[row + j])) | 0
      }
      dst.set(acc, (bi * M + i) * N)
    }
  }
}

const dotImpl = (x: ConcreteArray, y: ConcreteArray, p: DotParams): ConcreteArray => {
  const out = dotAval(x.aval, y.aval, p)
  const { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb } = p.dimensionNumbers
  const lf = freeAxes(x.ndim, lc, lb)
  const rf = freeAxes(y.ndim, rc, rb)
  const size = (s: readonly number[], axes: readonly number[]) => sizeOf(axes.map((d) => s[d]))
  const [B, M, K, N] = [size(x.shape, lb), size(x.shape, lf), size(x.shape, lc), size(y.shape, rf)]
  const dst = allocate(out.dtype, B * M * N)
  if (dst.length > 0 && K > 0) {
    const a = permuted(x, [...lb, ...lf, ...lc])
    const c = permuted(y, [...rb, ...rc, ...rf])
    if (isInt(x.dtype) && isInt(out.dtype)) matmulI32(a, c, dst, B, M, K, N)
    else matmulF64(a, c, dst, B, M, K, N)
  }
  return makeArray(dst, out)
}

// ---- jvp ---------------------------------------------------------------------------------

// d(x·y) = dx·y + x·dy
const dotJvp: RuleTable['dot_general']['jvp'] = ([x, y], [dx, dy], p) => {
  const z = dotGeneral(x, y, p.dimensionNumbers, p.preferredElementType)
  const tx: Tangent = isZero(dx) ? new Zero(z.aval) : dotGeneral(dx, y, p.dimensionNumbers, p.preferredElementType)
  const ty: Tangent = isZero(dy) ? new Zero(z.aval) : dotGeneral(x, dy, p.dimensionNumbers, p.preferredElementType)
  return [[z], [addTangents(tx, ty)]]
}

// ---- transpose ---------------------------------------------------------------------------

/** Convert `x` to the dtype and weak type of `aval` if it differs. */
const castTo = (x: Tracer, aval: ShapedArray): Tracer =>
  x.dtype === aval.dtype && x.weakType === aval.weakType ? x : convertElementType(x, aval.dtype, aval.weakType)

/** `transpose(x, perm)`, or `x` itself when `perm` is the identity (no copy). */
const permuteIfNeeded = (x: Tracer, perm: readonly number[]): Tracer =>
  perm.every((q, i) => q === i) ? x : transpose(x, perm)

/**
 * Cotangent of the lhs `x` of z = dot(x, y): contract ct's y-free axes with y's free axes,
 * batch ct's batch axes with y's batch axes. The result's axes are x's batch axes, x's free
 * axes, then x's contracting axes ordered as y's contracting axes are (y's remaining axes
 * come out in increasing order); a transpose puts them back in x's order.
 */
const transposeLhs = (ct: Tracer, xAval: ShapedArray, y: Tracer, dn: DotDimensionNumbers): Tracer => {
  const { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb } = dn
  const nb = lb.length
  const nxFree = freeAxes(xAval.shape.length, lc, lb).length
  const yFree = freeAxes(y.ndim, rc, rb)
  const ctYFree = yFree.map((_, i) => nb + nxFree + i)
  const ctBatch = lb.map((_, i) => i)
  const yc = y.dtype === ct.dtype ? y : convertElementType(y, ct.dtype)
  const r = dotGeneral(ct, yc, { lhsContracting: ctYFree, rhsContracting: yFree, lhsBatch: ctBatch, rhsBatch: rb })
  // y's contracting axes in increasing order, mapped to the x axes they were contracted with.
  const order = [...rc.keys()].sort((i, j) => rc[i] - rc[j])
  const axesOfR = [...lb, ...freeAxes(xAval.shape.length, lc, lb), ...order.map((i) => lc[i])]
  return castTo(permuteIfNeeded(r, inversePermutation(axesOfR)), xAval)
}

/** Cotangent of the rhs `y`: the mirror image (ct's x-free axes are contracted with x). */
const transposeRhs = (ct: Tracer, x: Tracer, yAval: ShapedArray, dn: DotDimensionNumbers): Tracer => {
  const { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb } = dn
  const nb = lb.length
  const xFree = freeAxes(x.ndim, lc, lb)
  const ctXFree = xFree.map((_, i) => nb + i)
  const ctBatch = lb.map((_, i) => i)
  const xc = x.dtype === ct.dtype ? x : convertElementType(x, ct.dtype)
  // r: [batch, y free, x's contracting axes in increasing order]
  const r = dotGeneral(ct, xc, { lhsContracting: ctXFree, rhsContracting: xFree, lhsBatch: ctBatch, rhsBatch: lb })
  const order = [...lc.keys()].sort((i, j) => lc[i] - lc[j])
  const axesOfR = [...rb, ...freeAxes(yAval.shape.length, rc, rb), ...order.map((i) => rc[i])]
  return castTo(permuteIfNeeded(r, inversePermutation(axesOfR)), yAval)
}

// ct_x = ct ·_y yᵀ (then permuted to x's axes); ct_y = xᵀ ·_x ct (likewise)
const dotTranspose: RuleTable['dot_general']['transpose'] = ([ct], [x, y], p) => {
  if (isUndef(x) && isUndef(y)) throw new NonLinearError(`${OP} of two values that both depend on the input is not linear (transpose of ${OP} with both operands linear)`)
  if (isUndef(x)) return [isZero(ct) ? new Zero(x.aval) : transposeLhs(ct, x.aval, y as Tracer, p.dimensionNumbers), null]
  if (isUndef(y)) return [null, isZero(ct) ? new Zero(y.aval) : transposeRhs(ct, x, y.aval, p.dimensionNumbers)]
  throw new Error(`internal: transpose of ${OP} with no linear operand`)
}

// ---- batch -------------------------------------------------------------------------------

/** Renumber the axes of an unbatched operand for its batched version (batch axis at `b`). */
const shift = (axes: readonly number[], b: number): number[] => axes.map((d) => (d >= b ? d + 1 : d))

/**
 * Both operands batched: the batch axes become a new leading batch pair (output axis 0).
 * One batched: its batch axis becomes a free axis; the output bdim is where it lands.
 */
const dotBatch: RuleTable['dot_general']['batch'] = (_n, [x, y], [bx, by], p) => {
  const { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb } = p.dimensionNumbers
  const pe = p.preferredElementType
  if (bx !== null && by !== null) {
    const dn = { lhsContracting: shift(lc, bx), rhsContracting: shift(rc, by), lhsBatch: [bx, ...shift(lb, bx)], rhsBatch: [by, ...shift(rb, by)] }
    return [[dotGeneral(x, y, dn, pe)], [0]]
  }
  if (bx !== null) {
    const dn = { lhsContracting: shift(lc, bx), rhsContracting: rc, lhsBatch: shift(lb, bx), rhsBatch: rb }
    const free = freeAxes(x.ndim, dn.lhsContracting, dn.lhsBatch)
    return [[dotGeneral(x, y, dn, pe)], [lb.length + free.indexOf(bx)]]
  }
  if (by !== null) {
    const dn = { lhsContracting: lc, rhsContracting: shift(rc, by), lhsBatch: lb, rhsBatch: shift(rb, by) }
    const free = freeAxes(y.ndim, dn.rhsContracting, dn.rhsBatch)
    return [[dotGeneral(x, y, dn, pe)], [lb.length + freeAxes(x.ndim, lc, lb).length + free.indexOf(by)]]
  }
  return [[dotGeneral(x, y, p.dimensionNumbers, pe)], [null as BDim]]
}

// ---- the rules ---------------------------------------------------------------------------

export const dotRules: Pick<RuleTable, 'dot_general'> = {
  dot_general: {
    abstractEval: ([lhs, rhs], p) => [dotAval(lhs, rhs, p)],
    impl: ([x, y], p) => [dotImpl(x, y, p)],
    jvp: dotJvp,
    transpose: dotTranspose,
    batch: dotBatch,
  },
}
