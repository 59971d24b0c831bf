import { describe, expect, it } from 'vitest'
import { registerRules } from '../../src/core/rules'
import { DTypeError, ShapeError } from '../../src/core/errors'
import * as lax from '../../src/lax'
import { sortRules } from '../../src/primitives/sort'
import { dotRules } from '../../src/primitives/dot'
import { bool, check, f32, f64, i32 } from '../numpy/helpers'

registerRules({ ...sortRules, ...dotRules })

describe('lax namespace', () => {
  it('exports the primitive wrappers under camelCase names', () => {
    const names = [
      'add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'atan2', 'rem', 'neg', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh',
      'cosh', 'tanh', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'sign', 'floor', 'ceil', 'round', 'logistic',
      'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not', 'integerPow', 'convertElementType', 'broadcastInDim', 'reshape',
      'transpose', 'squeeze', 'selectN', 'select', 'iota', 'reduceSum', 'reduceMax', 'reduceMin', 'reduceProd', 'argmax', 'argmin',
      'dotGeneral', 'slice', 'dynamicSlice', 'dynamicUpdateSlice', 'pad', 'concatenate', 'gather', 'scatterAdd', 'cumsum', 'sort',
      'stopGradient', 'cholesky', 'triangularSolve', 'lu', 'square', 'clamp', 'expandDims', 'broadcastedIota',
    ]
    const ns = lax as unknown as Record<string, unknown>
    for (const n of names) expect(typeof ns[n], n).toBe('function')
  })
  it('does not promote: dtypes must already agree; JS numbers take the operand dtype', () => {
    expect(() => lax.add(f32([1]), f64([1]))).toThrow(DTypeError)
    expect(() => lax.add(f64([1, 2]), f64([1, 2, 3]))).toThrow(ShapeError)
    check(lax.add(f32([1.5]), 2), { shape: [1], dtype: 'float32' }, [3.5])
    check(lax.mul(i32([3]), 2), { shape: [1], dtype: 'int32' }, [6])
  })
  it('select(c, a, b) is c ? a : b', () => {
    check(lax.select(bool([true, false]), f64([1, 2]), f64([10, 20])), { shape: [2], dtype: 'float64' }, [1, 20])
    check(lax.selectN(i32([0, 1, 2]), f64([1, 1, 1]), f64([2, 2, 2]), f64([3, 3, 3])), { shape: [3], dtype: 'float64' }, [1, 2, 3])
  })
  it('iota: a size or a shape with a dimension', () => {
    check(lax.iota('int32', 4), { shape: [4], dtype: 'int32' }, [0, 1, 2, 3])
    check(lax.iota('float32', [2, 3], 1), { shape: [2, 3], dtype: 'float32' }, [0, 1, 2, 0, 1, 2])
    check(lax.broadcastedIota('int32', [2, 2], 0), { shape: [2, 2], dtype: 'int32' }, [0, 0, 1, 1])
  })
  it('square, clamp, expandDims, integerPow', () => {
    check(lax.square(f64([1.1, -3])), { shape: [2], dtype: 'float64' }, [1.1 * 1.1, 9])
    check(lax.clamp(0, f64([-1, 0.5, 2]), 1), { shape: [3], dtype: 'float64' }, [0, 0.5, 1])
    check(lax.expandDims(f64([1, 2]), [0, 2]), { shape: [1, 2, 1], dtype: 'float64' }, [1, 2])
    check(lax.integerPow(i32([-2]), 3), { shape: [1], dtype: 'int32' }, [-8])
  })
  it('slicing: slice with strides, pad with a JS number, dynamic slices with JS indices', () => {
    const x = f64([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [3, 4])
    check(lax.slice(x, [0, 1], [3, 4], [2, 2]), { shape: [2, 2], dtype: 'float64' }, [1, 3, 9, 11])
    check(lax.pad(f64([1, 2]), -1, [[1, 0, 1]]), { shape: [4], dtype: 'float64' }, [-1, 1, -1, 2])
    check(lax.dynamicSlice(x, [1, 2], [2, 2]), { shape: [2, 2], dtype: 'float64' }, [6, 7, 10, 11])
    check(lax.dynamicSlice(x, [i32([5], []), 0], [1, 2]), { shape: [1, 2], dtype: 'float64' }, [8, 9])
    check(lax.dynamicUpdateSlice(f64([0, 0, 0]), f64([7]), [1]), { shape: [3], dtype: 'float64' }, [0, 7, 0])
    check(lax.concatenate([f64([1]), f64([2, 3])], 0), { shape: [3], dtype: 'float64' }, [1, 2, 3])
  })
  it('cumsum defaults to axis 0; sort returns one array or a list', () => {
    check(lax.cumsum(f64([1, 2, 3, 4], [2, 2])), { shape: [2, 2], dtype: 'float64' }, [1, 2, 4, 6])
    check(lax.cumsum(f64([1, 2, 3]), 0, true), { shape: [3], dtype: 'float64' }, [6, 5, 3])
    check(lax.sort(f64([3, 1, 2])), { shape: [3], dtype: 'float64' }, [1, 2, 3])
    const [k, v] = lax.sort([f64([3, 1, 2]), i32([30, 10, 20])], 0, 1)
    check(k, { shape: [3], dtype: 'float64' }, [1, 2, 3])
    check(v, { shape: [3], dtype: 'int32' }, [10, 20, 30])
  })
  it('reductions and dotGeneral', () => {
    check(lax.reduceSum(f64([1, 2, 3, 4], [2, 2]), [1]), { shape: [2], dtype: 'float64' }, [3, 7])
    check(lax.argmax(f64([1, 3, 2]), 0), { shape: [], dtype: 'int32' }, [1])
    const c = lax.dotGeneral(f64([1, 2, 3, 4], [2, 2]), f64([5, 6], [2]), { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] })
    check(c, { shape: [2], dtype: 'float64' }, [17, 39])
  })
})
