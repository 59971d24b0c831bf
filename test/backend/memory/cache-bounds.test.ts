/**
 * The process-wide caches of compiled code are bounded: many distinct shapes never grow them
 * past their limits, and an evicted kernel, module or signature is rebuilt with the right
 * results when it comes back.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { type Array as Arr, jit, np } from '../../../src'
import { DEFAULT_CACHE_LIMITS, cacheStats, setCacheLimits, setEagerMinSize, stats } from '../../../src/backend'
import { Lru } from '../../../src/core/lru'

afterAll(() => {
  setCacheLimits(DEFAULT_CACHE_LIMITS)
  setEagerMinSize(256)
})

const ramp = (n: number, dtype: 'float32' | 'float64' = 'float64') => {
  const v = Array.from({ length: n }, (_, i) => i / 7 - 3)
  return np.array(dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v))
}

describe('Lru', () => {
  it('keeps the most recently used entries and returns the ones it drops', () => {
    let cap = 3
    const c = new Lru<string, number>(() => cap)
    c.set('a', 1)
    c.set('b', 2)
    c.set('c', 3)
    expect(c.get('a')).toBe(1) // a is now the most recent: b goes first
    expect(c.set('d', 4)).toEqual([['b', 2]])
    expect([c.has('a'), c.has('b'), c.has('c'), c.has('d')]).toEqual([true, false, true, true])
    cap = 1
    expect(c.trim()).toEqual([['c', 3], ['a', 1]])
    expect(c.size).toBe(1)
    expect(c.get('d')).toBe(4)
  })
})

describe('process-wide caches under many shapes', () => {
  it('stay within their limits, and evicted kernels are rebuilt correctly', () => {
    setCacheLimits({ kernels: 16, drivers: 8, eagerOps: 8, jitSignatures: 8 })
    const f = jit((v: Arr) => np.sin(v).mul(2).add(v))
    const want = (x: number) => 2 * Math.sin(x) + x
    for (let n = 1; n <= 60; n++) {
      const y = f(ramp(n)).toTypedArray()
      expect(y[n - 1]).toBeCloseTo(want((n - 1) / 7 - 3), 12)
    }
    const s = cacheStats()
    expect(s.kernels).toBeLessThanOrEqual(16)
    expect(s.drivers).toBeLessThanOrEqual(8)
    expect(s.limits.kernels).toBe(16)
    // the first shapes were evicted from the jit cache and the kernel cache: tracing and
    // compiling them again gives the same values
    const traced = f.traceCount
    const compiled = stats.kernelsCompiled
    const y1 = f(ramp(1)).toTypedArray()
    expect(y1[0]).toBeCloseTo(want(-3), 12)
    expect(f.traceCount).toBe(traced + 1)
    expect(stats.kernelsCompiled).toBeGreaterThan(compiled)
    // a recent shape is still cached
    f(ramp(60))
    expect(f.traceCount).toBe(traced + 1)
  })

  it('eager op tables stay within their limit', () => {
    setCacheLimits({ eagerOps: 8 })
    setEagerMinSize(0)
    for (let y = 2; y < 40; y++) {
      const r = np.power(ramp(5), y).toTypedArray() // integer_pow: one loop per exponent
      expect(r[4] / (4 / 7 - 3) ** y).toBeCloseTo(1, 12)
    }
    for (let n = 256; n < 300; n++) np.sin(ramp(n, 'float32')) // one wasm kernel per size
    expect(cacheStats().eagerOps).toBeLessThanOrEqual(8)
    expect(cacheStats().eagerWasmOps).toBeLessThanOrEqual(8)
    setEagerMinSize(256)
  })

  it('the WebAssembly module cache stays within its limit and recompiles an evicted module', () => {
    setCacheLimits({ wasmModules: 2 })
    const x = ramp(4096)
    const fs = [
      (v: Arr) => v.mul(v).add(1),
      (v: Arr) => v.mul(3).sub(v.mul(v)),
      (v: Arr) => np.sqrt(v.mul(v).add(2)),
      (v: Arr) => v.div(v.mul(v).add(4)),
    ]
    const wants = [(t: number) => t * t + 1, (t: number) => 3 * t - t * t, (t: number) => Math.sqrt(t * t + 2), (t: number) => t / (t * t + 4)]
    for (let round = 0; round < 2; round++) {
      fs.forEach((f, i) => {
        const y = jit(f)(x).toTypedArray()
        for (const k of [0, 100, 4095]) expect(y[k]).toBeCloseTo(wants[i](k / 7 - 3), 12)
        expect(cacheStats().wasmModules).toBeLessThanOrEqual(2)
      })
    }
  })

  it('rejects bounds that are not integers ≥ 1 and unknown caches', () => {
    expect(() => setCacheLimits({ kernels: 0 })).toThrow(/kernels must be an integer ≥ 1, got 0/)
    expect(() => setCacheLimits({ drivers: 1.5 })).toThrow(RangeError)
    expect(() => setCacheLimits({ kernal: 4 } as never)).toThrow(/unknown cache 'kernal'/)
  })
})
