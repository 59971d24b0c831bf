/**
 * Where a call of W2 (jit(grad) of W1, 1e6 float32 outputs) spends its time: the kernels
 * against the data path around them. Run: `npx tsx bench/phases/w2.ts [rounds] [n]`.
 * Cases (interleaved, bench/phases/interleave.ts):
 *   - kernels: the compiled program alone, writing into an array kept across calls (the input
 *     already staged in the WebAssembly memory, the gradient copied out of it);
 *   - jit call: `g(x)` — the above plus the dispatch of `jit` and a fresh output array;
 *   - + toTypedArray(): what the bench's W2 row times — plus the copy `toTypedArray()` makes;
 *   - + toTypedArray({ copy: false }): the Array's own buffer handed out (the read-out JAX's
 *     `np.asarray` makes);
 *   - baseline: the hand-written fused loop (bench/baselines/w2.ts), which writes a fresh array;
 *   - fresh array + copy: what one fresh result costs beside the arithmetic.
 * The data path of a call is its time minus the kernels' time.
 */
import { grad, jit, makeJaxpr, np } from '../../src'
import type { Array as Arr } from '../../src'
import { compileJaxpr } from '../../src/backend'
import type { ConcreteArray } from '../../src/core/array'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'
import { w2Grad } from '../baselines/w2'
import { uniform32 } from '../harness/rng'
import { N1 } from '../workloads/w1'
import { movedBy, runInterleaved } from './interleave'

const n = Number(process.argv[3] ?? N1)
const xs = uniform32(1, n, -2, 2)
const x = np.array(xs)
// the function of bench/workloads/w2.ts
const f = grad((x: Arr): Arr => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg()))))
const g = jit(f)
// the program jit runs, compiled from the same jaxpr (checked below: the same bits)
const program = compileJaxpr(optimize(hoistConsts(makeJaxpr(f)(x).jaxpr), { all: true }))
const ins = [(x as ConcreteArray).data]
const kept = new Float32Array(n)
program.runInto(ins, [kept])
const viaJit = g(x).toTypedArray()
if (!kept.every((y, i) => Object.is(y, viaJit[i]))) throw new Error('the program compiled here is not the one jit runs')

const cases: Record<string, () => unknown> = {
  'kernels (into a kept array)': () => program.runInto(ins, [kept]),
  'jit call': () => g(x),
  'jit call + toTypedArray()': () => g(x).toTypedArray(),
  'jit call + toTypedArray({ copy: false })': () => g(x).toTypedArray({ copy: false }),
  baseline: () => w2Grad(xs),
  [`fresh ${(n * 4) / 1e6} MB array + copy`]: () => new Float32Array(n).set(kept),
}

runInterleaved(`W2 phases (n = ${n})`, cases, Number(process.argv[2] ?? 200), () => movedBy(cases, ['kernels (into a kept array)', 'jit call']))
