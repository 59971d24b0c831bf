import { describe, expect, it } from 'vitest'
import { DTypeError, ShapeError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { shaped } from '../../src/ir/aval'
import * as np from '../../src/numpy/elementwise'
import type { ArrayLike } from '../../src/numpy/promote'
import { bool, check, f32, f64, i32, vals } from './helpers'

const fr = Math.fround

describe('arithmetic with broadcasting', () => {
  it('add broadcasts [3,1] + [1,4], scalars, 0-d and empty arrays', () => {
    const want: number[] = []
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(i + 1 + (j + 1) * 10)
    check(np.add(f64([1, 2, 3], [3, 1]), f64([10, 20, 30, 40], [1, 4])), { shape: [3, 4], dtype: 'float64' }, want)
    check(np.add(f64([1, 2]), 1), { shape: [2], dtype: 'float64' }, [2, 3])
    check(np.add(1, f64([1, 2])), { shape: [2], dtype: 'float64' }, [2, 3])
    check(np.add(f64([5], []), f64([1, 2], [2, 1])), { shape: [2, 1], dtype: 'float64' }, [6, 7])
    check(np.add(f64([], [0]), f64([1], [1])), { shape: [0], dtype: 'float64' }, [])
    check(np.add(f64([], [2, 0]), 3), { shape: [2, 0], dtype: 'float64' }, [])
    // JS literals alone are weak float64 (JS has one number type)
    check(np.add(2, 3), { shape: [], dtype: 'float64', weak: true }, [5])
  })
  it('promotes by the lattice (dtype and weak type)', () => {
    check(np.multiply(f32([0.1, 3]), 2.5), { shape: [2], dtype: 'float32' }, [fr(fr(0.1) * fr(2.5)), 7.5])
    check(np.add(i32([1, 2]), 1.5), { shape: [2], dtype: 'float64', weak: true }, [2.5, 3.5])
    check(np.add(f32([0.1]), f64([0.2])), { shape: [1], dtype: 'float64' }, [fr(0.1) + 0.2])
    check(np.add(i32([1]), 2), { shape: [1], dtype: 'int32' }, [3])
    check(np.add(i32([1]), f32([0.5])), { shape: [1], dtype: 'float32' }, [1.5])
    check(np.add(bool([true]), 2), { shape: [1], dtype: 'float64', weak: true }, [3])
    check(np.add(bool([true, false]), i32([5, 5])), { shape: [2], dtype: 'int32' }, [6, 5])
  })
  it('bool + bool is or, bool · bool is and; bool − bool is an error', () => {
    const a = bool([true, true, false, false])
    const b = bool([true, false, true, false])
    check(np.add(a, b), { shape: [4], dtype: 'bool' }, [1, 1, 1, 0])
    check(np.multiply(a, b), { shape: [4], dtype: 'bool' }, [1, 0, 0, 0])
    expect(() => np.subtract(a, b)).toThrow(DTypeError)
    expect(() => np.subtract(a, b)).toThrow(/subtract: not supported for bool operands \(bool\[4\]\); use np.logicalXor/)
    expect(() => np.negative(a)).toThrow(/negative: not supported for bool/)
  })
  it('mismatched shapes → ShapeError naming the op and shapes', () => {
    expect(() => np.add(f64([1, 2]), f64([1, 2, 3]))).toThrow(ShapeError)
    expect(() => np.add(f64([1, 2]), f64([1, 2, 3]))).toThrow('add: operands could not be broadcast together with shapes [2] [3]')
    expect(() => np.less(f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([1, 2]))).toThrow(/less: .*\[2, 3\] \[2\]/)
    expect(() => np.add('x' as never, 1)).toThrow(/add: expected an Array or a JS number/)
  })
  it('subtract, negative, positive', () => {
    check(np.subtract(i32([5, 1]), i32([7, -1])), { shape: [2], dtype: 'int32' }, [-2, 2])
    check(np.subtract(3, f32([0.5])), { shape: [1], dtype: 'float32' }, [2.5])
    check(np.negative(f64([1, -2])), { shape: [2], dtype: 'float64' }, [-1, 2])
    const x = i32([1])
    expect(np.positive(x)).toBe(x)
  })
  it('divide is true division (ints → float64)', () => {
    check(np.divide(i32([7, -7, 1, 0]), i32([2, 2, 0, 0])), { shape: [4], dtype: 'float64' }, [3.5, -3.5, Infinity, NaN])
    check(np.divide(f32([1]), 3), { shape: [1], dtype: 'float32' }, [fr(1 / 3)])
    check(np.divide(1, 2), { shape: [], dtype: 'float64', weak: true }, [0.5])
    check(np.divide(bool([true]), bool([true])), { shape: [1], dtype: 'float64' }, [1])
    check(np.reciprocal(i32([2, 4])), { shape: [2], dtype: 'float64' }, [0.5, 0.25])
  })
  it('floorDivide and remainder follow Python (sign of the divisor)', () => {
    const a = [7, -7, 7, -7, 6, 0]
    const b = [2, 2, -2, -2, 3, 5]
    check(np.floorDivide(i32(a), i32(b)), { shape: [6], dtype: 'int32' }, a.map((v, i) => Math.floor(v / b[i])))
    check(np.remainder(i32(a), i32(b)), { shape: [6], dtype: 'int32' }, a.map((v, i) => v - Math.floor(v / b[i]) * b[i]))
    const x = [5.5, -5.5, 5.5, -5.5]
    const y = [2, 2, -2, -2]
    check(np.floorDivide(f64(x), f64(y)), { shape: [4], dtype: 'float64' }, x.map((v, i) => Math.floor(v / y[i])))
    check(np.mod(f64(x), f64(y)), { shape: [4], dtype: 'float64' }, [1.5, 0.5, -0.5, -1.5])
  })
})

describe('power and square', () => {
  it('a JS integer exponent is exact repeated multiplication', () => {
    const x = [1.1, -3, 0.5]
    check(np.power(f64(x), 3), { shape: [3], dtype: 'float64' }, x.map((v) => v * v * v))
    check(np.power(i32([2, -3]), 3), { shape: [2], dtype: 'int32' }, [8, -27])
    check(np.power(f64([2, 4]), -2), { shape: [2], dtype: 'float64' }, [0.25, 1 / 16])
    check(np.power(f32([1.1]), 2), { shape: [1], dtype: 'float32' }, [fr(fr(1.1) * fr(1.1))])
    check(np.square(f64([1.1, -2])), { shape: [2], dtype: 'float64' }, [1.1 * 1.1, 4])
    check(np.square(i32([-3])), { shape: [1], dtype: 'int32' }, [9])
    check(np.power(2, 10), { shape: [], dtype: 'int32', weak: true }, [1024])
  })
  it('float exponents and array exponents', () => {
    check(np.power(f64([4, 2]), 0.5), { shape: [2], dtype: 'float64' }, [2, Math.SQRT2])
    check(np.power(f32([4]), 0.5), { shape: [1], dtype: 'float32' }, [2])
    check(np.power(i32([9]), 0.5), { shape: [1], dtype: 'float64', weak: true }, [3])
    check(np.power(2, f64([0.5, 3])), { shape: [2], dtype: 'float64' }, [Math.SQRT2, 8])
    check(np.power(i32([2, 3, -2]), i32([10, 3, 3])), { shape: [3], dtype: 'int32' }, [1024, 27, -8])
    check(np.power(f64([2, 3], [2, 1]), f64([1, 2], [1, 2])), { shape: [2, 2], dtype: 'float64' }, [2, 4, 3, 9])
  })
  it('rejects bool bases and negative integer powers of ints', () => {
    expect(() => np.power(bool([true]), 2)).toThrow(DTypeError)
    expect(() => np.power(i32([2]), -1)).toThrow(/integers to negative integer powers are not allowed \(i32\[1\] \*\* -1\)/)
  })
})

describe('float math matches Math.* (float64) and rounds for float32', () => {
  const xs = [0.1, 0.5, 0.9, 1.7, -0.3]
  const cases: [string, (x: ArrayLike) => Tracer, (v: number) => number, number[]][] = [
    ['sqrt', np.sqrt, Math.sqrt, [0, 0.25, 2, 1e10, -1]],
    ['exp', np.exp, Math.exp, [0, 1, -30, 700, 710]],
    ['expm1', np.expm1, Math.expm1, [1e-12, 1, -1]],
    ['log', np.log, Math.log, [1, 0.5, 1e-300, 0, -1]],
    ['log1p', np.log1p, Math.log1p, [1e-15, 1, -1]],
    ['sin', np.sin, Math.sin, xs],
    ['cos', np.cos, Math.cos, xs],
    ['tan', np.tan, Math.tan, xs],
    ['tanh', np.tanh, Math.tanh, [...xs, 30, -30]],
    ['sinh', np.sinh, Math.sinh, xs],
    ['cosh', np.cosh, Math.cosh, xs],
    ['arcsin', np.arcsin, Math.asin, [-1, 0.3, 1, 2]],
    ['arccos', np.arccos, Math.acos, [-1, 0.3, 1, 2]],
    ['arctan', np.arctan, Math.atan, [-100, 0.3, 1e300]],
  ]
  for (const [name, f, ref, inputs] of cases) {
    it(name, () => {
      check(f(f64(inputs)), { shape: [inputs.length], dtype: 'float64' }, inputs.map(ref))
      check(f(f32(inputs)), { shape: [inputs.length], dtype: 'float32' }, inputs.map((v) => fr(ref(fr(v)))))
      const ints = [0, 1, 2]
      check(f(i32(ints)), { shape: [3], dtype: 'float64' }, ints.map(ref))
      check(f(1), { shape: [], dtype: 'float64', weak: true }, [ref(1)])
    })
  }
  it('derived functions: log2 log10 exp2 rsqrt arcsinh arccosh arctanh', () => {
    const tol = 4e-16
    check(np.log2(f64([8, 0.125, 10])), { shape: [3], dtype: 'float64' }, [3, -3, Math.log2(10)], tol)
    check(np.log10(f64([1000, 0.01, 7])), { shape: [3], dtype: 'float64' }, [3, -2, Math.log10(7)], tol)
    check(np.exp2(f64([3, -1, 0.5])), { shape: [3], dtype: 'float64' }, [8, 0.5, Math.SQRT2], tol)
    check(np.rsqrt(f64([4, 0.25])), { shape: [2], dtype: 'float64' }, [0.5, 2])
    const s = [-1e-10, -2, 0, 0.5, 1e10]
    check(np.arcsinh(f64(s)), { shape: [5], dtype: 'float64' }, s.map(Math.asinh), tol)
    const c = [1, 1.5, 10, 1e10]
    check(np.arccosh(f64(c)), { shape: [4], dtype: 'float64' }, c.map(Math.acosh), tol)
    const t = [-0.9, 0, 1e-12, 0.5]
    check(np.arctanh(f64(t)), { shape: [4], dtype: 'float64' }, t.map(Math.atanh), tol)
  })
  it('arctan2 and hypot promote and broadcast', () => {
    const y = [1, -1, 0, 2]
    const x = [1, 1, -1, 0]
    check(np.arctan2(f64(y), f64(x)), { shape: [4], dtype: 'float64' }, y.map((v, i) => Math.atan2(v, x[i])))
    check(np.arctan2(i32([1]), i32([2])), { shape: [1], dtype: 'float64' }, [Math.atan2(1, 2)])
    check(np.arctan2(f32([1, 2]), 1), { shape: [2], dtype: 'float32' }, [fr(Math.atan2(1, 1)), fr(Math.atan2(2, 1))])
    check(np.hypot(f64([3, 1e300, 0]), f64([4, 1e300, 0])), { shape: [3], dtype: 'float64' }, [5, Math.hypot(1e300, 1e300), 0], 4e-16)
  })
})

describe('sign and rounding', () => {
  it('abs and sign (bools pass through)', () => {
    check(np.abs(i32([-3, 4])), { shape: [2], dtype: 'int32' }, [3, 4])
    check(np.absolute(f64([-1.5, NaN])), { shape: [2], dtype: 'float64' }, [1.5, NaN])
    check(np.sign(f64([-2, 0, 3, NaN])), { shape: [4], dtype: 'float64' }, [-1, 0, 1, NaN])
    check(np.sign(i32([-5, 0, 5])), { shape: [3], dtype: 'int32' }, [-1, 0, 1])
    const b = bool([true])
    expect(np.abs(b)).toBe(b)
    expect(np.sign(b)).toBe(b)
  })
  it('floor, ceil, trunc (ints unchanged)', () => {
    const x = [-1.5, -0.2, 0.2, 1.5, 2]
    check(np.floor(f64(x)), { shape: [5], dtype: 'float64' }, x.map(Math.floor))
    check(np.ceil(f32(x)), { shape: [5], dtype: 'float32' }, x.map(Math.ceil))
    check(np.trunc(f64(x)), { shape: [5], dtype: 'float64' }, x.map(Math.trunc))
    const n = i32([3])
    expect(np.floor(n)).toBe(n)
    expect(np.ceil(n)).toBe(n)
    expect(np.round(n)).toBe(n)
  })
  it('round halves to even, with decimals', () => {
    check(np.round(f64([0.5, 1.5, 2.5, -0.5, -1.5, 2.4])), { shape: [6], dtype: 'float64' }, [0, 2, 2, -0, -2, 2])
    check(np.round(f64([1.2345, -2.5678]), 2), { shape: [2], dtype: 'float64' }, [1.23, -2.57])
    check(np.around(f64([1234.5, 1250, 1350]), -2), { shape: [3], dtype: 'float64' }, [1200, 1200, 1400])
    check(np.round(i32([15, 25, -15, 14]), -1), { shape: [4], dtype: 'int32' }, [20, 20, -20, 10])
    expect(() => np.round(f64([1]), 0.5)).toThrow(/decimals must be an integer/)
  })
})

describe('extrema, clip, where', () => {
  it('maximum and minimum propagate NaN and broadcast', () => {
    check(np.maximum(f64([1, 5, NaN], [3, 1]), f64([2, 3], [1, 2])), { shape: [3, 2], dtype: 'float64' }, [2, 3, 5, 5, NaN, NaN])
    check(np.minimum(i32([1, 5]), 3), { shape: [2], dtype: 'int32' }, [1, 3])
    check(np.maximum(bool([true, false]), bool([false, false])), { shape: [2], dtype: 'bool' }, [1, 0])
    check(np.minimum(bool([true, false]), bool([true, true])), { shape: [2], dtype: 'bool' }, [1, 0])
  })
  it('clip with either or both bounds', () => {
    const x = f64([-2, 0.5, 3])
    check(np.clip(x, 0, 1), { shape: [3], dtype: 'float64' }, [0, 0.5, 1])
    check(np.clip(x, 0), { shape: [3], dtype: 'float64' }, [0, 0.5, 3])
    check(np.clip(x, null, 1), { shape: [3], dtype: 'float64' }, [-2, 0.5, 1])
    check(np.clip(i32([-5, 5]), -1, 1), { shape: [2], dtype: 'int32' }, [-1, 1])
    check(np.clip(x, f64([0, 1, 2]), f64([0.25], [1])), { shape: [3], dtype: 'float64' }, [0, 0.25, 0.25])
  })
  it('where broadcasts condition and branches, converting the condition to bool', () => {
    const c = bool([true, false, true], [3, 1])
    const x = f64([1, 2, 3, 4], [1, 4])
    const want: number[] = []
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(i !== 1 ? j + 1 : -1)
    check(np.where(c, x, -1), { shape: [3, 4], dtype: 'float64' }, want)
    check(np.where(i32([0, 2]), 1, 0), { shape: [2], dtype: 'float64', weak: true }, [0, 1])
    check(np.where(true, i32([1, 2]), f32([0.5])), { shape: [2], dtype: 'float32' }, [1, 2])
    check(np.where(bool([false]), 1, 2), { shape: [1], dtype: 'float64', weak: true }, [2])
    check(np.where(bool([false, true]), i32([7, 7]), 2), { shape: [2], dtype: 'int32' }, [2, 7])
    expect(() => np.where(bool([true, false]), f64([1, 2, 3]), 0)).toThrow(/where: operands could not be broadcast/)
  })
})

describe('comparisons and logic', () => {
  const a = [1, 2, NaN, 3]
  const b = [2, 2, NaN, 1]
  const cmp: [string, (x: ArrayLike, y: ArrayLike) => Tracer, (p: number, q: number) => boolean][] = [
    ['equal', np.equal, (p, q) => p === q],
    ['notEqual', np.notEqual, (p, q) => p !== q],
    ['less', np.less, (p, q) => p < q],
    ['lessEqual', np.lessEqual, (p, q) => p <= q],
    ['greater', np.greater, (p, q) => p > q],
    ['greaterEqual', np.greaterEqual, (p, q) => p >= q],
  ]
  for (const [name, f, ref] of cmp) {
    it(name, () => {
      check(f(f64(a), f64(b)), { shape: [4], dtype: 'bool' }, a.map((v, i) => Number(ref(v, b[i]))))
      // int32 vs a JS float: compared in float
      check(f(i32([1, 2]), 1.5), { shape: [2], dtype: 'bool' }, [1, 2].map((v) => Number(ref(v, 1.5))))
      check(f(f32([1, 2], [2, 1]), f32([1, 2], [1, 2])), { shape: [2, 2], dtype: 'bool' }, [
        Number(ref(1, 1)), Number(ref(1, 2)), Number(ref(2, 1)), Number(ref(2, 2)),
      ])
    })
  }
  it('logical ops treat nonzero as true', () => {
    const p = f64([0, 0, 2, -1])
    const q = i32([0, 3, 0, 1])
    check(np.logicalAnd(p, q), { shape: [4], dtype: 'bool' }, [0, 0, 0, 1])
    check(np.logicalOr(p, q), { shape: [4], dtype: 'bool' }, [0, 1, 1, 1])
    check(np.logicalXor(p, q), { shape: [4], dtype: 'bool' }, [0, 1, 1, 0])
    check(np.logicalNot(p), { shape: [4], dtype: 'bool' }, [1, 1, 0, 0])
    check(np.logicalNot(bool([true, false])), { shape: [2], dtype: 'bool' }, [0, 1])
    check(np.logicalAnd(bool([true, false], [2, 1]), true), { shape: [2, 1], dtype: 'bool' }, [1, 0])
  })
  it('isnan, isfinite, isinf', () => {
    const x = [0, NaN, Infinity, -Infinity, 1e308, -5]
    check(np.isnan(f64(x)), { shape: [6], dtype: 'bool' }, x.map((v) => Number(Number.isNaN(v))))
    check(np.isfinite(f64(x)), { shape: [6], dtype: 'bool' }, x.map((v) => Number(Number.isFinite(v))))
    check(np.isinf(f64(x)), { shape: [6], dtype: 'bool' }, x.map((v) => Number(Math.abs(v) === Infinity)))
    // 1e308 overflows float32 to inf
    check(np.isinf(f32(x)), { shape: [6], dtype: 'bool' }, x.map((v) => Number(Math.abs(fr(v)) === Infinity)))
    check(np.isfinite(f32(x)), { shape: [6], dtype: 'bool' }, [1, 0, 0, 0, 0, 1])
    check(np.isnan(i32([1, 2])), { shape: [2], dtype: 'bool' }, [0, 0])
    check(np.isfinite(i32([1, 2])), { shape: [2], dtype: 'bool' }, [1, 1])
    check(np.isinf(bool([true])), { shape: [1], dtype: 'bool' }, [0])
  })
})

describe('traceability', () => {
  it('functions stage into a jaxpr with the expected output types', () => {
    const f = (x: Tracer, y: Tracer) => [np.where(np.greater(x, 0), np.sqrt(x), np.multiply(y, 2.5)), np.isfinite(x)]
    const j = traceToJaxpr(f, [shaped([3, 1], 'float32'), shaped([4], 'float32')])
    expect(j.jaxpr.outs.map((o) => [o.aval.shape, o.aval.dtype])).toEqual([[[3, 4], 'float32'], [[3, 1], 'bool']])
    const prims = j.jaxpr.eqns.map((e) => e.prim)
    expect(prims).toContain('select_n')
    expect(prims).toContain('sqrt')
  })
  it('a JS number next to a float32 operand becomes a float32 literal, not a conversion', () => {
    const j = traceToJaxpr((x: Tracer) => [np.multiply(x, 2.5)], [shaped([2], 'float32')])
    expect(j.jaxpr.eqns.map((e) => e.prim)).toEqual(['mul'])
  })
})

it('values are independent of evaluation path (spot check)', () => {
  expect(vals(np.add(f64([1]), f64([2])))).toEqual([3])
})
