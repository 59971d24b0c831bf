/** Tile-shape sweep for the matmul kernel (median/min ms):
 *  ./node_modules/.bin/tsx src/backend/wasm/bench/tune_matmul.ts [4x2,5x2,...] [float32|float64] */
import { uniform32 } from '../../../../bench/harness/rng'
import { Arena, WasmKernels } from '../index'
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] }
const arena = new Arena({ initialBytes: 64 << 20 })
const wk = new WasmKernels(arena)
const shapes: [number, number, number, boolean, boolean][] = [[128, 784, 256, false, false], [784, 128, 256, true, false], [128, 256, 10, false, false], [256, 128, 10, true, false]]
const tiles = (process.argv[2] ?? '4x2,5x2,3x3,2x4,6x2,4x3,2x3,1x4').split(',').map((s) => s.split('x').map(Number))
const dtype = (process.argv[3] ?? 'float32') as 'float32' | 'float64'
for (const [m, k, n, ta, tb] of shapes) {
  const conv = (x: Float32Array) => (dtype === 'float32' ? x : Float64Array.from(x))
  const pa = arena.put(conv(uniform32(2, m * k, -1, 1))), pb = arena.put(conv(uniform32(3, k * n, -1, 1))), pc = arena.allocF64(m * n)
  const row: string[] = []
  for (const [mr, nv] of tiles) {
    const mm = wk.matmul({ dtype, transA: ta, transB: tb, mr, nv })
    for (let i = 0; i < 20; i++) mm.run(m, k, n, pa, pb, pc)
    const ts: number[] = []
    for (let i = 0; i < 40; i++) { const t = performance.now(); mm.run(m, k, n, pa, pb, pc); ts.push(performance.now() - t) }
    row.push(`${mr}x${nv}: ${median(ts).toFixed(3)}/${Math.min(...ts).toFixed(3)}`)
  }
  console.log(`${m}x${k}x${n} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}  ${row.join('  ')}`)
}
