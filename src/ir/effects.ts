/**
 * IR layer: effects. Every primitive is pure except the host callbacks (`debug_callback`),
 * which must run exactly where and as often as the program says: a pass may not remove one
 * because nothing reads its (empty) outputs, merge two equal ones, or evaluate one at compile
 * time. An equation has effects when its primitive does or when a jaxpr in its params (a loop
 * body, a branch, a call) contains one.
 */
import { type Eqn, Jaxpr } from './jaxpr'
import type { PrimName } from './params'

const EFFECTFUL: ReadonlySet<PrimName> = new Set<PrimName>(['debug_callback'])

const memo = new WeakMap<Jaxpr, boolean>()

export const jaxprHasEffects = (j: Jaxpr): boolean => {
  let r = memo.get(j)
  if (r === undefined) {
    r = j.eqns.some(eqnHasEffects)
    memo.set(j, r)
  }
  return r
}

export const eqnHasEffects = (e: Eqn): boolean => hasEffects(e.prim, e.params)

/** Whether `prim` applied with `params` has effects (before any equation exists: staging). */
export const hasEffects = (prim: PrimName, params: unknown): boolean => {
  if (EFFECTFUL.has(prim)) return true
  for (const v of Object.values(params as object)) {
    if (v instanceof Jaxpr && jaxprHasEffects(v)) return true
    if (Array.isArray(v) && v.some((x) => x instanceof Jaxpr && jaxprHasEffects(x))) return true
  }
  return false
}
