/**
 * config.set / config.get: the runtime settings where there are no environment variables.
 * Values are validated (a bad call throws a ValueError and changes nothing) and take effect on
 * the next call of an already jitted function.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Array as Arr, ValueError, config, jit, np } from '../../src'
import { cacheStats, stats } from '../../src/backend'

afterEach(async () => {
  await config.set({ wasm: true, threads: 1, float32: 'exact' })
})

const N = 4096
const xs = Float32Array.from({ length: N }, (_, i) => Math.cos(i * 0.1))
const f = jit((x: Arr) => np.exp(x).mul(x))
const want = Array.from(xs, (v) => Math.fround(Math.fround(Math.exp(v)) * v))

describe('config', () => {
  it('get reports the defaults of a process without LEIBNIZ_* variables', () => {
    const c = config.get()
    expect(c).toMatchObject({ threads: 1, wasm: true, float32: 'exact', evaluator: 'compiled', threadsInUse: 1 })
  })

  it('wasm: false runs generated JS only, true the WebAssembly kernels again; same values', async () => {
    const x = np.array(xs, { dtype: 'float32' })
    const before = stats.wasmKernelCalls
    await config.set({ wasm: false })
    expect(config.get().wasm).toBe(false)
    const off = f(x).tolist() as number[]
    expect(stats.wasmKernelCalls).toBe(before)
    await config.set({ wasm: true })
    const on = f(x).tolist() as number[]
    expect(stats.wasmKernelCalls).toBeGreaterThan(before)
    // float32 exp: wasm's ≤ 1 ulp, JS's correctly rounded; the products are float32 roundings
    for (let i = 0; i < N; i++) {
      expect(Math.abs(off[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -23)
      expect(Math.abs(on[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -22)
    }
  })

  it('threads: the setting is kept; set resolves once the workers run (2 threads in Node)', async () => {
    await config.set({ threads: 2 })
    expect(config.get().threads).toBe(2)
    expect(config.get().threadsInUse).toBe(2)
    await config.set({ threads: 1 })
    expect(config.get()).toMatchObject({ threads: 1, threadsInUse: 1 })
  })

  it('float32: relaxed and exact', async () => {
    await config.set({ float32: 'relaxed' })
    expect(config.get().float32).toBe('relaxed')
    await config.set({ float32: 'exact' })
    expect(config.get().float32).toBe('exact')
  })

  it('bad values: a ValueError that says what is expected, and nothing changes', () => {
    const bad: [unknown, RegExp][] = [
      [{ threads: 0 }, /threads must be an integer from 1 to 64, got 0/],
      [{ threads: 1.5 }, /got 1\.5/],
      [{ threads: '2' }, /got "2"/],
      [{ threads: 65 }, /from 1 to 64/],
      [{ wasm: 'off' }, /wasm must be true or false, got "off"/],
      [{ float32: 'fast' }, /'exact' or 'relaxed', got "fast"/],
      [{ thread: 2 }, /unknown setting 'thread'; the settings are threads, wasm, float32/],
      [null, /expected an object/],
      [[1], /expected an object/],
      [{ wasm: false, threads: -1 }, /threads/],
    ]
    for (const [s, msg] of bad) {
      expect(() => config.set(s as never), JSON.stringify(s)).toThrow(ValueError)
      expect(() => config.set(s as never)).toThrow(msg)
    }
    // the last one had a valid wasm field: it was not applied
    expect(config.get()).toMatchObject({ threads: 1, wasm: true, float32: 'exact' })
  })
})

describe('config caches', () => {
  it('sets the bounds of the caches of compiled code and reports them', async () => {
    const before = config.get().caches
    try {
      await config.set({ caches: { kernels: 7 } })
      expect(config.get().caches).toEqual({ ...before, kernels: 7 })
      // a jitted function over many shapes keeps at most 7 generated kernels
      const f = jit((x: ReturnType<typeof np.array>) => np.sin(x).mul(2).add(1))
      for (let n = 1; n <= 20; n++) expect(f(np.ones([n])).tolist()).toEqual(new globalThis.Array(n).fill(2 * Math.sin(1) + 1))
      expect(cacheStats().kernels).toBeLessThanOrEqual(7)
    } finally {
      await config.set({ caches: before })
    }
    expect(config.get().caches).toEqual(before)
  })
  it('rejects unknown caches and bad bounds with a ValueError, changing nothing', async () => {
    const before = config.get().caches
    expect(() => config.set({ caches: { kernel: 5 } as never })).toThrow(/unknown cache 'kernel'.*kernels/)
    expect(() => config.set({ caches: { kernels: 0 } })).toThrow(ValueError)
    expect(() => config.set({ caches: 3 as never })).toThrow(/caches must be an object/)
    expect(config.get().caches).toEqual(before)
  })
})
