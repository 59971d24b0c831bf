/**
 * lax.whileLoop and lax.foriLoop with traced bounds against JS loops: eval, jit, jvp (orders 1
 * and 2), jacfwd, and vmap where lanes finish at different steps. The reference unrolls as many
 * steps as a JS `while` over the concrete values takes (the trip count does not depend on the
 * tangents, so the unrolled loop has the same derivatives).
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, jacfwd, jit, jvp, lax, np, vmap } from '../../src'
import { checkGrads } from '../../laws'
import { expectAgree, expectClose, makeRng, randn, row, stackTrees } from './agree'

interface C { k: Arr; w: Arr; v: [Arr] }
const i32 = (i: number) => np.array(i, { dtype: 'int32' })
const cond = (c: C) => c.w.gt(1)
const body = (a: Arr) => (c: C): C => ({
  k: c.k.add(1),
  w: c.w.mul(np.sin(c.v[0].sum()).mul(0.2).add(0.6)),
  v: [c.v[0].add(np.sin(c.w).mul(a))],
})
const loop = (a: Arr, w: Arr, v: Arr) => lax.whileLoop(cond, body(a), { k: i32(0), w, v: [v] })
/** How many steps a JS while loop takes from concrete inputs. */
const tripCount = (a: Arr, w: Arr, v: Arr): number => {
  let c: C = { k: i32(0), w, v: [v] }
  let n = 0
  while (cond(c).item()) {
    c = body(a)(c)
    n++
  }
  return n
}
/** The same loop unrolled n times (n read from the concrete `s`). */
const unrolled = (s: Arr, a: Arr, w: Arr, v: Arr) => {
  let c: C = { k: i32(0), w, v: [v] }
  for (let i = 0; i < (s.item() as number); i++) c = body(a)(c)
  return c
}

describe('whileLoop agrees with a JS while loop', () => {
  const rng = makeRng(31)
  const draw = (): Arr[] => [randn(rng, [3]), randn(rng, [], 2, 40), randn(rng, [3])]
  const xs = draw()
  const batch = [0, 1, 2, 3].map(() => draw()).map((b) => ({ s: i32(tripCount(b[0], b[1], b[2])), xs: b }))

  it('eval, jit, jvp and vmap (lanes finish at different steps)', () => {
    const counts = batch.map((b) => b.s.item())
    expect(new Set(counts).size).toBeGreaterThan(1)
    expectAgree('whileLoop', { f: (_s: Arr, a: Arr, w: Arr, v: Arr) => loop(a, w, v), ref: unrolled, s: i32(tripCount(xs[0], xs[1], xs[2])), xs, batch, checks: ['eval', 'jit', 'jvp', 'vmap'] })
    // each lane's counter says how many steps it took
    const [A, W, V] = [0, 1, 2].map((i) => np.stack(batch.map((b) => b.xs[i])))
    expect(vmap(loop)(A, W, V).k.tolist()).toEqual(counts)
  })
  it('jacfwd, jvp∘jvp, vmap∘jvp and jacfwd∘vmap equal the unrolled loop', () => {
    const [a, w, v] = xs
    const s = i32(tripCount(a, w, v))
    const out = (f: (a: Arr, w: Arr, v: Arr) => C) => (a: Arr, w: Arr, v: Arr) => { const c = f(a, w, v); return [c.w, c.v[0]] }
    const f = out(loop)
    const r = out((a, w, v) => unrolled(s, a, w, v))
    expectClose(jacfwd(f, { argnums: [0, 1, 2] })(a, w, v), jacfwd(r, { argnums: [0, 1, 2] })(a, w, v), 'jacfwd')
    expectClose(jit(jacfwd(f, { argnums: [0, 2] }))(a, w, v), jacfwd(r, { argnums: [0, 2] })(a, w, v), 'jit(jacfwd)')
    const [ta, ua] = [randn(rng, [3]), randn(rng, [3])]
    const second = (g: typeof f) => jvp((b: Arr) => jvp((c: Arr) => g(c, w, v), [b], [ta])[1], [a], [ua])
    expectClose(second(f), second(r), 'jvp∘jvp')
    // forward mode against finite differences, orders 1 and 2 (the trip count is locally constant)
    checkGrads(f, [a, w, v], { order: 2, modes: ['fwd'] })
    // per lane, through vmap
    const [A, W, V] = [0, 1, 2].map((i) => np.stack(batch.map((b) => b.xs[i])))
    const dV = randn(rng, [4, 3])
    const want = stackTrees(batch.map((b, i) => jvp((vv: Arr) => out((a, w, v) => unrolled(b.s, a, w, v))(b.xs[0], b.xs[1], vv), [b.xs[2]], [row(dV, i)])))
    expectClose(vmap((aa: Arr, ww: Arr, vv: Arr, dv: Arr) => jvp((u: Arr) => f(aa, ww, u), [vv], [dv]))(A, W, V, dV), want, 'vmap(jvp)')
    const J = jacfwd((vv: Arr) => vmap(f)(A, W, vv))(V) as Arr[]
    const Jw = J[1].reshape([4, 3, 12])
    batch.forEach((b, i) => {
      const ji = jacfwd((vv: Arr) => out((a, w, v) => unrolled(b.s, a, w, v))(b.xs[0], b.xs[1], vv)[1])(b.xs[2])
      expectClose(np.take(row(Jw, i), np.arange(3 * i, 3 * i + 3).astype('int32'), 1), ji, `jacfwd(vmap) lane ${i}`)
    })
  })
  it('an unbatched predicate with a batched carry (fixed trip count)', () => {
    const f = (x: Arr) => lax.whileLoop((c: [Arr, Arr]) => c[0].lt(5), (c: [Arr, Arr]) => [c[0].add(1), np.sin(c[1]).add(c[1])] as [Arr, Arr], [i32(0), x] as [Arr, Arr])[1]
    const X = randn(rng, [3, 2])
    const ref = (x: Arr) => { let y = x; for (let i = 0; i < 5; i++) y = np.sin(y).add(y); return y }
    expectClose(vmap(f)(X), ref(X), 'vmap')
    expectClose(jvp(vmap(f), [X], [np.onesLike(X)]), jvp(ref, [X], [np.onesLike(X)]), 'jvp(vmap)')
  })
})

describe('foriLoop with traced bounds is a while loop', () => {
  const rng = makeRng(32)
  const step = (x: Arr) => (i: Arr, c: Arr) => c.mul(np.cos(x.mul(i.astype('float64')))).add(x)
  const ref = (s: Arr, x: Arr, c0: Arr) => {
    const [lo, hi] = s.tolist() as number[]
    let c = c0
    for (let i = lo; i < hi; i++) c = step(x)(i32(i), c)
    return c
  }
  const g = (s: Arr, x: Arr, c0: Arr) => lax.foriLoop(np.take(s, i32(0)), np.take(s, i32(1)), step(x), c0)
  it('eval, jit, jvp, and vmap over per-lane bounds', () => {
    const bounds = [[1, 6], [0, 0], [3, 4], [2, 9], [7, 3]]
    const draw = () => [randn(rng, []), randn(rng, [2])]
    const s = np.array([1, 6], { dtype: 'int32' })
    expectAgree('foriLoop traced', { f: g, ref, s, xs: draw(), batch: bounds.map((b) => ({ s: np.array(b, { dtype: 'int32' }), xs: draw() })), checks: ['eval', 'jit', 'jvp', 'vmap'] })
    const [x, c0] = draw()
    expectClose(jacfwd((v: Arr) => g(s, x, v))(c0), jacfwd((v: Arr) => ref(s, x, v))(c0), 'jacfwd')
    // a traced upper bound with a static lower one
    expectClose(jit((n: Arr, v: Arr) => lax.foriLoop(1, n, step(x), v))(i32(6), c0), ref(s, x, c0), 'foriLoop(1, traced)')
  })
})
