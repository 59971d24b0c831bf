// Helpers for the pass tests: a small jaxpr builder, typechecking, exact evaluation, freezing.
import * as E from 'fp-ts/Either'
import { expect } from 'vitest'
import '../../src/rules'
import { ConcreteArray } from '../../src/core/array'
import { rulesOf } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { typecheckJaxpr } from '../../src/interpret/check'
import { evalJaxpr } from '../../src/interpret/eval'
import { shaped, sizeOf } from '../../src/ir/aval'
import { type DType, allocate } from '../../src/ir/dtypes'
import { type Atom, type Eqn, Jaxpr, Lit, Var, makeEqn } from '../../src/ir/jaxpr'
import type { ParamsMap, PrimName } from '../../src/ir/params'

/** A literal; weak by default, as JS numbers in user code are. */
export const lit = (v: number, dtype: DType = 'float64', weak = true): Lit => new Lit(v, dtype, weak)

/** Builds a jaxpr equation by equation; output avals come from the primitives' abstract eval. */
export class Builder {
  private readonly inVars: Var[] = []
  private readonly eqns: Eqn[] = []
  input(shape: readonly number[], dtype: DType = 'float64', weak = false): Var {
    const v = new Var(shaped(shape, dtype, weak))
    this.inVars.push(v)
    return v
  }
  ops<P extends PrimName>(prim: P, inputs: readonly Atom[], params: ParamsMap[P]): Var[] {
    const avals = rulesOf(prim).abstractEval(inputs.map((a) => a.aval), params)
    const outs = avals.map((a) => new Var(a))
    this.eqns.push(makeEqn(prim, inputs, params, outs))
    return outs
  }
  op<P extends PrimName>(prim: P, inputs: readonly Atom[], params: ParamsMap[P] = {} as ParamsMap[P]): Var {
    return this.ops(prim, inputs, params)[0]
  }
  done(...outs: Atom[]): Jaxpr {
    return new Jaxpr([], this.inVars, this.eqns, outs)
  }
}

export const bcast = (b: Builder, x: Atom, shape: readonly number[]): Var =>
  b.op('broadcast_in_dim', [x], { shape, broadcastDimensions: [] })

export const expectWellTyped = (j: Jaxpr): void => {
  const r = typecheckJaxpr(j)
  if (E.isLeft(r)) throw new Error(`${r.left}\n${String(j)}`)
}

/** Seeded uniform numbers in [-2, 2) (mulberry32), so failures reproduce. */
export const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 2
}

export const randomInputs = (j: Jaxpr, next: () => number): ConcreteArray[] =>
  j.inVars.map((v) => {
    const { shape, dtype, weakType } = v.aval
    const data = allocate(dtype, sizeOf(shape))
    for (let i = 0; i < data.length; i++) data[i] = dtype === 'bool' ? Number(next() > 0) : dtype === 'int32' ? Math.round(next() * 3) : next()
    return new ConcreteArray(data, shape, dtype, weakType)
  })

/** Both jaxprs give the same outputs on these inputs: same avals, and values equal as numbers
 *  (NaN matches NaN; -0 matches 0, the one liberty `x + 0 → x` takes). */
export const expectSameResults = (a: Jaxpr, b: Jaxpr, consts: readonly Tracer[], args: readonly Tracer[]): void => {
  const ra = evalJaxpr(a, consts, args) as ConcreteArray[]
  const rb = evalJaxpr(b, consts, args) as ConcreteArray[]
  expect(rb.length).toBe(ra.length)
  ra.forEach((x, i) => {
    const y = rb[i]
    expect(y.aval).toEqual(x.aval)
    for (let k = 0; k < x.data.length; k++) {
      const [u, v] = [x.data[k], y.data[k]]
      if (!(u === v || (Number.isNaN(u) && Number.isNaN(v)))) {
        throw new Error(`output ${i}[${k}]: ${v} after optimizing, ${u} before`)
      }
    }
  })
}

/** Everything reachable from the jaxpr — eqns, params, vars, literals, sub-jaxprs — is frozen.
 *  (Avals are skipped: a Var does not freeze the aval object it is given, and some abstract
 *  evals return unfrozen ones; passes only ever reuse avals, never build or change them.) */
export const expectDeepFrozen = (root: unknown): void => {
  const seen = new Set<object>()
  const walk = (x: unknown, path: string): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return
    seen.add(x)
    if (!Object.isFrozen(x)) throw new Error(`not frozen: ${path}`)
    for (const [k, v] of Object.entries(x)) if (k !== 'aval') walk(v, `${path}.${k}`)
  }
  walk(root, 'jaxpr')
}

/** Equations of a jaxpr and all its sub-jaxprs, for counting primitives. */
export const allEqns = (j: Jaxpr): Eqn[] =>
  j.eqns.flatMap((e) => [e, ...Object.values(e.params as object).filter((v): v is Jaxpr => v instanceof Jaxpr).flatMap(allEqns)])

export const countPrim = (j: Jaxpr, prim: PrimName): number => allEqns(j).filter((e) => e.prim === prim).length
