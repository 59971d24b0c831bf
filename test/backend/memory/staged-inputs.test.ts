/**
 * Inputs kept in the WebAssembly arena between calls (src/backend/wasmstaged.ts): an Array
 * passed again is not copied in again, and a kept copy is never read once the array's memory
 * may hold other values (donated and rewritten, evicted and reused, handed out to the user).
 * Results are compared with the same math in doubles, rounded to float32 at the end.
 */
import { describe, expect, it } from 'vitest'
import { jit, np } from '../../../src'
import type { NDArray } from '../../../src'
import { stats } from '../../../src/backend'

const N = 1 << 15 // 128 KiB of float32: large enough to be kept
const data = (seed: number): Float32Array => Float32Array.from({ length: N }, (_, i) => Math.sin(seed + 0.37 * i))
/** x ↦ x·0.5 + 1 in float32 (both operations exact or rounded once: 0.5·x is exact) */
const want = (x: Float32Array): Float32Array => x.map((v) => Math.fround(v * 0.5 + 1))
const step = (x: NDArray) => x.mul(0.5).add(1)

const counters = () => ({ in: stats.arenaBytesIn, kept: stats.arenaBytesKept, wasm: stats.wasmKernelCalls, reused: stats.outputBytesReused })
const since = (c: ReturnType<typeof counters>) => {
  const now = counters()
  return { in: now.in - c.in, kept: now.kept - c.kept, wasm: now.wasm - c.wasm, reused: now.reused - c.reused }
}

describe('inputs kept in the arena', () => {
  it('an Array passed again is read where the previous call left it', () => {
    const f = jit(step)
    const x = np.array(data(1))
    expect(f(x).toTypedArray()).toEqual(want(data(1)))
    const c = counters()
    for (let i = 0; i < 3; i++) expect(f(x).toTypedArray()).toEqual(want(data(1)))
    const d = since(c)
    expect(d.wasm).toBeGreaterThanOrEqual(3)
    expect(d.kept).toBe(3 * 4 * N)
    expect(d.in).toBe(0)
  })

  it('two different Arrays of the same shape each give their own result', () => {
    const f = jit(step)
    const a = np.array(data(2))
    const b = np.array(data(3))
    for (let i = 0; i < 3; i++) {
      expect(f(a).toTypedArray()).toEqual(want(data(2)))
      expect(f(b).toTypedArray()).toEqual(want(data(3)))
    }
    // the same Array under two jitted functions
    const g = jit((x: NDArray) => x.mul(x))
    expect(g(a).toTypedArray()).toEqual(data(2).map((v) => Math.fround(v * v)))
  })

  it('a donated Array whose memory holds a later result is copied in afresh', () => {
    const f = jit(step, { donateArgnums: 0 })
    let expected = data(4)
    let x = f(np.array(expected))
    expected = want(expected)
    const c = counters()
    for (let i = 0; i < 6; i++) {
      x = f(x) // x's memory is kept by this call, then donated; a later result is written into it
      expected = want(expected)
      expect(x.toTypedArray()).toEqual(expected)
    }
    const d = since(c)
    expect(d.reused).toBeGreaterThan(0) // outputs were written into donated (previously kept) memory
    expect(d.kept).toBe(0) // and no call read a stale copy: every input was new or rewritten
  })

  it('more Arrays than are kept: evicted copies are freed and their memory reused correctly', () => {
    const f = jit(step)
    const xs = Array.from({ length: 12 }, (_, i) => np.array(data(10 + i)))
    for (let round = 0; round < 2; round++) {
      xs.forEach((x, i) => expect(f(x).toTypedArray()).toEqual(want(data(10 + i))))
    }
    // and the most recent ones are still kept
    const c = counters()
    expect(f(xs[11]).toTypedArray()).toEqual(want(data(21)))
    expect(since(c).kept).toBe(4 * N)
  })

  it('an Array whose buffer is handed out without a copy is copied in on each call', () => {
    const f = jit(step)
    const x = np.array(data(5))
    const view = x.toTypedArray({ copy: false }) as Float32Array
    const c = counters()
    expect(f(x).toTypedArray()).toEqual(want(view))
    expect(f(x).toTypedArray()).toEqual(want(view))
    expect(since(c).kept).toBe(0)
  })

  it('small inputs are copied in each call (nothing kept)', () => {
    const f = jit(step)
    const x = np.array(new Float32Array(1024).fill(3))
    f(x)
    const c = counters()
    expect(f(x).toTypedArray()[5]).toBe(2.5)
    expect(since(c).kept).toBe(0)
  })
})
