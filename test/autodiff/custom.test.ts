/**
 * customJvp, customVjp and checkpoint: gradients in both modes, grad(grad) through them, vmap
 * of them and jit of them — each against the plain function or the closed form.
 */
import { describe, expect, it } from 'vitest'
import {
  type Array as Arr, NonDifferentiableError, checkpoint, customJvp, customVjp, grad, hessian, jacfwd, jacrev, jit, jvp,
  makeJaxpr, np, vjp, vmap,
} from '../../src'
import { checkGradsInternal, expectClose, f64, valuesOf } from './check'

const close = (got: unknown, want: unknown, rtol = 1e-12, what = 'value') =>
  expectClose(valuesOf(got), want instanceof Float64Array ? want : Array.isArray(want) ? Float64Array.from(want as number[]) : valuesOf(want), rtol, 1e-14, what)

const sig = (v: number): number => 1 / (1 + Math.exp(-v))

describe('customJvp', () => {
  // softplus with a user rule: d/dx log(1 + eˣ) = σ(x)
  const softplus = customJvp(
    (x: Arr) => np.log1p(np.exp(x)),
    ([x]: Arr[], [t]: Arr[]) => [np.log1p(np.exp(x)), t.mul(np.divide(1, np.exp(x.neg()).add(1)))],
  )
  const xs = [-1.5, 0, 0.8]
  const x = np.array(xs)

  it('forward and reverse mode use the rule', () => {
    close(jvp(softplus, [x], [np.array([1, 2, 3])])[1], xs.map((v, i) => (i + 1) * sig(v)))
    close(grad((v: Arr) => softplus(v).sum())(x), xs.map(sig))
    const [, pb] = vjp(softplus, [x])
    close(pb(np.array([1, -1, 2]))[0], xs.map((v, i) => [1, -1, 2][i] * sig(v)))
  })

  it('the rule really replaces the derivative (a deliberately different rule shows up in both modes)', () => {
    // gradient clipping: identity forward, derivative clipped to [−1, 1] times 10
    const clipped = customJvp((v: Arr) => v.mul(1), ([v]: Arr[], [t]: Arr[]) => [v.mul(1), np.clip(t.mul(10), -1, 1)])
    // the rule is linear only where the clip is not active; with unit tangents 10 is clipped to 1
    close(jvp(clipped, [np.array([3])], [np.array([1])])[1], [1])
    const tripled = customJvp((v: Arr) => np.sin(v), ([v]: Arr[], [t]: Arr[]) => [np.sin(v), np.cos(v).mul(t).mul(3)])
    close(grad((v: Arr) => tripled(v))(np.array(0.4)), [3 * Math.cos(0.4)])
    close(jvp(tripled, [np.array(0.4)], [np.array(1)])[1], [3 * Math.cos(0.4)])
  })

  it('grad(grad) through the rule (the rule is itself differentiated)', () => {
    close(grad(grad((v: Arr) => softplus(v)))(np.array(0.3)), [sig(0.3) * (1 - sig(0.3))])
    close(hessian((v: Arr) => softplus(v).sum())(x), [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => (i === j ? sig(xs[i]) * (1 - sig(xs[i])) : 0))))
    checkGradsInternal((v) => softplus(v), [f64(xs, [3])], { order: 2, label: 'customJvp softplus' })
  })

  it('vmap of it, vmap of its gradient, and jacobians', () => {
    const X = np.array([[0.1, -0.2], [1.5, 2], [-3, 0.4]])
    close(vmap(softplus)(X), (X.tolist() as number[][]).flat().map((v) => Math.log1p(Math.exp(v))))
    close(vmap(grad((v: Arr) => softplus(v).sum()))(X), (X.tolist() as number[][]).flat().map(sig))
    close(vmap(softplus, { inAxes: 1, outAxes: 1 })(X), (X.tolist() as number[][]).flat().map((v) => Math.log1p(Math.exp(v))))
    close(jacfwd(softplus)(x), valuesOf(jacrev(softplus)(x)))
    // a rule with two arguments, one of them unbatched
    const scale = customJvp((a: Arr, b: Arr) => a.mul(b), ([a, b]: Arr[], [ta, tb]: Arr[]) => [a.mul(b), ta.mul(b).add(a.mul(tb))])
    close(vmap(grad((a: Arr, b: Arr) => scale(a, b).sum()), { inAxes: [0, null] })(X, np.array([2, 3])), Array(6).fill(0).map((_, i) => [2, 3][i % 2]))
  })

  it('jit of it, grad of jit of it, jit of grad of it', () => {
    const f = (v: Arr) => softplus(v).mul(v).sum()
    const g = grad(f)(x)
    close(jit(f)(x), f(x))
    close(grad(jit(f))(x), g)
    close(jit(grad(f))(x), g)
    close(jit(vmap(grad(f)))(np.array([[0.1, 0.2, 0.3]])), valuesOf(grad(f)(np.array([0.1, 0.2, 0.3]))))
  })

  it('the jaxpr keeps the custom call (not inlined) until differentiated', () => {
    expect(String(makeJaxpr(softplus)(x))).toMatch(/custom_jvp_call/)
    expect(String(makeJaxpr(vmap(softplus))(np.array([[1, 2]])))).toMatch(/custom_jvp_call/)
  })
})

describe('customVjp', () => {
  // f(x, y) = x · sin(y), with a hand-written backward pass
  const f = customVjp(
    (x: Arr, y: Arr) => x.mul(np.sin(y)),
    (x: Arr, y: Arr) => [x.mul(np.sin(y)), [x, y]],
    ([x, y]: Arr[], ct: Arr) => [ct.mul(np.sin(y)), ct.mul(x).mul(np.cos(y))],
  )
  const plain = (x: Arr, y: Arr) => x.mul(np.sin(y))
  const x = np.array([0.5, -1.2, 2])
  const y = np.array([0.3, 1.1, -0.7])

  it('gradients for both arguments equal the plain function', () => {
    const loss = (fn: typeof plain) => (a: Arr, b: Arr) => fn(a, b).mul(a).sum()
    const [gx, gy] = grad(loss(f), { argnums: [0, 1] })(x, y) as Arr[]
    const [px, py] = grad(loss(plain), { argnums: [0, 1] })(x, y) as Arr[]
    close(gx, px)
    close(gy, py)
  })

  it('the bwd rule really is used', () => {
    const loud = customVjp((v: Arr) => np.exp(v), (v: Arr) => [np.exp(v), np.exp(v)], (r: Arr, ct: Arr) => [ct.mul(r).mul(5)])
    close(grad((v: Arr) => loud(v))(np.array(0.2)), [5 * Math.exp(0.2)])
  })

  it('grad(grad) through it (bwd is differentiated), and the Hessian', () => {
    const h = grad((a: Arr) => grad((b: Arr) => f(b, a).sum())(np.array([2])).sum())(np.array([0.3]))
    // d/da [d/db b·sin(a)] = cos(a)
    close(h, [Math.cos(0.3)])
    const hy = grad((b: Arr) => grad((bb: Arr) => f(x, bb).sum())(b).sum())(y)
    close(hy, valuesOf(grad((b: Arr) => grad((bb: Arr) => plain(x, bb).sum())(b).sum())(y)))
    close(jacrev(jacrev((b: Arr) => f(x, b).sum()))(y), valuesOf(jacrev(jacrev((b: Arr) => plain(x, b).sum()))(y)))
  })

  it('forward mode through it is a NonDifferentiableError (its rule only pulls back)', () => {
    expect(() => jvp((v: Arr) => f(v, y), [x], [np.ones([3])])).toThrow(NonDifferentiableError)
    expect(() => jacfwd((v: Arr) => f(v, y))(x)).toThrow(/forward-mode/)
  })

  it('vmap of it, vmap of its gradient (per-example), with an unbatched argument', () => {
    const X = np.array([[0.5, 1], [2, -1], [0.1, 0.2]])
    close(vmap(f, { inAxes: [0, null] })(X, np.array([0.3, 0.4])), valuesOf(vmap(plain, { inAxes: [0, null] })(X, np.array([0.3, 0.4]))))
    const gf = vmap(grad((a: Arr, b: Arr) => f(a, b).sum(), { argnums: [0, 1] }), { inAxes: [0, null] })(X, np.array([0.3, 0.4])) as Arr[]
    const gp = vmap(grad((a: Arr, b: Arr) => plain(a, b).sum(), { argnums: [0, 1] }), { inAxes: [0, null] })(X, np.array([0.3, 0.4])) as Arr[]
    expect(gf[1].shape).toEqual([3, 2])
    close(gf[0], gp[0])
    close(gf[1], gp[1])
    // and grad of a vmapped customVjp function
    close(grad((a: Arr) => vmap(f)(a, X).sum())(X), valuesOf(grad((a: Arr) => vmap(plain)(a, X).sum())(X)))
  })

  it('jit of it, grad of jit, jit of grad', () => {
    const loss = (a: Arr) => f(a, y).sum()
    const g = grad((a: Arr) => plain(a, y).sum())(x)
    close(jit(loss)(x), plain(x, y).sum())
    close(grad(jit(loss))(x), g)
    close(jit(grad(loss))(x), g)
    close(jit(vmap(grad(loss)))(np.stack([x, x])), valuesOf(np.stack([g, g])))
  })
})

describe('checkpoint', () => {
  const body = (x: Arr, w: Arr) => np.tanh(np.matmul(w, np.sin(x))).mul(x)
  const ck = checkpoint(body)
  const x = np.array([0.3, -0.4, 0.9])
  const w = np.array([[1, 0.5, -0.2], [0.1, -1, 0.3], [0.7, 0.2, 0.4]])

  it('gradients in both modes equal those of the plain function', () => {
    const loss = (fn: typeof body) => (a: Arr, b: Arr) => fn(a, b).sum()
    const [gx, gw] = grad(loss(ck), { argnums: [0, 1] })(x, w) as Arr[]
    const [px, pw] = grad(loss(body), { argnums: [0, 1] })(x, w) as Arr[]
    close(gx, px)
    close(gw, pw)
    close(jvp((a: Arr) => ck(a, w), [x], [np.array([1, 2, 3])])[1], valuesOf(jvp((a: Arr) => body(a, w), [x], [np.array([1, 2, 3])])[1]))
    checkGradsInternal((a, b) => ck(a, b), [f64([0.3, -0.4, 0.9], [3]), w as never], { order: 2, label: 'checkpoint' })
  })

  it('grad(grad) and hessian through it', () => {
    const H = hessian((a: Arr) => ck(a, w).sum())(x)
    close(H, valuesOf(hessian((a: Arr) => body(a, w).sum())(x)), 1e-11)
    close(grad((a: Arr) => grad((b: Arr) => ck(b, w).sum())(a).sum())(x), valuesOf(grad((a: Arr) => grad((b: Arr) => body(b, w).sum())(a).sum())(x)), 1e-11)
  })

  it('vmap of it and vmap of its gradient', () => {
    const X = np.array([[0.3, -0.4, 0.9], [1, 2, 3]])
    close(vmap(ck, { inAxes: [0, null] })(X, w), valuesOf(vmap(body, { inAxes: [0, null] })(X, w)))
    close(vmap(grad((a: Arr) => ck(a, w).sum()))(X), valuesOf(vmap(grad((a: Arr) => body(a, w).sum()))(X)))
  })

  it('jit of it and the staged backward pass recomputes instead of storing', () => {
    const loss = (a: Arr) => ck(a, w).sum()
    const g = grad((a: Arr) => body(a, w).sum())(x)
    close(jit(loss)(x), body(x, w).sum())
    close(grad(jit(loss))(x), g)
    close(jit(grad(loss))(x), g)
    const text = String(makeJaxpr(grad(loss))(x))
    // the gradient's jaxpr has a checkpoint call (the rematerialized part), not an inlined body
    expect(text).toMatch(/checkpoint\[/)
  })

  it('nested checkpoints', () => {
    const inner = checkpoint((a: Arr) => np.sin(a).mul(a))
    const outer = checkpoint((a: Arr) => inner(inner(a)).sum())
    const plainF = (a: Arr) => {
      const s = (b: Arr) => np.sin(b).mul(b)
      return s(s(a)).sum()
    }
    close(grad(outer)(x), valuesOf(grad(plainF)(x)))
    close(grad((a: Arr) => grad(outer)(a).sum())(x), valuesOf(grad((a: Arr) => grad(plainF)(a).sum())(x)), 1e-11)
    // an inner call whose primal output feeds a nonlinear op inside the outer checkpoint
    const outer2 = checkpoint((a: Arr) => np.sin(inner(a)).sum())
    close(grad(outer2)(x), valuesOf(grad((a: Arr) => np.sin(np.sin(a).mul(a)).sum())(x)))
    // jit inside checkpoint and checkpoint inside jit
    const viaJit = checkpoint((a: Arr) => np.sin(jit((b: Arr) => np.sin(b).mul(b))(a)).sum())
    close(grad(viaJit)(x), valuesOf(grad((a: Arr) => np.sin(np.sin(a).mul(a)).sum())(x)))
    close(grad(jit((a: Arr) => np.cos(inner(a)).sum()))(x), valuesOf(grad((a: Arr) => np.cos(np.sin(a).mul(a)).sum())(x)))
  })
})

describe('eager calls of custom-rule functions', () => {
  it('run f directly: the rule is traced only when a transformation needs it, with the same values', () => {
    let ruleTraces = 0
    const f = customJvp(
      (x: Arr) => np.sin(x).mul(2),
      ([x]: Arr[], [t]: Arr[]) => {
        ruleTraces++
        return [np.sin(x).mul(2), t.mul(np.cos(x)).mul(2)]
      },
    )
    const x = np.array([0.1, 0.7])
    const eager = f(x)
    expect(ruleTraces).toBe(0)
    close(eager, jit(f)(x))
    close(grad((v: Arr) => f(v).sum())(x), [2 * Math.cos(0.1), 2 * Math.cos(0.7)])
    expect(ruleTraces).toBeGreaterThan(0)
    let fwdTraces = 0
    const g = customVjp(
      (v: Arr) => v.mul(3),
      (v: Arr) => {
        fwdTraces++
        return [v.mul(3), null]
      },
      (_r: null, ct: Arr) => [ct.mul(3)],
    )
    close(g(x), [0.30000000000000004, 2.0999999999999996])
    expect(fwdTraces).toBe(0)
  })
})
