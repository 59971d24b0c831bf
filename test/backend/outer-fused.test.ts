/**
 * An outer product (dot_general without contraction) fused into a kernel with its consumers:
 * the consumers must read the product rounded to the result dtype, as the implementation
 * stores it — in float32 the double product a·b is not the float32 product.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, makeJaxpr, np } from '../../src'
import type { ConcreteArray } from '../../src/core/array'
import { optimize } from '../../src/passes'
import { bitwiseDiff, runCompiled, runReference } from './helpers'

const data = (n: number, s: number, dtype: 'float32' | 'float64') =>
  np.array(Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 1.3), { dtype })

describe('outer products fused with their consumers', () => {
  const cases: [string, (a: Arr, b: Arr, c: Arr, d: Arr) => Arr][] = [
    ['outer(a, b) + outer(c, d)', (a, b, c, d) => np.outer(a, b).add(np.outer(c, d))],
    ['(outer(a, b) + outer(c, d)) · a', (a, b, c, d) => np.matmul(np.outer(a, b).add(np.outer(c, d)), a)],
    ['sin(outer(a, b)) · c', (a, b, c) => np.sin(np.outer(a, b)).mul(c)],
  ]
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [name, f] of cases) {
      it(`${name} (${dtype}): compiled == reference bit for bit`, () => {
        const xs = [1, 2, 3, 4].map((s) => data(40, s, dtype)) as [Arr, Arr, Arr, Arr]
        const j = optimize(makeJaxpr(f)(...xs).jaxpr, { all: true })
        const want = runReference(j, xs as unknown as ConcreteArray[])
        const got = runCompiled(j, xs as unknown as ConcreteArray[])
        got.forEach((g, i) => expect(bitwiseDiff(g, want[i])).toBeNull())
      })
    }
  }
})
