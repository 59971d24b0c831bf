/**
 * Run by threads.test.ts in a fresh process with LEIBNIZ_THREADS=2: a synchronous script — no
 * await, no event-loop turn — whose first large call must already run on two threads, and which
 * must then exit on its own (the workers never keep the process alive). Prints one JSON line.
 */
import { type Array as Arr, config, jit, np } from '../../../src'

const mode = process.argv[2]
const n = 1 << 20
const x = np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(i)))
const f = jit((x: Arr) => np.sum(np.tanh(x.mul(1.5)).mul(np.exp(x.mul(x).neg()))))
const before = config.get().threadsInUse
const value = Number(f(x).item())
const after = config.get().threadsInUse
if (mode === 'set') void config.set({ threads: 1 }) // a change left pending at exit
console.log(JSON.stringify({ before, after, value, setting: config.get().threads }))
