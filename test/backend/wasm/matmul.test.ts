/**
 * Matmul kernels against triple loops. The kernel accumulates each C[i, j] sequentially over
 * p with a rounded multiply and a rounded add, so a loop doing the same in the same precision
 * must agree bitwise — for every transpose variant, odd sizes on each axis (tiles and tails),
 * and tile shapes.
 */
import { describe, expect, it } from 'vitest'
import { type FloatDType, buildMatmul, wasm } from '../../../src/backend/wasm'
import { kernels, put, uniform, view } from './helpers'

const k = kernels()

const reference = (dtype: FloatDType, A: ArrayLike<number>, B: ArrayLike<number>, m: number, kk: number, n: number, ta: boolean, tb: boolean): number[] => {
  const rnd = dtype === 'float32' ? Math.fround : (v: number) => v
  const C: number[] = []
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let p = 0; p < kk; p++) s = rnd(s + rnd(A[ta ? p * m + i : i * kk + p] * B[tb ? j * kk + p : p * n + j]))
      C.push(s)
    }
  }
  return C
}

const SIZES = [1, 3, 5, 127]

describe('matmul', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${dtype} ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'}: bitwise equal to the triple loop for m, k, n ∈ {1, 3, 5, 127}`, () => {
        expect(wasm.validate(buildMatmul({ dtype, transA: ta, transB: tb }))).toBe(true)
        const mm = k.wk.matmul({ dtype, transA: ta, transB: tb })
        const rnd = dtype === 'float32' ? Math.fround : (v: number) => v
        for (const m of SIZES) for (const kk of SIZES) for (const n of SIZES) {
          if (m * kk * n > 127 * 127 * 5) continue // keep the triple loop cheap
          k.arena.reset()
          const A = uniform(m * kk, -1, 1, m + 7 * kk).map(rnd), B = uniform(kk * n, -1, 1, n + 13 * kk).map(rnd)
          const pa = put(k.arena, dtype, A), pb = put(k.arena, dtype, B), pc = k.arena.alloc(m * n * (dtype === 'float32' ? 4 : 8))
          mm.run(m, kk, n, pa, pb, pc)
          const got = Array.from(view(k.arena, dtype, pc, m * n))
          const want = reference(dtype, A, B, m, kk, n, ta, tb)
          expect({ m, k: kk, n, equal: got.every((v, i) => Object.is(v, want[i])) }).toEqual({ m, k: kk, n, equal: true })
        }
      })
    }
  }

  it('tile shapes, with and without packing B, k = 0, and shapes with every tail', () => {
    for (const [mr, nv, packB] of [[1, 1, true], [3, 3, false], [5, 2, true], [5, 2, false], [2, 4, false], [8, 1, true]] as const) {
      for (const dtype of ['float32', 'float64'] as const) {
        const mm = k.wk.matmul({ dtype, mr, nv, packB })
        for (const [m, kk, n] of [[13, 9, 23], [2, 0, 3], [16, 10, 10]]) {
          k.arena.reset()
          const rnd = dtype === 'float32' ? Math.fround : (v: number) => v
          const A = uniform(m * kk, -1, 1, 3).map(rnd), B = uniform(kk * n, -1, 1, 4).map(rnd)
          const pa = put(k.arena, dtype, A), pb = put(k.arena, dtype, B), pc = put(k.arena, dtype, new Float64Array(m * n).fill(7))
          mm.run(m, kk, n, pa, pb, pc)
          expect(Array.from(view(k.arena, dtype, pc, m * n))).toEqual(reference(dtype, A, B, m, kk, n, false, false))
        }
      }
    }
    expect(() => buildMatmul({ dtype: 'float32', mr: 9 })).toThrow(/tile 9×2 out of range/)
  })

  it('runStrided multiplies blocks of larger matrices', () => {
    // C[2:7, 1:9] = A[2:7, 3:9] · B[3:9, 1:9] inside 10×12 storage, every variant
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        k.arena.reset()
        const R = 10, C = 12
        const rnd = dtype === 'float32' ? Math.fround : (v: number) => v
        const SA = uniform(R * C, -1, 1, 1).map(rnd), SB = uniform(R * C, -1, 1, 2).map(rnd)
        const pa = put(k.arena, dtype, SA), pb = put(k.arena, dtype, SB), pc = put(k.arena, dtype, new Float64Array(R * C))
        const size = dtype === 'float32' ? 4 : 8
        const [m, kk, n] = [5, 6, 8]
        // op(A)[i, p] = A[2 + i, 3 + p] (stored transposed when ta: storage[3 + p, 2 + i]); same for B
        const at = (base: number, r: number, c: number): number => base + (r * C + c) * size
        k.wk.matmul({ dtype, transA: ta, transB: tb }).runStrided(m, kk, n,
          ta ? at(pa, 3, 2) : at(pa, 2, 3), C, tb ? at(pb, 1, 3) : at(pb, 3, 1), C, at(pc, 2, 1), C)
        const got = view(k.arena, dtype, pc, R * C)
        for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) {
          let want = 0
          if (i >= 2 && i < 2 + m && j >= 1 && j < 1 + n) {
            for (let p = 0; p < kk; p++) {
              const a = ta ? SA[(3 + p) * C + 2 + (i - 2)] : SA[i * C + 3 + p]
              const b = tb ? SB[(1 + (j - 1)) * C + 3 + p] : SB[(3 + p) * C + j]
              want = rnd(want + rnd(a * b))
            }
          }
          expect([i, j, got[i * C + j]]).toEqual([i, j, want])
        }
      }
    }
  })

  it('writes only C: the bytes around every operand are untouched', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [ta, tb] of [[false, false], [true, true]] as const) {
        k.arena.reset()
        const [m, kk, n] = [7, 5, 11]
        const size = dtype === 'float32' ? 4 : 8
        const guard = k.arena.alloc(64 + (m * kk + kk * n + m * n) * size + 64 * 3)
        const bytes = k.arena.u8(guard, 64 * 4 + (m * kk + kk * n + m * n) * size)
        bytes.fill(0xab)
        const pa = guard + 64, pb = pa + m * kk * size + 64, pc = pb + kk * n * size + 64
        view(k.arena, dtype, pa, m * kk).fill(1)
        view(k.arena, dtype, pb, kk * n).fill(2)
        k.wk.matmul({ dtype, transA: ta, transB: tb }).run(m, kk, n, pa, pb, pc)
        const after = k.arena.u8(guard, bytes.length)
        expect(Array.from(view(k.arena, dtype, pc, m * n))).toEqual(Array(m * n).fill(2 * kk))
        const outside = [...after.subarray(0, 64), ...after.subarray(pa - guard + m * kk * size, pb - guard), ...after.subarray(pb - guard + kk * n * size, pc - guard), ...after.subarray(pc - guard + m * n * size, pc - guard + m * n * size + 64)]
        expect(outside.every((b) => b === 0xab)).toBe(true)
      }
    }
  })
})
