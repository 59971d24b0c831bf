// A reduction kernel whose epilogue reads back a value the same kernel stores: `e + sum(e)`
// with `e` computed in the kernel. Where the reduced axes have extent 1 they are dropped from
// the loop nest, and the read-back load used to be hoisted above the store, so it read the
// buffer's previous contents (jit gave 1 where the answer is 2). Found by the differential
// fuzzer (test/fuzz) as a jvp under jit that was exactly half the right value.
import { describe, expect, it } from 'vitest'
import { jit, jvp, np } from '../../src'
import type { NDArray } from '../../src'
import { setWasmKernels } from '../../src/backend'

// e = b·cos(a); e + Σ_axis e  (keepdims, so the sum broadcasts back over e)
const reread = (axis: number) => (a: NDArray, b: NDArray) => {
  const e = b.mul(np.cos(a))
  return e.add(np.sum(e, axis, { keepdims: true }))
}

describe('an epilogue that reads back what its kernel stored', () => {
  for (const wasm of [true, false]) {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [shape, axis] of [[[1], 0], [[2, 1], 1], [[3, 1], 1], [[1, 4], 0], [[1, 1], 1], [[2, 3], 1], [[5], 0]] as const) {
        it(`${dtype} ${JSON.stringify(shape)} reducing axis ${axis}${wasm ? '' : ' (wasm off)'}: jit equals eager and the closed form`, () => {
          setWasmKernels(wasm)
          try {
            const a = np.zeros(shape, { dtype })
            const b = np.arange(1, shape.reduce((p: number, q: number) => p * q, 1) + 1, { dtype }).reshape([...shape])
            const f = reread(axis)
            const eager = f(a, b).tolist()
            expect(jit(f)(a, b).tolist()).toEqual(eager)
            // closed form at a = 0: b + Σ_axis b
            const bl = b.tolist() as number[] | number[][]
            const want = shape.length === 1
              ? (bl as number[]).map((v) => v + (bl as number[]).reduce((p, q) => p + q, 0))
              : (bl as number[][]).map((row, i) => row.map((v, j) => v + (axis === 1 ? row.reduce((p, q) => p + q, 0) : (bl as number[][]).reduce((p, r) => p + r[j], 0))))
            expect(eager).toEqual(want)
          } finally {
            setWasmKernels(true)
          }
        })
      }
    }
  }

  it('the program the fuzzer found: jvp of sin(e + sum(e)), e = sin(v), v: f32[1] = [0]', () => {
    const f = (v: NDArray) => {
      const e = np.sin(v)
      return np.sin(e.add(np.sum(e)))
    }
    const v = np.array([0], { dtype: 'float32' })
    const t = np.array([1], { dtype: 'float32' })
    // d/dv sin(2 sin v) at 0 = 2 cos(0)·cos(0) = 2
    expect(jvp(f, [v], [t])[1].tolist()).toEqual([2])
    expect(jvp(jit(f), [v], [t])[1].tolist()).toEqual([2])
    expect(jit((a: NDArray, b: NDArray) => jvp(f, [a], [b])[1])(v, t).tolist()).toEqual([2])
  })
})
