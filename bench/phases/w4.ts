/**
 * Where a call of W4 (jit(hvp) of Rosenbrock, x: 1e5 float64) spends its time, phase by phase,
 * beside the hand-written baseline. Run: `npx tsx bench/phases/w4.ts [rounds]`.
 *
 * One process, the cases interleaved (round after round, a block of 4 calls of each), so that
 * the load of a shared machine falls on every case alike; medians and 10th percentiles of the
 * blocks. The cases peel the call apart:
 *   - kernels: the compiled program alone, writing into an array kept across calls (the inputs
 *     are already staged in the WebAssembly memory, the output copied out of it);
 *   - jit call: `h(x, v)` — the above plus the dispatch of `jit` and a fresh output array;
 *   - + toTypedArray(): what the bench times — plus the copy `toTypedArray()` makes;
 *   - + toTypedArray({ copy: false }): the Array's own buffer handed out instead;
 *   - baseline: the hand-written loop (bench/baselines/w4.ts), which writes a fresh array;
 *   - fresh array + copy, copy: what one fresh 0.8 MB result costs beside the arithmetic.
 * Garbage collections are counted per case (bench/phases/interleave.ts).
 */
import { hvp, jit, lax, makeJaxpr, np } from '../../src'
import type { Array as Arr } from '../../src'
import { compileJaxpr } from '../../src/backend'
import type { ConcreteArray } from '../../src/core/array'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'
import { rosenbrockHvp } from '../baselines/w4'
import { uniform64 } from '../harness/rng'
import { N4 } from '../workloads/w4'
import { movedBy, runInterleaved } from './interleave'

const n = N4
const rosenbrock = (x: Arr): Arr => {
  const a = lax.slice(x, [0], [n - 1])
  const b = lax.slice(x, [1], [n])
  return np.sum(np.square(b.sub(np.square(a))).mul(100).add(np.square(np.subtract(1, a))))
}
const xs = uniform64(11, n, -1.5, 1.5)
const vs = uniform64(12, n, -1, 1)
const x = np.array(xs)
const v = np.array(vs)
const f = (x: Arr, v: Arr): Arr => hvp(rosenbrock, [x], [v]) as Arr
const h = jit(f)
// the program jit runs, compiled from the same jaxpr (checked below: the same bits)
const program = compileJaxpr(optimize(hoistConsts(makeJaxpr(f)(x, v).jaxpr), { all: true }))
// the Arrays' own buffers (not handed out: so they stay staged in the WebAssembly memory)
const ins = [x, v].map((a) => (a as ConcreteArray).data)
const kept = new Float64Array(n)
program.runInto(ins, [kept])
const viaJit = h(x, v).toTypedArray()
if (!kept.every((y, i) => Object.is(y, viaJit[i]))) throw new Error('the program compiled here is not the one jit runs')

const cases: Record<string, () => unknown> = {
  'kernels (into a kept array)': () => program.runInto(ins, [kept]),
  'jit call': () => h(x, v),
  'jit call + toTypedArray()': () => h(x, v).toTypedArray(),
  'jit call + toTypedArray({ copy: false })': () => h(x, v).toTypedArray({ copy: false }),
  baseline: () => rosenbrockHvp(xs, vs),
  'fresh 0.8 MB array + copy': () => new Float64Array(n).set(kept),
  'copy 0.8 MB (kept arrays)': () => viaJit.set(kept),
}

runInterleaved('W4 phases', cases, Number(process.argv[2] ?? 400), () => movedBy(cases, ['kernels (into a kept array)', 'jit call']))
