/**
 * Passes: common-subexpression elimination. Two equations with the same primitive, the same
 * inputs and structurally equal params compute the same values (all primitives are pure), so
 * the later one's outputs are replaced by the earlier one's. Literals compare by value (bitwise:
 * -0 and 0 differ, NaN equals NaN), dtype and weak type; jaxprs in params by identity. Operands
 * of commutative primitives are compared as an unordered pair (`mul a b` ≡ `mul b a`).
 */
import type { Atom, Jaxpr } from '../ir/jaxpr'
import type { PrimName } from '../ir/params'
import { eqnHasEffects } from '../ir/effects'
import { Jaxpr as JaxprClass } from '../ir/jaxpr'
import { type Rewrite, recursivePass, rewriteJaxpr, sameAval } from './util'

const COMMUTATIVE: ReadonlySet<PrimName> = new Set<PrimName>(['add', 'mul', 'max', 'min', 'eq', 'ne', 'and', 'or'])

const jaxprIds = new WeakMap<Jaxpr, number>()
let nextJaxprId = 0
const jaxprId = (j: Jaxpr): number => {
  let id = jaxprIds.get(j)
  if (id === undefined) jaxprIds.set(j, (id = nextJaxprId++))
  return id
}

const numKey = (x: number): string => (Object.is(x, -0) ? '-0' : String(x))

const atomKey = (a: Atom): string =>
  a._tag === 'Var' ? `v${a.id}` : `l${a.aval.dtype}${a.aval.weakType ? 'w' : ''}:${numKey(a.value)}`

/** A string equal for structurally equal params (jaxprs by identity). */
export const paramKey = (x: unknown): string => {
  if (x instanceof JaxprClass) return `J${jaxprId(x)}`
  if (Array.isArray(x)) return `[${x.map(paramKey).join(',')}]`
  if (typeof x === 'number') return numKey(x)
  if (typeof x === 'string') return JSON.stringify(x)
  if (x === null || typeof x !== 'object') return String(x)
  const entries = Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${paramKey(v)}`).join(',')}}`
}

const csePass = recursivePass<undefined>((j, sub) => {
  const seen = new Map<string, readonly Atom[]>()
  return rewriteJaxpr(
    j,
    (e): Rewrite => {
      // two equal host callbacks are two calls
      if (eqnHasEffects(e)) return null
      const ins = e.inputs.map(atomKey)
      if (COMMUTATIVE.has(e.prim) && ins.length === 2 && ins[1] < ins[0]) ins.reverse()
      const key = `${e.prim}(${ins.join(' ')})${paramKey(e.params)}`
      const prev = seen.get(key)
      if (prev !== undefined && prev.length === e.outVars.length && prev.every((a, i) => sameAval(a.aval, e.outVars[i].aval))) {
        return { eqns: [], outs: prev }
      }
      seen.set(key, e.outVars)
      return null
    },
    sub,
    'cse',
  )
})

export const cse = (jaxpr: Jaxpr): Jaxpr => csePass(jaxpr, undefined)
