/**
 * A runtime that refuses WebAssembly memory (an address-space limit such as `ulimit -v`: each
 * memory reserves several GiB of address space). The WebAssembly kernels' memory is replaced
 * here, before anything in this file has created one, by a constructor that throws as V8 does;
 * every op must then run its generated-JS kernel (with one warning) and give the JS results.
 */
import { afterAll, describe, expect, it, vi } from 'vitest'
import { type Array as Arr, jit, np } from '../../../src'
import { setWasmKernels } from '../../../src/backend'
import { wasm } from '../../../src/backend/wasm'
import { arenaStats } from '../../../src/backend/wasmengine'
import { wasmAvailable } from '../../../src/backend/wasmrun'

type MemoryCtor = typeof wasm.Memory
const RealMemory: MemoryCtor = wasm.Memory // the global WebAssembly object's
const refuse = function (): never {
  throw new RangeError('WebAssembly.Memory(): could not allocate memory')
} as unknown as MemoryCtor
wasm.Memory = refuse
const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
afterAll(() => {
  wasm.Memory = RealMemory
  warn.mockRestore()
})

const data = (n: number, f: (i: number) => number) => np.array(Float32Array.from({ length: n }, (_, i) => f(i)))
/** The same computation with the WebAssembly kernels switched off: the generated-JS results. */
const jsOnly = <T>(f: () => T): T => {
  setWasmKernels(false)
  try {
    return f()
  } finally {
    setWasmKernels(true)
  }
}
const bits = (a: Arr): number[] => Array.from(a.toTypedArray())

describe('WebAssembly.Memory cannot be created', () => {
  const x = data(4096, (i) => Math.sin(i) * 3)
  const loss = jit((v: Arr) => np.sum(np.tanh(v.mul(1.5)).mul(v)))
  const map = jit((v: Arr) => np.exp(v.mul(0.5)).add(v))

  it('eager float ops on ≥ 256 elements run in JS, with the JS results', () => {
    const got = np.sin(x)
    expect(bits(got)).toEqual(jsOnly(() => bits(np.sin(x))))
    expect(got.toTypedArray()[5]).toBeCloseTo(Math.sin(Math.fround(Math.sin(5) * 3)), 6)
  })

  it('jitted maps and reductions run in JS, with the JS results', () => {
    expect(bits(map(x))).toEqual(jsOnly(() => bits(jit((v: Arr) => np.exp(v.mul(0.5)).add(v))(x))))
    const want = Float64Array.from(x.toTypedArray()).reduce((s, v) => s + Math.tanh(Math.fround(1.5 * v)) * v, 0)
    expect(loss(x).item()).toBeCloseTo(want, 2)
  })

  it('reports WebAssembly as unavailable, made no arena, and warned once', () => {
    np.sin(x)
    map(x)
    expect(wasmAvailable()).toBe(false)
    expect(arenaStats().capacity).toBe(0)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0][0])).toMatch(/WebAssembly memory could not be created.*generated-JS kernels/)
  })
})
