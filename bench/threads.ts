/**
 * `npm run bench -- --threads [--rounds R]`: does the second core pay?
 *
 * 1. Whole calls (the public API, jit): W1 and W2 at n = 1e7 and W3 at batch 512, one thread vs
 *    two, each in fresh processes (LEIBNIZ_THREADS=1 / 2) alternated A/B/A/B; median of the
 *    processes' medians and the speed-up. The answers of both must agree bit for bit.
 * 2. Kernels alone (same process, interleaved): the same maps, reductions and matmuls on data
 *    already in wasm memory — what the split itself gains, without the data path around it.
 * 3. The machine's roof: a plain copy loop over 2 × 64 MiB on one thread and split over two
 *    (the calling thread and a worker), in GB/s — what memory bandwidth allows two cores.
 * 4. Crossover: kernel time one thread vs split at growing sizes (where DEFAULT_THRESHOLDS
 *    in src/backend/wasm/threads.ts come from).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Arena, WasmKernels, ex } from '../src/backend/wasm'
import { ParallelKernels } from '../src/backend/wasm/threads'
import { uniform32 } from './harness/rng'
import { mlpInputs } from './workloads/w3'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..')
const median = (xs: readonly number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] }
const fmt = (ms: number): string => (ms >= 10 ? ms.toFixed(1) : ms.toFixed(2))

// ---- 1. whole calls, in fresh processes -----------------------------------------------------

type CaseId = 'W1' | 'W2' | 'W2view' | 'W3'
/** glibc's malloc keeps freed memory above its 32 MB mmap threshold for the next allocation
 *  instead of returning it to the OS (no page faults on the next fresh 40 MB buffer). */
const GLIBC_KEEP = 'glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295'
const CASES: readonly { id: CaseId; title: string; env?: Record<string, string> }[] = [
  { id: 'W1', title: 'W1 sum(tanh(1.5x+0.5)·exp(−x²)), 1e7 f32' },
  { id: 'W2', title: 'W2 its gradient, 1e7 f32 outputs' },
  // the same call read with toTypedArray({ copy: false }): one fresh 40 MB buffer per call, not two
  { id: 'W2view', title: 'W2, read with toTypedArray({ copy: false }) (extra row)' },
  // the same call in processes whose malloc keeps large freed buffers (Linux, glibc)
  { id: 'W2', title: `W2, GLIBC_TUNABLES=${GLIBC_KEEP} (extra row)`, env: { GLIBC_TUNABLES: GLIBC_KEEP } },
  { id: 'W3', title: 'W3 MLP 784→256→10 value+grad, batch 512' },
]

interface ChildOut { readonly median: number; readonly min: number; readonly threadsInUse: number; readonly hash: string }

/** FNV-1a over the answer's bytes: equal hashes = bitwise equal answers. */
const hashOf = (arrays: readonly (Float32Array | Float64Array)[]): string => {
  let h = 0x811c9dc5
  for (const a of arrays) {
    const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193)
  }
  return (h >>> 0).toString(16)
}

const child = async (id: CaseId, calls: number): Promise<ChildOut> => {
  const built = new URL('../dist/index.js', import.meta.url)
  const L = existsSync(built) ? ((await import(built.href)) as typeof import('../src/index')) : await import('../src/index')
  const { np, nn, jit, grad, valueAndGrad, config } = L
  let call: () => (Float32Array | Float64Array)[]
  if (id === 'W1' || id === 'W2' || id === 'W2view') {
    const f = (x: any) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg())))
    const xa = np.array(uniform32(1, 10_000_000, -2, 2))
    if (id === 'W1') { const g = jit(f); call = () => [g(xa).toTypedArray() as Float32Array] }
    else if (id === 'W2') { const g = jit(grad(f)); call = () => [g(xa).toTypedArray() as Float32Array] }
    else { const g = jit(grad(f)); call = () => [g(xa).toTypedArray({ copy: false }) as Float32Array] }
  } else {
    const d = { batch: 512, nIn: 784, nHid: 256, nOut: 10 }
    const { p, X, Y } = mlpInputs(d)
    const loss = (q: any, X: any, Y: any) => {
      const h = np.tanh(np.matmul(X, q.W1).add(q.b1))
      return np.mean(nn.softmaxCrossEntropy(np.matmul(h, q.W2).add(q.b2), Y))
    }
    const f = jit(valueAndGrad(loss))
    const q = { W1: np.array(p.W1).reshape([d.nIn, d.nHid]), b1: np.array(p.b1), W2: np.array(p.W2).reshape([d.nHid, d.nOut]), b2: np.array(p.b2) }
    const Xa = np.array(X).reshape([d.batch, d.nIn]), Ya = np.array(Y).reshape([d.batch, d.nOut])
    call = () => {
      const [v, g] = f(q, Xa, Ya) as any
      return [v.toTypedArray(), g.W1.toTypedArray(), g.b1.toTypedArray(), g.W2.toTypedArray(), g.b2.toTypedArray()]
    }
  }
  let answer = call()
  for (let i = 0; i < 3; i++) answer = call()
  const ts: number[] = []
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now()
    answer = call()
    ts.push(performance.now() - t0)
  }
  return { median: median(ts), min: Math.min(...ts), threadsInUse: config.get().threadsInUse, hash: hashOf(answer) }
}

const runChild = (id: CaseId, threads: number, calls: number, env: Record<string, string> = {}): Promise<ChildOut> =>
  new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', id, String(calls)], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env, LEIBNIZ_THREADS: String(threads) },
    })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.on('close', (code) => {
      try { resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as ChildOut) } catch { reject(new Error(`threads bench child ${id} (${threads} threads) exited with ${code}`)) }
    })
  })

const wholeCalls = async (rounds: number): Promise<string[]> => {
  const lines = ['whole calls (jit, public API), fresh processes alternated 1/2 threads; median of the processes\' medians (min), ms:',
    '| workload | 1 thread | 2 threads | speed-up of medians | of mins | threads in use | answers |', '|---|---:|---:|---:|---:|---:|---|']
  for (const c of CASES) {
    const one: ChildOut[] = [], two: ChildOut[] = []
    const calls = c.id === 'W3' ? 20 : 10
    for (let r = 0; r < rounds; r++) {
      one.push(await runChild(c.id, 1, calls, c.env))
      two.push(await runChild(c.id, 2, calls, c.env))
    }
    const m1 = median(one.map((o) => o.median)), m2 = median(two.map((o) => o.median))
    const n1 = Math.min(...one.map((o) => o.min)), n2 = Math.min(...two.map((o) => o.min))
    const same = new Set([...one, ...two].map((o) => o.hash)).size === 1
    lines.push(`| ${c.title} | ${fmt(m1)} (${fmt(n1)}) | ${fmt(m2)} (${fmt(n2)}) | ${(m1 / m2).toFixed(2)}× | ${(n1 / n2).toFixed(2)}× | ${one[0].threadsInUse} / ${two.map((o) => o.threadsInUse).join(',')} | ${same ? 'bitwise equal' : 'DIFFER'} |`)
    process.stderr.write(`  ${c.title} done\n`)
  }
  return lines
}

// ---- 2 and 4. kernels alone ----------------------------------------------------------------

/** Interleaved rounds of `a` and `b` (each `reps` calls per round); medians in ms, then mins
 *  (on a shared machine the min is the run that found a core idle). */
const abMin = (a: () => void, b: () => void, rounds: number, reps: number): [number, number, number, number] => {
  const ts: number[][] = [[], []]
  for (let i = 0; i < 3; i++) { a(); b() }
  for (let r = 0; r < rounds; r++) {
    ;[a, b].forEach((f, i) => { for (let j = 0; j < reps; j++) { const t0 = performance.now(); f(); ts[i].push(performance.now() - t0) } })
  }
  return [median(ts[0]), median(ts[1]), Math.min(...ts[0]), Math.min(...ts[1])]
}
const ab = (a: () => void, b: () => void, rounds: number, reps: number): [number, number] => abMin(a, b, rounds, reps).slice(0, 2) as [number, number]

const x = ex.input(0)
const tt = ex.tanh(ex.add(ex.mul(x, ex.c(1.5)), ex.c(0.5)))
const ee = ex.exp(ex.neg(ex.mul(x, x)))
const W1 = { dtype: 'float32', op: 'sum', inputs: ['array'], prologue: ex.mul(tt, ee) } as const
const W2 = { dtype: 'float32', inputs: ['array'], outputs: [ex.add(ex.mul(ex.mul(ee, ex.sub(ex.c(1), ex.mul(tt, tt))), ex.c(1.5)), ex.mul(ex.mul(tt, ee), ex.mul(x, ex.c(-2))))] } as const
const ADD = { dtype: 'float32', inputs: ['array', 'array'], outputs: [ex.add(x, ex.input(1))] } as const
const SUM = { dtype: 'float32', op: 'sum', inputs: ['array'], prologue: x } as const

const kernels = async (rounds: number): Promise<string[]> => {
  const N = 10_000_000
  const arena = new Arena({ shared: true, initialBytes: 3 * 4 * N + (16 << 20) })
  const one = new WasmKernels(arena)
  const two = await ParallelKernels.create(arena, { workers: 1 })
  const px = arena.put(uniform32(1, N, -2, 2)), py = arena.put(uniform32(2, N, -2, 2)), pz = arena.allocF32(N), po = arena.allocF64(1)
  const lines = ['kernels alone (data in wasm memory), interleaved in one process, median (min) ms:',
    '| kernel | 1 thread | 2 threads | speed-up of medians | of mins |', '|---|---:|---:|---:|---:|']
  const row = (name: string, a: () => void, b: () => void, reps = 5): void => {
    const [t1, t2, m1, m2] = abMin(a, b, rounds, reps)
    lines.push(`| ${name} | ${fmt(t1)} (${fmt(m1)}) | ${fmt(t2)} (${fmt(m2)}) | ${(t1 / t2).toFixed(2)}× | ${(m1 / m2).toFixed(2)}× |`)
  }
  row('W1 reduce 1e7', () => one.reduce(W1).run(1, N, 1, [px], po), () => two.reduce(W1).run(1, N, 1, [px], po))
  row('W2 map 1e7', () => one.elementwise(W2).run(N, [px], [pz]), () => two.elementwise(W2).run(N, [px], [pz]))
  row('add 1e7 (memory-bound)', () => one.elementwise(ADD).run(N, [px, py], [pz]), () => two.elementwise(ADD).run(N, [px, py], [pz]))
  row('sum 1e7 (memory-bound)', () => one.reduce(SUM).run(1, N, 1, [px], po), () => two.reduce(SUM).run(1, N, 1, [px], po))
  for (const [m, k, n, ta] of [[512, 784, 256, false], [784, 512, 256, true], [512, 256, 784, false]] as const) {
    const spec = { dtype: 'float32', transA: ta } as const
    // reuse the inputs' memory as matrices (values in [-2, 2])
    row(`matmul ${m}×${k}×${n}${ta ? ' (Aᵀ)' : ''}`, () => one.matmul(spec).run(m, k, n, px, py, pz), () => two.matmul(spec).run(m, k, n, px, py, pz), 10)
  }
  lines.push('', 'crossover (kernel time, one thread → every call split, µs):', '| size | W2 map | add map | W1 reduce | sum | matmul m×256×256 (m) |', '|---|---|---|---|---|---|')
  const split = ParallelKernels.start(arena, { workers: 1, minWork: 1, adaptive: false })
  await split.ready()
  for (const e of [12, 14, 15, 16, 17, 18, 20]) {
    const n = 2 ** e, m = Math.max(16, Math.round(n / 2048))
    const us = (a: () => void, b: () => void): string => { const [t1, t2] = ab(a, b, rounds, 20); return `${(t1 * 1e3).toFixed(0)} → ${(t2 * 1e3).toFixed(0)}` }
    lines.push(`| 2^${e} | ${us(() => one.elementwise(W2).run(n, [px], [pz]), () => split.elementwise(W2).run(n, [px], [pz]))} | ${
      us(() => one.elementwise(ADD).run(n, [px, py], [pz]), () => split.elementwise(ADD).run(n, [px, py], [pz]))} | ${
      us(() => one.reduce(W1).run(1, n, 1, [px], po), () => split.reduce(W1).run(1, n, 1, [px], po))} | ${
      us(() => one.reduce(SUM).run(1, n, 1, [px], po), () => split.reduce(SUM).run(1, n, 1, [px], po))} | ${
      us(() => one.matmul({ dtype: 'float32' }).run(m, 256, 256, px, py, pz), () => split.matmul({ dtype: 'float32' }).run(m, 256, 256, px, py, pz))} (${m}) |`)
  }
  await split.close()
  await two.close()
  return lines
}

// ---- 3. the memory roof ----------------------------------------------------------------------

const COPY_WORKER = `
const { workerData } = require('node:worker_threads')
const { buf, ctl } = workerData
const c = new Int32Array(ctl)
const f = new Float64Array(buf)
const half = f.length / 4
for (let seen = 0;;) {
  Atomics.wait(c, 0, seen)
  seen = Atomics.load(c, 0)
  if (seen < 0) break
  const src = f.subarray(half, 2 * half), dst = f.subarray(3 * half, 4 * half)
  for (let i = 0; i < half; i++) dst[i] = src[i]
  Atomics.store(c, 1, seen)
  Atomics.notify(c, 1)
}
`

const roof = async (rounds: number): Promise<string[]> => {
  const { Worker } = await import('node:worker_threads')
  const bytes = 64 << 20 // per array: source and destination
  const buf = new SharedArrayBuffer(2 * bytes), ctl = new SharedArrayBuffer(8)
  const f = new Float64Array(buf), c = new Int32Array(ctl)
  f.fill(1)
  const w = new Worker(COPY_WORKER, { eval: true, workerData: { buf, ctl } })
  await new Promise((r) => w.once('online', r))
  const n = f.length / 2, half = n / 2
  const copy = (lo: number, hi: number): void => { for (let i = lo; i < hi; i++) f[n + i] = f[i] }
  let seq = 0
  const [t1, t2, m1, m2] = abMin(() => copy(0, n), () => {
    Atomics.store(c, 0, ++seq)
    Atomics.notify(c, 0)
    copy(0, half)
    while (Atomics.load(c, 1) !== seq) Atomics.wait(c, 1, seq - 1)
  }, rounds, 3)
  Atomics.store(c, 0, -1)
  Atomics.notify(c, 0)
  await w.terminate()
  const gbs = (ms: number): string => ((2 * bytes) / ms / 1e6).toFixed(1)
  return [`memory roof: a plain float64 copy loop over 64 MiB → 64 MiB, median (min): one thread ${fmt(t1)} ms (${fmt(m1)}), ${gbs(t1)} (${gbs(m1)}) GB/s read+write; two threads ${fmt(t2)} ms (${fmt(m2)}), ${gbs(t2)} (${gbs(m2)}) GB/s: ${(t1 / t2).toFixed(2)}× (${(m1 / m2).toFixed(2)}×)`]
}

/** The threads report (called by bench/run.ts for `--threads`). */
export const runThreads = async (rounds: number): Promise<string> => {
  const lines = [`threads report — load average at start ${loadavg().map((v) => v.toFixed(2)).join(', ')} (2 cores shared with other work: speed-ups need an idle core)`, '']
  process.stderr.write('threads: whole calls\n')
  lines.push(...(await wholeCalls(rounds)), '')
  process.stderr.write('threads: kernels\n')
  lines.push(...(await kernels(rounds)), '')
  process.stderr.write('threads: memory roof\n')
  lines.push(...(await roof(rounds)), '')
  lines.push(`load average at end ${loadavg().map((v) => v.toFixed(2)).join(', ')}`)
  return lines.join('\n')
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as CaseId, Number(process.argv[4])).then((o) => {
    console.log(JSON.stringify(o))
    process.exit(0)
  }, (e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
