/**
 * The transcendental kernels against JS Math: float32 within the stated ulps of
 * Math.fround(Math.f(x)) on ~1.1e6 points per function (random bit patterns — every
 * exponent, subnormals, NaN — plus dense ranges and special values); float64 within 1 ulp of
 * Math.f on ~6e5 points.
 */
import { describe, expect, it } from 'vitest'
import { type FloatDType, UNARY_REF, type UnaryOp, ex } from '../../../src/backend/wasm'
import { invPio4Table } from '../../../src/backend/wasm/math32'
import { SPECIAL, kernels, logUniform, randomBits32, randomBits64, runElementwise, ulp32, ulp64, uniform } from './helpers'

const k = kernels()

const worst = (dtype: FloatDType, op: UnaryOp, xs: Float32Array | Float64Array): { ulps: number; at: number; got: number; want: number } => {
  const [ys] = runElementwise(k, { dtype, inputs: ['array'], outputs: [ex.unary(op, ex.input(0))] }, xs.length, [xs])
  const f = UNARY_REF[op]
  const wants = dtype === 'float32' ? new Float32Array(xs.length) : new Float64Array(xs.length)
  for (let i = 0; i < xs.length; i++) wants[i] = f(xs[i]) // a Float32Array store is Math.fround
  // compare bit patterns first (most agree exactly), then measure the ones that differ
  const gb = dtype === 'float32' ? new Int32Array(ys.buffer) : new Int32Array(ys.buffer)
  const wb = new Int32Array(wants.buffer)
  const dist = dtype === 'float32' ? ulp32 : ulp64
  const words = dtype === 'float32' ? 1 : 2
  let w = { ulps: 0, at: NaN, got: NaN, want: NaN }
  for (let i = 0; i < xs.length; i++) {
    if (gb[words * i] === wb[words * i] && gb[words * i + words - 1] === wb[words * i + words - 1]) continue
    const d = dist(ys[i], wants[i])
    if (d > w.ulps) w = { ulps: d, at: xs[i], got: ys[i], want: wants[i] }
  }
  return w
}

const concat32 = (...parts: ArrayLike<number>[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
const concat64 = (...parts: ArrayLike<number>[]): Float64Array => {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

// max ulps vs Math.fround(Math.f(x)), and the range where the dense samples go
const F32: [UnaryOp, number, number, number][] = [
  ['exp', 1, -104, 89], ['expm1', 1, -20, 89], ['log', 1, 0, 100], ['log1p', 1, -1, 10],
  ['tanh', 1, -10, 10], ['logistic', 2, -30, 30], ['sin', 1, -100, 100], ['cos', 1, -100, 100],
  ['rsqrt', 0, 0, 100],
]

describe('float32 transcendentals', () => {
  // shared samples (each function adds a dense range of its own)
  const common = concat32(
    randomBits32(400_000, 1),
    logUniform(250_000, -40, 8, 3),
    uniform(150_000, -1, 1, 4),
    logUniform(20_000, 8, 128, 5), // huge arguments (sin/cos reduce them exactly)
    SPECIAL,
  )
  for (const [op, bound, lo, hi] of F32) {
    it(`${op}: ≤ ${bound} ulp on 1.1e6 points`, () => {
      const xs = concat32(common, uniform(300_000, lo, hi, 2))
      expect(worst('float32', op, xs)).toMatchObject({ ulps: expect.toSatisfy((u: number) => u <= bound) })
    })
  }

  it('special values are exact: signed zeros, infinities, NaN, overflow and underflow', () => {
    const cases: [UnaryOp, number, number][] = [
      ['exp', -Infinity, 0], ['exp', Infinity, Infinity], ['exp', 89, Infinity], ['exp', -104, 0], ['exp', -0, 1],
      ['expm1', -0, -0], ['expm1', -Infinity, -1], ['expm1', Infinity, Infinity], ['expm1', 1e-30, 1e-30],
      ['log', 0, -Infinity], ['log', -0, -Infinity], ['log', -1, NaN], ['log', Infinity, Infinity], ['log', 1, 0],
      ['log1p', -0, -0], ['log1p', -1, -Infinity], ['log1p', -2, NaN], ['log1p', Infinity, Infinity],
      ['tanh', -0, -0], ['tanh', Infinity, 1], ['tanh', -Infinity, -1], ['tanh', 1e-40, 1e-40],
      ['logistic', Infinity, 1], ['logistic', -Infinity, 0], ['logistic', 0, 0.5],
      ['sin', -0, -0], ['sin', Infinity, NaN], ['sin', -Infinity, NaN], ['cos', Infinity, NaN], ['cos', -0, 1],
      ['sin', 1e-40, 1e-40], ['rsqrt', 0, Infinity], ['rsqrt', -1, NaN],
    ]
    for (const [op, x, want] of cases) {
      const [ys] = runElementwise(k, { dtype: 'float32', inputs: ['array'], outputs: [ex.unary(op, ex.input(0))] }, 1, [[x]])
      expect([op, x, ys[0]]).toEqual([op, x, Math.fround(want)])
    }
    for (const op of F32.map((r) => r[0])) {
      const [ys] = runElementwise(k, { dtype: 'float32', inputs: ['array'], outputs: [ex.unary(op, ex.input(0))] }, 1, [[NaN]])
      expect([op, ys[0]]).toEqual([op, NaN])
    }
  })
})

/** Every `stride`-th float32 from lo up to hi (both positive or both negative; bit order). */
const band32 = (lo: number, hi: number, stride: number): Float32Array => {
  const f = new Float32Array([lo, hi])
  const [a, b] = new Uint32Array(f.buffer)
  const from = Math.min(a, b), to = Math.max(a, b)
  const bits = new Uint32Array(Math.floor((to - from) / stride) + 1)
  for (let i = 0; i < bits.length; i++) bits[i] = from + i * stride
  return new Float32Array(bits.buffer)
}

describe('float32 transcendentals: every float32 in the bands where their formulas change', () => {
  // the branch points and the ranges where the exponent is applied in two factors
  const BANDS: [UnaryOp, number, number, number, number][] = [
    ['tanh', 0.55, 0.75, 3, 1], // the polynomial below 0.625, 1 − 2/(e^{2x} + 1) above
    ['tanh', -9.5, -8, 5, 1], // tanh rounds to ±1
    ['exp', -104, -87, 7, 1], // subnormal results: 2ⁿ as two factors, one rounding
    ['exp', 88, 89, 1, 1], // overflow threshold
    ['expm1', -0.4, -0.3, 3, 1], // n = −1 ↔ 0
    ['log', 1e-45, 1.1754943508222875e-38, 61, 1], // subnormal inputs: the vector's second pass
    ['log', 0.69, 1.45, 11, 1], // m around √½ and √2
    ['log1p', -0.3, -0.29, 1, 1],
    ['sin', 2 ** -13, 2 ** -11, 29, 1], // sin x = x below 2⁻¹²: the vector's second pass
    ['cos', 4.1e8, 4.3e8, 1, 1], // the integer reduction from 4.2e8 on
  ]
  for (const [op, lo, hi, stride, bound] of BANDS) {
    it(`${op} on [${lo}, ${hi}] (${stride === 1 ? 'every float32' : `1 in ${stride} float32s`}): ≤ ${bound} ulp`, () => {
      expect(worst('float32', op, band32(lo, hi, stride))).toMatchObject({ ulps: expect.toSatisfy((u: number) => u <= bound) })
    })
  }

  it('a special lane gives the same bits at every lane position among ordinary ones', () => {
    // the special cases are handled per vector (one branch) or per lane (selects): either way
    // a value must not depend on its neighbours
    for (const op of F32.map((r) => r[0])) {
      const spec = { dtype: 'float32' as const, inputs: ['array' as const], outputs: [ex.unary(op, ex.input(0))] }
      const alone = runElementwise(k, spec, SPECIAL.length, [SPECIAL])[0].slice()
      const [plain] = runElementwise(k, spec, 1, [[0.3]])
      const W = 8 // two vectors: every lane of the unrolled main loop
      for (let p = 0; p < W; p++) {
        const xs = new Float32Array(SPECIAL.length * W).fill(0.3)
        SPECIAL.forEach((v, i) => { xs[i * W + p] = v })
        const [ys] = runElementwise(k, spec, xs.length, [xs])
        const bad: [number, number, number][] = []
        ys.forEach((y, i) => {
          const want = i % W === p ? alone[(i - p) / W] : plain[0]
          if (!Object.is(y, want)) bad.push([xs[i], y, want])
        })
        expect([op, p, bad]).toEqual([op, p, []])
      }
    }
  })
})

const F64: UnaryOp[] = ['exp', 'expm1', 'log', 'log1p', 'tanh', 'logistic', 'sin', 'cos', 'rsqrt']

describe('float64 transcendentals', () => {
  const xs = concat64(
    randomBits64(150_000, 11),
    uniform(100_000, -20, 20, 12),
    logUniform(100_000, -60, 10, 13),
    uniform(50_000, -1, 1, 14),
    logUniform(5_000, 10, 1000, 15),
    SPECIAL,
  )
  for (const op of F64) {
    it(`${op}: ≤ 1 ulp of the float64 reference on 4e5 points`, () => {
      expect(worst('float64', op, xs)).toMatchObject({ ulps: expect.toSatisfy((u: number) => u <= 1) })
    })
  }

  it('special values are exact', () => {
    const cases: [UnaryOp, number, number][] = [
      ['exp', -Infinity, 0], ['exp', Infinity, Infinity], ['exp', 710, Infinity], ['exp', -746, 0], ['exp', -745, 5e-324],
      ['expm1', -0, -0], ['expm1', -Infinity, -1], ['expm1', 710, Infinity], ['expm1', 1e-300, 1e-300],
      ['log', 0, -Infinity], ['log', -1e-300, NaN], ['log', Infinity, Infinity], ['log', 5e-324, Math.log(5e-324)],
      ['log1p', -0, -0], ['log1p', -1, -Infinity], ['tanh', -0, -0], ['tanh', -Infinity, -1], ['tanh', 30, 1],
      ['logistic', -Infinity, 0], ['logistic', 800, 1], ['sin', -0, -0], ['sin', Infinity, NaN], ['cos', NaN, NaN],
      ['sin', 1e22, Math.sin(1e22)], ['cos', 1e300, Math.cos(1e300)], ['sin', -3e6, Math.sin(-3e6)],
    ]
    for (const [op, x, want] of cases) {
      const [ys] = runElementwise(k, { dtype: 'float64', inputs: ['array'], outputs: [ex.unary(op, ex.input(0))] }, 1, [[x]])
      expect([op, x, ys[0]]).toEqual([op, x, want])
    }
  })
})

describe('constants', () => {
  it('the 4/π table of float32 sin/cos holds the bits of 2/π (computed here by Machin\'s formula)', () => {
    const S = 256n
    const one = 1n << S
    const atanInv = (x: bigint): bigint => { // arctan(1/x)·2^S
      let sum = 0n, term = one / x, k = 0n
      while (term !== 0n) { sum += (k % 2n === 0n ? 1n : -1n) * (term / (2n * k + 1n)); term /= x * x; k++ }
      return sum
    }
    const pi = 4n * (4n * atanInv(5n) - atanInv(239n)) // π·2^S
    const twoOverPi = (2n * one * one) / pi // (2/π)·2^S
    const bytes = [0, 0, 0, ...Array.from({ length: 24 }, (_, i) => Number((twoOverPi >> (S - 8n * BigInt(i + 1))) & 255n))]
    const want = Array.from({ length: 24 }, (_, i) => ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0)
    expect(invPio4Table()).toEqual(want)
  })
})
