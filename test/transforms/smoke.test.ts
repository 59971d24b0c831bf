import { describe, expect, it } from 'vitest'
import { np, grad, jvp, vjp, linearize, jit, vmap, jacfwd, jacrev, hessian, hvp, makeJaxpr, customJvp, customVjp, checkpoint, stopGradient, valueAndGrad } from '../../src'
import type { Array } from '../../src'

const close = (a: unknown, b: unknown, tol = 1e-9) => {
  const fa = ([] as number[]).concat(a as never).flat(Infinity as 1) as number[]
  const fb = ([] as number[]).concat(b as never).flat(Infinity as 1) as number[]
  expect(fa.length).toBe(fb.length)
  fa.forEach((v, i) => expect(Math.abs(v - fb[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(fb[i]))))
}

describe('smoke', () => {
  it('grad of sin', () => {
    const g = grad((x: Array) => np.sin(x))
    close(g(np.array(0.5)).item(), Math.cos(0.5))
    const gg = grad(grad((x: Array) => np.sin(x)))
    close(gg(np.array(0.5)).item(), -Math.sin(0.5))
    let f: (x: Array) => Array = (x) => np.sin(x)
    for (let n = 1; n <= 6; n++) f = grad(f)
    close(f(np.array(0.5)).item(), -Math.sin(0.5)) // 6th derivative of sin is -sin
  })
  it('6th derivative of 1/x at 4', () => {
    let f: (x: Array) => Array = (x) => np.divide(1, x)
    for (let n = 1; n <= 6; n++) f = grad(f)
    close(f(np.array(4.0)).item(), 720 / 4 ** 7, 1e-10)
  })
  it('vector grad, jvp, vjp, linearize', () => {
    const f = (x: Array) => np.sum(np.multiply(np.sin(x), x))
    const x = np.array([0.1, 0.2, 0.3])
    const g = grad(f)(x).tolist() as number[]
    close(g, [0.1, 0.2, 0.3].map((v) => Math.cos(v) * v + Math.sin(v)))
    const [, t] = jvp(f, [x], [np.ones([3])])
    close(t.item(), g.reduce((a, b) => a + b))
    const [, fl] = linearize(f, [x])
    close(fl(np.ones([3])).item(), g.reduce((a, b) => a + b))
    const [, pb] = vjp((x: Array) => np.sin(x), [x])
    close(pb(np.ones([3]))[0].tolist(), [0.1, 0.2, 0.3].map(Math.cos))
  })
  it('jit, grad(jit), jit(grad)', () => {
    const f = (x: Array) => np.sum(np.tanh(x).mul(x))
    const x = np.array([0.3, -0.7])
    const g0 = grad(f)(x).tolist()
    close(grad(jit(f))(x).tolist(), g0)
    close(jit(grad(f))(x).tolist(), g0)
    close(jit(f)(x).item(), f(x).item() as number)
  })
  it('vmap, jacfwd, jacrev, hessian, hvp', () => {
    const f = (x: Array) => np.sin(x).mul(2)
    const xs = np.array([[0.1, 0.2], [0.3, 0.4]])
    close(vmap(f)(xs).tolist(), [[0.1, 0.2], [0.3, 0.4]].map((r) => r.map((v) => 2 * Math.sin(v))))
    const x = np.array([0.1, 0.2, 0.3])
    const jf = jacfwd(f)(x).tolist()
    const jr = jacrev(f)(x).tolist()
    close(jf, jr)
    const A = np.array([[1, 2], [3, 4]])
    const q = (v: Array) => np.sum(v.mul(np.matmul(A, v)))
    close(hessian(q)(np.array([0.5, -1])).tolist(), [[2, 5], [5, 8]])
    close(hvp(q, [np.array([0.5, -1])], [np.array([1, 0])]).tolist(), [2, 5])
  })
  it('perturbation confusion', () => {
    const d = grad((x: Array) => x.mul(grad((y: Array) => x.add(y))(np.array(1.0))))(np.array(2.0))
    close(d.item(), 1)
  })
  it('custom rules and checkpoint', () => {
    const f = customJvp((x: Array) => np.sin(x), ([x], [t]) => [np.sin(x), np.cos(x).mul(t).mul(2)])
    close(grad((x: Array) => f(x))(np.array(0.3)).item(), 2 * Math.cos(0.3))
    close(jvp(f, [np.array(0.3)], [np.array(1.0)])[1].item(), 2 * Math.cos(0.3))
    const h = customVjp((x: Array) => np.exp(x), (x: Array) => [np.exp(x), np.exp(x)], (r: Array, ct: Array) => [ct.mul(r).mul(3)])
    close(grad((x: Array) => h(x))(np.array(0.3)).item(), 3 * Math.exp(0.3))
    const c = checkpoint((x: Array) => np.sin(np.sin(x)))
    close(grad((x: Array) => c(x))(np.array(0.3)).item(), Math.cos(Math.sin(0.3)) * Math.cos(0.3))
    close(grad(grad((x: Array) => c(x)))(np.array(0.3)).item(),
      -Math.sin(Math.sin(0.3)) * Math.cos(0.3) ** 2 - Math.cos(Math.sin(0.3)) * Math.sin(0.3))
    close(grad((x: Array) => stopGradient(x).mul(x))(np.array(3.0)).item(), 3)
    const [[v], g] = valueAndGrad((x: Array) => [np.sin(x), 1], { hasAux: true })(np.array(0.2))
    close(v.item(), Math.sin(0.2)); close(g.item(), Math.cos(0.2))
  })
  it('jaxpr of grad', () => {
    const j = makeJaxpr(grad((x: Array) => x.mul(x).add(x.add(2))))(np.array(1.0))
    expect(String(j)).toContain('lambda')
  })
})
