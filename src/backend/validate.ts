/**
 * Backend: checks a jaxpr must pass before anything is generated from it, and the flattening
 * of call-like equations.
 *
 * Jaxprs can be built by hand (or arrive from outside), so the backend trusts nothing it
 * reads: every aval must have a dtype of the closed set and a shape of safe non-negative
 * integers of bounded size; every literal must be a JS number; and every equation must be
 * exactly what its primitive's abstract evaluation says for its inputs and params — which
 * re-validates every param (integers where integers belong, axes in range, dtype names);
 * an equation staged by this library (frozen, its output avals computed by that same abstract
 * evaluation when it was recorded) is not evaluated again.
 * Nothing else from a jaxpr is ever used by the code generators; names (function names,
 * `name` params) are never read.
 */
import { rulesOf } from '../core/rules'
import { ValueError } from '../core/errors'
import type { ShapedArray } from '../ir/aval'
import { isDType } from '../ir/dtypes'
import { type Atom, type Eqn, Jaxpr, Lit, type Var } from '../ir/jaxpr'
import { isStagedEqn } from '../interpret/stage'
import { inlineBody } from '../passes/inline'
import { renamed } from '../passes/util'

/** Largest buffer the backend allocates (elements). */
export const MAX_ELEMENTS = 2 ** 31 - 1

// Every equation of every first call is validated and almost all are valid, so the checks
// return what is wrong (null when nothing is) and an equation's location is only written out
// when an error is thrown: building it, or a closure that builds it, per equation cost more
// than the checks themselves. (Cold code: loops are indexed, since a for-of allocates an
// iterator result per element before V8 optimizes it.)

/** What is wrong with an aval, or null. */
const avalProblem = (a: ShapedArray): string | null => {
  if (a === null || typeof a !== 'object') return 'missing aval'
  if (!isDType(a.dtype)) return `unknown dtype ${typeof a.dtype === 'string' ? JSON.stringify(String(a.dtype).slice(0, 40)) : typeof a.dtype}`
  const shape = a.shape
  if (!Array.isArray(shape)) return 'shape is not an array'
  let n = 1
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return `shape entries must be non-negative integers, got ${typeof d === 'number' ? d : typeof d}`
    n *= d
  }
  if (n > MAX_ELEMENTS) return `shape [${shape.join(', ')}] has more than 2^31 − 1 elements`
  return null
}

/** What is wrong with an operand (a literal must be a 0-d number), or null. */
const atomProblem = (x: Atom): string | null => {
  if (x instanceof Lit) {
    if (typeof x.value !== 'number') return 'literal is not a number'
    if (x.aval.shape.length !== 0) return 'literal must be 0-d'
  }
  return avalProblem(x.aval)
}

const checkAval = (a: ShapedArray, where: string): void => {
  const p = avalProblem(a)
  if (p !== null) throw new ValueError(`${where}: ${p}`)
}

const checkAtom = (x: Atom, where: string): void => {
  const p = atomProblem(x)
  if (p !== null) throw new ValueError(`${where}: ${p}`)
}

const sameAval = (a: ShapedArray, b: ShapedArray): boolean => {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) return false
  for (let i = 0; i < a.shape.length; i++) if (a.shape[i] !== b.shape[i]) return false
  return true
}

/** Where equation `k` is, for an error message. */
const eqnWhere = (e: Eqn, k: number): string => `jit: equation ${k} (${typeof e.prim === 'string' ? e.prim.slice(0, 40) : 'bad primitive'})`

/** Throws a named error (ValueError, ShapeError, …) when `e` is not well formed. */
export const validateEqn = (e: Eqn, k: number): void => {
  const { inputs, outVars } = e
  for (let i = 0; i < inputs.length; i++) {
    const p = atomProblem(inputs[i])
    if (p !== null) throw new ValueError(`${eqnWhere(e, k)}: ${p}`)
  }
  for (let i = 0; i < outVars.length; i++) {
    const p = avalProblem(outVars[i].aval)
    if (p !== null) throw new ValueError(`${eqnWhere(e, k)}: ${p}`)
  }
  // (a staged equation's outputs are its abstract evaluation already: src/interpret/stage.ts)
  if (isStagedEqn(e)) return
  const inAvals = new Array<ShapedArray>(inputs.length)
  for (let i = 0; i < inputs.length; i++) inAvals[i] = inputs[i].aval
  let want: ShapedArray[]
  try {
    want = rulesOf(e.prim).abstractEval(inAvals, e.params as never)
  } catch (err) {
    if (err instanceof Error) err.message = `${eqnWhere(e, k)}: ${err.message}`
    throw err
  }
  if (want.length !== outVars.length) throw mismatch(eqnWhere(e, k))
  for (let i = 0; i < want.length; i++) if (!sameAval(want[i], outVars[i].aval)) throw mismatch(eqnWhere(e, k))
}

const mismatch = (where: string): ValueError => new ValueError(`${where}: its outputs do not match its primitive's abstract evaluation`)

/** The inputs' and outputs' avals (equations are validated as they are flattened). */
const checkSignature = (j: Jaxpr): void => {
  if (!(j instanceof Jaxpr)) throw new ValueError('jit: expected a Jaxpr')
  j.inVars.forEach((v) => checkAval(v.aval, 'jit: input'))
  j.outs.forEach((a) => checkAtom(a, 'jit: output'))
}

/** The body of a call-like equation and the inputs it takes, or null for other equations. */
const callBody = (e: Eqn): { body: Jaxpr; inputs: Atom[] } | null => {
  const p = e.params as Record<string, unknown>
  switch (e.prim) {
    case 'jit':
    case 'checkpoint':
      return { body: p.jaxpr as Jaxpr, inputs: [...e.inputs] }
    case 'custom_jvp_call': {
      const n = p.numConsts as number
      return { body: p.jaxpr as Jaxpr, inputs: [...e.inputs.slice(0, n), ...e.inputs.slice(n + (p.jvpNumConsts as number))] }
    }
    case 'custom_vjp_call': {
      const n = p.numConsts as number
      const skip = (p.fwdNumConsts as number) + (p.bwdNumConsts as number)
      return { body: p.jaxpr as Jaxpr, inputs: [...e.inputs.slice(0, n), ...e.inputs.slice(n + skip)] }
    }
    case 'custom_linear_solve': {
      // evaluating it is running its solve on (solveConsts, b)
      const [a, c, d, t] = p.numConsts as readonly number[]
      return { body: p.solveJaxpr as Jaxpr, inputs: [...e.inputs.slice(a + c, a + c + d), ...e.inputs.slice(a + c + d + t)] }
    }
    case 'custom_root': {
      // evaluating it is running its solve on (solveConsts, x0)
      const n = p.numConsts as readonly number[]
      const total = n.reduce((a, b) => a + b, 0)
      return { body: p.solveJaxpr as Jaxpr, inputs: [...e.inputs.slice(n[0], n[0] + n[1]), ...e.inputs.slice(total)] }
    }
    default:
      return null
  }
}

/**
 * Inline jit, checkpoint, custom_jvp_call, custom_vjp_call, custom_linear_solve and custom_root bodies (recursively): when a
 * jaxpr is only evaluated, they mean "evaluate the body", and inlining lets their equations
 * fuse with their neighbours. Each equation is validated before it is used.
 */
export const flattenCalls = (j: Jaxpr): Jaxpr => {
  checkSignature(j)
  const eqns: Eqn[] = []
  const env = new Map<Var, Atom>()
  const read = (a: Atom): Atom => (a._tag === 'Var' ? (env.get(a) ?? a) : a)
  let inlined = false
  const visit = (e: Eqn, k: number, depth: number): void => {
    validateEqn(e, k)
    const c = callBody(e)
    if (c === null) {
      // (an equation none of whose operands is renamed by an inlined call: the equation itself)
      const inputs = env.size === 0 ? null : renamed(e.inputs, env)
      eqns.push(inputs === null ? e : { ...e, inputs })
      return
    }
    if (depth > 100) throw new ValueError('jit: call bodies nested more than 100 deep')
    inlined = true
    checkSignature(c.body)
    const { eqns: inner, outs } = inlineBody(c.body, c.inputs.map(read))
    // (loops, not callbacks: a parameter a callback captures is allocated on every call)
    for (let i = 0; i < inner.length; i++) visit(inner[i], i, depth + 1)
    for (let i = 0; i < e.outVars.length; i++) env.set(e.outVars[i], read(outs[i]))
  }
  j.eqns.forEach((e, k) => visit(e, k, 0))
  if (!inlined) return j
  return new Jaxpr(j.constVars, j.inVars, eqns, j.outs.map(read))
}
