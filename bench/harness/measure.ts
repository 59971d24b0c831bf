/**
 * Timing. One measurement = first call (timed alone: in a fresh child process this is the
 * "first call in a fresh process"), warm-up, then samples until at least `minRuns` runs
 * *and* `minMs` have passed (or `maxMs` has passed with at least 3 runs: slow
 * implementations then give fewer than 20 runs but always more than 2 s).
 *
 * Calls faster than 1 ms are timed in batches of k calls (k chosen from the warm-up so a
 * batch takes about 1 ms); a sample is then the batch time / k, so min and max are of
 * batch means. Peak RSS is sampled after every sample (and the child adds getrusage's
 * maxRSS, the kernel's exact peak).
 */
import type { Call, MeasureOpts, Output } from './types'

export const DEFAULT_MEASURE: MeasureOpts = {
  warmupRuns: 3,
  warmupMs: 300,
  minRuns: 20,
  minMs: 2000,
  maxMs: 5000,
}

export interface Measurement {
  readonly firstMs: number
  readonly samples: readonly number[]
  readonly batch: number
  readonly warmupRuns: number
  readonly first: Output
  readonly last: Output
  readonly sampledPeakRss: number
}

const BATCH_TARGET_MS = 1
const WARMUP_CAP_MS = 3000
const FLOOR_RUNS = 3

export const measure = (call: Call, opts: MeasureOpts): Measurement => {
  let peak = process.memoryUsage().rss
  const sampleRss = (): void => {
    const r = process.memoryUsage().rss
    if (r > peak) peak = r
  }
  let t0 = performance.now()
  const first = call()
  const firstMs = performance.now() - t0
  sampleRss()
  if (opts.minRuns === 0) {
    return { firstMs, samples: [firstMs], batch: 1, warmupRuns: 0, first, last: first, sampledPeakRss: peak }
  }

  // warm-up; the fastest warm-up call estimates the cost of one call
  let fastest = firstMs
  let warm = 0
  const w0 = performance.now()
  for (;;) {
    const el = performance.now() - w0
    if ((warm >= opts.warmupRuns && el >= opts.warmupMs) || (warm >= 1 && el >= WARMUP_CAP_MS)) break
    t0 = performance.now()
    call()
    fastest = Math.min(fastest, performance.now() - t0)
    warm++
    sampleRss()
  }

  const batch = fastest >= BATCH_TARGET_MS ? 1 : Math.max(1, Math.ceil(BATCH_TARGET_MS / Math.max(fastest, 1e-5)))
  const samples: number[] = []
  let last: Output = first
  const s0 = performance.now()
  for (;;) {
    const el = performance.now() - s0
    const n = samples.length
    if ((n >= opts.minRuns && el >= opts.minMs) || (n >= FLOOR_RUNS && el >= opts.maxMs)) break
    t0 = performance.now()
    for (let i = 0; i < batch; i++) last = call()
    samples.push((performance.now() - t0) / batch)
    sampleRss()
  }
  return { firstMs, samples, batch, warmupRuns: warm, first, last, sampledPeakRss: peak }
}

export interface Stats {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly n: number
}

export const stats = (xs: readonly number[]): Stats => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  const median = n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
  return { median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, n }
}

/**
 * `measure` for a call that returns a Promise (an engine such as ONNX Runtime): the same
 * phases, each call awaited before the next starts.
 */
export const measureAsync = async (call: () => Promise<Output>, opts: MeasureOpts): Promise<Measurement> => {
  let peak = process.memoryUsage().rss
  const sampleRss = (): void => {
    const r = process.memoryUsage().rss
    if (r > peak) peak = r
  }
  let t0 = performance.now()
  const first = await call()
  const firstMs = performance.now() - t0
  sampleRss()
  if (opts.minRuns === 0) {
    return { firstMs, samples: [firstMs], batch: 1, warmupRuns: 0, first, last: first, sampledPeakRss: peak }
  }
  let fastest = firstMs
  let warm = 0
  const w0 = performance.now()
  for (;;) {
    const el = performance.now() - w0
    if ((warm >= opts.warmupRuns && el >= opts.warmupMs) || (warm >= 1 && el >= WARMUP_CAP_MS)) break
    t0 = performance.now()
    await call()
    fastest = Math.min(fastest, performance.now() - t0)
    warm++
    sampleRss()
  }
  const batch = fastest >= BATCH_TARGET_MS ? 1 : Math.max(1, Math.ceil(BATCH_TARGET_MS / Math.max(fastest, 1e-5)))
  const samples: number[] = []
  let last: Output = first
  const s0 = performance.now()
  for (;;) {
    const el = performance.now() - s0
    const n = samples.length
    if ((n >= opts.minRuns && el >= opts.minMs) || (n >= FLOOR_RUNS && el >= opts.maxMs)) break
    t0 = performance.now()
    for (let i = 0; i < batch; i++) last = await call()
    samples.push((performance.now() - t0) / batch)
    sampleRss()
  }
  return { firstMs, samples, batch, warmupRuns: warm, first, last, sampledPeakRss: peak }
}
