/**
 * Per-function cost of the transcendental kernels, in ns per element: an elementwise map
 * y = f(x) over n points already in wasm memory (float32 and float64), against a `neg` map
 * (the loads, stores and loop alone) and a plain JS `Math.f` loop. Not a test:
 *   ./node_modules/.bin/tsx src/backend/wasm/bench/math.ts [rounds] [n] [ops…]
 * Rounds interleave the functions; the report gives the median (and min) over all calls.
 */
import { Arena, type FloatDType, UNARY_REF, type UnaryOp, WasmKernels, ex } from '../index'

const rounds = Number(process.argv[2] ?? 5)
const n = Number(process.argv[3] ?? 1 << 20)
const want = process.argv.slice(4)
const ALL: UnaryOp[] = ['neg', 'exp', 'expm1', 'log', 'log1p', 'tanh', 'logistic', 'sin', 'cos']
const ops = want.length > 0 ? (want as UnaryOp[]) : ALL
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] }
const arena = new Arena({ initialBytes: 64 << 20 })
const wk = new WasmKernels(arena)
let seed = 7
const rand = (): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 2 ** 32 }

// W1's fused reduce and W2's gradient map (float32), the kernels alone on data in wasm memory
{
  const px = arena.allocF32(n), py = arena.allocF32(n), pOut = arena.allocF32(1)
  const xs = arena.f32(px, n)
  for (let i = 0; i < n; i++) xs[i] = rand() * 4 - 2
  const x = ex.input(0)
  const t = ex.tanh(ex.add(ex.mul(x, ex.c(1.5)), ex.c(0.5)))
  const e = ex.exp(ex.neg(ex.mul(x, x)))
  const w1 = wk.reduce({ dtype: 'float32', op: 'sum', inputs: ['array'], prologue: ex.mul(t, e) })
  const g = ex.add(ex.mul(ex.mul(e, ex.sub(ex.c(1), ex.mul(t, t))), ex.c(1.5)), ex.mul(ex.mul(t, e), ex.mul(x, ex.c(-2))))
  const w2 = wk.elementwise({ dtype: 'float32', inputs: ['array'], outputs: [g] })
  const runs = [{ name: 'W1 reduce', f: () => w1.run(1, n, 1, [px], pOut), ts: [] as number[] }, { name: 'W2 map', f: () => w2.run(n, [px], [py]), ts: [] as number[] }]
  for (const r of runs) for (let w = 0; w < 5; w++) r.f()
  for (let round = 0; round < rounds; round++) for (const r of runs) for (let c = 0; c < 10; c++) { const t0 = performance.now(); r.f(); r.ts.push(performance.now() - t0) }
  for (const r of runs) console.log(`float32 ${r.name.padEnd(9)} wasm ${((median(r.ts) * 1e6) / n).toFixed(2)} (min ${((Math.min(...r.ts) * 1e6) / n).toFixed(2)}) ns/el`)
  arena.reset()
}

for (const dtype of ['float32', 'float64'] as FloatDType[]) {
  const size = dtype === 'float32' ? 4 : 8
  const px = arena.alloc(n * size), py = arena.alloc(n * size)
  const xs = dtype === 'float32' ? arena.f32(px, n) : arena.f64(px, n)
  // a mixed range: most arguments of these functions in practice lie in a few units of 0;
  // log and log1p get |x| (negative arguments would only time the NaN path)
  for (let i = 0; i < n; i++) xs[i] = (rand() - 0.5) * 8
  const host = Float64Array.from(xs)
  const out = new Float64Array(n)
  const runs = ops.map((op) => {
    const k = wk.elementwise({ dtype, inputs: ['array'], outputs: [ex.unary(op, op === 'log' || op === 'log1p' ? ex.abs(ex.input(0)) : ex.input(0))] })
    const f = UNARY_REF[op]
    const js = (): void => {
      if (op === 'log' || op === 'log1p') for (let i = 0; i < n; i++) out[i] = f(Math.abs(host[i]))
      else for (let i = 0; i < n; i++) out[i] = f(host[i])
    }
    return { op, wasm: () => k.run(n, [px], [py]), js, tw: [] as number[], tj: [] as number[] }
  })
  for (const r of runs) for (let w = 0; w < 5; w++) { r.wasm(); r.js() }
  for (let round = 0; round < rounds; round++) {
    for (const r of runs) {
      for (let c = 0; c < 10; c++) { const t = performance.now(); r.wasm(); r.tw.push(performance.now() - t) }
      for (let c = 0; c < 3; c++) { const t = performance.now(); r.js(); r.tj.push(performance.now() - t) }
    }
  }
  for (const r of runs) {
    const ns = (ts: number[]): string => `${((median(ts) * 1e6) / n).toFixed(2)} (min ${((Math.min(...ts) * 1e6) / n).toFixed(2)})`
    console.log(`${dtype} ${r.op.padEnd(9)} wasm ${ns(r.tw)} ns/el | JS Math ${ns(r.tj)} ns/el`)
  }
}
