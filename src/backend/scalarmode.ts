/**
 * Backend: the planning mode for code that is compiled into straight-line scalar code
 * (codegen/scalarize.ts) — the bodies of loops compiled whole (codegen/scalarloop.ts) and
 * small programs compiled as one function.
 *
 * In such code every element of every value is a JS local, whatever the kernels would have
 * been: the fusion planner's search (regions, costs, rounds of materializing) decides nothing
 * there, and the JS kernels it compiles are never run. So each equation is its own step, every
 * value is materialized, and no kernel is compiled until a program is run step by step (which
 * only a fallback does). Materializing never changes a value: kernels round every value to its
 * dtype as they compute it. (In the relaxed float32 mode it would — values are rounded where
 * they are stored — so that mode keeps the fusion planner.)
 *
 * A body or program that has no scalar form (an opaque equation: gather, sort, linalg, …) or
 * whose code does not fit (over the statement budget) makes the callers fall back to the
 * fusion planner's program.
 */
import { timed } from '../core/phases'
import { type ShapedArray, sizeOf, stridesOf } from '../ir/aval'
import type { DType, TypedArray } from '../ir/dtypes'
import type { Atom, Eqn, Jaxpr, Var } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'
import { maxStepsExceeded } from '../higher/while'
import { Builder } from './build'
import { LIMITS, type Part, genScalarProgram, warmUp, wholeSource } from './codegen/scalarloop'
import { NoFit } from './codegen/scalarize'
import { oneStepSpec, straightProgram } from './codegen/straight'
import { DirectGen } from './codegen/direct'
import { type Compiled, compileDriver, compileKernel, float32Mode } from './compile'
import { CodegenError } from './emit'
import { type DotKernel, type KNode, type LoopKernel, normalizeLoops } from './kernel'
import { type Plan, type PlanStep, type Root, classify } from './plan'
import { Program, type ProgStep, type WholeFn } from './program'
import type { Cls, PlanCtx } from './region'
import { dotGeometry, reduceDomain } from './roots'
import { type EachKernel, NONE, dotfKernel, reduceKernel, structKernel } from './eachkernels'
import { type ScalarExpr, isScalarOp } from './scalar'
import type { Subs } from './steps'

/** Work done in this mode since the process started (for benchmarks and tests): bodies and
 *  programs planned, programs compiled as one function, and those of them generated directly
 *  from their equations. */
export const scalarStats = { planned: 0, wholePrograms: 0, direct: 0 }

/**
 * One step per equation, every value materialized. Throws NoFit for an equation without a
 * scalar form, or a value too large to be locals.
 */
export const planEach = (jaxpr: Jaxpr): Plan => {
  scalarStats.planned++
  const producer = new Map<Var, Eqn>()
  const cls = new Map<Eqn, Cls>()
  const lowered = new Map<Eqn, ScalarExpr>()
  const M = new Set<Var>(jaxpr.inVars)
  const steps: PlanStep[] = []
  // (indexed loops: cold code, see ewKernel)
  const eqns = jaxpr.eqns
  for (let k = 0; k < eqns.length; k++) {
    const e = eqns[k]
    const c = classify(e, lowered)
    if (c === 'opaque') throw new NoFit('an equation without a scalar form')
    cls.set(e, c)
    const outVars = e.outVars
    for (let i = 0; i < outVars.length; i++) {
      const v = outVars[i]
      // (each element is at least a local: the statement budget bounds them all)
      if (sizeOf(v.aval.shape) > LIMITS.statements) throw new NoFit('a value too large')
      producer.set(v, e)
      M.add(v)
    }
    if (c === 'ctrl') steps.push({ kind: 'eqn', eqn: e })
    else if (c === 'dot') steps.push({ kind: 'dot', eqn: e })
    else if (c === 'reduce') {
      const { extents, nReduced } = reduceDomain(e)
      steps.push({ kind: 'loop', extents, nReduced, roots: [{ kind: 'reduce', eqn: e }], epilogue: [] })
    } else if (c === 'dotf') {
      const g = dotGeometry(e)
      steps.push({ kind: 'loop', extents: g.extents, nReduced: g.nContract, roots: [{ kind: 'dotf', eqn: e }], epilogue: [] })
    } else {
      const v = e.outVars[0]
      steps.push({ kind: 'loop', extents: v.aval.shape, nReduced: 0, roots: [{ kind: 'store', v }], epilogue: [] })
    }
  }
  // (every value is materialized: nothing is recomputed, no value crosses a band)
  const ctx: PlanCtx = { producer, cls, M, cost: () => 0, band: new Map(), lowered }
  return { jaxpr, steps, M, ctx, probes: new Map() }
}

/** A kernel step compiled when it is first run (the scalar code reads only its IR; a class,
 *  so that making one is an allocation, not an object literal with getters of its own). */
class LazyKernelStep {
  readonly kind = 'kernel'
  readonly engine = 'js'
  private c: Compiled | null = null
  constructor(readonly kernel: LoopKernel | DotKernel, readonly ins: readonly number[], readonly outs: readonly number[]) {}

  private compiled(): Compiled {
    return (this.c ??= compileKernel(this.kernel.kind === 'loop' ? normalizeLoops(this.kernel) : this.kernel))
  }

  get fn(): Compiled['fn'] {
    return this.compiled().fn
  }

  get source(): string {
    return this.compiled().source
  }
}

// (ewKernel, planEach and the builder below run once per equation of every program a first
// call compiles, in cold code: loops are indexed, since a for-of allocates an iterator result
// per element, and the helpers are module functions, not closures made per equation)

/** Equal nodes are one node, found by comparing with the few nodes made so far (a lowering has
 *  a handful): a literal's value by Object.is (−0 is not 0, NaN is itself); an operand's index
 *  and dtype follow from the operand, a coordinate's index from its dimension. */
const sameNode = (a: KNode, b: KNode): boolean => {
  switch (a.k) {
    case 'lit': return b.k === 'lit' && a.dtype === b.dtype && Object.is(a.value, b.value)
    case 'load': return b.k === 'load' && a.input === b.input
    case 'coord': return b.k === 'coord' && a.dtype === b.dtype && a.idx.st.indexOf(1) === b.idx.st.indexOf(1)
    case 'op': {
      if (b.k !== 'op' || a.op !== b.op || a.dtype !== b.dtype || a.attr !== b.attr || a.args.length !== b.args.length) return false
      for (let i = 0; i < a.args.length; i++) if (a.args[i] !== b.args[i]) return false
      return true
    }
    default: throw new CodegenError('internal: an elementwise kernel node')
  }
}

/** The id of `n` among `nodes`, added if no equal node is there. */
const internNode = (nodes: KNode[], n: KNode): number => {
  for (let id = 0; id < nodes.length; id++) if (sameNode(n, nodes[id])) return id
  return nodes.push(n) - 1
}

/** What translating one equation's lowering reads: its operands' nodes, the output's strides. */
interface EwCtx {
  readonly e: Eqn
  readonly args: readonly number[]
  readonly nodes: KNode[]
  readonly st: readonly number[]
}

/** The node of a lowering's expression (its operands are `cx.args`). */
const translate = (x: ScalarExpr, cx: EwCtx): number => {
  switch (x._tag) {
    case 'arg':
      if (!Number.isInteger(x.index) || x.index < 0 || x.index >= cx.args.length) throw new CodegenError(`internal: lowering of ${cx.e.prim} refers to operand ${x.index}`)
      return cx.args[x.index]
    case 'lit':
      return internNode(cx.nodes, { k: 'lit', value: x.value, dtype: x.dtype })
    case 'coord': {
      const r = cx.st.length
      if (!Number.isInteger(x.dim) || x.dim < 0 || x.dim >= r) throw new CodegenError(`internal: lowering of ${cx.e.prim} refers to coordinate ${x.dim}`)
      const st = new Array<number>(r)
      for (let d = 0; d < r; d++) st[d] = d === x.dim ? 1 : 0
      return internNode(cx.nodes, { k: 'coord', idx: { off: 0, st }, dtype: x.dtype })
    }
    case 'op': {
      if (!isScalarOp(x.op)) throw new CodegenError('lowering: unknown scalar op')
      if (!Number.isSafeInteger(x.attr)) throw new CodegenError('lowering: op attribute must be an integer')
      const args = new Array<number>(x.args.length)
      for (let i = 0; i < x.args.length; i++) args[i] = translate(x.args[i], cx)
      return internNode(cx.nodes, { k: 'op', op: x.op, args, dtype: x.dtype, attr: x.attr })
    }
  }
}

/** The distinct variables among an equation's operands, in order, in an array of their exact
 *  number (growing an empty array by push allocates room for 16 elements). */
const distinctVars = (xs: readonly Atom[]): Var[] => {
  let n = 0
  for (let k = 0; k < xs.length; k++) if (xs[k]._tag === 'Var' && xs.indexOf(xs[k]) === k) n++
  const vs = new Array<Var>(n)
  n = 0
  for (let k = 0; k < xs.length; k++) {
    const a = xs[k]
    if (a._tag === 'Var' && xs.indexOf(a) === k) vs[n++] = a
  }
  return vs
}

/**
 * The kernel of one elementwise equation: its lowering over loads of its operands (each of the
 * output's shape, or 0-d) — what a region expands for such a root when every value is
 * materialized (region.ts), without the expansion's machinery.
 */
const ewKernel = (e: Eqn, expr: ScalarExpr): EachKernel => {
  const out = e.outVars[0].aval
  const st = stridesOf(out.shape)
  const nodes: KNode[] = []
  const inputs = distinctVars(e.inputs)
  const dtypes = new Array<DType>(inputs.length)
  for (let i = 0; i < inputs.length; i++) dtypes[i] = inputs[i].aval.dtype
  const args = new Array<number>(e.inputs.length)
  // (the loads of 0-d operands share one index: the kernel is data, never mutated)
  let zeros: number[] | null = null
  for (let k = 0; k < e.inputs.length; k++) {
    const a = e.inputs[k]
    if (a._tag === 'Lit') {
      args[k] = internNode(nodes, { k: 'lit', value: a.value, dtype: a.aval.dtype })
      continue
    }
    const i = inputs.indexOf(a)
    const idx = a.aval.shape.length === 0 ? { off: 0, st: (zeros ??= new Array<number>(st.length).fill(0)) } : { off: 0, st }
    args[k] = internNode(nodes, { k: 'load', input: i, idx, dtype: a.aval.dtype, clamp: -1 })
  }
  const root = translate(expr, { e, args, nodes, st })
  const kernel: LoopKernel = {
    kind: 'loop', f32: float32Mode(), domain: out.shape, nReduced: 0,
    inputs: dtypes, outputs: [out.dtype], nodes,
    stores: [{ node: root, out: 0, idx: { off: 0, st } }], reductions: NONE, epilogue: NONE,
  }
  return { kernel, inputs }
}

/** The builder of this mode: kernels as IR (not split into boxes: the scalar code decides each
 *  pick at generation time), compiled only if run. */
class EachBuilder extends Builder {
  constructor(private readonly each: Plan, subs: Subs) {
    super(each, subs)
  }

  protected override step(s: PlanStep): void {
    if (s.kind !== 'loop') return super.step(s)
    const root = s.roots[0]
    const made = this.direct(root)
    if (made === null) return super.step(s)
    const ins = new Array<number>(made.inputs.length)
    for (let i = 0; i < ins.length; i++) ins[i] = this.slot(made.inputs[i])
    this.pushKernel(made.kernel, ins, [this.slot(root.kind === 'store' ? root.v : root.eqn.outVars[0])])
  }

  /** The kernel of a root made from its equation alone (every operand is materialized: no
   *  region to expand), or null where the builder's region decides (pad, concatenate, …). */
  private direct(root: Root): EachKernel | null {
    if (root.kind !== 'store') return root.kind === 'reduce' ? reduceKernel(root.eqn) : dotfKernel(root.eqn)
    const e = this.each.ctx.producer.get(root.v) as Eqn
    if (this.each.ctx.cls.get(e) === 'struct') return structKernel(e)
    const expr = this.each.ctx.lowered.get(e)
    return expr === undefined ? null : ewKernel(e, expr)
  }

  /** (the scalar code unrolls the kernel as it is: its loops are normalized only if it is compiled) */
  override pushKernel(k: LoopKernel | DotKernel, ins: readonly number[], outs: readonly number[]): void {
    this.steps.push(new LazyKernelStep(k, ins, outs))
  }
}

/** The spec of `flat` (validated and flattened) in this mode, or null. */
const buildEach = (flat: Jaxpr, subs: Subs): Program | null => {
  try {
    const plan = planEach(flat)
    return timed('build', () => new Program(new EachBuilder(plan, { ...subs, inline: true }).build()))
  } catch (e) {
    if (e instanceof NoFit) return null
    throw e
  }
}

/**
 * The compiler of bodies in this mode, cached per jaxpr (jaxprs are immutable): `prepare`
 * validates and flattens a jaxpr as for any program, `subs` compiles the bodies' own loops and
 * branches. Null for a body without a scalar form, and always in the relaxed float32 mode.
 */
export const scalarBodies = (prepare: (j: Jaxpr) => Jaxpr, subs: () => Subs): { compile: (j: Jaxpr) => Program | null; reset: () => void } => {
  let cache = new WeakMap<Jaxpr, Program | null>()
  const compile = (j: Jaxpr): Program | null => {
    if (float32Mode() !== 'exact') return null
    let p = cache.get(j)
    if (p === undefined) {
      p = buildEach(prepare(j), subs())
      cache.set(j, p)
    }
    return p
  }
  return { compile, reset: () => (cache = new WeakMap()) }
}

/** Elements of all the values of a program compiled as one function, at most (measured, see
 *  `wholeProgram`). */
export const WHOLE_LIMITS = {
  /** elements of every value of the program (its loops' bodies are bounded by LIMITS) */
  elements: 1024,
  /** equations at least: a program of a few equations is a kernel or two anyway */
  minEqns: 8,
}

/** Whether a (flattened) program may be compiled as one function: small values only. */
const wholeMayFit = (j: Jaxpr): boolean => {
  // (indexed loops, no callbacks: cold code, run for every program a first call compiles)
  const eqns = j.eqns
  let loops = false
  for (let k = 0; k < eqns.length && !loops; k++) loops = eqns[k].prim === 'scan' || eqns[k].prim === 'while'
  if (eqns.length < WHOLE_LIMITS.minEqns && !loops) return false
  let n = 0
  for (let q = 0; q < j.inVars.length; q++) n += sizeOf(j.inVars[q].aval.shape)
  for (let k = 0; k < eqns.length; k++) {
    const e = eqns[k]
    for (let q = 0; q < e.outVars.length; q++) n += sizeOf(e.outVars[q].aval.shape)
    // a loop's carry in locals: as for a loop compiled whole on its own (scalarloop.ts)
    const nCarry = e.prim === 'scan' ? (e.params as ParamsMap['scan']).numCarry : e.prim === 'while' ? e.outVars.length : 0
    let carried = 0
    for (let q = 0; q < nCarry; q++) carried += sizeOf(e.outVars[q].aval.shape)
    if (carried > LIMITS.loopElements) return false
  }
  return n <= WHOLE_LIMITS.elements
}

/** How a small program becomes one function: generated directly from its equations
 *  (codegen/direct.ts), or planned one step per equation and its kernels unrolled (the path
 *  the direct generator falls back to; tests compare the two). */
export const WHOLE_MODE = { direct: true }

type WholeDriver = (ins: readonly TypedArray[], outs: readonly TypedArray[], warm: boolean) => void

/** The function of a whole program's source (`src`: scalarloop.ts `wholeSource`), after its
 *  warm-up call, or null for no source. */
const compileWhole = (src: string | null, ins: readonly Part[], outs: readonly Part[]): WholeDriver | null => {
  if (src === null) return null
  const fn = timed('js compile', () => compileDriver<WholeDriver>(src)([maxStepsExceeded]))
  // a call whose loops take no step, so the code after them has run before V8 optimizes the
  // function in the middle of a loop (scalarloop.ts `warmUp` says when that helps)
  timed('run', () => fn(warmUp(ins), warmUp(outs), true))
  return fn
}

const part = (a: ShapedArray): Part => ({ size: sizeOf(a.shape), dtype: a.dtype })

/** `flat` generated directly as one function (codegen/direct.ts), or null when it does not
 *  qualify; `prepare` prepares its loops' bodies and branches. */
const directProgram = (flat: Jaxpr, prepare: (j: Jaxpr) => Jaxpr): Program | null => {
  const ins = flat.inVars.map((v) => part(v.aval))
  const outs = flat.outs.map((a) => part(a.aval))
  const gen = new DirectGen(prepare)
  let src: string | null = null
  const fn = timed('js codegen', () => compileWhole((src = wholeSource(gen, (z, elems) => z.jaxpr(flat, elems), ins, outs)), ins, outs))
  if (fn === null || src === null) return null
  const whole: WholeFn = (ins, o) => fn(ins, o, false)
  return new Program(oneStepSpec(flat, whole, `code of ${flat.eqns.length} equations`, src), whole)
}

/**
 * A program whose values are all small, compiled as one generated function with every element
 * a local (its loops loops of that code): generated directly from its equations, or else
 * planned in this mode; null when it does not qualify or its code does not fit (the caller
 * plans it with the fusion planner). A planned program's spec is kept: its kernels are
 * compiled only if a loop of the fusion planner's runs it step by step. `prepare`: what the
 * backend does to a jaxpr before planning it, for the bodies of the program's loops.
 */
export const wholeProgram = (flat: Jaxpr, subs: Subs, prepare: (j: Jaxpr) => Jaxpr): Program | null => {
  if (float32Mode() !== 'exact' || flat.constVars.length > 0 || !wholeMayFit(flat)) return null
  // float64 scalars only (Taylor mode's programs): one statement per equation, nothing planned
  const straight = timed('js codegen', () => straightProgram(flat))
  if (straight !== null) {
    scalarStats.wholePrograms++
    return straight
  }
  const direct = WHOLE_MODE.direct ? directProgram(flat, prepare) : null
  if (direct !== null) {
    scalarStats.wholePrograms++
    scalarStats.direct++
    return direct
  }
  const each = buildEach(flat, subs)
  if (each === null) return null
  const ins = flat.inVars.map((v) => part(v.aval))
  const outs = flat.outs.map((a) => part(a.aval))
  // (V8 parsing and compiling the driver, tens of KB of source, is a phase of its own)
  const fn = timed('js codegen', () => compileWhole(genScalarProgram(each.spec, ins, outs), ins, outs))
  if (fn === null) return null
  scalarStats.wholePrograms++
  const whole: WholeFn = (ins, o) => fn(ins, o, false)
  return new Program(each.spec, whole)
}
