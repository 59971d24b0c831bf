/**
 * What runs where a Content-Security-Policy forbids generated code. JavaScript from strings
 * ('unsafe-eval') and WebAssembly compilation ('wasm-unsafe-eval') are refused separately; here
 * both refusals are simulated by replacing `Function` and `WebAssembly.Module` with constructors
 * that throw as a browser does. Results must stay those of the reference interpreter; WebAssembly
 * kernels must still run where only they are allowed; a forced interpreter is announced once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Array as Arr, config, jit, np } from '../../src'
import { evaluator, forgetRuntimeProbes, setBackend, stats } from '../../src/backend'

/** The global WebAssembly object (the project's lib has no DOM or WebAssembly types). */
const WA = (globalThis as unknown as { WebAssembly: { Module: unknown; CompileError: ErrorConstructor } }).WebAssembly
const original = { Function: globalThis.Function, Module: WA.Module }

const blockJs = (): void => {
  globalThis.Function = function () {
    throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not an allowed source of script")
  } as unknown as FunctionConstructor
}
const blockWasm = (): void => {
  WA.Module = function () {
    throw new WA.CompileError("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script")
  }
}

let warn: ReturnType<typeof vi.spyOn>
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
})
afterEach(async () => {
  globalThis.Function = original.Function
  WA.Module = original.Module
  warn.mockRestore()
  setBackend('compiled')
  forgetRuntimeProbes()
  await config.set({ wasm: true })
})

const N = 100_000
const xs = Float64Array.from({ length: N }, (_, i) => Math.sin(i * 0.37) * 2)
// a map and a reduction; the map is large enough for the WebAssembly kernels
const f = (x: Arr) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(x))
// float64 reference, computed here independently of the library
const want = xs.reduce((s, v) => s + Math.tanh(v * 1.5 + 0.5) * v, 0)

describe('evaluator under a Content-Security-Policy', () => {
  it('no restrictions: compiled, WebAssembly kernels run, no warning', () => {
    forgetRuntimeProbes()
    expect(evaluator()).toBe('compiled')
    const before = stats.wasmKernelCalls
    // (float64 transcendentals stay in JS, which rounds them correctly: a float32 map here)
    expect(jit(f)(np.array(xs, { dtype: 'float32' })).item()).toBeCloseTo(want, -1)
    expect(jit(f)(np.array(xs)).item()).toBeCloseTo(want, 8)
    expect(stats.wasmKernelCalls).toBeGreaterThan(before)
    expect(warn).not.toHaveBeenCalled()
  })

  it("'wasm-unsafe-eval' without 'unsafe-eval': the interpreter with WebAssembly kernels, no warning", () => {
    blockJs()
    forgetRuntimeProbes()
    expect(evaluator()).toBe('wasm-kernels')
    expect(config.get().evaluator).toBe('wasm-kernels')
    const before = stats.wasmKernelCalls
    const compiledBefore = stats.kernelsCompiled
    const g = jit((x: Arr) => f(x).add(0)) // a fresh jaxpr: nothing cached from other tests
    expect(g(np.array(xs)).item()).toBeCloseTo(want, 8)
    expect(stats.wasmKernelCalls - before).toBeGreaterThanOrEqual(3) // mul, add, tanh, mul: each a wasm map
    expect(stats.kernelsCompiled).toBe(compiledBefore) // no JavaScript was generated
    // small arrays: the impls, same values
    expect(g(np.array([0.5, -1])).item()).toBeCloseTo(Math.tanh(1.25) * 0.5 - Math.tanh(-1) * 1, 14)
    expect(warn).not.toHaveBeenCalled()
  })

  it("'wasm-kernels': reductions over a block of axes and 2-D matmuls (either operand transposed) run as WebAssembly", () => {
    const rnd = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed) * 3)
    const x = np.array(rnd(6 * 50 * 40, 1)).reshape([6, 50, 40])
    const a = np.array(rnd(64 * 48, 2)).reshape([64, 48])
    const b = np.array(rnd(48 * 40, 3)).reshape([48, 40])
    const cases: [string, () => Arr][] = [
      ['sum all', () => np.sum(x)],
      ['sum axis 1', () => np.sum(x, 1)],
      ['max axes 1, 2', () => np.max(x, [1, 2])],
      ['min axis 0', () => np.min(x, 0)],
      ['a @ b', () => np.matmul(a, b)],
      ['aᵀ @ a', () => np.matmul(a.T, a)],
      ['b @ bᵀ', () => np.matmul(b, b.T)],
    ]
    setBackend('reference')
    const want = cases.map(([, f]) => f().tolist())
    setBackend('compiled')
    blockJs()
    forgetRuntimeProbes()
    expect(evaluator()).toBe('wasm-kernels')
    cases.forEach(([name, f], i) => {
      const before = stats.wasmKernelCalls
      const got = f()
      expect(stats.wasmKernelCalls, name).toBeGreaterThan(before)
      const [g, w] = [[got.tolist()].flat(3) as number[], [want[i]].flat(3) as number[]]
      expect(g.length, name).toBe(w.length)
      // sums are reassociated in blocks: equal to the last few bits
      g.forEach((v, q) => expect(Math.abs(v - w[q]), name).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w[q]))))
    })
    expect(warn).not.toHaveBeenCalled()
  })

  it('neither: the reference interpreter, correct, and exactly one warning naming what to allow', () => {
    blockJs()
    blockWasm()
    forgetRuntimeProbes()
    const before = stats.wasmKernelCalls
    const g = jit((x: Arr) => f(x).mul(1))
    for (let i = 0; i < 3; i++) expect(g(np.array(xs)).item()).toBeCloseTo(want, 8)
    expect(np.exp(np.array(xs)).shape).toEqual([N]) // eager calls too
    expect(config.get().evaluator).toBe('interpreter')
    expect(stats.wasmKernelCalls).toBe(before)
    expect(warn).toHaveBeenCalledTimes(1)
    const msg = String(warn.mock.calls[0][0])
    expect(msg).toMatch(/'wasm-unsafe-eval'/)
    expect(msg).toMatch(/'unsafe-eval'/)
    expect(msg).toMatch(/Content-Security-Policy/)
  })

  it('no JavaScript and the WebAssembly kernels turned off: one warning, which says to turn them on', async () => {
    blockJs()
    forgetRuntimeProbes()
    await config.set({ wasm: false })
    expect(jit((x: Arr) => f(x).sub(0))(np.array(xs)).item()).toBeCloseTo(want, 8)
    expect(config.get().evaluator).toBe('interpreter')
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0][0])).toMatch(/config\.set\(\{ wasm: true \}\)/)
  })

  it('the interpreter on request is silent', () => {
    setBackend('reference')
    forgetRuntimeProbes()
    expect(jit((x: Arr) => f(x).div(1))(np.array(xs)).item()).toBeCloseTo(want, 8)
    expect(config.get().evaluator).toBe('interpreter')
    expect(warn).not.toHaveBeenCalled()
  })
})
