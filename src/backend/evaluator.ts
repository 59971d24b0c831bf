/**
 * Backend: which evaluator runs jit and eager calls, given what was asked for and what the
 * runtime allows. A page's Content-Security-Policy decides two things separately:
 *
 *   'unsafe-eval'       → JavaScript from strings (`new Function`): fused JS kernels and drivers;
 *   'wasm-unsafe-eval'  → WebAssembly compilation (also allowed by 'unsafe-eval').
 *
 * - 'compiled': both fused JS kernels and WebAssembly kernels (the default where allowed).
 * - 'wasm-kernels': no JS generation, WebAssembly allowed — the reference interpreter runs
 *   each equation, and large elementwise ops (≥ 256 float elements), sum/max/min reductions
 *   and 2-D matmuls run the WebAssembly kernels a compiled program would run for them
 *   (eager.ts, eagerwasm.ts; unfused: slower than 'compiled', faster than the interpreter
 *   alone). The rest runs its impls.
 * - 'interpreter': the reference interpreter alone — on request (LEIBNIZ_BACKEND=reference,
 *   `setBackend('reference')`), or because neither kind of code may be generated.
 *
 * Every evaluator computes the same values (the interpreter defines them; the kernels are
 * checked against it). When the runtime forces the interpreter, one console warning says what
 * the policy would need to allow; a requested interpreter is silent.
 */
import { forgetJsCodegenProbe, jsCodegenAvailable, requestedBackend, wasmKernelsEnabled } from './compile'
import { forgetWasmProbe, wasmAvailable } from './wasmrun'

export type Evaluator = 'compiled' | 'wasm-kernels' | 'interpreter'

let warned = false

/** The evaluator jit and eager calls use now (probing the runtime on first use). */
export const evaluator = (): Evaluator => {
  if (requestedBackend() === 'reference') return 'interpreter'
  if (jsCodegenAvailable()) return 'compiled'
  // (wasm off by request skips the probe: no CSP report for a compile nobody wants)
  const wasmOk = wasmKernelsEnabled() && wasmAvailable()
  if (wasmOk) return 'wasm-kernels'
  if (!warned) {
    warned = true
    announceInterpreterFallback(wasmKernelsEnabled())
  }
  return 'interpreter'
}

/** Probe the runtime again on next use, and warn again if it forces the interpreter (tests
 *  simulate runtimes with and without code generation). */
export const forgetRuntimeProbes = (): void => {
  warned = false
  forgetJsCodegenProbe()
  forgetWasmProbe()
}

/** The one warning when the runtime forbids generated code (results stay correct, only slower). */
const announceInterpreterFallback = (wasmWanted: boolean): void => {
  const why = wasmWanted
    ? "generating code is not allowed here (neither 'unsafe-eval' nor 'wasm-unsafe-eval')"
    : "generating JavaScript is not allowed here (no 'unsafe-eval') and the WebAssembly kernels are off"
  const allow = wasmWanted
    ? "allow 'wasm-unsafe-eval' in the page's Content-Security-Policy (script-src) for the WebAssembly kernels, or 'unsafe-eval' for the fused JavaScript kernels as well"
    : "allow 'unsafe-eval' in the page's Content-Security-Policy (script-src), or turn the WebAssembly kernels on (config.set({ wasm: true })) and allow 'wasm-unsafe-eval'"
  const c = (globalThis as { console?: { warn?: (msg: string) => void } }).console
  c?.warn?.(`leibniz: ${why}: jit and large array ops run in the reference interpreter (same results, 10-100x slower). To speed them up, ${allow}.`)
}
