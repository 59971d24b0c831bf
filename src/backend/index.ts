/**
 * Backend: the fused-kernel evaluator (DESIGN §5). `compileJaxpr` turns a jaxpr into a
 * `Program` — validated, call bodies inlined, transposed contractions folded (dotfold.ts),
 * planned into fused loop kernels, matmul kernels and steps for the rest, each kernel generated
 * once per structure: as JavaScript, or, for large float maps, reductions and matmuls, as a
 * WebAssembly SIMD kernel (wasmlower.ts, wasmrun.ts, wasmengine.ts) — cached per jaxpr object
 * (jaxprs are immutable). `runJit` is the `jit` primitive's evaluator.
 *
 * The reference interpreter (the primitives' impls driven by evalJaxpr) stays the definition
 * of every result: LEIBNIZ_BACKEND=reference, `setBackend('reference')`, or an environment
 * without `new Function` selects it (evaluator.ts: with the WebAssembly kernels for large
 * maps, reductions and matmuls where only WebAssembly may be compiled).
 */
import { ConcreteArray, setEagerHook } from '../core/array'
import { takeOutputBuffers } from '../core/buffers'
import { phaseClock, timed } from '../core/phases'
import type { TypedArray } from '../ir/dtypes'
import type { Jaxpr } from '../ir/jaxpr'
import { evalJaxpr } from '../interpret/eval'
import { Builder } from './build'
import { makeEagerHook } from './eager'
import { onModeChange } from './compile'
import { evaluator } from './evaluator'
import { planJaxpr } from './plan'
import { Program } from './program'
import { flattenCalls } from './validate'
import { scalarBodies, wholeProgram } from './scalarmode'
import type { Subs } from './steps'
import { foldDotTransposes } from './dotfold'
import { expandWindows } from './windows'
import { releaseLargeArena } from './wasmengine'

export { EAGER_MIN_SIZE, EAGER_MIN_STEPS, setEagerMinSize } from './eager'
export { backendMode, setBackend, float32Mode, setFloat32Mode, setWasmKernels, stats, kernelSource, wasmKernelsEnabled, jsCodegenAvailable } from './compile'
export { evaluator, forgetRuntimeProbes, type Evaluator } from './evaluator'
export { wasmAvailable } from './wasmrun'
export { setThreads, threadsInUse, threadsSetting, setArenaRetainBytes } from './wasmengine'
export { setCacheLimits, cacheStats } from './caches'
export { type CacheLimits, DEFAULT_CACHE_LIMITS } from './cachelimits'
export type { Program } from './program'
export { describeProgram } from './describe'

let programs = new WeakMap<Jaxpr, Program>()
let kernelPrograms = new WeakMap<Jaxpr, Program>()

const prepare = (j: Jaxpr): Jaxpr => timed('plan: prepare', () => foldDotTransposes(expandWindows(flattenCalls(j))))

/** The fusion planner's program of `j` (`flat`: `j` prepared, if it is already). Sub-jaxprs
 *  that are not compiled whole get this one: a loop that runs its body's kernels step by step
 *  wants them fused. */
const kernelProgram = (j: Jaxpr, flat?: Jaxpr): Program => {
  let p = kernelPrograms.get(j)
  if (p === undefined) {
    const plan = timed('plan', () => planJaxpr(flat ?? prepare(j)))
    p = timed('build', () => new Program(new Builder(plan, SUBS).build()))
    kernelPrograms.set(j, p)
  }
  return p
}

/** Bodies of loops compiled whole and small programs: planned one step per equation
 *  (scalarmode.ts); everything else by the fusion planner. */
const bodies = scalarBodies(prepare, () => SUBS)
const SUBS: Subs = { compile: (j) => kernelProgram(j), scalar: (j) => timed('plan: scalar', () => bodies.compile(j)), inline: false }
onModeChange(() => {
  programs = new WeakMap()
  kernelPrograms = new WeakMap()
  bodies.reset()
})

/** The program of a jitted jaxpr: one function when its values are all small, else the
 *  fusion planner's. */
export const compileJaxpr = (j: Jaxpr): Program => {
  let p = programs.get(j)
  if (p === undefined) {
    const flat = prepare(j)
    p = timed('plan: scalar', () => wholeProgram(flat, SUBS, prepare)) ?? kernelProgram(j, flat)
    programs.set(j, p)
  }
  return p
}

/** Evaluate a closed-over-nothing jaxpr on concrete arrays: compiled, or by the reference
 *  interpreter when the backend is off (its eager hook still runs WebAssembly kernels in the
 *  'wasm-kernels' evaluator). */
export const runJit = (j: Jaxpr, xs: readonly ConcreteArray[]): ConcreteArray[] => {
  if (evaluator() !== 'compiled' || j.constVars.length > 0) return evalJaxpr(j, [], xs) as ConcreteArray[]
  let outs: TypedArray[]
  let fresh: readonly boolean[]
  try {
    const prog = compileJaxpr(j)
    fresh = prog.freshOutputs
    const into = takeOutputBuffers() ?? undefined
    const data = new Array<TypedArray>(xs.length)
    for (let i = 0; i < xs.length; i++) data[i] = xs[i].data
    // no closure per call unless the phases are being timed
    outs = phaseClock.on ? timed('run', () => prog.run(data, into)) : prog.run(data, into)
  } finally {
    releaseLargeArena()
  }
  const res = new Array<ConcreteArray>(outs.length)
  for (let i = 0; i < outs.length; i++) {
    const a = j.outs[i].aval
    res[i] = new ConcreteArray(outs[i], a.shape, a.dtype, a.weakType, fresh[i])
  }
  return res
}

setEagerHook(makeEagerHook(compileJaxpr))
