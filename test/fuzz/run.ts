/**
 * Differential fuzzer: the driver. Runs batches of random cases (fast-check, one seed per
 * batch), and on a disagreement reports the shrunk case with everything needed to replay it:
 * the seed, fast-check's path to the shrunk case, the program, its jaxpr and its inputs.
 */
import fc from 'fast-check'
import { makeJaxpr } from '../../src'
import { type CaseOptions, type FuzzCase, fuzzCase } from './cases'
import { Disagreement, type Focus, checkCase } from './check'
import { currentSettings, restoreSettings } from './routes'

export interface FuzzOptions extends CaseOptions {
  /** Seed of the first batch; batch i uses seed + i. */
  readonly seed: number
  /** Cases per batch (default 25). */
  readonly runsPerBatch?: number
  /** Stop after this many batches… */
  readonly batches?: number
  /** …or when this many milliseconds have passed (checked between batches and inside them). */
  readonly timeLimitMs?: number
  /** Replay: fast-check's path to one case of batch `seed` (from a report). */
  readonly path?: string
  /** Only these routes (besides the reference); default all. */
  readonly routes?: readonly string[]
  /** Time spent shrinking a failure at most (default 60 s); the smallest case found by then
   *  is reported. */
  readonly shrinkMs?: number
  /** Progress lines (default none). */
  readonly log?: (line: string) => void
}

export interface Failure {
  readonly seed: number
  readonly path: string
  readonly case: FuzzCase
  readonly error: string
  /** The whole report: what failed, the program, its jaxpr, its inputs, the replay command. */
  readonly report: string
}

export interface FuzzResult {
  /** Cases that ran clean (all checks passed). */
  readonly clean: number
  readonly batches: number
  readonly failure: Failure | null
}

const fmtArgs = (c: FuzzCase): string =>
  c.program.args
    .map((a, i) => {
      const data = Array.from(a.toTypedArray())
      const shown = data.length <= 24 ? `[${data.join(', ')}]` : `[${data.slice(0, 12).join(', ')}, … ${data.length} values]`
      return `  v${i}: ${a.dtype}[${a.shape.join(', ')}] = ${shown}`
    })
    .join('\n')

const jaxprText = (c: FuzzCase): string => {
  try {
    return String(makeJaxpr(c.program.fn)(...c.program.args))
  } catch (e) {
    return `(tracing failed: ${String(e)})`
  }
}

export const replayCommand = (seed: number, path: string, extra = ''): string => `npm run fuzz -- --seed ${seed} --path ${path}${extra}`

const report = (seed: number, path: string, c: FuzzCase, error: string, extra: string): string =>
  [
    `DISAGREEMENT (seed ${seed}, path ${path})`,
    `  ${error}`,
    `case: ${c.size} ${c.dtype}, ${c.smooth ? 'smooth' : 'non-smooth'} steps, vmap inAxes [${c.inAxes.map(String).join(', ')}], direction seed ${c.dirSeed}`,
    `program: ${c.program.text}`,
    `inputs:`,
    fmtArgs(c),
    `jaxpr:`,
    jaxprText(c),
    `replay: ${replayCommand(seed, path, extra)}`,
  ].join('\n')

/** Run the fuzzer; settings (backend, wasm, threads) are restored afterwards. */
export const fuzz = async (opts: FuzzOptions): Promise<FuzzResult> => {
  const saved = currentSettings()
  const start = Date.now()
  const runs = opts.runsPerBatch ?? 25
  const extra = opts.routes ? ` --routes ${opts.routes.join(',')}` : ''
  let clean = 0
  let batches = 0
  try {
    if (opts.path !== undefined) {
      // A replay draws the one case the path points at and checks it. (Replaying through
      // fc.check would, once that case passes, walk every remaining shrink candidate of the
      // failure — for a large case, minutes of drawing arrays.)
      const [[c]] = fc.sample(fc.tuple(fuzzCase(opts)), { seed: opts.seed, path: opts.path, numRuns: 1 })
      try {
        await checkCase(c, opts.routes)
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e)
        return { clean: 0, batches: 1, failure: { seed: opts.seed, path: opts.path, case: c, error, report: report(opts.seed, opts.path, c, error, extra) } }
      }
      return { clean: 1, batches: 1, failure: null }
    }
    for (let b = 0; opts.batches === undefined || b < opts.batches; b++) {
      const left = opts.timeLimitMs === undefined ? undefined : opts.timeLimitMs - (Date.now() - start)
      if (left !== undefined && left <= 0) break
      const seed = opts.seed + b
      // Once a case fails, shrinking runs only the check that failed, until the deadline.
      let focus: Focus | undefined
      let failedAt: number | undefined
      // a replay checks the one case the path points at, not the shrink candidates after it
      let calls = 0
      const prop = fc.asyncProperty(fuzzCase(opts), async (c) => {
        if (opts.path !== undefined && calls++ > 0) return
        if (failedAt !== undefined && Date.now() - failedAt > (opts.shrinkMs ?? 60_000)) return
        try {
          await checkCase(c, opts.routes, focus)
        } catch (e) {
          if (failedAt === undefined) {
            failedAt = Date.now()
            if (e instanceof Disagreement && opts.path === undefined) focus = { check: e.check, route: e.route }
          }
          throw e
        }
      })
      const details = await fc.check(prop, {
        seed,
        numRuns: runs,
        ...(opts.path !== undefined ? { path: opts.path, endOnFailure: true } : {}),
        ...(left !== undefined ? { interruptAfterTimeLimit: left, markInterruptAsFailure: false } : {}),
      })
      batches++
      if (details.failed && details.counterexample !== null) {
        const c = details.counterexample[0]
        const path = details.counterexamplePath ?? ''
        const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
        return { clean: clean + Math.max(0, details.numRuns - 1), batches, failure: { seed, path, case: c, error, report: report(seed, path, c, error, extra) } }
      }
      if (details.failed) throw new Error(`fuzz: fast-check failed without a counterexample: ${String(details.errorInstance)}`)
      clean += opts.path !== undefined ? 1 : details.numRuns
      opts.log?.(`batch seed ${seed}: ${details.numRuns} cases clean (${clean} in all, ${((Date.now() - start) / 1000).toFixed(0)} s)`)
    }
    return { clean, batches, failure: null }
  } finally {
    await restoreSettings(saved)
  }
}
