// The derivative laws on the new np and nn functions: forward and reverse mode to second
// order against float64 finite differences (checkGrads), at points away from their kinks,
// the fast-check suites on a few (small numRuns), and jit / vmap against eager evaluation.
// Their JAX values are in npext.test.ts and activations.test.ts; this checks that every
// route to a derivative, and every way of running them, agrees.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { arb, checkGrads, laws } from '../../laws'
import { jit, nn, np, vmap } from '../../src/index'
import type { Tracer } from '../../src/core/tracer'

const x5 = np.array([0.3, -1.7, 2.2, 0.9, -0.4])
const m3 = np.array([[1.5, -0.2, 0.7], [0.1, 2.3, -1.1], [-0.6, 0.4, 0.9]])

describe('np: derivatives agree with finite differences in both modes, to second order', () => {
  const cases: Record<string, [(...a: Tracer[]) => Tracer, Tracer[]]> = {
    cbrt: [(x) => np.cbrt(x).sum(), [x5]],
    sinc: [(x) => np.sinc(x).sum(), [x5]],
    logaddexp: [(x, y) => np.logaddexp(x, y).sum(), [x5, x5.mul(-0.5).add(0.3)]],
    logaddexp2: [(x, y) => np.logaddexp2(x, y).sum(), [x5, x5.mul(2)]],
    fmod: [(x) => np.fmod(x, 0.7).sum(), [x5]],
    interp: [(x, xp, fp) => np.interp(x, xp, fp).sum(), [np.array([-0.5, 0.25, 1.4, 3]), np.array([-1, 0, 1, 2.5]), np.array([2, -1, 0.5, 4])]],
    quantile: [(x, q) => np.quantile(x, q, 1).sum(), [m3, np.array([0.3, 0.6])]],
    median: [(x) => np.median(x, 0).sum(), [m3]],
    nanmean: [(x) => np.nanmean(x, 1).mul(np.array([1, 2, 3])).sum(), [m3]],
    polyval: [(p, x) => np.polyval(p, x).sum(), [np.array([0.5, -1, 2]), x5]],
    trapezoid: [(y, x) => np.trapezoid(y, { x }).sum(), [m3, np.array([0, 0.5, 2])]],
    diff: [(x) => np.diff(x, 2).mul(x.mul(0).add(1).sum()).square().sum(), [x5]],
    kron: [(a, b) => np.kron(a, b).square().sum(), [m3, np.array([[1, -2], [0.5, 3]])]],
    cross: [(a, b) => np.cross(a, b).square().sum(), [m3, m3.T]],
    diagonal: [(a) => np.diagonal(a, 1).square().sum().add(np.trace(a.mul(a))), [m3]],
    tril: [(a) => np.tril(a).mul(np.triu(a, -1)).sum(), [m3]],
    vdot: [(a, b) => np.vdot(a, b).square(), [m3, m3.T]],
  }
  for (const [name, [f, args]] of Object.entries(cases)) it(name, () => checkGrads(f, args))
})

describe('nn: derivatives agree with finite differences in both modes, to second order', () => {
  const q = np.array([[[0.3, -0.2], [0.1, 0.5]], [[-0.4, 0.9], [0.2, 0.2]]]) // [T=2, N=2, H=2]
  const kv = np.array([[[0.7, -0.1]], [[0.2, 0.4]], [[-0.3, 0.8]]]) // [S=3, K=1, H=2]
  const cases: Record<string, [(...a: Tracer[]) => Tracer, Tracer[]]> = {
    silu: [(x) => nn.silu(x).sum(), [x5]],
    mish: [(x) => nn.mish(x).sum(), [x5]],
    selu: [(x) => nn.selu(x).sum(), [x5]],
    celu: [(x) => nn.celu(x, 0.5).sum(), [x5]],
    softSign: [(x) => nn.softSign(x).sum(), [x5]],
    glu: [(x) => nn.glu(x).square().sum(), [np.array([[0.3, -1.2, 2, 0.7], [1.5, -0.3, 0.2, 0.9]])]],
    logmeanexp: [(x) => nn.logmeanexp(x, 1).mul(np.array([1, -2, 3])).sum(), [m3]],
    standardize: [(x) => nn.standardize(x).mul(m3.T).sum(), [m3]],
    dotProductAttention: [
      (a, b, c) => nn.dotProductAttention(a, b, c, { isCausal: true, scale: 0.8 }).square().sum(),
      [q, kv, kv.mul(-1.5)],
    ],
  }
  for (const [name, [f, args]] of Object.entries(cases)) it(name, () => checkGrads(f, args))
})

describe('the fast-check suites on a sample', () => {
  const v4 = fc.tuple(arb.array({ shape: [4] }))
  it('first-order laws: logaddexp, sinc', () => {
    laws.differentiable((x: Tracer) => np.logaddexp(x, x.mul(0.5).add(1)).sum(), v4, { numRuns: 5 })
    laws.differentiable((x: Tracer) => np.sinc(x).sum(), v4, { numRuns: 5 })
  })
  it('linear ones: trace, diagonal, tril, kron with a constant, trapezoid', () => {
    const m = fc.tuple(arb.array({ shape: [3, 3] }))
    laws.linear((a: Tracer) => np.trace(a), m, { numRuns: 5 })
    laws.linear((a: Tracer) => np.diagonal(a, -1), m, { numRuns: 5 })
    laws.linear((a: Tracer) => np.tril(a, 1), m, { numRuns: 5 })
    laws.linear((a: Tracer) => np.kron(a, np.array([[1, 2]])), m, { numRuns: 5 })
    laws.linear((a: Tracer) => np.trapezoid(a, { dx: 0.3 }), m, { numRuns: 5 })
  })
})

describe('jit and vmap agree with eager evaluation', () => {
  const rows = np.array([[0.3, -1.7, 2.2, 0.9], [1.1, 0.2, -0.5, 0.4], [-2, 3, 0.1, 0.1]])
  const fs: Record<string, (x: Tracer) => Tracer> = {
    cbrt: np.cbrt, sinc: np.sinc, deg2rad: np.deg2rad, nanToNum: (x) => np.nanToNum(x.div(x.add(0.1))),
    logaddexp: (x) => np.logaddexp(x, 0.5), fmod: (x) => np.fmod(x, 0.7), diff: (x) => np.diff(x, 2),
    trapezoid: (x) => np.trapezoid(x), polyval: (x) => np.polyval(x, 0.5), interp: (x) => np.interp(x, np.array([-1, 0, 2]), np.array([1, 3, 0])),
    searchsorted: (x) => np.searchsorted(np.array([-1, 0, 2]), x), median: (x) => np.median(x), quantile: (x) => np.quantile(x, np.array([0.2, 0.9])),
    nanmax: (x) => np.nanmax(x.div(x.sub(0.1).abs().lt(0.05))), sort: (x) => np.unique(x, { size: 4 }), nonzero: (x) => np.flatnonzero(x.gt(0), { size: 3, fillValue: -1 }),
    bincount: (x) => np.bincount(x.abs().astype('int32'), { length: 4 }), diag: (x) => np.diag(x, 1), kron: (x) => np.kron(x, np.array([1, -1])),
    cross: (x) => np.cross(x.reshape([2, 2]), np.array([1, 2])), tril: (x) => np.tril(np.outer(x, x)), isclose: (x) => np.isclose(x, 0.1),
    silu: nn.silu, elu: (x) => nn.elu(x), relu6: nn.relu6, hardTanh: nn.hardTanh, mish: nn.mish, glu: nn.glu, logmeanexp: (x) => nn.logmeanexp(x),
    standardize: (x) => nn.standardize(x),
  }
  for (const [name, f] of Object.entries(fs)) {
    it(name, () => {
      const eager = (rows.tolist() as number[][]).map((r) => f(np.array(r)).tolist())
      expect(vmap(f)(rows).tolist()).toEqual(eager)
      expect(jit(vmap(f))(rows).tolist()).toEqual(eager)
    })
  }
})
