/**
 * Autodiff and jit compose: grad(jit(f)) == jit(grad(f)) == grad(f); linearize evaluates its
 * linear map without re-tracing f; jit traces once per signature.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, grad, jit, jvp, linearize, makeJaxpr, nn, np, valueAndGrad, vmap } from '../../src'
import { expectClose, makeRng, randArray, valuesOf } from './check'

const close = (got: unknown, want: unknown, rtol = 1e-12, what = 'value') =>
  expectClose(valuesOf(got), valuesOf(want), rtol, 1e-15, what)

const rnd = makeRng(77)
const r = (shape: number[]) => randArray(shape, () => 2 * rnd() - 1)

/** Functions of (x, w) with scalar outputs, exercising different primitives. */
const FUNCTIONS: [string, (x: Arr, w: Arr) => Arr][] = [
  ['mlp', (x, w) => np.sum(np.tanh(np.matmul(w, x)).mul(x.sum()))],
  ['softmax cross-entropy', (x, w) => np.sum(nn.softmaxCrossEntropy(np.matmul(w, x).reshape([1, 3]), np.array([[0, 1, 0]])))],
  ['max and where', (x, w) => np.sum(np.where(x.gt(0), np.maximum(np.matmul(w, x), 0.1), np.sin(np.matmul(w, x))))],
  ['reductions', (x, w) => np.max(w, 0).mul(x).sum().add(np.prod(x.add(2))).add(np.logsumexp(w))],
  ['indexing', (x, w) => np.sum(np.take(w, np.array([2, 0, 0], { dtype: 'int32' }), 1).mul(np.cumsum(x).exp()))],
]

describe('grad(jit(f)) == jit(grad(f)) == grad(f)', () => {
  for (const [name, f] of FUNCTIONS) {
    it(name, () => {
      const x = r([3])
      const w = r([3, 3])
      const g = grad(f, { argnums: [0, 1] })(x, w) as Arr[]
      const gj = grad(jit(f), { argnums: [0, 1] })(x, w) as Arr[]
      const jg = jit(grad(f, { argnums: [0, 1] }))(x, w) as Arr[]
      const jgj = jit(grad(jit(f), { argnums: [0, 1] }))(x, w) as Arr[]
      for (let i = 0; i < 2; i++) {
        close(gj[i], g[i], 1e-12, `${name}: grad(jit(f)) arg ${i}`)
        close(jg[i], g[i], 1e-12, `${name}: jit(grad(f)) arg ${i}`)
        close(jgj[i], g[i], 1e-12, `${name}: jit(grad(jit(f))) arg ${i}`)
      }
      // second order too
      const h = grad((y: Arr) => grad(f)(y, w).sum())(x)
      close(grad((y: Arr) => grad(jit(f))(y, w).sum())(x), h, 1e-11, `${name}: grad(grad(jit f))`)
      close(jit(grad((y: Arr) => jit(grad(f))(y, w).sum()))(x), h, 1e-11, `${name}: jit(grad(jit(grad f)))`)
    })
  }

  it('jit stays staged under grad: the jaxpr of grad(jit(f)) has jit equations', () => {
    const f = jit((x: Arr) => np.sin(x).mul(x).sum())
    const text = String(makeJaxpr(grad(f))(np.array([1, 2])))
    expect(text).toMatch(/= jit\[/)
  })
})

describe('linearize', () => {
  it('fLin called 3 times does not re-trace f, and matches jvp', () => {
    let calls = 0
    const f = (x: Arr, y: Arr) => {
      calls++
      return np.sin(x).mul(y).add(np.exp(x.mul(y)))
    }
    const x = np.array([0.3, -0.5, 1.2])
    const y = np.array([1.5, 0.25, -0.75])
    const [out, fLin] = linearize(f, [x, y])
    expect(calls).toBe(1)
    close(out, f(x, y))
    calls = 0
    const tangents: [Arr, Arr][] = [
      [np.array([1, 0, 0]), np.array([0, 0, 0])],
      [np.array([0, 1, 2]), np.array([1, 1, 1])],
      [np.array([-1, 0.5, 0.25]), np.array([2, -3, 0.5])],
    ]
    const lins = tangents.map(([tx, ty]) => fLin(tx, ty))
    expect(calls).toBe(0)
    tangents.forEach(([tx, ty], i) => close(lins[i], jvp(f, [x, y], [tx, ty])[1], 1e-13, `fLin call ${i}`))
    // fLin is linear: fLin(a + b) = fLin(a) + fLin(b)
    const sum = fLin(tangents[1][0].add(tangents[2][0]), tangents[1][1].add(tangents[2][1]))
    close(sum, lins[1].add(lins[2]), 1e-13, 'linearity')
  })

  it('fLin rejects tangents of the wrong structure or shape', () => {
    const [, fLin] = linearize((x: Arr) => x.mul(2), [np.array([1, 2])])
    expect(() => fLin(np.array([1, 2, 3]))).toThrow(/leaf 0 is f64\[3\] but its primal is f64\[2\]/)
    // @ts-expect-error -- fLin takes one tangent per primal; the run-time check is tested here
    expect(() => fLin(np.array([1, 2]), np.array(1))).toThrow(/structure/)
  })
})

describe('jit traces once per signature', () => {
  it('re-traces only on a new shape, dtype, weak type or tree structure', () => {
    let calls = 0
    const f = jit((x: Arr) => {
      calls++
      return x.mul(2).sum()
    })
    f(np.array([1, 2, 3]))
    f(np.array([4, 5, 6]))
    expect(f.traceCount).toBe(1)
    f(np.array([1, 2]))
    expect(f.traceCount).toBe(2)
    f(np.array([7, 8, 9]))
    expect(f.traceCount).toBe(2)
    f(np.array([1, 2, 3], { dtype: 'float32' }))
    expect(f.traceCount).toBe(3)
    f(np.array(1.5))
    f(1.5 as unknown as Arr) // a weakly typed JS number: a new signature
    expect(f.traceCount).toBe(5)
    f(np.array(2.5))
    expect(f.traceCount).toBe(5)
    expect(calls).toBe(5)
  })

  it('does not re-trace under grad or vmap once the signature is known', () => {
    const f = jit((x: Arr) => np.sin(x).sum())
    const x = np.array([0.1, 0.2])
    grad(f)(x)
    const n = f.traceCount
    grad(f)(np.array([0.3, 0.4]))
    valueAndGrad(f)(np.array([0.5, 0.6]))
    expect(f.traceCount).toBe(n)
    const g = jit((x: Arr) => np.sin(x).sum())
    vmap(g)(np.array([[0.1, 0.2], [0.3, 0.4]]))
    vmap(g)(np.array([[0.5, 0.6], [0.7, 0.8]]))
    expect(g.traceCount).toBe(1)
  })

  it('static arguments are part of the key', () => {
    const f = jit((x: Arr, n: number) => x.mul(n).sum(), { staticArgnums: 1 })
    const x = np.array([1, 2])
    expect(f(x, 2).item()).toBe(6)
    expect(f(x, 3).item()).toBe(9)
    expect(f(np.array([3, 4]), 2).item()).toBe(14)
    expect(f.traceCount).toBe(2)
  })
})
