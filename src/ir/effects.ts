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
  // (asked for every equation staged: no temporaries)
  const ps = params as Record<string, unknown>
  for (const k in ps) {
    const v = ps[k]
    if (v instanceof Jaxpr) {
      if (jaxprHasEffects(v)) return true
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (v[i] instanceof Jaxpr && jaxprHasEffects(v[i])) return true
    }
  }
  return false
}

/**
 * `j` without its host callbacks, at any depth: the body that a checkpointed loop's reverse
 * mode runs again to rebuild residuals. The forward pass already made those calls, and a loop's
 * checkpoint policy changes only what reverse mode stores, never what the program does (a
 * progress report must not run backwards through the steps while the gradient is computed).
 */
export const withoutEffects = (j: Jaxpr): Jaxpr => {
  if (!jaxprHasEffects(j)) return j
  const eqns = j.eqns.filter((e) => !EFFECTFUL.has(e.prim)).map((e) => (eqnHasEffects(e) ? { ...e, params: paramsWithoutEffects(e.params) } : e))
  return new Jaxpr(j.constVars, j.inVars, eqns, j.outs)
}

const paramsWithoutEffects = <P>(params: P): P => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params as object)) {
    out[k] = v instanceof Jaxpr ? withoutEffects(v) : Array.isArray(v) ? v.map((x) => (x instanceof Jaxpr ? withoutEffects(x) : x)) : v
  }
  return out as P
}
