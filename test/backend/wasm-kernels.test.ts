/**
 * The planner's use of the WebAssembly SIMD kernels: which kernels go to wasm, and that what
 * they compute agrees with the reference interpreter — bit for bit where the policy says so
 * (float64 maps of exactly rounded ops, float64 matmuls, max/min), within the documented
 * bounds elsewhere (float32 transcendentals ≤ 1 ulp, logistic ≤ 2; reassociated sums).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Array as Arr, lax, makeJaxpr, nn, np } from '../../src'
import { ConcreteArray } from '../../src/core/array'
import { compileJaxpr, describeProgram, setThreads, setWasmKernels, threadsInUse } from '../../src/backend'
import { optimize } from '../../src/passes'
import { hoistConsts } from '../../src/interpret/jvp'
import { setArenaLimit } from '../../src/backend/wasmengine'
import type { TypedArray } from '../../src/ir/dtypes'
import type { Jaxpr } from '../../src/ir/jaxpr'
import { makeRng } from '../autodiff/check'
import { bitwiseDiff, closeDiff, maxUlps, runReference } from './helpers'

const jaxprOf = (f: (...xs: Arr[]) => unknown, ...args: Arr[]): Jaxpr => optimize(hoistConsts(makeJaxpr(f)(...args).jaxpr), { all: true })
const engines = (j: Jaxpr): string[] => compileJaxpr(j).spec.steps.map((s) => (s.kind === 'kernel' ? s.engine : s.label))
const run = (j: Jaxpr, xs: readonly Arr[]): { got: TypedArray[]; want: TypedArray[] } => {
  const cs = xs as unknown as ConcreteArray[]
  return { got: compileJaxpr(j).run(cs.map((x) => x.data)), want: runReference(j, cs) }
}

const rnd = makeRng(11)
const f32 = (n: number, lo = -4, hi = 4) => np.array(Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd()))
const f64 = (shape: number[], lo = -4, hi = 4) => np.array(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rnd())).reshape(shape)


afterEach(() => setWasmKernels(true))

describe('which kernels run in wasm', () => {
  const w1 = (x: Arr) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg())))
  it('W1 is one wasm reduction, its gradient one wasm map', () => {
    const x = f32(4096)
    expect(describeProgram(compileJaxpr(jaxprOf(w1, x)))).toMatchInlineSnapshot(`"0: wasm float32 sum reduction [outer 1, red 4096, inner 1], 1 input(s) (input0) → (output1)"`)
  })
  it('float64 transcendentals stay in generated JS; float64 arithmetic goes to wasm', () => {
    const x = f64([4096])
    expect(engines(jaxprOf((x) => np.exp(x), x))).toEqual(['js'])
    expect(engines(jaxprOf((x) => np.sqrt(x.mul(x).add(1)).div(x), x))).toEqual(['wasm'])
  })
  it('small kernels, int32 and mixed dtypes stay in generated JS', () => {
    expect(engines(jaxprOf((x) => np.tanh(x), f32(100)))).toEqual(['js'])
    const i = np.array(new Int32Array(4096).map((_, k) => k))
    expect(engines(jaxprOf((x) => x.mul(3).add(1), i))).toEqual(['js'])
    expect(engines(jaxprOf((x, y) => x.add(y), f32(4096), f64([4096])))).toEqual(['js'])
  })
  it('with wasm kernels off, everything is generated JS', () => {
    setWasmKernels(false)
    expect(engines(jaxprOf(w1, f32(4096)))).toEqual(['js'])
  })
  it('a bias added to every row is a wasm map over rows; short rows stay in JS', () => {
    const x = f64([64, 256])
    const b = f64([256])
    expect(describeProgram(compileJaxpr(jaxprOf((x, b) => x.add(b).mul(x), x, b)))).toMatchInlineSnapshot(
      `"0: wasm float64 map of 64 rows × 256 elements, 2 input(s), 1 output(s) (input0, input1) → (output2)"`,
    )
    expect(engines(jaxprOf((x, b) => x.add(b), f64([512, 8]), f64([8])))).toEqual(['js'])
  })
  it('a contraction followed by its transpose is one matmul (the weight gradient of x·W)', () => {
    const [a, b] = [f64([128, 64]), f64([128, 96])]
    const j = jaxprOf((a, b) => np.transpose(np.matmul(np.transpose(a), b)), a, b)
    expect(describeProgram(compileJaxpr(j))).toMatchInlineSnapshot(`"0: wasm float64 matmul B=1 M=96 K=128 N=64, A transposed (input1, input0) → (output2)"`)
    const { got, want } = run(j, [a, b])
    expect(bitwiseDiff(got[0], want[0])).toBeNull()
  })
})

describe('wasm results against the reference interpreter', () => {
  const x = f32(8192)
  const unary: [string, (x: Arr) => Arr, number][] = [
    ['neg', np.negative, 0], ['abs', np.abs, 0], ['floor', np.floor, 0], ['ceil', np.ceil, 0], ['round', np.round, 0], ['sign', np.sign, 0],
    ['sqrt', (x) => np.sqrt(np.abs(x)), 0], ['rsqrt', (x) => np.reciprocal(np.sqrt(np.abs(x))), 0],
    ['exp', np.exp, 1], ['expm1', np.expm1, 1], ['log', (x) => np.log(np.abs(x)), 1], ['log1p', (x) => np.log1p(np.abs(x)), 1],
    ['tanh', np.tanh, 1], ['sin', (x) => np.sin(x.mul(100)), 1], ['cos', (x) => np.cos(x.mul(100)), 1],
    ['logistic', nn.sigmoid, 2],
  ]
  for (const [name, f, ulp] of unary) {
    it(`float32 ${name}: ≤ ${ulp} ulp per transcendental`, () => {
      const j = jaxprOf(f, x)
      expect(engines(j)).toEqual(['wasm'])
      const { got, want } = run(j, [x])
      // a composite (x·100 then sin) rounds its intermediates exactly like the reference
      expect(maxUlps(got[0], want[0])).toBeLessThanOrEqual(ulp)
    })
  }
  it('float32 binary ops, comparisons and selects are exact', () => {
    const y = f32(8192, -2, 2)
    const f = (x: Arr, y: Arr) => np.where(x.gt(y), x.mul(y).sub(x.div(y)), np.maximum(x, y).add(np.minimum(x, 0.5))).add(np.power(x, 3))
    const j = jaxprOf(f, x, y)
    expect(engines(j)).toEqual(['wasm'])
    const { got, want } = run(j, [x, y])
    expect(bitwiseDiff(got[0], want[0])).toBeNull()
  })
  it('float64 arithmetic maps are bit for bit, slices read in place', () => {
    const v = f64([5001])
    const f = (v: Arr) => {
      const [a, b] = [lax.slice(v, [1], [5001]), lax.slice(v, [0], [5000])]
      return np.where(a.lt(b), np.sqrt(a.mul(a).add(b.mul(b))), a.sub(b).div(a.add(2.5)))
    }
    const j = jaxprOf(f, v)
    expect(engines(j)).toEqual(['wasm'])
    const { got, want } = run(j, [v])
    expect(bitwiseDiff(got[0], want[0])).toBeNull()
  })
  it('reductions over every layout: max/min exact, sums within the blocked-sum bound', () => {
    const a = f64([6, 700, 5], -1, 3)
    const cases: [string, (a: Arr) => Arr][] = [
      ['sum of all', (a) => np.sum(a.mul(a))],
      ['sum over the last axis', (a) => np.sum(a.reshape([4200, 5]).transpose([1, 0]).mul(2), -1)],
      ['sum over the leading axis', (a) => np.sum(a.reshape([4200, 5]).mul(a.reshape([4200, 5])), 0)],
      ['sum over the middle axis', (a) => np.sum(a.add(1), 1)],
      ['max over the middle axis', (a) => np.max(a.mul(3), 1)],
      ['min of all', (a) => np.min(a.sub(1))],
    ]
    for (const [label, f] of cases) {
      const j = jaxprOf(f, a)
      expect(engines(j), label).toEqual(['wasm'])
      const { got, want } = run(j, [a])
      const d = label.startsWith('sum') ? closeDiff(got[0], want[0], 1e-13) : bitwiseDiff(got[0], want[0])
      expect(d, label).toBeNull()
    }
  })
  it('float32 sums accumulate in float64 (1e5 terms of 1 + 2⁻²⁰ come out exact)', () => {
    const ones = np.array(new Float32Array(100000).fill(1 + 2 ** -20))
    const j = jaxprOf((x) => np.sum(x.mul(1)), ones)
    expect(engines(j)).toEqual(['wasm'])
    expect(run(j, [ones]).got[0][0]).toBe(Math.fround(100000 * (1 + 2 ** -20)))
  })
  it('float32 matmuls in every transposition, within the float32 accumulation bound', () => {
    const rows = (n: number, m: number) => np.array(Float32Array.from({ length: n * m }, () => rnd() * 2 - 1)).reshape([n, m])
    const cases: [string, Arr, Arr, (a: Arr, b: Arr) => Arr][] = [
      ['A·B', rows(48, 80), rows(80, 40), (a, b) => np.matmul(a, b)],
      ['Aᵀ·B', rows(80, 48), rows(80, 40), (a, b) => np.matmul(np.transpose(a), b)],
      ['A·Bᵀ', rows(48, 80), rows(40, 80), (a, b) => np.matmul(a, np.transpose(b))],
      ['Aᵀ·Bᵀ', rows(80, 48), rows(40, 80), (a, b) => np.matmul(np.transpose(a), np.transpose(b))],
    ]
    for (const [label, A, B, f] of cases) {
      const j = jaxprOf(f, A, B)
      expect(engines(j), label).toEqual(['wasm'])
      const { got, want } = run(j, [A, B])
      // |error| ≤ K·2⁻²⁴·Σ|a||b| ≤ 80·2⁻²⁴·80 for entries in [−1, 1]
      expect(closeDiff(got[0], want[0], 0, 80 * 80 * 2 ** -24), label).toBeNull()
    }
  })
})

describe('worker threads (opt-in)', () => {
  it('threaded maps, reductions and matmuls equal the one-thread results bit for bit', async () => {
    const x = f32(300000)
    const X = np.array(Float32Array.from({ length: 256 * 300 }, () => rnd() - 0.5)).reshape([256, 300])
    const W = np.array(Float32Array.from({ length: 300 * 200 }, () => rnd() - 0.5)).reshape([300, 200])
    const progs: [Jaxpr, Arr[]][] = [
      [jaxprOf((x) => np.tanh(x.mul(1.5)).mul(np.exp(x.neg())), x), [x]],
      [jaxprOf((x) => np.sum(np.sin(x)), x), [x]],
      [jaxprOf((x) => np.sum(x.reshape([600, 500]).mul(2), 1), x), [x]],
      [jaxprOf((a, b) => np.matmul(a, b), X, W), [X, W]],
    ]
    const data = (xs: Arr[]) => (xs as unknown as ConcreteArray[]).map((a) => a.data)
    const one = progs.map(([j, xs]) => compileJaxpr(j).run(data(xs))[0])
    await setThreads(2)
    try {
      expect(threadsInUse()).toBe(2)
      progs.forEach(([j, xs], i) => expect(bitwiseDiff(compileJaxpr(j).run(data(xs))[0], one[i]), `program ${i}`).toBeNull())
    } finally {
      await setThreads(1)
    }
    expect(threadsInUse()).toBe(1)
  })
  it('setThreads checks its argument', async () => {
    await expect(setThreads(0)).rejects.toThrow(/setThreads: expected an integer from 1 to 64, got 0/)
  })
})

describe('operands that do not fit in the arena', () => {
  it('run the generated-JS kernel instead, with its results', async () => {
    const x = f32(1 << 20) // 4 MiB: more than the 1 MiB arena below
    const j = jaxprOf((x) => np.tanh(x).mul(2), x)
    setWasmKernels(false)
    const js = compileJaxpr(j).run([(x as unknown as ConcreteArray).data])[0]
    setWasmKernels(true)
    await setArenaLimit(1 << 20)
    try {
      expect(engines(j)).toEqual(['wasm'])
      expect(bitwiseDiff(compileJaxpr(j).run([(x as unknown as ConcreteArray).data])[0], js)).toBeNull()
      // small calls still fit
      const y = f32(4096)
      const { got, want } = run(jaxprOf((x) => x.mul(x).add(1), y), [y])
      expect(bitwiseDiff(got[0], want[0])).toBeNull()
    } finally {
      await setArenaLimit(undefined)
    }
  })
})
