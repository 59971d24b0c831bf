/**
 * IR layer: dtypes, their storage, and JAX's type-promotion lattice.
 *
 * Lattice (weak types in brackets), each arrow "promotes to":
 *   bool → [int] → int32 → [float] → float32 → float64,   [int] → [float]
 * The join of two types is the least upper bound; a weak result takes the default dtype of its
 * kind (int32 for [int], float64 for [float]) and stays weak. JS number literals are weak, so
 * `float32Array * 2.5` stays float32.
 */
import { ResourceError } from '../core/errors'

export type DType = 'float64' | 'float32' | 'int32' | 'bool'

export const DTYPES: readonly DType[] = ['float64', 'float32', 'int32', 'bool']

export type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array

export type TypedArrayCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor

export const storageOf = (dtype: DType): TypedArrayCtor => {
  switch (dtype) {
    case 'float64': return Float64Array
    case 'float32': return Float32Array
    case 'int32': return Int32Array
    case 'bool': return Uint8Array
  }
}

const BYTES: Record<DType, number> = { float64: 8, float32: 4, int32: 4, bool: 1 }

/**
 * A zeroed array of `size` elements. An engine that cannot provide the memory (a length past
 * its limit, an allocation refused under a memory limit) raises a `ResourceError` naming the
 * dtype, the shape (when given) and the bytes, instead of the engine's bare RangeError.
 */
export const allocate = (dtype: DType, size: number, shape?: readonly number[]): TypedArray => {
  const Ctor = storageOf(dtype)
  try {
    return new Ctor(size)
  } catch (e) {
    if (!(e instanceof RangeError) || !Number.isSafeInteger(size) || size < 0) throw e
    const what = shape === undefined ? `${size} elements` : `shape [${shape.join(', ')}] (${size} elements)`
    throw new ResourceError(
      `cannot allocate a ${dtype} array of ${what}: ${size * BYTES[dtype]} bytes were refused (${e.message}). ` +
        'Use smaller arrays or chunks (jacfwd/jacrev/vmap take chunkSize), or raise the process\'s memory limit.',
    )
  }
}

export const isFloat = (d: DType): boolean => d === 'float64' || d === 'float32'
export const isInt = (d: DType): boolean => d === 'int32'
export const isBool = (d: DType): boolean => d === 'bool'

/** Short names used in the jaxpr text form. */
export const shortName = (d: DType): string =>
  d === 'float64' ? 'f64' : d === 'float32' ? 'f32' : d === 'int32' ? 'i32' : 'bool'

/** Round a JS number to what a dtype can hold (used for constants and fills). */
export const castScalar = (x: number, d: DType): number => {
  switch (d) {
    case 'float64': return x
    case 'float32': return Math.fround(x)
    case 'int32': return Number.isNaN(x) ? 0 : Math.trunc(x) | 0
    case 'bool': return x !== 0 ? 1 : 0
  }
}

/** A node of the promotion lattice: a dtype, or a weak kind. */
type Node = DType | 'weak_int' | 'weak_float'

const UPPER: Readonly<Record<Node, readonly Node[]>> = {
  bool: ['bool', 'weak_int', 'int32', 'weak_float', 'float32', 'float64'],
  weak_int: ['weak_int', 'int32', 'weak_float', 'float32', 'float64'],
  int32: ['int32', 'weak_float', 'float32', 'float64'],
  weak_float: ['weak_float', 'float32', 'float64'],
  float32: ['float32', 'float64'],
  float64: ['float64'],
}
const ORDER: readonly Node[] = ['bool', 'weak_int', 'int32', 'weak_float', 'float32', 'float64']

const nodeOf = (dtype: DType, weak: boolean): Node =>
  !weak || dtype === 'bool' ? dtype : isFloat(dtype) ? 'weak_float' : 'weak_int'

/** Least upper bound of (dtype, weak) pairs: the dtype and weakness of the result. */
export const promoteTypes = (
  types: ReadonlyArray<{ readonly dtype: DType; readonly weakType: boolean }>,
): { dtype: DType; weakType: boolean } => {
  if (types.length === 0) throw new Error('promoteTypes of nothing')
  // one node (the common case: operands of one dtype) is its own least upper bound
  const first = nodeOf(types[0].dtype, types[0].weakType)
  let same = true
  for (let i = 1; i < types.length && same; i++) same = nodeOf(types[i].dtype, types[i].weakType) === first
  if (same) return lubOf(first)
  let common: readonly Node[] = ORDER
  for (const t of types) {
    const up = UPPER[nodeOf(t.dtype, t.weakType)]
    common = common.filter((n) => up.includes(n))
  }
  // The least upper bound is the common upper bound that is below all the others.
  return lubOf(common[0])
}

const lubOf = (lub: Node): { dtype: DType; weakType: boolean } => {
  if (lub === 'weak_int') return { dtype: 'int32', weakType: true }
  if (lub === 'weak_float') return { dtype: 'float64', weakType: true }
  return { dtype: lub, weakType: false }
}

/** The dtype a value of `dtype` becomes when an op needs a float (sin, mean, divide). */
export const floatOf = (dtype: DType): DType => (isFloat(dtype) ? dtype : 'float64')

export const isDType = (x: unknown): x is DType => typeof x === 'string' && (DTYPES as readonly string[]).includes(x)
