/**
 * Programs of float64 scalars compiled as straight-line code (codegen/straight.ts): they must
 * take that path (their description says so), give the reference interpreter's results and
 * the fusion planner's bit for bit, and every other small program must keep its planned path.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, derivatives, lax, makeJaxpr, np } from '../../src'
import { compileJaxpr, describeProgram } from '../../src/backend'
import { WHOLE_LIMITS } from '../../src/backend/scalarmode'
import type { ConcreteArray } from '../../src/core/array'
import type { TypedArray } from '../../src/ir/dtypes'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'
import { bitwiseDiff, runReference } from './helpers'

const STRAIGHT = /^program, compiled whole, from:\n0: straight-line code of \d+ equations/

const prepare = (f: (...xs: Arr[]) => unknown, args: readonly Arr[]) => {
  const closed = makeJaxpr(f)(...args)
  return { j: optimize(hoistConsts(closed.jaxpr), { all: true }), xs: [...closed.consts, ...args] as ConcreteArray[] }
}

const same = (got: readonly TypedArray[], want: readonly TypedArray[], what: string): void => {
  expect(got.length).toBe(want.length)
  got.forEach((g, i) => {
    const d = bitwiseDiff(g, want[i])
    if (d !== null) expect.fail(`${what}, output ${i}: ${d}`)
  })
}

/** The fusion planner's program of `f` (no program compiled as one function). */
const planned = (f: (...xs: Arr[]) => unknown, args: readonly Arr[]): TypedArray[] => {
  const saved = WHOLE_LIMITS.elements
  WHOLE_LIMITS.elements = -1
  try {
    const { j, xs } = prepare(f, args)
    const p = compileJaxpr(j)
    expect(describeProgram(p)).not.toMatch(/compiled whole/)
    return p.run(xs.map((x) => x.data))
  } finally {
    WHOLE_LIMITS.elements = saved
  }
}

/** Straight-line = reference = planned kernels, bit for bit, by `run` and by `runInto`. */
const agree = (f: (...xs: Arr[]) => unknown, ...args: Arr[]): TypedArray[] => {
  const { j, xs } = prepare(f, args)
  const p = compileJaxpr(j)
  expect(describeProgram(p)).toMatch(STRAIGHT)
  const data = xs.map((x) => x.data)
  const got = p.run(data)
  same(got, runReference(j, xs), 'against the reference interpreter')
  same(got, planned(f, args), 'against the planned kernels')
  const into = got.map((g) => new Float64Array(g.length).fill(NaN))
  p.runInto(data, into)
  same(into, got, 'runInto against run')
  return got
}

describe('float64 scalar programs as straight-line code', () => {
  it('every kind of elementwise lowering (helpers, integer powers, literals), stacked and 0-d outputs, an input passed through', () => {
    const got = agree((x, y) => {
      const a = np.tanh(x.mul(y)).add(lax.logistic(y.sub(3)))
      const b = lax.integerPow(a, 5).sub(lax.integerPow(x, -3))
      const c = lax.rsqrt(np.abs(b).add(1)).mul(np.sign(y)).div(np.expm1(x))
      const d = lax.atan2(c, np.log1p(np.abs(y))).add(np.maximum(a, b)).sub(np.round(x.mul(7)))
      const e = lax.pow(np.abs(d).add(0.5), x).mul(np.floor(y)).add(np.cos(-0))
      const s = lax.concatenate([a, b, c, d, e].map((v) => lax.reshape(v, [1])), 0)
      return [lax.reshape(s, [5, 1]), e, y]
    }, np.array(0.7), np.array(-2.25))
    expect(got[2][0]).toBe(-2.25)
    // a few values by hand
    const [x, y] = [0.7, -2.25]
    const a = Math.tanh(x * y) + 1 / (1 + Math.exp(-(y - 3)))
    expect(Math.abs(got[0][0] - a)).toBeLessThan(1e-15)
    expect(Math.abs(got[0][1] - (a ** 5 - x ** -3))).toBeLessThan(1e-12)
  })

  it('derivatives of order 10 of sin(x)·exp(−x²/2) (the 10th against the closed form of the 9th by central differences)', () => {
    const f = (x: Arr) => np.sin(x).mul(np.exp(x.mul(x).mul(-0.5)))
    const [d] = agree((x) => derivatives(f, 10)(x), np.array(0.7))
    expect(d.length).toBe(11)
    expect(d[0]).toBe(Math.sin(0.7) * Math.exp(0.7 * 0.7 * -0.5))
    const h = 1e-3
    const at = (x: number) => agree((t) => derivatives(f, 9)(t), np.array(x))[0][9]
    expect(Math.abs((at(0.7 + h) - at(0.7 - h)) / (2 * h) - d[10])).toBeLessThan(1e-4 * Math.abs(d[10]))
  })

  it('other small programs keep their planned path: float32, int32 and bool values, arrays, too few equations', () => {
    const chain = (x: Arr) => {
      let y = x
      for (let i = 0; i < 10; i++) y = np.sin(y).mul(1.5).add(x)
      return y
    }
    const cases: [(...xs: Arr[]) => unknown, Arr[]][] = [
      [chain, [np.array(0.5, { dtype: 'float32' })]],
      [(x) => chain(x).gt(0.5), [np.array(0.5)]],
      [(x, k) => chain(x).mul(k.mul(3).astype('float64')), [np.array(0.5), np.array(2, { dtype: 'int32' })]],
      [chain, [np.array([0.5, -1])]],
      [(x) => np.sin(x).mul(2), [np.array(0.5)]],
    ]
    for (const [f, args] of cases) {
      const { j, xs } = prepare(f, args)
      const p = compileJaxpr(j)
      expect(describeProgram(p)).not.toMatch(/straight-line/)
      same(p.run(xs.map((x) => x.data)), runReference(j, xs), 'against the reference interpreter')
    }
  })
})
