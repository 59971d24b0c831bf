/**
 * Two-thread kernels (calling thread + one worker over a shared memory) give the one-thread
 * answers: bitwise for splits that keep each element's arithmetic (elementwise ranges, rows
 * of C, slices of `outer`), within rounding for a reduction split along its reduced axis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Arena, WasmKernels, ex } from '../../../src/backend/wasm'
import { ParallelKernels } from '../../../src/backend/wasm/threads'
import { put, uniform, view } from './helpers'

let arena: Arena
let pk: ParallelKernels
let one: WasmKernels

beforeAll(async () => {
  arena = new Arena({ shared: true })
  pk = await ParallelKernels.create(arena, { minWork: 1 }) // split even tiny calls
  one = new WasmKernels(arena)
})
afterAll(async () => { await pk.close() })

const x = ex.input(0)
const chain = ex.mul(ex.tanh(ex.add(ex.mul(x, ex.c(1.5)), ex.c(0.5))), ex.exp(ex.neg(ex.mul(x, x))))

describe('ParallelKernels', () => {
  it('refuses a non-shared arena', async () => {
    await expect(ParallelKernels.create(new Arena())).rejects.toThrow(/shared memory/)
  })

  it('elementwise: bitwise equal to one thread, any length', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const spec = { dtype, inputs: ['array', 'scalar'] as const, outputs: [ex.add(chain, ex.input(1)), ex.sin(x)] }
      for (const n of [1, 2, 5, 8, 13, 1000, 4099]) {
        arena.reset()
        const px = put(arena, dtype, uniform(n, -3, 3, n)), ps = put(arena, dtype, [0.25])
        const outs = [0, 1, 2, 3].map(() => arena.alloc(n * 8))
        one.elementwise(spec).run(n, [px, ps], outs.slice(0, 2))
        pk.elementwise(spec).run(n, [px, ps], outs.slice(2))
        expect(Array.from(view(arena, dtype, outs[2], n))).toEqual(Array.from(view(arena, dtype, outs[0], n)))
        expect(Array.from(view(arena, dtype, outs[3], n))).toEqual(Array.from(view(arena, dtype, outs[1], n)))
      }
    }
  })

  it('matmul: every variant, bitwise equal to one thread', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const [m, k, n] = [67, 45, 29]
        arena.reset()
        const pa = put(arena, dtype, uniform(m * k, -1, 1, 1)), pb = put(arena, dtype, uniform(k * n, -1, 1, 2))
        const c1 = arena.alloc(m * n * 8), c2 = arena.alloc(m * n * 8)
        one.matmul({ dtype, transA, transB }).run(m, k, n, pa, pb, c1)
        pk.matmul({ dtype, transA, transB }).run(m, k, n, pa, pb, c2)
        expect(Array.from(view(arena, dtype, c2, m * n))).toEqual(Array.from(view(arena, dtype, c1, m * n)))
      }
    }
  })

  it('reductions: split over outer (bitwise) and along the reduced axis (within rounding)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const op of ['sum', 'max', 'min'] as const) {
        const spec = { dtype, op, inputs: ['array'] as const, prologue: chain, epilogue: ex.mul(x, ex.c(2)) }
        for (const [outer, red, inner] of [[4, 33, 1], [3, 9, 7], [1, 10001, 1], [1, 501, 6]]) {
          arena.reset()
          const px = put(arena, dtype, uniform(outer * red * inner, -2, 2, red))
          const o1 = arena.alloc(outer * inner * 8), o2 = arena.alloc(outer * inner * 8)
          one.reduce(spec).run(outer, red, inner, [px], o1)
          pk.reduce(spec).run(outer, red, inner, [px], o2)
          const a = Array.from(view(arena, dtype, o1, outer * inner)), b = Array.from(view(arena, dtype, o2, outer * inner))
          // a float32 sum is float64 inside: the halves change only its last rounding; a float64
          // sum in another order moves within reduce.ts's bound (≈ 300·2⁻⁵³·Σ|v| here, |v| < 1)
          const tol = (v: number): number => (op !== 'sum' || outer > 1 ? 0 : dtype === 'float32' ? 2 ** -23 * Math.abs(v) : 600 * 2 ** -53 * red)
          a.forEach((v, i) => expect(Math.abs(b[i] - v)).toBeLessThanOrEqual(tol(v)))
        }
      }
    }
  })

  it('a failure in the worker\'s share is reported', () => {
    const spec = { dtype: 'float32' as const, inputs: ['array'] as const, outputs: [ex.neg(x)] }
    arena.reset()
    const n = 64
    const start = arena.capacity - (n / 2) * 4 // the second half of the input lies past the memory
    const out = arena.alloc(n * 4)
    expect(() => pk.elementwise(spec).run(n, [start], [out])).toThrow(/worker's share of the kernel failed/)
  })
})
