/**
 * leibniz/laws: localization — which equation of a function has the wrong derivative.
 *
 * A law that fails on a whole function says *that* a derivative is wrong. `localize` says
 * *where*: it traces the function to its jaxpr, evaluates it equation by equation at the
 * failing point (so every equation's inputs are the values it really sees), and checks each
 * equation's own derivative on its own:
 *
 *   fwd   jvp of the equation ≈ Richardson-extrapolated central differences of the equation
 *   rev   ⟨u, J v⟩ = ⟨Jᵀu, v⟩ — the equation's vjp against its jvp (against differences when it
 *         has no forward mode, as a customVjp)
 *
 * up to the order of the failing law (the same checks on the equation's derivative maps). The
 * first equation that fails is reported. A failing `jit` or `checkpoint` call is opened and
 * searched in turn, and so is the first iteration of a failing `scan` body; a failing
 * `custom_jvp_call` / `custom_vjp_call` is the user's own rule and is named as such. When every
 * equation passes on its own, the error lies in how the transformation composes them, and the
 * report says so.
 */
import { makeJaxpr, np, tree } from '../src'
import type { Array } from '../src'
import { NonDifferentiableError } from '../src/core/errors'
import { bind } from '../src/core/tracer'
import type { Tracer } from '../src/core/tracer'
import { avalStr } from '../src/ir/aval'
import { isFloat } from '../src/ir/dtypes'
import type { Atom, Eqn, Jaxpr, Var } from '../src/ir/jaxpr'
import { litValue } from '../src/interpret/eval'
import { type Mode, checkGrads } from './checkGrads'
import { asArray } from './treeMath'

/** The equation `localize` found, with everything needed to act on it. */
export interface LocalizedEquation {
  /** Where it is: `eqn 12`, or `eqn 3 (jit 'block') › eqn 5` inside calls. */
  readonly path: string
  /** The primitive, e.g. `custom_vjp_call`, `sin`. */
  readonly prim: string
  /** The source-level name where there is one: the custom rule's or jit'd function's name. */
  readonly name: string | null
  /** Which derivative failed, and at which order. */
  readonly mode: Mode
  readonly order: number
  /** The equation's input values at the failing point. */
  readonly inputs: readonly Array[]
  /** The local check's message: expected and actual values, error and tolerance. */
  readonly detail: string
  /** One readable paragraph: all of the above. */
  readonly report: string
}

/** Options of `localize`: the failing law's order and modes, and its tolerances. */
export interface LocalizeOptions {
  /** Highest derivative order to check per equation (default 1). */
  readonly order?: number
  /** Modes to check per equation (default both). */
  readonly modes?: readonly Mode[]
  readonly eps?: number
  readonly rtol?: number
  readonly atol?: number
  /** Seed of the random directions (default 0). */
  readonly seed?: number
}

const CALLS = new Set(['jit', 'checkpoint'])
const CUSTOM = new Set(['custom_jvp_call', 'custom_vjp_call'])

/** A value as a short readable string: `f64[3] [0.3, -1.2, 0.5]`, long arrays elided. */
export const showValue = (x: Array): string => {
  const vs = globalThis.Array.from(x.toTypedArray() as ArrayLike<number>, (v) => String(Number(Number(v).toPrecision(6))))
  const body = vs.length > 6 ? `${vs.slice(0, 6).join(', ')}, … (${vs.length} values)` : vs.join(', ')
  return `${avalStr(x.aval)} [${body}]`
}

/** User-given names are quoted with JSON escapes, so no text in a report can be mistaken for another. */
const quote = (s: string): string => JSON.stringify(s)

const nameOf = (eqn: Eqn): string | null => {
  const p = eqn.params as { readonly name?: unknown }
  return typeof p.name === 'string' ? p.name : null
}

const label = (eqn: Eqn, index: number): string => {
  const n = nameOf(eqn)
  return `eqn ${index} (${eqn.prim}${n !== null && (CALLS.has(eqn.prim) || CUSTOM.has(eqn.prim)) ? ` ${quote(n)}` : ''})`
}

/** The equation as a function of its float inputs; other inputs are fixed at their values. */
const localFunction = (eqn: Eqn, ins: readonly Tracer[]) => {
  const floatIdx = ins.map((x, i) => (isFloat(x.dtype) ? i : -1)).filter((i) => i >= 0)
  const fn = (...xs: Tracer[]): Tracer[] => {
    const all = [...ins]
    floatIdx.forEach((i, k) => (all[i] = xs[k]))
    const outs = bind(eqn.prim, all, eqn.params)
    return outs.filter((o) => isFloat(o.dtype))
  }
  return { fn, floatArgs: floatIdx.map((i) => ins[i]) }
}

/** checkGrads on one equation: null when it passes, else the failing mode, order and message. */
const checkEquation = (eqn: Eqn, ins: readonly Tracer[], opts: LocalizeOptions): { mode: Mode; order: number; detail: string } | null => {
  if (!eqn.outVars.some((v) => isFloat(v.aval.dtype))) return null
  const { fn, floatArgs } = localFunction(eqn, ins)
  if (floatArgs.length === 0) return null
  const run = (modes: readonly Mode[]) => checkGrads(fn, floatArgs, { ...opts, order: opts.order ?? 1, modes })
  const modes = opts.modes ?? ['fwd', 'rev']
  try {
    try {
      run(modes)
    } catch (e) {
      // A customVjp has no forward mode: check its reverse mode against differences instead.
      if (e instanceof NonDifferentiableError && modes.includes('rev')) run(['rev'])
      else throw e
    }
    return null
  } catch (e) {
    const err = e as Error & { mode?: Mode; order?: number }
    if (err.name !== 'GradCheckError') return { mode: modes[0], order: 1, detail: `threw ${err.name}: ${err.message}` }
    return { mode: err.mode as Mode, order: err.order as number, detail: err.message.replace(/^checkGrads: \S+ derivative of order \d+ is wrong: /, '') }
  }
}

interface Found {
  readonly trail: string[]
  readonly eqn: Eqn
  readonly ins: readonly Tracer[]
  readonly fail: { mode: Mode; order: number; detail: string }
}

/** The sub-jaxpr to search inside a failing call, with its inputs. */
const inner = (eqn: Eqn, ins: readonly Tracer[]): { jaxpr: Jaxpr; args: Tracer[] } | null => {
  if (CALLS.has(eqn.prim)) return { jaxpr: (eqn.params as { jaxpr: Jaxpr }).jaxpr, args: [...ins] }
  if (eqn.prim === 'scan') {
    // The body at the first iteration: (consts, carry, xs[0]) — or xs[length − 1] when reversed.
    const p = eqn.params as { jaxpr: Jaxpr; numConsts: number; numCarry: number; length: number; reverse: boolean }
    if (p.length === 0) return null
    const k = p.reverse ? p.length - 1 : 0
    const xs = ins.slice(p.numConsts + p.numCarry).map((x) => np.take(x, k, 0))
    return { jaxpr: p.jaxpr, args: [...ins.slice(0, p.numConsts + p.numCarry), ...xs] }
  }
  return null
}

const search = (jaxpr: Jaxpr, consts: readonly Tracer[], args: readonly Tracer[], opts: LocalizeOptions, trail: string[]): Found | null => {
  const env = new Map<Var, Tracer>()
  const read = (a: Atom): Tracer => (a._tag === 'Lit' ? litValue(a) : (env.get(a) as Tracer))
  jaxpr.constVars.forEach((v, i) => env.set(v, consts[i]))
  jaxpr.inVars.forEach((v, i) => env.set(v, args[i]))
  for (let i = 0; i < jaxpr.eqns.length; i++) {
    const eqn = jaxpr.eqns[i]
    const ins = eqn.inputs.map(read)
    const fail = checkEquation(eqn, ins, opts)
    if (fail !== null) {
      const here = [...trail, label(eqn, i)]
      const sub = inner(eqn, ins)
      const deeper = sub === null ? null : search(sub.jaxpr, [], sub.args, opts, eqn.prim === 'scan' ? [...here, 'iteration 0'] : here)
      return deeper ?? { trail: here, eqn, ins, fail }
    }
    const outs = bind(eqn.prim, ins, eqn.params)
    eqn.outVars.forEach((v, k) => env.set(v, outs[k]))
  }
  return null
}

const describe = (f: Found): LocalizedEquation => {
  const name = nameOf(f.eqn)
  const inputs = f.ins.map((x) => asArray(x))
  const who = CUSTOM.has(f.eqn.prim)
    ? `the custom rule ${quote(name ?? 'fn')} (${f.eqn.prim === 'custom_vjp_call' ? 'customVjp' : 'customJvp'})`
    : `the ${f.eqn.prim} rule${name !== null && CALLS.has(f.eqn.prim) ? ` of ${quote(name)}` : ''}`
  const path = f.trail.join(' › ')
  const report = [
    `first equation with a wrong local derivative: ${path} — ${who}`,
    `  ${f.fail.mode}-mode, order ${f.fail.order}: ${f.fail.detail}`,
    ...inputs.map((x, k) => `  input ${k}: ${showValue(x)}`),
  ].join('\n')
  return { path, prim: f.eqn.prim, name, mode: f.fail.mode, order: f.fail.order, inputs, detail: f.fail.detail, report }
}

type F = (...args: any[]) => unknown

/**
 * Trace `f` at `args`, check every equation's local derivative (see the module comment) and
 * return the first one that is wrong, or null when each equation is right on its own.
 */
export const localize = (f: F, args: readonly unknown[], opts: LocalizeOptions = {}): LocalizedEquation | null => {
  const closed = makeJaxpr(f as (...xs: unknown[]) => unknown)(...(args as []))
  const [leaves] = tree.flatten([...args])
  const found = search(closed.jaxpr, closed.consts, leaves.map((l) => asArray(l) as unknown as Tracer), opts, [])
  return found === null ? null : describe(found)
}
