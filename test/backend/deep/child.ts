/**
 * Run by deep-programs.test.ts as a separate `node` process with a small stack
 * (--stack-size): a jit of 10⁵ chained equations and jit(grad) of an unrolled simulation must
 * not recurse once per equation. Prints the results as JSON.
 */
import { grad, jit, np } from '../../../src'
import { compileJaxpr } from '../../../src/backend'
import { chainJaxpr, spring } from './chains'

const n = 100_000
const xs = Float64Array.from({ length: 512 }, (_, i) => i / 4)
const add = compileJaxpr(chainJaxpr(n, [512], 'float64', [['add', 1]])).run([xs])[0]
const sin = compileJaxpr(chainJaxpr(n, [4], 'float64', [['sin', null]])).run([Float64Array.of(0.5, 1, 2, 3)])[0]
const dk = jit(grad(spring(1000)))(np.array(4.0)).item()
process.stdout.write(JSON.stringify({ add: [...add], sin: [...sin], dk }))
