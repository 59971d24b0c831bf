/**
 * A runtime whose WebAssembly memory can be created but not grown (the process is near its
 * memory limit). A call whose operands do not fit in the arena runs its generated-JS kernel,
 * with one warning, and gives the JS results.
 */
import { afterAll, describe, expect, it, vi } from 'vitest'
import { type Array as Arr, jit, np } from '../../../src'
import { setThreads, setWasmKernels } from '../../../src/backend'
import { wasm } from '../../../src/backend/wasm'
import { arenaStats } from '../../../src/backend/wasmengine'

type MemoryCtor = typeof wasm.Memory
const RealMemory: MemoryCtor = wasm.Memory // the global WebAssembly object's
const noGrow = function (d: ConstructorParameters<MemoryCtor>[0]) {
  const m = new RealMemory(d)
  Object.defineProperty(m, 'grow', {
    value: () => {
      throw new RangeError('WebAssembly.Memory.grow(): Unable to grow instance memory')
    },
  })
  return m
} as unknown as MemoryCtor
const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
afterAll(async () => {
  wasm.Memory = RealMemory
  warn.mockRestore()
  await setThreads(1) // a fresh arena on the real memory for whatever runs next
})

const bits = (a: Arr): number[] => Array.from(a.toTypedArray())

describe('WebAssembly memory cannot grow', () => {
  it('a call too large for the arena runs in JS, with the JS results, and says so once', async () => {
    wasm.Memory = noGrow
    await setThreads(1) // the next arena is made by the constructor above
    const f = (v: Arr) => np.sqrt(v.mul(v).add(1)).mul(v)
    const big = np.array(Float64Array.from({ length: 1 << 19 }, (_, i) => Math.cos(i))) // 4 MiB in, 4 MiB out
    const got = jit(f)(big)
    const capacity = arenaStats().capacity
    expect(capacity).toBeGreaterThan(0)
    expect(capacity).toBeLessThanOrEqual(4 << 20) // never grew
    setWasmKernels(false)
    const want = jit(f)(big)
    setWasmKernels(true)
    expect(bits(got)).toEqual(bits(want))
    expect(got.toTypedArray()[3]).toBeCloseTo(Math.sqrt(Math.cos(3) ** 2 + 1) * Math.cos(3), 14)
    jit(f)(big) // a second refusal: no second warning
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0][0])).toMatch(/could not grow/)
  })

})
