/**
 * Two-thread kernels (calling thread + one worker over a shared memory) give the one-thread
 * answers bit for bit: element ranges of maps, row ranges of a map run row by row, rows of C, output rows of reductions, and the
 * fixed chunks of a large reduction (reducechunks.ts), which one thread runs too. Failures of
 * a worker fall back to the calling thread with the same results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Arena, WasmKernels, ex } from '../../../src/backend/wasm'
import { CHUNK_WORK, reduceChunks } from '../../../src/backend/wasm/reducechunks'
import { DEFAULT_THRESHOLDS, ParallelKernels, splitCost } from '../../../src/backend/wasm/threads'
import { put, uniform, view } from './helpers'

let arena: Arena
let pk: ParallelKernels
let one: WasmKernels

beforeAll(async () => {
  arena = new Arena({ shared: true })
  pk = await ParallelKernels.create(arena, { minWork: 1, adaptive: false }) // split every call, even tiny ones
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

  it('row runs: bitwise equal to one thread and to one run per row, rows read with any stride (0: a broadcast row)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const size = dtype === 'float32' ? 4 : 8
      // tanh(m + b)·s + c: m [rows, n]; b one row read by every row; s one value per row; c 0-d
      const spec = { dtype, inputs: ['array', 'array', 'scalar', 'scalar'] as const, outputs: [ex.add(ex.mul(ex.tanh(ex.add(x, ex.input(1))), ex.input(2)), ex.input(3)), ex.mul(x, x)] }
      for (const [rows, n] of [[1, 5], [2, 3], [3, 64], [7, 13], [64, 33], [513, 8]]) {
        arena.reset()
        const pm = put(arena, dtype, uniform(rows * n, -3, 3, rows)), pb = put(arena, dtype, uniform(n, -1, 1, n))
        const ps = put(arena, dtype, uniform(rows, 0.5, 2, 7)), pc = put(arena, dtype, [0.125])
        // outputs with a gap between rows (stride n + 3): the gap must stay untouched
        const ld = n + 3, outs = [0, 1, 2, 3, 4, 5].map(() => put(arena, dtype, new Array<number>(rows * ld).fill(-7)))
        const ins = [pm, pb, ps, pc], inStrides = [n * size, 0, size, 0], outStrides = [ld * size, ld * size]
        one.elementwise(spec).runRows(rows, n, ins, inStrides, outs.slice(0, 2), outStrides)
        pk.elementwise(spec).runRows(rows, n, ins, inStrides, outs.slice(2, 4), outStrides)
        for (let r = 0; r < rows; r++) {
          one.elementwise(spec).run(n, ins.map((p, i) => p + r * inStrides[i]), outs.slice(4).map((p) => p + r * ld * size))
        }
        const got = outs.map((p) => Array.from(view(arena, dtype, p, rows * ld)))
        expect(got[2], `${dtype} [${rows}, ${n}] output 0`).toEqual(got[0])
        expect(got[3], `${dtype} [${rows}, ${n}] output 1`).toEqual(got[1])
        expect(got[0]).toEqual(got[4])
        expect(got[1]).toEqual(got[5])
        // and the values: row r, column c against the float64 formula (float32: a few roundings)
        const m = view(arena, dtype, pm, rows * n), bv = view(arena, dtype, pb, n), sv = view(arena, dtype, ps, rows)
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < n; c++) {
            const want = Math.tanh(m[r * n + c] + bv[c]) * sv[r] + 0.125
            expect(Math.abs(got[0][r * ld + c] - want)).toBeLessThanOrEqual(dtype === 'float32' ? 2e-6 : 1e-14)
          }
          for (let c = n; c < ld; c++) expect(got[2][r * ld + c]).toBe(-7)
        }
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

  it('reductions: bitwise equal to one thread — output rows, and the fixed chunks along the reduced axis', () => {
    const big = new Set<string>()
    for (const dtype of ['float32', 'float64'] as const) {
      for (const op of ['sum', 'max', 'min'] as const) {
        const spec = { dtype, op, inputs: ['array'] as const, prologue: chain, epilogue: ex.mul(x, ex.c(2)) }
        // around the chunk cut (red·inner = 2·CHUNK_WORK = 2¹⁷) and with inner > 1
        for (const [outer, red, inner] of [[4, 33, 1], [3, 9, 7], [1, 10001, 1], [1, 501, 6], [1, 2 ** 17 - 1, 1], [1, 2 ** 17, 1], [2, 2 ** 17 + 4099, 1], [1, 300007, 1], [2, 21000, 7]]) {
          arena.reset()
          const px = put(arena, dtype, uniform(outer * red * inner, -2, 2, red))
          const o1 = arena.alloc(outer * inner * 8), o2 = arena.alloc(outer * inner * 8)
          one.reduce(spec).run(outer, red, inner, [px], o1)
          pk.reduce(spec).run(outer, red, inner, [px], o2)
          const a = Array.from(view(arena, dtype, o1, outer * inner)), b = Array.from(view(arena, dtype, o2, outer * inner))
          expect(b, `${dtype} ${op} [${outer}, ${red}, ${inner}]`).toEqual(a)
          if (reduceChunks(red, inner).count > 1) big.add(`${outer},${red},${inner}`)
          // and the chunked value is the reduction: against a float64 sum / max / min
          // (the prologue's values from the map kernel, which the kernel tests hold to evalExpr)
          const pp = arena.alloc(outer * red * inner * 8)
          one.elementwise({ dtype, inputs: ['array'], outputs: [chain] }).run(outer * red * inner, [px], [pp])
          const p = view(arena, dtype, pp, outer * red * inner)
          for (let o = 0; o < outer; o++) {
            for (let j = 0; j < inner; j++) {
              let r = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity, abs = 0
              for (let i = 0; i < red; i++) {
                const v = p[(o * red + i) * inner + j]
                r = op === 'sum' ? r + v : op === 'max' ? Math.max(r, v) : Math.min(r, v)
                abs += Math.abs(v)
              }
              const want = 2 * r, got = a[o * inner + j]
              // max/min exact; a sum within the bounds of reduce.ts / reducechunks.ts and,
              // in float32, one rounding
              const tol = op !== 'sum' ? 0 : 2 * (1400 + red / 1024) * 2 ** -53 * abs + (dtype === 'float32' ? 2 ** -23 * Math.abs(want) : 0)
              expect(Math.abs(got - want), `${dtype} ${op} [${outer}, ${red}, ${inner}] (${o}, ${j})`).toBeLessThanOrEqual(tol)
            }
          }
        }
      }
    }
    expect(big.size).toBeGreaterThanOrEqual(4) // the chunked path was taken
  })

  it('thresholds: below them a call stays on the calling thread, with the same bits', () => {
    const lazy = ParallelKernels.start(arena, { workers: 1 })
    try {
      const spec = { dtype: 'float32' as const, op: 'sum' as const, inputs: ['array'] as const, prologue: chain }
      const t = Math.ceil(DEFAULT_THRESHOLDS.reduce / splitCost([chain], 1))
      for (const red of [t - 1, t, 2 * CHUNK_WORK + 1023]) {
        arena.reset()
        const px = put(arena, 'float32', uniform(red, -2, 2, red))
        const o1 = arena.alloc(8), o2 = arena.alloc(8)
        one.reduce(spec).run(1, red, 1, [px], o1)
        lazy.reduce(spec).run(1, red, 1, [px], o2)
        expect(view(arena, 'float32', o2, 1)[0]).toBe(view(arena, 'float32', o1, 1)[0])
      }
    } finally {
      void lazy.close()
    }
  })

  it('a unit that fails on a worker runs again here: the one-thread error, and one thread from then on', () => {
    const spec = { dtype: 'float32' as const, inputs: ['array'] as const, outputs: [ex.neg(x)] }
    const own = ParallelKernels.start(arena, { workers: 1, minWork: 1 })
    arena.reset()
    const n = 64
    const start = arena.capacity - (n / 2) * 4 // the second half of the input lies past the memory
    const out = arena.alloc(n * 4)
    let single: unknown
    try { one.elementwise(spec).run(n, [start], [out]) } catch (e) { single = e }
    expect(single).toBeInstanceOf(Error)
    expect(() => own.elementwise(spec).run(n, [start], [out])).toThrow((single as Error).message)
    void own.close()
  })

  it('a worker that is gone leaves the work to the calling thread, with the same bits', async () => {
    const own = ParallelKernels.start(arena, { workers: 1, minWork: 1 })
    await own.ready()
    expect(own.threads).toBe(2)
    await (own as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0].terminate()
    await new Promise((r) => setTimeout(r, 20)) // the exit event
    expect(own.threads).toBe(1)
    const spec = { dtype: 'float64' as const, inputs: ['array'] as const, outputs: [chain] }
    arena.reset()
    const n = 5000
    const px = put(arena, 'float64', uniform(n, -3, 3, 5)), o1 = arena.alloc(n * 8), o2 = arena.alloc(n * 8)
    one.elementwise(spec).run(n, [px], [o1])
    own.elementwise(spec).run(n, [px], [o2])
    expect(Array.from(view(arena, 'float64', o2, n))).toEqual(Array.from(view(arena, 'float64', o1, n)))
    await own.close()
  })

  it('workers that never start: the first split call waits a bounded time, then runs here', async () => {
    const own = ParallelKernels.start(arena, { workers: 1, minWork: 1 })
    // stop the worker before it has run a line (a failed start); no event-loop turn in between
    void (own as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0].terminate()
    const spec = { dtype: 'float32' as const, inputs: ['array'] as const, outputs: [chain] }
    arena.reset()
    const n = 4096
    const px = put(arena, 'float32', uniform(n, -3, 3, 6)), o1 = arena.alloc(n * 4), o2 = arena.alloc(n * 4)
    one.elementwise(spec).run(n, [px], [o1])
    own.elementwise(spec).run(n, [px], [o2])
    expect(Array.from(view(arena, 'float32', o2, n))).toEqual(Array.from(view(arena, 'float32', o1, n)))
    await own.close()
  })
})
