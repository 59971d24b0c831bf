/**
 * Small programs generated directly from their equations (codegen/direct.ts): each program
 * here must take that path, and give the same bits as the same program planned one step per
 * equation (scalarmode.ts, the path it replaces) and as the reference interpreter — loops
 * (while, scan, cond), float32, int32 and bool values, structural equations, concatenate,
 * reductions, pad and a small contraction. A program with an equation that has no scalar
 * form is planned as before.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, MaxStepsExceededError, jacfwd, lax, makeJaxpr, np } from '../../src'
import { compileJaxpr, describeProgram } from '../../src/backend'
import { WHOLE_MODE, scalarStats } from '../../src/backend/scalarmode'
import type { ConcreteArray } from '../../src/core/array'
import type { TypedArray } from '../../src/ir/dtypes'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'
import { expectSameBits, runReference } from './helpers'

const prepare = (f: (...xs: Arr[]) => unknown, args: readonly Arr[]) => {
  const closed = makeJaxpr(f)(...args)
  return { j: optimize(hoistConsts(closed.jaxpr), { all: true }), xs: [...closed.consts, ...args] as ConcreteArray[] }
}

/** `f` compiled (a fresh jaxpr: programs are cached per jaxpr) with the direct path on or off:
 *  whether it went direct, its description, and its outputs. */
const compiled = (direct: boolean, f: (...xs: Arr[]) => unknown, args: readonly Arr[]) => {
  const saved = WHOLE_MODE.direct
  WHOLE_MODE.direct = direct
  try {
    const { j, xs } = prepare(f, args)
    const before = scalarStats.direct
    const p = compileJaxpr(j)
    return { direct: scalarStats.direct > before, text: describeProgram(p), run: () => p.run(xs.map((x) => x.data)), j, xs }
  } finally {
    WHOLE_MODE.direct = saved
  }
}

const same = expectSameBits

/** Generated directly = planned = reference, bit for bit; returns the outputs. */
const agree = (f: (...xs: Arr[]) => unknown, ...args: Arr[]): TypedArray[] => {
  const d = compiled(true, f, args)
  expect(d.direct).toBe(true)
  expect(d.text).toMatch(/^program, compiled whole, from:\n0: code of \d+ equations/)
  const got = d.run()
  same(got, runReference(d.j, d.xs), 'against the reference interpreter')
  const planned = compiled(false, f, args)
  expect(planned.direct).toBe(false)
  expect(planned.text).toMatch(/^program, compiled whole/)
  same(got, planned.run(), 'against the planned program')
  return got
}

const x3 = np.array([0.3, -1.2, 0.8])
const m23 = np.array([[0.5, -1.5, 2.25], [1e-3, 7, -0.125]])

describe('small programs generated directly from their equations', () => {
  it('elementwise, structural equations, concatenate, reductions and a contraction (float64)', () => {
    const [a, b, c, d, e] = agree((x: Arr, m: Arr) => {
      const t = lax.transpose(m, [1, 0]) // [3, 2]
      const s = np.sin(x).mul(2).sub(np.cos(x.mul(x)))
      const cat = np.concatenate([lax.slice(m, [0, 1], [2, 3]), lax.reshape(t, [2, 3])], 1) // [2, 5]
      const r = np.max(cat, 1).add(np.sum(cat, 0).sum())
      const dot = np.matmul(m, x) // [2]
      const io = lax.iota('float64', [2, 3], 1).mul(m)
      return [s, cat, r, dot, np.min(io, 0).add(lax.broadcastInDim(x.sum(), [3], []))]
    }, x3, m23)
    // independent values for a few of them
    expect(a[1]).toBeCloseTo(2 * Math.sin(-1.2) - Math.cos(1.44), 14)
    expect(Array.from(b.slice(0, 5))).toEqual([-1.5, 2.25, 0.5, 1e-3, -1.5])
    expect(d[0]).toBeCloseTo(0.5 * 0.3 + 1.5 * 1.2 + 2.25 * 0.8, 14)
    expect(c.length).toBe(2)
    expect(e.length).toBe(3)
  })

  it('float32 rounding, int32 wrapping and bool values as the planned code stores them', () => {
    const x32 = np.array([0.1, 1 / 3, -2.7], { dtype: 'float32' })
    const k = np.array([2147483000, -7, 12], { dtype: 'int32' })
    const [f, i, bl] = agree((x: Arr, n: Arr) => {
      const y = x.mul(x).add(0.1).div(3)
      const w = n.mul(n).add(n) // wraps
      const p = np.logicalAnd(y.gt(0), n.lt(100))
      return [np.where(p, y, y.neg()).sum(), w.sum(), np.logicalOr(np.logicalNot(p), n.eq(-7))]
    }, x32, k)
    expect(f).toBeInstanceOf(Float32Array)
    // n² + n with int32 wrapping (Math.imul: the exact product's low 32 bits), then summed
    const big = (Math.imul(2147483000, 2147483000) + 2147483000) | 0
    expect(i[0]).toBe((((big + 42) | 0) + 156) | 0)
    expect(Array.from(bl)).toEqual([1, 1, 0])
  })

  it('a while loop with a cond inside, and maxSteps exceeded raises MaxStepsExceededError', () => {
    const newton = (a: Arr, maxSteps?: number) => lax.whileLoop(
      ([x, k]: Arr[]) => np.logicalAnd(x.mul(x).sub(a).abs().gt(1e-12), k.lt(50)),
      ([x, k]: Arr[]) => [lax.cond(x.gt(0), (v: Arr) => v.sub(v.mul(v).sub(a).div(v.mul(2))), (v: Arr) => v.neg(), x), k.add(1)],
      [np.array(1), np.array(0, { dtype: 'int32' })], maxSteps === undefined ? {} : { maxSteps },
    )
    const [root, steps] = agree((a: Arr) => {
      const [x, k] = newton(a)
      return [x.mul(a), k]
    }, np.array(2))
    expect(root[0]).toBeCloseTo(2 * Math.SQRT2, 14)
    expect(steps[0]).toBeGreaterThan(2)
    const d = compiled(true, (a: Arr) => newton(a, 2)[0].mul(1.5).add(a).sub(1).mul(a).add(2).div(a).sub(0.5), [np.array(2)])
    expect(d.direct).toBe(true)
    expect(() => d.run()).toThrow(MaxStepsExceededError)
    expect(() => d.run()).toThrow(/maxSteps = 2 steps/)
  })

  it('scans: carries, xs and ys, reverse, and jacfwd through a foriLoop', () => {
    const xs = np.array([[0.1, 0.2], [0.5, -0.4], [1.5, 0.25], [0, 1]])
    const [c, ys, cr, ysr] = agree((h: Arr, x: Arr) => {
      const step = (carry: Arr, row: Arr): [Arr, Arr] => [np.tanh(carry.mul(0.9).add(row)), carry.mul(row).sum()]
      const [cf, yf] = lax.scan(step, h, x)
      const [cb, yb] = lax.scan(step, h, x, { reverse: true })
      return [cf, yf, cb, yb]
    }, np.array([0.3, -0.2]), xs)
    expect(ys.length).toBe(4)
    expect(ys[0]).toBeCloseTo(0.3 * 0.1 - 0.2 * 0.2, 15)
    expect(ysr[3]).toBeCloseTo(0 * 0.3 + 1 * -0.2, 15)
    expect(c.length).toBe(2)
    expect(cr.length).toBe(2)
    const lorenz = (p: Arr) => {
      const [s, r, b] = [0, 1, 2].map((i) => lax.reshape(lax.slice(p, [i], [i + 1]), []))
      const out = lax.foriLoop(0, 50, (_i: Arr, [x, y, z]: Arr[]) => [
        x.add(s.mul(y.sub(x)).mul(0.01)),
        y.add(x.mul(r.sub(z)).sub(y).mul(0.01)),
        z.add(x.mul(y).sub(b.mul(z)).mul(0.01)),
      ], [np.array(1), np.array(1), np.array(1)])
      return np.stack(out)
    }
    const [jac] = agree(jacfwd(lorenz), np.array([10, 28, 8 / 3]))
    expect(jac.length).toBe(9)
  })

  it('pad: low and high padding, and a negative one that crops', () => {
    const [p, q] = agree((x: Arr, m: Arr) => {
      const a = lax.pad(np.sin(x), 0.5, [[1, 2, 0]])
      const b = lax.pad(m, -1, [[-1, 1, 0], [1, -1, 0]])
      return [a.mul(a).add(1).sub(a).mul(3).div(2).add(np.cos(a)), b.add(0)]
    }, x3, m23)
    const sx = Math.sin(0.3)
    expect(p[0]).toBeCloseTo((0.25 + 1 - 0.5) * 1.5 + Math.cos(0.5), 14)
    expect(p[1]).toBeCloseTo((sx * sx + 1 - sx) * 1.5 + Math.cos(sx), 14)
    // rows: m's row 1 then the padding row; columns: the padding column then m's columns 0, 1
    expect(Array.from(q)).toEqual([-1, 1e-3, 7, -1, -1, -1])
  })

  it('a program with an equation that has no scalar form is planned by the fusion planner', () => {
    const f = (x: Arr) => np.sort(np.sin(x)).mul(2).add(np.cos(x)).mul(x).sub(1).div(3).sum()
    const d = compiled(true, f, [x3])
    expect(d.direct).toBe(false)
    expect(d.text).not.toMatch(/compiled whole/)
    same(d.run(), runReference(d.j, d.xs), 'against the reference interpreter')
  })
})
