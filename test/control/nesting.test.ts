/**
 * Control flow inside control flow — cond inside scan, scan inside cond, scans inside scans,
 * switch inside foriLoop, a while loop inside a scan — against the same nesting of JS loops
 * and ifs, under eval, jit, jvp, grad, grad∘grad and vmap.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { type Array as Arr, lax, np } from '../../src'
import { arb, checkGrads } from '../../laws'
import { expectAgree, makeRng, randn, row, rows } from './agree'

const rng = makeRng(41)

describe('nesting', () => {
  it('cond inside scan: the branch is chosen per step from the data', () => {
    const progs = fc.sample(arb.program({ numInputs: 2, output: 'array', shape: [3], maxOps: 3 }), { numRuns: 2, seed: 9 })
    const [P, Q] = progs
    const stepS = (c: Arr, x: Arr): [Arr, Arr] => {
      const c2 = lax.cond(x.sum().gt(0), (a: Arr, b: Arr) => np.tanh(P.fn(a, b)), (a: Arr, b: Arr) => np.tanh(Q.fn(a, b)).mul(0.5), c, x)
      return [c2, c2.mul(x)]
    }
    const f = (_s: Arr, c0: Arr, xs: Arr) => lax.scan(stepS, c0, xs)
    // the reference takes the per-step branch from s (read off the concrete xs), so it can be differentiated
    const ref = (s: Arr, c0: Arr, xs: Arr) => {
      let c = c0
      const ys: Arr[] = []
      const takes = s.tolist() as boolean[]
      rows(xs).forEach((x, i) => {
        c = takes[i] ? np.tanh(P.fn(c, x)) : np.tanh(Q.fn(c, x)).mul(0.5)
        ys.push(c.mul(x))
      })
      return [c, np.stack(ys)]
    }
    const draw = () => {
      const xs = [randn(rng, [3]), randn(rng, [5, 3])]
      return { s: xs[1].sum(1).gt(0), xs }
    }
    const one = draw()
    expectAgree(`cond in scan (${P.text} | ${Q.text})`, { f, ref, s: one.s, xs: one.xs, batch: [0, 1, 2].map(draw), rtol: 1e-9 })
  })

  it('scan inside cond, with a batched predicate', () => {
    const inner = (a: Arr, xs: Arr) => lax.scan((c: Arr, x: Arr) => [np.sin(c.mul(x)).add(c), c.sum()] as [Arr, Arr], a, xs, { reverse: true })
    const other = (a: Arr, xs: Arr) => [a.mul(xs.sum()), np.cos(xs).sum(1)]
    const f = (p: Arr, a: Arr, xs: Arr) => lax.cond(p, inner, other, a, xs)
    const innerRef = (a: Arr, xs: Arr) => {
      let c = a
      const ys: Arr[] = []
      for (let i = xs.shape[0] - 1; i >= 0; i--) {
        ys[i] = c.sum()
        c = np.sin(c.mul(row(xs, i))).add(c)
      }
      return [c, np.stack(ys)]
    }
    const ref = (p: Arr, a: Arr, xs: Arr) => (p.item() !== 0 ? innerRef : other)(a, xs)
    const draw = () => [randn(rng, [2]), randn(rng, [4, 2])]
    for (const p of [true, false]) {
      expectAgree(`scan in cond(${p})`, { f, ref, s: np.array(p), xs: draw(), batch: [true, false, true].map((q) => ({ s: np.array(q), xs: draw() })) })
    }
  })

  it('nested scans (the inner one reversed) over a [T, K, d] sequence', () => {
    const innerStep = (d: Arr, x: Arr): [Arr, Arr] => [np.tanh(d.add(x).mul(1.3)), d.mul(x)]
    const outerStep = (c: { h: Arr; n: Arr }, xk: Arr): [{ h: Arr; n: Arr }, Arr] => {
      const [d, ys] = lax.scan(innerStep, c.h, xk, { reverse: true })
      return [{ h: d.mul(0.8).add(c.n), n: c.n.add(ys.sum(0)) }, ys]
    }
    const f = (_: null, h: Arr, n: Arr, xs: Arr) => lax.scan(outerStep, { h, n }, xs)
    const ref = (_: null, h0: Arr, n0: Arr, xs: Arr) => {
      let [h, n] = [h0, n0]
      const out: Arr[] = []
      for (const xk of rows(xs)) {
        let d = h
        const ys: Arr[] = []
        for (let j = xk.shape[0] - 1; j >= 0; j--) {
          ys[j] = d.mul(row(xk, j))
          d = np.tanh(d.add(row(xk, j)).mul(1.3))
        }
        const Y = np.stack(ys)
        ;[h, n] = [d.mul(0.8).add(n), n.add(Y.sum(0))]
        out.push(Y)
      }
      return [{ h, n }, np.stack(out)]
    }
    const draw = () => [randn(rng, [2]), randn(rng, [2]), randn(rng, [3, 4, 2])]
    expectAgree('nested scans', { f, ref, s: null, xs: draw(), batch: [0, 1].map(() => ({ s: null, xs: draw() })) })
    // and against finite differences, to second order in both modes
    checkGrads((h: Arr, n: Arr, xs: Arr) => f(null, h, n, xs), draw(), { order: 2 })
  })

  it('switch inside foriLoop: the branch is chosen by the loop index', () => {
    const branches = [(c: Arr) => np.sin(c), (c: Arr) => c.mul(c).mul(0.5), (c: Arr) => np.cos(c).add(c)]
    const f = (_: null, c0: Arr, w: Arr) => lax.foriLoop(0, 7, (i: Arr, c: Arr) => lax.switch(lax.rem(i, 3), branches, c).mul(w), c0)
    const ref = (_: null, c0: Arr, w: Arr) => {
      let c = c0
      for (let i = 0; i < 7; i++) c = branches[i % 3](c).mul(w)
      return c
    }
    const draw = () => [randn(rng, [3]), randn(rng, [3], 0.5, 1)]
    expectAgree('switch in foriLoop', { f, ref, s: null, xs: draw(), batch: [0, 1].map(() => ({ s: null, xs: draw() })) })
  })

  it('a while loop inside a scan (forward mode)', () => {
    // each step halves the carry until it is below the step's threshold
    const stepS = (c: Arr, t: Arr): [Arr, Arr] => {
      const d = lax.whileLoop((v: Arr) => v.gt(t), (v: Arr) => v.mul(0.5), c)
      return [d.add(t.mul(3)), d]
    }
    const f = (_s: Arr, c0: Arr, ts: Arr) => lax.scan(stepS, c0, ts)
    // the halvings per step, counted with plain numbers; the reference unrolls them
    const counts = (c0: Arr, ts: Arr): Arr => {
      let c = c0.item() as number
      const ns = (ts.tolist() as number[]).map((t) => {
        let n = 0
        for (; c > t; c *= 0.5) n++
        c += 3 * t
        return n
      })
      return np.array(ns, { dtype: 'int32' })
    }
    const ref = (s: Arr, c0: Arr, ts: Arr) => {
      let c = c0
      const ys: Arr[] = []
      const ns = s.tolist() as number[]
      rows(ts).forEach((t, i) => {
        for (let k = 0; k < ns[i]; k++) c = c.mul(0.5)
        ys.push(c)
        c = c.add(t.mul(3))
      })
      return [c, np.stack(ys)]
    }
    const draw = () => {
      const xs = [randn(rng, [], 1, 50), randn(rng, [4], 0.1, 2)]
      return { s: counts(xs[0], xs[1]), xs }
    }
    const one = draw()
    expectAgree('while in scan', { f, ref, s: one.s, xs: one.xs, batch: [0, 1, 2].map(draw), checks: ['eval', 'jit', 'jvp', 'vmap'] })
  })
})
