import { describe, expect, it } from 'vitest'
import { ConcreteArray } from '../../src/core/array'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { shaped } from '../../src/ir/aval'
import * as np from '../../src/numpy'
import { check, f32, f64, i32, vals } from './helpers'

const x = () => f64([0.5, -1.25, 2, 0.75, 3, -0.1], [2, 3])
const pos = () => f64([0.5, 0.25, 0.9, 0.75, 0.3, 0.1], [2, 3])

describe('Array methods are the np functions', () => {
  it('binary arithmetic and comparisons', () => {
    const y = f64([2, 3, 4], [1, 3])
    const pairs: [keyof Tracer & string, (a: Tracer, b: Tracer) => Tracer][] = [
      ['add', np.add], ['sub', np.subtract], ['mul', np.multiply], ['div', np.divide], ['pow', np.power], ['mod', np.mod],
      ['lt', np.less], ['le', np.lessEqual], ['gt', np.greater], ['ge', np.greaterEqual], ['eq', np.equal], ['ne', np.notEqual],
      ['maximum', np.maximum], ['minimum', np.minimum],
    ]
    for (const [name, f] of pairs) {
      const m = (x() as unknown as Record<string, (y: Tracer) => Tracer>)[name]
      const got = m.call(x(), y)
      const want = f(x(), y)
      expect(got.shape, name).toEqual(want.shape)
      expect(got.dtype, name).toBe(want.dtype)
      expect(vals(got), name).toEqual(vals(want))
    }
  })
  it('unary math', () => {
    const names = [
      'neg', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tan', 'tanh',
      'sinh', 'cosh', 'arcsin', 'arccos', 'arctan', 'abs', 'sign', 'floor', 'ceil', 'round', 'isnan', 'isfinite',
    ] as const
    const fns: Record<string, (a: Tracer) => Tracer> = { ...np, neg: np.negative } as never
    for (const name of names) {
      const got = (pos() as unknown as Record<string, () => Tracer>)[name].call(pos())
      const want = fns[name](pos())
      expect(got.dtype, name).toBe(want.dtype)
      expect(vals(got), name).toEqual(vals(want))
    }
    check(f64([1.234]).round(1), { shape: [1], dtype: 'float64' }, [1.2])
    check(x().clip(0, 1), { shape: [2, 3], dtype: 'float64' }, [0.5, 0, 1, 0.75, 1, 0])
  })
  it('JS numbers on the right are weak', () => {
    check(f32([1, 2]).mul(2.5).add(1), { shape: [2], dtype: 'float32' }, [3.5, 6])
    check(i32([1, 2]).add(0.5), { shape: [2], dtype: 'float64', weak: true }, [1.5, 2.5])
    check(i32([7]).div(2), { shape: [1], dtype: 'float64' }, [3.5])
  })
  it('reductions take the np signatures', () => {
    check(x().sum(), { shape: [], dtype: 'float64' }, [vals(x()).reduce((a, b) => a + b)])
    check(x().sum(0), { shape: [3], dtype: 'float64' }, [1.25, 1.75, 1.9], 1e-15)
    check(x().sum(-1, { keepdims: true }), { shape: [2, 1], dtype: 'float64' }, [1.25, 3.65], 1e-15)
    check(x().max(1), { shape: [2], dtype: 'float64' }, [2, 3])
    check(x().min(), { shape: [], dtype: 'float64' }, [-1.25])
    check(x().argmax(), { shape: [], dtype: 'int32' }, [4])
    check(x().argmin(1), { shape: [2], dtype: 'int32' }, [1, 2])
    check(i32([1, 2, 3, 4]).mean(), { shape: [], dtype: 'float64' }, [2.5])
    check(i32([1, 2, 3, 4]).prod(), { shape: [], dtype: 'int32' }, [24])
    check(f64([1, 2, 3, 4]).var(), { shape: [], dtype: 'float64' }, [1.25])
    check(f64([1, 2, 3, 4]).std(null, { ddof: 1 }), { shape: [], dtype: 'float64' }, [Math.sqrt(5 / 3)])
    check(f64([0, 0]).logsumexp(), { shape: [], dtype: 'float64' }, [Math.LN2])
    check(f64([1, 2, 3]).cumsum(), { shape: [3], dtype: 'float64' }, [1, 3, 6])
    check(f64([0, 1]).all(), { shape: [], dtype: 'bool' }, [0])
    check(f64([0, 1]).any(), { shape: [], dtype: 'bool' }, [1])
  })
  it('shape methods: reshape(...shape | shape[]), transpose, T, mT, astype, ravel, flatten, squeeze, expandDims', () => {
    check(x().reshape(3, 2), { shape: [3, 2], dtype: 'float64' }, vals(x()))
    check(x().reshape([-1]), { shape: [6], dtype: 'float64' }, vals(x()))
    check(x().reshape(6, -1), { shape: [6, 1], dtype: 'float64' }, vals(x()))
    check(x().T, { shape: [3, 2], dtype: 'float64' }, [0.5, 0.75, -1.25, 3, 2, -0.1])
    check(x().transpose([1, 0]), { shape: [3, 2], dtype: 'float64' }, [0.5, 0.75, -1.25, 3, 2, -0.1])
    check(x().mT, { shape: [3, 2], dtype: 'float64' }, [0.5, 0.75, -1.25, 3, 2, -0.1])
    check(x().swapaxes(0, 1), { shape: [3, 2], dtype: 'float64' }, [0.5, 0.75, -1.25, 3, 2, -0.1])
    check(x().astype('int32'), { shape: [2, 3], dtype: 'int32' }, [0, -1, 2, 0, 3, 0])
    check(x().ravel(), { shape: [6], dtype: 'float64' }, vals(x()))
    check(x().flatten(), { shape: [6], dtype: 'float64' }, vals(x()))
    check(f64([1, 2], [1, 2, 1]).squeeze(), { shape: [2], dtype: 'float64' }, [1, 2])
    check(f64([1, 2]).expandDims(0), { shape: [1, 2], dtype: 'float64' }, [1, 2])
    check(f64([1, 2]).flip(), { shape: [2], dtype: 'float64' }, [2, 1])
    check(f64([1, 2]).broadcastTo([2, 2]), { shape: [2, 2], dtype: 'float64' }, [1, 2, 1, 2])
    const T = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Object.getPrototypeOf(x())), 'T')
    expect(typeof T?.get).toBe('function')
  })
  it('a left-to-right pipeline', () => {
    const xv = f64([1, 2], [1, 2])
    const w = f64([0.5, -0.5, 1, 2], [2, 2])
    const b = f64([0.1, 0.2])
    const got = xv.mul(w).add(b).tanh().sum()
    const want = [0.5 + 0.1, -1 + 0.2, 1 + 0.1, 4 + 0.2].map(Math.tanh).reduce((p, q) => p + q)
    check(got, { shape: [], dtype: 'float64' }, [want], 1e-15)
  })
  it('methods work on tracers while staging', () => {
    const j = traceToJaxpr((t: Tracer) => [t.mul(2).sum(0).T.exp()], [shaped([2, 3], 'float32')])
    expect(j.jaxpr.outs[0].aval.shape).toEqual([3])
    expect(j.jaxpr.outs[0].aval.dtype).toBe('float32')
  })
})

describe('the np namespace', () => {
  it('exports the core functions and the colleagues’ modules', () => {
    const names = [
      'array', 'asarray', 'zeros', 'ones', 'full', 'zerosLike', 'onesLike', 'arange', 'linspace', 'eye',
      'add', 'subtract', 'multiply', 'divide', 'power', 'square', 'sqrt', 'exp', 'expm1', 'log', 'log1p', 'sin', 'cos', 'tan', 'tanh',
      'arcsin', 'arccos', 'arctan', 'arctan2', 'sinh', 'cosh', 'abs', 'sign', 'floor', 'ceil', 'round', 'maximum', 'minimum', 'clip',
      'where', 'negative', 'reciprocal', 'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd',
      'logicalOr', 'logicalNot', 'isnan', 'isfinite',
      'sum', 'prod', 'mean', 'max', 'min', 'argmax', 'argmin', 'var', 'std', 'logsumexp', 'cumsum',
      'reshape', 'transpose', 'swapaxes', 'moveaxis', 'expandDims', 'squeeze', 'broadcastTo', 'concatenate', 'stack', 'split',
      'flip', 'pad', 'tile', 'repeat', 'ravel', 'atleast1d',
      'take', 'takeAlongAxis', 'at', 'sort', 'argsort', 'dot', 'matmul', 'tensordot', 'einsum', 'outer', 'inner',
    ]
    const ns = np as unknown as Record<string, unknown>
    for (const n of names) expect(typeof ns[n], n).toBe('function')
    for (const n of ['solve', 'inv', 'det', 'slogdet', 'cholesky', 'norm']) expect(typeof (np.linalg as Record<string, unknown>)[n], n).toBe('function')
  })
  it('np.var is variance', () => {
    expect(np.var).toBe(np.variance)
    expect(np.array([1, 2])).toBeInstanceOf(ConcreteArray)
  })
})
