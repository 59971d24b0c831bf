/**
 * Passes: inlining of `jit` calls. A `jit` equation is replaced by its body's equations (with
 * fresh variables, since one body may be inlined several times) when the body is small, or
 * always when the call sits inside another jaxpr's body (a jit inside a jit compiles as one).
 * The bodies of every higher-order primitive are processed too, but checkpoint and custom_*
 * calls are never inlined: their bodies carry meaning (rematerialization, user rules).
 */
import { type Atom, type Eqn, type Jaxpr, Var, makeEqn } from '../ir/jaxpr'
import { type Rewrite, recursivePass, rewriteJaxpr } from './util'

export interface InlineOptions {
  /** Inline every jit call, also at the top level (the jaxpr is itself a jit body). */
  readonly all?: boolean
  /** A top-level jit call is inlined when its body has at most this many equations. */
  readonly maxEqns?: number
}

export const SMALL_JIT_EQNS = 8

/** The equations of `body` applied to `inputs`, with fresh variables, and its output atoms. */
export const inlineBody = (body: Jaxpr, inputs: readonly Atom[]): { eqns: Eqn[]; outs: Atom[] } => {
  if (body.constVars.length > 0 || body.inVars.length !== inputs.length) {
    throw new Error(`internal: inlining a body with ${body.constVars.length} constVars and ${body.inVars.length} inputs for ${inputs.length} operands`)
  }
  const env = new Map<Var, Atom>()
  body.inVars.forEach((v, i) => env.set(v, inputs[i]))
  const read = (a: Atom): Atom => (a._tag === 'Var' ? (env.get(a) as Atom) : a)
  const eqns = body.eqns.map((e) => {
    const outVars = e.outVars.map((v) => {
      const w = new Var(v.aval)
      env.set(v, w)
      return w
    })
    // Sub-jaxprs in params are closed (constants are passed as inputs): no renaming inside.
    return makeEqn(e.prim, e.inputs.map(read), e.params, outVars)
  })
  return { eqns, outs: body.outs.map(read) }
}

/** The rule of one walk: a jit call (small, or any below the top level) becomes its body. */
export const inlineRule = (top: boolean, opts: InlineOptions) => (e: Eqn): Rewrite => {
  if (e.prim !== 'jit') return null
  const body = (e as Eqn<'jit'>).params.jaxpr
  if (top && !opts.all && body.eqns.length > (opts.maxEqns ?? SMALL_JIT_EQNS)) return null
  // params.numConsts leading inputs are the body's leading inputs: ordinary operands here.
  return inlineBody(body, e.inputs)
}

const inlinePass = recursivePass<InlineOptions>((j, sub, top, opts) => rewriteJaxpr(j, inlineRule(top, opts), sub, 'inlineJit'))

export const inlineJit = (jaxpr: Jaxpr, opts: InlineOptions = {}): Jaxpr => inlinePass(jaxpr, opts)
