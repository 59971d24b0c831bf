/**
 * ODE layer: the solver works on one flat vector. A pytree state (arrays of any shapes) is
 * raveled into it once, and `f` is wrapped so it sees the user's structure and returns a
 * vector; the wrapper checks that f's output has the state's structure, shapes and dtype.
 */
import { ArgumentTypeError, DTypeError, ShapeError, TreeMismatchError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import * as lax from '../lax'
import * as np from '../numpy'
import { flattenArrays } from '../transforms/flat'
import { type TreeDef, leafPaths, treedefEq, treedefStr, unflatten } from '../tree/treedef'

export type FloatDType = 'float32' | 'float64'

/** The layout of a raveled state. */
export interface StateLayout {
  readonly def: TreeDef
  readonly shapes: readonly (readonly number[])[]
  readonly offsets: readonly number[]
  readonly n: number
  readonly dtype: FloatDType
  /** the state leaves' paths, for messages (computed when one is needed) */
  readonly paths: () => readonly string[]
}

/** Ravel `y0`: float32 when every leaf is float32, float64 otherwise (integers become float64). */
export const layoutOf = (y0: unknown, where: string): { layout: StateLayout; y: Tracer } => {
  const [leaves, def] = flattenArrays(y0, `${where} y0`)
  if (leaves.length === 0) throw new ArgumentTypeError(`${where}: y0 must hold at least one array or number, got an empty structure ${treedefStr(def)}`)
  leaves.forEach((l, i) => {
    if (l.dtype === 'bool') throw new DTypeError(`${where}: the state must be numeric; leaf ${leafPaths(y0)[i]} is ${avalStr(l.aval)}`)
  })
  const dtype: FloatDType = leaves.every((l) => l.dtype === 'float32') ? 'float32' : 'float64'
  const offsets: number[] = []
  let n = 0
  for (const l of leaves) {
    offsets.push(n)
    n += l.size
  }
  const layout: StateLayout = { def, shapes: leaves.map((l) => l.shape), offsets, n, dtype, paths: () => leafPaths(y0) }
  return { layout, y: ravelLeaves(leaves, layout) }
}

const ravelLeaves = (leaves: readonly Tracer[], layout: StateLayout): Tracer => {
  const flat = leaves.map((l) => lax.convertElementType(np.ravel(l), layout.dtype, false))
  return flat.length === 1 ? flat[0] : np.concatenate(flat)
}

/** The vector `v` ([n]) back in the state's structure. */
export const unravel = <Y>(v: Tracer, layout: StateLayout): Y => {
  if (layout.shapes.length === 1) return unflatten<Y>(layout.def, [np.reshape(v, layout.shapes[0])])
  const leaves = layout.shapes.map((s, i) => {
    const size = s.reduce((a, b) => a * b, 1)
    return np.reshape(lax.slice(v, [layout.offsets[i]], [layout.offsets[i] + size]), s)
  })
  return unflatten<Y>(layout.def, leaves)
}

/** Stack of vectors [m, n] back as the state's structure with a leading axis m on every leaf. */
export const unravelStacked = <Y>(v: Tracer, layout: StateLayout): Y => {
  const m = v.shape[0]
  const leaves = layout.shapes.map((s, i) => {
    const size = s.reduce((a, b) => a * b, 1)
    return np.reshape(lax.slice(v, [0, layout.offsets[i]], [m, layout.offsets[i] + size]), [m, ...s])
  })
  return unflatten<Y>(layout.def, leaves)
}

/** A vector field on the raveled state, from the user's f(t, y, args) on pytrees. */
export type VectorField = (t: Tracer, y: Tracer) => Tracer

/** Wrap `userF` (called as `call(t, yTree)`) so it maps vectors to vectors, with the checks. */
export const vectorField = (call: (t: Tracer, y: unknown) => unknown, layout: StateLayout, where: string): VectorField => (t, y) => {
  const out = call(t, unravel(y, layout))
  if (out instanceof Promise) throw new ArgumentTypeError(`${where}: f returned a Promise; f must compute its derivative synchronously`)
  const [leaves, def] = flattenArrays(out, `${where}: the output of f`)
  if (!treedefEq(def, layout.def)) {
    throw new TreeMismatchError(`${where}: f must return dy/dt with the structure of the state ${treedefStr(layout.def)}, got ${treedefStr(def)}`)
  }
  leaves.forEach((l, i) => {
    const want = layout.shapes[i]
    if (l.shape.join() !== want.join()) {
      throw new ShapeError(`${where}: f returned ${avalStr(l.aval)} for the state leaf ${layout.paths()[i]}, which has shape [${want.join(', ')}]; dy/dt must have the state's shape`)
    }
    const ok = l.weakType ? l.dtype !== 'bool' : l.dtype === layout.dtype || (layout.dtype === 'float64' && l.dtype === 'int32')
    if (!ok) {
      throw new DTypeError(`${where}: f returned ${avalStr(l.aval)} for the state leaf ${layout.paths()[i]}, but the state is ${layout.dtype}; return dy/dt in the state's dtype (cast with .astype('${layout.dtype}'))`)
    }
  })
  return ravelLeaves(leaves, layout)
}
