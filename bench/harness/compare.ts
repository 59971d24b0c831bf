/**
 * Correctness: each part of an answer against the same part of the plain-JS baseline.
 * `maxAbs` is max |a − b| over all parts; `rel` is the worst part's normwise relative error
 * max|a − b| / max|b| (robust to entries near zero, unlike an elementwise ratio). A missing
 * part, a length mismatch or a NaN where the baseline has a number counts as rel = ∞.
 */
export type Parts = Readonly<Record<string, ArrayLike<number>>>

export interface ErrorReport {
  readonly maxAbs: number
  readonly rel: number
  /** the part with the worst rel, and why it is infinite if it is */
  readonly worst: string
}

export const compareParts = (got: Parts, ref: Parts): ErrorReport => {
  let maxAbs = 0
  let rel = 0
  let worst = ''
  for (const name of Object.keys(ref)) {
    const b = ref[name]
    const a = got[name]
    if (a === undefined) return { maxAbs: Infinity, rel: Infinity, worst: `${name}: missing` }
    if (a.length !== b.length) return { maxAbs: Infinity, rel: Infinity, worst: `${name}: length ${a.length}, expected ${b.length}` }
    let d = 0
    let scale = 0
    for (let i = 0; i < b.length; i++) {
      const e = Math.abs(a[i] - b[i])
      if (!(e <= d)) d = Number.isNaN(e) ? Infinity : e
      const s = Math.abs(b[i])
      if (s > scale) scale = s
    }
    const r = d === 0 ? 0 : scale === 0 ? Infinity : d / scale
    if (d > maxAbs) maxAbs = d
    if (r > rel || worst === '') {
      rel = Math.max(rel, r)
      worst = name
    }
  }
  for (const name of Object.keys(got)) {
    if (!(name in ref)) return { maxAbs: Infinity, rel: Infinity, worst: `${name}: unexpected part` }
  }
  return { maxAbs, rel, worst }
}
