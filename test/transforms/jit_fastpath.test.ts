/**
 * A jitted function called again with its previous call's signature skips building the cache
 * key (src/transforms/lastcall.ts). Every difference between two consecutive calls — shape,
 * dtype, weak type, static argument, pytree structure, argument count — must still give a
 * fresh, correct result (and trace again where the full key differs).
 */
import { describe, expect, it } from 'vitest'
import { ArgumentTypeError, DonatedArrayError, ValueError, grad, jit, lax, makeJaxpr, np } from '../../src'
import type { Array } from '../../src'
import { compileJaxpr, stats } from '../../src/backend'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'

const vals = (a: Array) => a.tolist() as number[]
/** A JS number or boolean as a leaf: jit makes it a weakly typed 0-d array (a bool for a boolean). */
const lit = (v: number | boolean) => v as unknown as Array

describe('jit: consecutive calls with a changed signature', () => {
  it('a new shape traces again and computes on the new input', () => {
    const f = jit((x: Array) => x.mul(x).sum())
    expect(f(np.array([1, 2])).item()).toBe(5)
    expect(f(np.array([1, 2])).item()).toBe(5)
    expect(f(np.array([1, 2, 3])).item()).toBe(14)
    expect(f(np.array([[1, 2], [3, 4]])).item()).toBe(30)
    expect(f(np.array([1, 2, 3])).item()).toBe(14)
    expect(f.traceCount).toBe(3)
    // same rank and size, other shape: [2, 3] after [3, 2]
    const g = jit((x: Array) => x.sum(1))
    expect(vals(g(np.array([[1, 2], [3, 4], [5, 6]])))).toEqual([3, 7, 11])
    expect(vals(g(np.array([[1, 2, 3], [4, 5, 6]])))).toEqual([6, 15])
  })

  it('a new dtype traces again: float32 after float64 computes in float32', () => {
    const f = jit((x: Array) => x.mul(x))
    const e = 2 ** -30 // 1 + e is a float64 but rounds to 1 in float32
    expect(vals(f(np.array([1 + e], { dtype: 'float64' })))).toEqual([(1 + e) * (1 + e)])
    expect(vals(f(np.array([1 + e], { dtype: 'float64' })))).toEqual([(1 + e) * (1 + e)])
    const y = f(np.array([1 + e], { dtype: 'float32' }))
    expect(y.dtype).toBe('float32')
    expect(vals(y)).toEqual([1])
    const i = f(np.array([3], { dtype: 'int32' }))
    expect(i.dtype).toBe('int32')
    expect(vals(i)).toEqual([9])
    expect(f.traceCount).toBe(3)
  })

  it('a weak scalar (JS number) and a strong float64 0-d array are different signatures', () => {
    // the traced function sees the weak type: JS numbers are weakly typed, np.array(0.5) is not
    const f = jit((x: Array) => (x.weakType ? x.add(10) : x.add(20)))
    expect(f(lit(0.5)).item()).toBe(10.5)
    expect(f(lit(0.25)).item()).toBe(10.25)
    expect(f(np.array(0.5)).item()).toBe(20.5)
    expect(f(lit(0.75)).item()).toBe(10.75)
    expect(f.traceCount).toBe(2)
    // a boolean leaf is bool, not a number
    const g = jit((b: Array) => b.astype('float64').add(b.dtype === 'bool' ? 1 : 100))
    expect(g(lit(1)).item()).toBe(101)
    expect(g(lit(true)).item()).toBe(2)
    expect(g(lit(1)).item()).toBe(101)
    expect(g.traceCount).toBe(2)
  })

  it('a changed static number, string or function traces again', () => {
    const f = jit((x: Array, k: number) => x.mul(k), { staticArgnums: 1 })
    const x = np.array([1, 2])
    expect(vals(f(x, 2))).toEqual([2, 4])
    expect(vals(f(x, 2))).toEqual([2, 4])
    expect(vals(f(x, 3))).toEqual([3, 6])
    expect(vals(f(x, 2))).toEqual([2, 4])
    expect(f.traceCount).toBe(2)
    const g = jit((x: Array, op: (a: Array) => Array) => op(x), { staticArgnums: 1 })
    expect(vals(g(x, np.negative))).toEqual([-1, -2])
    expect(vals(g(x, np.square))).toEqual([1, 4])
  })

  it('a static plain object mutated in place between calls is read again', () => {
    const f = jit((x: Array, cfg: { k: number; list: number[] }) => x.mul(cfg.k).add(cfg.list.length), { staticArgnums: 1 })
    const x = np.array([1, 2])
    const cfg = { k: 2, list: [0] }
    expect(vals(f(x, cfg))).toEqual([3, 5])
    cfg.k = 10
    expect(vals(f(x, cfg))).toEqual([11, 21])
    cfg.list.push(0)
    expect(vals(f(x, cfg))).toEqual([12, 22])
    expect(f.traceCount).toBe(3)
    // a structurally equal new object has the same key: no trace
    expect(vals(f(x, { k: 10, list: [0, 0] }))).toEqual([12, 22])
    expect(f.traceCount).toBe(3)
  })

  it('a static class instance keeps comparing by identity', () => {
    class Scale {
      constructor(public k: number) {}
    }
    const f = jit((x: Array, s: Scale) => x.mul(s.k), { staticArgnums: 1 })
    const x = np.array([1, 2])
    const s = new Scale(2)
    expect(vals(f(x, s))).toEqual([2, 4])
    expect(vals(f(x, new Scale(3)))).toEqual([3, 6])
    expect(f.traceCount).toBe(2)
    // a class instance whose prototype becomes Object.prototype turns into a plain object, keyed by value
    const t = new Scale(4)
    expect(vals(f(x, t))).toEqual([4, 8])
    Object.setPrototypeOf(t, Object.prototype)
    expect(vals(f(x, t))).toEqual([4, 8])
    t.k = 5
    expect(vals(f(x, t))).toEqual([5, 10])
  })

  it('a changed pytree structure traces again and reads the right leaves', () => {
    const f = jit((t: Record<string, Array>) => Object.keys(t).reduce((acc, k, i) => acc.add(t[k].mul(10 ** i)), np.array(0)))
    const [a, b] = [np.array(1), np.array(2)]
    expect(f({ a, b }).item()).toBe(21)
    // the same keys in another order: the same structure (keys are sorted)
    expect(f({ b: a, a: b }).item()).toBe(12)
    expect(f.traceCount).toBe(1)
    expect(f({ a, c: b }).item()).toBe(21)
    expect(f({ a }).item()).toBe(1)
    expect(f({ a, b, c: a }).item()).toBe(121)
    expect(f.traceCount).toBe(4)
    const g = jit((t: unknown[]) => (t as Array[]).flat().reduce((acc: Array, y) => acc.add(y as Array), np.array(0)))
    expect(g([a, b]).item()).toBe(3)
    expect(g([a, [b]] as never).item()).toBe(3)
    expect(g([a, b, b]).item()).toBe(5)
    expect(g([a, b]).item()).toBe(3)
    expect(g.traceCount).toBe(3)
    // null and undefined are different empty nodes
    const h = jit((t: { x: Array; y: null | undefined }) => (t.y === null ? t.x.add(1) : t.x.add(2)))
    expect(h({ x: a, y: null }).item()).toBe(2)
    expect(h({ x: a, y: undefined }).item()).toBe(3)
    expect(h({ x: a, y: null }).item()).toBe(2)
  })

  it('a different number of arguments traces again', () => {
    const f = jit((...xs: Array[]) => xs.reduce((s, y) => s.add(y), np.array(0)))
    expect(f(np.array(1)).item()).toBe(1)
    expect(f(np.array(1), np.array(2)).item()).toBe(3)
    expect(f(np.array(1)).item()).toBe(1)
    expect(f.traceCount).toBe(2)
  })

  it('bad arguments after good calls still get their errors', () => {
    const f = jit((x: Array, k: number) => x.mul(k), { staticArgnums: 1 })
    const x = np.array([1, 2])
    f(x, 2)
    f(x, 2)
    expect(() => (f as unknown as (x: Array) => Array)(x)).toThrow(ValueError)
    const g = jit((x: Array) => x.add(1))
    g(x)
    expect(() => g('1' as never)).toThrow(ArgumentTypeError)
    expect(vals(g(x))).toEqual([2, 3])
  })

  it('a traced call after concrete ones (grad of the jitted function) differentiates it', () => {
    const f = jit((x: Array) => np.sin(x).mul(x))
    expect(f(np.array(0.5)).item()).toBeCloseTo(Math.sin(0.5) * 0.5, 15)
    expect(f(np.array(0.5)).item()).toBeCloseTo(Math.sin(0.5) * 0.5, 15)
    // d(x sin x) = sin x + x cos x
    expect(grad(f)(np.array(0.5)).item()).toBeCloseTo(Math.sin(0.5) + 0.5 * Math.cos(0.5), 14)
    expect(f(np.array(0.7)).item()).toBeCloseTo(Math.sin(0.7) * 0.7, 15)
  })
})

/**
 * A program compiled whole (one function: small values, loops inside) allocates its outputs
 * for each call; their Arrays record who holds their buffer only when the buffer is handed out
 * (src/core/array.ts). Donation must still never reuse a buffer something else holds.
 */
describe('outputs of a program compiled whole, and donation', () => {
  // x ↦ 2³·x + 3, in a loop (so the program is compiled whole)
  const body = (x: Array) => lax.foriLoop(0, 3, (_i: Array, c: Array) => c.mul(2), x).add(3)
  const js = (v: number[]) => v.map((y) => 8 * y + 3)

  it('the jitted program is compiled whole', () => {
    const x = np.array([1, 2, 3, 4])
    const program = compileJaxpr(optimize(hoistConsts(makeJaxpr(body)(x).jaxpr), { all: true }))
    expect(program.whole).not.toBeNull()
  })

  it('a loop x = step(x) reuses the donated buffers and computes every step', () => {
    const step = jit(body, { donateArgnums: 0 })
    let want = [1, 2, 3, 4]
    let x = step(np.array(want))
    want = js(want)
    const before = stats.outputBytesReused
    for (let i = 0; i < 5; i++) {
      expect(vals(x)).toEqual(want) // reading values holds nothing: the buffer stays reusable
      x = step(x)
      want = js(want)
    }
    expect(vals(x)).toEqual(want)
    expect(stats.outputBytesReused - before).toBe(5 * 4 * 8)
  })

  it('a view handed out, or an eager reshape sharing the buffer, keeps its values after donation', () => {
    const step = jit(body, { donateArgnums: 0 })
    const x = step(np.array([1, 2, 3, 4]))
    const view = x.toTypedArray({ copy: false })
    const y = step(np.array([5, 6, 7, 8]))
    const alias = y.reshape([2, 2]) // shares y's buffer
    let z = step(x) // x donated: its buffer is the view's, so it is not kept
    z = step(y) // y donated: its buffer is the alias's, so it is not kept
    for (let i = 0; i < 4; i++) z = step(z)
    expect([...view]).toEqual(js([1, 2, 3, 4]))
    expect(alias.tolist()).toEqual([js([5, 6]), js([7, 8])])
    expect(() => x.tolist()).toThrow(DonatedArrayError)
    expect(vals(z).length).toBe(4)
  })

  it('outputs of one call are distinct buffers: donating one leaves the other intact', () => {
    const two = jit((x: Array) => [body(x), body(x)] as const, { donateArgnums: 0 })
    const [a, b] = two(np.array([1, 2]))
    const step = jit(body, { donateArgnums: 0 })
    let c = step(a)
    for (let i = 0; i < 3; i++) c = step(c)
    expect(vals(b)).toEqual(js([1, 2]))
  })
})

describe('outputs of a program run kernel by kernel, and donation', () => {
  const step = jit((x: Array) => x.mul(3), { donateArgnums: 0 })

  it('the same value returned twice is one buffer: donating one output leaves the other intact', () => {
    const twice = jit((x: Array) => {
      const y = x.mul(3)
      return [y, y, x] as const
    })
    const [a, b, c] = twice(np.array([1, 2]))
    let d = step(a)
    for (let i = 0; i < 3; i++) d = step(d)
    expect(vals(b)).toEqual([3, 6])
    let e = step(c) // the input returned as an output
    for (let i = 0; i < 3; i++) e = step(e)
    expect(vals(b)).toEqual([3, 6])
    expect(vals(d)).toEqual([3 ** 5, 2 * 3 ** 5])
  })

  it('a view handed out, or an eager reshape, keeps its values after donation', () => {
    const x = step(np.array([1, 2, 3, 4]))
    const view = x.toTypedArray({ copy: false })
    const y = step(np.array([5, 6, 7, 8]))
    const alias = y.reshape([2, 2])
    let z = step(x)
    z = step(y)
    for (let i = 0; i < 4; i++) z = step(z)
    expect([...view]).toEqual([3, 6, 9, 12])
    expect(alias.tolist()).toEqual([[15, 18], [21, 24]])
  })

  it('a donating loop reuses its buffers and computes every step', () => {
    let x = step(np.array([1, 2, 3, 4]))
    const before = stats.outputBytesReused
    for (let i = 0; i < 4; i++) x = step(x)
    expect(vals(x)).toEqual([1, 2, 3, 4].map((v) => v * 3 ** 5))
    expect(stats.outputBytesReused - before).toBe(4 * 4 * 8)
  })
})
