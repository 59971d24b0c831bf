/**
 * IR layer: the jaxpr typechecker. Checks that every variable is bound exactly once before
 * use, literals are 0-d, every equation's output avals are what its primitive's abstract
 * evaluation says, and sub-jaxprs (in params) typecheck too. Returns an fp-ts `Either`:
 * `left(message)` naming the first problem, or `right(undefined)`.
 */
import * as E from 'fp-ts/Either'
import { type ShapedArray, avalStr } from './aval'
import { type Atom, type Eqn, Jaxpr, type Var } from './jaxpr'
import type { PrimName } from './params'

export type AbstractEvalFn = (prim: PrimName, avals: readonly ShapedArray[], params: unknown) => ShapedArray[]

const sameAval = (a: ShapedArray, b: ShapedArray): boolean =>
  a.dtype === b.dtype && a.weakType === b.weakType && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])

const subJaxprs = (params: unknown): Jaxpr[] =>
  Object.values(params as object).filter((v): v is Jaxpr => v instanceof Jaxpr)

export const typecheck = (jaxpr: Jaxpr, abstractEval: AbstractEvalFn): E.Either<string, void> => {
  const bound = new Set<Var>()
  const bind = (v: Var, where: string): string | null => {
    if (bound.has(v)) return `${where}: variable bound twice`
    bound.add(v)
    return null
  }
  const use = (a: Atom, where: string): string | null => {
    if (a._tag === 'Lit') return a.aval.shape.length === 0 ? null : `${where}: literal of shape ${avalStr(a.aval)}`
    return bound.has(a) ? null : `${where}: variable ${avalStr(a.aval)} used before it is bound`
  }
  if (!Object.isFrozen(jaxpr) || !Object.isFrozen(jaxpr.eqns)) return E.left('jaxpr is not frozen')
  for (const v of [...jaxpr.constVars, ...jaxpr.inVars]) {
    const err = bind(v, 'inputs')
    if (err) return E.left(err)
  }
  for (let k = 0; k < jaxpr.eqns.length; k++) {
    const eqn: Eqn = jaxpr.eqns[k]
    const where = `equation ${k} (${eqn.prim})`
    if (!Object.isFrozen(eqn)) return E.left(`${where}: not frozen`)
    for (const a of eqn.inputs) {
      const err = use(a, where)
      if (err) return E.left(err)
    }
    let want: ShapedArray[]
    try {
      want = abstractEval(eqn.prim, eqn.inputs.map((a) => a.aval), eqn.params)
    } catch (e) {
      return E.left(`${where}: ${(e as Error).message}`)
    }
    if (want.length !== eqn.outVars.length) return E.left(`${where}: ${eqn.outVars.length} outputs, abstract eval gives ${want.length}`)
    for (let i = 0; i < want.length; i++) {
      if (!sameAval(want[i], eqn.outVars[i].aval)) {
        return E.left(`${where}: output ${i} is ${avalStr(eqn.outVars[i].aval)}${eqn.outVars[i].aval.weakType ? ' (weak)' : ''} but abstract eval gives ${avalStr(want[i])}${want[i].weakType ? ' (weak)' : ''}`)
      }
      const err = bind(eqn.outVars[i], where)
      if (err) return E.left(err)
    }
    for (const sub of subJaxprs(eqn.params)) {
      const r = typecheck(sub, abstractEval)
      if (E.isLeft(r)) return E.left(`${where}, in its sub-jaxpr: ${r.left}`)
    }
  }
  for (const a of jaxpr.outs) {
    const err = use(a, 'outputs')
    if (err) return E.left(err)
  }
  return E.right(undefined)
}
