/**
 * Passes: the shared machinery. A pass is a pure function Jaxpr → Jaxpr; it never mutates its
 * input (jaxprs are frozen) and returns the *same* object when it changes nothing, so a
 * fixed-point driver can stop with `out === in`.
 *
 * Most passes are a forward walk with a substitution: each equation (its inputs already
 * renamed) is kept, replaced by other equations, or replaced by atoms that stand for its
 * outputs from then on. Sub-jaxprs in params (jit, checkpoint, custom_*) are rewritten first;
 * their signatures (inputs and output avals) never change, so the calling equation stays valid.
 */
import type { ShapedArray } from '../ir/aval'
import { type Atom, type Eqn, Jaxpr, type Var, makeEqn } from '../ir/jaxpr'
import { checkBuilt } from '../interpret/check'

/** Equal shape, dtype *and* weak type: a rewrite must keep an output's aval exactly. */
export const sameAval = (a: ShapedArray, b: ShapedArray): boolean =>
  a.dtype === b.dtype &&
  a.weakType === b.weakType &&
  a.shape.length === b.shape.length &&
  a.shape.every((d, i) => d === b.shape[i])

/** The same atom: the same variable, or literals of equal value (bitwise: -0 ≠ 0, NaN = NaN),
 *  dtype and weak type. */
export const sameAtom = (a: Atom, b: Atom): boolean => {
  if (a._tag === 'Var' || b._tag === 'Var') return a === b
  return Object.is(a.value, b.value) && sameAval(a.aval, b.aval)
}

// ---- sub-jaxprs ------------------------------------------------------------------------------

/** Apply `f` to every jaxpr in an equation's params (directly, or in an array such as a list
 *  of branches). Returns `eqn` itself when `f` changed none of them. */
export const mapSubJaxprs = (eqn: Eqn, f: (j: Jaxpr) => Jaxpr): Eqn =>
  // (most equations carry no jaxpr: nothing to copy. The copying is a function of its own: a
  // variable that a closure captures is allocated on every call of the function declaring it,
  // returning early or not)
  hasSubJaxprs(eqn) ? mapParams(eqn, f) : eqn

const mapParams = (eqn: Eqn, f: (j: Jaxpr) => Jaxpr): Eqn => {
  let changed = false
  const params: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(eqn.params as object)) {
    if (v instanceof Jaxpr) {
      const w = f(v)
      changed ||= w !== v
      params[k] = w
    } else if (Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Jaxpr)) {
      const w = v.map((x: Jaxpr) => f(x))
      changed ||= w.some((x, i) => x !== v[i])
      params[k] = w
    } else {
      params[k] = v
    }
  }
  return changed ? makeEqn(eqn.prim, eqn.inputs, params as never, eqn.outVars) : eqn
}

export const hasSubJaxprs = (eqn: Eqn): boolean => {
  const params = eqn.params as Record<string, unknown>
  for (const k in params) {
    const v = params[k]
    if (v instanceof Jaxpr) return true
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) if (v[i] instanceof Jaxpr) return true
  }
  return false
}

/**
 * Make a pass that also runs on every sub-jaxpr. `perJaxpr(j, sub, top)` rewrites one jaxpr,
 * calling `sub` on the sub-jaxprs of its equations; `top` is true only for the jaxpr the pass
 * was called on. Sub-jaxprs are memoized per call (one body shared by several equations is
 * rewritten once).
 */
export const recursivePass =
  <O>(perJaxpr: (j: Jaxpr, sub: (s: Jaxpr) => Jaxpr, top: boolean, opts: O) => Jaxpr) =>
  (jaxpr: Jaxpr, opts: O): Jaxpr => {
    const memo = new Map<Jaxpr, Jaxpr>()
    const sub = (s: Jaxpr): Jaxpr => {
      let r = memo.get(s)
      if (r === undefined) {
        r = perJaxpr(s, sub, false, opts)
        memo.set(s, r)
      }
      return r
    }
    return perJaxpr(jaxpr, sub, true, opts)
  }

// ---- the rewriting walk ------------------------------------------------------------------------

/** What a rule does with one equation: `null` keeps it; otherwise `eqns` are emitted in its
 *  place and `outs` stand for its outputs (one atom per output var). */
export type Rewrite = null | { readonly eqns: readonly Eqn[]; readonly outs: readonly Atom[] }

/** Replace an equation's (single) output by an atom: only when the avals agree exactly. */
export const replaceBy = (eqn: Eqn, a: Atom): Rewrite =>
  eqn.outVars.length === 1 && sameAval(a.aval, eqn.outVars[0].aval) ? { eqns: [], outs: [a] } : null

/** Replace an equation by another that binds the same output vars. */
export const replaceEqn = (e: Eqn): Rewrite => ({ eqns: [e], outs: e.outVars })

/** Lookup of the equation (already emitted by this walk) that binds a variable. */
export type Producer = (a: Atom) => Eqn | undefined

export type Rule = (eqn: Eqn, producer: Producer) => Rewrite

/**
 * Walk `jaxpr` forward: rename each equation's inputs, rewrite its sub-jaxprs with `sub`, then
 * apply `rule`. Returns `jaxpr` itself when nothing changed; otherwise the new jaxpr (same
 * constVars and inVars), typechecked when debug checks are on.
 */
export const rewriteJaxpr = (jaxpr: Jaxpr, rule: Rule, sub: ((s: Jaxpr) => Jaxpr) | null, where: string): Jaxpr => {
  const env = new Map<Var, Atom>()
  const read = (a: Atom): Atom => (a._tag === 'Var' ? (env.get(a) ?? a) : a)
  const producers = new Map<Var, Eqn>()
  const producer: Producer = (a) => (a._tag === 'Var' ? producers.get(a) : undefined)
  const eqns: Eqn[] = []
  // (every equation of a first call passes here in cold code: the loops are indexed, since a
  // for-of allocates an iterator result per element until V8 optimizes it)
  const emit = (e: Eqn): void => {
    eqns.push(e)
    const outVars = e.outVars
    for (let i = 0; i < outVars.length; i++) producers.set(outVars[i], e)
  }
  let changed = false
  const all = jaxpr.eqns
  for (let k = 0; k < all.length; k++) {
    const e0 = all[k]
    let e = e0
    // (until a rule replaces an output, no input is renamed)
    if (env.size > 0) {
      const inputs = renamed(e0.inputs, env)
      if (inputs !== null) e = makeEqn(e0.prim, inputs, e0.params, e0.outVars)
    }
    if (sub !== null) e = mapSubJaxprs(e, sub)
    changed ||= e !== e0
    const r = rule(e, producer)
    if (r === null) {
      emit(e)
      continue
    }
    changed = true
    for (let i = 0; i < r.eqns.length; i++) emit(r.eqns[i])
    const outVars = e.outVars
    for (let i = 0; i < outVars.length; i++) if (r.outs[i] !== outVars[i]) env.set(outVars[i], r.outs[i])
  }
  if (!changed) return jaxpr
  return checkBuilt(new Jaxpr(jaxpr.constVars, jaxpr.inVars, eqns, jaxpr.outs.map(read)), where)
}

/** `xs` with each variable that `env` renames replaced, or null when it renames none (most
 *  equations: no array is made for them). */
export const renamed = (xs: readonly Atom[], env: ReadonlyMap<Var, Atom>): Atom[] | null => {
  let out: Atom[] | null = null
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    const y = x._tag === 'Var' ? env.get(x) : undefined
    if (y === undefined || y === x) {
      if (out !== null) out.push(x)
    } else {
      out ??= xs.slice(0, i)
      out.push(y)
    }
  }
  return out
}

// ---- constants ---------------------------------------------------------------------------------

/**
 * The constant an atom is known to hold everywhere: a literal, or a `broadcast_in_dim` (of a
 * broadcast …) of a literal. `undefined` when it is not such a constant.
 */
export const constValue = (a: Atom, producer: Producer): number | undefined => {
  // (a loop: a chain of broadcasts may be as long as the program)
  for (let x = a; ; ) {
    if (x._tag === 'Lit') return x.value
    const e = producer(x)
    if (e === undefined || e.prim !== 'broadcast_in_dim') return undefined
    x = e.inputs[0]
  }
}

/** Is `a` a broadcast (not a bare literal) of a literal? */
export const isBroadcastConst = (a: Atom, producer: Producer): boolean =>
  a._tag === 'Var' && producer(a)?.prim === 'broadcast_in_dim' && constValue(a, producer) !== undefined
