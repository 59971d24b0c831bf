/**
 * Backend, JS code generator: a program of float64 scalars as straight-line code, one
 * statement per equation — what the planning mode of small programs (scalarmode.ts) ends up
 * generating for such a program, without planning it: no steps, no kernel IR, no unrolling of
 * loop domains that are all points. Taylor-mode programs (`derivatives`, `jet` under `jit`)
 * are this: a few hundred multiplications and additions of 0-d coefficients, stacked at the
 * end.
 *
 * Qualifies: every value float64; every equation elementwise on 0-d values (a lowering with
 * a template for each op), or a `reshape`, or a `concatenate` along axis 0 (which, row-major,
 * concatenates the operands' element lists); anything else returns null and the caller plans
 * the program. The values equal the planned code's bit for bit: each op is the same template
 * (ops.ts) evaluated in double, and a float64 store converts nothing.
 */
import type { TypedArray } from '../../ir/dtypes'
import { sizeOf } from '../../ir/aval'
import type { Atom, Eqn, Jaxpr, Var } from '../../ir/jaxpr'
import { rulesOf } from '../../core/rules'
import { compileDriver } from '../compile'
import { CodegenError, constant, int } from '../emit'
import { type ProgStep, Program, type ProgramSpec, type SlotSpec } from '../program'
import { type ScalarExpr, arg } from '../scalar'
import { HELPERS, type Helper, TEMPLATED, emitOp } from './ops'

/** Why a program has no straight-line form (the caller plans it instead). */
class NotStraight extends Error {}

const F64 = 'float64'

/** The float64 templates of the four arithmetic primitives (ops.ts: `(x + y)`, …), written
 *  directly: they are most of a Taylor-mode program, and a program's first compilation runs
 *  this code cold, where each call of the general lowering costs. */
const ARITH: ReadonlyMap<string, string> = new Map([['add', '+'], ['sub', '-'], ['mul', '*'], ['div', '/']])

/** Source of the function `(ins, outs) => void` computing `j`, or null. */
export const straightSource = (j: Jaxpr): string | null => {
  if (j.constVars.length > 0) return null
  const lines: string[] = []
  const helpers = new Set<Helper>()
  let n = 0
  const fresh = (): string => `z${int(n++)}`
  // the elements of each value: locals or literals (source atoms)
  const elems = new Map<Var, readonly string[]>()
  const atomsOf = (a: Atom): readonly string[] => {
    if (a.aval.dtype !== F64) throw new NotStraight()
    if (a._tag === 'Lit') return [constant(a.value, F64)]
    const es = elems.get(a)
    if (es === undefined) throw new NotStraight()
    return es
  }
  j.inVars.forEach((v, q) => {
    if (v.aval.dtype !== F64) throw new NotStraight()
    elems.set(v, Array.from({ length: sizeOf(v.aval.shape) }, (_, e) => {
      const t = fresh()
      lines.push(`const ${t} = ins[${int(q)}][${int(e)}];`)
      return t
    }))
  })
  const elementwise = (e: Eqn, out: Var): string => {
    const infix = ARITH.get(e.prim)
    if (infix !== undefined && e.inputs.length === 2 && e.inputs[0].aval.shape.length === 0 && e.inputs[1].aval.shape.length === 0) {
      const t = fresh()
      lines.push(`const ${t} = ${atomsOf(e.inputs[0])[0]} ${infix} ${atomsOf(e.inputs[1])[0]};`)
      return t
    }
    const lower = rulesOf(e.prim).lower
    if (lower === undefined || e.inputs.some((a) => a.aval.shape.length > 0)) throw new NotStraight()
    const xs = e.inputs.map((a) => atomsOf(a)[0])
    const expr = lower(e.inputs.map((_, i) => arg(i)), e.params as never, { ins: e.inputs.map((a) => a.aval), out: out.aval })
    // an op's operands are atoms (a template may repeat them): each op node gets a local
    const atom = (x: ScalarExpr): string => {
      switch (x._tag) {
        case 'arg':
          if (!Number.isInteger(x.index) || x.index < 0 || x.index >= xs.length) throw new CodegenError(`internal: lowering of ${e.prim} refers to operand ${x.index}`)
          return xs[x.index]
        case 'lit':
          if (x.dtype !== F64) throw new NotStraight()
          return constant(x.value, F64)
        case 'coord':
          throw new NotStraight()
        case 'op': {
          if (x.dtype !== F64 || !TEMPLATED.has(x.op)) throw new NotStraight()
          const args = x.args.map(atom)
          const t = fresh()
          const em = emitOp(x.op, F64, args, x.args.map(() => F64), x.attr, t, true)
          em.helpers.forEach((h) => helpers.add(h))
          lines.push(...em.pre, `const ${t} = ${em.expr};`)
          return t
        }
      }
    }
    return atom(expr)
  }
  // (indexed loops here: this runs cold, where a for-of allocates an iterator result per
  // equation and a spread one per element)
  for (let i = 0; i < j.eqns.length; i++) {
    const e = j.eqns[i]
    if (e.outVars.length !== 1) throw new NotStraight()
    const out = e.outVars[0]
    if (out.aval.dtype !== F64) throw new NotStraight()
    if (e.prim === 'reshape') elems.set(out, atomsOf(e.inputs[0]))
    else if (e.prim === 'concatenate' && (e.params as { dimension: number }).dimension === 0) elems.set(out, e.inputs.flatMap(atomsOf))
    else if (out.aval.shape.length === 0) elems.set(out, [elementwise(e, out)])
    else throw new NotStraight()
  }
  const stores: string[] = []
  for (let q = 0; q < j.outs.length; q++) {
    const es = atomsOf(j.outs[q])
    if (es.length !== sizeOf(j.outs[q].aval.shape)) throw new CodegenError('internal: straight-line output size')
    stores.push(`const o${int(q)} = outs[${int(q)}];`)
    for (let e = 0; e < es.length; e++) stores.push(`o${int(q)}[${int(e)}] = ${es[e]};`)
  }
  return ['"use strict";', ...[...helpers].map((h) => HELPERS[h]), 'return (function (ins, outs) {'].concat(lines, stores, '});').join('\n')
}

/** Whether `j` may qualify: float64 values, 0-d apart from reshapes and concatenates (a
 *  quick no for other programs, before the generator, a large function, is even compiled). */
const mayBeStraight = (j: Jaxpr): boolean => {
  for (let q = 0; q < j.inVars.length; q++) if (j.inVars[q].aval.dtype !== F64) return false
  for (let i = 0; i < j.eqns.length; i++) {
    const e = j.eqns[i]
    if (e.outVars.length !== 1) return false
    const a = e.outVars[0].aval
    if (a.dtype !== F64 || (a.shape.length > 0 && e.prim !== 'reshape' && e.prim !== 'concatenate')) return false
  }
  return true
}

/** `j` compiled as straight-line code, or null when it does not qualify (see the module
 *  comment). Its spec is one step, the function (what a description lists and a run of the
 *  steps would call); runs call the function directly. */
export const straightProgram = (j: Jaxpr): Program | null => {
  if (!mayBeStraight(j)) return null
  let src: string | null
  try {
    src = straightSource(j)
  } catch (e) {
    if (e instanceof NotStraight) return null
    throw e
  }
  if (src === null) return null
  const fn = compileDriver<(ins: readonly TypedArray[], outs: readonly TypedArray[]) => void>(src)([])
  return new Program(oneStepSpec(j, fn, `straight-line code of ${j.eqns.length} equations`, src), fn)
}

/** The spec of a program compiled as one function `fn` (what a description lists and a run
 *  of the steps would call): one step, reading the inputs, writing the outputs; `source`: the
 *  function's generated source. */
export const oneStepSpec = (j: Jaxpr, fn: (ins: readonly TypedArray[], outs: readonly TypedArray[]) => void, label: string, source: string): ProgramSpec => {
  const slots: SlotSpec[] = [
    ...j.inVars.map((v): SlotSpec => ({ dtype: v.aval.dtype, shape: v.aval.shape, kind: 'input' })),
    ...j.outs.map((a): SlotSpec => ({ dtype: a.aval.dtype, shape: a.aval.shape, kind: 'output' })),
  ]
  const ins = j.inVars.map((_, q) => q)
  const outs = j.outs.map((_, q) => ins.length + q)
  const step: ProgStep = { kind: 'fn', fn: (b) => fn(ins.map((q) => b[q]), outs.map((q) => b[q])), ins, outs, label, subs: [], source }
  return { slots, inputs: ins, outs: outs.map((slot) => ({ kind: 'slot', slot })), steps: [step] }
}
