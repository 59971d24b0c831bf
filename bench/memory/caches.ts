/**
 * Process-wide caches and the wasm arena under many shapes and one large call. Run:
 * `node --expose-gc --import tsx bench/memory/caches.ts [shapes]` (default 10,000 shapes).
 *
 * 1. `shapes` distinct shapes through one jitted map (each shape is a new signature: traced,
 *    planned, compiled): time, RSS after, RSS after the jitted function is dropped.
 * 2. One 400 MB float32 jit map (10⁸ elements): RSS after the call and after the arrays are
 *    dropped and the process was idle a moment (the wasm arena stages inputs and outputs).
 */
import { jit, np } from '../../src'
import type { Array } from '../../src'

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const mb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20)
const heap = (): number => Math.round(process.memoryUsage().heapUsed / 2 ** 20)
const settle = (): number => {
  for (let i = 0; i < 4; i++) gc()
  return mb()
}

const shapes = Number(process.argv[2] ?? 10_000)
const base = settle()
const heap0 = heap()
let f: ((x: Array) => Array) | null = jit((x: Array) => np.sin(x).mul(2).add(1))
const t0 = performance.now()
let check = 0
for (let n = 1; n <= shapes; n++) check += (f as (x: Array) => Array)(np.ones([n])).toTypedArray()[n - 1]
const secs = (performance.now() - t0) / 1000
const after = settle()
const heapAfter = heap()
f = null
const dropped = settle()
console.log(`${shapes} shapes: ${secs.toFixed(1)} s; RSS ${base} -> ${after} MB, ${dropped} MB after the jitted function is dropped; ` +
  `JS heap ${heap0} -> ${heapAfter} -> ${heap()} MB (check ${check.toFixed(3)})`)

let big: Array | null = np.ones([1e8], { dtype: 'float32' })
let g: ((x: Array) => Array) | null = jit((x: Array) => np.sin(x).mul(2))
let y: Array | null = g(big)
const v = y.toTypedArray()[7]
const atCall = settle()
y = null
g = null
big = null
await new Promise((r) => setTimeout(r, 1500)) // an idle moment: the grown arena is released
console.log(`400 MB jit map: RSS ${atCall} MB with its input and result alive, ${settle()} MB once they are dropped and the process was idle for 1.5 s (value ${v.toFixed(6)})`)
