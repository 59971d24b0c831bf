/**
 * Accuracy sweep of the transcendental kernels (the README's table): max ulps against
 * Math.fround(Math.f(x)) (float32) or Math.f(x) (float64) over random bit patterns and dense
 * ranges, 4·2²⁰ points per function and dtype by default:
 *   ./node_modules/.bin/tsx src/backend/wasm/bench/accuracy.ts [points]
 */
import { Arena, type FloatDType, UNARY_REF, type UnaryOp, WasmKernels, ex } from '../index'

const points = Number(process.argv[2] ?? 4 * 2 ** 20)
const arena = new Arena({ initialBytes: 128 << 20 })
const wk = new WasmKernels(arena)
let seed = 12345
const rand = (): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 2 ** 32 }

const ulps = (dtype: FloatDType, a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity
  if (a === b) return Object.is(a, b) ? 0 : Infinity
  if (dtype === 'float32') {
    const i = new Int32Array(new Float32Array([a, b]).buffer)
    const o = (v: number): number => (v < 0 ? -(v & 0x7fffffff) : v)
    return Math.abs(o(i[0]) - o(i[1]))
  }
  const i = new BigInt64Array(new Float64Array([a, b]).buffer)
  const o = (v: bigint): bigint => (v < 0n ? -(v & 0x7fffffffffffffffn) : v)
  const d = o(i[0]) - o(i[1])
  return Number(d < 0n ? -d : d)
}

const sample = (dtype: FloatDType, n: number): Float32Array | Float64Array => {
  const xs = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n)
  const bits = new Uint32Array(xs.buffer)
  const q = n >> 2
  for (let i = 0; i < q * (dtype === 'float32' ? 1 : 2); i++) bits[i] = (rand() * 2 ** 32) >>> 0 // every exponent
  for (let i = q; i < 2 * q; i++) xs[i] = (rand() - 0.5) * 40 // dense [−20, 20]
  for (let i = 2 * q; i < 3 * q; i++) xs[i] = (rand() < 0.5 ? -1 : 1) * 2 ** (-60 + 70 * rand()) // log-uniform
  for (let i = 3 * q; i < n; i++) xs[i] = 2 * rand() - 1
  return xs
}

const OPS: UnaryOp[] = ['exp', 'expm1', 'log', 'log1p', 'tanh', 'logistic', 'sin', 'cos', 'rsqrt']
for (const dtype of ['float32', 'float64'] as const) {
  const xs = sample(dtype, points)
  const size = dtype === 'float32' ? 4 : 8
  arena.reset()
  const px = arena.alloc(points * size), py = arena.alloc(points * size)
  ;(dtype === 'float32' ? arena.f32(px, points) : arena.f64(px, points)).set(xs)
  for (const op of OPS) {
    wk.elementwise({ dtype, inputs: ['array'], outputs: [ex.unary(op, ex.input(0))] }).run(points, [px], [py])
    const ys = dtype === 'float32' ? arena.f32(py, points) : arena.f64(py, points)
    const f = UNARY_REF[op]
    let worst = 0, at = NaN, over1 = 0
    for (let i = 0; i < points; i++) {
      const want = dtype === 'float32' ? Math.fround(f(xs[i])) : f(xs[i])
      if (Object.is(ys[i], want)) continue
      const d = ulps(dtype, ys[i], want)
      if (d > 1) over1++
      if (d > worst) { worst = d; at = xs[i] }
    }
    console.log(`${dtype} ${op.padEnd(9)} max ${worst} ulp${worst > 0 ? ` (at x = ${at})` : ''}, ${over1} of ${points} points beyond 1 ulp`)
  }
}
