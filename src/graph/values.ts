/**
 * Graph pictures: the values a picture carries. `recordValues` evaluates a jaxpr on concrete
 * arguments and keeps the value of every variable; with `grad`, it also keeps every float
 * variable's adjoint — the derivative of the (scalar) output with respect to that variable.
 *
 * Adjoints come from our own reverse mode. Each float variable v is fed through a
 * perturbation, v + εᵥ, with every ε = 0; the reverse-mode adjoint of v is then exactly
 * ∂out/∂εᵥ, so one `vjp` with respect to all the ε gives all of them at once.
 *
 * Bodies of `jit` and `checkpoint`, and the branch of `cond` that runs, are evaluated inline
 * so that their variables get values too (their derivative is their body's, so nothing
 * changes). The bodies of loops and of custom rules run as their primitive: their variables
 * take many values, or none the user's gradient goes through, so they carry none.
 */
import { scalar } from '../core/array'
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import { type Tracer, bind } from '../core/tracer'
import { avalStr, shapeEq } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import type { PrimName } from '../ir/params'
import type { Atom, ClosedJaxpr, Eqn, Jaxpr, Var } from '../ir/jaxpr'
import { litValue } from '../interpret/eval'
import { add } from '../primitives/binary'
import { concreteZeros } from '../primitives/util'
import { vjp } from '../transforms/autodiff'
import { leafToArray } from '../transforms/flat'
import { flatten } from '../tree/treedef'

/** What one evaluation of one jaxpr (the top level, or an inlined body) left behind. */
export interface Recorded {
  readonly values: Map<Var, Tracer>
  readonly grads: Map<Var, Tracer>
  /** per equation index, per sub-jaxpr key (`jaxpr`, `branches.1`): the inlined body */
  readonly subs: Map<number, Map<string, Recorded>>
  /** per cond equation index: the branch that ran */
  readonly taken: Map<number, number>
}

const emptyRecorded = (): Recorded => ({ values: new Map(), grads: new Map(), subs: new Map(), taken: new Map() })

const child = (rec: Recorded, eqnIndex: number, key: string): Recorded => {
  let m = rec.subs.get(eqnIndex)
  if (m === undefined) rec.subs.set(eqnIndex, (m = new Map()))
  let r = m.get(key)
  if (r === undefined) m.set(key, (r = emptyRecorded()))
  return r
}

type Perturb = (rec: Recorded, v: Var, x: Tracer) => Tracer

/** The variables `j`'s live outputs depend on (backwards from the outputs). */
const liveVars = (j: Jaxpr, liveOuts: readonly boolean[]): Set<Var> => {
  const live = new Set<Var>()
  j.outs.forEach((a, k) => {
    if (a._tag === 'Var' && liveOuts[k]) live.add(a)
  })
  for (let i = j.eqns.length - 1; i >= 0; i--) {
    const e = j.eqns[i]
    if (e.outVars.some((v) => live.has(v))) for (const a of e.inputs) if (a._tag === 'Var') live.add(a)
  }
  return live
}

/**
 * Evaluate `j`. Without `perturb`, record every variable's value in `rec`. With it (the
 * differentiating pass), feed each variable through `perturb`, and skip the equations no
 * live output depends on: their adjoints are zero, and a loop that reverse mode cannot
 * differentiate need not stop the picture when its result is unused. Dead outputs are
 * returned as undefined.
 */
const run = (
  j: Jaxpr,
  consts: readonly Tracer[],
  args: readonly Tracer[],
  rec: Recorded,
  perturb: Perturb | null,
  liveOuts: readonly boolean[] = j.outs.map(() => true),
): (Tracer | undefined)[] => {
  const env = new Map<Var, Tracer>()
  const set = (v: Var, x: Tracer | undefined): void => {
    if (x === undefined) return
    if (perturb === null) rec.values.set(v, x)
    env.set(v, perturb === null ? x : perturb(rec, v, x))
  }
  const read = (a: Atom): Tracer => (a._tag === 'Lit' ? litValue(a) : (env.get(a) as Tracer))
  const live = perturb === null ? null : liveVars(j, liveOuts)
  const isLive = (v: Var): boolean => live === null || live.has(v)
  j.constVars.forEach((v, i) => set(v, consts[i]))
  j.inVars.forEach((v, i) => set(v, args[i]))
  j.eqns.forEach((e, i) => {
    if (!e.outVars.some(isLive)) return
    const ins = e.inputs.map(read)
    let outs: (Tracer | undefined)[]
    if (e.prim === 'jit' || e.prim === 'checkpoint') {
      outs = run((e as Eqn<'jit'>).params.jaxpr, [], ins, child(rec, i, 'jaxpr'), perturb, e.outVars.map(isLive))
    } else if (e.prim === 'cond') {
      const branches = (e as Eqn<'cond'>).params.branches
      const b = takenBranch(rec, i, ins[0], branches.length)
      outs = run(branches[b], [], ins.slice(1), child(rec, i, `branches.${b}`), perturb, e.outVars.map(isLive))
    } else {
      outs = bind(e.prim as PrimName, ins, e.params)
    }
    e.outVars.forEach((v, k) => set(v, outs[k]))
  })
  return j.outs.map((a, k) => (liveOuts[k] ? read(a) : undefined))
}

/** The branch a cond runs (its index clamped, as the primitive does), read off the
 *  concrete index on the recording pass and remembered for the differentiating pass. */
const takenBranch = (rec: Recorded, eqnIndex: number, index: Tracer, n: number): number => {
  let b = rec.taken.get(eqnIndex)
  if (b === undefined) rec.taken.set(eqnIndex, (b = Math.min(Math.max(Number(index.toTypedArray()[0]), 0), n - 1)))
  return b
}

/** The arguments as arrays of the jaxpr's input types (a JS number takes its input's dtype). */
const toArgs = (j: Jaxpr, args: readonly unknown[], what: string): Tracer[] => {
  const [leaves] = flatten([...args])
  if (leaves.length !== j.inVars.length) {
    throw new ValueError(
      `${what}: got ${leaves.length} argument array(s) for a jaxpr with ${j.inVars.length} input(s) ` +
        `(${j.inVars.map((v) => avalStr(v.aval)).join(', ')}); pass the arguments given to makeJaxpr`,
    )
  }
  return leaves.map((leaf, i) => {
    const want = j.inVars[i].aval
    const x = typeof leaf === 'number' && want.shape.length === 0 ? scalar(leaf, want.dtype, want.weakType) : leafToArray(leaf, what)
    if (!shapeEq(x.shape, want.shape)) {
      throw new ShapeError(`${what}: argument ${i} is ${avalStr(x.aval)} but the jaxpr's input ${i} is ${avalStr(want)}; pass an array of that shape`)
    }
    if (x.dtype !== want.dtype) {
      throw new DTypeError(`${what}: argument ${i} is ${avalStr(x.aval)} but the jaxpr's input ${i} is ${avalStr(want)}; convert it with .astype('${want.dtype}')`)
    }
    return x
  })
}

export interface ValuesSpec {
  /** The arguments (as given to makeJaxpr, or one array per jaxpr input). */
  readonly args: readonly unknown[]
  /** Values of the constants, for a bare Jaxpr with constVars (a ClosedJaxpr carries its own). */
  readonly consts?: readonly unknown[]
  /** Also show the gradient of the (scalar) output with respect to every float variable. */
  readonly grad?: boolean
}

/** Evaluate `j` on `spec.args`, recording values (and, with `spec.grad`, adjoints). */
export const recordValues = (j: Jaxpr, closedConsts: readonly unknown[] | null, spec: ValuesSpec, what: string): Recorded => {
  const args = toArgs(j, spec.args, what)
  const rawConsts = spec.consts ?? closedConsts ?? []
  if (rawConsts.length !== j.constVars.length) {
    throw new ValueError(`${what}: the jaxpr has ${j.constVars.length} constant(s) but ${rawConsts.length} value(s) were given; pass a ClosedJaxpr or values.consts`)
  }
  const consts = rawConsts.map((c) => leafToArray(c, `${what} constants`))
  const root = emptyRecorded()
  run(j, consts, args, root, null)
  if (spec.grad !== true) return root

  const out = j.outs[0]
  if (j.outs.length !== 1 || out.aval.shape.length !== 0 || !isFloat(out.aval.dtype)) {
    const got = j.outs.map((o) => avalStr(o.aval)).join(', ')
    throw new ShapeError(
      `${what}: values.grad needs a jaxpr with one scalar float output, got (${got}). ` +
        `Reduce the output first (e.g. .sum()), or draw values without grad.`,
    )
  }
  // One ε per recorded float variable, in a fixed order.
  const slots: { rec: Recorded; v: Var }[] = []
  const index = new Map<Recorded, Map<Var, number>>()
  const collect = (rec: Recorded): void => {
    const m = new Map<Var, number>()
    for (const v of rec.values.keys()) {
      if (isFloat(v.aval.dtype)) {
        m.set(v, slots.length)
        slots.push({ rec, v })
      }
    }
    index.set(rec, m)
    for (const subs of rec.subs.values()) subs.forEach(collect)
  }
  collect(root)
  const perturbed = (...eps: Tracer[]): Tracer => {
    const perturb: Perturb = (rec, v, x) => {
      const k = index.get(rec)?.get(v)
      return k === undefined ? x : add(x, eps[k])
    }
    return run(j, consts, args, root, perturb)[0] as Tracer
  }
  const zeros = slots.map(({ v }) => concreteZeros(v.aval))
  const [value, pullback] = vjp(perturbed, zeros)
  const cts = pullback(scalar(1, (value as Tracer).dtype)) as Tracer[]
  slots.forEach(({ rec, v }, k) => rec.grads.set(v, cts[k]))
  return root
}

/** The values of a ClosedJaxpr's constants, or null for a bare Jaxpr. */
export const constsOf = (j: Jaxpr | ClosedJaxpr): readonly unknown[] | null =>
  'consts' in j ? j.consts : null
