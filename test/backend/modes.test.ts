/**
 * The evaluator's modes: the reference interpreter on request or when code generation is
 * unavailable (a Content-Security-Policy without 'unsafe-eval'), and eager calls through the
 * per-op kernels (which must equal the impls bit for bit).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Array as Arr, jit, lax, np } from '../../src'
import { EAGER_MIN_SIZE, backendMode, setBackend, setEagerMinSize, setWasmKernels, stats } from '../../src/backend'
import { ConcreteArray } from '../../src/core/array'
import { rulesOf } from '../../src/core/rules'
import { bind } from '../../src/core/tracer'
import { extraBatchCases, nonDifferentiableCases, primitiveCases } from '../autodiff/cases'
import { makeRng } from '../autodiff/check'
import { bitwiseDiff, closeDiff, toF32 } from './helpers'

afterEach(() => {
  setBackend('compiled')
  setEagerMinSize(EAGER_MIN_SIZE)
})

const f = (x: Arr) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg())))

describe('backend modes', () => {
  it('setBackend("reference") evaluates jit with the impls (same answer, no compilation)', () => {
    const x = np.array([0.1, -0.4, 2])
    const want = jit(f)(x).item()
    setBackend('reference')
    expect(backendMode()).toBe('reference')
    const before = stats.programsCompiled
    expect(jit((y: Arr) => f(y).add(0))(x).item()).toBe(want)
    expect(stats.programsCompiled).toBe(before)
  })

  it('falls back to the reference interpreter when new Function is forbidden (CSP)', () => {
    const original = globalThis.Function
    const blocked = function () {
      throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not allowed")
    } as unknown as FunctionConstructor
    try {
      globalThis.Function = blocked
      setBackend('compiled')
      expect(backendMode()).toBe('reference')
      const g = jit((y: Arr) => np.cos(y).mul(3).sum())
      expect(g(np.array([0.5, 1, 1.5])).item()).toBeCloseTo([0.5, 1, 1.5].reduce((s, v) => s + 3 * Math.cos(v), 0), 12)
    } finally {
      globalThis.Function = original
    }
    setBackend('compiled')
    expect(backendMode()).toBe('compiled')
  })
})

describe('eager per-op kernels: generated JS == impls bit for bit; large float maps == jit', () => {
  const EW = [...primitiveCases(), ...nonDifferentiableCases(), ...extraBatchCases()].filter((c) => rulesOf(c.prim).lower !== undefined && c.prim !== 'iota')
  it(`covers ${EW.length} elementwise cases`, () => {
    setEagerMinSize(0)
    const rnd = makeRng(5)
    for (const c of EW) {
      for (const xs of [c.make(rnd), toF32(c.make(rnd))]) {
        let want: ConcreteArray[]
        try {
          want = rulesOf(c.prim).impl(xs, c.params as never)
        } catch {
          continue // a float32 version the primitive does not accept
        }
        const got = bind(c.prim, xs, c.params as never) as ConcreteArray[]
        got.forEach((g, i) => {
          const d = bitwiseDiff(g.data, want[i].data)
          if (d !== null) expect.fail(`${c.prim} ${c.label} (${xs.map((x) => x.dtype)}): ${d}`)
          expect(g.aval).toEqual(want[i].aval)
        })
      }
    }
  })
  it('large arrays go through the kernels by default; small ones through the impls', () => {
    // generated-JS kernels (with wasm kernels on, this float64 power would run in wasm)
    setWasmKernels(false)
    try {
      const big = np.array(new Float64Array(EAGER_MIN_SIZE).fill(0.5))
      const before = stats.kernelsCompiled
      lax.integerPow(big, 17) // a new signature: one kernel compiled
      expect(stats.kernelsCompiled).toBe(before + 1)
      lax.integerPow(np.array([0.5, 1]), 17) // small: the impl
      lax.integerPow(big, 17) // cached
      expect(stats.kernelsCompiled).toBe(before + 1)
    } finally {
      setWasmKernels(true)
    }
  })
  it('large float32 maps run the WebAssembly kernel a jitted map runs: eager == jit, bit for bit', () => {
    const x = np.array(Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 20))
    const eager = np.tanh(np.sin(x)).toTypedArray()
    const compiled = jit((x: Arr) => np.tanh(np.sin(x)))(x).toTypedArray()
    expect(bitwiseDiff(eager, compiled)).toBeNull()
    // and within the wasm float32 bound of the impls (≤ 1 ulp each, so ≤ a few ulps composed)
    const ref = Float32Array.from(x.toTypedArray(), (v) => Math.fround(Math.tanh(Math.fround(Math.sin(v)))))
    expect(closeDiff(eager, ref, 2 ** -21)).toBeNull()
  })
  it('an eager long scan runs compiled and equals the reference', () => {
    const run = () => lax.foriLoop(0, 1000, (_i: Arr, c: Arr) => c.mul(0.999).add(np.sin(c).mul(0.001)), np.array([0.3, -1.2, 0.8]))
    const got = run().toTypedArray()
    setBackend('reference')
    const want = run().toTypedArray()
    expect(bitwiseDiff(got, want)).toBeNull()
  })
})
