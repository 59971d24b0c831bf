/**
 * vmap composed with itself, jit and autodiff; chunking; and its errors.
 */
import { describe, expect, it } from 'vitest'
import {
  type Array as Arr, AxisError, TreeMismatchError, grad, hessian, jacfwd, jacrev, jit, jvp, makeJaxpr, nn, np, vmap,
} from '../../src'
import { expectClose, makeRng, randArray, valuesOf } from '../autodiff/check'

const close = (got: unknown, want: unknown, rtol = 1e-12, what = 'value') =>
  expectClose(valuesOf(got), want instanceof Float64Array ? want : Array.isArray(want) ? Float64Array.from((want as number[]).flat(Infinity as 1) as number[]) : valuesOf(want), rtol, 1e-14, what)

const rnd = makeRng(2024)
const r = (shape: number[]) => randArray(shape, () => 2 * rnd() - 1)
const rows = (x: Arr): Arr[] => Array.from({ length: x.shape[0] }, (_, i) => np.take(x, np.array(i, { dtype: 'int32' }), 0))

describe('nested vmap of a matrix-vector product', () => {
  it('is a single dot_general', () => {
    const dot = (a: Arr, b: Arr) => np.sum(a.mul(b)) // a vector-vector product, written elementwise
    const mv = vmap(dot, { inAxes: [0, null] }) // matrix · vector
    const mm = vmap(mv, { inAxes: [null, 1], outAxes: 1 }) // matrix · matrix
    const A = r([3, 4])
    const B = r([4, 5])
    close(mm(A, B), np.matmul(A, B), 1e-13)
    const mvDot = vmap((row: Arr, v: Arr) => np.dot(row, v), { inAxes: [0, null] })
    const vv = vmap(vmap(mvDot, { inAxes: [null, 0] }), { inAxes: [0, null] }) // batches of matrices × batches of vectors
    const As = r([2, 3, 4])
    const vs = r([5, 4])
    const out = vv(As, vs)
    expect(out.shape).toEqual([2, 5, 3])
    close(out, np.einsum('bij,vj->bvi', As, vs), 1e-13)
    const text = String(makeJaxpr(vv)(As, vs))
    expect(text.match(/= dot_general\[/g)?.length, text).toBe(1)
    expect(text).not.toMatch(/= (mul|reduce_sum)\b/)
  })
})

describe('per-example gradients', () => {
  it('vmap(grad(loss), inAxes [null, 0, 0]) of logistic regression equals a hand-computed loop', () => {
    const loss = (w: Arr, xi: Arr, yi: Arr) => nn.binaryCrossEntropyWithLogits(np.dot(xi, w), yi)
    const w = np.array([0.5, -1, 0.25])
    const X = r([6, 3])
    const Y = np.array([1, 0, 1, 1, 0, 0])
    const G = vmap(grad(loss), { inAxes: [null, 0, 0] })(w, X, Y)
    expect(G.shape).toEqual([6, 3])
    // by hand: (σ(x·w) − y) x for each example
    const Xl = X.tolist() as number[][]
    const wl = w.tolist() as number[]
    const Yl = Y.tolist() as number[]
    const want = Xl.map((xi, i) => {
      const z = xi.reduce((s, v, k) => s + v * wl[k], 0)
      const s = 1 / (1 + Math.exp(-z))
      return xi.map((v) => (s - Yl[i]) * v)
    })
    close(G, want, 1e-13)
    // and the same as a JS loop over grad
    close(G, np.stack(rows(X).map((xi, i) => grad(loss)(w, xi, np.take(Y, np.array(i, { dtype: 'int32' }))))), 1e-14)
    // the mean of per-example gradients is the gradient of the mean loss
    close(np.mean(G, 0), grad((ww: Arr) => np.mean(vmap(loss, { inAxes: [null, 0, 0] })(ww, X, Y)))(w), 1e-13)
  })
})

describe('vmap(jvp) columns equal jacfwd', () => {
  it('pushing the standard basis through vmap(jvp) gives the Jacobian (transposed)', () => {
    const f = (x: Arr) => np.concatenate([np.sin(x).mul(x.sum()), np.cumsum(x.mul(x))])
    const x = r([3])
    const cols = vmap((t: Arr) => jvp(f, [x], [t])[1])(np.eye(3)) // [3 in, 6 out]
    const J = jacfwd(f)(x) // [6 out, 3 in]
    close(np.transpose(cols), J, 1e-13)
    close(J, jacrev(f)(x), 1e-13)
    // and vmap of vjp gives the rows
    const pullback = (u: Arr) => grad((xx: Arr) => np.sum(f(xx).mul(u)))(x)
    close(vmap(pullback)(np.eye(6)), J, 1e-13)
  })
})

describe('compositions', () => {
  const f = (x: Arr, w: Arr) => np.tanh(np.matmul(w, x)).sum().add(np.max(x))
  const X = r([4, 3])
  const w = r([2, 3])
  const loop = (g: (x: Arr) => Arr): Arr => np.stack(rows(X).map(g))

  it('vmap(vmap(f)) equals a double loop', () => {
    const g = (a: Arr, b: Arr) => np.sin(a).mul(b).sum()
    const A = r([2, 3, 4])
    const B = r([3, 4])
    const got = vmap(vmap(g, { inAxes: [0, 0] }), { inAxes: [0, null] })(A, B)
    expect(got.shape).toEqual([2, 3])
    const want = rows(A).map((Ai) => rows(Ai).map((a, j) => g(a, rows(B)[j]).item() as number))
    close(got, want)
    // outer over axis 2 of A and axis 1 of B, inner over axis 0 of A's slices only
    const got2 = vmap(vmap(g, { inAxes: [0, null] }), { inAxes: [2, 1], outAxes: 1 })(A, B)
    expect(got2.shape).toEqual([2, 4])
    const Al = A.tolist() as number[][][]
    const Bl = B.tolist() as number[][]
    const want2 = [0, 1].map((i) => [0, 1, 2, 3].map((k) => g(np.array(Al[i].map((row) => row[k])), np.array(Bl.map((row) => row[k]))).item() as number))
    close(got2, want2)
  })

  it('jit(vmap(f)), vmap(jit(f)) and jit(vmap(jit(f))) equal the loop', () => {
    const want = loop((x) => f(x, w))
    close(jit(vmap(f, { inAxes: [0, null] }))(X, w), want)
    close(vmap(jit(f), { inAxes: [0, null] })(X, w), want)
    close(jit(vmap(jit(f), { inAxes: [0, null] }))(X, w), want)
    const text = String(makeJaxpr(vmap(jit(f), { inAxes: [0, null] }))(X, w))
    expect(text).toMatch(/= jit\[/) // stays a jit call, batched inside
  })

  it('grad(vmap(f)) and vmap(grad(f)) equal the loops', () => {
    const total = (xs: Arr) => vmap(f, { inAxes: [0, null] })(xs, w).sum()
    close(grad(total)(X), loop((x) => grad(f)(x, w)), 1e-13)
    close(vmap(grad(f), { inAxes: [0, null] })(X, w), loop((x) => grad(f)(x, w)), 1e-13)
    // gradient with respect to the unbatched argument accumulates over the batch
    const gw = grad((ww: Arr) => vmap(f, { inAxes: [0, null] })(X, ww).sum())(w)
    close(gw, rows(X).map((x) => grad((ww: Arr) => f(x, ww))(w)).reduce((a, b) => a.add(b)), 1e-13)
  })

  it('vmap(jacrev), vmap(hessian) and jit(vmap(grad))', () => {
    const g = (x: Arr) => np.sin(x).mul(np.roll(x, 1)).sum()
    close(vmap(jacrev(g))(X), loop((x) => jacrev(g)(x)), 1e-13)
    close(vmap(hessian(g))(X), loop((x) => hessian(g)(x)), 1e-13)
    close(jit(vmap(grad(g)))(X), loop((x) => grad(g)(x)), 1e-13)
  })
})

describe('chunkSize gives identical results', () => {
  it('for vmap (every chunk size, including ones that do not divide the batch)', () => {
    const f = (x: Arr, w: Arr) => np.tanh(np.matmul(w, x)).mul(x.sum())
    const X = r([7, 3])
    const w = r([4, 3])
    const full = vmap(f, { inAxes: [0, null] })(X, w)
    for (const chunkSize of [1, 2, 3, 7, 10]) {
      const got = vmap(f, { inAxes: [0, null], chunkSize })(X, w)
      expect(got.shape).toEqual(full.shape)
      expect(Array.from(valuesOf(got))).toEqual(Array.from(valuesOf(full)))
    }
    // with outAxes not 0 and a pytree output
    const g = (x: Arr) => ({ a: x.mul(2), b: [x.sum()] })
    const full2 = vmap(g, { outAxes: { a: 1, b: [0] } })(X)
    const ch2 = vmap(g, { outAxes: { a: 1, b: [0] }, chunkSize: 3 })(X)
    expect(ch2.a.shape).toEqual([3, 7])
    expect(Array.from(valuesOf(ch2.a))).toEqual(Array.from(valuesOf(full2.a)))
    expect(Array.from(valuesOf(ch2.b[0]))).toEqual(Array.from(valuesOf(full2.b[0])))
  })

  it('for jacfwd and jacrev', () => {
    const f = (p: { a: Arr; b: Arr }) => [np.sin(p.a).mul(p.b.sum()), np.cumsum(p.b.mul(p.b)).sum()]
    const p = { a: r([3]), b: r([2, 2]) }
    const jf = jacfwd(f)(p)
    const jr = jacrev(f)(p)
    for (const chunkSize of [1, 2, 5]) {
      const cf = jacfwd(f, { chunkSize })(p)
      const cr = jacrev(f, { chunkSize })(p)
      for (const [got, want] of [[cf, jf], [cr, jr]]) {
        expect(Array.from(valuesOf(got[0].a))).toEqual(Array.from(valuesOf(want[0].a)))
        expect(Array.from(valuesOf(got[0].b))).toEqual(Array.from(valuesOf(want[0].b)))
        expect(Array.from(valuesOf(got[1].b))).toEqual(Array.from(valuesOf(want[1].b)))
        expect(got[0].b.shape).toEqual([3, 2, 2])
      }
    }
    close(jf[0].a, valuesOf(jr[0].a), 1e-13)
    close(jf[1].b, valuesOf(jr[1].b), 1e-13)
  })
})

describe('vmap errors', () => {
  const f = (a: Arr, b: Arr) => a.add(b)

  it('mismatched axis sizes: AxisError naming the arguments and their sizes', () => {
    expect(() => vmap(f)(np.zeros([3, 2]), np.zeros([4, 2]))).toThrow(AxisError)
    expect(() => vmap(f)(np.zeros([3, 2]), np.zeros([4, 2]))).toThrow(/argument 0 axis 0 has size 3; argument 1 axis 0 has size 4/)
    expect(() => vmap(f, { inAxes: [0, 1] })(np.zeros([3, 2]), np.zeros([2, 5]))).toThrow(/argument 1 axis 1 has size 5/)
    expect(() => vmap(f, { inAxes: [0, null], axisSize: 4 })(np.zeros([3, 2]), np.zeros([2]))).toThrow(/axisSize 4/)
  })

  it('an axis out of range', () => {
    expect(() => vmap(f, { inAxes: [2, 0] })(np.zeros([3, 2]), np.zeros([3, 2]))).toThrow(AxisError)
    expect(() => vmap(f, { inAxes: [2, 0] })(np.zeros([3, 2]), np.zeros([3, 2]))).toThrow(/inAxes 2 is out of range for argument 0 of shape f64\[3,2\]/)
    expect(() => vmap(f, { inAxes: [0, -3] })(np.zeros([3, 2]), np.zeros([3, 2]))).toThrow(/out of range/)
    expect(() => vmap((a: Arr) => a)(np.array(1))).toThrow(/rank 0/)
    expect(() => vmap((a: Arr) => a.sum(), { outAxes: 1 })(np.zeros([3, 2]))).toThrow(AxisError)
    expect(() => vmap((a: Arr) => a.sum(), { outAxes: 1 })(np.zeros([3, 2]))).toThrow(/outAxes 1 is out of range for output 0, which has rank 1/)
    expect(() => vmap((a: Arr) => a, { outAxes: -3 })(np.zeros([3, 2]))).toThrow(AxisError)
    expect(vmap((a: Arr) => a, { outAxes: -1 })(np.zeros([3, 2])).shape).toEqual([2, 3])
  })

  it('inAxes not matching the argument tree: TreeMismatchError', () => {
    expect(() => vmap(f, { inAxes: [0] })(np.zeros([3]), np.zeros([3]))).toThrow(TreeMismatchError)
    expect(() => vmap(f, { inAxes: [0, 0, 0] })(np.zeros([3]), np.zeros([3]))).toThrow(TreeMismatchError)
    const g = (p: { a: Arr; b: Arr }) => p.a.add(p.b)
    expect(() => vmap(g, { inAxes: [{ a: 0, c: 0 }] })({ a: np.zeros([3]), b: np.zeros([3]) })).toThrow(TreeMismatchError)
    // a prefix is fine: one axis for the whole dict
    close(vmap(g, { inAxes: [{ a: 0, b: null }] })({ a: np.array([1, 2, 3]), b: np.array(10) }), [11, 12, 13])
    expect(() => vmap((a: Arr) => [a, a], { outAxes: [0] })(np.zeros([3]))).toThrow(TreeMismatchError)
  })

  it('no mapped input without axisSize', () => {
    expect(() => vmap(f, { inAxes: null })(np.zeros([3]), np.zeros([3]))).toThrow(AxisError)
    expect(() => vmap(f, { inAxes: null })(np.zeros([3]), np.zeros([3]))).toThrow(/axisSize/)
    expect(() => vmap(() => np.array(1))()).toThrow(/axisSize/)
    // with axisSize, the unmapped result is broadcast (outAxes 0) or returned as is (outAxes null)
    close(vmap(f, { inAxes: null, axisSize: 2 })(np.array([1, 2]), np.array([3, 4])), [[4, 6], [4, 6]])
    close(vmap(f, { inAxes: null, axisSize: 2, outAxes: null })(np.array([1, 2]), np.array([3, 4])), [4, 6])
    expect(() => vmap((a: Arr) => a, { outAxes: null })(np.zeros([3]))).toThrow(/outAxes/)
  })
})
