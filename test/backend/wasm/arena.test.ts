/** The arena allocator: alignment, reuse and coalescing, growth that keeps contents, errors. */
import { describe, expect, it } from 'vitest'
import { Arena, PAGE, RESERVED } from '../../../src/backend/wasm'

describe('Arena', () => {
  it('hands out aligned, disjoint blocks above the reserved bytes', () => {
    const a = new Arena({ initialBytes: PAGE })
    const blocks: [number, number][] = []
    for (const [size, align] of [[1, 16], [7, 64], [100, 16], [0, 16], [33, 256], [4, 8]]) {
      const p = a.alloc(size, align)
      expect(p % align).toBe(0)
      expect(p).toBeGreaterThanOrEqual(RESERVED)
      for (const [q, s] of blocks) expect(p + Math.max(size, 1) <= q || q + s <= p).toBe(true)
      blocks.push([p, Math.max(size, 1)])
    }
    expect(a.bytesInUse).toBe(16 + 16 + 112 + 16 + 48 + 16)
  })

  it('reuses freed blocks (first fit) and coalesces neighbours', () => {
    const a = new Arena()
    const [x, y, z] = [a.alloc(64), a.alloc(64), a.alloc(64)]
    const top = a.alloc(16)
    a.free(x)
    a.free(y)
    expect(a.alloc(128)).toBe(x) // x and y merged
    a.free(z)
    expect(a.alloc(48)).toBe(z)
    a.free(top) // the top block goes back to the bump pointer, which then swallows z's free rest
    expect(a.alloc(32)).toBe(z + 48)
    expect(() => a.free(12345)).toThrow(/not a live allocation/)
    a.reset()
    expect(a.bytesInUse).toBe(0)
    expect(a.alloc(16)).toBe(RESERVED)
  })

  it('grows the memory on demand, keeping what was written', () => {
    const a = new Arena({ initialBytes: PAGE })
    const p = a.allocF64(100)
    a.f64(p, 100).set(Array.from({ length: 100 }, (_, i) => i * 1.5))
    expect(a.capacity).toBe(PAGE)
    const q = a.allocF32(1_000_000) // 4 MB: several grows' worth
    expect(a.capacity).toBeGreaterThanOrEqual(q + 4_000_000)
    expect(a.f64(p, 100)[99]).toBe(148.5)
    a.f32(q, 1_000_000)[999_999] = 3
    expect(a.f32(q, 1_000_000)[999_999]).toBe(3)
    const copy = a.put(new Float32Array([1, 2, 3]))
    expect(Array.from(a.f32(copy, 3))).toEqual([1, 2, 3])
  })

  it('a shared arena is backed by a SharedArrayBuffer; limits are enforced', () => {
    const s = new Arena({ shared: true, initialBytes: PAGE, maximumBytes: 4 * PAGE })
    expect(s.memory.buffer).toBeInstanceOf(SharedArrayBuffer)
    s.alloc(3 * PAGE)
    expect(() => s.alloc(2 * PAGE)).toThrow(/out of memory/)
    expect(() => new Arena().alloc(-1)).toThrow(/non-negative integer/)
    expect(() => new Arena().alloc(8, 3)).toThrow(/power of two/)
  })
})
