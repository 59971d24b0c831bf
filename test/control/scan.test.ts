/**
 * lax.scan and lax.foriLoop (static bounds) against JS for-loops, under eval, jit, jvp, grad,
 * grad∘grad, vmap and jit∘vmap: pytree carries, xs and ys, reverse scans, length-0 scans,
 * random step bodies from arb.program (with the derivative laws), vmap over initial states,
 * and the size of the jaxpr of a 10,000-step loop.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Array as Arr, grad, jit, jvp, lax, makeJaxpr, np, tree, vmap } from '../../src'
import { arb, laws } from '../../laws'
import { expectAgree, expectClose, makeRng, randn, row, stackTrees } from './agree'

/** The reference: a JS loop over the leading axis of xs, ys stacked (or `emptyYs` when n = 0). */
const refScan = <C, X, Y>(f: (c: C, x: X) => [C, Y], init: C, xs: X, n: number, reverse = false, emptyYs?: Y): [C, Y] => {
  let c = init
  const ys: Y[] = new Array(n)
  for (let t = 0; t < n; t++) {
    const i = reverse ? n - 1 - t : t
    const [c2, y] = f(c, (xs === null ? null : tree.map((l: Arr) => row(l, i), xs as unknown)) as X)
    c = c2
    ys[i] = y
  }
  return [c, n > 0 ? (stackTrees(ys) as Y) : (emptyYs as Y)]
}

interface Carry { h: Arr; acc: [Arr] }
interface Xs { u: Arr; v: [Arr] }
const step = (c: Carry, x: Xs): [Carry, { hh: Arr; s: Arr }] => {
  const h = np.tanh(c.h.mul(x.u).add(np.sin(x.v[0]).sum().mul(0.5)))
  const acc = c.acc[0].add(h.mul(x.u).sum())
  return [{ h, acc: [acc] }, { hh: h.mul(c.h), s: acc.mul(acc) }]
}

describe('scan agrees with a JS loop', () => {
  const rng = makeRng(21)
  const draw = (n: number) => [randn(rng, [3]), randn(rng, []), randn(rng, [n, 3]), randn(rng, [n, 2])]
  for (const reverse of [false, true]) {
    it(`pytree carry, xs and ys${reverse ? ', reverse' : ''}`, () => {
      const n = 4
      const f = (_: null, h: Arr, a: Arr, u: Arr, v: Arr) => lax.scan(step, { h, acc: [a] }, { u, v: [v] }, { reverse })
      const ref = (_: null, h: Arr, a: Arr, u: Arr, v: Arr) => refScan(step, { h, acc: [a] } as Carry, { u, v: [v] } as Xs, n, reverse)
      expectAgree(`scan${reverse ? ' reverse' : ''}`, { f, ref, s: null, xs: draw(n), batch: [0, 1, 2].map(() => ({ s: null, xs: draw(n) })) })
    })
  }

  it('length-0 scans return the init and empty ys, under every transformation', () => {
    const emptyYs = { hh: np.zeros([0, 3]), s: np.zeros([0]) }
    const f = (_: null, h: Arr, a: Arr, u: Arr, v: Arr) => lax.scan(step, { h, acc: [a] }, { u, v: [v] })
    const ref = (_: null, h: Arr, a: Arr, u: Arr, v: Arr) => refScan(step, { h, acc: [a] } as Carry, { u, v: [v] } as Xs, 0, false, emptyYs)
    expectAgree('scan length 0', { f, ref, s: null, xs: draw(0), batch: [0, 1].map(() => ({ s: null, xs: draw(0) })) })
    const g = (_: null, h: Arr) => lax.scan((c: Arr, _x: null) => [np.sin(c), c.mul(2)] as [Arr, Arr], h, null, { length: 0, reverse: true })
    expectAgree('scan length 0, no xs', { f: g, ref: (_: null, h: Arr) => [h, np.zeros([0, 3])], s: null, xs: [randn(rng, [3])], batch: [0, 1].map(() => ({ s: null, xs: [randn(rng, [3])] })) })
    const [c, ys] = g(null, np.ones([3]))
    expect(ys.shape).toEqual([0, 3])
    expect(c.tolist()).toEqual([1, 1, 1])
  })

  it('no xs (length given), ys of several dtypes, an int32 counter in the carry', () => {
    const body = (c: [Arr, Arr], _x: null): [[Arr, Arr], [Arr, Arr]] => [[c[0].add(1), np.sin(c[1]).add(c[0].astype('float64').mul(0.1))], [c[0], c[1].gt(0)]]
    const f = (_: null, x: Arr) => lax.scan(body, [np.array(3, { dtype: 'int32' }), x], null, { length: 5 })
    const ref = (_: null, x: Arr) => refScan(body, [np.array(3, { dtype: 'int32' }), x] as [Arr, Arr], null, 5)
    expectAgree('scan with a counter', { f, ref, s: null, xs: [np.array([0.5, -2])], batch: [{ s: null, xs: [np.array([1, 2])] }, { s: null, xs: [np.array([-1, 0.1])] }] })
    const [[i], [is, pos]] = f(null, np.array([0.5, -2]))
    expect(i.tolist()).toBe(8)
    expect(is.dtype).toBe('int32')
    expect(is.tolist()).toEqual([3, 4, 5, 6, 7])
    expect(pos.dtype).toBe('bool')
  })
})

describe('random step bodies (arb.program)', () => {
  const progs = fc.sample(arb.program({ numInputs: 2, output: 'array', shape: [2, 3], maxOps: 4 }), { numRuns: 6, seed: 5 })
  const rng = makeRng(22)
  const draw = () => [randn(rng, [2, 3]), randn(rng, [3, 2, 3])]
  for (let k = 0; k + 1 < progs.length; k += 2) {
    const [P, Q] = [progs[k], progs[k + 1]]
    const body = (c: Arr, x: Arr): [Arr, Arr] => [np.tanh(P.fn(c, x)), Q.fn(c, x)]
    const reverse = k === 2
    it(`carry ← tanh(${P.text}); y = ${Q.text}${reverse ? ' (reverse)' : ''}`, () => {
      const f = (_: null, c0: Arr, xs: Arr) => lax.scan(body, c0, xs, { reverse })
      const ref = (_: null, c0: Arr, xs: Arr) => refScan(body, c0, xs, 3, reverse)
      expectAgree('random scan', { f, ref, s: null, xs: draw(), batch: [0, 1, 2].map(() => ({ s: null, xs: draw() })), rtol: 1e-9 })
      const inputs = fc.tuple(arb.array({ shape: [2, 3], min: -1.5, max: 1.5 }), arb.array({ shape: [3, 2, 3], min: -1.5, max: 1.5 }))
      laws.differentiable((c0: Arr, xs: Arr) => lax.scan(body, c0, xs, { reverse }), inputs, { numRuns: 2, seed: k })
      laws.twiceDifferentiable((c0: Arr, xs: Arr) => {
        const [c, ys] = lax.scan(body, c0, xs, { reverse })
        return np.sum(c).add(np.mean(np.sin(ys)))
      }, inputs, { numRuns: 1, seed: k })
    })
  }
})

describe('vmap of scan over a batch of initial states', () => {
  const rng = makeRng(23)
  const xs = randn(rng, [5, 3])
  const body = (c: { p: Arr; q: Arr }, x: Arr): [{ p: Arr; q: Arr }, Arr] => [{ p: c.p.add(np.sin(c.q).mul(x)), q: c.q.sub(c.p.mul(0.1)) }, c.p.mul(c.q).sum()]
  const sim = (p: Arr, q: Arr) => lax.scan(body, { p, q }, xs)
  const simRef = (p: Arr, q: Arr) => refScan(body, { p, q }, xs, 5)

  it('init batched, xs shared: equals the per-example loops, with grads and jit', () => {
    const P = randn(rng, [4, 3])
    const Q = randn(rng, [4, 3])
    const want = stackTrees([0, 1, 2, 3].map((b) => simRef(row(P, b), row(Q, b))))
    expectClose(vmap(sim)(P, Q), want, 'vmap(scan)')
    expectClose(jit(vmap(sim))(P, Q), want, 'jit(vmap(scan))')
    expectClose(vmap(jit(sim))(P, Q), want, 'vmap(jit(scan))')
    const loss = (f: typeof sim) => (p: Arr, q: Arr) => { const [c, ys] = f(p, q); return c.p.sum().add(ys.mul(ys).sum()) }
    const gWant = stackTrees([0, 1, 2, 3].map((b) => grad(loss(simRef), { argnums: [0, 1] })(row(P, b), row(Q, b))))
    expectClose(vmap(grad(loss(sim), { argnums: [0, 1] }))(P, Q), gWant, 'vmap(grad(scan))')
    // one initial state batched on axis 1, the other shared
    const Pt = np.transpose(P)
    const q0 = row(Q, 0)
    const want1 = stackTrees([0, 1, 2, 3].map((b) => simRef(row(P, b), q0)))
    expectClose(vmap(sim, { inAxes: [1, null] })(Pt, q0), want1, 'vmap(scan) inAxes [1, null]')
    const [cOut, ysOut] = vmap(sim, { inAxes: [1, null], outAxes: 1 })(Pt, q0) as [{ p: Arr; q: Arr }, Arr]
    expect(cOut.p.shape).toEqual([3, 4])
    expect(ysOut.shape).toEqual([5, 4])
    expectClose(np.transpose(ysOut), (want1 as [unknown, Arr])[1], 'vmap outAxes 1')
  })
  it('jvp of vmap equals the per-example jvps', () => {
    const P = randn(rng, [3, 3])
    const Q = randn(rng, [3, 3])
    const dP = randn(rng, [3, 3])
    const got = jvp(vmap(sim), [P, Q], [dP, np.zerosLike(Q)])
    const want = stackTrees([0, 1, 2].map((b) => jvp(simRef, [row(P, b), row(Q, b)], [row(dP, b), np.zeros([3])])))
    // stackTrees stacks [out, tangent] pairs leafwise, as vmap would
    expectClose(got, [tree.map((x: Arr) => x, (want as unknown[])[0]), (want as unknown[])[1]], 'jvp(vmap(scan))')
  })
})

describe('foriLoop with static bounds is a scan', () => {
  const rng = makeRng(24)
  const body = (x: Arr) => (i: Arr, c: { a: Arr; b: Arr }) => ({ a: c.a.mul(np.cos(i.astype('float64').mul(0.3))).add(np.sin(c.b).mul(x)), b: c.b.add(c.a.mul(x).mul(0.2)) })
  for (const [lo, hi] of [[2, 7], [0, 1], [5, 5], [6, 2]]) {
    it(`foriLoop(${lo}, ${hi}) agrees with a JS for loop`, () => {
      const f = (_: null, a: Arr, b: Arr, x: Arr) => lax.foriLoop(lo, hi, body(x), { a, b })
      const ref = (_: null, a: Arr, b: Arr, x: Arr) => {
        let c = { a, b }
        for (let i = lo; i < hi; i++) c = body(x)(np.array(i, { dtype: 'int32' }), c)
        return c
      }
      const draw = () => [randn(rng, [2]), randn(rng, [2]), randn(rng, [2])]
      expectAgree(`foriLoop(${lo}, ${hi})`, { f, ref, s: null, xs: draw(), batch: [0, 1].map(() => ({ s: null, xs: draw() })) })
    })
  }
})

describe('the jaxpr of a 10,000-step loop stays small', () => {
  const countEqns = (text: string) => text.split('\n').filter((l) => / = [a-z_]+/.test(l)).length
  const decay = (x: Arr) => lax.foriLoop(0, 10_000, (_i: Arr, c: Arr) => c.add(np.sin(c).mul(-1e-3)), x)
  const x = np.array([0.5, 1])

  it('eval, jit, grad, jvp and vmap all stage one loop', () => {
    const texts = {
      eval: String(makeJaxpr(decay)(x)),
      jit: String(makeJaxpr(jit(decay))(x)),
      grad: String(makeJaxpr(grad((v: Arr) => decay(v).sum()))(x)),
      jvp: String(makeJaxpr((v: Arr) => jvp(decay, [v], [np.ones([2])]))(x)),
      vmap: String(makeJaxpr(vmap(decay))(np.ones([3, 2]))),
    }
    for (const [k, t] of Object.entries(texts)) {
      expect(t, k).toContain('length=10000')
      expect(countEqns(t), `${k}: ${t}`).toBeLessThan(40)
    }
    expect(countEqns(texts.eval)).toBeLessThan(8)
    // and the staged loop computes the same as the JS loop
    let c = [0.5, 1]
    for (let i = 0; i < 10_000; i++) c = c.map((v) => v + Math.sin(v) * -1e-3)
    expectClose(jit(decay)(x), np.array(c), 'jit(decay)', 1e-12)
  })
})
