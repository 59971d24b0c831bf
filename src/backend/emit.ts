/**
 * Backend: the only ways a value becomes source text. Generated code is assembled from fixed
 * templates plus what these functions return — integers, numbers in a closed format, and
 * identifiers made from integers — so no string from a jaxpr or a user can reach it.
 */
import { type DType, castScalar } from '../ir/dtypes'

/** The closed format of a number literal (plus NaN / ±Infinity). */
const NUMBER_FORMAT = /^-?\d+(\.\d+)?(e[+-]?\d+)?$|^NaN$|^-?Infinity$/

export class CodegenError extends Error {
  override readonly name = 'CodegenError'
}

/** A safe integer as source (`(-3)` in parentheses when negative, so it composes anywhere). */
export const int = (n: number): string => {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new CodegenError(`codegen: expected a safe integer, got ${typeof n === 'number' ? n : typeof n}`)
  return n < 0 ? `(${n})` : String(n)
}

/** A JS number as source, in the closed format; negative values (and −0) in parentheses. */
export const num = (x: number): string => {
  if (typeof x !== 'number') throw new CodegenError(`codegen: expected a number, got ${typeof x}`)
  // String(1e21) = "1e+21", String(1.5e-7) = "1.5e-7", String(-Infinity) = "-Infinity": all
  // in the closed format; String(-0) is "0", so −0 is spelled out.
  const s = Object.is(x, -0) ? '-0' : String(x)
  if (!NUMBER_FORMAT.test(s)) throw new CodegenError(`codegen: number ${s} is not in the closed literal format`)
  return s.startsWith('-') ? `(${s})` : s
}

/** A constant of a dtype as source: rounded to the dtype first (as a materialized value is). */
export const constant = (value: number, dtype: DType): string => num(castScalar(value, dtype))

/** An identifier from a prefix of the fixed set and an integer. */
export const ident = (prefix: 't' | 'i' | 'n' | 'a' | 'o' | 'p' | 'r' | 'q' | 'k' | 'v', n: number): string => {
  if (!Number.isSafeInteger(n) || n < 0) throw new CodegenError(`codegen: bad identifier index ${n}`)
  return `${prefix}${n}`
}

/** A dtype from the closed set (the only dtype-dependent text is chosen by these switches). */
export const checkDType = (d: unknown): DType => {
  if (d === 'float64' || d === 'float32' || d === 'int32' || d === 'bool') return d
  throw new CodegenError(`codegen: unknown dtype ${typeof d === 'string' ? JSON.stringify(d.slice(0, 40)) : typeof d}`)
}
