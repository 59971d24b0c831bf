/**
 * The `jax` and `jax-all` columns: JAX itself on CPU, run by a Python script per workload
 * (bench/python/wN.py), where a Python with jax is available. Which Python: $LEIBNIZ_BENCH_PYTHON
 * when set (for example a virtual environment: LEIBNIZ_BENCH_PYTHON=/tmp/jaxenv/bin/python),
 * else `python3` if it imports jax; otherwise the columns say they are unavailable.
 *
 * `jax` is pinned to one core with `taskset -c 0` (XLA's CPU client then runs its thread pool
 * on that core), the fair comparison with leibniz's single-threaded default; `jax-all` is the
 * same script unpinned (every core of the machine). Without `taskset` the `jax` column runs
 * unpinned and says so in its note.
 *
 * The script times the workload itself (bench/python/harness.py: first call with compilation,
 * then warm-up and samples, the same rules as bench/harness/measure.ts) and prints one JSON
 * line: { firstMs, samples, batch, warmupRuns, peakRss, parts: { name: [numbers] }, version, note }.
 * Each script enables JAX's float64 only when its workload is float64 (the flag changes JAX's
 * default dtypes), so float32 workloads run in float32.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_MEASURE } from './measure'
import type { MeasureOpts } from './types'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface PythonRun {
  readonly firstMs: number
  readonly samples: readonly number[]
  readonly batch: number
  readonly warmupRuns: number
  readonly peakRss: number
  readonly loadMs?: number
  /** null: a non-finite number (JSON has none) */
  readonly parts: Readonly<Record<string, readonly (number | null)[]>>
  readonly version: string
  readonly note?: string
}

/** The Python to use, or the reason there is none. */
export const findPython = (): { python: string } | { unavailable: string } => {
  const env = process.env.LEIBNIZ_BENCH_PYTHON
  const candidates = env !== undefined && env !== '' ? [env] : ['python3']
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import jax'], { stdio: 'ignore', timeout: 60_000 })
    if (r.status === 0) return { python }
  }
  return {
    unavailable: env !== undefined && env !== ''
      ? `LEIBNIZ_BENCH_PYTHON=${env} does not import jax`
      : 'no Python with jax (python3 -c "import jax" fails); set LEIBNIZ_BENCH_PYTHON to one',
  }
}

/** Whether `taskset` (util-linux) can pin a process to CPU 0 here. */
export const hasTaskset = (): boolean => spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0

/**
 * The request as JSON, with every Float32Array / Float64Array as { __typed, b64 } (its bytes,
 * little-endian, in base64): exact, and a 1e7-element input stays a few tens of MB.
 */
export const encodeRequest = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Float32Array || v instanceof Float64Array) {
      return { __typed: v instanceof Float32Array ? 'float32' : 'float64', b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
    }
    return v
  })

/** Run `script` with the workload's inputs and the timing rules; parse its report. */
export const runPython = (
  python: string,
  script: string,
  args: readonly string[],
  inputs: unknown,
  opts: Partial<MeasureOpts>,
  pin: boolean,
): PythonRun & { readonly pinned: boolean } => {
  const measure = { ...DEFAULT_MEASURE, ...opts }
  const pinned = pin && hasTaskset()
  const argv = [join(ROOT, script), ...args]
  const r = spawnSync(pinned ? 'taskset' : python, pinned ? ['-c', '0', python, ...argv] : argv, {
    input: encodeRequest({ inputs, measure }),
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, JAX_PLATFORMS: 'cpu' },
    maxBuffer: 256 * 2 ** 20,
  })
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`)
  const last = r.stdout.trim().split('\n').pop() ?? ''
  return { ...(JSON.parse(last) as PythonRun), pinned }
}
