/**
 * Backend: the loop domains of reductions and contractions.
 *
 * A reduction over `axes` loops over its operand with the kept axes outside and the reduced
 * axes inside (so each output is accumulated in a register, visiting its elements in
 * row-major order as the reference impl does). A contraction loops over
 * (batch, lhs free, rhs free, contracting) and reduces the product of its operands' elements.
 */
import type { Eqn } from '../ir/jaxpr'
import type { DType } from '../ir/dtypes'
import type { DotDimensionNumbers } from '../ir/params'
import { type IndexMap, selectMap } from './indexmap'

const range = (n: number) => [...Array(n).keys()]

export const reduceAxes = (e: Eqn): number[] =>
  e.prim === 'argmax' || e.prim === 'argmin' ? [(e.params as { axis: number }).axis] : [...(e.params as { axes: readonly number[] }).axes]

/** Loop domain of a reduction: [kept extents…, reduced extents…], and its operand's map. */
export const reduceDomain = (e: Eqn): { extents: number[]; nReduced: number; map: IndexMap; kept: number[] } => {
  const shape = e.inputs[0].aval.shape
  const axes = reduceAxes(e)
  const kept = range(shape.length).filter((d) => !axes.includes(d))
  const order = [...kept, ...axes]
  const loopOf = new Array<number>(shape.length)
  order.forEach((d, l) => (loopOf[d] = l))
  return { extents: order.map((d) => shape[d]), nReduced: axes.length, map: selectMap(order.length, loopOf), kept }
}

const free = (ndim: number, c: readonly number[], b: readonly number[]) => range(ndim).filter((d) => !c.includes(d) && !b.includes(d))

export interface DotGeometry {
  readonly B: number
  readonly M: number
  readonly N: number
  readonly K: number
  /** [batch…, lhs free…, rhs free…, contracting…] */
  readonly extents: number[]
  readonly nContract: number
  /** int32 when both operands and the result are int32 (wrapping), else float64. */
  readonly acc: DType
  /** Both operands, as contiguous arrays, are contiguous along the contraction. */
  readonly contiguousK: boolean
  readonly lf: number[]
  readonly rf: number[]
}

export const dotGeometry = (e: Eqn): DotGeometry => {
  const dn = (e.params as { dimensionNumbers: DotDimensionNumbers }).dimensionNumbers
  const [x, y] = e.inputs.map((a) => a.aval)
  const out = e.outVars[0].aval
  const lf = free(x.shape.length, dn.lhsContracting, dn.lhsBatch)
  const rf = free(y.shape.length, dn.rhsContracting, dn.rhsBatch)
  const prod = (s: readonly number[], axes: readonly number[]) => axes.reduce((p, d) => p * s[d], 1)
  const trailing = (ndim: number, axes: readonly number[]) => axes.every((d, i) => d === ndim - axes.length + i)
  return {
    B: prod(x.shape, dn.lhsBatch),
    M: prod(x.shape, lf),
    N: prod(y.shape, rf),
    K: prod(x.shape, dn.lhsContracting),
    extents: [...dn.lhsBatch.map((d) => x.shape[d]), ...lf.map((d) => x.shape[d]), ...rf.map((d) => y.shape[d]), ...dn.lhsContracting.map((d) => x.shape[d])],
    nContract: dn.lhsContracting.length,
    acc: x.dtype === 'int32' && out.dtype === 'int32' ? 'int32' : 'float64',
    contiguousK: trailing(x.shape.length, dn.lhsContracting) && trailing(y.shape.length, dn.rhsContracting),
    lf,
    rf,
  }
}

/** The operands' maps over the contraction's loop domain. */
export const dotMaps = (e: Eqn): { lhs: IndexMap; rhs: IndexMap } => {
  const dn = (e.params as { dimensionNumbers: DotDimensionNumbers }).dimensionNumbers
  const g = dotGeometry(e)
  const nb = dn.lhsBatch.length
  const r = g.extents.length
  const cBase = nb + g.lf.length + g.rf.length
  const lhsLoop = new Array<number>(e.inputs[0].aval.shape.length)
  const rhsLoop = new Array<number>(e.inputs[1].aval.shape.length)
  dn.lhsBatch.forEach((d, i) => (lhsLoop[d] = i))
  dn.rhsBatch.forEach((d, i) => (rhsLoop[d] = i))
  g.lf.forEach((d, j) => (lhsLoop[d] = nb + j))
  g.rf.forEach((d, j) => (rhsLoop[d] = nb + g.lf.length + j))
  dn.lhsContracting.forEach((d, t) => (lhsLoop[d] = cBase + t))
  dn.rhsContracting.forEach((d, t) => (rhsLoop[d] = cBase + t))
  return { lhs: selectMap(r, lhsLoop), rhs: selectMap(r, rhsLoop) }
}
