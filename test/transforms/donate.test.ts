/**
 * The data path of jitted calls: a returned Array owns its buffer (later calls never change
 * it), `toTypedArray({ copy: false })` reads an array without copying, and
 * `jit(f, { donateArgnums })` reuses a donated array's memory for a later output — the donated
 * array then throws a DonatedArrayError — so a loop `x = step(x)` allocates nothing per call.
 */
import { describe, expect, it } from 'vitest'
import { DonatedArrayError, ValueError, grad, jit, np, vmap } from '../../src'
import type { NDArray } from '../../src'
import { stats } from '../../src/backend'

const data = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sin(seed + 0.37 * i))

/** x ↦ x/2 + 1 − x²/8: each step computed independently below, in doubles. */
const stepOf = (x: NDArray) => x.mul(0.5).add(1).sub(x.mul(x).div(8))
const stepJs = (x: Float64Array) => x.map((v) => v * 0.5 + 1 - (v * v) / 8)

describe('a returned Array owns its buffer', () => {
  it('keeps its values after later calls of the same jitted function (with and without donation)', () => {
    for (const opts of [{}, { donateArgnums: 0 }]) {
      const f = jit(stepOf, opts)
      const a = f(np.array(data(600, 1)))
      const aValues = a.toTypedArray()
      let x = np.array(data(600, 2))
      for (let i = 0; i < 5; i++) x = f(x)
      const b = f(np.array(data(600, 3)))
      expect(a.toTypedArray()).toEqual(aValues)
      expect(aValues).toEqual(stepJs(data(600, 1)))
      expect(b.toTypedArray()).toEqual(stepJs(data(600, 3)))
    }
  })
})

describe('toTypedArray', () => {
  it('copies by default: writing into the copy does not change the array', () => {
    const x = np.array([1, 2, 3])
    const c = x.toTypedArray()
    c[0] = 99
    expect(x.tolist()).toEqual([1, 2, 3])
    expect(x.toTypedArray()).not.toBe(x.toTypedArray())
  })

  it('with { copy: false } returns the array’s own data, without copying', () => {
    const x = jit(stepOf)(np.array(data(300, 4)))
    const v = x.toTypedArray({ copy: false })
    expect(v).toBe(x.toTypedArray({ copy: false }))
    expect(v).toEqual(stepJs(data(300, 4)))
  })

  it('a view handed out stays valid: its buffer is never reused, even when its array is donated', () => {
    const f = jit(stepOf, { donateArgnums: 0 })
    const x = f(np.array(data(500, 5)))
    const view = x.toTypedArray({ copy: false })
    const want = view.slice()
    let y = f(x) // x donated, but its buffer is the view's: not kept
    for (let i = 0; i < 4; i++) y = f(y)
    expect(view).toEqual(want)
    expect(() => x.tolist()).toThrow(DonatedArrayError)
  })
})

describe('jit(f, { donateArgnums })', () => {
  it('gives the same values as without donation, and allocates no output once warm', () => {
    const plain = jit(stepOf)
    const donating = jit(stepOf, { donateArgnums: 0 })
    let a = np.array(data(2000, 6))
    let b = np.array(data(2000, 6))
    let want = data(2000, 6)
    donating(np.array(data(2000, 0))) // first call: its output is fresh
    const fresh = stats.outputBytes
    const reused = stats.outputBytesReused
    for (let i = 0; i < 10; i++) {
      a = plain(a)
      b = donating(b)
      want = stepJs(want)
    }
    expect(b.toTypedArray()).toEqual(a.toTypedArray())
    expect(b.toTypedArray()).toEqual(want)
    // the plain calls allocated 10 outputs; the donating ones reused the previous x's buffer
    // (its first call reused the warm-up input's)
    expect(stats.outputBytes - fresh).toBe(10 * 2000 * 8)
    expect(stats.outputBytesReused - reused).toBe(10 * 2000 * 8)
  })

  it('a donated array throws a DonatedArrayError wherever it is used; the others are untouched', () => {
    const f = jit((x: NDArray, y: NDArray) => x.add(y), { donateArgnums: [0] })
    const x = np.array([1, 2, 3])
    const y = np.array([10, 20, 30])
    expect(f(x, y).tolist()).toEqual([11, 22, 33])
    expect(() => x.tolist()).toThrow(DonatedArrayError)
    expect(() => x.add(1)).toThrow(DonatedArrayError)
    expect(() => f(x, y)).toThrow(DonatedArrayError)
    expect(() => x.toTypedArray()).toThrow(/donated to a jitted call/)
    expect(y.tolist()).toEqual([10, 20, 30])
  })

  it('donates every array of a donated pytree argument', () => {
    const f = jit((p: { w: NDArray; b: NDArray }) => ({ w: p.w.mul(2), b: p.b.add(1) }), { donateArgnums: 0 })
    const p = { w: np.array([1, 2]), b: np.array([3]) }
    const q = f(p)
    expect(q.w.tolist()).toEqual([2, 4])
    expect(q.b.tolist()).toEqual([4])
    expect(() => p.w.tolist()).toThrow(DonatedArrayError)
    expect(() => p.b.tolist()).toThrow(DonatedArrayError)
    expect(f(q).w.tolist()).toEqual([4, 8])
  })

  it('never reuses a buffer another array shares (an eager reshape, an output that is the input)', () => {
    const f = jit((x: NDArray) => x.mul(3), { donateArgnums: 0 })
    const x = np.array(data(64, 7))
    const alias = x.reshape([8, 8]) // shares x's buffer
    const aliasValues = alias.toTypedArray()
    let y = f(x)
    for (let i = 0; i < 3; i++) y = f(y)
    expect(alias.toTypedArray()).toEqual(aliasValues)

    const id = jit((x: NDArray) => x, { donateArgnums: 0 })
    const z = np.array([5, 6, 7])
    const out = id(z) // the output is z's own buffer
    const other = id(np.array([1, 1, 1]))
    expect(out.tolist()).toEqual([5, 6, 7])
    expect(other.tolist()).toEqual([1, 1, 1])
  })

  it('is ignored under transformations: grad and vmap of a donating function leave their inputs usable', () => {
    const f = jit((x: NDArray) => x.mul(x).sum(), { donateArgnums: 0 })
    const x = np.array([1, 2, 3])
    expect(grad(f)(x).tolist()).toEqual([2, 4, 6])
    expect(vmap(f)(np.array([[1, 2], [3, 4]])).tolist()).toEqual([5, 25])
    expect(x.tolist()).toEqual([1, 2, 3])
  })

  it('rejects argument numbers out of range, and arguments both static and donated', () => {
    expect(() => jit(stepOf, { donateArgnums: 0, staticArgnums: 0 })).toThrow(ValueError)
    expect(() => jit(stepOf, { donateArgnums: 2 })(np.array([1]))).toThrow(/donateArgnums 2 is out of range/)
  })

  it('keeps memory flat over 1,000 calls: no fresh outputs, a bounded set of kept buffers', () => {
    const f = jit(stepOf, { donateArgnums: 0 })
    let x = np.array(data(4096, 8))
    x = f(x)
    const fresh = stats.outputBytes
    for (let i = 0; i < 1000; i++) x = f(x)
    expect(stats.outputBytes).toBe(fresh)
    // donating arrays of other sizes keeps at most a few buffers, and never breaks the results
    for (let n = 1; n <= 40; n++) f(np.array(data(n, n)))
    let want = data(4096, 8)
    for (let i = 0; i < 1001; i++) want = stepJs(want)
    expect(Number.isFinite(x.toTypedArray()[0])).toBe(true)
    expect(x.toTypedArray()).toEqual(want)
  })
})
