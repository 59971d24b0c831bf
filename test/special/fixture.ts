/** The mpmath reference values of test/fixtures/special (see make_special.py there). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Table {
  readonly x: number[]
  readonly y2?: number[]
  readonly y: number[]
}
interface Raw {
  readonly x: string[]
  readonly y2?: string[]
  readonly y: string[]
}
const num = (s: string): number => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : Number(s))
const conv = (r: Raw): Table => ({ x: r.x.map(num), y: r.y.map(num), ...(r.y2 ? { y2: r.y2.map(num) } : {}) })
const raw = JSON.parse(readFileSync(join(__dirname, '../fixtures/special/special.json'), 'utf8')) as Record<'values' | 'd1' | 'd2', Record<string, Raw>>
const all = (g: Record<string, Raw>): Record<string, Table> => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, conv(v)]))
export const values = all(raw.values)
export const d1 = all(raw.d1)
export const d2 = all(raw.d2)

/** The spacing of float64 numbers at |v| (the subnormal spacing below the normal range). */
export const ulp = (v: number): number => {
  const a = Math.abs(v)
  if (!Number.isFinite(a)) return NaN
  if (a < 2 ** -1022) return 2 ** -1074
  return 2 ** (Math.floor(Math.log2(a)) - 52)
}

/** |got − want| in units of want's ulp (0 when both are the same non-finite value). */
export const ulpErr = (got: number, want: number): number => {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity
  if (!Number.isFinite(want)) return got === want ? 0 : Infinity
  if (Number.isNaN(got)) return Infinity
  let e = Math.abs(got - want) / ulp(want)
  // the true value lies within half an ulp of its float64 rounding
  e = Math.max(0, e - 0.5)
  return e
}
