import { describe, expect, it } from 'vitest'
import { np, grad, jit, vmap, ConcretizationError, TracerLeakError, ShapeError, DTypeError } from '../../src'
import type { Array } from '../../src'

describe('concretization', () => {
  it('item(), Number(x) and comparisons in if throw under transformations, naming a fix', () => {
    const viaItem = (x: Array) => (x.item() ? x : x.mul(2))
    const viaNumber = (x: Array) => np.multiply(x, Number(x))
    const viaIf = (x: Array) => ((x as unknown as number) > 0 ? x : x.neg())
    for (const f of [viaItem, viaNumber, viaIf]) {
      expect(() => grad(f)(np.array(1.0))).toThrow(ConcretizationError)
      expect(() => jit(f)(np.array(1.0))).toThrow(ConcretizationError)
    }
    expect(() => jit(viaIf)(np.array(1.0))).toThrow(/f64\[\].*np\.where.*lax\.cond/s)
  })
  it('concrete arrays convert', () => {
    expect(Number(np.array(2.5))).toBe(2.5)
    expect(np.array(3.0).item()).toBe(3)
    expect(() => Number(np.array([1, 2]))).toThrow(/one element/)
  })
})

describe('tracer leaks', () => {
  it('using a tracer after its transformation ended throws TracerLeakError', () => {
    let leaked: Array | undefined
    grad((x: Array) => {
      leaked = x
      return x.mul(x)
    })(np.array(1.0))
    expect(() => (leaked as Array).add(1)).toThrow(TracerLeakError)
    let leakedJit: Array | undefined
    jit((x: Array) => {
      leakedJit = x
      return x
    })(np.array(1.0))
    expect(() => np.sin(leakedJit as Array)).toThrow(/finished.*Return it from the function/s)
    let leakedVmap: Array | undefined
    vmap((x: Array) => (leakedVmap = x).sum())(np.ones([2, 2]))
    expect(() => np.add(leakedVmap as Array, np.ones([2]))).toThrow(TracerLeakError)
  })
})

describe('shape and dtype errors name the operation and shapes', () => {
  it('broadcasting', () => {
    expect(() => np.add(np.ones([2, 3]), np.ones([4]))).toThrow(ShapeError)
    expect(() => np.add(np.ones([2, 3]), np.ones([4]))).toThrow(/\[2, 3\].*\[4\]/)
  })
  it('grad of a non-scalar output shows the shape', () => {
    expect(() => grad((x: Array) => x.mul(2))(np.ones([3]))).toThrow(/scalar.*f64\[3\]/)
  })
  it('grad with an integer input names the argument', () => {
    expect(() => grad((x: Array, y: Array) => x.sum(), { argnums: 1 })(np.ones([2]), np.array([1, 2], { dtype: 'int32' }))).toThrow(DTypeError)
    expect(() => grad((x: Array, y: Array) => x.sum(), { argnums: 1 })(np.ones([2]), np.array([1, 2], { dtype: 'int32' }))).toThrow(/argument 1 is i32\[2\]/)
  })
})

describe('printing', () => {
  it('console.log shows values and dtype; large arrays are summarized; tracers show their aval', async () => {
    const { inspect } = await import('node:util')
    expect(inspect(np.array([[1, 2], [3, 4]]))).toBe('Array([ [ 1, 2 ], [ 3, 4 ] ], dtype=float64)')
    expect(String(np.arange(0, 5000))).toBe('Array(shape=[5000], [0, 1, 2, …, 4997, 4998, 4999], dtype=float64)')
    let seen = ''
    grad((x: Array) => {
      seen = inspect(x)
      return x.sum()
    })(np.ones([2]))
    expect(seen).toBe('Traced<f64[2]>(JVPTrace)')
  })
})

describe('errors a newcomer hits first', () => {
  it('a JS array where an Array is expected points to np.array', () => {
    expect(() => np.sin([1, 2, 3] as never)).toThrow(/sin: expected an Array or a JS number, got a JS array of length 3\. Wrap data with np\.array/)
    expect(() => np.ones([2]).add(undefined as never)).toThrow(/add: expected an Array or a JS number, got undefined\./)
  })
  it('a transformation given something other than a function says how to call it', () => {
    expect(() => grad(3 as unknown as (x: Array) => Array)(np.ones([2]))).toThrow(/grad: expected a function as the first argument, got number 3\. Usage: grad\(f\)/)
    expect(() => vmap({} as unknown as (x: Array) => Array)(np.ones([2]))).toThrow(/vmap: expected a function/)
    expect(() => jit('f' as never)).toThrow(/jit: expected a function/)
  })
  it('ragged data, strings, bad shapes and mismatched matmuls name the problem', () => {
    expect(() => np.array([[1, 2], [3]])).toThrow(/ragged nested data: element \[1\] has length 1, but element \[0\] has length 2/)
    expect(() => np.array([1, 'a'] as never)).toThrow(/element \[1\] is string a; expected a number or a boolean/)
    expect(() => np.matmul(np.ones([2, 3]), np.ones([2, 3]))).toThrow(ShapeError)
    expect(() => np.ones([2, 3]).reshape([4])).toThrow(/cannot reshape f64\[2,3\] \(6 elements\) to \[4\]/)
    expect(() => vmap((a: Array, b: Array) => a.add(b))(np.ones([3]), np.ones([4]))).toThrow(/argument 0 axis 0 has size 3; argument 1 axis 0 has size 4/)
  })
})

describe('reading values back', () => {
  it('String shows NaN and infinities as themselves; item() is a number (bool → 1/0)', () => {
    expect(String(np.array([NaN, Infinity, -Infinity, 1.5]))).toBe('Array([NaN,Infinity,-Infinity,1.5], dtype=float64)')
    const t: number = np.array(true).item()
    expect(t).toBe(1)
    expect(np.array(2.5).item() + 1).toBe(3.5)
  })
})
