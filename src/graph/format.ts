/**
 * Graph pictures: compact text for the values a picture carries — scalars with a few
 * significant digits, small arrays in full ([1, 2.5]), big arrays by their shape only.
 */
import type { Tracer } from '../core/tracer'
import type { DType } from '../ir/dtypes'

/** `x` with `digits` significant digits, without trailing zeros: 3, -0.3333, 1.235e6. */
export const formatScalar = (x: number, dtype: DType, digits: number): string => {
  if (dtype === 'bool') return x ? 'true' : 'false'
  if (Number.isNaN(x)) return 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  if (Object.is(x, -0)) return '-0'
  if (dtype === 'int32' || x === 0) return String(x)
  const a = Math.abs(x)
  if (a >= 1e6 || a < 1e-4) {
    const [m, e] = x.toExponential(digits - 1).split('e')
    return `${String(Number(m))}e${Number(e)}`
  }
  return String(Number(x.toPrecision(digits)))
}

const nest = (data: ArrayLike<number>, shape: readonly number[], dtype: DType, digits: number): string => {
  let k = 0
  const level = (d: number): string => {
    if (d === shape.length) return formatScalar(data[k++], dtype, digits)
    const items: string[] = []
    for (let i = 0; i < shape[d]; i++) items.push(level(d + 1))
    return `[${items.join(', ')}]`
  }
  return level(0)
}

/**
 * A concrete array as text: a scalar as a number, an array of at most `maxElements`
 * elements in full, a bigger one as its shape (`3×100 values`).
 */
export const formatValue = (x: Tracer, maxElements: number, digits: number): string => {
  const shape = x.shape
  const size = shape.reduce((n, d) => n * d, 1)
  if (shape.length > 0 && size > maxElements) return `${shape.join('×')} values`
  return nest(x.toTypedArray(), shape, x.dtype, digits)
}
