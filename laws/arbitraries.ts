/**
 * leibniz/laws, layer 3: fast-check arbitraries for arrays, shapes and pytrees.
 */
import fc from 'fast-check'
import { np } from '../src'
import type { Array, DType } from '../src'
import { edgeValues } from './edges'

export interface ArrayArbOptions {
  /** A fixed shape, or an arbitrary of shapes (see `shape`). Default: 0-d. */
  readonly shape?: readonly number[] | fc.Arbitrary<readonly number[]>
  readonly dtype?: DType
  /** Bounds of the values (floats and ints); keep them inside your function's domain. */
  readonly min?: number
  readonly max?: number
  /** Mix edge values into the draws (float dtypes): `true` for `edgeValues(min, max)` (±0,
   *  subnormals, huge and tiny magnitudes, the bounds and their neighbours, small integers),
   *  or a list of your own. About one element in four is an edge value. */
  readonly edges?: boolean | readonly number[]
}

const elementArb = (dtype: DType, min: number, max: number, edges?: boolean | readonly number[]): fc.Arbitrary<number | boolean> => {
  const base = plainElementArb(dtype, min, max)
  if (edges === undefined || edges === false || (dtype !== 'float64' && dtype !== 'float32')) return base
  const list = (edges === true ? edgeValues(min, max) : edges.filter((e) => e >= min && e <= max)).map((e) => (dtype === 'float32' ? Math.fround(e) : e))
  return list.length === 0 ? base : fc.oneof({ arbitrary: base, weight: 3 }, { arbitrary: fc.constantFrom(...list), weight: 1 })
}

const plainElementArb = (dtype: DType, min: number, max: number): fc.Arbitrary<number | boolean> => {
  switch (dtype) {
    case 'float64': return fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
    case 'float32': return fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true })
    case 'int32': return fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    case 'bool': return fc.boolean()
  }
}

/** Arrays of a shape and dtype with values in [min, max] (default [−2, 2]). */
export const array = (opts: ArrayArbOptions = {}): fc.Arbitrary<Array> => {
  const dtype = opts.dtype ?? 'float64'
  const min = opts.min ?? -2
  const max = opts.max ?? 2
  if (!(min <= max)) throw new RangeError(`arb.array: min ${min} must be <= max ${max}`)
  const shapeArb: fc.Arbitrary<readonly number[]> =
    opts.shape === undefined ? fc.constant([]) : globalThis.Array.isArray(opts.shape) ? fc.constant(opts.shape as readonly number[]) : (opts.shape as fc.Arbitrary<readonly number[]>)
  return shapeArb.chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1)
    return fc
      .array(elementArb(dtype, min, max, opts.edges), { minLength: n, maxLength: n })
      .map((vals) => np.array(vals.map(Number), { dtype }).reshape([...shape]))
  })
}

export interface ShapeArbOptions {
  readonly minRank?: number
  readonly maxRank?: number
  readonly minDim?: number
  readonly maxDim?: number
}

/** Shapes with rank in [minRank, maxRank] (default 0…3) and sizes in [minDim, maxDim] (default 1…4). */
export const shape = (opts: ShapeArbOptions = {}): fc.Arbitrary<readonly number[]> =>
  fc.array(fc.integer({ min: opts.minDim ?? 1, max: opts.maxDim ?? 4 }), { minLength: opts.minRank ?? 0, maxLength: opts.maxRank ?? 3 })

export interface PytreeArbOptions {
  readonly maxDepth?: number
  readonly maxChildren?: number
}

/** Nested JS arrays and objects (keys a, b, c, …) with leaves from `leaf`. */
export const pytree = <A>(leaf: fc.Arbitrary<A>, opts: PytreeArbOptions = {}): fc.Arbitrary<unknown> => {
  const maxChildren = opts.maxChildren ?? 3
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'].slice(0, maxChildren)
  const { node } = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', maxDepth: opts.maxDepth ?? 2 },
      leaf,
      fc.array(tie('node'), { minLength: 1, maxLength: maxChildren }),
      fc.dictionary(fc.constantFrom(...keys), tie('node'), { minKeys: 1, maxKeys: maxChildren }),
    ),
  }))
  return node
}

export { program } from './program'
export type { Program, ProgramOptions } from './program'
