/**
 * The wasm arena gives its memory back after a large call: a WebAssembly memory cannot shrink,
 * so an arena that grew past the retained size is dropped when the call ends and the next call
 * starts a small one. Calls that stay below the bound keep their arena.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { type Array as Arr, jit, np } from '../../../src'
import { setArenaRetainBytes } from '../../../src/backend'
import { arenaStats } from '../../../src/backend/wasmengine'

const MiB = 2 ** 20
afterAll(() => setArenaRetainBytes(64 * MiB))

const ramp = (n: number) => np.array(Float64Array.from({ length: n }, (_, i) => (i % 1000) / 250 - 2))
const f = jit((v: Arr) => np.sqrt(v.mul(v).add(1)).mul(v))
const want = (v: number) => Math.sqrt(v * v + 1) * v

describe('arena release', () => {
  it('small calls keep one arena', () => {
    const x = ramp(4096)
    f(x)
    const before = arenaStats()
    expect(before.capacity).toBeGreaterThan(0)
    for (let i = 0; i < 20; i++) expect(f(x).toTypedArray()[7]).toBe(want((7 % 1000) / 250 - 2))
    expect(arenaStats().arenasMade).toBe(before.arenasMade)
    expect(arenaStats().capacity).toBe(before.capacity)
  })

  it('after a call that grew the arena past the bound, the arena is small again', () => {
    setArenaRetainBytes(16 * MiB)
    const x = ramp(1 << 21) // 16 MiB in, 16 MiB out: the arena grows to ≥ 32 MiB for the call
    const made = arenaStats().arenasMade
    const y = f(x).toTypedArray()
    for (const i of [0, 12345, (1 << 21) - 1]) expect(y[i]).toBe(want((i % 1000) / 250 - 2))
    expect(arenaStats().capacity).toBeLessThanOrEqual(16 * MiB)
    // the next calls run on a fresh arena, with the same results (kernels re-instantiated on it)
    const small = ramp(4096)
    expect(Array.from(f(small).toTypedArray())).toEqual(Array.from(small.toTypedArray(), want))
    expect(arenaStats().arenasMade).toBe(made + 1)
    expect(arenaStats().capacity).toBeLessThanOrEqual(16 * MiB)
    // eager wasm ops release the same way
    const z = np.exp(x.mul(0.001)).toTypedArray()
    expect(z[999]).toBeCloseTo(Math.exp(0.001 * ((999 % 1000) / 250 - 2)), 14)
    expect(arenaStats().capacity).toBeLessThanOrEqual(16 * MiB)
  })

  it('rejects a retained size that is not a number of bytes', () => {
    expect(() => setArenaRetainBytes(Number.NaN)).toThrow(RangeError)
    expect(() => setArenaRetainBytes(-1)).toThrow(/≥ 0/)
  })
})
