import { describe, expect, it } from 'vitest'
import { ConcreteArray } from '../../src/core/array'
import { ArgumentTypeError, DTypeError, ShapeError, ValueError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { shaped } from '../../src/ir/aval'
import {
  arange, array, asarray, astype, eye, full, fullLike, identity, linspace, ones, onesLike, resultType, zeros, zerosLike,
} from '../../src/numpy/creation'
import { check, f32, f64, i32, vals } from './helpers'

describe('array from JS data', () => {
  it('numbers are float64 (not weak), booleans bool', () => {
    check(array(3), { shape: [], dtype: 'float64' }, [3])
    check(array(true), { shape: [], dtype: 'bool' }, [1])
    check(array(2.7, { dtype: 'int32' }), { shape: [], dtype: 'int32' }, [2])
  })
  it('nested arrays give their shape, row-major', () => {
    check(array([[1, 2, 3], [4, 5, 6]]), { shape: [2, 3], dtype: 'float64' }, [1, 2, 3, 4, 5, 6])
    check(array([[[1], [2]]]), { shape: [1, 2, 1], dtype: 'float64' }, [1, 2])
    check(array([[true, false], [false, true]]), { shape: [2, 2], dtype: 'bool' }, [1, 0, 0, 1])
    check(array([true, 2]), { shape: [2], dtype: 'float64' }, [1, 2])
    check(array([]), { shape: [0], dtype: 'float64' }, [])
    check(array([[], []]), { shape: [2, 0], dtype: 'float64' }, [])
    check(array([NaN, Infinity, -Infinity]), { shape: [3], dtype: 'float64' }, [NaN, Infinity, -Infinity])
  })
  it('casts to the requested dtype', () => {
    check(array([0.1, 1e40], { dtype: 'float32' }), { shape: [2], dtype: 'float32' }, [Math.fround(0.1), Infinity])
    check(array([2.7, -2.7, 7], { dtype: 'int32' }), { shape: [3], dtype: 'int32' }, [2, -2, 7])
    check(array([0, 2, -0.5], { dtype: 'bool' }), { shape: [3], dtype: 'bool' }, [0, 1, 1])
  })
  it('typed arrays keep their dtype (others become float64) and are copied', () => {
    const src = new Float64Array([1.5, 2.5])
    const a = array(src)
    src[0] = 99
    check(a, { shape: [2], dtype: 'float64' }, [1.5, 2.5])
    check(array(new Float32Array([0.1])), { shape: [1], dtype: 'float32' }, [Math.fround(0.1)])
    check(array(new Int32Array([-3, 4])), { shape: [2], dtype: 'int32' }, [-3, 4])
    check(array(new Uint8Array([0, 7])), { shape: [2], dtype: 'float64' }, [0, 7])
    check(array(new Uint8Array([0, 7]), { dtype: 'bool' }), { shape: [2], dtype: 'bool' }, [0, 1])
    check(array(new Int16Array([-5])), { shape: [1], dtype: 'float64' }, [-5])
    check(array([new Float64Array([1, 2]), new Float64Array([3, 4])]), { shape: [2, 2], dtype: 'float64' }, [1, 2, 3, 4])
  })
  it('an existing array passes through, or is converted', () => {
    const x = f32([1.5, -2.5])
    expect(array(x)).toBe(x)
    expect(asarray(x)).toBe(x)
    check(array(x, { dtype: 'int32' }), { shape: [2], dtype: 'int32' }, [1, -2])
    check(astype(x, 'float64'), { shape: [2], dtype: 'float64' }, [1.5, -2.5])
    expect(astype(x, 'float32')).toBe(x)
  })
  it('nested data with Arrays among the leaves is stacked (numbers weak)', () => {
    const a = f32([1.5], [])
    const b = f32([2], [])
    check(array([a, 0.25, b]), { shape: [3], dtype: 'float32' }, [1.5, 0.25, 2])
    check(array([[a, b], [b, a]]), { shape: [2, 2], dtype: 'float32' }, [1.5, 2, 2, 1.5])
    check(array([f64([1, 2]), [3, 4]]), { shape: [2, 2], dtype: 'float64' }, [1, 2, 3, 4])
    check(array([i32([1], []), 2], { dtype: 'float32' }), { shape: [2], dtype: 'float32' }, [1, 2])
    check(array([3, i32([1], [])]), { shape: [2], dtype: 'int32' }, [3, 1])
    expect(() => array([f64([1, 2]), f64([1])])).toThrow(ShapeError)
  })
  it('is traceable when given traced values', () => {
    const j = traceToJaxpr((x: Tracer) => [array([x, x])], [shaped([], 'float32')])
    expect(j.jaxpr.outs[0].aval.shape).toEqual([2])
    expect(j.jaxpr.outs[0].aval.dtype).toBe('float32')
  })
})

describe('array rejects bad data with a clear error', () => {
  it('ragged nesting → ShapeError naming the index path and lengths', () => {
    expect(() => array([[1, 2], [3]])).toThrow(ShapeError)
    expect(() => array([[1, 2], [3]])).toThrow(/element \[1\] has length 1, but element \[0\] has length 2/)
    expect(() => array([[[1, 2], [3, 4]], [[5, 6], [7, 8, 9]]])).toThrow(/element \[1\]\[1\] has length 3, but element \[0\]\[0\] has length 2/)
    expect(() => array([[1, 2], 3])).toThrow(/element \[1\] is a number, but element \[0\] is a sequence of length 2/)
    expect(() => array([1, [2]])).toThrow(/element \[1\] is a sequence of length 1, but element \[0\] is a number/)
    expect(() => array([1, [2]])).toThrow(ShapeError)
  })
  it('non-numbers → TypeError naming the path', () => {
    expect(() => array(['a'] as never)).toThrow(TypeError)
    expect(() => array(['a'] as never)).toThrow(/np\.array: element \[0\] is string a; expected a number or a boolean/)
    expect(() => array([[1, null]] as never)).toThrow(/element \[0\]\[1\] is null/)
    expect(() => array([[1, 2], [{}, 3]] as never)).toThrow(/element \[1\]\[0\] is an object/)
    // eslint-disable-next-line no-sparse-arrays
    expect(() => array([1, , 3] as never)).toThrow(/element \[1\] is undefined/)
    expect(() => array('abc' as never)).toThrow(/cannot make an array from string abc/)
    expect(() => array({ length: 2 } as never)).toThrow(TypeError)
    expect(() => array(new BigInt64Array([1n]) as never)).toThrow(/BigInt/)
    expect(() => array([new BigInt64Array([1n])] as never)).toThrow(/BigInt/)
  })
  it('absurd depth or size → ValueError, without walking the data', () => {
    const cyclic: unknown[] = []
    cyclic.push(cyclic)
    expect(() => array(cyclic as never)).toThrow(ValueError)
    expect(() => array(cyclic as never)).toThrow(/nesting deeper than 64 levels/)
    let deep: unknown = [1]
    for (let i = 0; i < 70; i++) deep = [deep]
    expect(() => array(deep as never)).toThrow(ValueError)
    const row = new Array(65536).fill(0)
    const big = new Array(65536).fill(row)
    const t0 = Date.now()
    expect(() => array(big)).toThrow(/more than 2\^31 - 1 elements/)
    expect(() => array(new Array(2 ** 31))).toThrow(ValueError)
    expect(Date.now() - t0).toBeLessThan(1000)
  })
  it('finite: true rejects NaN and ±Infinity, naming the element', () => {
    expect(() => array([[1, 2], [3, NaN]], { finite: true })).toThrow(ValueError)
    expect(() => array([[1, 2], [3, NaN]], { finite: true })).toThrow(/element \[1\]\[1\] is NaN; \{ finite: true \} requires finite values/)
    expect(() => array(new Float32Array([1, Infinity]), { finite: true })).toThrow(/element \[1\] is Infinity/)
    expect(() => array(-Infinity, { finite: true })).toThrow(ValueError)
    expect(() => array([f64([1], []), NaN], { finite: true })).toThrow(ValueError)
    check(array([1, 2], { finite: true }), { shape: [2], dtype: 'float64' }, [1, 2])
  })
  it('unknown dtype → DTypeError', () => {
    expect(() => array([1], { dtype: 'float16' as never })).toThrow(DTypeError)
    expect(() => array([1], { dtype: 'float16' as never })).toThrow(/unknown dtype "float16"/)
  })
  it('a dtype passed positionally, as in NumPy, is an ArgumentTypeError, not a float64 array', () => {
    // (JavaScript callers: TypeScript rejects these calls)
    const positional = [
      () => array([1, 2], 'float32' as never),
      () => zeros(3, 'int32' as never),
      () => ones([2], 'bool' as never),
      () => full(3, 1, 'float32' as never),
      () => zerosLike(f64([1, 2], [2]), 'float32' as never),
      () => linspace(0, 1, 5, 'float32' as never),
      () => eye(2, 2, 'int32' as never),
      () => identity(2, 'float32' as never),
    ]
    for (const f of positional) expect(f).toThrow(ArgumentTypeError)
    expect(() => array([1, 2], 'float32' as never)).toThrow(/np\.array: expected an options object such as \{ dtype: 'float32' \}, got .*\{ dtype: "float32" \}/)
    expect(() => zeros(3, 'int32' as never)).toThrow(/^zeros: /)
    expect(() => array([1], 5 as never)).toThrow(ArgumentTypeError)
    check(array([1, 2], undefined), { shape: [2], dtype: 'float64' }, [1, 2])
  })
})

describe('zeros, ones, full and *Like', () => {
  it('default to float64', () => {
    check(zeros([2, 3]), { shape: [2, 3], dtype: 'float64' }, [0, 0, 0, 0, 0, 0])
    check(ones(3), { shape: [3], dtype: 'float64' }, [1, 1, 1])
    check(zeros([]), { shape: [], dtype: 'float64' }, [0])
    check(ones([2, 0]), { shape: [2, 0], dtype: 'float64' }, [])
    check(ones([2], { dtype: 'bool' }), { shape: [2], dtype: 'bool' }, [1, 1])
    check(zeros(2, { dtype: 'int32' }), { shape: [2], dtype: 'int32' }, [0, 0])
  })
  it('full takes a number, a boolean, or a broadcastable array', () => {
    check(full([2], 2.5), { shape: [2], dtype: 'float64' }, [2.5, 2.5])
    check(full([2], 2.5, { dtype: 'float32' }), { shape: [2], dtype: 'float32' }, [2.5, 2.5])
    check(full([2], 2.5, { dtype: 'int32' }), { shape: [2], dtype: 'int32' }, [2, 2])
    check(full([1], true), { shape: [1], dtype: 'bool' }, [1])
    check(full([2, 3], i32([1, 2, 3])), { shape: [2, 3], dtype: 'int32' }, [1, 2, 3, 1, 2, 3])
    expect(() => full([2, 3], i32([1, 2]))).toThrow(ShapeError)
  })
  it('reject bad shapes', () => {
    expect(() => zeros([-1])).toThrow(ValueError)
    expect(() => zeros([1.5])).toThrow(/full: shape entries must be non-negative integers/)
    expect(() => zeros('3' as never)).toThrow(TypeError)
    expect(() => ones([2 ** 16, 2 ** 16])).toThrow(/more than 2\^31 - 1 elements/)
  })
  it('*Like copy shape and dtype (and weakness)', () => {
    check(zerosLike(i32([4, 5])), { shape: [2], dtype: 'int32' }, [0, 0])
    check(onesLike(f32([4, 5], [1, 2])), { shape: [1, 2], dtype: 'float32' }, [1, 1])
    check(onesLike(f32([4, 5]), { dtype: 'int32' }), { shape: [2], dtype: 'int32' }, [1, 1])
    check(zerosLike(2.5), { shape: [], dtype: 'float64', weak: true }, [0])
    check(fullLike(f64([1, 2]), 7), { shape: [2], dtype: 'float64' }, [7, 7])
  })
})

describe('arange', () => {
  it('follows NumPy, in float64 by default', () => {
    check(arange(5), { shape: [5], dtype: 'float64' }, [0, 1, 2, 3, 4])
    check(arange(1, 2, 0.25), { shape: [4], dtype: 'float64' }, [1, 1.25, 1.5, 1.75])
    check(arange(5, 0, -2), { shape: [3], dtype: 'float64' }, [5, 3, 1])
    check(arange(2, 1), { shape: [0], dtype: 'float64' }, [])
    check(arange(0.5), { shape: [1], dtype: 'float64' }, [0])
    const tenths = arange(0, 1, 0.1)
    check(tenths, { shape: [10], dtype: 'float64' }, [...Array(10).keys()].map((i) => i * 0.1))
  })
  it('honours dtype', () => {
    check(arange(3, { dtype: 'int32' }), { shape: [3], dtype: 'int32' }, [0, 1, 2])
    check(arange(-2, 7, 3, { dtype: 'int32' }), { shape: [3], dtype: 'int32' }, [-2, 1, 4])
    check(arange(0, 0.3, 0.1, { dtype: 'float32' }), { shape: [3], dtype: 'float32' }, [0, Math.fround(0.1), Math.fround(0.2)])
  })
  it('rejects a zero step and non-finite bounds', () => {
    expect(() => arange(0, 1, 0)).toThrow(ValueError)
    expect(() => arange(0, 1, 0)).toThrow(/step must not be zero/)
    expect(() => arange(NaN)).toThrow(/stop must be a finite JS number/)
    expect(() => arange(0, Infinity)).toThrow(ValueError)
    expect(() => arange(0, 2 ** 32)).toThrow(/more than 2\^31 - 1/)
  })
})

describe('linspace', () => {
  it('includes the endpoint exactly by default', () => {
    check(linspace(0, 1, 5), { shape: [5], dtype: 'float64' }, [0, 0.25, 0.5, 0.75, 1])
    const x = linspace(0.1, 0.7, 7)
    const step = (0.7 - 0.1) / 6
    check(x, { shape: [7], dtype: 'float64' }, [0, 1, 2, 3, 4, 5].map((i) => i * step + 0.1).concat([0.7]))
    expect(linspace(0, 1).shape).toEqual([50])
  })
  it('endpoint: false, small num, dtypes', () => {
    check(linspace(0, 1, 4, { endpoint: false }), { shape: [4], dtype: 'float64' }, [0, 0.25, 0.5, 0.75])
    check(linspace(3, 9, 1), { shape: [1], dtype: 'float64' }, [3])
    check(linspace(3, 9, 0), { shape: [0], dtype: 'float64' }, [])
    check(linspace(-1, 1, 5, { dtype: 'int32' }), { shape: [5], dtype: 'int32' }, [-1, -1, 0, 0, 1])
    check(linspace(0, 1, 3, { dtype: 'float32' }), { shape: [3], dtype: 'float32' }, [0, 0.5, 1])
  })
  it('rejects a bad num', () => {
    expect(() => linspace(0, 1, -1)).toThrow(ValueError)
    expect(() => linspace(0, 1, 2.5)).toThrow(/num must be a non-negative integer/)
  })
})

describe('eye', () => {
  const ref = (n: number, m: number, k: number) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out.push(j - i === k ? 1 : 0)
    return out
  }
  it('puts ones on diagonal k', () => {
    check(eye(3), { shape: [3, 3], dtype: 'float64' }, ref(3, 3, 0))
    check(eye(2, 4, { k: 1 }), { shape: [2, 4], dtype: 'float64' }, ref(2, 4, 1))
    check(eye(4, 3, { k: -2 }), { shape: [4, 3], dtype: 'float64' }, ref(4, 3, -2))
    check(eye(2, 2, { k: 5 }), { shape: [2, 2], dtype: 'float64' }, ref(2, 2, 5))
    check(eye(2, 2, { k: -(2 ** 40) }), { shape: [2, 2], dtype: 'float64' }, [0, 0, 0, 0])
    check(eye(2, undefined, { dtype: 'int32' }), { shape: [2, 2], dtype: 'int32' }, ref(2, 2, 0))
    check(eye(0), { shape: [0, 0], dtype: 'float64' }, [])
    check(identity(2, { dtype: 'bool' }), { shape: [2, 2], dtype: 'bool' }, [1, 0, 0, 1])
  })
  it('rejects bad sizes', () => {
    expect(() => eye(-1)).toThrow(ValueError)
    expect(() => eye(2, 2, { k: 0.5 })).toThrow(/k must be an integer/)
  })
})

describe('resultType', () => {
  it('reports the promoted dtype', () => {
    expect(resultType(f32([1]), 2.5)).toBe('float32')
    expect(resultType(i32([1]), f32([1]))).toBe('float32')
    expect(resultType(1, 2)).toBe('float64')
    expect(resultType(i32([1]), 2)).toBe('int32')
  })
})

it('creation results are concrete arrays with independent buffers', () => {
  const a = array([1, 2])
  expect(a).toBeInstanceOf(ConcreteArray)
  expect(vals(a)).toEqual([1, 2])
})
