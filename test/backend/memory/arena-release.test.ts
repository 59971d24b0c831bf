/**
 * The wasm arena gives its memory back after large calls: a WebAssembly memory cannot shrink,
 * so an arena that grew past the retained size is dropped once no call has needed it for a
 * moment, and the next call starts a small one. Calls that stay below the bound keep their arena.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { type Array as Arr, jit, np } from '../../../src'
import { setArenaRetainBytes } from '../../../src/backend'
import { arenaStats } from '../../../src/backend/wasmengine'

const MiB = 2 ** 20
/** Waits (up to 5 s) until `cond` holds; fails otherwise. */
const until = async (cond: () => boolean): Promise<void> => {
  const end = Date.now() + 5000
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}
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

  it('an arena that grew past the bound is replaced by a small one once idle', async () => {
    setArenaRetainBytes(16 * MiB)
    const x = ramp(1 << 21) // 16 MiB in, 16 MiB out: the arena grows to ≥ 32 MiB for the call
    const made = arenaStats().arenasMade
    const check = (y: Float64Array | Float32Array | Int32Array | Uint8Array) => {
      for (const i of [0, 12345, (1 << 21) - 1]) expect(y[i]).toBe(want((i % 1000) / 250 - 2))
    }
    check(f(x).toTypedArray())
    check(f(x).toTypedArray()) // a loop of large calls keeps its arena
    expect(arenaStats().arenasMade).toBe(made)
    expect(arenaStats().capacity).toBeGreaterThan(16 * MiB)
    await until(() => arenaStats().capacity <= 16 * MiB)
    // the next calls run on a fresh arena, with the same results (kernels re-instantiated on it)
    const small = ramp(4096)
    expect(Array.from(f(small).toTypedArray())).toEqual(Array.from(small.toTypedArray(), want))
    expect(arenaStats().arenasMade).toBe(made + 1)
    // eager wasm ops release the same way
    const z = x.mul(0.5).toTypedArray()
    expect(z[999]).toBe(0.5 * ((999 % 1000) / 250 - 2))
    expect(arenaStats().capacity).toBeGreaterThan(16 * MiB)
    await until(() => arenaStats().capacity <= 16 * MiB)
    check(f(x).toTypedArray())
  })

  it('rejects a retained size that is not a number of bytes', () => {
    expect(() => setArenaRetainBytes(Number.NaN)).toThrow(RangeError)
    expect(() => setArenaRetainBytes(-1)).toThrow(/≥ 0/)
  })
})
