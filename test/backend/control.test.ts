/**
 * Control flow and nesting inside compiled programs — scan (xs, ys, reverse, nested scans,
 * long loops through the generated loop driver and short ones), while (with constants, under
 * vmap), cond/switch, custom rules and checkpoint inlined, grads of loops (reverse scans over
 * stacked residuals) — compiled against the reference interpreter on the same jaxpr, bit for
 * bit (float64).
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, checkpoint, customJvp, grad, jacfwd, jit, lax, makeJaxpr, np, vmap } from '../../src'
import { stats } from '../../src/backend'
import type { ConcreteArray } from '../../src/core/array'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'
import { bitwiseDiff, runCompiled, runReference } from './helpers'

const agree = (f: (...xs: Arr[]) => unknown, ...args: Arr[]): void => {
  const closed = makeJaxpr(f)(...args)
  const j = optimize(hoistConsts(closed.jaxpr), { all: true })
  const xs = [...closed.consts, ...args] as ConcreteArray[]
  const want = runReference(j, xs)
  const got = runCompiled(j, xs)
  expect(got.length).toBe(want.length)
  got.forEach((g, i) => {
    const d = bitwiseDiff(g, want[i])
    if (d !== null) expect.fail(`output ${i}: ${d}\n${String(j)}`)
  })
}

const x3 = np.array([0.3, -1.2, 0.8])
const seq = np.array([[0.1, 0.2, 0.3], [0.5, -0.4, 0.2], [1.5, 0.25, -0.75], [0.0, 1.0, 2.0]])

const rnn = (h: Arr, xs: Arr, w: Arr) =>
  lax.scan((c: Arr, x: Arr) => {
    const n = np.tanh(c.mul(w).add(x))
    return [n, n.sum()]
  }, h, xs)

describe('scan', () => {
  it('carry, xs and ys', () => agree((h, xs, w) => rnn(h, xs, w), x3, seq, x3.mul(0.5)))
  it('reverse', () => agree((h, xs) => lax.scan((c: Arr, x: Arr) => [c.mul(0.9).add(x), c.prod()], h, xs, { reverse: true }), x3, seq))
  it('a pytree carry with an int32 counter, 0-d and matrix leaves', () =>
    agree((m) => lax.foriLoop(0, 7, (i: Arr, [a, b]: Arr[]) => [a.add(i.astype('float64')), np.matmul(b, m).mul(0.5)], [np.array(0), m]), np.eye(3).add(0.1)))
  it('nested scans', () =>
    agree((h, xs) => lax.scan((c: Arr, x: Arr) => {
      const [ci] = lax.scan((d: Arr, y: Arr) => [d.mul(y).add(1), d], c, np.stack([x, x.mul(2)]))
      return [ci, ci.mul(c)]
    }, h, xs), x3, seq))
  it('grad through scan (a reverse scan over stacked residuals)', () => agree(grad((h: Arr, xs: Arr, w: Arr) => rnn(h, xs, w)[1].sum(), { argnums: [0, 1, 2] }), x3, seq, x3.mul(0.5)))
  it('vmap of scan', () => agree(vmap((h: Arr) => rnn(h, seq, x3)[0]), np.stack([x3, x3.mul(2), x3.add(1)])))
  it('a long scan (the generated loop) and an empty one', () => {
    agree((x) => lax.foriLoop(0, 5000, (_i: Arr, c: Arr) => c.mul(0.999).add(np.sin(c).mul(0.001)), x), x3)
    agree((h) => lax.scan((c: Arr, x: Arr) => [c.add(x), c], h, np.zeros([0, 3]))[0], x3)
  })
  it('jacfwd of a Lorenz integration (W5, 300 steps)', () => {
    const final = (p: Arr) => {
      const [s, r, b] = [0, 1, 2].map((i) => lax.reshape(lax.slice(p, [i], [i + 1]), []))
      const out = lax.foriLoop(0, 300, (_i: Arr, [x, y, z]: Arr[]) => [
        x.add(s.mul(y.sub(x)).mul(0.001)),
        y.add(x.mul(r.sub(z)).sub(y).mul(0.001)),
        z.add(x.mul(y).sub(b.mul(z)).mul(0.001)),
      ], [np.array(1), np.array(1), np.array(1)])
      return np.stack(out)
    }
    agree(jacfwd(final), np.array([10, 28, 8 / 3]))
  })
})

describe('while and cond', () => {
  it('while with constants in the condition and the body', () =>
    agree((x, lim) => lax.whileLoop(([i, c]: Arr[]) => np.logicalAnd(i.lt(5), c.sum().lt(lim)), ([i, c]: Arr[]) => [i.add(1), c.mul(1.5).add(x)], [np.array(0), x]), x3, np.array(20)))
  it('vmap of while (lanes finish at different steps)', () => agree(vmap((x: Arr) => lax.whileLoop((c: Arr) => c.lt(10), (c: Arr) => c.mul(2).add(1), x)), np.array([0.5, 3, 9.5, 12])))
  it('cond and switch', () => {
    agree((p, x) => lax.cond(p.gt(0), (a: Arr) => np.sin(a), (a: Arr) => np.cos(a).mul(2), x), np.array(1), x3)
    agree((p, x) => lax.cond(p.gt(0), (a: Arr) => np.sin(a), (a: Arr) => np.cos(a).mul(2), x), np.array(-1), x3)
    for (const k of [-1, 0, 1, 2, 5]) agree((i, x) => lax.switch(i, [(a: Arr) => a.add(1), (a: Arr) => a.mul(a), (a: Arr) => np.exp(a)], x), np.array(k, { dtype: 'int32' }), x3)
  })
  it('grad of cond', () => agree(grad((x: Arr) => lax.cond(x.sum().gt(0), (a: Arr) => np.sin(a).sum(), (a: Arr) => a.mul(a).sum(), x)), x3))
})

describe('results own their buffers', () => {
  it('a zero-trip loop or a branch returning an operand does not hand out a reused buffer', () => {
    const f = jit((x: Arr) => {
      const y = np.sin(x).mul(2)
      const [c] = lax.scan((c: Arr, _x: Arr) => [c.add(1), c], y, np.zeros([0, 3]))
      const w = lax.whileLoop((v: Arr) => v.sum().lt(-100), (v: Arr) => v.add(1), np.cos(x).mul(3))
      const d = lax.cond(x.sum().gt(0), (a: Arr) => a, (a: Arr) => a.mul(2), np.exp(x).add(1))
      return [c, w, d]
    })
    const first = f(x3) as Arr[]
    const saved = first.map((t) => t.tolist())
    f(x3.mul(-3).add(1))
    expect(first.map((t) => t.tolist())).toEqual(saved)
  })
  // inner scans keep their output buffers from one run of the enclosing body to the next (carries
  // wider than loops compiled whole take, so the inner scans run as loops over kernels)
  const wide = np.linspace(-1, 1, 80)
  const inner = (c: Arr, k: number) => lax.scan((d: Arr, _x: null) => [np.sin(d).add(k), d.mul(2)] as [Arr, Arr], c, null, { length: 150 })
  it('scans inside a loop body reuse their buffers without mixing up iterations', () => {
    const outer = (x: Arr) => lax.scan((c: Arr, _x: null) => {
      const [a, ys] = inner(c.mul(0.5), 1)
      const [b] = inner(a, 2)
      const v = lax.cond(c.sum().gt(0), (u: Arr) => inner(u, 3)[1].sum(0), (u: Arr) => u, b)
      return [b.mul(0.25).add(ys.mean(0)), v] as [Arr, Arr]
    }, x, null, { length: 6 })
    agree(outer, wide)
    agree(grad((x: Arr) => outer(x)[1].sum()), wide)
  })
  it('a scan at the top level or in a top-level branch hands out fresh buffers', () => {
    const f = jit((x: Arr, p: Arr) => {
      const [c, ys] = inner(x, 1)
      return [c, ys, lax.cond(p.gt(0), (u: Arr) => inner(u, 2)[1], (u: Arr) => inner(u, 3)[1], x)]
    })
    const first = f(wide, np.array(1)) as Arr[]
    const saved = first.map((t) => t.tolist())
    f(wide.mul(-3), np.array(1))
    f(wide.add(1), np.array(-1))
    expect(first.map((t) => t.tolist())).toEqual(saved)
  })
})

describe('calls inlined into the fused program', () => {
  it('custom_jvp, checkpoint and nested jit', () => {
    const softplus = customJvp((x: Arr) => np.log1p(np.exp(x)), ([x]: Arr[], [t]: Arr[]) => [np.log1p(np.exp(x)), t.mul(lax.logistic(x))])
    const inner = jit((x: Arr) => np.tanh(x).mul(3))
    const f = (x: Arr) => checkpoint((y: Arr) => softplus(inner(y)).sum())(x)
    agree(f, x3)
    agree(grad(f), x3)
  })
})

describe('compilation is cached', () => {
  it('jit traces once per signature and compiles once per jaxpr', () => {
    const f = jit((x: Arr) => np.tanh(x).mul(x).sum())
    const before = stats.programsCompiled
    for (let i = 0; i < 5; i++) f(np.array([1, 2, 3]))
    expect(f.traceCount).toBe(1)
    expect(stats.programsCompiled - before).toBe(1)
    f(np.array([1, 2, 3, 4]))
    f(np.array([1, 2, 3, 4]))
    expect(f.traceCount).toBe(2)
    expect(stats.programsCompiled - before).toBe(2)
  })
  it('kernels are cached by structure: a second jit of the same computation compiles no kernel', () => {
    const g = (x: Arr) => np.cos(x).mul(7).add(3).sum()
    jit(g)(np.array([1, 2, 3, 4, 5]))
    const before = stats.kernelsCompiled
    jit(g)(np.array([6, 7, 8, 9, 10]))
    expect(stats.kernelsCompiled).toBe(before)
  })
})
