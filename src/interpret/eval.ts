/**
 * Interpreters: evaluate a jaxpr by binding each equation in turn. Under an outer
 * transformation the binds go to that transformation's trace, so this one interpreter also
 * re-traces, differentiates and batches a jaxpr's body.
 */
import { scalar } from '../core/array'
import { type Tracer, bindTracers } from '../core/tracer'
import type { Atom, Jaxpr, Lit, Var } from '../ir/jaxpr'

const litCache = new WeakMap<Lit, Tracer>()

/** The 0-d array a literal stands for. */
export const litValue = (l: Lit): Tracer => {
  let v = litCache.get(l)
  if (v === undefined) {
    v = scalar(l.value, l.aval.dtype, l.aval.weakType)
    litCache.set(l, v)
  }
  return v
}

export const evalJaxpr = (jaxpr: Jaxpr, consts: readonly Tracer[], args: readonly Tracer[]): Tracer[] => {
  if (consts.length !== jaxpr.constVars.length || args.length !== jaxpr.inVars.length) {
    throw new Error(`internal: evalJaxpr got ${consts.length} consts and ${args.length} args for a jaxpr of ${jaxpr.constVars.length} and ${jaxpr.inVars.length}`)
  }
  const env = new Map<Var, Tracer>()
  const read = (a: Atom): Tracer => (a._tag === 'Lit' ? litValue(a) : (env.get(a) as Tracer))
  for (let i = 0; i < consts.length; i++) env.set(jaxpr.constVars[i], consts[i])
  for (let i = 0; i < args.length; i++) env.set(jaxpr.inVars[i], args[i])
  // (every re-trace — jvp, vmap, staging of a loop body — runs this loop: no per-equation closures)
  const eqns = jaxpr.eqns
  for (let k = 0; k < eqns.length; k++) {
    const eqn = eqns[k]
    const { inputs, outVars } = eqn
    const ins = new Array<Tracer>(inputs.length)
    for (let i = 0; i < inputs.length; i++) ins[i] = read(inputs[i])
    const outs = bindTracers(eqn.prim, ins, eqn.params)
    for (let i = 0; i < outVars.length; i++) env.set(outVars[i], outs[i])
  }
  return jaxpr.outs.map(read)
}
