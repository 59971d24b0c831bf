/**
 * Scan loops with their buffers in the WebAssembly arena (src/backend/wasmresident.ts): the
 * periodic stencils written with `np.roll` split into boxes, and every box of every step runs
 * as a strided wasm kernel on arena buffers — no operand copied per step. Each program must
 * compute what the reference interpreter computes, bit for bit in float64 (the kernels use only
 * correctly rounded ops), and what an independent plain-JS loop computes.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { type Array as Arr, jacfwd, jit, lax, makeJaxpr, np, vmap } from '../../src'
import { ConcreteArray } from '../../src/core/array'
import { compileJaxpr, describeProgram, setWasmKernels } from '../../src/backend'
import { stats } from '../../src/backend/compile'
import { setArenaLimit } from '../../src/backend/wasmengine'
import type { LoopKernel } from '../../src/backend/kernel'
import { stridedPlan } from '../../src/backend/wasmresident'
import { foldNegations } from '../../src/backend/wasm/foldneg'
import { type Expr, canonicalize, evalExpr, ex } from '../../src/backend/wasm'
import { optimize } from '../../src/passes'
import { hoistConsts } from '../../src/interpret/jvp'
import { bitwiseDiff, closeDiff, runCompiled, runReference, seq } from './helpers'

afterEach(() => setWasmKernels(true))

const jaxprOf = (f: (...xs: Arr[]) => Arr, ...args: Arr[]) => optimize(hoistConsts(makeJaxpr(f)(...args).jaxpr), { all: true })


/** Runs `j` compiled and by the reference interpreter; returns both, and the wasm calls and
 *  arena bytes copied in by the compiled run. */
const both = (j: ReturnType<typeof jaxprOf>, args: readonly Arr[]) => {
  const xs = args as unknown as ConcreteArray[]
  const want = runReference(j, xs)
  const calls = stats.wasmKernelCalls
  const bytesIn = stats.arenaBytesIn
  const got = runCompiled(j, xs)
  return { got, want, wasmCalls: stats.wasmKernelCalls - calls, bytesIn: stats.arenaBytesIn - bytesIn }
}

const expectBitwise = (got: readonly Float64Array[] | readonly unknown[], want: readonly unknown[], what: string) => {
  expect(got.length).toBe(want.length)
  got.forEach((g, i) => expect(bitwiseDiff(g as Float64Array, want[i] as Float64Array), `${what}, output ${i}`).toBeNull())
}

describe('1-D periodic stencils in a foriLoop', () => {
  const n = 300
  const x0 = seq(n, 3, -1, 1)
  const STEPS = 40

  /** x ← x + c (x[i−s] + x[i+t] − 2 x[i]) with wrap-around, by hand. */
  const byHand = (s: number, t: number, c: number): Float64Array => {
    let x = Float64Array.from(x0)
    for (let k = 0; k < STEPS; k++) {
      const y = new Float64Array(n)
      for (let i = 0; i < n; i++) y[i] = x[i] + (x[(i - s + n) % n] + x[(i + t) % n] - 2 * x[i]) * c
      x = y
    }
    return x
  }

  for (const [s, t] of [[1, 1], [1, 5], [7, 2], [299, 13]] as const) {
    it(`rolls by ${s} and −${t}: every step in wasm, bitwise the reference, equal to the hand-written loop`, () => {
      const f = (x: Arr) =>
        lax.foriLoop(0, STEPS, (_i: Arr, x: Arr) => x.add(np.roll(x, s).add(np.roll(x, -t)).sub(x.mul(2)).mul(0.1)), x)
      const j = jaxprOf(f, np.array(x0))
      const r = both(j, [np.array(x0)])
      expectBitwise(r.got, r.want, `roll ${s}, −${t}`)
      expect(closeDiff(r.got[0], byHand(s, t, 0.1), 1e-12, 1e-12)).toBeNull()
      // (a box per piece of the rolls; each runs once per step)
      expect(r.wasmCalls).toBeGreaterThanOrEqual(STEPS)
      expect(r.wasmCalls % STEPS).toBe(0)
      // the carry is copied into the arena once, not once per step
      expect(r.bytesIn).toBeLessThan(4 * n * 8)
    })
  }

  it('a roll of a computed value, with a ys output and an xs input', () => {
    const xs = np.array(seq(STEPS * n, 5, -0.5, 0.5)).reshape([STEPS, n])
    const f = (x: Arr, xs: Arr) =>
      lax.scan((c: Arr, xi: Arr): [Arr, Arr] => {
        const g = c.mul(c).sub(c.mul(0.5))
        const next = c.add(np.roll(g, 3).sub(np.roll(g, -2)).mul(0.05)).add(xi.mul(0.01))
        return [next, next.mul(2).sub(c)]
      }, x, xs) as unknown as Arr
    const j = optimize(hoistConsts(makeJaxpr((x: Arr, xs: Arr) => {
      const [c, ys] = f(x, xs) as unknown as [Arr, Arr]
      return [c, ys] as unknown as Arr
    })(np.array(x0), xs).jaxpr), { all: true })
    const r = both(j, [np.array(x0), xs])
    expectBitwise(r.got, r.want, 'computed roll with xs and ys')
    // by hand
    let c = Float64Array.from(x0)
    const X = xs.toTypedArray() as Float64Array
    const Y = new Float64Array(STEPS * n)
    for (let k = 0; k < STEPS; k++) {
      const g = c.map((v) => v * v - v * 0.5)
      const next = c.map((v, i) => v + (g[(i - 3 + n) % n] - g[(i + 2) % n]) * 0.05 + X[k * n + i] * 0.01)
      next.forEach((v, i) => (Y[k * n + i] = v * 2 - c[i]))
      c = next
    }
    expect(closeDiff(r.got[0], c, 1e-12, 1e-12)).toBeNull()
    expect(closeDiff(r.got[1], Y, 1e-12, 1e-12)).toBeNull()
    expect(r.wasmCalls).toBeGreaterThanOrEqual(STEPS)
  })

  it('under vmap: a batch of initial states, each rolled along its own axis', () => {
    const B = 3
    const xb = np.array(seq(B * n, 9, -1, 1)).reshape([B, n])
    const f = (x: Arr) => lax.foriLoop(0, STEPS, (_i: Arr, x: Arr) => x.add(np.roll(x, 2).sub(np.roll(x, -1)).mul(0.2)), x)
    const j = jaxprOf(vmap(f) as (x: Arr) => Arr, xb)
    const r = both(j, [xb])
    expectBitwise(r.got, r.want, 'vmap')
    // row by row, the unbatched program
    for (let b = 0; b < B; b++) {
      const row = lax.slice(xb, [b, 0], [b + 1, n]).reshape([n])
      const one = runCompiled(jaxprOf(f, row), [row as unknown as ConcreteArray])[0]
      expect(bitwiseDiff((r.got[0] as Float64Array).subarray(b * n, (b + 1) * n), one as Float64Array)).toBeNull()
    }
  })

  it('the same results with the WebAssembly kernels off', () => {
    const f = (x: Arr) => lax.foriLoop(0, STEPS, (_i: Arr, x: Arr) => x.add(np.roll(x, 1).add(np.roll(x, -1)).sub(x.mul(2)).mul(0.1)), x)
    const on = both(jaxprOf(f, np.array(x0)), [np.array(x0)])
    setWasmKernels(false)
    const j = jaxprOf(f, np.array(x0))
    const off = both(j, [np.array(x0)])
    expect(off.wasmCalls).toBe(0)
    expect(describeProgram(compileJaxpr(j))).not.toMatch(/wasm arena/)
    expectBitwise(on.got, off.got, 'wasm on vs off')
  })
})

/** Gray–Scott on an R×C periodic grid, explicit Euler (dt = 1), by hand: the sums of u and v. */
const grayScottSums = (u0: Float64Array, v0: Float64Array, R: number, C: number, steps: number, F: number, k: number): [number, number] => {
  const Du = 0.16, Dv = 0.08
  let u = Float64Array.from(u0), v = Float64Array.from(v0)
  const at = (a: Float64Array, i: number, j: number) => a[((i + R) % R) * C + ((j + C) % C)]
  const lap = (a: Float64Array, i: number, j: number) => at(a, i - 1, j) + at(a, i + 1, j) + at(a, i, j - 1) + at(a, i, j + 1) - 4 * at(a, i, j)
  for (let t = 0; t < steps; t++) {
    const nu = new Float64Array(R * C), nv = new Float64Array(R * C)
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const c = i * C + j
        const r = u[c] * v[c] * v[c]
        nu[c] = u[c] + Du * lap(u, i, j) - r + F * (1 - u[c])
        nv[c] = v[c] + Dv * lap(v, i, j) + r - (F + k) * v[c]
      }
    }
    u = nu
    v = nv
  }
  return [u.reduce((a, b) => a + b, 0), v.reduce((a, b) => a + b, 0)]
}

describe('a 2-D Gray–Scott step (the Laplacian by four rolls) under jacfwd', () => {
  const R = 20, C = 26, STEPS = 30
  const u0 = seq(R * C, 1, 0.4, 1), v0 = seq(R * C, 2, 0, 0.3)
  const lap = (a: Arr) => np.roll(a, 1, 0).add(np.roll(a, -1, 0)).add(np.roll(a, 1, 1)).add(np.roll(a, -1, 1)).sub(a.mul(4))
  const final = (p: Arr, u0: Arr, v0: Arr) => {
    const F = lax.reshape(lax.slice(p, [0], [1]), [])
    const k = lax.reshape(lax.slice(p, [1], [2]), [])
    const [u, v] = lax.foriLoop(0, STEPS, (_i: Arr, [u, v]: [Arr, Arr]): [Arr, Arr] => {
      const uvv = u.mul(v).mul(v)
      return [u.add(lap(u).mul(0.16).sub(uvv).add(F.mul(np.subtract(1, u)))), v.add(lap(v).mul(0.08).add(uvv).sub(F.add(k).mul(v)))]
    }, [u0, v0])
    return np.stack([np.sum(u), np.sum(v)])
  }
  const p = np.array([0.035, 0.065])
  const U = np.array(u0).reshape([R, C]), V = np.array(v0).reshape([R, C])

  it('the Jacobian: bitwise the reference interpreter, and the central differences of a hand-written loop', () => {
    const j = jaxprOf(jacfwd(final) as (p: Arr, u: Arr, v: Arr) => Arr, p, U, V)
    const r = both(j, [p, U, V])
    expectBitwise(r.got, r.want, 'Gray–Scott jacfwd')
    // each body kernel is split into boxes, and all of them run in wasm every step
    const text = describeProgram(compileJaxpr(j))
    expect(text).toMatch(/scan, buffers in the wasm arena/)
    expect(r.wasmCalls).toBeGreaterThanOrEqual(2 * 9 * STEPS)
    const h = 1e-6
    const J = r.got[0] as Float64Array
    for (const q of [0, 1]) {
      const plus = grayScottSums(u0, v0, R, C, STEPS, 0.035 + (q === 0 ? h : 0), 0.065 + (q === 1 ? h : 0))
      const minus = grayScottSums(u0, v0, R, C, STEPS, 0.035 - (q === 0 ? h : 0), 0.065 - (q === 1 ? h : 0))
      for (const o of [0, 1]) {
        const fd = (plus[o] - minus[o]) / (2 * h)
        expect(Math.abs(J[o * 2 + q] - fd), `J[${o}][${q}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)))
      }
    }
    // and the primal through jit, against the hand-written loop
    const sums = jit(final)(p, U, V).toTypedArray()
    const want = grayScottSums(u0, v0, R, C, STEPS, 0.035, 0.065)
    expect(Math.abs(sums[0] - want[0])).toBeLessThan(1e-9 * Math.abs(want[0]))
    expect(Math.abs(sums[1] - want[1])).toBeLessThan(1e-9 * Math.abs(want[1]))
  })

  it('rolls by (2, −3) along both axes of a non-square grid', () => {
    const f = (u: Arr) => lax.foriLoop(0, 12, (_i: Arr, u: Arr) => u.add(np.roll(np.roll(u, 2, 0), -3, 1).sub(u).mul(0.25)), u)
    const u = np.array(u0).reshape([R, C])
    const r = both(jaxprOf(f, u), [u])
    expectBitwise(r.got, r.want, 'roll (2, −3)')
    let a = Float64Array.from(u0)
    for (let t = 0; t < 12; t++) a = a.map((x, c) => x + (a[((Math.floor(c / C) - 2 + R) % R) * C + ((c % C) + 3) % C] - x) * 0.25)
    expect(closeDiff(r.got[0], a, 1e-12, 1e-12)).toBeNull()
    expect(r.wasmCalls).toBeGreaterThan(0)
  })
})

describe('a loop whose buffers do not fit in the arena', () => {
  it('runs in JS, with the same results', async () => {
    const n = 1 << 16 // three carry sets of 512 KiB: more than the 1 MiB arena below
    const x = np.array(seq(n, 4, -1, 1))
    const f = (x: Arr) => lax.foriLoop(0, 5, (_i: Arr, x: Arr) => x.add(np.roll(x, 1).sub(np.roll(x, -2)).mul(0.1)), x)
    const j = jaxprOf(f, x)
    const inArena = both(j, [x])
    expect(inArena.wasmCalls).toBeGreaterThan(0)
    await setArenaLimit(1 << 20)
    try {
      const r = both(j, [x])
      expect(r.wasmCalls).toBe(0)
      expectBitwise(r.got, inArena.got, 'JS loop vs arena loop')
    } finally {
      await setArenaLimit(undefined)
    }
  })
})

describe('random periodic stencils in a foriLoop', () => {
  it('any shifts along either axis, any grid, rolls of computed values: bitwise the reference interpreter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 13, max: 17 }), fc.integer({ min: 20, max: 41 }), fc.integer({ min: 2, max: 4 }),
        fc.array(fc.tuple(fc.integer({ min: -45, max: 45 }), fc.integer({ min: 0, max: 1 }), fc.constantFrom('add', 'sub', 'mul')), { minLength: 1, maxLength: 4 }),
        fc.boolean(), fc.integer({ min: 1, max: 1000 }),
        (R, C, steps, terms, computed, seed) => {
          const body = (_i: Arr, [u, v]: [Arr, Arr]): [Arr, Arr] => {
            const g = computed ? u.mul(v).sub(u) : u
            let acc = v.mul(0.5)
            for (const [shift, axis, op] of terms) {
              const r = np.roll(g, shift, axis)
              acc = op === 'add' ? acc.add(r) : op === 'sub' ? acc.sub(r.mul(0.25)) : acc.mul(r.mul(0.1).add(1))
            }
            return [u.add(acc.mul(0.01)), v.sub(acc.neg().mul(0.02))]
          }
          const f = (u: Arr, v: Arr) => np.stack(lax.foriLoop(0, steps, body, [u, v]) as unknown as Arr[])
          const u = np.array(seq(R * C, seed, -1, 1)).reshape([R, C])
          const v = np.array(seq(R * C, seed + 1, -1, 1)).reshape([R, C])
          const j = jaxprOf(f, u, v)
          const r = both(j, [u, v])
          expectBitwise(r.got, r.want, `R ${R}, C ${C}, terms ${JSON.stringify(terms)}, computed ${computed}`)
          // (≥ 256 elements of strided work per step: the loop runs in the arena)
          expect(r.wasmCalls).toBeGreaterThan(0)
        },
      ),
      { numRuns: 12, seed: 20261207 },
    )
  })
})

describe('stridedPlan', () => {
  const load = (input: number, off: number, st: number[]) => ({ k: 'load' as const, input, idx: { off, st }, dtype: 'float64' as const, clamp: -1 })
  const kernel = (domain: number[], nodes: LoopKernel['nodes'], st: number[], off = 0): LoopKernel => ({
    kind: 'loop', f32: 'exact', domain, nReduced: 0, inputs: ['float64', 'float64'], outputs: ['float64'],
    nodes, stores: [{ node: nodes.length - 1, out: 0, idx: { off, st } }], reductions: [], epilogue: [],
  })
  it('takes a box of a larger array: two outer strides around a contiguous row, a broadcast per row', () => {
    // out[b, i, j] at 130 + b·400 + i·20 + j = x[b, i + 1, j + 1] · y[b]
    const k = kernel([2, 18, 18], [load(0, 21, [400, 20, 1]), load(1, 0, [1, 0, 0]), { k: 'op', op: 'mul', args: [0, 1], dtype: 'float64', attr: 0 }], [400, 20, 1], 21)
    const p = stridedPlan(k)
    expect(p).not.toBeNull()
    expect(p?.dims).toEqual([2, 18, 18])
    expect(p?.spec.inputs.map((i) => i.kind)).toEqual(['array', 'scalar'])
    // the ranges every bounds check compares with the buffers
    expect(p?.bases.map((o) => [o.buf, o.lo, o.hi])).toEqual([[0, 21, 21 + 400 + 17 * 20 + 17], [1, 0, 1], [2, 21, 21 + 400 + 17 * 20 + 17]])
  })
  it('reads the five points of a stencil from one base pointer at constant distances', () => {
    // out[i, j] at 21 + 20 i + j = x[i, j + 1] + x[i + 1, j] + x[i + 1, j + 1] + x[i + 1, j + 2] + x[i + 2, j + 1]
    const offs = [1, 20, 21, 22, 41]
    const nodes: LoopKernel['nodes'][number][] = offs.map((o) => load(0, o, [20, 1]))
    for (let i = 1; i < offs.length; i++) nodes.push({ k: 'op', op: 'add', args: [i === 1 ? 0 : nodes.length - 1, i], dtype: 'float64', attr: 0 })
    const p = stridedPlan({ ...kernel([18, 18], nodes, [20, 1], 21), inputs: ['float64'] })
    expect(p?.bases.map((o) => [o.buf, o.off, o.lo, o.hi])).toEqual([[0, 1, 1, 41 + 17 * 20 + 17], [1, 21, 21, 21 + 17 * 20 + 17]])
    expect(p?.spec.inputs.map((i) => [i.base, i.delta])).toEqual(offs.map((o) => [0, (o - 1) * 8]))
    expect(p?.spec.stores).toEqual([{ base: 1, delta: 0 }])
  })
  it('runs a column (innermost stride ≠ 1) as rows of one element', () => {
    const k = kernel([18], [load(0, 20, [20]), load(1, 39, [20]), { k: 'op', op: 'add', args: [0, 1], dtype: 'float64', attr: 0 }], [20], 20)
    expect(stridedPlan(k)?.dims).toEqual([1, 18, 1])
  })
  it('refuses transcendentals in float64, picks and reductions', () => {
    const sin = kernel([64], [load(0, 0, [1]), { k: 'op', op: 'sin', args: [0], dtype: 'float64', attr: 0 }], [1])
    expect(stridedPlan(sin)).toBeNull()
    const red: LoopKernel = { ...kernel([64], [load(0, 0, [1])], [0]), stores: [], reductions: [{ node: 0, op: 'sum', out: 0, idx: { off: 0, st: [0] }, acc: 'float64' }] }
    expect(stridedPlan(red)).toBeNull()
  })
})

describe('foldNegations', () => {
  const x = ex.input(0), y = ex.input(1), z = ex.input(2)
  const count = (es: readonly Expr[], op: string) => canonicalize(es).unique.filter((n) => 'op' in n && n.op === op).length
  it('removes the negations of a forward-mode tangent and keeps every result bit for bit', () => {
    const roots = [
      ex.add(x, ex.neg(ex.mul(y, ex.c(4)))), // x + (−4y) → x − 4y
      ex.add(ex.neg(x), y), // → y − x
      ex.sub(x, ex.neg(y)), // → x + y
      ex.neg(ex.neg(z)), // → z
      ex.mul(ex.neg(x), ex.c(0.16)), // → x · (−0.16)
      ex.add(z, ex.mul(ex.neg(x), y)), // → z − x·y
      ex.mul(ex.neg(x), ex.neg(y)), // → x·y
      ex.sqrt(ex.sub(ex.mul(x, x), ex.neg(y))), // inside another operation too
    ]
    const folded = foldNegations(roots)
    expect(count(roots, 'neg')).toBe(5) // (distinct ones)
    expect(count(folded, 'neg')).toBe(0)
    // signed zeros, infinities, NaN and ordinary values, in both float dtypes
    const vals = [0, -0, 1.5, -2.25, 1e308, -1e-310, Infinity, -Infinity, NaN, 0.1]
    for (const dtype of ['float64', 'float32'] as const) {
      for (const a of vals) for (const b of vals) for (const c of [0, -0, 3, NaN]) {
        const want = evalExpr(roots, [a, b, c], dtype)
        const got = evalExpr(folded, [a, b, c], dtype)
        got.forEach((g, i) => expect(Object.is(g, want[i]) || (Number.isNaN(g) && Number.isNaN(want[i])), `${dtype} root ${i} at ${a}, ${b}, ${c}`).toBe(true))
      }
    }
  })
  it('leaves a negation that is the result', () => {
    const [r] = foldNegations([ex.neg(ex.mul(x, y))])
    expect(count([r], 'neg')).toBe(1)
  })
})
