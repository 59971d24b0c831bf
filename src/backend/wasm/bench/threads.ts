/**
 * Does the second thread pay? One thread vs ParallelKernels (calling thread + 1 worker) on
 * BENCH W1, W2's gradient map and W3's big matmuls, interleaved rounds (median / min ms):
 *   ./node_modules/.bin/tsx src/backend/wasm/bench/threads.ts [rounds]
 */
import { uniform32 } from '../../../../bench/harness/rng'
import { Arena, WasmKernels, ex } from '../index'
import { ParallelKernels } from '../threads'

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] }
const main = async (): Promise<void> => {
  const rounds = Number(process.argv[2] ?? 5)
  const arena = new Arena({ shared: true, initialBytes: 64 << 20 })
  const one = new WasmKernels(arena)
  const two = await ParallelKernels.create(arena)
  const N = 1_000_000
  const px = arena.put(uniform32(1, N, -2, 2))
  const x = ex.input(0)
  const t = ex.tanh(ex.add(ex.mul(x, ex.c(1.5)), ex.c(0.5)))
  const e = ex.exp(ex.neg(ex.mul(x, x)))
  const g = ex.add(ex.mul(ex.mul(e, ex.sub(ex.c(1), ex.mul(t, t))), ex.c(1.5)), ex.mul(ex.mul(t, e), ex.mul(x, ex.c(-2))))
  const w1 = { dtype: 'float32', op: 'sum', inputs: ['array'], prologue: ex.mul(t, e) } as const
  const w2 = { dtype: 'float32', inputs: ['array'], outputs: [g] } as const
  const pOut = arena.allocF64(1), pG = arena.allocF32(N)
  const cases: [string, (k: WasmKernels | ParallelKernels) => () => void][] = [
    ['W1 reduce 1e6', (k) => { const r = k.reduce(w1); return () => r.run(1, N, 1, [px], pOut) }],
    ['W2 map 1e6', (k) => { const r = k.elementwise(w2); return () => r.run(N, [px], [pG]) }],
  ]
  for (const [m, kk, n, ta] of [[128, 784, 256, false], [784, 128, 256, true]] as const) {
    const pa = arena.put(uniform32(2, m * kk, -1, 1)), pb = arena.put(uniform32(3, kk * n, -1, 1)), pc = arena.allocF32(m * n)
    cases.push([`matmul ${m}×${kk}×${n}${ta ? ' (Aᵀ)' : ''}`, (k) => { const r = k.matmul({ dtype: 'float32', transA: ta }); return () => r.run(m, kk, n, pa, pb, pc) }])
  }
  for (const [name, make] of cases) {
    const fs = [make(one), make(two)]
    const ts: number[][] = [[], []]
    for (const f of fs) for (let i = 0; i < 10; i++) f()
    for (let r = 0; r < rounds; r++) fs.forEach((f, i) => { for (let j = 0; j < 20; j++) { const t0 = performance.now(); f(); ts[i].push(performance.now() - t0) } })
    console.log(`${name}: 1 thread ${median(ts[0]).toFixed(3)} (min ${Math.min(...ts[0]).toFixed(3)}) | 2 threads ${median(ts[1]).toFixed(3)} (min ${Math.min(...ts[1]).toFixed(3)})`)
  }
  // answers agree
  const r1 = one.reduce(w1), r2 = two.reduce(w1)
  r1.run(1, N, 1, [px], pOut); const a = arena.f32(pOut, 1)[0]
  r2.run(1, N, 1, [px], pOut); const b = arena.f32(pOut, 1)[0]
  console.log('W1 one thread', a, 'two threads', b)
  await two.close()
}
main()
