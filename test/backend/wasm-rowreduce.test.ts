/**
 * A float32 row sum followed by a map of the same row runs as one WebAssembly kernel
 * (wasm/rowreduce.ts): per-example gradients of linear models (jit(vmap(grad))), rows scaled
 * by their sums. Checked against the reference interpreter: bit for bit where the sums are
 * exact in float64 (only their order differs) and the map has no transcendental — with NaN,
 * ±Inf, −0 and subnormal inputs and rows whose length is not a multiple of the 4 lanes —, and
 * within a few float32 ulps through the wasm logistic path.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Array as Arr, grad, makeJaxpr, nn, np, vmap } from '../../src'
import type { ConcreteArray } from '../../src/core/array'
import { compileJaxpr, describeProgram, setWasmKernels } from '../../src/backend'
import { ex } from '../../src/backend/wasm'
import { hoistPerRow } from '../../src/backend/wasm/rowreduce'
import { optimize } from '../../src/passes'
import { hoistConsts } from '../../src/interpret/jvp'
import type { TypedArray } from '../../src/ir/dtypes'
import type { Jaxpr } from '../../src/ir/jaxpr'
import { makeRng } from '../autodiff/check'
import { bitwiseDiff, maxUlps, runReference } from './helpers'

const jaxprOf = (f: (...xs: Arr[]) => unknown, ...args: Arr[]): Jaxpr => optimize(hoistConsts(makeJaxpr(f)(...args).jaxpr), { all: true })
const compiled = (j: Jaxpr, xs: readonly Arr[]): TypedArray[] => compileJaxpr(j).run((xs as unknown as ConcreteArray[]).map((x) => x.data))
const reference = (j: Jaxpr, xs: readonly Arr[]): TypedArray[] => runReference(j, xs as unknown as ConcreteArray[])

afterEach(() => setWasmKernels(true))

const rnd = makeRng(29)
/** Multiples of 1/8 in [−4, 4]: their products and sums of a few hundred are exact in float64. */
const q = (): number => Math.round((rnd() * 8 - 4) * 8) / 8
const SPECIAL = [Number.NaN, Infinity, -Infinity, -0, 0, 2 ** -140, -(2 ** -149), 2 ** -126, 3.5]

/** [rows, n] float32 data: quantized values, with row 1 NaN/±Inf/−0/subnormal cases, row 2 all
 *  −0, row 3 subnormals only (their float64 sum is exact), row 4 one +Inf and one −Inf. */
const matrix = (rows: number, n: number): Float32Array => {
  const x = Float32Array.from({ length: rows * n }, q)
  for (let c = 0; c < n; c++) {
    x[n + c] = SPECIAL[c % SPECIAL.length]
    x[2 * n + c] = -0
    x[3 * n + c] = c % 2 === 0 ? 2 ** -140 : -(2 ** -145)
  }
  x[4 * n] = Infinity
  x[4 * n + 1] = -Infinity
  return x
}

const f32 = (data: ArrayLike<number>, shape: number[]): Arr => np.array(Float32Array.from(data)).reshape(shape)

/** Per-example gradient of ½(w·x − y)²: (w·x − y)·x — a dot, then an outer product. */
const sqLoss = (w: Arr, x: Arr, y: Arr): Arr => np.square(np.dot(w, x).sub(y)).mul(0.5)
/** Per-example gradient of the logistic loss softplus(w·x) − y·w·x: (σ(w·x) − y)·x. */
const logLoss = (w: Arr, x: Arr, y: Arr): Arr => {
  const z = np.dot(w, x)
  return nn.softplus(z).sub(y.mul(z))
}

describe('row sums followed by a map of the row', () => {
  it('per-example gradients of logistic regression are one wasm kernel', () => {
    const [N, D] = [256, 100]
    const args = [f32(Array.from({ length: D }, () => q() / 8), [D]), f32(matrix(N, D).map((v, i) => (i < 5 * D ? q() : v)), [N, D]), f32(Array.from({ length: N }, () => (rnd() < 0.5 ? 0 : 1)), [N])]
    const j = jaxprOf(vmap(grad(logLoss), { inAxes: [null, 0, 0] }), ...args)
    expect(describeProgram(compileJaxpr(j))).toMatchInlineSnapshot(`"0: wasm float32 row sum of 256 rows × 100 elements, then 1 map(s) of each row, 4 input(s) (input0, input1, input2) → (temp3, output4)"`)
  })

  it('agrees with the reference interpreter bit for bit where the sums are exact (NaN, ±Inf, −0, subnormals, a tail of 1–3 lanes)', () => {
    for (const [N, D] of [[16, 37], [9, 64], [70, 5]]) {
      const w = f32(Array.from({ length: D }, (_, c) => (c === 2 ? -0 : q())), [D])
      const X = f32(matrix(N, D), [N, D])
      const y = f32(Array.from({ length: N }, q), [N])
      const j = jaxprOf(vmap(grad(sqLoss), { inAxes: [null, 0, 0] }), w, X, y)
      expect(compileJaxpr(j).spec.steps.map((s) => (s.kind === 'kernel' ? s.engine : s.label))).toEqual(['wasm'])
      const got = compiled(j, [w, X, y])
      const want = reference(j, [w, X, y])
      expect(bitwiseDiff(got[0], want[0])).toBeNull()
      // the special rows really are special: NaN, and the subnormal row's gradient is not all zero
      expect(Number.isNaN(got[0][D])).toBe(true)
      expect(Array.from(got[0].subarray(3 * D, 4 * D)).some((v) => v !== 0)).toBe(true)
    }
  })

  it('rows scaled by their own sum (a float32 prologue, a per-row label) match bit for bit', () => {
    const [N, D] = [12, 45]
    const X = f32(matrix(N, D), [N, D])
    const w = f32(Array.from({ length: D }, q), [D])
    const y = f32(Array.from({ length: N }, q), [N, 1])
    const j = jaxprOf((X, w, y) => X.mul(np.sum(X.mul(w), 1, { keepdims: true })).sub(y), X, w, y)
    const p = compileJaxpr(j)
    expect(describeProgram(p)).toContain('wasm float32 row sum of 12 rows × 45 elements')
    expect(bitwiseDiff(p.run([X, w, y].map((a) => (a as unknown as ConcreteArray).data))[0], reference(j, [X, w, y])[0])).toBeNull()
  })

  it('through the wasm logistic: within 4 float32 ulps of the reference, and of the generated JS kernel', () => {
    const [N, D] = [256, 100]
    const w = f32(Array.from({ length: D }, () => (rnd() - 0.5) * 0.6), [D])
    const X = f32(Array.from({ length: N * D }, () => rnd() * 2 - 1), [N, D])
    const y = f32(Array.from({ length: N }, () => (rnd() < 0.5 ? 0 : 1)), [N])
    const j = jaxprOf(vmap(grad(logLoss), { inAxes: [null, 0, 0] }), w, X, y)
    const got = compiled(j, [w, X, y])[0]
    const want = reference(j, [w, X, y])[0]
    setWasmKernels(false)
    const js = compiled(jaxprOf(vmap(grad(logLoss), { inAxes: [null, 0, 0] }), w, X, y), [w, X, y])[0]
    // (the reference's eager exp over 256 elements is itself a wasm kernel: neither is Math.exp)
    expect(maxUlps(got, want)).toBeLessThanOrEqual(4)
    expect(maxUlps(got, js)).toBeLessThanOrEqual(4)
    // closed form: G[i, :] = (σ(w·xᵢ) − yᵢ)·xᵢ in float64
    const [wd, Xd, yd] = [w, X, y].map((a) => (a as unknown as ConcreteArray).data)
    for (let i = 0; i < N; i += 37) {
      let z = 0
      for (let c = 0; c < D; c++) z += wd[c] * Xd[i * D + c]
      const k = 1 / (1 + Math.exp(-z)) - yd[i]
      for (let c = 0; c < D; c += 11) expect(got[i * D + c]).toBeCloseTo(k * Xd[i * D + c], 6)
    }
  })

  it('float64 kernels stay in generated JS', () => {
    const w = np.array(Float64Array.from({ length: 64 }, q))
    const X = np.array(Float64Array.from({ length: 64 * 32 }, q)).reshape([32, 64])
    const y = np.array(Float64Array.from({ length: 32 }, q))
    const j = jaxprOf(vmap(grad(sqLoss), { inAxes: [null, 0, 0] }), w, X, y)
    expect(compileJaxpr(j).spec.steps.map((s) => (s.kind === 'kernel' ? s.engine : s.label))).toEqual(['js'])
  })
})

describe('hoistPerRow', () => {
  it('moves the largest parts that read only per-row inputs out of the element loop', () => {
    // out = x · exp(a) + (b − a)·x with x per element (input 0), a and b per row (inputs 1, 2)
    const [x, a, b] = [ex.input(0), ex.input(1), ex.input(2)]
    const { roots, hoisted } = hoistPerRow([ex.add(ex.mul(x, ex.exp(a)), ex.mul(ex.sub(b, a), x))], (i) => i > 0, 3)
    expect(hoisted).toEqual([ex.sub(b, a), ex.exp(a)])
    expect(roots).toEqual([ex.add(ex.mul(x, ex.input(4)), ex.mul(ex.input(3), x))])
  })

  it('keeps a select whose predicate is per row but whose cases are not, hoisting only the predicate’s operands', () => {
    const [x, a] = [ex.input(0), ex.input(1)]
    const e = ex.select(ex.gt(ex.exp(a), ex.c(1)), x, ex.neg(x))
    const { roots, hoisted } = hoistPerRow([e], (i) => i === 1, 2)
    expect(hoisted).toEqual([ex.exp(a)])
    expect(roots).toEqual([ex.select(ex.gt(ex.input(2), ex.c(1)), x, ex.neg(x))])
  })
})

