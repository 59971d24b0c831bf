/**
 * Backend: turning kernels into functions. Each kernel's source is generated from its IR and
 * compiled with `new Function` once; the result is cached under the kernel's structural key
 * (its IR as JSON — never the source text, which is derived from it), in a bounded cache of the
 * most recently used (cachelimits.ts). Where `new Function` is
 * unavailable (a Content-Security-Policy without 'unsafe-eval'), or when LEIBNIZ_BACKEND=reference,
 * no JS is generated and the reference interpreter runs instead (with the WebAssembly kernels
 * for large maps, reductions and matmuls where those are allowed: evaluator.ts).
 */
import { Lru } from '../core/lru'
import { timed } from '../core/phases'
import type { TypedArray } from '../ir/dtypes'
import { cacheLimits } from './cachelimits'
import { genDotBody } from './codegen/dot'
import { genLoopBody } from './codegen/loop'
import { ident } from './emit'
import { type Kernel, kernelKey } from './kernel'

export type KernelFn = (...bufs: TypedArray[]) => void

export interface Compiled {
  readonly fn: KernelFn
  readonly source: string
}

/** Compiled kernels by structural key (bounded: cachelimits.ts). */
export const kernelCache = new Lru<string, Compiled>(() => cacheLimits.kernels)

/** Counters for tests and diagnostics; `wasmKernelCalls` counts kernel calls that ran as
 *  WebAssembly (jitted or eager). The data path of compiled programs: `kernelsRun` kernel steps
 *  run by program drivers (JS or WebAssembly; not the steps inside a generated scan loop),
 *  `outputBytes` of fresh output buffers handed to callers, `outputBytesReused` of donated
 *  buffers reused for outputs, `arenaBytesIn` / `arenaBytesOut` copied into / out of the
 *  WebAssembly arena, `arenaBytesKept` of inputs not copied in because an earlier call left
 *  them there unchanged (wasmstaged.ts). */
export const stats = {
  kernelsCompiled: 0,
  kernelCacheHits: 0,
  programsCompiled: 0,
  wasmKernelCalls: 0,
  kernelsRun: 0,
  outputBytes: 0,
  outputBytesReused: 0,
  arenaBytesIn: 0,
  arenaBytesOut: 0,
  arenaBytesKept: 0,
}

/** The full source of a kernel: a factory whose result is the kernel function. */
export const kernelSource = (k: Kernel): string => {
  if (k.kind === 'dot') return `"use strict";\n${genDotBody(k)}`
  const params = [...k.inputs.map((_, i) => ident('a', i)), ...k.outputs.map((_, i) => ident('o', i))]
  return `"use strict";\nreturn function (${params.join(', ')}) {\n${genLoopBody(k)}\n};`
}

export const compileKernel = (k: Kernel): Compiled => {
  const key = kernelKey(k)
  const hit = kernelCache.get(key)
  if (hit !== undefined) {
    stats.kernelCacheHits++
    return hit
  }
  const { source, fn } = timed('js codegen', () => {
    const source = kernelSource(k)
    return { source, fn: new Function(source)() as KernelFn }
  })
  stats.kernelsCompiled++
  const c = { fn, source }
  kernelCache.set(key, c)
  return c
}

/** Driver factories by source (bounded: cachelimits.ts). */
export const driverCache = new Lru<string, (k: readonly unknown[]) => unknown>(() => cacheLimits.drivers)

/** Compile a driver's source (made of integers and fixed text only) into a factory taking
 *  the kernel functions; cached by the source, which is its structure. */
export const compileDriver = <F>(source: string): ((k: readonly unknown[]) => F) => {
  let f = driverCache.get(source)
  if (f === undefined) {
    f = new Function('k', source) as (k: readonly unknown[]) => unknown
    driverCache.set(source, f)
  }
  return f as (k: readonly unknown[]) => F
}

// ---- availability ------------------------------------------------------------------------

let jsCodegen: boolean | null = null

/** Whether this runtime compiles JavaScript from strings (`new Function`; a page's CSP forbids
 *  it without 'unsafe-eval'). Probed once: each refused probe costs the page a CSP report. */
export const jsCodegenAvailable = (): boolean => {
  if (jsCodegen === null) {
    try {
      jsCodegen = new Function('return 1')() === 1
    } catch {
      jsCodegen = false
    }
  }
  return jsCodegen
}

/** Forget the probe's answer (tests simulate other runtimes). */
export const forgetJsCodegenProbe = (): void => {
  jsCodegen = null
}

const envChoice = (): 'reference' | 'compiled' | null => {
  const v = typeof process !== 'undefined' ? process.env?.LEIBNIZ_BACKEND : undefined
  return v === 'reference' ? 'reference' : v === 'compiled' ? 'compiled' : null
}

let requested: 'reference' | 'compiled' | null = null

/** The evaluator asked for (LEIBNIZ_BACKEND or `setBackend`), whatever the runtime allows. */
export const requestedBackend = (): 'reference' | 'compiled' => {
  requested ??= envChoice() ?? 'compiled'
  return requested
}

/** Whether jit and eager calls use generated JS kernels ('compiled') or the impls ('reference':
 *  on request, or where `new Function` is unavailable — see evaluator.ts for what runs then). */
export const backendMode = (): 'reference' | 'compiled' =>
  requestedBackend() === 'reference' || !jsCodegenAvailable() ? 'reference' : 'compiled'

let f32Mode: 'exact' | 'relaxed' | null = null
const modeListeners: (() => void)[] = []

/** How compiled kernels round float32 intermediates: 'exact' (the default: every float32 op
 *  rounds its result, as XLA and the eager path do, so compiled results equal eager ones and the
 *  reference interpreter bit for bit — random streams, tests, checkpoints reproduce under jit),
 *  or 'relaxed' (values are rounded to float32 only where they are materialized — stored to a
 *  Float32Array — or explicitly cast; inside a fused kernel they stay double: 10–30 % faster on
 *  long chains, at least as accurate, but not bitwise equal to eager results).
 *  LEIBNIZ_FLOAT32=relaxed selects 'relaxed'. */
export const float32Mode = (): 'exact' | 'relaxed' => {
  if (f32Mode === null) f32Mode = typeof process !== 'undefined' && process.env?.LEIBNIZ_FLOAT32 === 'relaxed' ? 'relaxed' : 'exact'
  return f32Mode
}

export const setFloat32Mode = (m: 'exact' | 'relaxed'): void => {
  if (m !== 'exact' && m !== 'relaxed') throw new TypeError(`setFloat32Mode: expected 'exact' or 'relaxed', got ${String(m)}`)
  if (m === float32Mode()) return
  f32Mode = m
  modeListeners.forEach((f) => f())
}

let wasmOn: boolean | null = null

/** Whether programs may run their hot kernels (large float maps, reductions and matmuls) as
 *  WebAssembly SIMD kernels (the default where WebAssembly is available). Off with
 *  LEIBNIZ_WASM=off or `setWasmKernels(false)`: every kernel is then generated JavaScript. */
export const wasmKernelsEnabled = (): boolean => {
  if (wasmOn === null) wasmOn = !(typeof process !== 'undefined' && process.env?.LEIBNIZ_WASM === 'off')
  return wasmOn
}

export const setWasmKernels = (on: boolean): void => {
  if (typeof on !== 'boolean') throw new TypeError(`setWasmKernels: expected a boolean, got ${String(on)}`)
  if (on === wasmKernelsEnabled()) return
  wasmOn = on
  modeListeners.forEach((f) => f())
}

/** Called when compiled programs must be rebuilt (the float32 or wasm mode changed). */
export const onModeChange = (f: () => void): void => {
  modeListeners.push(f)
}

/** Choose the evaluator ('compiled' runs the impls anyway where code generation is
 *  unavailable; asking again probes the runtime again). */
export const setBackend = (m: 'reference' | 'compiled'): void => {
  if (m !== 'reference' && m !== 'compiled') throw new TypeError(`setBackend: expected 'reference' or 'compiled', got ${String(m)}`)
  requested = m
  jsCodegen = null
}
