/**
 * IR layer: the jaxpr. Immutable data in A-normal form: variables, literals, equations, and
 * jaxprs built from them. Every node is frozen at construction, so a pass that tries to mutate
 * one throws; passes return new jaxprs.
 */
import { type ShapedArray, shaped } from './aval'
import type { DType } from './dtypes'
import type { ParamsMap, PrimName } from './params'
import { printJaxpr } from './pretty'

let nextVarId = 0

/** A variable: bound once, by a jaxpr's inputs or by one equation. Identity is the object. */
// Fields of the IR's small classes are declared and assigned in the constructor: a class
// field would be defined twice per object (to undefined, then assigned), and staging makes
// thousands of these objects per trace, mostly in cold code.
export class Var {
  declare readonly _tag: 'Var'
  declare readonly id: number
  declare readonly aval: ShapedArray
  constructor(aval: ShapedArray) {
    const a = Object.isFrozen(aval) ? aval : shaped(aval.shape, aval.dtype, aval.weakType)
    this._tag = 'Var'
    this.id = nextVarId++
    this.aval = a
    Object.freeze(this)
  }
}

/** A scalar literal inlined into an equation (`mul a 2.0`). */
export class Lit {
  declare readonly value: number
  declare readonly _tag: 'Lit'
  declare readonly aval: ShapedArray
  constructor(value: number, dtype: DType, weakType: boolean) {
    this.value = value
    this._tag = 'Lit'
    this.aval = shaped([], dtype, weakType)
    Object.freeze(this)
  }
}

export type Atom = Var | Lit

export interface Eqn<P extends PrimName = PrimName> {
  readonly prim: P
  readonly inputs: readonly Atom[]
  readonly params: ParamsMap[P]
  readonly outVars: readonly Var[]
}

/** Freeze `x` and everything it holds (an equation's params: staging freezes each in place).
 *  (params are small plain objects, frozen once per staged equation, in cold code: an indexed
 *  loop and for-in, where Object.values and for-of would allocate a list and an iterator
 *  result per entry) */
export const deepFreeze = <T>(x: T): T => {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x)
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) deepFreeze(x[i])
    } else {
      const o = x as Record<string, unknown>
      for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) deepFreeze(o[k])
    }
  }
  return x
}

/**
 * An equation, frozen. Its atoms are frozen at construction (Var, Lit), so only the lists and
 * the params need freezing: staging makes one equation per primitive applied, and walking
 * every atom again would be most of that cost.
 */
export const makeEqn = <P extends PrimName>(
  prim: P,
  inputs: readonly Atom[],
  params: ParamsMap[P],
  outVars: readonly Var[],
): Eqn<P> => Object.freeze({ prim, inputs: Object.freeze([...inputs]), params: deepFreeze(params), outVars: Object.freeze([...outVars]) })

/**
 * `{ lambda constVars ; inVars . let eqns in ( outs ) }`. Constants are bound by `constVars`
 * and supplied by a `ClosedJaxpr`; higher-order primitives carry jaxprs without constVars
 * (their constants are passed as leading inputs).
 */
export class Jaxpr {
  readonly constVars: readonly Var[]
  readonly inVars: readonly Var[]
  readonly eqns: readonly Eqn[]
  readonly outs: readonly Atom[]
  constructor(constVars: readonly Var[], inVars: readonly Var[], eqns: readonly Eqn[], outs: readonly Atom[]) {
    this.constVars = Object.freeze([...constVars])
    this.inVars = Object.freeze([...inVars])
    this.eqns = Object.freeze(eqns.map((e) => deepFreeze(e)))
    this.outs = Object.freeze([...outs])
    Object.freeze(this)
  }
  get inAvals(): ShapedArray[] {
    return this.inVars.map((v) => v.aval)
  }
  get outAvals(): ShapedArray[] {
    return this.outs.map((v) => v.aval)
  }
  toString(): string {
    return printJaxpr(this)
  }
}

/** A jaxpr with the values of its constVars. `consts` are concrete arrays or tracers. */
export class ClosedJaxpr<C = unknown> {
  constructor(readonly jaxpr: Jaxpr, readonly consts: readonly C[]) {
    Object.freeze(this)
  }
  get inAvals(): ShapedArray[] {
    return this.jaxpr.inAvals
  }
  get outAvals(): ShapedArray[] {
    return this.jaxpr.outAvals
  }
  toString(): string {
    return printJaxpr(this.jaxpr)
  }
}

export const isVar = (a: Atom): a is Var => a._tag === 'Var'
export const isLit = (a: Atom): a is Lit => a._tag === 'Lit'
