/**
 * The semantics of DESIGN §2 that users rely on: grad's contract, zero cotangents for unused
 * inputs, conventional values at kinks, `where` and its NaN trap, stable losses, no
 * perturbation confusion, tracer leaks and concretization errors.
 */
import { describe, expect, it } from 'vitest'
import {
  type Array as Arr, ConcretizationError, DTypeError, TracerLeakError, grad, jacrev, jit, jvp, nn, np, valueAndGrad, vjp, vmap,
} from '../../src'
import { type FlatFn, checkGradsInternal, f64 } from './check'

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)))
const closeList = (got: unknown, want: readonly number[], tol = 1e-12) => {
  const g = (got as Arr).toTypedArray()
  expect(g.length).toBe(want.length)
  want.forEach((w, i) => expect(Math.abs(g[i] - w), `element ${i}: got ${g[i]}, want ${w}`).toBeLessThanOrEqual(tol * (1 + Math.abs(w))))
}

describe('grad requires a scalar float output', () => {
  it('a non-scalar output throws a TypeError-family error that shows the shape', () => {
    const f = (x: Arr) => np.sin(x)
    expect(() => grad(f)(np.array([1, 2, 3]))).toThrow(TypeError)
    expect(() => grad(f)(np.array([1, 2, 3]))).toThrow(/scalar/)
    expect(() => grad(f)(np.array([1, 2, 3]))).toThrow(/f64\[3\]/)
    expect(() => grad((x: Arr) => x.reshape([1, 1]))(np.array(2))).toThrow(/f64\[1,1\]/)
    // @ts-expect-error -- a non-scalar output is rejected by the types too; the run-time check is tested here
    expect(() => valueAndGrad((x: Arr) => [x, x])(np.array(2))).toThrow(/2 outputs/)
  })
  it('an integer output throws too (no silent zero gradient)', () => {
    expect(() => grad((x: Arr) => np.argmax(x))(np.array([1, 3, 2]))).toThrow(/i32\[\]/)
  })
})

describe('argnums must name float inputs', () => {
  it('int32 and bool inputs throw, naming the argument', () => {
    const f = (x: Arr, y: Arr) => x.sum().add(y.astype('float64').sum())
    const xi = np.array([1, 2], { dtype: 'int32' })
    const xf = np.array([1, 2])
    const yb = np.array([true, false])
    expect(() => grad(f)(xi, yb)).toThrow(DTypeError)
    expect(() => grad(f)(xi, yb)).toThrow(/argument 0 is i32\[2\]/)
    expect(() => grad(f, { argnums: [0, 1] })(xf, yb)).toThrow(/argument 1 is bool\[2\]/)
    // a non-differentiated bool argument is fine
    closeList(grad(f)(xf, yb), [1, 1])
    // pytree arguments: every leaf is checked
    expect(() => grad((p: { a: Arr; n: Arr }) => p.a.sum())({ a: xf, n: xi })).toThrow(/argument 0 is i32\[2\]/)
  })
})

describe('unused inputs get zero cotangents of their own shape', () => {
  it('grad, vjp and jacrev', () => {
    const f = (x: Arr, y: Arr, z: Arr) => np.sum(np.sin(x)).mul(z)
    const x = np.array([0.1, 0.2])
    const y = np.ones([2, 3])
    const z = np.array(2)
    const [gx, gy, gz] = grad(f, { argnums: [0, 1, 2] })(x, y, z) as Arr[]
    expect(gy.shape).toEqual([2, 3])
    expect(gy.dtype).toBe('float64')
    closeList(gy, [0, 0, 0, 0, 0, 0])
    closeList(gx, [2 * Math.cos(0.1), 2 * Math.cos(0.2)])
    closeList(gz, [Math.sin(0.1) + Math.sin(0.2)])
    const [, pb] = vjp((a: Arr, b: Arr) => a.mul(2), [x, y])
    const [ca, cb] = pb(np.array([1, 1]))
    closeList(ca, [2, 2])
    expect(cb.shape).toEqual([2, 3])
    closeList(cb, [0, 0, 0, 0, 0, 0])
    const J = jacrev((p: { u: Arr; v: Arr }) => p.u.mul(3))({ u: x, v: np.ones([4]) })
    expect(J.v.shape).toEqual([2, 4])
    closeList(J.v, Array(8).fill(0))
  })
  it('a function that ignores its input entirely, and a constant output', () => {
    closeList(grad((x: Arr) => np.array(3.5))(np.array([1, 2, 3])), [0, 0, 0])
    const g = grad((p: { a: Arr; b: Arr[] }) => p.a.sum())({ a: np.array([1, 2]), b: [np.zeros([2, 2]), np.array(1)] })
    expect(g.b[0].shape).toEqual([2, 2])
    expect(g.b[1].shape).toEqual([])
    closeList(g.b[0], [0, 0, 0, 0])
  })
})

describe('kinks take the conventional one-sided values', () => {
  it("relu'(0) = 0 and abs'(0) = 0", () => {
    const x = np.array([-1, 0, 2])
    closeList(grad((v: Arr) => nn.relu(v).sum())(x), [0, 0, 1])
    closeList(grad((v: Arr) => np.abs(v).sum())(x), [-1, 0, 1])
    expect(grad((v: Arr) => nn.relu(v))(np.array(0)).item()).toBe(0)
    expect(grad((v: Arr) => np.abs(v))(np.array(0)).item()).toBe(0)
    // forward mode agrees
    closeList(jvp((v: Arr) => nn.relu(v), [x], [np.ones([3])])[1], [0, 0, 1])
    closeList(jvp((v: Arr) => np.abs(v), [x], [np.ones([3])])[1], [-1, 0, 1])
  })
  it('ties in np.maximum / np.minimum split the gradient evenly', () => {
    const [gx, gy] = grad((a: Arr, b: Arr) => np.maximum(a, b).sum(), { argnums: [0, 1] })(np.array([1, 2, 3]), np.array([1, 5, 0])) as Arr[]
    closeList(gx, [0.5, 0, 1])
    closeList(gy, [0.5, 1, 0])
    const [hx, hy] = grad((a: Arr, b: Arr) => np.minimum(a, b), { argnums: [0, 1] })(np.array(2), np.array(2)) as Arr[]
    expect([hx.item(), hy.item()]).toEqual([0.5, 0.5])
    // forward mode: the tangent at a tie is the average
    closeList(jvp((a: Arr, b: Arr) => np.maximum(a, b), [np.array(1), np.array(1)], [np.array(1), np.array(3)])[1], [2])
  })
  it('ties in np.max / np.min split the gradient evenly among the maxima', () => {
    closeList(grad((v: Arr) => np.max(v))(np.array([1, 3, 3, -2])), [0, 0.5, 0.5, 0])
    closeList(grad((v: Arr) => np.min(v, 1).sum())(np.array([[1, 1, 1], [4, 2, 3]])), [1 / 3, 1 / 3, 1 / 3, 0, 1, 0])
    closeList(jvp((v: Arr) => np.max(v), [np.array([2, 2, 1])], [np.array([1, 3, 100])])[1], [2])
  })
})

describe('np.where differentiates only the selected branch', () => {
  it('each element takes the derivative of its own branch', () => {
    const f = (x: Arr) => np.where(x.gt(0), x.mul(x), x.mul(x).mul(x)).sum()
    closeList(grad(f)(np.array([2, -1, 0.5])), [4, 3, 1])
  })
  it('the where+sqrt NaN trap really produces NaN; the double-where fix does not', () => {
    const x = np.array([0, 4])
    const trap = (v: Arr) => np.where(v.gt(0), np.sqrt(v), 0).sum()
    const g = grad(trap)(x).toTypedArray()
    expect(Number.isNaN(g[0])).toBe(true) // 0 · (1 / (2·√0)) = 0 · ∞
    expect(g[1]).toBeCloseTo(0.25, 14)
    expect(trap(x).item()).toBe(2) // the value is fine; only the derivative is poisoned
    const fixed = (v: Arr) => {
      const safe = np.where(v.gt(0), v, 1)
      return np.where(v.gt(0), np.sqrt(safe), 0).sum()
    }
    closeList(grad(fixed)(x), [0, 0.25])
    expect(fixed(x).item()).toBe(2)
    // second derivatives of the fix are clean too
    closeList(grad((v: Arr) => grad(fixed)(v).sum())(x), [0, -1 / 32])
  })
})

describe('stable losses', () => {
  it('binaryCrossEntropyWithLogits: gradient σ(z) − y, finite at |z| = 40', () => {
    const zs = [-40, -3, 0, 2.5, 40]
    const ys = [0, 1, 0.3, 1, 0]
    const z = np.array(zs)
    const y = np.array(ys)
    const loss = (zz: Arr) => nn.binaryCrossEntropyWithLogits(zz, y).sum()
    const g = grad(loss)(z)
    closeList(g, zs.map((v, i) => sigmoid(v) - ys[i]), 1e-14)
    expect(Number.isFinite(loss(z).item() as number)).toBe(true)
    closeList(nn.binaryCrossEntropyWithLogits(z, y), zs.map((v, i) => Math.max(v, 0) - v * ys[i] + Math.log1p(Math.exp(-Math.abs(v)))), 1e-14)
    // the second derivative σ(1 − σ) is finite as well
    const h = grad((zz: Arr) => grad(loss)(zz).sum())(z)
    closeList(h, zs.map((v) => sigmoid(v) * (1 - sigmoid(v))), 1e-10)
    // per-example gradients (vmap of grad) agree
    closeList(vmap(grad((zz: Arr, yy: Arr) => nn.binaryCrossEntropyWithLogits(zz, yy)))(z, y), zs.map((v, i) => sigmoid(v) - ys[i]), 1e-14)
  })
  it('softmaxCrossEntropy: gradient softmax − onehot, finite at |z| = 40', () => {
    const logits = np.array([[40, -40, 0], [1, 2, 3], [-40, -40, 40]])
    const labels = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    const g = grad((z: Arr) => nn.softmaxCrossEntropy(z, labels).sum())(logits)
    const rows = logits.tolist() as number[][]
    const want = rows.flatMap((row, i) => {
      const m = Math.max(...row)
      const e = row.map((v) => Math.exp(v - m))
      const s = e.reduce((a, b) => a + b, 0)
      return e.map((v, j) => v / s - (labels.tolist() as number[][])[i][j])
    })
    closeList(g, want, 1e-14)
    const v = nn.softmaxCrossEntropy(logits, labels).toTypedArray()
    expect(Array.from(v).every(Number.isFinite)).toBe(true)
    expect(v[0]).toBeCloseTo(80, 10)
  })
})

describe('activations and losses are smooth to second order, including at 0', () => {
  it("softplus''(0) = ¼, logSigmoid''(0) = −¼, exact gelu''(0) = 2φ(0)", () => {
    const d2 = (f: (x: Arr) => Arr, x: number) => grad(grad(f))(np.array(x)).item() as number
    expect(d2((x) => nn.softplus(x), 0)).toBeCloseTo(0.25, 14)
    expect(d2((x) => nn.logSigmoid(x), 0)).toBeCloseTo(-0.25, 14)
    expect(d2((x) => nn.gelu(x, { approximate: false }), 0)).toBeCloseTo(2 / Math.sqrt(2 * Math.PI), 12)
    expect(d2((x) => nn.gelu(x), 0)).toBeCloseTo(Math.sqrt(2 / Math.PI), 12)
    // and the logistic-regression Hessian at z = 0 is σ(0)(1 − σ(0)) = ¼, not 0
    expect(d2((z) => nn.binaryCrossEntropyWithLogits(z, np.array(1)), 0)).toBeCloseTo(0.25, 14)
  })
  it('checkGradsInternal at order 2 on points that include 0 and large |x|', () => {
    const x = f64([-30, -2, -0.5, 0, 0.7, 3, 30], [7])
    const y = f64([0, 1, 0.5, 0.2, 1, 0, 1], [7])
    const fs: [string, FlatFn][] = [
      ['softplus', (v) => nn.softplus(v)],
      ['logSigmoid', (v) => nn.logSigmoid(v)],
      ['sigmoid', (v) => nn.sigmoid(v)],
      ['gelu', (v) => nn.gelu(v)],
      ['gelu exact', (v) => nn.gelu(v, { approximate: false })],
      ['binaryCrossEntropyWithLogits', (v) => nn.binaryCrossEntropyWithLogits(v, y)],
    ]
    for (const [name, f] of fs) checkGradsInternal(f, [x], { order: 2, label: name })
    const z = f64([0.5, -1, 2, 0, 0, 0, 3, -40, 40], [3, 3])
    const labels = f64([0, 1, 0, 0.2, 0.3, 0.5, 1, 0, 0], [3, 3])
    const gs: [string, FlatFn][] = [
      ['logSoftmax', (v) => nn.logSoftmax(v)],
      ['softmax axis 0', (v) => nn.softmax(v, 0)],
      ['logsumexp', (v) => np.logsumexp(v, 1)],
      ['softmaxCrossEntropy', (v) => nn.softmaxCrossEntropy(v, labels)],
    ]
    for (const [name, f] of gs) checkGradsInternal(f, [z], { order: 2, label: name })
  })
})

describe('no perturbation confusion', () => {
  it('d/dx [x · d/dy (x + y)] = 1', () => {
    const f = (x: Arr) => x.mul(grad((y: Arr) => x.add(y))(np.array(1)))
    expect(grad(f)(np.array(2)).item()).toBe(1)
    // forward over reverse and forward over forward too
    expect(jvp(f, [np.array(2)], [np.array(1)])[1].item()).toBe(1)
    const g = (x: Arr) => x.mul(jvp((y: Arr) => x.add(y), [np.array(1)], [np.array(1)])[1])
    expect(grad(g)(np.array(2)).item()).toBe(1)
  })
  it('d/dx [x · d/dy (x · y)] = 2x (the inner derivative depends on x)', () => {
    const f = (x: Arr) => x.mul(grad((y: Arr) => x.mul(y))(np.array(5)))
    expect(grad(f)(np.array(3)).item()).toBe(6)
    expect(grad(grad(f))(np.array(3)).item()).toBe(2)
  })
})

describe('tracer leaks', () => {
  it('a tracer stored in a global during grad and used afterwards throws TracerLeakError', () => {
    let leaked: Arr | undefined
    const f = (x: Arr) => {
      leaked = x
      return np.sin(x)
    }
    grad(f)(np.array(0.5))
    expect(leaked).toBeDefined()
    expect(() => np.sin(leaked as Arr)).toThrow(TracerLeakError)
    expect(() => (leaked as Arr).add(1)).toThrow(TracerLeakError)
    expect(() => np.add(np.array(1), leaked as Arr)).toThrow(/used after its transformation returned/)
  })
  it('the same for jit, vmap and jvp', () => {
    const leaks: Arr[] = []
    jit((x: Arr) => (leaks.push(x), x.mul(2)))(np.array([1, 2]))
    vmap((x: Arr) => (leaks.push(x), x.mul(2)))(np.array([1, 2]))
    jvp((x: Arr) => (leaks.push(x), x.mul(2)), [np.array(1)], [np.array(1)])
    expect(leaks.length).toBe(3)
    for (const t of leaks) expect(() => t.mul(3)).toThrow(TracerLeakError)
  })
  it('a leaked tracer used inside a later transformation also throws', () => {
    let leaked: Arr | undefined
    grad((x: Arr) => ((leaked = x), x.mul(x)))(np.array(1))
    expect(() => grad((y: Arr) => y.mul(leaked as Arr))(np.array(2))).toThrow(TracerLeakError)
  })
})

describe('concretization errors', () => {
  const cases: [string, (x: Arr) => unknown][] = [
    ['if (x > 0)', (x) => ((x as unknown as number) > 0 ? x : x.neg())],
    ['Number(x)', (x) => np.array(Number(x))],
    ['x.item()', (x) => np.array(x.item() as number)],
    ['x.tolist()', (x) => np.array(x.tolist() as number)],
  ]
  for (const [what, body] of cases) {
    it(`${what} inside grad, jit and vmap throws ConcretizationError suggesting np.where / lax.cond`, () => {
      const f = (x: Arr) => np.sum(body(x) as Arr)
      expect(() => grad(f)(np.array(1.5))).toThrow(ConcretizationError)
      expect(() => grad(f)(np.array(1.5))).toThrow(/np\.where.*lax\.cond/)
      expect(() => jit(f)(np.array(1.5))).toThrow(ConcretizationError)
      expect(() => vmap(f)(np.array([1.5, 2]))).toThrow(ConcretizationError)
      // outside a transformation the same code runs
      expect(() => f(np.array(1.5))).not.toThrow()
    })
  }
})
