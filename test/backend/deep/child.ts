/**
 * Run by deep-programs.test.ts as a separate `node` process (the test threads have stacks of
 * their own size): with the default stack, jit(grad) of the README's spring unrolled 2,000
 * steps (`spring`); with a small one (--stack-size), a jit of 10⁵ chained equations and
 * jit(grad) of the spring at 500 steps (`small`) — nothing may recurse once per equation.
 * Prints the results as JSON.
 */
import { grad, jit, np } from '../../../src'
import { compileJaxpr } from '../../../src/backend'
import { chainJaxpr, spring } from './chains'

if (process.argv[2] === 'spring') {
  process.stdout.write(JSON.stringify({ dk: jit(grad(spring(2000)))(np.array(4.0)).item() }))
} else {
  const xs = Float64Array.from({ length: 512 }, (_, i) => i / 4)
  const add = compileJaxpr(chainJaxpr(100_000, [512], 'float64', [['add', 1]])).run([xs])[0]
  const dk = jit(grad(spring(500)))(np.array(4.0)).item()
  process.stdout.write(JSON.stringify({ add: [...add], dk }))
}
