/**
 * Backend: from a plan to a program — slots for the materialized values, one loop kernel per
 * planned group of roots, matmul kernels (with a packing kernel when an operand's axes do not
 * collapse to a strided matrix), and steps for opaque and control-flow equations.
 */
import { type Shape, sizeOf, stridesOf } from '../ir/aval'
import type { DType } from '../ir/dtypes'
import type { Atom, Eqn, Var } from '../ir/jaxpr'
import type { DotDimensionNumbers } from '../ir/params'
import { compileKernel, float32Mode, wasmKernelsEnabled } from './compile'
import { CodegenError } from './emit'
import { identityMap, mapKey, selectMap } from './indexmap'
import { type Affine, type DotKernel, type LoopKernel, type Reduction, type Store, normalizeLoops } from './kernel'
import { type Plan, type PlanStep, type Root, expandRoot, storedVar } from './plan'
import type { ProgStep, ProgramSpec, SlotSpec } from './program'
import { Region } from './region'
import { splitPicks } from './split'
import { dotGeometry } from './roots'
import { type Subs, eqnStep } from './steps'
import { describeWasmPlan, wasmPlan } from './wasmlower'
import { wasmAvailable, wasmKernelFn } from './wasmrun'

export const RED_OP = { reduce_sum: 'sum', reduce_prod: 'prod', reduce_max: 'max', reduce_min: 'min', argmax: 'argmax', argmin: 'argmin' } as const

export class Builder {
  readonly slots: SlotSpec[] = []
  readonly steps: ProgStep[] = []
  private readonly slotOf = new Map<Var, number>()

  constructor(private readonly plan: Plan, private readonly sub: Subs) {}

  slot(v: Var): number {
    const s = this.slotOf.get(v)
    if (s === undefined) throw new CodegenError('internal: value has no slot')
    return s
  }

  newSlot(spec: SlotSpec): number {
    this.slots.push(spec)
    return this.slots.length - 1
  }

  /** The slot of an operand: a variable's, or a new constant slot for a literal. */
  atomSlot(a: Atom): number {
    if (a._tag === 'Var') return this.slot(a)
    return this.newSlot({ dtype: a.aval.dtype, shape: [], kind: 'const', value: a.value })
  }

  build(): ProgramSpec {
    const { jaxpr, M, steps } = this.plan
    const outs = new Set(jaxpr.outs.filter((a): a is Var => a._tag === 'Var'))
    jaxpr.inVars.forEach((v) => this.slotOf.set(v, this.newSlot({ dtype: v.aval.dtype, shape: v.aval.shape, kind: 'input' })))
    const kindOf = (v: Var, byKernel: boolean): SlotSpec['kind'] => (!byKernel ? 'dynamic' : outs.has(v) ? 'output' : 'temp')
    const define = (v: Var, byKernel: boolean): void => {
      if (M.has(v) && !this.slotOf.has(v)) this.slotOf.set(v, this.newSlot({ dtype: v.aval.dtype, shape: v.aval.shape, kind: kindOf(v, byKernel) }))
    }
    const defineAll = (vs: readonly Var[], byKernel: boolean): void => {
      for (let i = 0; i < vs.length; i++) define(vs[i], byKernel)
    }
    const defineRoots = (rs: readonly Root[]): void => {
      for (let i = 0; i < rs.length; i++) {
        const r = rs[i]
        if (r.kind === 'store') define(r.v, true)
        else defineAll(r.eqn.outVars, true)
      }
    }
    // (a step per equation in the scalar mode, all in cold code: indexed loops, since a for-of
    // allocates an iterator result per element until V8 optimizes it)
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]
      if (s.kind !== 'loop') {
        defineAll(s.eqn.outVars, s.kind !== 'eqn')
        continue
      }
      defineRoots(s.roots)
      defineRoots(s.epilogue)
    }
    for (let i = 0; i < steps.length; i++) this.step(steps[i])
    return {
      slots: this.slots,
      inputs: jaxpr.inVars.map((v) => this.slot(v)),
      outs: jaxpr.outs.map((a) => (a._tag === 'Lit' ? { kind: 'lit', value: a.value, dtype: a.aval.dtype } : { kind: 'slot', slot: this.slot(a) })),
      steps: this.steps,
    }
  }

  protected step(s: PlanStep): void {
    if (s.kind === 'loop') return this.loop(s)
    if (s.kind === 'dot') return this.dot(s.eqn)
    const ins = s.eqn.inputs.map((a) => this.atomSlot(a))
    const outs = s.eqn.outVars.map((v) => this.slot(v))
    const { fn, subs, label } = eqnStep(s.eqn, ins, outs, this.sub)
    this.steps.push({ kind: 'fn', fn, ins, outs, label: label ?? s.eqn.prim, subs })
  }

  pushKernel(k: LoopKernel | DotKernel, ins: readonly number[], outs: readonly number[]): void {
    const kernel = k.kind === 'loop' ? normalizeLoops(k) : k
    // a loop with pad/concatenate picks: one kernel per box where every pick is decided
    const boxes = kernel.kind === 'loop' ? splitPicks(kernel) : null
    if (boxes !== null) {
      for (const b of boxes) this.pushOne(normalizeLoops(b), ins, outs)
      return
    }
    this.pushOne(kernel, ins, outs)
  }

  private pushOne(kernel: LoopKernel | DotKernel, ins: readonly number[], outs: readonly number[]): void {
    // (the plan first: it is cheap, and most small programs never need the availability probe)
    const w = wasmKernelsEnabled() ? wasmPlan(kernel) : null
    if (w !== null && wasmAvailable()) {
      this.steps.push({ kind: 'kernel', fn: wasmKernelFn(w, ins.length, () => compileKernel(kernel).fn), ins, outs, kernel, source: describeWasmPlan(w), engine: 'wasm' })
      return
    }
    const c = compileKernel(kernel)
    this.steps.push({ kind: 'kernel', fn: c.fn, ins, outs, kernel, source: c.source, engine: 'js' })
  }

  private loop(s: Extract<PlanStep, { kind: 'loop' }>): void {
    const r = s.extents.length
    const nKept = r - s.nReduced
    // a kernel of one root reuses the region the planner expanded for it
    const probe = s.roots.length === 1 && s.epilogue.length === 0 ? this.plan.probes.get(s.roots[0]) : undefined
    const reg = probe?.reg ?? new Region(this.plan.ctx, s.extents, mapKey(identityMap(r)))
    const outVars: Var[] = []
    const stores: Store[] = []
    const reductions: Reduction[] = []
    const epilogue: Store[] = []
    const kept = mapKey(selectMap(r, [...Array(nKept).keys()]))
    for (const root of s.roots) {
      const node = probe?.node ?? expandRoot(reg, root)
      const stored = storedVar(root)
      if (stored !== null) {
        reg.local.set(stored, node)
        stores.push({ node, out: outVars.length, idx: flatIdentity(stored.aval.shape) })
        outVars.push(stored)
        continue
      }
      const e = (root as { eqn: Eqn }).eqn
      const v = e.outVars[0]
      const st = stridesOf(v.aval.shape)
      const idx: Affine = { off: 0, st: s.extents.map((_, d) => (d < nKept ? st[d] : 0)) }
      const op = root.kind === 'dotf' ? 'sum' : RED_OP[e.prim as keyof typeof RED_OP]
      reg.acc.set(v, { red: reductions.length, key: kept })
      reductions.push({ node, op, out: outVars.length, idx, acc: root.kind === 'dotf' ? dotGeometry(e).acc : accDtype(e.inputs[0].aval.dtype) })
      outVars.push(v)
    }
    // the epilogue reads the kernel's stores from memory (its nodes are in the first sweep)
    reg.local.clear()
    for (const root of s.epilogue) {
      const node = expandRoot(reg, root)
      const stored = storedVar(root) as Var
      epilogue.push({ node, out: outVars.length, idx: flatIdentity(stored.aval.shape) })
      outVars.push(stored)
    }
    if (reg.cuts.size > 0) throw new CodegenError('internal: the plan left values to materialize')
    const rereads = reg.inputs.flatMap((v, i) => (outVars.includes(v) ? [i] : []))
    const kernel: LoopKernel = {
      kind: 'loop',
      f32: float32Mode(),
      domain: s.extents,
      nReduced: s.nReduced,
      inputs: reg.inputs.map((v) => v.aval.dtype),
      outputs: outVars.map((v) => v.aval.dtype),
      nodes: reg.nodes,
      stores,
      reductions,
      epilogue,
      ...(rereads.length > 0 ? { rereads } : {}),
    }
    this.pushKernel(kernel, reg.inputs.map((v) => this.slot(v)), outVars.map((v) => this.slot(v)))
  }

  /** A large contraction: the matmul kernel over strided views of its (materialized) operands. */
  private dot(e: Eqn): void {
    const dn = (e.params as { dimensionNumbers: DotDimensionNumbers }).dimensionNumbers
    const g = dotGeometry(e)
    const [x, y] = e.inputs as Var[]
    const lhs = this.operand(x, [dn.lhsBatch, g.lf, dn.lhsContracting])
    const rhs = this.operand(y, [dn.rhsBatch, dn.rhsContracting, g.rf])
    const out = e.outVars[0]
    const kernel: DotKernel = {
      kind: 'dot', B: g.B, M: g.M, K: g.K, N: g.N,
      lhs: { input: 0, off: 0, sb: lhs.st[0], sr: lhs.st[1], sc: lhs.st[2] },
      rhs: { input: 1, off: 0, sb: rhs.st[0], sr: rhs.st[1], sc: rhs.st[2] },
      inputs: [x.aval.dtype, y.aval.dtype], out: out.aval.dtype, acc: g.acc,
    }
    this.pushKernel(kernel, [lhs.slot, rhs.slot], [this.slot(out)])
  }

  /** An operand as (slot, strides of its three axis groups); packed by a copy kernel when a
   *  group's axes do not collapse into one strided axis. */
  private operand(v: Var, groups: readonly (readonly number[])[]): { slot: number; st: number[] } {
    const shape = v.aval.shape
    const st = stridesOf(shape)
    const collapsed = groups.map((axes) => collapse(axes.map((a) => shape[a]), axes.map((a) => st[a])))
    if (collapsed.every((c) => c !== null)) return { slot: this.slot(v), st: collapsed as number[] }
    // pack into a contiguous [group0…, group1…, group2…] layout
    const order = groups.flat()
    const ext = order.map((a) => shape[a])
    const packed = this.newSlot({ dtype: v.aval.dtype, shape: ext, kind: 'temp' })
    const kernel: LoopKernel = {
      kind: 'loop', f32: 'exact', domain: ext, nReduced: 0, inputs: [v.aval.dtype], outputs: [v.aval.dtype],
      nodes: [{ k: 'load', input: 0, idx: { off: 0, st: order.map((a) => st[a]) }, dtype: v.aval.dtype, clamp: -1 }],
      stores: [{ node: 0, out: 0, idx: flatIdentity(ext) }],
      reductions: [],
      epilogue: [],
    }
    this.pushKernel(kernel, [this.slot(v)], [packed])
    const sizes = groups.map((axes) => sizeOf(axes.map((a) => shape[a])))
    return { slot: packed, st: [sizes[1] * sizes[2], sizes[2], 1] }
  }
}

export const accDtype = (d: DType): DType => (d === 'float32' || d === 'float64' ? 'float64' : d)

const flatIdentity = (shape: Shape): Affine => ({ off: 0, st: stridesOf(shape) })

/** One stride for a group of axes (row-major within the group), or null if they do not
 *  step through memory as one axis. Axes of extent 1 are ignored; an empty group has stride 0. */
const collapse = (ext: readonly number[], st: readonly number[]): number | null => {
  const keep = ext.map((e, i) => i).filter((i) => ext[i] !== 1)
  if (keep.length === 0) return 0
  for (let q = 0; q + 1 < keep.length; q++) if (st[keep[q]] !== st[keep[q + 1]] * ext[keep[q + 1]]) return null
  return st[keep[keep.length - 1]]
}

