/**
 * lax.cond and lax.switch against a JS `if` / an indexed JS call, under eval, jit, jvp, grad,
 * grad∘grad, vmap (per-lane predicates) and jit∘vmap; random branch bodies from arb.program
 * checked by the laws; clamped switch indices; and the masking of untaken branches under vmap.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Array as Arr, grad, hessian, jacfwd, jit, jvp, lax, np, vmap } from '../../src'
import { arb, laws } from '../../laws'
import { expectAgree, expectClose, makeRng, randn } from './agree'

const bool = (b: boolean) => np.array(b)
const i32 = (i: number) => np.array(i, { dtype: 'int32' })

describe('cond agrees with a JS if', () => {
  it('pytree operands and outputs, closed-over values, a batched predicate', () => {
    const rng = makeRng(1)
    const w = randn(rng, [3])
    const t = (o: { a: Arr; b: [Arr] }, c: Arr) => ({ u: np.sin(o.a).mul(c), v: [o.b[0].mul(o.a.sum()), c.mul(w)] })
    const e = (o: { a: Arr; b: [Arr] }, c: Arr) => ({ u: o.a.mul(o.a).sub(c), v: [np.exp(o.b[0].mul(0.3)), np.tanh(c).add(w)] })
    const f = (p: Arr, a: Arr, b: Arr, c: Arr) => lax.cond(p, t, e, { a, b: [b] }, c)
    const ref = (p: Arr, a: Arr, b: Arr, c: Arr) => (p.item() ? t : e)({ a, b: [b] }, c)
    const draw = () => [randn(rng, [3]), randn(rng, [2, 2]), randn(rng, [3])]
    for (const p of [true, false]) {
      expectAgree(`cond(${p})`, { f, ref, s: bool(p), xs: draw(), batch: [true, false, false, true].map((q) => ({ s: bool(q), xs: draw() })) })
    }
  })

  it('branches with no operands (everything closed over) and a JS-number branch output', () => {
    const rng = makeRng(2)
    const f = (p: Arr, x: Arr, y: Arr) => lax.cond(p, () => np.sin(x).mul(y).sum(), () => 0.5, )
    const ref = (p: Arr, x: Arr, y: Arr) => (p.item() ? np.sin(x).mul(y).sum() : np.array(0.5))
    for (const p of [true, false]) {
      expectAgree(`closure cond(${p})`, { f, ref, s: bool(p), xs: [randn(rng, [4]), randn(rng, [4])], batch: [true, false, true].map((q) => ({ s: bool(q), xs: [randn(rng, [4]), randn(rng, [4])] })) })
    }
    expect(f(bool(false), np.ones([4]), np.ones([4])).dtype).toBe('float64')
  })

  it('random branch bodies (arb.program): agreement and the derivative laws', () => {
    const progs = fc.sample(arb.program({ numInputs: 2, output: 'array', shape: [2, 3], maxOps: 4 }), { numRuns: 6, seed: 11 })
    const rng = makeRng(3)
    for (let k = 0; k + 1 < progs.length; k += 2) {
      const [T, F] = [progs[k], progs[k + 1]]
      const f = (p: Arr, a: Arr, b: Arr) => lax.cond(p, T.fn, F.fn, a, b)
      const ref = (p: Arr, a: Arr, b: Arr) => (p.item() ? T.fn : F.fn)(a, b)
      const draw = () => [randn(rng, [2, 3]), randn(rng, [2, 3])]
      const name = `cond(p, ${T.text} | ${F.text})`
      expectAgree(name, { f, ref, s: bool(k % 4 === 0), xs: draw(), batch: [false, true, true].map((q) => ({ s: bool(q), xs: draw() })), rtol: 1e-9 })
      // the laws with the predicate as an argument (so their vmap law batches it too)
      laws.differentiable(f, fc.tuple(fc.boolean().map(bool), ...[0, 1].map(() => arb.array({ shape: [2, 3], min: -1.5, max: 1.5 }))), { numRuns: 3, seed: k })
    }
  })
})

describe('switch', () => {
  const branches = [
    (x: Arr, y: Arr) => [np.sin(x).mul(y), y],
    (x: Arr, y: Arr) => [x.mul(x), np.cos(y)],
    (x: Arr, y: Arr) => [np.exp(x.mul(0.5)), x.add(y).mul(y)],
  ]
  const f = (i: Arr, x: Arr, y: Arr) => lax.switch(i, branches, x, y)
  // out-of-range indices are clamped to the first/last branch
  const ref = (i: Arr, x: Arr, y: Arr) => branches[Math.min(Math.max(i.item() as number, 0), 2)](x, y)

  it('three branches and out-of-range indices agree with the clamped JS call', () => {
    const rng = makeRng(4)
    const draw = () => [randn(rng, [3]), randn(rng, [3])]
    for (const i of [-5, -1, 0, 1, 2, 3, 100]) {
      expectAgree(`switch(${i})`, { f, ref, s: i32(i), xs: draw(), batch: [-2, 0, 1, 2, 9].map((j) => ({ s: i32(j), xs: draw() })), checks: i === 1 ? undefined : ['eval', 'jit', 'jvp', 'grad'] })
    }
  })
  it('a JS-number index is clamped too', () => {
    const x = np.array([0.5, -1])
    const y = np.array([2, 3])
    expectClose(lax.switch(-4, branches, x, y), branches[0](x, y), 'switch(-4)')
    expectClose(lax.switch(4, branches, x, y), branches[2](x, y), 'switch(4)')
    expectClose(grad((v: Arr) => lax.switch(7, branches, v, y)[1].sum())(x), grad((v: Arr) => (branches[2](v, y)[1] as Arr).sum())(x), 'grad switch(7)')
  })
})

describe('vmap of cond with a batched predicate masks the untaken branch', () => {
  // Lanes with x ≤ 0 take the linear branch; sqrt / log of their x must not poison anything.
  const X = np.array([-1, 4, 0, 9, -0.5])
  const safe = (x: Arr) => lax.cond(x.gt(0), (a: Arr) => np.sqrt(a).add(np.log(a)), (a: Arr) => a.mul(a).mul(3), x)
  const d1 = X.tolist() as number[]
  const dWant = d1.map((x) => (x > 0 ? 0.5 / Math.sqrt(x) + 1 / x : 6 * x))
  const d2Want = d1.map((x) => (x > 0 ? -0.25 * x ** -1.5 - 1 / (x * x) : 6))

  it('values, grad, jacfwd, hessian and grad∘grad are finite and exact', () => {
    const vals = vmap(safe)(X).tolist() as number[]
    vals.forEach((v, i) => expect(v).toBeCloseTo(d1[i] > 0 ? Math.sqrt(d1[i]) + Math.log(d1[i]) : 3 * d1[i] ** 2, 12))
    const g = grad((x: Arr) => vmap(safe)(x).sum())(X)
    expectClose(g, np.array(dWant), 'grad')
    expectClose(jit(grad((x: Arr) => vmap(safe)(x).sum()))(X), np.array(dWant), 'jit(grad)')
    expectClose(vmap(grad(safe))(X), np.array(dWant), 'vmap(grad)')
    expectClose(jacfwd(vmap(safe))(X), np.eye(5).mul(np.array(dWant)), 'jacfwd')
    expectClose(hessian((x: Arr) => vmap(safe)(x).sum())(X), np.eye(5).mul(np.array(d2Want)), 'hessian')
    expectClose(vmap(grad(grad(safe)))(X), np.array(d2Want), 'vmap(grad(grad))')
    const [, t] = jvp(vmap(safe), [X], [np.ones([5])])
    expectClose(t, np.array(dWant), 'jvp')
  })
  it('closed-over parameters are masked too (their cotangent from untaken lanes is zero, not NaN)', () => {
    // d/dw Σ_lanes [x > 0 ? log(x·w) + sqrt(x·w) : x·w]
    const f = (w: Arr) => vmap((x: Arr) => lax.cond(x.gt(0), () => np.log(x.mul(w)).add(np.sqrt(x.mul(w))), () => x.mul(w)))(X).sum()
    const w = 1.5
    const want = d1.reduce((s, x) => s + (x > 0 ? 1 / w + 0.5 * Math.sqrt(x / w) : x), 0)
    expect(grad(f)(np.array(w)).item()).toBeCloseTo(want, 12)
    const want2 = d1.reduce((s, x) => s + (x > 0 ? -1 / w ** 2 - 0.25 * Math.sqrt(x) * w ** -1.5 : 0), 0)
    expect(grad(grad(f))(np.array(w)).item()).toBeCloseTo(want2, 12)
  })
  it('a batched integer switch index with out-of-range lanes', () => {
    const br = [(a: Arr) => np.sqrt(a), (a: Arr) => np.log(a.neg()), (a: Arr) => a.mul(2)]
    const idx = np.array([-3, 0, 1, 2, 5], { dtype: 'int32' })
    const x = np.array([-1, 4, -4, 0, -2])
    // lane 0 takes sqrt at −1 (clamped from −3): NaN is the right answer there; the other lanes
    // are finite even though sqrt/log of their values are NaN or infinite in untaken branches
    const g = vmap(grad((i: Arr, a: Arr) => lax.switch(i, br, a), { argnums: 1 }))(idx, x).tolist() as number[]
    expect(Number.isNaN(g[0])).toBe(true)
    expect(g.slice(1)).toEqual([0.25, -0.25, 2, 2])
  })
})
