/**
 * Reads the JAX reference fixtures (test/fixtures/<area>/*.json, written by the make_*.py
 * beside them) and compares arrays with them: non-finite numbers are stored as the strings
 * "nan", "inf", "-inf"; NaN matches NaN, infinities match exactly.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { Tracer } from '../../src/core/tracer'

type Raw = number | string | boolean | Raw[]
export type Case = Record<string, Raw>

export const loadFixture = (area: string, file: string): Record<string, Case> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', area, file), 'utf8')) as Record<string, Case>

const num = (v: Raw): number =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : typeof v === 'boolean' ? Number(v) : (v as number)

/** Nested data with the non-finite strings decoded (for np.array). */
export const dec = (v: Raw): number | number[] | number[][] | number[][][] =>
  (Array.isArray(v) ? v.map(dec) : num(v)) as number | number[] | number[][] | number[][][]

const flat = (v: Raw): number[] => (Array.isArray(v) ? v.flatMap(flat) : [num(v)])
const shapeOf = (v: Raw): number[] => (Array.isArray(v) ? [v.length, ...(v.length > 0 ? shapeOf(v[0]) : [])] : [])

/** x equals the reference in shape and values, to `tol` relative (absolute below 1). */
export const expectRef = (x: Tracer | number, ref: Raw, tol = 1e-14, what = ''): void => {
  const got = typeof x === 'number' ? [x] : (x.toTypedArray() as ArrayLike<number>)
  if (typeof x !== 'number' && !(shapeOf(ref).length === 0 && x.ndim === 0)) {
    expect(x.shape, `${what} shape`).toEqual(shapeOf(ref))
  }
  const want = flat(ref)
  expect(got.length, `${what} size`).toBe(want.length)
  want.forEach((w, i) => {
    const g = Number(got[i])
    if (Number.isNaN(w)) expect(g, `${what}[${i}]`).toBeNaN()
    else if (!Number.isFinite(w)) expect(g, `${what}[${i}]`).toBe(w)
    else expect(Math.abs(g - w), `${what}[${i}]: got ${g}, want ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)))
  })
}
