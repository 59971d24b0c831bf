import { describe, expect, it } from 'vitest'
import '../../src/rules'
import { ConcreteArray } from '../../src/core/array'
import { AxisError, DTypeError } from '../../src/core/errors'
import { UndefPrimal, Zero, isZero, registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { type Shape, shaped, sizeOf, stridesOf } from '../../src/ir/aval'
import { type DType, allocate } from '../../src/ir/dtypes'
import { cumsum, cumsumRules } from '../../src/primitives/cumsum'

registerRules(cumsumRules)
const rules = cumsumRules.cumsum

// ---- helpers ---------------------------------------------------------------------------

let seed = 99
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0
  return ((seed >>> 8) & 0xffff) / 0x10000 - 0.5
}
const rand = (shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const data = allocate(dtype, sizeOf(shape))
  for (let i = 0; i < data.length; i++) data[i] = dtype === 'int32' ? Math.floor(rnd() * 100) : rnd() * 4
  return new ConcreteArray(data, shape, dtype)
}
const arr = (data: number[], shape: Shape, dtype: DType = 'float64'): ConcreteArray => {
  const d = allocate(dtype, data.length)
  d.set(data)
  return new ConcreteArray(d, shape, dtype)
}
const c = (x: Tracer): ConcreteArray => x as ConcreteArray
const multiIndices = (shape: Shape): number[][] => {
  const out: number[][] = []
  for (let f = 0; f < sizeOf(shape); f++) {
    const idx: number[] = []
    let r = f
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d])
      r = Math.floor(r / shape[d])
    }
    out.push(idx)
  }
  return out
}
const flat = (shape: Shape, idx: readonly number[]): number => {
  const st = stridesOf(shape)
  return idx.reduce((s, v, d) => s + v * st[d], 0)
}
/** Brute force: out[idx] = Σ x[idx with idx[axis] → j] over j ≤ idx[axis] (j ≥ for reverse). */
const refCumsum = (x: ConcreteArray, axis: number, reverse: boolean, add = (a: number, b: number) => a + b): number[] =>
  multiIndices(x.shape).map((idx) => {
    let s = 0
    const n = x.shape[axis]
    const [lo, hi] = reverse ? [idx[axis], n - 1] : [0, idx[axis]]
    const j = [...idx]
    // sum in scan order so float rounding matches a sequential accumulation
    for (let t = 0; t <= hi - lo; t++) {
      j[axis] = reverse ? hi - t : lo + t
      s = add(s, x.data[flat(x.shape, j)])
    }
    return s
  })
const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-12): void => {
  expect(got.length).toBe(want.length)
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]))
    if (!(err <= tol)) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]}`)
  }
}
const vdot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}
const takeAt = (x: ConcreteArray, axis: number, i: number): ConcreteArray => {
  const shape = x.shape.filter((_, d) => d !== axis)
  const data = allocate(x.dtype, sizeOf(shape))
  multiIndices(shape).forEach((idx, f) => {
    const full = [...idx]
    full.splice(axis, 0, i)
    data[f] = x.data[flat(x.shape, full)]
  })
  return new ConcreteArray(data, shape, x.dtype)
}
const stack = (xs: ConcreteArray[], axis: number): ConcreteArray => {
  const shape = [...xs[0].shape]
  shape.splice(axis, 0, xs.length)
  const data = allocate(xs[0].dtype, sizeOf(shape))
  multiIndices(shape).forEach((idx, f) => {
    data[f] = xs[idx[axis]].data[flat(xs[0].shape, idx.filter((_, d) => d !== axis))]
  })
  return new ConcreteArray(data, shape, xs[0].dtype)
}

// ---- impl --------------------------------------------------------------------------------

describe('cumsum impl', () => {
  it('computes inclusive prefix and suffix sums (hand-computed)', () => {
    const x = arr([1, 2, 3, 4], [4])
    expect(c(cumsum(x, 0)).tolist()).toEqual([1, 3, 6, 10])
    expect(c(cumsum(x, 0, true)).tolist()).toEqual([10, 9, 7, 4])
    const m = arr([1, 2, 3, 4, 5, 6], [2, 3])
    expect(c(cumsum(m, 0)).tolist()).toEqual([[1, 2, 3], [5, 7, 9]])
    expect(c(cumsum(m, 1)).tolist()).toEqual([[1, 3, 6], [4, 9, 15]])
    expect(c(cumsum(m, -1, true)).tolist()).toEqual([[6, 5, 3], [15, 11, 6]])
  })

  it('agrees with a brute-force reference for every axis and direction (float64)', () => {
    const x = rand([3, 4, 5])
    for (const axis of [0, 1, 2]) {
      for (const reverse of [false, true]) {
        const y = c(cumsum(x, axis, reverse))
        expect(y.shape).toEqual([3, 4, 5])
        expectClose(y.data, refCumsum(x, axis, reverse))
      }
    }
  })

  it('float32: float64 running sum, rounded at each store', () => {
    const x = rand([4, 7], 'float32')
    for (const reverse of [false, true]) {
      const y = c(cumsum(x, 1, reverse))
      expect(y.dtype).toBe('float32')
      expect(Array.from(y.data)).toEqual(refCumsum(x, 1, reverse).map(Math.fround))
    }
    // 1 + 2⁻²⁴ + 2⁻²⁴: the third sum keeps both small terms
    const t = c(cumsum(arr([1, 2 ** -24, 2 ** -24], [3], 'float32'), 0))
    expect(Array.from(t.data)).toEqual([1, 1, Math.fround(1 + 2 ** -23)])
  })

  it('int32: exact, wrapping on overflow', () => {
    const x = rand([5, 3], 'int32')
    expect(Array.from(c(cumsum(x, 0)).data)).toEqual(refCumsum(x, 0, false, (a, b) => (a + b) | 0))
    const y = c(cumsum(arr([2 ** 31 - 1, 1, 5], [3], 'int32'), 0))
    expect(y.dtype).toBe('int32')
    expect(Array.from(y.data)).toEqual([2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 5])
  })

  it('handles empty arrays and length-1 axes', () => {
    expect(c(cumsum(rand([0, 3]), 0)).shape).toEqual([0, 3])
    expect(c(cumsum(rand([2, 0]), 0)).shape).toEqual([2, 0])
    expect(c(cumsum(rand([2, 0]), 1, true)).shape).toEqual([2, 0])
    const x = rand([3, 1])
    expect(Array.from(c(cumsum(x, 1)).data)).toEqual(Array.from(x.data))
  })

  it('keeps the weak type', () => {
    const w = new ConcreteArray(new Float64Array([1, 2]), [2], 'float64', true)
    expect(c(cumsum(w, 0)).weakType).toBe(true)
  })
})

describe('cumsum validation', () => {
  it('rejects bools, 0-d arrays, and bad axes', () => {
    const b = arr([1, 0], [2], 'bool')
    expect(() => cumsum(b, 0)).toThrow(DTypeError)
    expect(() => cumsum(b, 0)).toThrow(/cumsum needs a numeric array, got bool\[2\]/)
    expect(() => cumsum(arr([1], []), 0)).toThrow(AxisError)
    expect(() => cumsum(rand([2, 3]), 2)).toThrow(/axis 2 is out of range for an array of rank 2/)
    expect(() => cumsum(rand([2, 3]), -3)).toThrow(AxisError)
    // the primitive itself takes only normalized axes
    expect(() => rules.abstractEval([shaped([2, 3], 'float64')], { axis: -1, reverse: false })).toThrow(/axis must be normalized, got -1.*use 1/)
  })
  it('staged abstract eval gives the same aval', () => {
    const j = traceToJaxpr((x) => [cumsum(x, -1, true)], [shaped([2, 3], 'float32')])
    expect(j.jaxpr.eqns[0].params).toEqual({ axis: 1, reverse: true })
    expect(j.jaxpr.outs[0].aval).toMatchObject({ shape: [2, 3], dtype: 'float32' })
  })
})

// ---- jvp, transpose, batch ---------------------------------------------------------------

describe('cumsum rules', () => {
  it('jvp matches central finite differences', () => {
    const x = rand([3, 4])
    const dx = rand([3, 4])
    const eps = 1e-6
    for (const reverse of [false, true]) {
      const p = { axis: 1, reverse }
      const [[y], [t]] = rules.jvp([x], [dx], p)
      expectClose(c(y).data, refCumsum(x, 1, reverse))
      const xp = new ConcreteArray(Float64Array.from(x.data, (v, i) => v + eps * dx.data[i]), x.shape, 'float64')
      const xm = new ConcreteArray(Float64Array.from(x.data, (v, i) => v - eps * dx.data[i]), x.shape, 'float64')
      const [fp, fm] = [c(cumsum(xp, 1, reverse)).data, c(cumsum(xm, 1, reverse)).data]
      expectClose(c(t as Tracer).data, Array.from(fp, (v, i) => (v - fm[i]) / (2 * eps)), 1e-6)
    }
  })

  it('transpose satisfies the adjoint identity <ct, cumsum(t)> = <cumsumᵀ(ct), t>', () => {
    const x = rand([3, 4, 2])
    for (const axis of [0, 1, 2]) {
      for (const reverse of [false, true]) {
        const t = rand(x.shape)
        const ct = rand(x.shape)
        const [r] = rules.transpose([ct], [new UndefPrimal(x.aval)], { axis, reverse })
        expect(vdot(c(r as Tracer).data, t.data)).toBeCloseTo(vdot(ct.data, c(cumsum(t, axis, reverse)).data), 10)
      }
    }
    const [z] = rules.transpose([new Zero(x.aval)], [new UndefPrimal(x.aval)], { axis: 0, reverse: false })
    expect(isZero(z)).toBe(true)
  })

  it('batch rule agrees with per-example results for every batch position', () => {
    const N = 3
    const xs = Array.from({ length: N }, () => rand([4, 5]))
    for (const axis of [0, 1]) {
      for (const reverse of [false, true]) {
        for (let b = 0; b <= 2; b++) {
          const [[out], [bo]] = rules.batch(N, [stack(xs, b)], [b], { axis, reverse })
          const want = stack(xs.map((x) => c(cumsum(x, axis, reverse))), bo as number)
          expect(c(out).shape).toEqual(want.shape)
          expectClose(c(out).data, want.data)
          // and each example is where bo says
          expectClose(takeAt(c(out), bo as number, 1).data, c(cumsum(xs[1], axis, reverse)).data)
        }
      }
    }
  })

  it('batching stages a single cumsum (no transposes)', () => {
    const j = traceToJaxpr((x) => rules.batch(3, [x], [1], { axis: 1, reverse: true })[0], [shaped([4, 3, 5], 'float64')])
    expect(j.jaxpr.eqns.map((e) => e.prim)).toEqual(['cumsum'])
    expect(j.jaxpr.eqns[0].params).toEqual({ axis: 2, reverse: true })
  })
})
