/**
 * Deep programs for the tests of test/backend/deep-programs.test.ts: long chains of equations
 * built directly as jaxprs (tracing 10⁵ operations is the slow part of a test, and not what is
 * tested here), and the README's spring simulation, unrolled.
 */
import { np } from '../../../src'
import type { Array } from '../../../src'
import { rulesOf } from '../../../src/core/rules'
import type { ShapedArray } from '../../../src/ir/aval'
import type { DType } from '../../../src/ir/dtypes'
import { type Atom, type Eqn, Jaxpr, Lit, Var, makeEqn } from '../../../src/ir/jaxpr'
import type { PrimName } from '../../../src/ir/params'
import { shaped } from '../../../src/ir/aval'

/** One step of a chain: a unary primitive, or a binary one with a literal right operand. */
export type ChainOp = readonly [PrimName, number | null]

/** `y ← op(y)` for each op, `steps` times, from the input x of shape `shape`. */
export const chainJaxpr = (steps: number, shape: readonly number[], dtype: DType, ops: readonly ChainOp[]): Jaxpr => {
  const x = new Var(shaped(shape, dtype, false))
  let y: Atom = x
  const eqns: Eqn[] = []
  for (let i = 0; i < steps; i++) {
    for (const [prim, c] of ops) {
      const ins: Atom[] = c === null ? [y] : [y, new Lit(c, dtype, true)]
      const [aval] = rulesOf(prim).abstractEval(ins.map((a) => a.aval), {} as never) as ShapedArray[]
      const out = new Var(aval)
      eqns.push(makeEqn(prim, ins, {} as never, [out]))
      y = out
    }
  }
  return new Jaxpr([], [x], eqns, [y])
}

/** The README's spring: position after `steps` explicit Euler steps of x'' = −k x (h = 0.01). */
export const spring = (steps: number) => (k: Array): Array => {
  let [x, v] = [np.array(1.0), np.array(0.0)]
  for (let i = 0; i < steps; i++) [x, v] = [x.add(v.mul(0.01)), v.sub(x.mul(k).mul(0.01))]
  return x
}

/** The same simulation and its derivative in k, by forward mode on plain numbers: the
 *  tangents follow dx' = dx + h·dv, dv' = dv − h·(k·dx + x). */
export const springAndDk = (steps: number, k: number): [number, number] => {
  let [x, v, dx, dv] = [1, 0, 0, 0]
  for (let i = 0; i < steps; i++) [x, v, dx, dv] = [x + v * 0.01, v - x * k * 0.01, dx + dv * 0.01, dv - (dx * k + x) * 0.01]
  return [x, dx]
}
