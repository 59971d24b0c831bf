/**
 * Side-by-side timings of the wasm kernels against plain JS loops and @jax-js/jax (wasm
 * device) on BENCH.md's W1, W2 (the gradient map) and W3 (its matmuls). Not a test:
 *   ./node_modules/.bin/tsx src/backend/wasm/bench/kernels.ts [rounds]
 * Each round times every implementation (≥ 15 calls after warm-up), rounds interleave the
 * implementations so they share the machine's load evenly; the report gives the median and
 * the minimum over all calls, in ms.
 */
import { loadJax } from '../../../../bench/harness/peers'
import { uniform32 } from '../../../../bench/harness/rng'
import { Arena, WasmKernels, ex } from '../index'
import { ParallelKernels } from '../threads'

type Impl = { name: string; call: () => number }
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] }
const timeOnce = (f: () => number, minRuns = 15, minMs = 150): number[] => {
  const ts: number[] = []
  const t0 = performance.now()
  while (ts.length < minRuns || performance.now() - t0 < minMs) { const t = performance.now(); f(); ts.push(performance.now() - t) }
  return ts
}
const compare = (title: string, impls: Impl[], rounds: number): void => {
  const answers = impls.map((i) => i.call())
  for (const i of impls) for (let w = 0; w < 5; w++) i.call() // warm-up (tier-up)
  const per = impls.map(() => [] as number[])
  for (let r = 0; r < rounds; r++) impls.forEach((i, k) => per[k].push(...timeOnce(i.call)))
  const row = impls.map((i, k) => `${i.name} ${median(per[k]).toFixed(3)} (min ${Math.min(...per[k]).toFixed(3)})`).join(' | ')
  console.log(`${title}: ${row}   (checks: ${answers.map((a) => a.toPrecision(8)).join(', ')})`)
}

const main = async (): Promise<void> => {
  const rounds = Number(process.argv[2] ?? 5)
  const jax: any = await loadJax()
  const jnp = jax.numpy
  const arena = new Arena({ shared: true, initialBytes: 64 << 20 })
  const wk = new WasmKernels(arena)
  const pk = await ParallelKernels.create(arena) // the calling thread + one worker
  const N = 1_000_000
  const xs = uniform32(1, N, -2, 2)
  const px = arena.put(xs)
  const x = ex.input(0)
  const u = ex.add(ex.mul(x, ex.c(1.5)), ex.c(0.5))
  const t = ex.tanh(u)
  const e = ex.exp(ex.neg(ex.mul(x, x)))

  // ---- W1: sum(tanh(1.5x + 0.5)·exp(−x²)) ----
  const w1spec = { dtype: 'float32', op: 'sum', inputs: ['array'], prologue: ex.mul(t, e) } as const
  const w1 = wk.reduce(w1spec), w1p = pk.reduce(w1spec)
  const pOut = arena.allocF32(1)
  const xj = jnp.array(xs)
  const fj = jax.jit((x: any) => jnp.sum(jnp.tanh(x.ref.mul(1.5).add(0.5)).mul(jnp.exp(x.ref.mul(x).neg()))))
  compare('W1 sum 1e6 f32', [
    { name: 'wasm', call: () => { w1.run(1, N, 1, [px], pOut); return arena.f32(pOut, 1)[0] } },
    { name: 'wasm 2 threads', call: () => { w1p.run(1, N, 1, [px], pOut); return arena.f32(pOut, 1)[0] } },
    { name: 'plain JS', call: () => { let s = 0; for (let i = 0; i < N; i++) { const v = xs[i]; s += Math.tanh(1.5 * v + 0.5) * Math.exp(-v * v) } return s } },
    { name: 'jax-js', call: () => fj(xj.ref).dataSync()[0] },
  ], rounds)

  // ---- W2: d/dx = e·(1 − t²)·1.5 + t·e·(−2x) as one elementwise map ----
  const g = ex.add(ex.mul(ex.mul(e, ex.sub(ex.c(1), ex.mul(t, t))), ex.c(1.5)), ex.mul(ex.mul(t, e), ex.mul(x, ex.c(-2))))
  const w2spec = { dtype: 'float32', inputs: ['array'], outputs: [g] } as const
  const w2 = wk.elementwise(w2spec), w2p = pk.elementwise(w2spec)
  const pG = arena.allocF32(N)
  const gOut = new Float32Array(N)
  const gj = jax.jit(jax.grad((x: any) => jnp.sum(jnp.tanh(x.ref.mul(1.5).add(0.5)).mul(jnp.exp(x.ref.mul(x).neg())))))
  compare('W2 grad map 1e6 f32', [
    { name: 'wasm', call: () => { w2.run(N, [px], [pG]); const r = arena.f32(pG, N).slice(); return r[12345] } },
    { name: 'wasm 2 threads', call: () => { w2p.run(N, [px], [pG]); const r = arena.f32(pG, N).slice(); return r[12345] } },
    { name: 'plain JS', call: () => { for (let i = 0; i < N; i++) { const v = xs[i]; const tt = Math.tanh(1.5 * v + 0.5), ee = Math.exp(-v * v); gOut[i] = ee * (1 - tt * tt) * 1.5 - 2 * v * tt * ee } return gOut[12345] } },
    { name: 'jax-js (jit grad)', call: () => gj(xj.ref).dataSync()[12345] },
  ], rounds)

  // ---- W3: the MLP's matmuls ----
  const shapes: [string, number, number, number, boolean, boolean][] = [
    ['X·W1        128×784·784×256', 128, 784, 256, false, false],
    ['H·W2        128×256·256×10', 128, 256, 10, false, false],
    ['dZ·W2ᵀ      128×10·(256×10)ᵀ', 128, 10, 256, false, true],
    ['Xᵀ·dH       (128×784)ᵀ·128×256', 784, 128, 256, true, false],
    ['Hᵀ·dZ       (128×256)ᵀ·128×10', 256, 128, 10, true, false],
  ]
  const mmj = jax.jit((a: any, b: any) => jnp.matmul(a, b))
  const mmjT = { tn: jax.jit((a: any, b: any) => jnp.matmul(a.transpose(), b)), nt: jax.jit((a: any, b: any) => jnp.matmul(a, b.transpose())) }
  for (const [title, m, k, n, ta, tb] of shapes) {
    const A = uniform32(2, m * k, -1, 1), B = uniform32(3, k * n, -1, 1)
    const pa = arena.put(A), pb = arena.put(B), pc = arena.allocF32(m * n)
    const mm = wk.matmul({ dtype: 'float32', transA: ta, transB: tb })
    const mmp = pk.matmul({ dtype: 'float32', transA: ta, transB: tb })
    const C = new Float32Array(m * n)
    const aj = jnp.array(A).reshape(ta ? [k, m] : [m, k]), bj = jnp.array(B).reshape(tb ? [n, k] : [k, n])
    const fjm = ta ? mmjT.tn : tb ? mmjT.nt : mmj
    compare(`W3 ${title}`, [
      { name: 'wasm', call: () => { mm.run(m, k, n, pa, pb, pc); return arena.f32(pc, m * n).slice()[7] } },
      { name: 'wasm 2 threads', call: () => { mmp.run(m, k, n, pa, pb, pc); return arena.f32(pc, m * n).slice()[7] } },
      { name: 'plain JS i-k-j', call: () => {
        C.fill(0)
        for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
          const av = ta ? A[p * m + i] : A[i * k + p]
          if (tb) for (let j = 0; j < n; j++) C[i * n + j] += av * B[j * k + p]
          else { const o = p * n; for (let j = 0; j < n; j++) C[i * n + j] += av * B[o + j] }
        }
        return C[7]
      } },
      { name: 'jax-js', call: () => fjm(aj.ref, bj.ref).dataSync()[7] },
    ], rounds)
  }
  await pk.close()
}
main()
