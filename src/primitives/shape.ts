/**
 * Primitives layer: structural primitives — broadcast_in_dim, reshape, transpose, squeeze,
 * convert_element_type, select_n, iota. All but iota and select_n's predicate are linear.
 */
import { ConcreteArray } from '../core/array'
import { coord, op } from '../ir/scalar'
import { AxisError, DTypeError, ShapeError, ValueError } from '../core/errors'
import { type BDim, type RuleTable, Zero, isUndef, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type Shape, type ShapedArray, avalStr, shapeEq, shapeStr, shaped, sizeOf, stridesOf } from '../ir/aval'
import { type DType, allocate, castScalar, isDType, isFloat, isInt } from '../ir/dtypes'
import {
  checkShape, elementwiseAval, instantiate, linearJvp, makeArray,
  moveAxis, normAxes, stridedCopy, unaryBatch, zeroJvp, zerosOf,
} from './util'

// ---- wrappers ----------------------------------------------------------------------------

export const broadcastInDim = (x: Tracer, shape: Shape, broadcastDimensions: readonly number[]): Tracer =>
  bind1('broadcast_in_dim', [x], { shape: [...shape], broadcastDimensions: [...broadcastDimensions] })
export const reshape = (x: Tracer, newSizes: Shape): Tracer => bind1('reshape', [x], { newSizes: [...newSizes] })
export const transpose = (x: Tracer, permutation: readonly number[]): Tracer =>
  bind1('transpose', [x], { permutation: [...permutation] })
export const squeeze = (x: Tracer, dimensions: readonly number[]): Tracer =>
  bind1('squeeze', [x], { dimensions: [...dimensions] })
export const convertElementType = (x: Tracer, newDtype: DType, weakType = false): Tracer =>
  bind1('convert_element_type', [x], { newDtype, weakType })
/** `select_n(which, ...cases)`: case `which` (bool: false → 0, true → 1; int32: an index). */
export const selectN = (which: Tracer, ...cases: Tracer[]): Tracer => bind1('select_n', [which, ...cases], {})
export const iota = (dtype: DType, shape: Shape, dimension: number): Tracer =>
  bind1('iota', [], { dtype, shape: [...shape], dimension })

// ---- broadcast_in_dim --------------------------------------------------------------------

const broadcastAval = (a: ShapedArray, p: { shape: Shape; broadcastDimensions: readonly number[] }): ShapedArray => {
  const op = 'broadcast_in_dim'
  checkShape(p.shape, op)
  const bd = p.broadcastDimensions
  if (bd.length !== a.shape.length) {
    throw new ShapeError(`${op}: broadcastDimensions (${bd.join(', ')}) must have one entry per operand axis of ${avalStr(a)}`)
  }
  bd.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d >= p.shape.length || (i > 0 && d <= bd[i - 1])) {
      throw new ShapeError(`${op}: broadcastDimensions (${bd.join(', ')}) must be increasing axes of the target ${shapeStr(p.shape)}`)
    }
    if (a.shape[i] !== 1 && a.shape[i] !== p.shape[d]) {
      throw new ShapeError(`${op}: cannot broadcast ${avalStr(a)} to ${shapeStr(p.shape)}: axis ${i} has size ${a.shape[i]}, target axis ${d} has size ${p.shape[d]}`)
    }
  })
  return shaped(p.shape, a.dtype, a.weakType)
}

const broadcastRules: RuleTable['broadcast_in_dim'] = {
  abstractEval: ([a], p) => [broadcastAval(a, p)],
  impl: ([x], p) => {
    const out = broadcastAval(x.aval, p)
    const inStrides = stridesOf(x.shape)
    const strides = p.shape.map(() => 0)
    p.broadcastDimensions.forEach((d, i) => (strides[d] = x.shape[i] === 1 ? 0 : inStrides[i]))
    return [makeArray(stridedCopy(x.data, 0, strides, p.shape, allocate(out.dtype, sizeOf(p.shape), p.shape)), out)]
  },
  jvp: linearJvp('broadcast_in_dim'),
  // ct of a broadcast: sum over the new axes and the size-1 axes that were expanded.
  transpose: ([ct], [x], p) => {
    if (isZero(ct)) return [ct]
    const inShape = (x as { aval: ShapedArray }).aval.shape
    const kept = new Set(p.broadcastDimensions)
    const sumAxes = p.shape.map((_, d) => d).filter((d) => !kept.has(d))
    const expanded = p.broadcastDimensions.filter((d, i) => inShape[i] === 1 && p.shape[d] !== 1)
    let r: Tracer = ct
    const axes = [...sumAxes, ...expanded].sort((a, b) => a - b)
    if (axes.length > 0) r = bind1('reduce_sum', [r], { axes })
    if (r.ndim !== inShape.length || r.shape.some((d, i) => d !== inShape[i])) r = reshape(r, inShape)
    return [r]
  },
  batch: (axisSize, [x], [b], p) => {
    const xb = moveAxis(x, b as number, 0)
    return [[broadcastInDim(xb, [axisSize, ...p.shape], [0, ...p.broadcastDimensions.map((d) => d + 1)])], [0]]
  },
}

// ---- reshape -----------------------------------------------------------------------------

const reshapeAval = (a: ShapedArray, newSizes: Shape): ShapedArray => {
  checkShape(newSizes, 'reshape')
  if (sizeOf(newSizes) !== sizeOf(a.shape)) {
    throw new ShapeError(`reshape: cannot reshape ${avalStr(a)} (${sizeOf(a.shape)} elements) to ${shapeStr(newSizes)} (${sizeOf(newSizes)} elements)`)
  }
  return shaped(newSizes, a.dtype, a.weakType)
}

const reshapeRules: RuleTable['reshape'] = {
  abstractEval: ([a], p) => [reshapeAval(a, p.newSizes)],
  impl: ([x], p) => [new ConcreteArray(x.data, reshapeAval(x.aval, p.newSizes).shape, x.dtype, x.weakType)],
  jvp: linearJvp('reshape'),
  transpose: ([ct], [x]) => [isZero(ct) ? ct : reshape(ct, (x as { aval: ShapedArray }).aval.shape)],
  batch: (axisSize, [x], [b], p) => [[reshape(moveAxis(x, b as number, 0), [axisSize, ...p.newSizes])], [0]],
}

// ---- transpose ---------------------------------------------------------------------------

const transposeAval = (a: ShapedArray, perm: readonly number[]): ShapedArray => {
  const n = a.shape.length
  const ok = perm.length === n && [...perm].sort((x, y) => x - y).every((v, i) => v === i)
  if (!ok) throw new AxisError(`transpose: permutation (${perm.join(', ')}) is not a permutation of the ${n} axes of ${avalStr(a)}`)
  return shaped(perm.map((p) => a.shape[p]), a.dtype, a.weakType)
}

export const inversePermutation = (perm: readonly number[]): number[] => {
  const inv = new Array<number>(perm.length)
  perm.forEach((p, i) => (inv[p] = i))
  return inv
}

const transposeRules: RuleTable['transpose'] = {
  abstractEval: ([a], p) => [transposeAval(a, p.permutation)],
  impl: ([x], p) => {
    const out = transposeAval(x.aval, p.permutation)
    const st = stridesOf(x.shape)
    return [makeArray(stridedCopy(x.data, 0, p.permutation.map((q) => st[q]), out.shape, allocate(out.dtype, x.size)), out)]
  },
  jvp: linearJvp('transpose'),
  transpose: ([ct], _x, p) => [isZero(ct) ? ct : transpose(ct, inversePermutation(p.permutation))],
  batch: (_n, [x], [b], p) => [[transpose(moveAxis(x, b as number, 0), [0, ...p.permutation.map((q) => q + 1)])], [0]],
}

// ---- squeeze -----------------------------------------------------------------------------

const squeezeAval = (a: ShapedArray, dims: readonly number[]): ShapedArray => {
  const ds = normAxes(dims, a.shape.length, 'squeeze')
  for (const d of ds) {
    if (a.shape[d] !== 1) throw new ShapeError(`squeeze: axis ${d} of ${avalStr(a)} has size ${a.shape[d]}, not 1`)
  }
  return shaped(a.shape.filter((_, i) => !ds.includes(i)), a.dtype, a.weakType)
}

const squeezeRules: RuleTable['squeeze'] = {
  abstractEval: ([a], p) => [squeezeAval(a, p.dimensions)],
  impl: ([x], p) => [new ConcreteArray(x.data, squeezeAval(x.aval, p.dimensions).shape, x.dtype, x.weakType)],
  jvp: linearJvp('squeeze'),
  transpose: ([ct], [x]) => [isZero(ct) ? ct : reshape(ct, (x as { aval: ShapedArray }).aval.shape)],
  batch: (_n, [x], [b], p) => {
    const dims = normAxes(p.dimensions, x.ndim - 1, 'squeeze').map((d) => d + 1)
    return [[squeeze(moveAxis(x, b as number, 0), dims)], [0]]
  },
}

// ---- convert_element_type ----------------------------------------------------------------

const convertAval = (a: ShapedArray, p: { newDtype: DType; weakType: boolean }): ShapedArray => {
  if (!isDType(p.newDtype)) throw new DTypeError(`convert_element_type: unknown dtype ${String(p.newDtype)}`)
  return shaped(a.shape, p.newDtype, p.weakType)
}

const convertRules: RuleTable['convert_element_type'] = {
  abstractEval: ([a], p) => [convertAval(a, p)],
  impl: ([x], p) => {
    const out = convertAval(x.aval, p)
    if (out.dtype === x.dtype) return [new ConcreteArray(x.data, out.shape, out.dtype, out.weakType)]
    const dst = allocate(out.dtype, x.size)
    const src = x.data
    // float → int32 rounds toward zero (NaN → 0); anything → bool is x ≠ 0.
    for (let i = 0; i < src.length; i++) dst[i] = castScalar(src[i], out.dtype)
    return [makeArray(dst, out)]
  },
  // Differentiable only between float dtypes; to or from int/bool the tangent is zero.
  jvp: ([x], [dx], p) => {
    const y = convertElementType(x, p.newDtype, p.weakType)
    if (isZero(dx) || !isFloat(x.dtype) || !isFloat(p.newDtype)) return [[y], [new Zero(y.aval)]]
    return [[y], [convertElementType(dx, p.newDtype, p.weakType)]]
  },
  transpose: ([ct], [x]) => {
    if (isZero(ct)) return [ct]
    const a = (x as { aval: ShapedArray }).aval
    return [convertElementType(ct, a.dtype, a.weakType)]
  },
  batch: unaryBatch('convert_element_type'),
  // castScalar per element: float → int32 truncates (NaN → 0), anything → bool is x ≠ 0.
  lower: ([x], p) => op('cast', [x], p.newDtype),
}


// ---- select_n ----------------------------------------------------------------------------

const selectAval = (avals: readonly ShapedArray[]): ShapedArray => {
  // (staged for every select: no destructuring or closures, which allocate in cold code)
  const which = avals[0]
  const cases = avals.slice(1)
  if (cases.length === 0) throw new ValueError('select_n: needs at least one case')
  if (which.dtype !== 'bool' && !isInt(which.dtype)) {
    throw new DTypeError(`select_n: the predicate must be bool or int32, got ${avalStr(which)}`)
  }
  if (which.dtype === 'bool' && cases.length > 2) {
    throw new DTypeError(`select_n: a bool predicate selects between at most 2 cases, got ${cases.length}`)
  }
  const c = elementwiseAval(cases, 'select_n')
  for (let i = 0; i < cases.length; i++) {
    if (cases[i].shape.length !== c.shape.length) {
      throw new ShapeError(`select_n: cases must have equal shapes, got ${cases.map(avalStr).join(', ')}`)
    }
  }
  if (which.shape.length !== 0 && !shapeEq(which.shape, c.shape)) {
    throw new ShapeError(`select_n: the predicate ${avalStr(which)} must be 0-d or have the cases' shape ${shapeStr(c.shape)}`)
  }
  return c
}

const selectRules: RuleTable['select_n'] = {
  abstractEval: (avals) => [selectAval(avals)],
  impl: (xs) => {
    const out = selectAval(xs.map((x) => x.aval))
    const [which, ...cases] = xs
    const n = sizeOf(out.shape)
    const dst = allocate(out.dtype, n)
    const w = which.data
    const ws = which.size === 1 && n !== 1 ? 0 : 1
    for (let i = 0; i < n; i++) {
      const k = w[i * ws]
      const c = cases[Math.min(Math.max(k, 0), cases.length - 1)].data
      dst[i] = c[c.length === 1 ? 0 : i]
    }
    return [makeArray(dst, out)]
  },
  // The selected case's tangent; the predicate has none.
  jvp: ([which, ...cases], [, ...dcases]) => {
    const y = selectN(which, ...cases)
    if (dcases.every(isZero)) return [[y], [new Zero(y.aval)]]
    return [[y], [selectN(which, ...dcases.map(instantiate))]]
  },
  transpose: ([ct], [which, ...cases]) => {
    if (isUndef(which)) throw new Error('internal: select_n predicate cannot be linear')
    return [
      null,
      ...cases.map((c, i) => {
        if (!isUndef(c)) return null
        if (isZero(ct)) return ct
        const z = zerosOf(ct.aval)
        return selectN(which, ...cases.map((_, j) => (j === i ? ct : z)))
      }),
    ]
  },
  // Cases must keep equal shapes, so every case gets the full batched shape; only an
  // unbatched 0-d predicate may stay a scalar.
  batch: (axisSize, xs, bdims) => {
    const [which, ...cases] = xs
    const caseShape = cases.reduce<readonly number[]>((s, c, i) => {
      const b = bdims[i + 1]
      return b === null ? c.shape : c.shape.filter((_, k) => k !== b)
    }, [])
    const full = [axisSize, ...caseShape]
    const toFull = (x: Tracer, b: BDim): Tracer => {
      const front = b === null ? x : moveAxis(x, b, 0)
      if (front.ndim === full.length && b !== null) return front
      const dims = b === null ? x.shape.map((_, k) => k + 1) : [0]
      return broadcastInDim(front, full, b === null && x.ndim === 0 ? [] : dims)
    }
    const w = bdims[0] === null && which.ndim === 0 ? which : toFull(which, bdims[0])
    return [[selectN(w, ...cases.map((c, i) => toFull(c, bdims[i + 1])))], [0]]
  },
  // cases[clamp(which)]: a conditional expression over the (already computed) cases.
  lower: (xs, _p, avals) => op('select', xs, avals.out.dtype),
}

// ---- iota --------------------------------------------------------------------------------

const iotaAval = (p: { dtype: DType; shape: Shape; dimension: number }): ShapedArray => {
  checkShape(p.shape, 'iota')
  if (!Number.isInteger(p.dimension) || p.dimension < 0 || p.dimension >= p.shape.length) {
    throw new AxisError(`iota: dimension ${p.dimension} is out of range for shape ${shapeStr(p.shape)}`)
  }
  if (!isDType(p.dtype) || p.dtype === 'bool') throw new DTypeError(`iota: dtype must be numeric, got ${String(p.dtype)}`)
  return shaped(p.shape, p.dtype)
}

const iotaRules: RuleTable['iota'] = {
  abstractEval: (_avals, p) => [iotaAval(p)],
  impl: (_xs, p) => {
    const out = iotaAval(p)
    const n = sizeOf(out.shape)
    const dst = allocate(out.dtype, n)
    const stride = stridesOf(p.shape)[p.dimension]
    const size = p.shape[p.dimension]
    for (let i = 0; i < n; i++) dst[i] = Math.floor(i / stride) % size
    return [makeArray(dst, out)]
  },
  jvp: zeroJvp('iota'),
  // iota has no operands, so it is never batched; a rule is still required by the registry.
  batch: (_n, _xs, _b, p) => [[iota(p.dtype, p.shape, p.dimension)], [null as BDim]],
  // The element's own coordinate along `dimension`.
  lower: (_xs, p) => coord(p.dimension, p.dtype),
}

export const shapeRules: Pick<
  RuleTable,
  'broadcast_in_dim' | 'reshape' | 'transpose' | 'squeeze' | 'convert_element_type' | 'select_n' | 'iota'
> = {
  broadcast_in_dim: broadcastRules,
  reshape: reshapeRules,
  transpose: transposeRules,
  squeeze: squeezeRules,
  convert_element_type: convertRules,
  select_n: selectRules,
  iota: iotaRules,
}

