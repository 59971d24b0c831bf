/**
 * The control-flow primitives (cond, scan, while) under autodiff and vmap: finite-difference
 * checks at orders 1 and 2, and the batching law against per-example loops.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, NonDifferentiableError, grad, jacfwd, jit, jvp, lax, np, vmap } from '../../src'
import { checkGradsInternal, expectClose, f64, valuesOf } from './check'

const close = (got: unknown, want: unknown, rtol = 1e-12, what = 'value') =>
  expectClose(valuesOf(got), valuesOf(want), rtol, 1e-14, what)
const rows = (x: Arr): Arr[] => Array.from({ length: x.shape[0] }, (_, i) => np.take(x, np.array(i, { dtype: 'int32' }), 0))

/** A two-branch function: the branch taken depends on the data. */
const branchy = (x: Arr) => lax.cond(x.sum().gt(0), (a: Arr) => np.sin(a).mul(a), (a: Arr) => np.exp(a).mul(2), x)
/** The branch `branchy` takes at a concrete x, as a plain function (decided outside any trace). */
const branchOf = (x: Arr) => ((x.sum().item() as number) > 0 ? (a: Arr) => np.sin(a).mul(a) : (a: Arr) => np.exp(a).mul(2))
const branchyPlain = (x: Arr) => branchOf(x)(x)

/** An RNN-like scan: carry h ← tanh(W h + x), ys = h². */
const W = np.array([[0.5, -0.3], [0.2, 0.8]])
const rnn = (h0: Arr, xs: Arr) => lax.scan((h: Arr, x: Arr) => {
  const h2 = np.tanh(np.matmul(W, h).add(x))
  return [h2, h2.mul(h2)] as [Arr, Arr]
}, h0, xs)
const rnnLoop = (h0: Arr, xs: Arr) => {
  let h = h0
  const ys: Arr[] = []
  for (const x of rows(xs)) {
    h = np.tanh(np.matmul(W, h).add(x))
    ys.push(h.mul(h))
  }
  return [h, np.stack(ys)] as [Arr, Arr]
}

describe('cond', () => {
  it('derivatives of each branch, orders 1 and 2, both modes', () => {
    for (const xs of [[0.3, 0.9, -0.2], [-0.5, -1, 0.4]]) {
      const x = f64(xs, [3])
      checkGradsInternal((v) => branchy(v), [x], { order: 2, label: `cond at ${xs}` })
      close(grad((v: Arr) => branchy(v).sum())(x), grad((v: Arr) => branchOf(x)(v).sum())(x))
    }
  })
  it('vmap with a batched predicate equals the per-example loop', () => {
    const X = np.array([[0.3, 0.9, -0.2], [-0.5, -1, 0.4], [1, 1, 1]])
    close(vmap(branchy)(X), np.stack(rows(X).map(branchyPlain)))
    close(vmap(grad((v: Arr) => branchy(v).sum()))(X), np.stack(rows(X).map((x) => grad((v: Arr) => branchOf(x)(v).sum())(x))))
    close(jit(vmap(branchy))(X), np.stack(rows(X).map(branchyPlain)))
  })
})

describe('scan', () => {
  const h0 = f64([0.1, -0.2], [2])
  const xs = f64([0.5, -0.1, 0.3, 0.2, -0.4, 0.6], [3, 2])

  it('equals the unrolled loop, with gradients for init and xs', () => {
    const [h, ys] = rnn(h0, xs)
    const [hl, ysl] = rnnLoop(h0, xs)
    close(h, hl)
    close(ys, ysl)
    const loss = (f: typeof rnn) => (a: Arr, b: Arr) => f(a, b)[1].sum().add(f(a, b)[0].sum())
    const [g0, g1] = grad(loss(rnn), { argnums: [0, 1] })(h0, xs) as Arr[]
    const [l0, l1] = grad(loss(rnnLoop), { argnums: [0, 1] })(h0, xs) as Arr[]
    close(g0, l0)
    close(g1, l1)
  })
  it('finite differences at orders 1 and 2, both modes', () => {
    checkGradsInternal((a, b) => rnn(a, b), [h0, xs], { order: 2, label: 'scan rnn' })
    checkGradsInternal((a, b) => lax.scan((c: Arr, x: Arr) => [c.mul(x), c] as [Arr, Arr], a, b, { reverse: true }), [f64([1.5], []), f64([0.5, -2, 0.7], [3])], { order: 2, label: 'scan reverse' })
  })
  it('vmap over xs (batched) and over init, equal the per-example loop; grad of jit of scan', () => {
    const Xs = f64([0.5, -0.1, 0.3, 0.2, -0.4, 0.6, 0.1, 0.1, 0.2, -0.3, 0.5, 0.5], [2, 3, 2])
    const got = vmap((b: Arr) => rnn(h0, b))(Xs)
    rows(Xs).forEach((b, i) => {
      const [h] = rnnLoop(h0, b)
      close(np.take(got[0], np.array(i, { dtype: 'int32' }), 0), h)
    })
    const H0 = f64([0.1, -0.2, 0.3, 0.4], [2, 2])
    const got2 = vmap((a: Arr) => rnn(a, xs)[0], { inAxes: 1 })(H0)
    close(got2, np.stack(rows(np.transpose(H0)).map((a) => rnnLoop(a, xs)[0])))
    close(grad((a: Arr) => jit(rnn)(a, xs)[1].sum())(h0), grad((a: Arr) => rnnLoop(a, xs)[1].sum())(h0))
  })
  it('reverse over forward: grad of jvp of a scan', () => {
    const sc = (x: Arr) => lax.scan((c: Arr, _: null) => [np.sin(c), null] as [Arr, null], x, null, { length: 2 })[0]
    const x = f64([0.2, -1.1], [2])
    const v = f64([1, 0.5], [2])
    // d/dx ⟨1, J(x) v⟩ with J = diag(cos(sin x) cos x)
    const want = Array.from(x.data, (a, i) => v.data[i] * (-Math.sin(Math.sin(a)) * Math.cos(a) ** 2 - Math.cos(Math.sin(a)) * Math.sin(a)))
    close(grad((y: Arr) => jvp(sc, [y], [v])[1].sum())(x), f64(want, [2]))
    close(grad((y: Arr) => grad((z: Arr) => sc(z).sum())(y).sum())(x), f64(want.map((w, i) => w / v.data[i]), [2]))
  })
  it('foriLoop with static bounds is reverse-differentiable', () => {
    const f = (x: Arr) => lax.foriLoop(0, 4, (_i: Arr, c: Arr) => np.sin(c).add(c.mul(0.5)), x)
    checkGradsInternal(f, [f64([0.2, -1.1], [2])], { order: 2, label: 'foriLoop' })
  })
})

describe('while', () => {
  // Newton's iteration for √a, a fixed number of steps via a counter in the carry
  const newton = (a: Arr) => lax.whileLoop(
    (c: [Arr, Arr]) => c[0].lt(6),
    (c: [Arr, Arr]) => [c[0].add(1), c[1].add(a.div(c[1])).mul(0.5)] as [Arr, Arr],
    [np.array(0, { dtype: 'int32' }), np.onesLike(a)] as [Arr, Arr],
  )[1]

  it('forward-mode derivatives (orders 1 and 2)', () => {
    const a = f64([2, 0.5, 3], [3])
    close(newton(a), np.sqrt(a), 1e-10)
    checkGradsInternal((v) => newton(v), [a], { order: 2, modes: ['fwd'], label: 'while newton' })
    close(jvp(newton, [a], [np.ones([3])])[1], np.divide(0.5, np.sqrt(a)), 1e-8)
    close(jacfwd(newton)(a), np.eye(3).mul(np.divide(0.5, np.sqrt(a))), 1e-8)
  })
  it('reverse mode is a NonDifferentiableError', () => {
    expect(() => grad((v: Arr) => newton(v).sum())(np.array([2, 3]))).toThrow(NonDifferentiableError)
  })
  it('vmap with per-example trip counts equals the loop', () => {
    const countdown = (x: Arr) => lax.whileLoop((c: Arr) => c.gt(1), (c: Arr) => c.div(2), x)
    const X = np.array([1.5, 10, 100, 0.5])
    close(vmap(countdown)(X), np.stack(rows(X).map(countdown)))
    close(vmap(newton)(np.array([[2, 3], [4, 5]])), np.sqrt(np.array([[2, 3], [4, 5]])), 1e-10)
  })
})
