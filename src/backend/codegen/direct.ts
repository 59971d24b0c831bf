/**
 * Backend, JS code generator: a small program as one function, generated directly from its
 * equations — the code the one-step-per-equation mode (scalarmode.ts) ends up generating for
 * a program whose values are all small, without planning it into steps and loop kernels
 * first. Every value is a list of element atoms (locals or literals, row-major), and each
 * equation turns its operands' lists into its results':
 *
 *   elementwise   its lowering evaluated per element, op by op, through the scalar code's
 *                 templates, folding and reuse of expressions (scalarize.ts `opNode`)
 *   structural    an index map (indexmap.ts): the operand's atoms in a new order, no
 *                 statement
 *   concatenate   the operands' lists interleaved along the axis
 *   pad           the operand's atoms or the padding value's (no interior padding)
 *   reductions,   the mode's kernel of the equation unrolled (same initial values, same
 *   small dots    order of folding)
 *   while, scan,  loops and branches of the code with their bodies generated inline, as the
 *   cond          scalar code emits them (scalarize.ts `while`, `scan`, `cond`)
 *
 * Every result element is converted to its dtype as a typed-array store would (scalarize.ts
 * `convert`), so the values are those of the planned code and the reference interpreter, bit
 * for bit. Anything else (an opaque equation, a large contraction, a jaxpr with
 * constants, code over the statement budget) raises NoFit: the caller plans the program.
 */
import { sizeOf, stridesOf } from '../../ir/aval'
import { castScalar, type DType } from '../../ir/dtypes'
import type { Atom, Eqn, Jaxpr, Var } from '../../ir/jaxpr'
import type { ParamsMap } from '../../ir/params'
import { dotfKernel, reduceKernel, type EachKernel } from '../eachkernels'
import { identityMap, operandMap, toFlat } from '../indexmap'
import { CodegenError, constant, int } from '../emit'
import { classify } from '../plan'
import { type ScalarExpr, isScalarOp } from '../scalar'
import { scanMeta, whileMeta } from '../steps'
import { LIMITS } from './scalarloop'
import { type Elems, NoFit, Scalarizer, type SubCode } from './scalarize'

/** What evaluating one elementwise equation's lowering at an element reads. */
interface Ew {
  readonly e: Eqn
  /** the operands' atoms (a 0-d operand's one atom serves every element) */
  readonly xs: readonly (readonly string[])[]
  readonly dts: readonly DType[]
  /** the result's shape and strides (for coordinates) */
  readonly shape: readonly number[]
  readonly st: readonly number[]
}

export class DirectGen extends Scalarizer {
  /** the lowering of each elementwise equation (filled by the planner's `classify`) */
  private readonly lowered = new Map<Eqn, ScalarExpr>()
  /** sub-jaxprs prepared (validated, calls inlined) as the planned code prepares them */
  private readonly prepared = new Map<Jaxpr, Jaxpr>()
  /** `prepare`: what the backend does to a jaxpr before planning it (index.ts). */
  constructor(private readonly prepare: (j: Jaxpr) => Jaxpr) {
    super(LIMITS.statements, 'warm')
  }

  /** The code of `j` (prepared) on the elements of its inputs: the elements of its outputs. */
  jaxpr(j: Jaxpr, ins: readonly (readonly string[])[]): string[][] {
    if (j.constVars.length > 0) throw new NoFit('a jaxpr with constants')
    if (ins.length !== j.inVars.length) throw new CodegenError('internal: direct code inputs')
    const env = new Map<Var, readonly string[]>()
    for (let q = 0; q < ins.length; q++) {
      if (ins[q].length !== sizeOf(j.inVars[q].aval.shape)) throw new CodegenError('internal: direct code input size')
      env.set(j.inVars[q], ins[q])
    }
    // (indexed loops: cold code, see scalarize.ts)
    for (let i = 0; i < j.eqns.length; i++) this.eqn(j.eqns[i], env)
    const outs = new Array<string[]>(j.outs.length)
    for (let q = 0; q < j.outs.length; q++) {
      const a = j.outs[q]
      outs[q] = a._tag === 'Lit' ? new Array<string>(sizeOf(a.aval.shape)).fill(constant(castScalar(a.value, a.aval.dtype), a.aval.dtype)) : elemsOf(env, a).slice()
    }
    return outs
  }

  /** Equation `e`'s results' elements, into `env`. */
  private eqn(e: Eqn, env: Map<Var, readonly string[]>): void {
    for (let q = 0; q < e.outVars.length; q++) {
      // (each element is at least a local: the statement budget bounds them all)
      if (sizeOf(e.outVars[q].aval.shape) > LIMITS.statements) throw new NoFit('a value too large')
    }
    const c = classify(e, this.lowered)
    switch (c) {
      case 'ew': return void env.set(e.outVars[0], this.elementwise(e, this.lowered.get(e) as ScalarExpr, env))
      case 'struct': return void env.set(e.outVars[0], this.structural(e, env))
      case 'reduce': return this.kernel(reduceKernel(e), e, env)
      case 'dotf': return this.kernel(dotfKernel(e), e, env)
      case 'pick': return void env.set(e.outVars[0], e.prim === 'concatenate' ? this.concatenate(e, env) : this.pad(e, env))
      case 'ctrl': {
        const res = this.control(e, env)
        for (let q = 0; q < e.outVars.length; q++) env.set(e.outVars[q], res[q])
        return
      }
      default: throw new NoFit('an equation without a scalar form')
    }
  }

  /** An elementwise equation: its lowering at each element, stored. */
  private elementwise(e: Eqn, expr: ScalarExpr, env: Map<Var, readonly string[]>): string[] {
    const out = e.outVars[0].aval
    const n = sizeOf(out.shape)
    const xs = new Array<readonly string[]>(e.inputs.length)
    const dts = new Array<DType>(e.inputs.length)
    for (let k = 0; k < e.inputs.length; k++) {
      xs[k] = elemsOf(env, e.inputs[k])
      dts[k] = e.inputs[k].aval.dtype
      // (a flattened program's elementwise operands have the result's shape, or are 0-d)
      if (xs[k].length !== n && xs[k].length !== 1) throw new NoFit('an elementwise operand of another shape')
    }
    const cx: Ew = { e, xs, dts, shape: out.shape, st: stridesOf(out.shape) }
    const res = new Array<string>(n)
    for (let i = 0; i < n; i++) res[i] = this.convert(this.at(expr, cx, i), out.dtype)
    return res
  }

  /** The atom of lowering node `x` at element `i` of the result. (A recursion over the
   *  lowering per element: a node repeated in it is computed again and its expression found in
   *  scope (`known`). Flattening each lowering once into a list of nodes evaluated in a loop
   *  was measured: W12's first call then spent ~20 ms more of CPU optimizing that loop with
   *  the whole op generation inlined into it.) */
  private at(x: ScalarExpr, cx: Ew, i: number): string {
    switch (x._tag) {
      case 'arg': {
        const xs = cx.xs[x.index]
        if (xs === undefined || !Number.isInteger(x.index)) throw new CodegenError(`internal: lowering of ${cx.e.prim} refers to operand ${x.index}`)
        return xs.length === 1 ? xs[0] : xs[i]
      }
      case 'lit': return constant(x.value, x.dtype)
      case 'coord': {
        if (!Number.isInteger(x.dim) || x.dim < 0 || x.dim >= cx.shape.length) throw new CodegenError(`internal: lowering of ${cx.e.prim} refers to coordinate ${x.dim}`)
        return int(Math.floor(i / cx.st[x.dim]) % cx.shape[x.dim])
      }
      case 'op': {
        if (!isScalarOp(x.op)) throw new CodegenError('lowering: unknown scalar op')
        if (!Number.isSafeInteger(x.attr)) throw new CodegenError('lowering: op attribute must be an integer')
        const args = new Array<string>(x.args.length)
        const dts = new Array<DType>(x.args.length)
        for (let a = 0; a < x.args.length; a++) {
          const y = x.args[a]
          args[a] = this.at(y, cx, i)
          dts[a] = y._tag === 'arg' ? cx.dts[y.index] : y.dtype
        }
        return this.opNode(x.op, x.dtype, x.attr, args, dts, true)
      }
    }
  }

  /** A structural equation: its operand's atoms at the operand's index map of the result
   *  (indexmap.ts), no statement — the elements the mode's kernel of one load would store
   *  (eachkernels.ts `structKernel`, clamped into the operand as it is). */
  private structural(e: Eqn, env: Map<Var, readonly string[]>): string[] {
    const u = e.inputs[0]
    const out = e.outVars[0].aval
    const ext = out.shape
    const r = ext.length
    const n = sizeOf(ext)
    const res = new Array<string>(n)
    if (u._tag === 'Lit') {
      const c = constant(u.value, u.aval.dtype)
      for (let k = 0; k < n; k++) res[k] = this.convert(c, out.dtype)
      return res
    }
    const m = operandMap(e, identityMap(r), ext)
    if (m === null) throw new NoFit('a structural map that is not affine')
    const idx = toFlat(m, u.aval.shape, r)
    const xs = elemsOf(env, u)
    const last = xs.length - 1
    // the result's points in row-major order (an odometer `p`), the operand's flat index `at`
    // stepped along with it
    const p = new Array<number>(r).fill(0)
    let at = idx.off
    for (let k = 0; k < n; k++) {
      res[k] = this.convert(xs[Math.min(Math.max(at, 0), last)], out.dtype)
      for (let d = r - 1; d >= 0; d--) {
        if (++p[d] < ext[d]) {
          at += idx.st[d]
          break
        }
        at -= idx.st[d] * (ext[d] - 1)
        p[d] = 0
      }
    }
    return res
  }

  /** A reduction or a small contraction: the one-step-per-equation mode's kernel of it,
   *  unrolled (the same initial values and order of folding). */
  private kernel(made: EachKernel | null, e: Eqn, env: Map<Var, readonly string[]>): void {
    if (made === null) throw new NoFit('a literal operand of a reduction')
    const ins = new Array<Elems>(made.inputs.length)
    for (let i = 0; i < ins.length; i++) ins[i] = elemsOf(env, made.inputs[i]) as Elems
    const out: Elems = new Array<string | undefined>(sizeOf(e.outVars[0].aval.shape))
    this.loop(made.kernel, ins, [out])
    env.set(e.outVars[0], written(out))
  }

  /** concatenate along axis d: for each index of the axes before d, each operand's block of
   *  its extent along d times the size of the axes after it, in order (row-major). */
  private concatenate(e: Eqn, env: Map<Var, readonly string[]>): string[] {
    const d = (e.params as ParamsMap['concatenate']).dimension
    const out = e.outVars[0].aval
    const outer = sizeOf(out.shape.slice(0, d))
    const inner = sizeOf(out.shape.slice(d + 1))
    const res: string[] = []
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < e.inputs.length; k++) {
        const a = e.inputs[k]
        // (operands have rank ≥ 1: never a literal)
        if (a._tag === 'Lit') throw new NoFit('a literal operand of concatenate')
        const block = a.aval.shape[d] * inner
        const xs = elemsOf(env, a)
        for (let j = 0; j < block; j++) res.push(this.convert(xs[o * block + j], out.dtype))
      }
    }
    if (res.length !== sizeOf(out.shape)) throw new CodegenError('internal: concatenate size')
    return res
  }

  /** pad without interior padding (the planner's class of the others is opaque): the
   *  operand's element where the result's point, shifted back by the low padding, is inside
   *  the operand (a negative padding crops), else the padding value. */
  private pad(e: Eqn, env: Map<Var, readonly string[]>): string[] {
    const cfg = (e.params as ParamsMap['pad']).paddingConfig
    const x = e.inputs[0]
    if (x._tag === 'Lit') throw new NoFit('a literal operand of pad')
    const xs = elemsOf(env, x)
    const fill = elemsOf(env, e.inputs[1])[0]
    const inShape = x.aval.shape
    const inSt = stridesOf(inShape)
    const out = e.outVars[0].aval
    const ext = out.shape
    const r = ext.length
    const n = sizeOf(ext)
    const res = new Array<string>(n)
    const p = new Array<number>(r).fill(0)
    for (let k = 0; k < n; k++) {
      let at = 0
      let inside = true
      for (let d = 0; d < r && inside; d++) {
        const q = p[d] - cfg[d][0]
        inside = q >= 0 && q < inShape[d]
        at += q * inSt[d]
      }
      res[k] = this.convert(inside ? xs[at] : fill, out.dtype)
      for (let d = r - 1; d >= 0; d--) {
        if (++p[d] < ext[d]) break
        p[d] = 0
      }
    }
    return res
  }

  /** while, scan, cond: loops and branches of the code, their bodies inline. */
  private control(e: Eqn, env: Map<Var, readonly string[]>): string[][] {
    const ins = new Array<readonly string[]>(e.inputs.length)
    for (let k = 0; k < e.inputs.length; k++) ins[k] = elemsOf(env, e.inputs[k])
    const outs = e.outVars.map((v) => ({ size: sizeOf(v.aval.shape), dtype: v.aval.dtype }))
    switch (e.prim) {
      case 'while': {
        const p = e.params as ParamsMap['while']
        return this.while(whileMeta(p), this.sub(p.condJaxpr), this.sub(p.bodyJaxpr), ins, outs)
      }
      case 'scan': {
        const p = e.params as ParamsMap['scan']
        const body = this.body(p.jaxpr)
        const xDtypes = body.inVars.slice(p.numConsts + p.numCarry).map((v) => v.aval.dtype)
        return this.scan(scanMeta(p, e), this.sub(p.jaxpr), xDtypes, ins, outs)
      }
      case 'cond': {
        const p = e.params as ParamsMap['cond']
        return this.cond(p.branches.map((b) => this.sub(b)), ins[0][0], ins.slice(1), outs)
      }
      default: throw new NoFit('an equation without a scalar form')
    }
  }

  /** `j` prepared as the planned code prepares a body (once per generation). */
  private body(j: Jaxpr): Jaxpr {
    let p = this.prepared.get(j)
    if (p === undefined) {
      p = this.prepare(j)
      this.prepared.set(j, p)
    }
    return p
  }

  /** The code of sub-jaxpr `j`, emitted where the loop or branch calls it. */
  private sub(j: Jaxpr): SubCode {
    const body = this.body(j)
    return (ins) => this.jaxpr(body, ins)
  }
}

/** The elements of atom `a`: a literal's one atom, or a variable's list. */
const elemsOf = (env: ReadonlyMap<Var, readonly string[]>, a: Atom): readonly string[] => {
  if (a._tag === 'Lit') return [constant(a.value, a.aval.dtype)]
  const es = env.get(a)
  if (es === undefined) throw new CodegenError('internal: a variable read before it is defined')
  return es
}

/** A kernel's output, every element written. */
const written = (out: Elems): string[] => {
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) throw new NoFit('an element never written')
  return out as string[]
}
