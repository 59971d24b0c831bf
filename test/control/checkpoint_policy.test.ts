/**
 * Checkpoint policies of lax.scan / foriLoop / bounded whileLoop: every policy gives the
 * 'store' gradients bit for bit (float64), eagerly and under jit, vmap, hvp and second-order
 * reverse mode; the stored arrays shrink as the policy says; forward mode, vmap and jit of
 * the same loop are untouched by the policy.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, grad, hvp, jacfwd, jit, jvp, lax, makeJaxpr, np, vmap } from '../../src'
import type { CheckpointPolicy } from '../../src/ir/params'
import { segmentLengths } from '../../src/higher/remat'
import { countSteps, revolveAdvances } from '../../bench/memory/stepcount'

const POLICIES: CheckpointPolicy[] = ['recompute', 'sqrt', { binomial: 3 }, { binomial: 5 }, { binomial: 40 }]

/** The float64 words of a pytree of arrays, for bitwise comparison. */
const words = (xs: unknown): string =>
  (Array.isArray(xs) ? xs : [xs]).map((x) => Array.from(new Uint32Array(new Float64Array((x as Arr).toTypedArray()).buffer)).join(' ')).join(' | ')

const expectBitwise = (f: (p: CheckpointPolicy) => unknown, what: string): void => {
  const want = words(f('store'))
  for (const p of POLICIES) expect(words(f(p)), `${what} ${JSON.stringify(p)}`).toBe(want)
}

const x0 = np.array([0.1, 0.7, -1.1])
const th = np.array([0.3, -0.2, 0.5])

// a foriLoop whose body uses the parameter twice (so its cotangent is a sum of terms)
const fori = (p: CheckpointPolicy, n = 37) => (x: Arr, t: Arr) =>
  lax.foriLoop(0, n, (i: Arr, c: Arr) => c.mul(0.99).add(np.sin(c.mul(t)).mul(0.05)).add(t.mul(i.astype('float64')).mul(1e-3)), x, { checkpoint: p }).mul(x).sum()

// a scan with xs and ys, forward and reversed
const withXs = (p: CheckpointPolicy, reverse: boolean, n = 29) => (x: Arr, t: Arr) => {
  const xs = np.cos(np.arange(n).astype('float64').reshape([n, 1]).mul(t))
  const [c, ys] = lax.scan((c: Arr, xi: Arr) => [c.mul(0.9).add(np.sin(c.mul(xi)).mul(t)), c.mul(xi).sum()] as [Arr, Arr], x, xs, { checkpoint: p, reverse })
  return c.sum().add(np.sin(ys).sum())
}

// a bounded while loop (Newton's iteration for the cube root of each entry of a)
const newton = (p: CheckpointPolicy) => (a: Arr, t: Arr) =>
  lax.whileLoop(
    (c: [Arr, Arr]) => c[1].gt(1e-13),
    (c: [Arr, Arr]) => {
      const dx = c[0].mul(c[0]).mul(c[0]).sub(a.mul(a).add(t)).div(c[0].mul(c[0]).mul(3))
      return [c[0].sub(dx), np.abs(dx).max()] as [Arr, Arr]
    },
    [np.onesLike(a).mul(2), np.array(1)] as [Arr, Arr],
    { maxSteps: 60, checkpoint: p },
  )[0].sum()

describe('checkpoint policies give the store gradients bit for bit', () => {
  it('foriLoop: grad, jit(grad), vmap(grad)', () => {
    expectBitwise((p) => grad(fori(p), { argnums: [0, 1] })(x0, th), 'grad')
    expectBitwise((p) => jit(grad(fori(p), { argnums: [0, 1] }))(x0, th), 'jit(grad)')
    const X = np.stack([x0, x0.mul(2), x0.neg()])
    expectBitwise((p) => vmap(grad(fori(p, 12)), { inAxes: [0, null] })(X, th), 'vmap(grad)')
  })
  it('scan with xs and ys, forward and reversed', () => {
    for (const reverse of [false, true]) {
      expectBitwise((p) => grad(withXs(p, reverse), { argnums: [0, 1] })(x0, th), `grad reverse=${reverse}`)
      expectBitwise((p) => jit(grad(withXs(p, reverse), { argnums: [0, 1] }))(x0, th), `jit(grad) reverse=${reverse}`)
    }
  })
  it('bounded whileLoop', () => {
    const a = np.array([2, 5, 0.5])
    expectBitwise((p) => grad(newton(p), { argnums: [0, 1] })(a, np.array(0.25)), 'grad')
    // ∂/∂a of Σ (a² + t)^(1/3) = (2a/3)(a² + t)^(−2/3)
    expect(grad(newton({ binomial: 4 }))(a, np.array(0.25)).tolist()).toEqual(
      [2, 5, 0.5].map((v) => expect.closeTo((2 * v / 3) * Math.pow(v * v + 0.25, -2 / 3), 12)),
    )
  })
  it('second order: hvp (forward over reverse) bit for bit; grad of grad to rounding', () => {
    const v = np.array([1, -0.5, 0.25])
    expectBitwise((p) => hvp((x: Arr) => fori(p, 15)(x, th), [x0], [v]), 'hvp')
    // reverse over reverse differentiates each schedule's own program: the same terms, summed
    // in a schedule-dependent order
    const gg = (p: CheckpointPolicy) => grad((t: Arr) => grad(fori(p, 9), { argnums: 0 })(x0, t).sum())(th).tolist() as number[]
    const want = gg('store')
    for (const p of POLICIES) expect(gg(p).map((g, i) => Math.abs(g - want[i]) <= 1e-13 * Math.abs(want[i])), JSON.stringify(p)).toEqual([true, true, true])
  })
})

describe('what a policy stores, and what it leaves alone', () => {
  /** The largest leading axis among f64[..., 3] arrays in the jaxpr's text (stored residuals). */
  const maxRows = (text: string): number => Math.max(0, ...[...text.matchAll(/f64\[(\d+),3\]/g)].map((m) => Number(m[1])))
  it('store keeps one row per step; sqrt and binomial keep segments', () => {
    const f = (p: CheckpointPolicy) => (x: Arr) => fori(p, 400)(x, th)
    expect(maxRows(String(makeJaxpr(grad(f('store')))(x0)))).toBe(400)
    expect(maxRows(String(makeJaxpr(grad(f('sqrt')))(x0)))).toBe(20)
    expect(maxRows(String(makeJaxpr(grad(f({ binomial: 12 })))(x0)))).toBeLessThanOrEqual(12)
    expect(maxRows(String(makeJaxpr(grad(f('recompute')))(x0)))).toBeLessThanOrEqual(1)
  })
  it('segment lengths: at most `snapshots` carries, the fewest levels', () => {
    expect(segmentLengths({ binomial: 100 }, 1e6)).toEqual([16 ** 4, 16 ** 3, 16 ** 2, 16])
    expect(segmentLengths({ binomial: 100 }, 50)).toEqual([])
    expect(segmentLengths('sqrt', 400)).toEqual([20])
    expect(segmentLengths({ binomial: 4 }, 1000)).toEqual([512, 256, 128, 64, 32, 16, 8, 4, 2])
  })
  it('the steps each schedule runs: advances, taped and adjoint steps', () => {
    const steps = (p: CheckpointPolicy, n: number) =>
      countSteps(makeJaxpr(grad((x: Arr) => lax.foriLoop(0, n, (_i: Arr, c: Arr) => c.mul(0.999).add(np.sin(c).mul(1e-3)), x, { checkpoint: p }).sum()))(x0).jaxpr)
    expect(steps('store', 1000)).toEqual({ advances: 0, taped: 1000, adjoint: 1000 })
    // 20 segments of 20: the starts of segments 2…20 (the last segment's end is never needed)
    expect(steps('sqrt', 400)).toEqual({ advances: 19 * 20, taped: 400, adjoint: 400 })
    // 4 levels of 16 segments over 16⁵ steps: each level advances through 15 of its 16 segments
    const n = 16 ** 5
    expect(steps({ binomial: 80 }, n)).toEqual({ advances: 4 * 15 * 16 ** 4, taped: n, adjoint: n })
    // a remainder (10 = 2·4 + 2) is reached by advancing through every full segment before it
    expect(segmentLengths({ binomial: 8 }, 10)).toEqual([4])
    expect(steps({ binomial: 8 }, 10)).toEqual({ advances: 8, taped: 10, adjoint: 10 })
    // revolve (Griewank–Walther): r = 4 for 100 snapshots over 10⁶ steps, 4·10⁶ − C(104, 3) advances
    expect(revolveAdvances(100, 1e6)).toBe(4e6 - (104 * 103 * 102) / 6)
    expect(revolveAdvances(1, 3)).toBe(3)
  })
  it('forward mode, vmap and jit are unchanged', () => {
    const plain = fori('store', 30)
    for (const p of POLICIES) {
      const f = fori(p, 30)
      expect(words(f(x0, th))).toBe(words(plain(x0, th)))
      expect(words(jit(f)(x0, th))).toBe(words(plain(x0, th)))
      expect(words(jvp((x: Arr) => f(x, th), [x0], [th])[1])).toBe(words(jvp((x: Arr) => plain(x, th), [x0], [th])[1]))
      expect(words(jacfwd((t: Arr) => f(x0, t))(th))).toBe(words(jacfwd((t: Arr) => plain(x0, t))(th)))
      expect(words(vmap((x: Arr) => f(x, th))(np.stack([x0, th])))).toBe(words(vmap((x: Arr) => plain(x, th))(np.stack([x0, th]))))
      // one scan, no more, in the forward program
      expect(String(makeJaxpr((x: Arr) => jvp((y: Arr) => f(y, th), [x], [x])[1])(x0)).match(/= scan/g)?.length).toBe(1)
    }
  })
  it('bad policies are clear errors', () => {
    const body = (c: Arr) => [c.add(1), null] as [Arr, null]
    expect(() => lax.scan(body, np.array(0), null, { length: 3, checkpoint: 'every' as never })).toThrow(/checkpoint must be 'store', 'recompute', 'sqrt' or \{ binomial: snapshots \}/)
    expect(() => lax.scan(body, np.array(0), null, { length: 3, checkpoint: { binomial: 0 } })).toThrow(/positive integer/)
    expect(() => lax.foriLoop(0, 3, (_i: Arr, c: Arr) => c, np.array(0), { checkpoint: { snapshots: 3 } as never })).toThrow(/lax\.foriLoop/)
  })
})
