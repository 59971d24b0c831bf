/**
 * Interpreters: debug checks. When enabled (the test suite enables them), every jaxpr built by
 * staging, partial evaluation or a pass is typechecked as it is made, and a bad one throws.
 */
import * as E from 'fp-ts/Either'
import { rulesOf } from '../core/rules'
import type { Jaxpr } from '../ir/jaxpr'
import { typecheck } from '../ir/typecheck'

let enabled = typeof process !== 'undefined' && process.env?.LEIBNIZ_CHECK_JAXPRS === '1'
let checkedCount = 0

export const setJaxprChecks = (on: boolean): void => {
  enabled = on
}

/** How many jaxprs have been typechecked so far (tests use it to see the checks ran). */
export const jaxprsChecked = (): number => checkedCount

export const typecheckJaxpr = (j: Jaxpr): E.Either<string, void> =>
  typecheck(j, (prim, avals, params) => rulesOf(prim).abstractEval(avals, params as never))

export const checkBuilt = (j: Jaxpr, where: string): Jaxpr => {
  if (!enabled) return j
  checkedCount++
  const r = typecheckJaxpr(j)
  if (E.isLeft(r)) throw new Error(`internal: ${where} built an ill-typed jaxpr: ${r.left}\n${String(j)}`)
  return j
}
