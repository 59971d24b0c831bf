/** Deterministic inputs: mulberry32, a small seeded PRNG (same numbers in every process).
 *  The same generator as laws/treeMath.ts makeRng, kept separate on purpose: importing laws/
 *  would load the whole library into the baseline and peer processes and skew their RSS. */
export const rng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** n uniform numbers in [lo, hi) as a Float32Array (values exactly representable). */
export const uniform32 = (seed: number, n: number, lo: number, hi: number): Float32Array => {
  const r = rng(seed)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r()
  return out
}

/** n uniform numbers in [lo, hi) as a Float64Array. */
export const uniform64 = (seed: number, n: number, lo: number, hi: number): Float64Array => {
  const r = rng(seed)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r()
  return out
}
