import { describe, expect, it } from 'vitest'
import { ShapeError } from '../../src/core/errors'
import {
  asArray, broadcastArrays, broadcastShapes, broadcastTo, promoteAndBroadcast, promoteArgs, promoteToFloat, resultType, toFloat,
} from '../../src/numpy/promote'
import { bool, check, f32, f64, i32 } from './helpers'

describe('asArray', () => {
  it('passes arrays through unchanged', () => {
    const x = f32([1, 2])
    expect(asArray(x, 'op')).toBe(x)
  })
  it('makes JS integers weak int32 and other numbers weak float64', () => {
    check(asArray(2, 'op'), { shape: [], dtype: 'int32', weak: true }, [2])
    check(asArray(2.5, 'op'), { shape: [], dtype: 'float64', weak: true }, [2.5])
    check(asArray(NaN, 'op'), { shape: [], dtype: 'float64', weak: true }, [NaN])
    // integers outside int32 would wrap: they become float64
    check(asArray(3e9, 'op'), { shape: [], dtype: 'float64', weak: true }, [3e9])
    check(asArray(-(2 ** 31), 'op'), { shape: [], dtype: 'int32', weak: true }, [-(2 ** 31)])
    const negZero = asArray(-0, 'op')
    expect(negZero.dtype).toBe('float64')
    expect(Object.is((negZero as unknown as { data: Float64Array }).data[0], -0)).toBe(true)
  })
  it('makes booleans bool (never weak)', () => {
    check(asArray(true, 'op'), { shape: [], dtype: 'bool' }, [1])
  })
  it('rejects anything else with a TypeError naming the op', () => {
    expect(() => asArray('a' as never, 'np.add')).toThrow(TypeError)
    expect(() => asArray('a' as never, 'np.add')).toThrow(/^np\.add: expected an Array or a JS number, got string a/)
    expect(() => asArray([1, 2] as never, 'np.sum')).toThrow(/np\.sum: .*JS array of length 2.*np\.array/)
    expect(() => asArray(null as never, 'np.sum')).toThrow(/np\.sum: .*null/)
  })
})

describe('promoteArgs (JAX lattice)', () => {
  const typeOf = (...xs: Parameters<typeof promoteArgs>[1][]) => {
    const out = promoteArgs('op', ...xs)
    expect(new Set(out.map((t) => `${t.dtype}/${t.weakType}`)).size).toBe(1)
    return { dtype: out[0].dtype, weak: out[0].weakType }
  }
  it('keeps a float32 array float32 next to a JS float', () => {
    expect(typeOf(f32([1]), 2.5)).toEqual({ dtype: 'float32', weak: false })
    expect(typeOf(2.5, f32([1]))).toEqual({ dtype: 'float32', weak: false })
  })
  it('int32 with a JS float is a weak float64', () => {
    expect(typeOf(i32([1]), 1.5)).toEqual({ dtype: 'float64', weak: true })
  })
  it('follows the strong-type lattice', () => {
    expect(typeOf(f32([1]), f64([1]))).toEqual({ dtype: 'float64', weak: false })
    expect(typeOf(i32([1]), f32([1]))).toEqual({ dtype: 'float32', weak: false })
    expect(typeOf(bool([true]), i32([1]))).toEqual({ dtype: 'int32', weak: false })
    expect(typeOf(bool([true]), bool([false]))).toEqual({ dtype: 'bool', weak: false })
    expect(typeOf(bool([true]), f32([1]))).toEqual({ dtype: 'float32', weak: false })
  })
  it('handles weak operands', () => {
    expect(typeOf(2, 3)).toEqual({ dtype: 'float64', weak: true })
    expect(typeOf(2, 3.5)).toEqual({ dtype: 'float64', weak: true })
    expect(typeOf(i32([1]), 2)).toEqual({ dtype: 'int32', weak: false })
    expect(typeOf(bool([true]), 2)).toEqual({ dtype: 'float64', weak: true })
    expect(typeOf(true, 2.5)).toEqual({ dtype: 'float64', weak: true })
    expect(typeOf(f32([1]), 2, 2.5)).toEqual({ dtype: 'float32', weak: false })
  })
  it('converts values and leaves arrays of the right type untouched', () => {
    const x = f32([1.5, 2])
    const [a, b] = promoteArgs('op', x, 2.5)
    expect(a).toBe(x)
    check(b, { shape: [], dtype: 'float32' }, [2.5])
    const [c, d] = promoteArgs('op', i32([3, -4]), f64([0.5]))
    check(c, { shape: [2], dtype: 'float64' }, [3, -4])
    check(d, { shape: [1], dtype: 'float64' }, [0.5])
  })
  it('resultType reports the promoted type', () => {
    expect(resultType('op', i32([1]), 2.5)).toEqual({ dtype: 'float64', weakType: true })
    expect(promoteArgs('op')).toEqual([])
  })
})

describe('broadcastShapes', () => {
  it('applies NumPy rules', () => {
    expect(broadcastShapes('op', [3, 1], [1, 4])).toEqual([3, 4])
    expect(broadcastShapes('op', [], [2, 3])).toEqual([2, 3])
    expect(broadcastShapes('op', [5, 1, 3], [4, 1], [3])).toEqual([5, 4, 3])
    expect(broadcastShapes('op', [0], [1])).toEqual([0])
    expect(broadcastShapes('op', [2, 0], [2, 1])).toEqual([2, 0])
    expect(broadcastShapes('op')).toEqual([])
  })
  it('rejects incompatible shapes naming all of them', () => {
    expect(() => broadcastShapes('add', [2, 3], [4])).toThrow(ShapeError)
    expect(() => broadcastShapes('add', [2, 3], [4])).toThrow('add: operands could not be broadcast together with shapes [2, 3] [4]')
    expect(() => broadcastShapes('mul', [0], [3])).toThrow(/mul: .* \[0\] \[3\]/)
  })
})

describe('broadcastArrays / broadcastTo', () => {
  it('keeps 0-d operands 0-d and broadcasts the rest', () => {
    const [a, b, c] = broadcastArrays('op', f64([1, 2, 3], [3, 1]), f64([10, 20, 30, 40], [1, 4]), f64([7], []))
    check(a, { shape: [3, 4], dtype: 'float64' }, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    check(b, { shape: [3, 4], dtype: 'float64' }, [10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40])
    check(c, { shape: [], dtype: 'float64' }, [7])
  })
  it('broadcastTo aligns trailing axes and rejects non-broadcastable targets', () => {
    check(broadcastTo(i32([1, 2]), [2, 2], 'op'), { shape: [2, 2], dtype: 'int32' }, [1, 2, 1, 2])
    expect(() => broadcastTo(i32([1, 2]), [3], 'op')).toThrow(ShapeError)
    expect(() => broadcastTo(i32([1, 2, 3], [3, 1]), [3], 'bt')).toThrow(/bt: cannot broadcast an array of shape \[3, 1\] to shape \[3\]/)
  })
  it('promoteAndBroadcast does both', () => {
    const [a, b] = promoteAndBroadcast('op', i32([1, 2]), f32([0.5, 1.5], [2, 1]))
    check(a, { shape: [2, 2], dtype: 'float32' }, [1, 2, 1, 2])
    check(b, { shape: [2, 2], dtype: 'float32' }, [0.5, 0.5, 1.5, 1.5])
  })
})

describe('toFloat / promoteToFloat', () => {
  it('turns int and bool into float64, keeping weakness', () => {
    check(toFloat(i32([1, -2])), { shape: [2], dtype: 'float64' }, [1, -2])
    check(toFloat(bool([true, false])), { shape: [2], dtype: 'float64' }, [1, 0])
    check(toFloat(3), { shape: [], dtype: 'float64', weak: true }, [3])
    const x = f32([1])
    expect(toFloat(x)).toBe(x)
  })
  it('promotes first, then makes float', () => {
    const [a, b] = promoteToFloat('op', i32([1, 2]), 2)
    check(a, { shape: [2], dtype: 'float64' }, [1, 2])
    check(b, { shape: [], dtype: 'float64' }, [2])
    const [c] = promoteToFloat('op', 1, 2)
    check(c, { shape: [], dtype: 'float64', weak: true }, [1])
    const [d, e] = promoteToFloat('op', f32([1]), 2)
    expect([d.dtype, e.dtype]).toEqual(['float32', 'float32'])
  })
})
