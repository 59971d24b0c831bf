// The everyday np functions against JAX (test/fixtures/numpy/npext.json, float64, made by
// make_npext.py beside it): values, first and second derivatives, and vmap / jit samples.
import { describe, expect, it } from 'vitest'
import { grad, jit, np, vmap } from '../../src/index'
import type { Tracer } from '../../src/core/tracer'
import { dec, expectRef, loadFixture } from './jaxfixture'

const fx = loadFixture('numpy', 'npext.json')
const A = (v: unknown) => np.array(dec(v as never))
const I = (v: unknown) => np.array(dec(v as never), { dtype: 'int32' })
type F1 = (x: Tracer) => Tracer
const d1 = (f: F1) => vmap(grad(f))
const d2 = (f: F1) => vmap(grad(grad(f)))

describe('elementwise', () => {
  it('cbrt: exact cubes, odd symmetry, derivatives (∞ at 0, as JAX)', () => {
    const c = fx.cbrt
    const x = A(c.x)
    expectRef(np.cbrt(x), c.value, 2e-16)
    // pow's derivative (1/3)·x^{−2/3} rounds its exponent: ~1e-13 relative at x = 1e-300.
    expectRef(d1(np.cbrt)(x), c.d1, 2e-13)
    expectRef(d2(np.cbrt)(x), c.d2, 2e-13)
    expect(np.cbrt(np.array([27, -8, 3.375, 1e-300 * 1e-300])).tolist()).toEqual([3, -2, 1.5, 0])
    expectRef(np.cbrt(0), fx.cbrt0.value)
    expectRef(grad(np.cbrt)(0), fx.cbrt0.d1)
  })
  it('sinc: 1 at 0 with sinc′(0) = 0, sinc″(0) = −π²/3; accurate derivatives near 0', () => {
    const c = fx.sinc
    const x = A(c.x)
    expectRef(np.sinc(x), c.value, 1e-15)
    expectRef(d1(np.sinc)(x), c.d1, 1e-14)
    expectRef(d2(np.sinc)(x), c.d2, 1e-13)
    // Near 0 the series: sinc′(x) ≈ −π²x/3, sinc‴(0) = 0, sinc⁗(0) = π⁴/5.
    expect(grad(np.sinc)(1e-7).item()).toBeCloseTo((-(Math.PI ** 2) * 1e-7) / 3, 20)
    expect(grad(grad(grad(grad(np.sinc))))(0).item()).toBeCloseTo(Math.PI ** 4 / 5, 10)
  })
  it('fmod: the sign of the dividend; ∂/∂x = 1, ∂/∂y = −trunc(x/y)', () => {
    const c = fx.fmod
    const [x, y] = [A(c.x), A(c.y)]
    expectRef(np.fmod(x, y), c.value, 1e-15)
    expectRef(vmap(grad((a: Tracer, b: Tracer) => np.fmod(a, b)))(x, y), c.dx)
    expectRef(vmap(grad((a: Tracer, b: Tracer) => np.fmod(a, b), { argnums: 1 }))(x, y), c.dy)
    expect(np.fmod(np.array([-7, 7], { dtype: 'int32' }), 3).tolist()).toEqual([-1, 1])
  })
  it('deg2rad, rad2deg', () => {
    expectRef(np.deg2rad(A(fx.deg2rad.x)), fx.deg2rad.value)
    expectRef(np.rad2deg(A(fx.rad2deg.x)), fx.rad2deg.value)
  })
  it('logaddexp, logaddexp2: values, both partials and the second derivative', () => {
    for (const name of ['logaddexp', 'logaddexp2'] as const) {
      const c = fx[name]
      const f = np[name]
      const [a, b] = [A(c.a), A(c.b)]
      expectRef(f(a, b), c.value, 1e-15, name)
      // JAX's e^{x − out} is off by ~1e-13 at x = y = 1000 (ours: σ(0) = ½ exactly).
      expectRef(vmap(grad(f))(a, b), c.da, 1e-13, `${name} da`)
      expectRef(vmap(grad(f, { argnums: 1 }))(a, b), c.db, 1e-13, `${name} db`)
      expectRef(vmap(grad(grad(f)))(a, b), c.daa, 1e-14, `${name} daa`)
    }
    expectRef(np.logaddexp(A(fx.logaddexp_inf.a), A(fx.logaddexp_inf.b)), fx.logaddexp_inf.value)
    // Infinite arguments: σ(x − y) in the limit (JAX's rule gives e^x for ∂/∂x at y = +∞).
    expect(grad(np.logaddexp)(1, Infinity).item()).toBe(0)
    expect(grad(np.logaddexp, { argnums: 1 })(1, Infinity).item()).toBe(1)
    expect(grad(np.logaddexp)(1, -Infinity).item()).toBe(1)
    expect(grad(np.logaddexp)(Infinity, Infinity).item()).toBe(1)
  })
  it('nanToNum: defaults are the dtype extremes; derivative 1 at finite x, 0 elsewhere', () => {
    const c = fx.nanToNum
    const x = A(c.x)
    expectRef(np.nanToNum(x), c.value, 0)
    expectRef(np.nanToNum(x, { nan: -1, posinf: 9, neginf: -9 }), c.custom, 0)
    expectRef(grad((t: Tracer) => np.nanToNum(t).sum())(x), c.d1, 0)
    expect(np.nanToNum(np.array([Infinity], { dtype: 'float32' })).tolist()).toEqual([3.4028234663852886e38])
  })
  it('isclose / allclose / arrayEqual', () => {
    const c = fx.isclose
    const [a, b] = [A(c.a), A(c.b)]
    expect(np.isclose(a, b).tolist()).toEqual(c.value)
    expect(np.isclose(a, b, { equalNan: true }).tolist()).toEqual(c.equalNan)
    expect(np.isclose(a, b, { rtol: 1e-3, atol: 1e-6 }).tolist()).toEqual(c.loose)
    expect(np.allclose(np.array([1, 2]), np.array([1, 2 + 1e-9])).item()).toBe(1)
    expect(np.isclose(np.array([100], { dtype: 'int32' }), 101, { rtol: 0.1 }).tolist()).toEqual([true])
    expect(np.arrayEqual(np.array([1, NaN]), np.array([1, NaN])).item()).toBe(0)
    expect(np.arrayEqual(np.array([1, NaN]), np.array([1, NaN]), { equalNan: true }).item()).toBe(1)
    expect(np.arrayEqual(np.array([1, 2]), np.array([[1, 2]])).item()).toBe(0)
  })
})

describe('matrices', () => {
  it('diag, diagonal, trace (function and method), over any axes and offsets', () => {
    const c = fx.diag
    const a = A(c.A)
    expectRef(np.diag(a), c.k0)
    expectRef(np.diag(a, 1), c.k1)
    expectRef(np.diag(a, -2), c.km2)
    expectRef(np.diag(a, 5), c.k5)
    expectRef(np.diag(A(c.v), 1), c.mk1)
    expectRef(np.diag(A(c.v), -2), c.mkm2)
    const d = fx.diagonal
    const a3 = A(d.A3)
    expectRef(np.diagonal(a3), d.d)
    expectRef(a3.diagonal(1, 1, 2), d.d12)
    expectRef(np.diagonal(a3, -1, 2, 0), d.dm)
    expectRef(np.trace(a3), d.t)
    expectRef(a3.trace(1, 1, 2), d.t12)
    // The derivative of a trace is the identity; of a diagonal read, a scatter onto it.
    expect(grad((m: Tracer) => np.trace(m))(np.ones([3, 3])).tolist()).toEqual(np.eye(3).tolist())
    // An ∞ off the diagonal does not leak into the diagonal or its derivative.
    const inf = np.array([[1, Infinity], [-Infinity, 2]])
    expect(np.diagonal(inf).tolist()).toEqual([1, 2])
    expect(grad((m: Tracer) => np.trace(m))(inf).tolist()).toEqual([[1, 0], [0, 1]])
  })
  it('tri, tril, triu, trilIndices, triuIndices', () => {
    const c = fx.tri
    const a3 = A(fx.diagonal.A3)
    expectRef(np.tri(3, 4, { k: 1 }), c.t)
    expectRef(np.tril(a3, -1), c.tl)
    expectRef(np.triu(a3, 1), c.tu)
    expectRef(np.tril(A(fx.diag.A), 2), c.tl2)
    expectRef(np.stack(np.trilIndices(3, 1, 4)), c.il)
    expectRef(np.stack(np.triuIndices(4, -1)), c.iu)
    expect(np.trilIndices(3)[0].dtype).toBe('int32')
    expect(grad((m: Tracer) => np.triu(m).sum())(np.ones([2, 2])).tolist()).toEqual([[1, 1], [0, 1]])
  })
  it('kron, vdot, cross, meshgrid, block, columnStack', () => {
    const a = A(fx.diag.A)
    const b = np.array([[1, -2], [0.5, 3]])
    const sl = (m: Tracer) => np.array((m.tolist() as number[][]).slice(0, 2).map((r) => r.slice(0, 3)))
    expectRef(np.kron(sl(a), b), fx.kron.k)
    expectRef(np.kron(np.array([1, 2]), b), fx.kron.k1)
    expectRef(np.vdot(a, a.add(1)), fx.kron.vdot)
    const c = fx.cross
    const [u, w] = [A(c.u), A(c.w)]
    expectRef(np.cross(u, w), c.c)
    expectRef(np.cross(u.T, w.T, { axis: 0 }), c.ct)
    const two = (t: Tracer) => np.array((t.tolist() as number[][]).map((r) => r.slice(0, 2)))
    expectRef(np.cross(two(u), two(w)), c.c2)
    expectRef(np.cross(two(u), w), c.c23)
    // ∂(u × w)·e/∂u = w × e
    const e = np.array([0.3, -1, 2])
    const wr = np.array([0, -1, 4])
    expectRef(grad((t: Tracer) => np.cross(t, wr).mul(e).sum())(np.array([1, 2, 3])), np.cross(wr, e).tolist() as number[])
    const m = fx.meshgrid
    const xy = np.meshgrid([np.array([1, 2, 3]), np.array([4, 5]), np.array([6, 7, 8, 9])])
    expectRef(xy[0], m.xy0)
    expectRef(xy[1], m.xy1)
    expectRef(xy[2], m.xy2)
    const ij = np.meshgrid([np.array([1, 2, 3]), np.array([4, 5])], { indexing: 'ij' })
    expectRef(ij[0], m.ij0)
    expectRef(ij[1], m.ij1)
    expect(np.meshgrid([np.array([1, 2, 3]), np.array([4, 5])], { sparse: true }).map((t) => t.shape)).toEqual([[1, 3], [2, 1]])
    expectRef(np.block([[np.eye(2), np.zeros([2, 1])], [np.ones([1, 2]), np.array([[5]])]]), fx.block.b)
    expectRef(np.block([np.array([1, 2]), np.array([3])]), fx.block.b1)
    expectRef(np.columnStack([np.array([1, 2]), np.array([[3, 4], [5, 6]])]), fx.block.cs)
    expect(() => np.block([[np.eye(2)], np.eye(2)])).toThrow(/depths are mismatched/)
  })
})

describe('calculus and search', () => {
  it('diff (orders, prepend / append, axis), trapezoid (x, dx, axis) and its derivatives', () => {
    const c = fx.diff
    const x = A(c.x)
    expectRef(np.diff(x), c.d1)
    expectRef(np.diff(x, 2), c.d2)
    expectRef(np.diff(x, 3), c.d3)
    expectRef(np.diff(x, 1, -1, { prepend: 0, append: np.array([31, 40]) }), c.dpa)
    expectRef(np.diff(A(fx.diag.A), 1, 0), c.d2d)
    expect(np.diff(np.array([true, true, false])).tolist()).toEqual([false, true])
    const t = fx.trapezoid
    const [y, tx] = [A(t.y), A(t.x)]
    expectRef(np.trapezoid(y, { x: tx }), t.t)
    expectRef(np.trapezoid(y, { dx: 0.5 }), t.tdx)
    expectRef(np.trapezoid(y, { axis: 0 }), t.t0)
    expectRef(grad((v: Tracer) => np.trapezoid(v, { x: tx }).sum())(y), t.gy)
    expectRef(grad((v: Tracer) => np.trapezoid(y, { x: v }).sum())(tx), t.gx)
    expect(np.trapezoid(np.array([[2], [3]])).tolist()).toEqual([0, 0])
  })
  it('polyval: Horner, derivatives in p and x', () => {
    const c = fx.polyval
    const [p, x] = [A(c.p), A(c.x)]
    expectRef(np.polyval(p, x), c.v)
    expectRef(grad((q: Tracer) => np.polyval(q, x).sum())(p), c.gp)
    expectRef(grad((v: Tracer) => np.polyval(p, v).sum())(x), c.gx)
  })
  it('interp: inside, at the knots, a jump (repeated xp), outside; derivatives in x, xp and fp', () => {
    const c = fx.interp
    const [x, xp, fp] = [A(c.x), A(c.xp), A(c.fp)]
    expectRef(np.interp(x, xp, fp), c.v)
    expectRef(np.interp(x, xp, fp, { left: -7, right: 9 }), c.lr)
    const f = (a: Tracer, b: Tracer, d: Tracer) => np.interp(a, b, d).sum()
    expectRef(grad(f)(x, xp, fp), c.gx)
    expectRef(grad(f, { argnums: 1 })(x, xp, fp), c.gxp)
    expectRef(grad(f, { argnums: 2 })(x, xp, fp), c.gfp)
    expectRef(jit(np.interp)(x, xp, fp), c.v)
  })
  it('searchsorted: left and right sides, ties, NaN last', () => {
    const c = fx.searchsorted
    const [a, v] = [A(c.a), A(c.v)]
    expectRef(np.searchsorted(a, v), c.left, 0)
    expectRef(np.searchsorted(a, v, { side: 'right' }), c.right, 0)
    expect(np.searchsorted(a, v).dtype).toBe('int32')
    expectRef(vmap((q: Tracer) => np.searchsorted(a, q))(v), c.left, 0)
  })
})

describe('statistics', () => {
  it('quantile with every method, percentile, median; NaN slices', () => {
    const c = fx.quantile
    const [X, q] = [A(c.X), A(c.q)]
    for (const m of ['linear', 'lower', 'higher', 'midpoint', 'nearest'] as const) {
      expectRef(np.quantile(X, q, 1, { method: m }), c[m], 1e-15, m)
      expectRef(np.quantile(X, 0.3, null, { method: m }), c[`${m}_all`], 1e-15, m)
    }
    expectRef(np.quantile(X, q, 0, { keepdims: true }), c.keep)
    expectRef(np.percentile(X, np.array([10, 50]), [0, 1]), c.p)
    expectRef(np.median(X, 1), c.med)
    expectRef(np.median(X, 0), c.med0)
    expectRef(np.median(X), c.medall)
    expectRef(np.median(np.array([[1, NaN, 3], [1, 2, 3]]), 1), c.nan)
  })
  it('quantile derivatives: to the gathered order statistics (ties as JAX), and to q', () => {
    const c = fx.quantile
    const [X, q] = [A(c.X), A(c.q)]
    const w = np.arange(1, 8).reshape([7, 1])
    expectRef(grad((x: Tracer) => np.quantile(x, q, 1).mul(w).sum())(X), c.gX)
    const inner = np.array((q.tolist() as number[]).slice(1, -1))
    expectRef(grad((t: Tracer) => np.quantile(X, t, 1).sum())(inner), c.gq)
    expectRef(grad((x: Tracer) => np.median(x))(X), c.gmed)
    expectRef(jit((x: Tracer) => np.median(x, 1))(X), c.med)
    expectRef(vmap((x: Tracer) => np.quantile(x, 0.25))(X), np.quantile(X, 0.25, 1).tolist() as number[])
  })
  it('nansum, nanmean, nanmax, nanmin (all-NaN slices: 0 for sums, NaN otherwise)', () => {
    const c = fx.nan
    const x = A(c.x)
    expectRef(np.nansum(x, 1), c.sum)
    expectRef(np.nanmean(x, 1), c.mean)
    expectRef(np.nanmax(x, 1), c.max)
    expectRef(np.nanmin(x, 1), c.min)
    expectRef(np.nanmax(x, 0), c.max0)
    expectRef(np.nansum(x), c.sumall)
    expectRef(np.nanmean(x), c.meanall)
    expectRef(grad((t: Tracer) => np.take(np.nanmean(t, 1), np.array([0, 2], { dtype: 'int32' })).sum())(x), c.gmean)
  })
})

describe('selection and sets', () => {
  it('select (first true wins) and piecewise (last true wins, optional default function)', () => {
    const c = fx.select
    const x = A(c.x)
    expectRef(np.select([x.lt(0), x.gt(1), x.gt(0)], [x.mul(10), x.pow(2), x.neg()], 99), c.v)
    expectRef(np.piecewise(x, [x.lt(0), x.gt(1)], [(t) => t.neg(), (t) => t.pow(3), (t) => t.add(100)]), c.pw)
    expectRef(np.piecewise(x, [x.lt(0), x.lt(1)], [(t) => t.neg(), 7]), c.pw2)
    expect(grad((t: Tracer) => np.piecewise(t, [t.lt(0)], [(u) => u.mul(u), (u) => u.mul(3)]))(-2).item()).toBe(-4)
  })
  it('unique / uniqueAll: sorted values, first positions, inverse, counts; padding; NaNs', () => {
    const c = fx.unique
    const x = A(c.x)
    expectRef(np.unique(x), c.u, 0)
    const all = np.uniqueAll(x, { size: 8 })
    expectRef(all.values, c.vals, 0)
    expectRef(all.indices, c.idx, 0)
    expectRef(all.inverseIndices, c.inv, 0)
    expectRef(all.counts, c.cnt, 0)
    expectRef(np.unique(x, { equalNan: false }), c.nonan, 0)
    expectRef(np.unique(x, { size: 3, fillValue: -1 }), c.fill, 0)
    expectRef(np.unique(x, { size: 9, fillValue: -1 }), c.fill9, 0)
    expectRef(jit((t: Tracer) => np.unique(t, { size: 9, fillValue: -1 }))(x), c.fill9, 0)
    expect(np.unique(np.array([], { dtype: 'int32' })).shape).toEqual([0])
  })
  it('nonzero, argwhere, flatnonzero with and without size', () => {
    const c = fx.nonzero
    const z = A(c.Z)
    expectRef(np.stack(np.nonzero(z)), c.nz, 0)
    expectRef(np.stack(np.nonzero(z, { size: 5, fillValue: -1 })), c.nzs, 0)
    expectRef(np.stack(np.nonzero(z, { size: 2 })), c.nz2, 0)
    expectRef(np.argwhere(z), c.aw, 0)
    expectRef(np.argwhere(z, { size: 4, fillValue: 7 }), c.aws, 0)
    expectRef(np.flatnonzero(z), c.fnz, 0)
    expectRef(vmap((r: Tracer) => np.flatnonzero(r, { size: 2, fillValue: -1 }))(z), [[1, -1], [0, 2]], 0)
    expect(np.nonzero(np.zeros([0, 3]))[0].shape).toEqual([0])
  })
  it('bincount: counts, weights, length (drops larger values), minlength; negatives count at 0', () => {
    const c = fx.bincount
    const x = I(c.x)
    expectRef(np.bincount(x), c.c, 0)
    expectRef(np.bincount(x, { weights: np.array([0.5, 1, 2, -1, 4, 3]) }), c.w, 0)
    expectRef(np.bincount(x, { length: 4 }), c.l, 0)
    expectRef(np.bincount(x, { minlength: 10 }), c.m, 0)
    // differentiable in the weights
    expect(grad((w: Tracer) => np.bincount(x, { weights: w, length: 2 }).sum())(np.ones([6])).tolist()).toEqual([1, 1, 1, 0, 1, 0])
  })
  it('without size: read from the data when it is known (eager grad, as JAX)', () => {
    const f = (t: Tracer) => np.take(t, np.nonzero(t)[0]).square().sum()
    expect(grad(f)(np.array([0, 3, 0, 2])).tolist()).toEqual([0, 6, 0, 4])
    expect(grad((t: Tracer) => np.unique(t).sum())(np.array([2, 1, 2])).tolist()).toEqual([1, 1, 0])
    expect(() => jit(grad(f))(np.array([0, 3, 0, 2]))).toThrow(/size/)
  })
  it('without size under jit or vmap: a ConcretizationError that names the option', () => {
    expect(() => jit((t: Tracer) => np.nonzero(t)[0])(np.array([0, 1]))).toThrow(/size/)
    expect(() => jit((t: Tracer) => np.unique(t))(np.array([0, 1]))).toThrow(/ConcretizationError|size/)
    expect(() => jit((t: Tracer) => np.bincount(t))(np.array([0, 1], { dtype: 'int32' }))).toThrow(/length/)
    expect(() => vmap((t: Tracer) => np.argwhere(t))(np.eye(2))).toThrow(/size/)
    try {
      jit((t: Tracer) => np.unique(t))(np.array([0, 1]))
    } catch (e) {
      expect((e as Error).name).toBe('ConcretizationError')
    }
  })
})

describe('creation', () => {
  it('logspace (base, endpoint) and empty', () => {
    // JAX rounds 10^1 to 10.00000000000001; ours is 10.
    expectRef(np.logspace(-2, 3, 6), fx.logspace.a, 2e-15)
    expect(np.logspace(-2, 3, 6).tolist()).toEqual([0.01, 0.1, 1, 10, 100, 1000])
    expectRef(np.logspace(0, 1, 4, { endpoint: false, base: 2 }), fx.logspace.b, 1e-15)
    expect(np.empty([2, 3], { dtype: 'int32' }).tolist()).toEqual([[0, 0, 0], [0, 0, 0]])
  })
})

describe('bad input is a named error', () => {
  it('says what was expected and what was got', () => {
    const x = np.array([1, 2, 3])
    expect(() => np.quantile(x, 0.5, null, { method: 'cubic' as never })).toThrow(/method must be one of/)
    expect(() => np.quantile(x, 1.5)).toThrow(/q must be in \[0, 1\]/)
    expect(() => np.percentile(x, 101)).toThrow(/q must be in \[0, 100\]/)
    expect(() => np.quantile(np.zeros([0]), 0.5)).toThrow(/empty slice/)
    expect(() => np.interp(x, np.array([0, 1]), np.array([0, 1, 2]))).toThrow(/equal length/)
    expect(() => np.searchsorted(np.eye(2), x)).toThrow(/1-D/)
    expect(() => np.diagonal(np.eye(2), 0, 1, 1)).toThrow(/cannot be the same/)
    expect(() => np.diagonal(x)).toThrow(/at least 2 axes/)
    expect(() => np.tril(x)).toThrow(/at least 2 axes/)
    expect(() => np.cross(np.ones([4]), np.ones([3]))).toThrow(/dimension must be 2 or 3/)
    expect(() => np.bincount(x)).toThrow(/int32/)
    expect(() => np.nonzero(np.array(1))).toThrow(/0-d/)
    expect(() => np.unique(x, { size: -1 })).toThrow(/non-negative integer/)
    expect(() => np.select([x.gt(1)], [x, x])).toThrow(/same length/)
    expect(() => np.piecewise(x, [x.gt(1)], [1, 2, 3])).toThrow(/funclist/)
    expect(() => np.diff(np.array(1))).toThrow(/at least one axis/)
  })
})
