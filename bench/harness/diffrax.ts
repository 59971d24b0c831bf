/**
 * The `diffrax` column (JAX + Diffrax): a workload's script under bench/python/ runs in its own
 * process, reads the inputs as JSON on stdin, measures itself as bench/harness/measure.ts does
 * (first call, warm-up, timed runs) and prints one JSON PythonResult on stdout. The
 * interpreter is $LEIBNIZ_BENCH_PYTHON, else the first of python3 / python that imports
 * diffrax; without one the column is "unavailable".
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))

export interface PythonResult {
  readonly firstMs: number
  readonly samples: readonly number[]
  readonly warmupRuns: number
  readonly parts: Readonly<Record<string, readonly number[]>>
  readonly note?: string
  readonly rss: { readonly loaded: number; readonly peak: number }
  readonly loadMs: number
}

/** The Python interpreter to use, or the reason there is none. */
export const findDiffraxPython = (): { python: string } | { unavailable: string } => {
  const env = process.env.LEIBNIZ_BENCH_PYTHON
  if (env !== undefined && env !== '') return { python: env }
  for (const cand of ['python3', 'python']) {
    const r = spawnSync(cand, ['-c', 'import diffrax'], { encoding: 'utf8', timeout: 60_000 })
    if (r.status === 0) return { python: cand }
  }
  return { unavailable: 'no Python with jax and diffrax (set LEIBNIZ_BENCH_PYTHON)' }
}

/** JSON of the inputs: typed arrays as plain lists. */
const toJson = (inputs: unknown): string =>
  JSON.stringify(inputs, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v))

/** Run `script` (relative to bench/python/) on the inputs. */
export const runDiffrax = (python: string, script: string, inputs: unknown, quick: boolean): PythonResult => {
  const r = spawnSync(python, [join(HERE, '..', 'python', script), ...(quick ? ['--quick'] : [])], {
    input: toJson(inputs),
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 2 ** 20,
  })
  if (r.status !== 0) {
    const last = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')
    throw new Error(`${script} exited with ${r.status ?? r.signal}: ${last}`)
  }
  return JSON.parse(r.stdout) as PythonResult
}
