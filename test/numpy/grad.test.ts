/**
 * The numpy layer is built from primitives only, so its functions differentiate through the
 * primitives' rules. Gradients are checked against central finite differences (float64) and
 * against closed forms where one exists.
 */
import { describe, expect, it } from 'vitest'
import type { Tracer } from '../../src/core/tracer'
import * as np from '../../src/numpy'
import { grad } from '../../src/transforms/autodiff'
import { f64, vals } from './helpers'

/** Central differences of a scalar function of a float64 array. */
const fd = (f: (x: Tracer) => Tracer, x: number[], shape: number[], eps = 1e-6): number[] =>
  x.map((_, i) => {
    const at = (d: number) => {
      const y = [...x]
      y[i] += d
      return vals(f(f64(y, shape)))[0]
    }
    return (at(eps) - at(-eps)) / (2 * eps)
  })

const expectGradMatchesFd = (f: (x: Tracer) => Tracer, x: number[], shape: number[] = [x.length]): void => {
  const g = vals(grad(f)(f64(x, shape)) as Tracer)
  const want = fd(f, x, shape)
  g.forEach((v, i) => expect(Math.abs(v - want[i]), `d/dx[${i}]: ${v} vs ${want[i]}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]))))
}

const x6 = [0.3, -1.2, 2.5, 0.7, -0.4, 1.1]

describe('gradients through the numpy layer', () => {
  it('logsumexp: the gradient is softmax, also for large inputs', () => {
    for (const xs of [[1, 2, 3], [1000, 1001, 999]]) {
      const g = vals(grad((x: Tracer) => np.logsumexp(x))(f64(xs)) as Tracer)
      const m = Math.max(...xs)
      const z = xs.reduce((a, v) => a + Math.exp(v - m), 0)
      g.forEach((v, i) => expect(v).toBeCloseTo(Math.exp(xs[i] - m) / z, 14))
    }
    expectGradMatchesFd((x) => np.logsumexp(np.reshape(x, [2, 3]), 1).sum(), x6)
  })
  it('reductions: mean, var, std, prod, max (ties split evenly)', () => {
    expectGradMatchesFd((x) => np.mean(np.reshape(x, [2, 3]), 0).mul(f64([1, 2, 3])).sum(), x6)
    expectGradMatchesFd((x) => np.var(x, null, { ddof: 1 }), x6)
    expectGradMatchesFd((x) => np.std(np.reshape(x, [3, 2]), 0).sum(), x6)
    expectGradMatchesFd((x) => np.prod(x), x6)
    expect(vals(grad((x: Tracer) => np.max(x))(f64([1, 3, 3])) as Tracer)).toEqual([0, 0.5, 0.5])
  })
  it('elementwise: where differentiates only the selected branch', () => {
    const f = (x: Tracer) => np.where(np.greater(x, 0), np.square(x), np.negative(x)).sum()
    expect(vals(grad(f)(f64([-2, 3])) as Tracer)).toEqual([-1, 6])
    // the double-where fix: the unselected sqrt never sees x ≤ 0
    const safe = (x: Tracer) => {
      const pos = np.greater(x, 0)
      return np.where(pos, np.sqrt(np.where(pos, x, 1)), 0).sum()
    }
    expect(vals(grad(safe)(f64([0, 4])) as Tracer)).toEqual([0, 0.25])
    expectGradMatchesFd((x) => np.hypot(x, 2).sum(), x6)
    expectGradMatchesFd((x) => np.arcsinh(x).add(np.arctan2(x, 1.5)).sum(), x6)
    expectGradMatchesFd((x) => np.clip(x, -1, 1).mul(x).sum(), x6)
    expectGradMatchesFd((x) => np.power(x, 3).add(np.square(x)).sum(), x6)
    expectGradMatchesFd((x) => np.log10(np.exp2(x)).add(np.log2(np.square(x))).sum(), x6)
  })
  it('power with a non-integer exponent', () => {
    expectGradMatchesFd((x) => np.power(np.abs(x), 1.5).sum(), x6)
    expectGradMatchesFd((x) => np.power(2, x).sum(), x6)
  })
  it('shape functions: flip, pad, tile, repeat, roll, concatenate, stack, split', () => {
    const w = f64([1, -2, 3, 0.5, 4, -1, 2, 5, -3, 1, 0.25, 7])
    const weigh = (y: Tracer) => np.ravel(y).mul(np.split(w, [y.size])[0]).sum()
    const take = (y: Tracer, n: number) => np.split(np.ravel(y), [n])[0]
    expectGradMatchesFd((x) => weigh(take(np.flip(np.reshape(x, [2, 3]), 1), 6)), x6)
    expectGradMatchesFd((x) => weigh(take(np.pad(np.reshape(x, [2, 3]), [[1, 0], [0, 2]]), 12)), x6)
    expectGradMatchesFd((x) => weigh(take(np.tile(x, [2, 1]), 12)), x6)
    expectGradMatchesFd((x) => weigh(take(np.repeat(np.reshape(x, [2, 3]), 2, 1), 12)), x6)
    expectGradMatchesFd((x) => weigh(np.roll(x, 2)), x6)
    expectGradMatchesFd((x) => weigh(take(np.concatenate([x, np.square(x)]), 12)), x6)
    expectGradMatchesFd((x) => weigh(take(np.stack([x, np.sin(x)], 1), 12)), x6)
    expectGradMatchesFd((x) => np.split(x, 3)[1].mul(np.split(x, 3)[2]).sum(), x6)
    expectGradMatchesFd((x) => weigh(take(np.moveaxis(np.reshape(x, [1, 2, 3]), 0, -1), 6)), x6)
  })
  it('creation: arrays built from traced values carry gradients', () => {
    const f = (x: Tracer) => np.array([np.sum(x), np.max(x)]).mul(f64([2, 3])).sum()
    expectGradMatchesFd(f, x6)
    expectGradMatchesFd((x) => np.full([2, 3], np.sum(x)).mul(np.eye(2, 3)).sum(), x6)
  })
})
