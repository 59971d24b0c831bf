/**
 * JS numbers where an int32 is meant are never wrapped (`v | 0`) or truncated: a named error,
 * or JAX's clamping where the operation clamps.
 */
import { describe, expect, it } from 'vitest'
import { np, lax, jit, ValueError } from '../../src'
import type { Array } from '../../src'

const count = (lo: number, hi: number) => lax.foriLoop(lo, hi, (_i: Array, c: Array) => c.add(1), np.array(0)).item()

describe('JS numbers meant as int32', () => {
  it('foriLoop bounds outside int32 are ValueErrors; inside, the count is right', () => {
    expect(() => count(2 ** 31 - 2, 2 ** 31 + 1)).toThrow(ValueError)
    expect(() => count(2 ** 31 - 2, 2 ** 31 + 1)).toThrow(/int32 range/)
    expect(() => count(-(2 ** 31) - 1, 0)).toThrow(ValueError)
    expect(() => count(0, 1.5)).toThrow(ValueError)
    expect(count(2 ** 31 - 4, 2 ** 31 - 1)).toBe(3)
    // the counter's last value is 2^31 − 2: no wrap inside the body
    expect(lax.foriLoop(2 ** 31 - 3, 2 ** 31 - 1, (i: Array, _c: Array) => i.astype('float64'), np.array(0)).item()).toBe(2 ** 31 - 2)
    // traced upper bound: the JS-number lower bound is checked too
    expect(() => lax.foriLoop(3e9, np.array(5, { dtype: 'int32' }), (_i: Array, c: Array) => c, np.array(0))).toThrow(ValueError)
  })

  it('switch clamps an integer index into range and rejects a fractional one', () => {
    const branches = [() => np.array(0), () => np.array(1), () => np.array(2)]
    expect(lax.switch(3e9, branches).item()).toBe(2)
    expect(lax.switch(2 ** 32, branches).item()).toBe(2) // 2^32 | 0 would be 0
    expect(lax.switch(-3e9, branches).item()).toBe(0)
    expect(lax.switch(1, branches).item()).toBe(1)
    expect(() => lax.switch(1.5, branches)).toThrow(ValueError)
    expect(() => lax.switch(NaN, branches)).toThrow(ValueError)
  })

  it('cond takes a JS number or an int32 scalar as pred != 0, as JAX', () => {
    const pick = (p: number | Array) => lax.cond(p as never, () => np.array(1), () => np.array(0)).item()
    expect(pick(2 ** 32)).toBe(1) // 2^32 | 0 would be 0, i.e. false
    expect(pick(0.5)).toBe(1)
    expect(pick(0)).toBe(0)
    expect(pick(np.array(-5, { dtype: 'int32' }))).toBe(1)
    expect(pick(np.array(0, { dtype: 'int32' }))).toBe(0)
    expect(jit((p: Array) => lax.cond(p as never, () => np.array(1), () => np.array(0)))(np.array(-5, { dtype: 'int32' })).item()).toBe(1)
  })

  it('dynamicSlice / dynamicUpdateSlice clamp large JS starts so the window fits', () => {
    const a = np.arange(10)
    expect(lax.dynamicSlice(a, [3e9], [2]).tolist()).toEqual([8, 9])
    expect(lax.dynamicSlice(a, [-3e9], [2]).tolist()).toEqual([0, 1])
    expect(lax.dynamicUpdateSlice(a, np.array([-1, -1]), [2 ** 32]).tolist()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, -1, -1])
    expect(() => lax.dynamicSlice(a, [1.5], [2])).toThrow(ValueError)
  })

  it('np.take / takeAlongAxis positions beyond int32 are ValueErrors (not element 0)', () => {
    const x = np.array([10, 20, 30])
    expect(() => np.take(x, [3e9])).toThrow(ValueError)
    expect(() => np.take(x, [2 ** 32])).toThrow(/int32 range/)
    expect(np.take(x, [2, 0]).tolist()).toEqual([30, 10])
  })

  it('arange with dtype int32 rejects values that do not fit', () => {
    expect(() => np.arange(3e9, 3e9 + 3, { dtype: 'int32' })).toThrow(ValueError)
    expect(() => np.arange(2 ** 31 - 2, 2 ** 31 + 1, { dtype: 'int32' })).toThrow(ValueError)
    expect(np.arange(2 ** 31 - 3, 2 ** 31 - 1, { dtype: 'int32' }).tolist()).toEqual([2 ** 31 - 3, 2 ** 31 - 2])
  })

  it('lax.pad of an int32 array with a value that is not an int32 is a ValueError', () => {
    const x = np.array([1, 2], { dtype: 'int32' })
    expect(() => lax.pad(x, 3e9, [[1, 0, 0]])).toThrow(ValueError)
    expect(lax.pad(x, -7, [[1, 0, 0]]).tolist()).toEqual([-7, 1, 2])
  })
})
