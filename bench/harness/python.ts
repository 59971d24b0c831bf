/**
 * The `jax` column: JAX itself, run by a Python script per workload (bench/python/*.py), where
 * a Python with jax is available. Which Python: $LEIBNIZ_BENCH_PYTHON when set (for example a
 * virtual environment: LEIBNIZ_BENCH_PYTHON=/tmp/jaxenv/bin/python), else `python3` if it
 * imports jax; otherwise the column says it is unavailable. The script times the workload
 * itself (first call with compilation, then warm-up and samples, the same rules as
 * bench/harness/measure.ts) and prints one JSON line: { firstMs, samples, batch, warmupRuns,
 * peakRss, parts: { name: [numbers] } }.
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
  readonly parts: Readonly<Record<string, readonly number[]>>
  readonly version: string
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

/** Run `script` with the workload's inputs (JSON) and the timing rules; parse its report. */
export const runPython = (python: string, script: string, args: readonly string[], inputs: unknown, opts: Partial<MeasureOpts>): PythonRun => {
  const measure = { ...DEFAULT_MEASURE, ...opts }
  const r = spawnSync(python, [join(ROOT, script), ...args], {
    input: JSON.stringify({ inputs, measure }),
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, JAX_ENABLE_X64: '1', JAX_PLATFORMS: 'cpu' },
    maxBuffer: 64 * 2 ** 20,
  })
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`)
  const last = r.stdout.trim().split('\n').pop() ?? ''
  return JSON.parse(last) as PythonRun
}
