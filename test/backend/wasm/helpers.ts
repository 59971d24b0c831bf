/** Shared helpers of the wasm kernel tests: ulp distances, sample sets, a run-and-read wrapper. */
import { Arena, type ElementwiseSpec, type FloatDType, WasmKernels, buildElementwise, wasm } from '../../../src/backend/wasm'

const f32buf = new Float32Array(2)
const i32of32 = new Int32Array(f32buf.buffer)
const f64buf = new Float64Array(2)
const u32of64 = new Uint32Array(f64buf.buffer)

/** Distance in units in the last place between two float32 values (0 for NaN vs NaN; a
 *  zero of the wrong sign counts as infinitely far). */
export const ulp32 = (a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity
  if (a === b) return Object.is(a, b) ? 0 : Infinity
  f32buf[0] = a
  f32buf[1] = b
  const ord = (v: number): number => (v < 0 ? -(v & 0x7fffffff) : v)
  return Math.abs(ord(i32of32[0]) - ord(i32of32[1]))
}

/** Distance in ulps between two float64 values (exact while below 2^52). */
export const ulp64 = (a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity
  if (a === b) return Object.is(a, b) ? 0 : Infinity
  f64buf[0] = a
  f64buf[1] = b
  const [la, ha, lb, hb] = [u32of64[0], u32of64[1] & 0x7fffffff, u32of64[2], u32of64[3] & 0x7fffffff]
  const sameSign = (u32of64[1] >>> 31) === (u32of64[3] >>> 31)
  return Math.abs(sameSign ? (ha - hb) * 2 ** 32 + (la - lb) : (ha + hb) * 2 ** 32 + (la + lb))
}

/** mulberry32 (seeded, reproducible): the one in leibniz/laws. */
import { makeRng } from '../../../laws/treeMath'

export const rng = makeRng

/** n float32 values with uniformly random bit patterns: every exponent, subnormals, NaNs. */
export const randomBits32 = (n: number, seed: number): Float32Array => {
  const r = rng(seed)
  const u = new Uint32Array(n)
  for (let i = 0; i < n; i++) u[i] = (r() * 2 ** 32) >>> 0
  return new Float32Array(u.buffer)
}

/** n float64 values with random bit patterns. */
export const randomBits64 = (n: number, seed: number): Float64Array => {
  const r = rng(seed)
  const u = new Uint32Array(2 * n)
  for (let i = 0; i < 2 * n; i++) u[i] = (r() * 2 ** 32) >>> 0
  return new Float64Array(u.buffer)
}

/** n values uniform in [lo, hi). */
export const uniform = (n: number, lo: number, hi: number, seed: number): Float64Array => {
  const r = rng(seed)
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r())
}

/** n values ±2^e with e uniform in [lo, hi] (log-uniform magnitudes, both signs). */
export const logUniform = (n: number, lo: number, hi: number, seed: number): Float64Array => {
  const r = rng(seed)
  return Float64Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * 2 ** (lo + (hi - lo) * r()))
}

export const SPECIAL = [
  0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 1e-45, -1e-45, 1.1754943508222875e-38,
  -1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, 5e-324, 2.2250738585072014e-308,
  1.7976931348623157e308, -1.7976931348623157e308, 88.72283172607422, 88.72284, -87.33654, -103.97208, -104, -150,
  709.782712893384, 709.79, -708.4, -745.1, -746, 0.6931471805599453, Math.PI, -Math.PI, Math.PI / 2, Math.PI / 4,
  1e-8, -1e-8, 2 ** -30, 0.625, -0.625, 0.9999999, 1.0000001, 22, -22, 9, 20, 1e6, 1647099.3291652855, 4.2e8, 1e10,
  1e20, -1e30, 3e38, 0.34657359, -0.34657359, 1e-300, -1e-310,
]

/** A kernels instance on a fresh arena. */
export const kernels = (): { arena: Arena; wk: WasmKernels } => {
  const arena = new Arena()
  return { arena, wk: new WasmKernels(arena) }
}

const put = (arena: Arena, dtype: FloatDType, data: ArrayLike<number>): number => {
  const p = arena.alloc(data.length * (dtype === 'float32' ? 4 : 8))
  ;(dtype === 'float32' ? arena.f32(p, data.length) : arena.f64(p, data.length)).set(data)
  return p
}
export const view = (arena: Arena, dtype: FloatDType, p: number, n: number): Float32Array | Float64Array =>
  dtype === 'float32' ? arena.f32(p, n) : arena.f64(p, n)

/** Builds (checking `WebAssembly.validate`) and runs an elementwise kernel; returns copies of the outputs. */
export const runElementwise = (
  k: { arena: Arena; wk: WasmKernels },
  spec: ElementwiseSpec,
  n: number,
  inputs: readonly ArrayLike<number>[],
): (Float32Array | Float64Array)[] => {
  if (!wasm.validate(buildElementwise(spec))) throw new Error('invalid module')
  const { arena, wk } = k
  arena.reset()
  const ins = inputs.map((d) => put(arena, spec.dtype, d))
  const outs = spec.outputs.map(() => arena.alloc(Math.max(n, 1) * (spec.dtype === 'float32' ? 4 : 8)))
  wk.elementwise(spec).run(n, ins, outs)
  return outs.map((p) => view(arena, spec.dtype, p, n).slice())
}

export { put }
