/**
 * Backend: loop kernels that run as WebAssembly on buffers already in the kernel's memory.
 *
 * A loop kernel qualifies (`stridedPlan`) when, after loop normalization, it is a map — no
 * reductions, picks or coordinates — of one float dtype, over at most three loops, whose loads
 * are contiguous (stride 1) or broadcast (stride 0) along the innermost loop and whose stores
 * are contiguous along it; the outer loops may step any way (a box of a larger array, a
 * broadcast over a batch of tangents). A kernel whose innermost strides are none of these (an
 * edge column of a stencil) runs with an innermost loop of one element. The wasm kernel is
 * wasm/strided.ts: one call per kernel, whatever the row length.
 *
 * Such a kernel runs in wasm only when every buffer it touches is a view of the arena's memory
 * (`residentKernelFn`), so nothing is copied in or out; otherwise it runs its generated-JS
 * form. The scan loops of steps.ts put their carries, constants, temporaries, xs and ys in the
 * arena for the whole loop (`residentScanStep`): a step of the loop is then its wasm kernels on
 * arena pointers, the carries double-buffered, and the loop copies in once and out once (W9's
 * periodic stencil: every box of every step in wasm, no copies between steps).
 *
 * Views of the arena stay valid while the loop runs: everything is allocated before it starts,
 * and nothing in it allocates arena memory (the strided kernels borrow no scratch, the other
 * body kernels run in JS).
 *
 * Precision: the strided kernels lower exactly the ops `wasmlower.ts` accepts, with its
 * precision policy (float64: only correctly rounded ops, so results are bitwise those of the
 * generated JS and of the reference interpreter).
 */
import { type ShapedArray, sizeOf } from '../ir/aval'
import { type TypedArray, castScalar } from '../ir/dtypes'
import type { ParamsMap } from '../ir/params'
import { genScanLoop } from './codegen/scan'
import { type KernelFn, compileDriver, compileKernel, stats, wasmKernelsEnabled } from './compile'
import { type Affine, type LoopKernel, normalizeLoops } from './kernel'
import { int, ident } from './emit'
import { type Program, alloc } from './program'
import { type Arena, type Expr, type FloatDType, compileModule, wasm } from './wasm'
import { HOST_IMPORTS } from './wasm/simd'
import { type StridedSpec, buildStrided, stridedKey } from './wasm/strided'
import { usableEngine } from './wasmengine'
import { foldNegations } from './wasm/foldneg'
import { Translator, WASM_MIN_ELEMENTS, kernelDtype } from './wasmlower'
import { wasmAvailable } from './wasmrun'

/** One operand of a strided call: kernel buffer `buf` (inputs first, then outputs) at element
 *  `off`, outer strides `s0`, `s1` (elements), and the lowest and highest element it touches. */
interface Operand {
  readonly buf: number
  readonly off: number
  readonly s0: number
  readonly s1: number
  readonly lo: number
  readonly hi: number
}

export interface StridedPlan {
  readonly dtype: FloatDType
  /** extents [n0, n1, n] of the box (leading loops of extent 1 added) */
  readonly dims: readonly [number, number, number]
  /** the wasm kernel: operands grouped by base pointer */
  readonly spec: StridedSpec
  /** each base pointer: its buffer, first element, outer strides and the range of elements
   *  its operands touch (lo ≥ 0: a buffer's length is checked against hi on each call) */
  readonly bases: readonly Operand[]
}

/** An operand over the box `dims` (its index has one stride per loop of the box), with the
 *  range of elements it touches. */
const operand = (buf: number, a: Affine, dims: readonly number[]): Operand => {
  const st = a.st
  let lo = a.off
  let hi = a.off
  st.forEach((s, d) => {
    const span = s * (dims[d] - 1)
    if (span < 0) lo += span
    else hi += span
  })
  return { buf, off: a.off, s0: st[0], s1: st[1], lo, hi }
}

const SIZE = { float32: 4, float64: 8 } as const

/** The strided plan of a loop kernel (normalized here), or null when it does not qualify. */
export const stridedPlan = (raw: LoopKernel): StridedPlan | null => {
  const k = normalizeLoops(raw)
  const dtype = kernelDtype(k)
  if (dtype === null || k.reductions.length > 0 || k.epilogue.length > 0 || k.rereads !== undefined) return null
  if (k.nodes.some((n) => n.k === 'coord' || n.k === 'pick' || n.k === 'acc')) return null
  if (k.stores.length === 0 || k.domain.length > 3) return null
  const D = k.domain.length
  const innerOk = D > 0 &&
    k.nodes.every((n) => n.k !== 'load' || n.idx.st[D - 1] === 0 || n.idx.st[D - 1] === 1) &&
    k.stores.every((s) => s.idx.st[D - 1] === 1)
  // without a contiguous innermost loop, every loop is an outer one around a row of one element
  const ext = innerOk ? k.domain : [...k.domain, 1]
  if (ext.length > 3) return null
  const lead = 3 - ext.length
  const dims = [...Array(lead).fill(1), ...ext] as [number, number, number]
  const widen = (a: Affine): Affine => ({ off: a.off, st: [...Array(lead).fill(0), ...a.st, ...(innerOk ? [] : [0])] })
  // the translator numbers each load's outer strides: its `rowStride` is an index into `loads`
  const loads: Affine[] = []
  const t = new Translator(k.nodes, dtype, (st) => {
    const w = widen({ off: 0, st })
    const inner = w.st[2]
    if (inner !== 0 && inner !== 1) return null
    let j = loads.findIndex((a) => a.st[0] === w.st[0] && a.st[1] === w.st[1])
    if (j < 0) j = loads.push(w) - 1
    return [inner === 1 ? 'array' : 'scalar', j]
  })
  const outs: Expr[] = []
  for (const s of k.stores) {
    const e = t.expr(s.node)
    if (e === null) return null
    outs.push(e)
  }
  const nIn = k.inputs.length
  const ins = t.ins.map((w) => {
    const st = loads[w.rowStride].st
    return operand(w.input, { off: w.off, st: [st[0], st[1], w.kind === 'array' ? 1 : 0] }, dims)
  })
  const stores = k.stores.map((s) => operand(nIn + s.out, widen(s.idx), dims))
  // one base per (buffer, outer strides): at its lowest offset, the others a constant after it
  const bases: Operand[] = []
  const access = (o: Operand) => {
    let b = bases.findIndex((x) => x.buf === o.buf && x.s0 === o.s0 && x.s1 === o.s1)
    if (b < 0) b = bases.push(o) - 1
    else bases[b] = { ...bases[b], off: Math.min(bases[b].off, o.off), lo: Math.min(bases[b].lo, o.lo), hi: Math.max(bases[b].hi, o.hi) }
    return b
  }
  const inBase = ins.map(access)
  const outBase = stores.map(access)
  if (bases.some((b) => b.lo < 0)) return null
  const size = SIZE[dtype]
  const spec: StridedSpec = {
    dtype,
    bases: bases.length,
    inputs: ins.map((o, i) => ({ kind: t.ins[i].kind, base: inBase[i], delta: (o.off - bases[inBase[i]].off) * size })),
    outputs: foldNegations(outs),
    stores: stores.map((o, i) => ({ base: outBase[i], delta: (o.off - bases[outBase[i]].off) * size })),
  }
  return { dtype, dims, spec, bases }
}

type Run = (...args: number[]) => void

/** The strided kernel of a spec instantiated on one arena's memory (kept while the arena is). */
const instances = new WeakMap<Arena, Map<string, Run>>()
const runOn = (arena: Arena, spec: StridedSpec): Run => {
  let m = instances.get(arena)
  if (m === undefined) instances.set(arena, (m = new Map()))
  const key = `${stridedKey(spec)}|${arena.shared ? 'shared' : 'own'}`
  let run = m.get(key)
  if (run === undefined) {
    const module = compileModule(key, () => buildStrided(spec, { shared: arena.shared }))
    run = new wasm.Instance(module, { env: { memory: arena.memory }, host: HOST_IMPORTS }).exports.run as Run
    m.set(key, run)
  }
  return run
}

/** Which memory a resident kernel last ran on, and its kernel there. */
interface Bound {
  mem: ArrayBufferLike | null
  run: Run
  /** Binds the kernel to `mem` if it is the current arena's memory; false otherwise. */
  bind(mem: ArrayBufferLike): boolean
}

/**
 * The kernel function of a strided plan: the wasm kernel when every buffer it touches is a
 * view of the current arena and every operand lies inside its buffer, else `fallback` (the
 * generated JS of the same kernel). Generated (integers and fixed text only), so that a call
 * costs a few comparisons and one call into wasm.
 */
export const residentKernelFn = (p: StridedPlan, nBufs: number, fallback: KernelFn): KernelFn => {
  const size = SIZE[p.dtype]
  const st: Bound = {
    mem: null,
    run: () => undefined,
    bind(mem) {
      const e = usableEngine()
      if (e === null || e.arena.memory.buffer !== mem) return false
      st.run = runOn(e.arena, p.spec)
      st.mem = mem
      return true
    },
  }
  const bufs = [...Array(nBufs).keys()].map((i) => ident('v', i))
  const all = bufs.join(', ')
  const used = [...new Set(p.bases.map((b) => b.buf))]
  const checks = used.flatMap((i) => {
    const hi = Math.max(...p.bases.filter((b) => b.buf === i).map((b) => b.hi))
    return [`${bufs[i]}.buffer !== m`, `${bufs[i]}.length <= ${int(hi)}`]
  })
  const args = [
    ...p.dims.map(int),
    ...p.bases.map((b) => `${bufs[b.buf]}.byteOffset + ${int(b.off * size)}`),
    ...p.bases.flatMap((b) => [int(b.s0 * size), int(b.s1 * size)]),
  ]
  const src = [
    '"use strict";',
    'const st = k[0], fb = k[1], stats = k[2];',
    `return function (${all}) {`,
    `const m = ${bufs[used[0]]}.buffer;`,
    `if ((m !== st.mem && !st.bind(m)) || ${checks.join(' || ')}) { fb(${all}); return; }`,
    `st.run(${args.join(', ')});`,
    'stats.wasmKernelCalls++;',
    '};',
  ].join('\n')
  return compileDriver<KernelFn>(src)([st, fallback, stats])
}

// ---- scan loops with their buffers in the arena ----------------------------------------

/** The scan steps made here (describeProgram labels them). */
const residentSteps = new WeakSet<object>()
export const isResidentStep = (fn: object): boolean => residentSteps.has(fn)

type ScanLoop = (b: TypedArray[], cst: TypedArray[], cur: TypedArray[], nxt: TypedArray[], spare: TypedArray[], xs: TypedArray[], ys: TypedArray[], lit: number[]) => void
type Step = (b: TypedArray[]) => void

const isFloat = (d: string): d is FloatDType => d === 'float32' || d === 'float64'

/** Arena space for a list of (dtype, length) buffers, one allocation, 16-byte aligned parts. */
class Staged {
  private readonly ptr: number
  private readonly at: number[] = []
  constructor(private readonly arena: Arena, private readonly parts: readonly { readonly dtype: string; readonly n: number }[]) {
    let bytes = 0
    for (const p of parts) {
      this.at.push(bytes)
      bytes += Math.ceil((p.n * SIZE[p.dtype as FloatDType]) / 16) * 16
    }
    this.ptr = arena.alloc(Math.max(bytes, 16))
  }

  /** Views of the parts (taken after the allocation: it may have grown the memory). */
  views(): TypedArray[] {
    const buf = this.arena.memory.buffer
    return this.parts.map((p, i) => (p.dtype === 'float32' ? new Float32Array(buf, this.ptr + this.at[i], p.n) : new Float64Array(buf, this.ptr + this.at[i], p.n)))
  }

  /** The memory the views are of. */
  get memory(): ArrayBufferLike { return this.arena.memory.buffer }

  free(): void { this.arena.free(this.ptr) }
}

/**
 * A scan whose body kernels run with every float buffer in the arena: returns null when the
 * body has other steps, when no body kernel has a strided plan, or when its strided work per
 * step is too small to gain from wasm. `fallback` runs the loop in JS (no engine, or the
 * arena refused the memory).
 */
export const residentScanStep = (p: ParamsMap['scan'], carryAvals: readonly ShapedArray[], xAvals: readonly ShapedArray[], ins: readonly number[], outs: readonly number[], body: Program, fallback: Step): Step | null => {
  const spec = body.spec
  const nC = p.numConsts
  const nK = p.numCarry
  const n = p.length
  if (!wasmKernelsEnabled() || p.whileFlag !== undefined || spec.steps.length === 0 || !spec.steps.every((s) => s.kind === 'kernel')) return null
  const yAvals = p.jaxpr.outAvals.slice(nK)
  const xSizes = xAvals.map((a) => sizeOf(a.shape.slice(1)))
  const ySizes = yAvals.map((a) => sizeOf(a.shape))
  const src = genScanLoop(spec, { nConsts: nC, nCarry: nK, xSizes, ySizes, length: n, reverse: p.reverse })
  if (src === null) return null
  let work = 0
  const fns = spec.steps.map((s) => {
    if (s.kind !== 'kernel') return s.fn
    const plan = s.kernel.kind === 'loop' ? stridedPlan(s.kernel) : null
    const js = s.engine === 'js' ? s.fn : compileKernel(s.kernel).fn // (staged wasm would allocate in the loop)
    if (plan === null) return js
    work += plan.dims[0] * plan.dims[1] * plan.dims[2]
    return residentKernelFn(plan, s.ins.length + s.outs.length, js)
  })
  if (work < WASM_MIN_ELEMENTS || !wasmAvailable()) return null
  const loop = compileDriver<ScanLoop>(src)(fns)
  const lits = spec.outs.map((o) => (o.kind === 'lit' ? castScalar(o.value, o.dtype) : 0))
  const consts = p.jaxpr.inVars.slice(0, nC).map((v) => v.aval)
  // float buffers in the arena, in this order: consts, three carry sets, xs, ys, body temps and constants
  const bodyFloat = spec.slots.flatMap((s, j) => ((s.kind === 'temp' || s.kind === 'const') && isFloat(s.dtype) ? [j] : []))
  const parts = [
    ...consts.filter((a) => isFloat(a.dtype)).map((a) => ({ dtype: a.dtype, n: sizeOf(a.shape) })),
    ...[0, 1, 2].flatMap(() => carryAvals.filter((a) => isFloat(a.dtype)).map((a) => ({ dtype: a.dtype, n: sizeOf(a.shape) }))),
    ...xAvals.filter((a) => isFloat(a.dtype)).map((a) => ({ dtype: a.dtype, n: sizeOf(a.shape) })),
    ...yAvals.filter((a) => isFloat(a.dtype)).map((a) => ({ dtype: a.dtype, n: n * sizeOf(a.shape) })),
    ...bodyFloat.map((j) => ({ dtype: spec.slots[j].dtype, n: sizeOf(spec.slots[j].shape) })),
  ]
  const step: Step = (b) => {
    const e = usableEngine()
    if (e === null) return fallback(b)
    let staged: Staged
    try {
      staged = new Staged(e.arena, parts)
    } catch (err) {
      if (err instanceof RangeError) return fallback(b) // the arena could not grow: the JS loop
      throw err
    }
    try {
      const views = staged.views()
      let v = 0
      // a float operand is copied into its arena part; other dtypes stay JS arrays
      const place = (avals: readonly ShapedArray[], from: readonly TypedArray[] | null, size: (a: ShapedArray) => number): TypedArray[] =>
        avals.map((a, i) => {
          if (!isFloat(a.dtype)) return from !== null ? from[i] : alloc(a.dtype, size(a))
          const w = views[v++]
          if (from !== null) w.set(from[i])
          stats.arenaBytesIn += from !== null ? w.byteLength : 0
          return w
        })
      const whole = (a: ShapedArray) => sizeOf(a.shape)
      const cst = place(consts, ins.slice(0, nC).map((s) => b[s]), whole)
      const cur = place(carryAvals, ins.slice(nC, nC + nK).map((s) => b[s]), whole)
      const nxt = place(carryAvals, null, whole)
      const spare = place(carryAvals, null, whole)
      const xs = place(xAvals, ins.slice(nC + nK).map((s) => b[s]), whole)
      const ys = place(yAvals, null, (a) => n * sizeOf(a.shape))
      const table = body.acquire().slice()
      for (const j of bodyFloat) {
        const w = views[v++]
        const slot = spec.slots[j]
        if (slot.kind === 'const') w[0] = castScalar(slot.value ?? 0, slot.dtype)
        table[j] = w
      }
      loop(table, cst, cur, nxt, spare, xs, ys, lits)
      // out of the arena: fresh arrays the caller owns (a zero-trip loop returns a copy of its
      // initial carry, as the JS loop does)
      for (let k = 0; k < nK; k++) b[outs[k]] = cur[k].slice()
      for (let y = 0; y < ys.length; y++) b[outs[nK + y]] = isFloat(yAvals[y].dtype) ? ys[y].slice() : ys[y]
      stats.arenaBytesOut += [...cur, ...ys].reduce((s, c) => s + (c.buffer === staged.memory ? c.byteLength : 0), 0)
    } finally {
      staged.free()
    }
  }
  residentSteps.add(step)
  return step
}
