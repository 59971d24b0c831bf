/**
 * One measurement in a fresh process: `tsx bench/child.ts '<json ChildSpec>'`.
 * Loads only the implementation it measures, builds the workload's inputs, times it
 * (bench/harness/measure.ts) and writes `<out>.json` (a ChildResult) and `<out>.bin` (the
 * answer's parts as float64, for the parent's comparison with the baseline). Started by
 * bench/run.ts: a fresh process per (workload, implementation) gives each its own peak RSS
 * and a true first call, and no implementation disturbs another's heap or JIT state.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { compareParts } from './harness/compare'
import { DEFAULT_MEASURE, measure, measureAsync, stats, type Stats } from './harness/measure'
import { loadJax, loadTf } from './harness/peers'
import { findPython, runPython } from './harness/python'
import { findDiffraxPython, runDiffrax } from './harness/diffrax'
import { IMPLS } from './harness/types'
import type { AnyWorkload, FloatDType, ImplId, MeasureOpts, Output, Prepared } from './harness/types'
import { workloadById } from './workloads/index'
import { asPlainNode } from './harness/plainnode'

export interface ChildSpec {
  readonly workload: string
  readonly impl: ImplId
  /** 'full': first call, warm-up and samples; 'first': the first call only */
  readonly mode: 'full' | 'first'
  readonly out: string
  /** a smoke run: few timed runs (checks the wiring and the answers, not the speed) */
  readonly quick?: boolean
  /** the scaling table: the problem size (the workload's `scaling.inputs(size)`) */
  readonly size?: number
  /** timing knobs overriding the workload's (the scaling table samples less) */
  readonly measure?: Partial<MeasureOpts>
}

export interface PartInfo {
  readonly name: string
  readonly length: number
}

export type ChildResult =
  | { readonly status: 'unavailable' | 'error'; readonly reason: string; readonly loadMs?: number; readonly detail?: string }
  | {
      readonly status: 'ok'
      readonly loadMs: number
      readonly firstMs: number
      readonly stats: Stats
      readonly samples: readonly number[]
      readonly batch: number
      readonly warmupRuns: number
      readonly dtype: FloatDType
      readonly note?: string
      /** normwise rel. difference between the first and the last answer of this process */
      readonly repeatRel: number
      readonly rss: { readonly loaded: number; readonly peak: number }
      readonly parts: readonly PartInfo[]
    }

const firstLine = (e: unknown): string => {
  const m = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  return m.split('\n')[0].slice(0, 300)
}

/** Load (and initialize) the implementation's library; the returned function sets it up on inputs. */
const load = async (w: AnyWorkload, impl: ImplId): Promise<(inputs: unknown) => Prepared> => {
  switch (impl) {
    case 'baseline':
      return (inputs) => w.baseline(inputs)
    case 'leibniz': {
      // The built package, as users run it (`npm run bench` builds first). Running src/ through
      // tsx would measure tsx's per-closure name wrappers too, about 2× on eager code.
      const built = new URL('../dist/index.js', import.meta.url)
      const L = existsSync(built) ? ((await import(built.href)) as typeof import('../src/index')) : await import('../src/index')
      return (inputs) => w.leibniz(L, inputs)
    }
    case 'jax-js': {
      const jax = await loadJax()
      return (inputs) => w.jaxjs(jax, inputs)
    }
    case 'onnxruntime': {
      // leibniz exports the workload's own program (exportOnnx) and ONNX Runtime's CPU provider
      // runs it; the first call includes the export and the session's creation.
      await import('onnxruntime-node')
      const dist = new URL('../dist/export.js', import.meta.url)
      const built = new URL('../dist/index.js', import.meta.url)
      const useDist = existsSync(dist) && existsSync(built)
      const L = useDist ? ((await import(built.href)) as typeof import('../src/index')) : await import('../src/index')
      const E = useDist ? ((await import(dist.href)) as typeof import('../src/export/index')) : await import('../src/export/index')
      return (inputs): Prepared => {
        const p = w.leibniz(L, inputs)
        if (!('call' in p) || p.program === undefined) return { unavailable: 'no exportable leibniz program for this workload' }
        const { f, args, read } = p.program
        let run: ((...a: readonly unknown[]) => Promise<unknown>) | null = null
        return {
          callAsync: async () => {
            run ??= (await E.onnxSession(E.exportOnnx(f)(...(args as never[])))) as (...a: readonly unknown[]) => Promise<unknown>
            return read(await run(...args))
          },
          note: `exportOnnx + ORT CPU (${p.note ?? 'leibniz program'})`,
        }
      }
    }
    case 'tfjs-wasm':
    case 'tfjs-cpu': {
      const tf = await loadTf(impl === 'tfjs-wasm' ? 'wasm' : 'cpu')
      return (inputs) => w.tfjs(tf, inputs)
    }
    case 'jax':
    case 'jax-all':
      throw new Error('internal: the jax column runs in Python (runJax)')
    case 'diffrax':
      throw new Error('internal: the diffrax column runs in Python (runDiffraxColumn)')
  }
}

/** The `jax` (one core) and `jax-all` columns: the workload's Python script times itself (bench/harness/python.ts). */
const runJax = (w: AnyWorkload, spec: ChildSpec): ChildResult => {
  if (w.python === undefined) return { status: 'unavailable', reason: 'no JAX script for this workload' }
  const found = findPython()
  if ('unavailable' in found) return { status: 'unavailable', reason: found.unavailable }
  const opts = { ...(w.measure?.[spec.impl] ?? w.measure?.jax ?? {}) }
  if (spec.quick === true) Object.assign(opts, { warmupRuns: 1, warmupMs: 0, minRuns: 3, minMs: 0, maxMs: 0 })
  if (spec.mode === 'first') Object.assign(opts, { minRuns: 1, minMs: 0, maxMs: 0 })
  try {
    const t0 = performance.now()
    const inputs = w.makeInputs()
    const r = runPython(found.python, w.python.script, w.python.args, w.python.payload?.(inputs) ?? inputs, opts, spec.impl === 'jax')
    const out: Output = Object.fromEntries(Object.entries(r.parts).map(([k, v]) => [k, Float64Array.from(v, (x) => x ?? NaN)]))
    const parts = spec.mode === 'full' ? writeOutput(`${spec.out}.bin`, out) : []
    return {
      status: 'ok',
      loadMs: r.loadMs ?? performance.now() - t0,
      firstMs: r.firstMs,
      stats: stats(r.samples),
      samples: r.samples,
      batch: r.batch,
      warmupRuns: r.warmupRuns,
      dtype: w.dtype,
      note: `JAX ${r.version}, CPU, ${r.pinned ? 'pinned to 1 core (taskset -c 0)' : spec.impl === 'jax' ? 'UNPINNED (no taskset)' : 'all cores'}${r.note ? `: ${r.note}` : ''}`,
      repeatRel: 0,
      rss: { loaded: 0, peak: r.peakRss },
      parts,
    }
  } catch (e) {
    return { status: 'error', reason: firstLine(e), detail: String((e as Error)?.stack ?? e) }
  }
}

/** The `diffrax` column: the workload's Diffrax script times itself (bench/harness/diffrax.ts). */
const runDiffraxColumn = (w: AnyWorkload, spec: ChildSpec): ChildResult => {
  if (w.diffrax === undefined) return { status: 'unavailable', reason: 'no Diffrax version of this workload' }
  const py = findDiffraxPython()
  if ('unavailable' in py) return { status: 'unavailable', reason: py.unavailable }
  try {
    const r = runDiffrax(py.python, w.diffrax.script, w.makeInputs(), spec.quick === true || spec.mode === 'first')
    const out: Output = Object.fromEntries(Object.entries(r.parts).map(([k, v]) => [k, Float64Array.from(v)]))
    const parts = spec.mode === 'full' ? writeOutput(`${spec.out}.bin`, out) : []
    return {
      status: 'ok',
      loadMs: r.loadMs,
      firstMs: r.firstMs,
      stats: stats(r.samples),
      samples: r.samples,
      batch: 1,
      warmupRuns: r.warmupRuns,
      dtype: w.dtype,
      ...(r.note !== undefined ? { note: r.note } : {}),
      repeatRel: 0,
      rss: r.rss,
      parts,
    }
  } catch (e) {
    return { status: 'error', reason: firstLine(e), detail: String((e as Error)?.stack ?? e) }
  }
}

const writeOutput = (file: string, out: Output): PartInfo[] => {
  const names = Object.keys(out)
  const total = names.reduce((s, n) => s + out[n].length, 0)
  const buf = new Float64Array(total)
  let o = 0
  for (const n of names) {
    const p = out[n]
    for (let i = 0; i < p.length; i++) buf[o + i] = p[i]
    o += p.length
  }
  writeFileSync(file, new Uint8Array(buf.buffer))
  return names.map((name) => ({ name, length: out[name].length }))
}

/** The workload at the spec's size and with its timing overrides, for every column. */
const atSize = (w: AnyWorkload, spec: ChildSpec): AnyWorkload | undefined => {
  const sc = w.scaling
  if (spec.size !== undefined && sc === undefined) return undefined
  const size = spec.size
  const over = spec.measure
  if (size === undefined && over === undefined) return w
  const measure = over === undefined ? w.measure : Object.fromEntries(IMPLS.map((i) => [i, { ...(w.measure?.[i] ?? {}), ...over }]))
  return { ...w, ...(size !== undefined && sc !== undefined ? { makeInputs: () => sc.inputs(size) } : {}), measure }
}

const main = async (): Promise<ChildResult> => {
  asPlainNode()
  const spec = JSON.parse(process.argv[2]) as ChildSpec
  const w0 = workloadById(spec.workload)
  if (w0 === undefined) return { status: 'error', reason: `unknown workload ${spec.workload}` }
  const w = atSize(w0, spec)
  if (w === undefined) return { status: 'error', reason: `${spec.workload} has no scaling sizes` }
  if (spec.impl === 'jax' || spec.impl === 'jax-all') return runJax(w, spec)
  if (spec.impl === 'diffrax') return runDiffraxColumn(w, spec)
  const t0 = performance.now()
  let setup: (inputs: unknown) => Prepared
  try {
    setup = await load(w, spec.impl)
  } catch (e) {
    // a peer that does not load is reported, not fatal
    return { status: spec.impl === 'baseline' || spec.impl === 'leibniz' ? 'error' : 'unavailable', reason: firstLine(e), detail: String((e as Error)?.stack ?? e) }
  }
  const loadMs = performance.now() - t0 // import + init, before the inputs exist
  const loaded = process.memoryUsage().rss
  let prepared: Prepared
  try {
    prepared = setup(w.makeInputs())
  } catch (e) {
    return { status: 'error', reason: `setup: ${firstLine(e)}`, detail: String((e as Error)?.stack ?? e) }
  }
  if ('unavailable' in prepared) return { status: 'unavailable', reason: prepared.unavailable, loadMs }
  const opts = { ...DEFAULT_MEASURE, ...(w.measure?.[spec.impl] ?? {}) }
  if (spec.quick === true && opts.minRuns > 0) Object.assign(opts, { warmupRuns: 1, warmupMs: 0, minRuns: Math.min(opts.minRuns, 3), minMs: 0, maxMs: 0 })
  if (spec.mode === 'first') Object.assign(opts, { minRuns: 0 })
  try {
    const m = 'callAsync' in prepared ? await measureAsync(prepared.callAsync, opts) : measure(prepared.call, opts)
    const dtype = prepared.dtype ?? w.dtype
    const parts = spec.mode === 'full' ? writeOutput(`${spec.out}.bin`, m.last) : []
    const peak = Math.max(m.sampledPeakRss, process.resourceUsage().maxRSS * 1024)
    return {
      status: 'ok',
      loadMs,
      firstMs: m.firstMs,
      stats: stats(m.samples),
      samples: m.samples,
      batch: m.batch,
      warmupRuns: m.warmupRuns,
      dtype,
      ...(prepared.note !== undefined ? { note: prepared.note } : {}),
      repeatRel: compareParts(m.last, m.first).rel,
      rss: { loaded, peak },
      parts,
    }
  } catch (e) {
    return { status: 'error', reason: firstLine(e), loadMs, detail: String((e as Error)?.stack ?? e) }
  }
}

const spec = JSON.parse(process.argv[2]) as ChildSpec
const result = await main()
writeFileSync(`${spec.out}.json`, JSON.stringify(result))
// tfjs-wasm and jax-js may keep handles open; the answer is written
process.exit(0)
