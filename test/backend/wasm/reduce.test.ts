/**
 * Reductions with fused prologue/epilogue against float64 references: sums within the error
 * bounds documented in src/backend/wasm/reduce.ts, max/min exact, every layout
 * [outer, red, inner] path (inner = 1 along the lanes, inner > 1 across columns, and the
 * column and element tails).
 */
import { describe, expect, it } from 'vitest'
import { BLOCK } from '../../../src/backend/wasm/reduce'
import { type Expr, type FloatDType, type ReduceOp, UNARY_REF, buildReduce, ex, wasm } from '../../../src/backend/wasm'
import { kernels, put, uniform, view } from './helpers'

const k = kernels()

const run = (dtype: FloatDType, op: ReduceOp, prologue: Expr, epilogue: Expr | undefined, outer: number, red: number, inner: number, data: ArrayLike<number>, scalar?: number): Float32Array | Float64Array => {
  const inputs = scalar === undefined ? (['array'] as const) : (['array', 'scalar'] as const)
  const spec = { dtype, op, inputs, prologue, ...(epilogue ? { epilogue } : {}) }
  expect(wasm.validate(buildReduce(spec))).toBe(true)
  k.arena.reset()
  const px = put(k.arena, dtype, data)
  const ins = scalar === undefined ? [px] : [px, put(k.arena, dtype, [scalar])]
  const po = k.arena.alloc(Math.max(1, outer * inner) * (dtype === 'float32' ? 4 : 8))
  k.wk.reduce(spec).run(outer, red, inner, ins, po)
  return view(k.arena, dtype, po, outer * inner).slice()
}

/** Per output: the exact-enough float64 sum (Neumaier), Σ|v| and the reference values. */
const reference = (vals: (i: number) => number, outer: number, red: number, inner: number, op: ReduceOp) => {
  const sum: number[] = [], abs: number[] = []
  for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) {
    let s = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity, c = 0, a = 0
    for (let r = 0; r < red; r++) {
      const v = vals((o * red + r) * inner + j)
      if (op === 'sum') {
        const t = s + v
        c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s
        s = t
        a += Math.abs(v)
      } else if (Number.isNaN(v) || Number.isNaN(s)) s = NaN
      else s = op === 'max' ? Math.max(s, v) : Math.min(s, v)
    }
    sum.push(s + c)
    abs.push(a)
  }
  return { sum, abs }
}

const SHAPES: [number, number, number][] = [
  [1, 0, 1], [1, 1, 1], [1, 3, 1], [3, 5, 1], [2, 17, 1], [1, 4 * BLOCK + 7, 1], [5, 2 * BLOCK + 1, 1],
  [1, 1, 2], [2, 3, 3], [3, 7, 4], [2, 5, 17], [1, 9, 37], [4, 3, 64], [2, 128, 33], [1, 0, 5],
]

describe('reductions', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const rnd = dtype === 'float32' ? Math.fround : (v: number) => v
    it(`sum of tanh(1.5x + 0.5)·exp(−x²) within the documented bound (${dtype})`, () => {
      const x = ex.input(0)
      const pro = ex.mul(ex.tanh(ex.add(ex.mul(x, ex.c(1.5)), ex.c(0.5))), ex.exp(ex.neg(ex.mul(x, x))))
      for (const [outer, red, inner] of SHAPES) {
        const data = uniform(outer * red * inner, -2, 2, outer * 1000 + red + inner).map(rnd)
        // the prologue values exactly as the kernel forms them (float32: rounded per op)
        const v = (i: number): number => {
          const u = rnd(rnd(data[i] * 1.5) + 0.5)
          return rnd(rnd(UNARY_REF.tanh(u)) * rnd(UNARY_REF.exp(-rnd(data[i] * data[i]))))
        }
        const got = run(dtype, 'sum', pro, undefined, outer, red, inner, data)
        const { sum, abs } = reference(v, outer, red, inner, 'sum')
        const n = red
        // transcendental ulps in the prologue (≤ 1 each in float32 → ≤ 4·2⁻²⁴·|v|), plus the sum bound
        const u = 2 ** -53
        sum.forEach((want, o) => {
          const bound = dtype === 'float32'
            ? Math.abs(want) * 2 ** -24 + 4 * 2 ** -24 * abs[o] + (BLOCK / 4 + n / BLOCK + 2) * u * abs[o]
            : (inner === 1 ? BLOCK / 4 + n / BLOCK + 2 : n) * u * abs[o] + 8 * u * abs[o]
          expect({ shape: [outer, red, inner], o, err: Math.abs(got[o] - want) <= bound }).toEqual({ shape: [outer, red, inner], o, err: true })
        })
      }
    })

    it(`max and min are exact and propagate NaN (${dtype})`, () => {
      for (const op of ['max', 'min'] as const) {
        for (const [outer, red, inner] of SHAPES) {
          const data = uniform(outer * red * inner, -100, 100, red * 31 + inner).map(rnd)
          if (data.length > 5) data[3] = NaN
          const pro = ex.mul(ex.input(0), ex.c(2))
          const got = run(dtype, op, pro, undefined, outer, red, inner, data)
          const { sum } = reference((i) => data[i] * 2, outer, red, inner, op)
          expect({ op, shape: [outer, red, inner], got: Array.from(got) }).toEqual({ op, shape: [outer, red, inner], got: sum })
        }
      }
    })
  }

  it('a float32 sum is accumulated in float64: 1e6 terms of 1 + 2⁻²⁰ are exact', () => {
    const n = 1_000_000
    const data = new Float32Array(n).fill(1 + 2 ** -20)
    const [s] = run('float32', 'sum', ex.input(0), undefined, 1, n, 1, data)
    expect(s).toBe(Math.fround(n * (1 + 2 ** -20)))
  })

  it('epilogue and 0-d inputs: mean of (x − c)², with c broadcast', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const [outer, red, inner] = [3, 101, 1]
      const data = uniform(outer * red * inner, 0, 10, 5)
      const c = 2.5
      const d = ex.sub(ex.input(0), ex.input(1))
      const got = run(dtype, 'sum', ex.mul(d, d), ex.mul(ex.input(0), ex.c(1 / red)), outer, red, inner, data, c)
      for (let o = 0; o < outer; o++) {
        let s = 0
        for (let r = 0; r < red; r++) { const v = (dtype === 'float32' ? Math.fround(data[o * red + r]) : data[o * red + r]) - c; s += v * v }
        expect(Math.abs(got[o] - s / red)).toBeLessThan((dtype === 'float32' ? 1e-6 : 1e-14) * (s / red))
      }
      const cols = run(dtype, 'max', d, ex.neg(ex.input(0)), 1, 4, 3, [1, 9, 3, 4, 5, 6, 7, 8, 2, 0, 0, 0], c)
      expect(Array.from(cols)).toEqual([-4.5, -6.5, -3.5])
    }
  })
})
