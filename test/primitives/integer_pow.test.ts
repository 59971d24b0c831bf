/**
 * integer_pow with exponents past 2^31: the reference impl, the generated-JS kernel and the
 * WebAssembly kernel walk |y| without 32-bit bit operations and agree bit for bit; the valid
 * range is every safe integer, anything else is a ValueError (never an internal error).
 */
import { describe, expect, it } from 'vitest'
import { np, lax, jit, grad, ValueError } from '../../src'
import type { Array } from '../../src'
import { ConcreteArray } from '../../src/core/array'
import { compileJaxpr, setWasmKernels } from '../../src/backend'
import { bitwiseDiff, oneEqn, runReference } from '../backend/helpers'

const BIG = [2 ** 31, -(2 ** 31), 2 ** 31 + 1, 2 ** 32 + 1, 2 ** 40 + 3, 2 ** 53 - 1, -(2 ** 53 - 1)]
const below1 = 1 - 2 ** -52
const BASES = [1.0000001, below1, 2, 0.5, -1, 1, -0.5, 0, -0]
const x300 = Float64Array.from({ length: 300 }, (_, i) => BASES[i % BASES.length])

describe('integer_pow with |y| ≥ 2^31', () => {
  it('the reference impl is right: closed forms and exp(y·log1p(x − 1)) near 1', () => {
    const pow = (b: number, y: number) => lax.integerPow(np.array(b), y).item()
    const y = 2 ** 31
    // (1 + h)^y = exp(y log1p(h)); 31 squarings lose at most ~2^31·2^-53 relative
    const truth = Math.exp(y * Math.log1p(1.0000001 - 1))
    expect(Math.abs(pow(1.0000001, y) / truth - 1)).toBeLessThan(1e-6)
    expect(truth).toBeGreaterThan(1.83e93)
    expect(Math.abs(pow(below1, y) / Math.exp(y * Math.log1p(-(2 ** -52))) - 1)).toBeLessThan(1e-9)
    expect(pow(2, -(2 ** 31))).toBe(0)
    expect(pow(2, 2 ** 31)).toBe(Infinity)
    expect(pow(0.5, -(2 ** 31))).toBe(Infinity)
    expect(pow(-1, 2 ** 31 + 1)).toBe(-1)
    expect(pow(-1, 2 ** 53 - 1)).toBe(-1)
    expect(pow(-1, 2 ** 40)).toBe(1)
  })

  it('int32 wraps modulo 2^32 with the whole exponent', () => {
    for (const [b, y] of [[3, 2 ** 31], [3, 2 ** 31 + 1], [7, 2 ** 40 + 3], [-5, 2 ** 53 - 1]] as const) {
      // b^y mod 2^32 by BigInt square-and-multiply, as a signed int32
      let r = 1n
      let base = BigInt.asUintN(32, BigInt(b))
      for (let e = BigInt(y); e > 0n; e >>= 1n) {
        if (e & 1n) r = (r * base) % 2n ** 32n
        base = (base * base) % 2n ** 32n
      }
      expect(lax.integerPow(np.array(b, { dtype: 'int32' }), y).item()).toBe(Number(BigInt.asIntN(32, r)))
    }
  })

  it('generated JS and WebAssembly kernels equal the reference bit for bit', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const data = dtype === 'float64' ? x300 : Float32Array.from(x300)
      const xs = [new ConcreteArray(data, [300], dtype)]
      for (const y of BIG) {
        const j = oneEqn('integer_pow', xs, { y })
        const want = runReference(j, xs)[0]
        for (const wasm of [true, false]) {
          setWasmKernels(wasm)
          try {
            const prog = compileJaxpr(j)
            if (wasm) expect(prog.spec.steps.some((s) => s.kind === 'kernel' && s.engine === 'wasm')).toBe(true)
            const d = bitwiseDiff(prog.run([data])[0], want)
            if (d !== null) expect.fail(`${dtype} y=${y} wasm=${wasm}: ${d}`)
          } finally {
            setWasmKernels(true)
          }
        }
      }
    }
  })

  it('jit with y = 2^53 − 1 runs; its derivative y·x^(y−1) too', () => {
    const y = 2 ** 53 - 1
    expect(jit((x: Array) => lax.integerPow(x, y))(np.array([-1, 1, 0.5])).tolist()).toEqual([-1, 1, 0])
    expect(jit(grad((x: Array) => lax.integerPow(x, y)))(np.array(-1)).item()).toBe(y)
    expect(grad((x: Array) => lax.integerPow(x, -y))(np.array(1)).item()).toBe(-y)
  })

  it('exponents outside the safe integers are ValueErrors, eagerly and under jit', () => {
    for (const y of [2 ** 53, -(2 ** 53), 1.5, NaN, Infinity]) {
      expect(() => lax.integerPow(np.array(1), y)).toThrow(ValueError)
      expect(() => jit((x: Array) => lax.integerPow(x, y))(np.array([1, 2]))).toThrow(ValueError)
      expect(() => jit((x: Array) => lax.integerPow(x, y))(np.array([1, 2]))).toThrow(/safe integer/)
    }
  })
})
