import { describe, expect, it } from 'vitest'
import { np, jit } from '../../src'
import type { Array } from '../../src'
import { staticKey } from '../../src/transforms/statickey'

const x = np.array([0.5, 1.5])
const vals = (a: Array) => a.tolist() as number[]

describe('jit static-argument cache keys', () => {
  it('functions inside a static object compare by identity', () => {
    const layer = jit((v: Array, cfg: { act: (a: Array) => Array }) => cfg.act(v), { staticArgnums: 1 })
    expect(vals(layer(x, { act: np.sin }))).toEqual([Math.sin(0.5), Math.sin(1.5)])
    expect(vals(layer(x, { act: np.cos }))).toEqual([Math.cos(0.5), Math.cos(1.5)])
    expect(layer.traceCount).toBe(2)
    // a structurally equal plain object with the same function hits the cache
    layer(x, { act: np.cos })
    expect(layer.traceCount).toBe(2)
  })

  it('class instances and Maps compare by identity, so different fields retrace', () => {
    class Scale { constructor(readonly k: number) {} }
    const f = jit((v: Array, s: Scale) => v.mul(s.k), { staticArgnums: 1 })
    expect(vals(f(x, new Scale(2)))).toEqual([1, 3])
    expect(vals(f(x, new Scale(3)))).toEqual([1.5, 4.5])
    const g = jit((v: Array, m: Map<string, number>) => v.mul(m.get('k') ?? 0), { staticArgnums: 1 })
    expect(vals(g(x, new Map([['k', 2]])))).toEqual([1, 3])
    expect(vals(g(x, new Map([['k', 4]])))).toEqual([2, 6])
    const same = new Scale(5)
    f(x, same)
    const before = f.traceCount
    f(x, same)
    expect(f.traceCount).toBe(before)
  })

  it('numbers compare with Object.is: -0 and 0 differ, NaN equals NaN', () => {
    const f = jit((v: Array, c: number) => v.mul(0).add(1 / c), { staticArgnums: 1 })
    expect(vals(f(x, 0))).toEqual([Infinity, Infinity])
    expect(vals(f(x, -0))).toEqual([-Infinity, -Infinity])
    const n = f.traceCount
    f(x, NaN)
    f(x, NaN)
    expect(f.traceCount).toBe(n + 1)
  })

  it('{k: NaN} differs from {k: null}', () => {
    const f = jit((v: Array, o: { k: number | null }) => v.mul(0).add(o.k === null ? 7 : o.k), { staticArgnums: 1 })
    expect(vals(f(x, { k: null }))).toEqual([7, 7])
    expect(vals(f(x, { k: NaN }))).toEqual([NaN, NaN])
  })

  it('strings containing separators and look-alike structures do not collide', () => {
    const f = jit((v: Array, a: string, b: string) => v.mul(a.length).add(b.length), { staticArgnums: [1, 2] })
    // 'x|2=string:y' + 'z' and 'x' + 'y|2=string:z' would join to the same text
    expect(vals(f(x, 'x|2=string:y', 'z'))).toEqual([0.5 * 12 + 1, 1.5 * 12 + 1])
    expect(vals(f(x, 'x', 'y|2=string:z'))).toEqual([0.5 + 12, 1.5 + 12])
    expect(staticKey(['a,b'])).not.toBe(staticKey(['a', 'b']))
    expect(staticKey({ 'a: null, b': 1 })).not.toBe(staticKey({ a: null, b: 1 }))
    expect(staticKey(1)).not.toBe(staticKey('1'))
    expect(staticKey({ a: [1, 2] })).toBe(staticKey({ a: [1, 2] }))
  })

  it('pytree keys that print alike are different structures', () => {
    const f = jit((t: Record<string, Array | null>) => Object.keys(t).length, {})
    // {"a: null, b": x} printed naively reads like {a: null, b: x}
    const one = f({ 'a: null, b': x }) as unknown as Array
    const two = f({ a: null, b: x }) as unknown as Array
    expect(Number(one)).toBe(1)
    expect(Number(two)).toBe(2)
  })

  it('a cyclic static object keys by identity instead of looping', () => {
    const cyc: { self?: unknown; k: number } = { k: 2 }
    cyc.self = cyc
    const f = jit((v: Array, c: { k: number }) => v.mul(c.k), { staticArgnums: 1 })
    expect(vals(f(x, cyc))).toEqual([1, 3])
  })
})
