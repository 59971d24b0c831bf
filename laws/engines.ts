/**
 * leibniz/laws: the export law — a program exported to another engine computes what leibniz
 * computes: runner(f, args) ≡ f(args), leaf by leaf, to float64 precision (rtol 1e-12) for
 * float64 programs whose operations the engine evaluates exactly, and to float32 tolerances for
 * float32 ones. leibniz's own evaluator is the reference.
 *
 * The engine comes in as a *runner* — a function that exports `f` at the arguments' shapes and
 * runs it there — so this entry point needs no engine installed, and the law is asynchronous
 * because engines are (ONNX Runtime's `run` returns a Promise):
 *
 *   const onnx = (f, args) => runOnnx(exportOnnx(f)(...args), ...args)
 *   await laws.exportsLike(f, fc.tuple(arb.array({ shape: [3] })), onnx)
 */
import fc from 'fast-check'
import { findMismatch } from './allclose'
import type { LawOptions } from './suites'
import { LawError } from './suites'
import { precisionOf } from './treeMath'

/** Exports `f` at the shapes of `args` to an engine and runs it there on `args`. */
export type EngineRunner = (f: (...args: any[]) => unknown, args: unknown[]) => Promise<unknown> | unknown

/** Tolerances of the export law: float64 to 1e-12 relative; float32 to 1e-5. */
export const exportTolerances = (precision: 'float32' | 'float64'): { rtol: number; atol: number } =>
  precision === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 }

/** The predicate: null when the engine's outputs match f's, else what differs. */
export const exportedMatches = async (
  f: (...args: any[]) => unknown,
  args: unknown[],
  runner: EngineRunner,
  tol: { readonly rtol?: number; readonly atol?: number } = {},
): Promise<string | null> => {
  const d = exportTolerances(precisionOf(args))
  const want = f(...args)
  const got = await runner(f, args)
  const m = findMismatch(got, want, { rtol: tol.rtol ?? d.rtol, atol: tol.atol ?? d.atol })
  return m === null ? null : `exported vs leibniz: ${m.reason}`
}

/**
 * `exported ≡ reference` over draws of `arbArgs`: resolves when every draw agrees, rejects with
 * a `LawError` (the shrunk counterexample and the seed to replay it) otherwise.
 */
export const exportsLike = async (
  f: (...args: any[]) => unknown,
  arbArgs: fc.Arbitrary<unknown[]>,
  runner: EngineRunner,
  opts: LawOptions = {},
): Promise<void> => {
  const envRuns = typeof process !== 'undefined' ? Number(process.env?.LAWS_RUNS) : NaN
  const numRuns = opts.numRuns ?? (Number.isInteger(envRuns) && envRuns > 0 ? envRuns : 20)
  const law = 'exported ≡ reference'
  const property = fc.asyncProperty(arbArgs, async (args) => {
    let msg: string | null
    try {
      msg = await exportedMatches(f, args, runner, opts)
    } catch (e) {
      msg = `threw ${(e as Error).name}: ${(e as Error).message}`
    }
    if (msg !== null) throw new LawError(law, msg)
  })
  const r = await fc.check(property, { numRuns, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) })
  if (r.failed) {
    const err = r.errorInstance
    const detail = err instanceof LawError ? err.detail : String(err)
    const example = r.counterexample ? fc.stringify(r.counterexample[0]) : '(none)'
    throw new LawError(law, `${detail}\n  counterexample (shrunk): ${example}\n  replay: { seed: ${r.seed}${r.counterexamplePath ? `, path: '${r.counterexamplePath}'` : ''} } after ${r.numRuns} run(s)`)
  }
}
