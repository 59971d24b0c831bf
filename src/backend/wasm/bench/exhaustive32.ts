/**
 * Every float32 input of a transcendental kernel (or a stride through them) against
 * Math.fround(Math.f(x)): max ulps, where, and how many points exceed 1 ulp. Not a test:
 *   ./node_modules/.bin/tsx src/backend/wasm/bench/exhaustive32.ts op [stride] [fromBits] [toBits]
 * Bits are the float32 patterns as unsigned integers (default all 2³²; stride 1).
 * Special values must come out bitwise equal (NaN as NaN, −0 as −0).
 */
import { Arena, UNARY_REF, type UnaryOp, WasmKernels, ex } from '../index'

const op = process.argv[2] as UnaryOp
const stride = Number(process.argv[3] ?? 1)
const from = Number(process.argv[4] ?? 0), to = Number(process.argv[5] ?? 2 ** 32)
const CHUNK = 1 << 22
const arena = new Arena({ initialBytes: 2 * 4 * CHUNK + (1 << 20) })
const wk = new WasmKernels(arena)
const k = wk.elementwise({ dtype: 'float32', inputs: ['array'], outputs: [ex.unary(op, ex.input(0))] })
const px = arena.allocF32(CHUNK), py = arena.allocF32(CHUNK)
const f = UNARY_REF[op]
const fb = new Float32Array(2), ib = new Int32Array(fb.buffer)
const ord = (v: number): number => (v < 0 ? -(v & 0x7fffffff) : v)
let worst = 0, at = NaN, got = NaN, want = NaN, over1 = 0, count = 0
const hist = new Map<number, number>()
for (let b = from; b < to; ) {
  const xb = new Uint32Array(arena.memory.buffer, px, CHUNK)
  let m = 0
  for (; m < CHUNK && b < to; m++, b += stride) xb[m] = b >>> 0
  k.run(m, [px], [py])
  const xs = arena.f32(px, m), ys = arena.f32(py, m)
  for (let i = 0; i < m; i++) {
    const w = Math.fround(f(xs[i])), y = ys[i]
    if (Object.is(w, y)) continue
    let d: number
    if (Number.isNaN(w) || Number.isNaN(y) || w === y) d = Infinity
    else { fb[0] = w; fb[1] = y; d = Math.abs(ord(ib[0]) - ord(ib[1])) }
    hist.set(d, (hist.get(d) ?? 0) + 1)
    if (d > 1) over1++
    if (d > worst) { worst = d; at = xs[i]; got = y; want = w }
  }
  count += m
}
console.log(`float32 ${op}: ${count} points, max ${worst} ulp${worst > 0 ? ` at x = ${at} (got ${got}, want ${want})` : ''}, ${over1} beyond 1 ulp; ulps: ${[...hist].sort((a, b) => a[0] - b[0]).map(([d, c]) => `${d}:${c}`).join(' ')}`)
