/**
 * Types shared by the benchmark driver (bench/run.ts), the per-measurement child process
 * (bench/child.ts) and the workloads (bench/workloads/*.ts).
 *
 * A workload builds deterministic plain typed-array inputs once, then each implementation
 * turns them into a zero-argument `Call` that runs the whole workload once and reads the
 * answer back into JS numbers (so lazy or asynchronous libraries are fully done when a
 * call returns). Answers are named parts (e.g. `loss`, `dW1`) compared part by part.
 */
import type * as Leibniz from '../../src/index'

export type LeibnizModule = typeof Leibniz
// The peers live in bench/node_modules (bench/package.json), installed by `npm run bench` when
// missing and not by the project's `npm install`. Without them these types are `any`, so the
// project still type-checks on a fresh clone; with them, the workloads are checked against
// the peers' real declarations (@ts-ignore, not @ts-expect-error: there is an error only
// when they are missing).
// @ts-ignore
export type JaxModule = typeof import('@jax-js/jax')
// @ts-ignore
export type TfModule = typeof import('@tensorflow/tfjs-core')

/** The answer of one call: named flat parts. */
export type Output = Readonly<Record<string, ArrayLike<number>>>
export type Call = () => Output

/** `jax`: JAX itself, in a Python found by bench/harness/python.ts (a column only where one is),
 *  pinned to one core; `jax-all`: the same, unpinned (all cores).
 *  `onnxruntime`: the program exported with leibniz/export, run by onnxruntime-node.
 *  `diffrax`: Diffrax on JAX (bench/harness/diffrax.ts), for the ODE workloads. */
export const IMPLS = ['baseline', 'leibniz', 'jax-js', 'tfjs-wasm', 'tfjs-cpu', 'jax', 'jax-all', 'onnxruntime', 'diffrax'] as const
export type ImplId = (typeof IMPLS)[number]

export type FloatDType = 'float32' | 'float64'

/**
 * The leibniz program of a workload, for the engines it is exported to (the 'onnxruntime'
 * column): the function, its arguments, and how to read its output into the answer's parts.
 */
export interface Exportable {
  readonly f: (...args: any[]) => any
  readonly args: readonly unknown[]
  readonly read: (out: any) => Output
}

/** A ready implementation, or the reason there is none. An engine reached through a Promise
 *  (ONNX Runtime) gives `callAsync`. */
export type Prepared =
  | { readonly call: Call; readonly dtype?: FloatDType; readonly note?: string; readonly program?: Exportable }
  | { readonly callAsync: () => Promise<Output>; readonly dtype?: FloatDType; readonly note?: string }
  | { readonly unavailable: string }

/** Timing knobs (see bench/harness/measure.ts). */
export interface MeasureOpts {
  /** warm-up continues until both warmupRuns and warmupMs are reached (capped at 3 s) */
  readonly warmupRuns: number
  readonly warmupMs: number
  /** sampling continues until both minRuns and minMs are reached, or maxMs has passed */
  readonly minRuns: number
  readonly minMs: number
  readonly maxMs: number
  /** minRuns = 0: the first call is the only measurement (for runs of many seconds) */
}

/** A performance target for leibniz, as in bench/README.md. */
export type Target =
  | { readonly kind: 'ratio'; readonly metric: 'median'; readonly vs: ImplId; readonly max: number }
  | { readonly kind: 'absolute'; readonly metric: 'median' | 'first'; readonly maxMs: number }

export interface Workload<I> {
  readonly id: string
  readonly title: string
  /** the dtype the workload is specified in */
  readonly dtype: FloatDType
  /** the leibniz target, in words */
  readonly targetText: string
  readonly targets: readonly Target[]
  /**
   * Normwise relative tolerance per part, by the dtype an implementation computes in
   * (a larger error is flagged WRONG).
   */
  readonly tolerance: Readonly<Record<FloatDType, number>>
  /** fresh processes used to measure the first call (default 1: the measuring child) */
  readonly firstCallProcesses?: number
  readonly measure?: Partial<Record<ImplId, Partial<MeasureOpts>>>
  readonly makeInputs: () => I
  readonly baseline: (inputs: I) => Prepared
  readonly leibniz: (L: LeibnizModule, inputs: I) => Prepared
  readonly jaxjs: (jax: JaxModule, inputs: I) => Prepared
  /** one implementation for both TensorFlow.js columns; the child sets the backend */
  readonly tfjs: (tf: TfModule, inputs: I) => Prepared
  /** the `jax` and `jax-all` columns: a Python script (path from the repository root) that
   *  times the workload in JAX itself and prints the result (bench/harness/python.ts); it gets
   *  `payload(inputs)` (default: the inputs) as its request's inputs */
  readonly python?: { readonly script: string; readonly args: readonly string[]; readonly payload?: (inputs: I) => unknown }
  /**
   * The Python column (JAX + Diffrax), when the workload has one: a script under bench/python/
   * that reads the inputs as JSON on stdin, times itself and prints a PythonResult
   * (bench/harness/diffrax.ts). Run with $LEIBNIZ_BENCH_PYTHON, or a python3 that imports diffrax.
   */
  readonly diffrax?: { readonly script: string }
  /**
   * The scaling table (`npm run bench -- --scaling`): the sizes it is measured at, what a size
   * counts (elements, steps), and the inputs at a size.
   */
  readonly scaling?: { readonly sizes: readonly number[]; readonly unit: string; readonly inputs: (size: number) => I }
}

/** Any workload (for lists). */
export type AnyWorkload = Workload<any>
