/**
 * leibniz/laws: exception and NaN consistency, and the unselected-branch lint.
 *
 * Consistency (as Stan's AD tests demand): in every mode a derivative throws iff the primal
 * throws (a mode a rule declares unsupported — NonDifferentiableError — excepted), and a
 * derivative is non-finite only where the primal is, or where the derivative itself really is
 * unbounded (the differences diverge). A finite derivative that comes out NaN is the `where`
 * trap:
 *
 *   f(x) = where(x > 0, sqrt(x), 0)   at x = 0:   f = 0 and f′ = 0 from the left, but reverse
 *   mode computes ct_sqrt = select(x > 0, ct, 0) = 0, then ct_x = ct_sqrt · 1/(2√x) = 0 · ∞ = NaN.
 *
 * `lintUnselectedBranches` finds the cause: every `select_n` equation whose discarded operand
 * holds a NaN or ±Inf — or whose producing equation has a non-finite derivative — where the
 * selected one is finite, named with the equation that produced the value.
 */
import { jvp, makeJaxpr, np, tree, vjp } from '../src'
import type { Array } from '../src'
import { NonDifferentiableError } from '../src/core/errors'
import { bind } from '../src/core/tracer'
import type { Tracer } from '../src/core/tracer'
import { isFloat } from '../src/ir/dtypes'
import type { Atom, Eqn, Var } from '../src/ir/jaxpr'
import { litValue } from '../src/interpret/eval'
import { centralDifference } from './differences'
import { asArray, axpy, randomLike, type Rng } from './treeMath'

type F = (...args: any[]) => unknown

const nonFinite = (t: unknown): number[] => {
  const out: number[] = []
  let base = 0
  for (const l of tree.leaves(t)) {
    const a = asArray(l)
    const xs = a.toTypedArray()
    for (let k = 0; k < xs.length; k++) if (!Number.isFinite(Number(xs[k]))) out.push(base + k)
    base += xs.length
  }
  return out
}

const attempt = <T>(g: () => T): { ok: true; value: T } | { ok: false; error: Error } => {
  try {
    return { ok: true, value: g() }
  } catch (e) {
    return { ok: false, error: e as Error }
  }
}

/** The unit direction along flat element `i` of the arguments' float leaves. */
const unitDirection = (args: unknown[], i: number): unknown[] => {
  let base = 0
  return tree.map((l: unknown) => {
    const a = asArray(l)
    const data = new Float64Array(a.size)
    if (isFloat(a.dtype) && i >= base && i < base + a.size) data[i - base] = 1
    base += a.size
    return np.array(globalThis.Array.from(data), { dtype: a.dtype }).reshape(a.shape as number[])
  }, args) as unknown[]
}

const flatOf = (t: unknown): number[] => tree.leaves(t).flatMap((l) => globalThis.Array.from(asArray(l).toTypedArray() as ArrayLike<number>, Number))

/**
 * Is f's derivative along d finite at x? Central differences converge (small error estimate)
 * and agree with a one-sided difference (f(x + hd) − f(x))/h — central differences alone
 * are blind to a symmetric kink such as √|x| at 0, where the one-sided one diverges.
 */
const derivativeIsFinite = (f: F, args: unknown[], d: unknown[], eps: number): boolean => {
  const fd = centralDifference(f, args, d, eps)
  const c = flatOf(fd.value)
  if (!c.every(Number.isFinite) || !Number.isFinite(fd.error) || fd.error > 1e-3 * (1 + Math.max(...c.map(Math.abs)))) return false
  const base = flatOf(f(...args))
  const plus = flatOf(f(...(axpy(fd.step, d, args) as unknown[])))
  return c.every((ci, k) => Math.abs((plus[k] - base[k]) / fd.step - ci) <= 1e-2 * (1 + Math.abs(ci)))
}

/**
 * Throws iff the primal throws, non-finite only where it must be (module comment), for jvp
 * and vjp. Null when consistent, else what is inconsistent.
 */
export const exceptionsAndNaNsConsistent = (f: F, args: unknown[], tol: { eps: number }, rng: Rng): string | null => {
  const primal = attempt(() => f(...args))
  const v = randomLike(args, rng) as unknown[]
  const modes = {
    jvp: () => jvp(f, args, v)[1],
    vjp: () => {
      const [out, pb] = vjp(f, args)
      return pb(tree.map((o: unknown) => np.onesLike(asArray(o)), out))
    },
  }
  for (const [mode, run] of Object.entries(modes)) {
    const r = attempt(run)
    if (!r.ok && r.error instanceof NonDifferentiableError) continue
    if (primal.ok !== r.ok) {
      return primal.ok
        ? `f(x) evaluates but ${mode} throws ${r.ok ? '' : `${r.error.name}: ${r.error.message}`}`
        : `f(x) throws ${primal.error.name} but ${mode} returns a value`
    }
    if (!r.ok || !primal.ok) continue
    if (nonFinite(primal.value).length > 0) continue
    const bad = nonFinite(r.value)
    if (bad.length === 0) continue
    if (mode === 'jvp') {
      if (derivativeIsFinite(f, args, v, tol.eps)) {
        const fd = centralDifference(f, args, v, tol.eps)
        return `jvp is non-finite at output element ${bad[0]} where f is finite and its directional derivative is finite (differences give ${flatOf(fd.value)[bad[0]]}, error estimate ${fd.error.toExponential(1)})`
      }
    } else {
      // Gradient element i non-finite: is f's derivative along e_i finite? (first 8 such elements)
      const total = (xs: unknown[]) => tree.leaves(f(...xs)).reduce((s: number, l) => s + Number(np.sum(asArray(l)).item()), 0)
      for (const i of bad.slice(0, 8)) {
        const g = (...xs: unknown[]) => np.array(total(xs))
        const e = unitDirection(args, i)
        if (derivativeIsFinite(g, args, e, tol.eps)) {
          const fd = centralDifference(g, args, e, tol.eps)
          const d = flatOf(fd.value)[0]
          return `vjp gives a non-finite derivative at input element ${i} where f is finite and its derivative is ${d} (by differences, error estimate ${fd.error.toExponential(1)}) — a NaN or Inf from a discarded branch (see lintUnselectedBranches)`
        }
      }
    }
  }
  return null
}

/** One finding of the lint: the select equation, the equation that produced the discarded value, where. */
export interface UnselectedBranchFinding {
  /** Index of the `select_n` equation (in the top-level jaxpr). */
  readonly select: number
  /** Index and primitive of the equation that produced the discarded operand. */
  readonly producer: number
  readonly producerPrim: string
  /** Flat element and what is there: 'NaN', 'Inf', or 'non-finite derivative'. */
  readonly element: number
  readonly what: string
  readonly message: string
}

const flatValues = (x: Tracer): number[] => globalThis.Array.from(asArray(x).toTypedArray() as ArrayLike<number>, Number)

/**
 * The `where` trap: every `select_n` whose discarded operand is NaN/Inf, or whose operand's
 * producing equation has a non-finite derivative, at an element where the result is finite.
 */
export const lintUnselectedBranches = (f: F, args: readonly unknown[]): UnselectedBranchFinding[] => {
  const closed = makeJaxpr(f as (...xs: unknown[]) => unknown)(...(args as []))
  const jaxpr = closed.jaxpr
  const env = new Map<Var, Tracer>()
  const producer = new Map<Var, number>()
  const read = (a: Atom): Tracer => (a._tag === 'Lit' ? litValue(a) : (env.get(a) as Tracer))
  jaxpr.constVars.forEach((v, i) => env.set(v, closed.consts[i]))
  tree.leaves([...args]).forEach((l, i) => env.set(jaxpr.inVars[i], asArray(l) as unknown as Tracer))
  const findings: UnselectedBranchFinding[] = []
  jaxpr.eqns.forEach((eqn: Eqn, index) => {
    const ins = eqn.inputs.map(read)
    const outs = bind(eqn.prim, ins, eqn.params)
    eqn.outVars.forEach((v, k) => {
      env.set(v, outs[k])
      producer.set(v, index)
    })
    if (eqn.prim !== 'select_n' || !isFloat(outs[0].dtype)) return
    const which = flatValues(np.broadcastTo(ins[0], outs[0].shape as number[]))
    const result = flatValues(outs[0])
    eqn.inputs.slice(1).forEach((atom, c) => {
      if (atom._tag !== 'Var' || !producer.has(atom)) return
      const p = producer.get(atom) as number
      const pe = jaxpr.eqns[p]
      const val = flatValues(np.broadcastTo(ins[c + 1], outs[0].shape as number[]))
      // The producer's local derivative (elementwise producers: tangent of ones on float inputs).
      let deriv: number[] | null = null
      const pins = pe.inputs.map(read)
      if (pins.every((x) => x.shape.join() === outs[0].shape.join() || x.ndim === 0)) {
        const r = attempt(() => {
          const fi = pins.map((x, i) => (isFloat(x.dtype) ? i : -1)).filter((i) => i >= 0)
          const g = (...xs: Tracer[]) => {
            const all = [...pins]
            fi.forEach((i, k) => (all[i] = xs[k]))
            return bind(pe.prim, all, pe.params)[0]
          }
          return flatValues(np.broadcastTo(jvp(g, fi.map((i) => pins[i]), fi.map((i) => np.onesLike(pins[i])))[1] as Array, outs[0].shape as number[]))
        })
        if (r.ok) deriv = r.value
      }
      for (let e = 0; e < val.length; e++) {
        if (which[e] === c || !Number.isFinite(result[e])) continue
        const what = Number.isNaN(val[e]) ? 'NaN' : !Number.isFinite(val[e]) ? 'Inf' : deriv !== null && !Number.isFinite(deriv[e]) ? 'non-finite derivative' : null
        if (what === null) continue
        findings.push({
          select: index, producer: p, producerPrim: pe.prim, element: e, what,
          message: `eqn ${index} (select_n, a where) discards operand ${c + 1} at element ${e}, where eqn ${p} (${pe.prim}) computed ${what === 'non-finite derivative' ? `a value with a non-finite derivative (${deriv![e]})` : what}; reverse mode multiplies its zero cotangent by that derivative and gets NaN. Make the discarded input safe first (where(c, x, safe) before ${pe.prim}), then select.`,
        })
        break
      }
    })
  })
  return findings
}
