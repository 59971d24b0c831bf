/**
 * Threads through the public API: every jitted map, reduction (sum/max/min/argmax, whole and
 * along an axis) and matmul gives the same bits on one and two threads, f32 and f64, at sizes
 * on both sides of the split thresholds; the first large call of a synchronous script under
 * LEIBNIZ_THREADS=2 already runs on two threads, and the process exits on its own.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { type Array as Arr, config, jit, np } from '../../src'
import { ex } from '../../src/backend/wasm'
import { CHUNK_WORK } from '../../src/backend/wasm/reducechunks'
import { DEFAULT_THRESHOLDS, splitCost } from '../../src/backend/wasm/threads'

// where the map below starts to split (its fused expression's cost), and where reductions are cut
const x0 = ex.input(0)
const T = Math.ceil(DEFAULT_THRESHOLDS.elementwise / splitCost([ex.mul(ex.tanh(ex.add(ex.mul(x0, ex.c(1.5)), ex.c(0.5))), ex.exp(ex.neg(ex.mul(x0, x0))))], 2))
const data = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed) * 2)
const arr = (xs: number[], dtype: 'float32' | 'float64'): Arr => np.array(dtype === 'float32' ? Float32Array.from(xs) : Float64Array.from(xs))

/** The answers' bytes, for a bitwise comparison (NaN payloads and signs of zeros included). */
const bytes = (a: Arr): number[] => { const t = a.toTypedArray(); return Array.from(new Uint8Array(t.buffer, t.byteOffset, t.byteLength)) }

const cases = (dtype: 'float32' | 'float64'): [string, () => Arr][] => {
  const out: [string, () => Arr][] = []
  const chain = (x: Arr) => np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg()))
  for (const n of [T - 4, T + 4, 2 * CHUNK_WORK + 4]) {
    const x = arr(data(n, n), dtype)
    out.push([`map ${n}`, () => jit(chain)(x)])
    out.push([`sum ${n}`, () => jit((x: Arr) => np.sum(chain(x)))(x)])
    out.push([`max ${n}`, () => jit((x: Arr) => np.max(chain(x)))(x)])
    out.push([`min ${n}`, () => jit((x: Arr) => np.min(x.mul(x).sub(1)))(x)])
    out.push([`argmax ${n}`, () => jit((x: Arr) => np.argmax(chain(x)))(x)])
  }
  const m = arr(data(6 * 70000, 1), dtype).reshape([6, 70000])
  out.push(['sum axis 1 [6, 70000]', () => jit((m: Arr) => np.sum(np.sin(m), 1))(m)])
  out.push(['max axis 1 [6, 70000]', () => jit((m: Arr) => np.max(m.mul(3), 1))(m)])
  const c = arr(data(20000 * 12, 2), dtype).reshape([20000, 12])
  out.push(['sum axis 0 [20000, 12]', () => jit((m: Arr) => np.sum(m.mul(m), 0))(c)])
  out.push(['min axis 0 [20000, 12]', () => jit((m: Arr) => np.min(m, 0))(c)])
  out.push(['mean [20000, 12]', () => jit((m: Arr) => np.mean(np.exp(m)))(c)])
  // a row broadcast (a bias): the map runs row by row, and rows are split
  const H = arr(data(600 * 300, 7), dtype).reshape([600, 300]), bias = arr(data(300, 8), dtype)
  out.push(['tanh(m + bias) [600, 300]', () => jit((m: Arr, b: Arr) => np.tanh(m.add(b)))(H, bias)])
  out.push(['tanh(m + bias) [20, 300] (below the threshold)', () => jit((m: Arr, b: Arr) => np.tanh(m.add(b)))(arr(data(20 * 300, 9), dtype).reshape([20, 300]), bias)])
  const A = arr(data(256 * 300, 3), dtype).reshape([256, 300]), B = arr(data(300 * 200, 4), dtype).reshape([300, 200])
  out.push(['matmul 256×300×200', () => jit((a: Arr, b: Arr) => np.matmul(a, b))(A, B)])
  const C = arr(data(300 * 128, 5), dtype).reshape([300, 128])
  out.push(['matmul Bᵀ·C', () => jit((a: Arr, b: Arr) => np.matmul(np.transpose(a), b))(B, C)])
  out.push(['matmul 32×64×64 (below the threshold)', () => jit((a: Arr) => np.matmul(a, a.T))(arr(data(32 * 64, 6), dtype).reshape([32, 64]))])
  return out
}

afterAll(async () => { await config.set({ threads: 1 }) })

describe('threads through the public API', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: one and two threads give the same bits`, async () => {
      await config.set({ threads: 1 })
      const cs = cases(dtype)
      const one = cs.map(([, f]) => bytes(f()))
      await config.set({ threads: 2 })
      expect(config.get().threadsInUse).toBe(2)
      cs.forEach(([label, f], i) => expect(bytes(f()), label).toEqual(one[i]))
      await config.set({ threads: 1 })
      expect(config.get().threadsInUse).toBe(1)
    })
  }
})

describe('a fresh process with LEIBNIZ_THREADS=2', () => {
  const child = fileURLToPath(new URL('./threads/child.ts', import.meta.url))
  const run = (mode: string, threads: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, mode], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LEIBNIZ_THREADS: threads } })
    expect(r.status, r.stderr).toBe(0) // exited on its own, well before the timeout
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { before: number; after: number; value: number; setting: number }
  }
  it('its first large call runs on two threads, the answer is the one-thread answer, and it exits', () => {
    const two = run('plain', '2'), one = run('plain', '1')
    expect(two.before).toBe(1) // nothing has started yet
    expect(two.after).toBe(2)
    expect(one.after).toBe(1)
    expect(two.value).toBe(one.value)
  })
  it('exits with a thread change still pending', () => {
    expect(run('set', '2').setting).toBe(1)
  })
})
