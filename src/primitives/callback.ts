/**
 * Primitives: `debug_callback` — call a host function (src/core/callbacks.ts) on the values of
 * its inputs; no outputs. It is an effect (src/ir/effects.ts), and it is not differentiated:
 * under jvp it is called on the primals and tangents pass by untouched (JAX's rule). Under
 * vmap the batched inputs move to the front and the host function is called once per batch
 * member, with that member's values. The host function always gets its own copies of the values.
 */
import { ConcreteArray } from '../core/array'
import { callbackParams, hostCallback } from '../core/callbacks'
import { ShapeError } from '../core/errors'
import type { RuleTable } from '../core/rules'
import { bind } from '../core/tracer'
import { avalStr, sizeOf } from '../ir/aval'
import { batchToFront } from './util'

export const callbackRules: Pick<RuleTable, 'debug_callback'> = {
  debug_callback: {
    abstractEval: (avals, p) => {
      const lead = p.batchSizes
      for (const a of avals) {
        if (a.shape.length < lead.length || lead.some((n, i) => a.shape[i] !== n)) {
          throw new ShapeError(`debug_callback: every operand must start with the batch axes [${lead.join(', ')}], got ${avalStr(a)}`)
        }
      }
      return []
    },
    impl: (xs, p) => {
      const fn = hostCallback(p.callback)
      const nb = p.batchSizes.length
      const count = nb === 0 ? 1 : sizeOf(p.batchSizes)
      // One call per batch member, in row-major order of the batch axes. The host function gets
      // copies: inside a compiled program the operands wrap buffers that later steps (and later
      // calls) overwrite, and the user may keep the Arrays it was given.
      for (let b = 0; b < count; b++) {
        fn(
          xs.map((x) => {
            const shape = x.shape.slice(nb)
            const n = sizeOf(shape)
            return new ConcreteArray(x.data.slice(b * n, (b + 1) * n), shape, x.dtype, x.weakType)
          }),
        )
      }
      return []
    },
    // called on the primals; nothing to differentiate
    jvp: (primals, _tangents, p) => {
      bind('debug_callback', primals, p)
      return [[], []]
    },
    batch: (axisSize, xs, bdims, p) => {
      const front = xs.map((x, i) => batchToFront(x, bdims[i], axisSize))
      bind('debug_callback', front, callbackParams(p.callback, [axisSize, ...p.batchSizes]))
      return [[], []]
    },
  },
}
