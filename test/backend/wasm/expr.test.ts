/**
 * The expression language's reference semantics (`evalExpr`) agree with the eager
 * primitives it mirrors, in float32 and float64; structural keys and input checks.
 */
import { describe, expect, it } from 'vitest'
import '../../../src/rules'
import { ConcreteArray } from '../../../src/core/array'
import type { Tracer } from '../../../src/core/tracer'
import { BINARY_OPS, UNARY_OPS, canonicalize, checkExprs, evalExpr, ex, exprKey, topoOrder } from '../../../src/backend/wasm/expr'
import * as binary from '../../../src/primitives/binary'
import { integerPow } from '../../../src/primitives/integer_pow'
import { selectN } from '../../../src/primitives/shape'
import * as unary from '../../../src/primitives/unary'
import { SPECIAL, uniform } from './helpers'

const XS = [...SPECIAL, ...uniform(40, -5, 5, 1)]
const arr = (dtype: 'float32' | 'float64', v: readonly number[]): ConcreteArray =>
  new ConcreteArray(dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v), [v.length], dtype)
const list = (t: Tracer): number[] => Array.from((t as ConcreteArray).data)

describe('evalExpr matches the eager primitives', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`unary ops, ${dtype}`, () => {
      for (const op of UNARY_OPS) {
        const eager = list((unary as unknown as Record<string, (x: Tracer) => Tracer>)[op](arr(dtype, XS)))
        const ref = XS.map((x) => evalExpr([ex.unary(op, ex.input(0))], [x], dtype)[0])
        expect([op, ref]).toEqual([op, eager])
      }
    })
    it(`binary ops and integer powers, ${dtype}`, () => {
      const ys = XS.map((_, i) => XS[(i * 7 + 3) % XS.length])
      for (const op of BINARY_OPS) {
        const eager = list((binary as unknown as Record<string, (x: Tracer, y: Tracer) => Tracer>)[op](arr(dtype, XS), arr(dtype, ys)))
        const ref = XS.map((x, i) => evalExpr([ex.binary(op, ex.input(0), ex.input(1))], [x, ys[i]], dtype)[0])
        expect([op, ref]).toEqual([op, eager])
      }
      for (const y of [-3, -2, -1, 0, 1, 2, 3, 5, 8]) {
        const eager = list(integerPow(arr(dtype, XS), y))
        expect([y, XS.map((x) => evalExpr([ex.ipow(ex.input(0), y)], [x], dtype)[0])]).toEqual([y, eager])
      }
    })
    it(`select and comparisons, ${dtype}`, () => {
      const ys = XS.map((_, i) => XS[(i * 5 + 1) % XS.length])
      for (const op of ['lt', 'le', 'gt', 'ge', 'eq', 'ne'] as const) {
        const pred = (binary as unknown as Record<string, (x: Tracer, y: Tracer) => Tracer>)[op](arr(dtype, XS), arr(dtype, ys))
        const eager = list(selectN(pred, arr(dtype, ys), arr(dtype, XS))) // select_n(c, false case, true case)
        const e = ex.select(ex.compare(op, ex.input(0), ex.input(1)), ex.input(0), ex.input(1))
        expect([op, XS.map((x, i) => evalExpr([e], [x, ys[i]], dtype)[0])]).toEqual([op, eager])
      }
    })
  }
})

describe('expression structure', () => {
  it('structurally equal subexpressions are one node, whether or not they are one object', () => {
    const x = ex.input(0)
    const e = ex.exp(x)
    const shared = ex.add(e, e)
    const copies = ex.add(ex.exp(ex.input(0)), ex.exp(x))
    expect(exprKey([shared])).toBe(exprKey([copies]))
    expect(canonicalize([copies]).unique.length).toBe(3) // in0, exp, add
    expect(topoOrder([copies]).length).toBe(5) // as objects: two inputs, two exps, one add
    expect(exprKey([ex.c(0)])).not.toBe(exprKey([ex.c(-0)]))
    expect(exprKey([ex.mul(x, ex.input(1))])).not.toBe(exprKey([ex.mul(ex.input(1), x)]))
    expect(exprKey([x, e])).not.toBe(exprKey([e, x]))
  })
  it('checkExprs rejects bad inputs, powers and unsupported ops', () => {
    expect(() => checkExprs([ex.input(2)], 2, 'float32')).toThrow(/input 2 out of range/)
    expect(() => checkExprs([ex.ipow(ex.input(0), 1.5)], 1, 'float32')).toThrow(/integer/)
    expect(() => checkExprs([ex.pow(ex.input(0), ex.c(2))], 1, 'float64')).toThrow(/pow is not available in float64/)
    expect(() => checkExprs([ex.pow(ex.input(0), ex.c(2))], 1, 'float32')).not.toThrow()
  })
})
