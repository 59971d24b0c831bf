/**
 * Backend: a compiled jaxpr — a list of kernel calls over planned buffers — and the driver
 * that runs it.
 *
 * Every materialized value has a slot. Input slots hold the caller's arrays (never written);
 * output slots get fresh arrays per call (they escape to the user), or the caller's arrays
 * (`runInto`, used by loops to write the next carry in place); temporary slots are views of a
 * few buffers the program owns and reuses: a buffer is free again after the last step that
 * reads its value, and an output is never placed in one (best fit by size, per dtype). Slots
 * of opaque and control-flow results are filled by those steps.
 *
 * The driver is one generated function per program, `b => { k0(b[2], b[5]); k1(b); … }`, made
 * only of integers, so a call costs a few JS calls per kernel and nothing per equation.
 */
import type { OutputBuffers } from '../core/buffers'
import { ResourceError, ValueError } from '../core/errors'
import { type Shape, sizeOf } from '../ir/aval'
import { type DType, type TypedArray, allocate, castScalar } from '../ir/dtypes'
import { type KernelFn, compileDriver, stats } from './compile'
import { int } from './emit'
import type { Kernel } from './kernel'

export interface SlotSpec {
  readonly dtype: DType
  readonly shape: Shape
  /** input: the caller's; const: a literal's 1-element array; temp: a reused buffer;
   *  output: a kernel writes it and it is returned; dynamic: a step sets it. */
  readonly kind: 'input' | 'const' | 'temp' | 'output' | 'dynamic'
  readonly value?: number
}

export type ProgStep =
  | {
      readonly kind: 'kernel'
      readonly fn: KernelFn
      readonly ins: readonly number[]
      readonly outs: readonly number[]
      readonly kernel: Kernel
      /** the generated JS, or a one-line summary of the wasm kernel that runs instead */
      readonly source: string
      readonly engine: 'js' | 'wasm'
    }
  | {
      readonly kind: 'fn'
      readonly fn: (b: TypedArray[]) => void
      readonly ins: readonly number[]
      readonly outs: readonly number[]
      readonly label: string
      /** compiled bodies it runs (scan, while, cond) */
      readonly subs: readonly Program[]
      /** the generated source of its function, when it is a program compiled as one */
      readonly source?: string
    }

export type OutSpec = { readonly kind: 'slot'; readonly slot: number } | { readonly kind: 'lit'; readonly value: number; readonly dtype: DType }

export interface ProgramSpec {
  readonly slots: readonly SlotSpec[]
  readonly inputs: readonly number[]
  readonly outs: readonly OutSpec[]
  readonly steps: readonly ProgStep[]
}

/** Allocation with a clear error instead of an engine's RangeError: a `ResourceError` when the
 *  memory is refused (from `allocate`), a `ValueError` for a size that is not one. */
export const alloc = (dtype: DType, n: number): TypedArray => {
  try {
    return allocate(dtype, n)
  } catch (e) {
    if (e instanceof ResourceError) throw new ResourceError(`jit: ${e.message}`)
    throw new ValueError(`jit: cannot allocate a ${dtype} buffer of ${n} elements (${(e as Error).message})`)
  }
}

const makeDriver = (steps: readonly ProgStep[]): ((b: TypedArray[]) => void) => {
  const decl = steps.map((_, i) => `const k${int(i)} = k[${int(i)}];`)
  const calls = steps.map((s, i) =>
    s.kind === 'kernel' ? `k${int(i)}(${[...s.ins, ...s.outs].map((j) => `b[${int(j)}]`).join(', ')});` : `k${int(i)}(b);`,
  )
  const src = `"use strict";\n${decl.join('\n')}\nreturn function (b) {\n${calls.join('\n')}\n};`
  return compileDriver<(b: TypedArray[]) => void>(src)(steps.map((s) => s.fn))
}

interface PoolPlan {
  /** per slot: index of its physical buffer (temps) or -1 */
  readonly phys: readonly number[]
  readonly buffers: readonly { readonly dtype: DType; readonly size: number }[]
}

/** Liveness-based reuse of temporary buffers (see the module comment). */
const planPool = (spec: ProgramSpec): PoolPlan => {
  const n = spec.slots.length
  const last = new Array<number>(n).fill(-1)
  spec.steps.forEach((s, i) => [...s.ins, ...s.outs].forEach((j) => (last[j] = i)))
  const phys = new Array<number>(n).fill(-1)
  const buffers: { dtype: DType; size: number }[] = []
  const busy = new Set<number>()
  const holders = new Map<number, number>()
  spec.steps.forEach((s, i) => {
    for (const j of s.outs) {
      const slot = spec.slots[j]
      if (slot.kind !== 'temp' || phys[j] >= 0) continue
      const size = sizeOf(slot.shape)
      let best = -1
      buffers.forEach((b, q) => {
        if (busy.has(q) || b.dtype !== slot.dtype || b.size < size) return
        if (best < 0 || b.size < buffers[best].size) best = q
      })
      if (best < 0) {
        best = buffers.length
        buffers.push({ dtype: slot.dtype, size })
      }
      busy.add(best)
      holders.set(j, best)
      phys[j] = best
    }
    // values read for the last time here free their buffers for the following steps
    for (const [j, q] of holders) {
      if (last[j] <= i) {
        busy.delete(q)
        holders.delete(j)
      }
    }
  })
  return { phys, buffers }
}

/** A program compiled as one scalar function (codegen/scalarprogram.ts): reads the inputs'
 *  elements, writes every output's elements into `outs`. */
export type WholeFn = (inputs: readonly TypedArray[], outs: readonly TypedArray[]) => void

/** The outputs of the kernel run that are its own allocations (see `Program.freshOutputs`). */
const freshKernelOutputs = (spec: ProgramSpec): boolean[] => {
  const placed = new Set<number>() // slots a step of the 'fn' kind may set to an array of its own
  // (indexed loops: a program is made for every loop body, in cold code, where a for-of
  // allocates an iterator result per element)
  for (let i = 0; i < spec.steps.length; i++) {
    const s = spec.steps[i]
    if (s.kind === 'fn') for (let k = 0; k < s.outs.length; k++) placed.add(s.outs[k])
  }
  const uses = new Map<number, number>()
  for (let i = 0; i < spec.outs.length; i++) {
    const o = spec.outs[i]
    if (o.kind === 'slot') uses.set(o.slot, (uses.get(o.slot) ?? 0) + 1)
  }
  return spec.outs.map((o) => o.kind === 'lit' || (spec.slots[o.slot].kind === 'output' && uses.get(o.slot) === 1 && !placed.has(o.slot)))
}

export class Program {
  private pool: PoolPlan | null = null
  /** made at the first run of the kernels (a body compiled into its loop's code never runs them) */
  private driver: ((b: TypedArray[]) => void) | null = null
  private table: TypedArray[] | null = null
  private running = false
  private readonly outSlots: number[]
  /** slots that hold the caller's or a step's arrays: cleared after a run (no retention) */
  private readonly transient: number[]
  private readonly nKernels: number

  /** `whole`: the program as one function, run instead of the kernels (`run`, `runInto`) */
  constructor(readonly spec: ProgramSpec, readonly whole: WholeFn | null = null) {
    // (plain loops: a program is made for every loop body, most of them never run)
    const outSlots: number[] = []
    const transient: number[] = []
    for (let i = 0; i < spec.slots.length; i++) {
      const kind = spec.slots[i].kind
      if (kind === 'output') outSlots.push(i)
      if (kind !== 'temp' && kind !== 'const') transient.push(i)
    }
    let nKernels = 0
    for (let i = 0; i < spec.steps.length; i++) if (spec.steps[i].kind === 'kernel') nKernels++
    this.outSlots = outSlots
    this.transient = transient
    this.nKernels = nKernels
    this.freshOutputs = whole !== null ? spec.outs.map(() => true) : freshKernelOutputs(spec)
    stats.programsCompiled++
  }
  /**
   * Per output of `run`: whether it is an array allocated by that run for this output alone
   * (or a donated buffer from `reuse`) — not an input, a constant, another output's array or
   * one a step put in place — so nothing else can hold it when the run returns.
   */
  readonly freshOutputs: readonly boolean[]

  /** A slot table with temps and constants bound (persistent unless the program re-enters). */
  acquire(): TypedArray[] {
    if (this.table !== null && !this.running) return this.table
    const pool = (this.pool ??= planPool(this.spec))
    const phys = pool.buffers.map((b) => alloc(b.dtype, b.size))
    const t = this.spec.slots.map((s, i) => {
      if (s.kind === 'temp') return phys[pool.phys[i]].subarray(0, sizeOf(s.shape)) as TypedArray
      if (s.kind === 'const') {
        const a = alloc(s.dtype, 1)
        a[0] = castScalar(s.value ?? 0, s.dtype)
        return a
      }
      return undefined as unknown as TypedArray
    })
    if (!this.running) this.table = t
    return t
  }

  private clear(b: TypedArray[]): void {
    for (const j of this.transient) b[j] = undefined as unknown as TypedArray
  }

  private exec(inputs: readonly TypedArray[], bind: (b: TypedArray[]) => void): TypedArray[] {
    const reentered = this.running
    const driver = (this.driver ??= makeDriver(this.spec.steps))
    const b = this.acquire()
    const ins = this.spec.inputs
    for (let i = 0; i < ins.length; i++) b[ins[i]] = inputs[i]
    bind(b)
    this.running = true
    stats.kernelsRun += this.nKernels
    try {
      driver(b)
    } finally {
      this.running = reentered
    }
    return b
  }

  /** Run on the inputs' data; returns fresh output arrays (or arrays from `reuse`: buffers
   *  donated by earlier calls, which no caller holds any more and no input is). */
  run(inputs: readonly TypedArray[], reuse?: OutputBuffers): TypedArray[] {
    if (this.whole !== null) return this.runWhole(inputs, reuse)
    const b = this.exec(inputs, (t) => {
      for (const j of this.outSlots) {
        const { dtype, shape } = this.spec.slots[j]
        const n = sizeOf(shape)
        let o = reuse?.(dtype, n)
        if (o === undefined) {
          o = alloc(dtype, n)
          stats.outputBytes += o.byteLength
        } else stats.outputBytesReused += o.byteLength
        t[j] = o
      }
    })
    const outs = this.spec.outs.map((o) => {
      if (o.kind === 'slot') return b[o.slot]
      const a = alloc(o.dtype, 1)
      a[0] = castScalar(o.value, o.dtype)
      return a
    })
    this.clear(b)
    return outs
  }

  /** The whole function's run: every output is a fresh (or donated) array it fills. */
  private runWhole(inputs: readonly TypedArray[], reuse?: OutputBuffers): TypedArray[] {
    const kinds = (this.wholeOuts ??= this.spec.outs.map((o) =>
      o.kind === 'lit' ? { dtype: o.dtype, n: 1 } : { dtype: this.spec.slots[o.slot].dtype, n: sizeOf(this.spec.slots[o.slot].shape) },
    ))
    const outs = new Array<TypedArray>(kinds.length)
    for (let i = 0; i < kinds.length; i++) {
      const { dtype, n } = kinds[i]
      const r = reuse?.(dtype, n)
      if (r !== undefined) {
        stats.outputBytesReused += r.byteLength
        outs[i] = r
        continue
      }
      const a = alloc(dtype, n)
      stats.outputBytes += a.byteLength
      outs[i] = a
    }
    ;(this.whole as WholeFn)(inputs, outs)
    return outs
  }
  /** the dtype and length of each output of the whole function, computed at its first run */
  private wholeOuts: readonly { readonly dtype: DType; readonly n: number }[] | null = null

  /** Run and write the outputs into `outs` (which must not alias the inputs). */
  runInto(inputs: readonly TypedArray[], outs: readonly TypedArray[]): void {
    if (this.whole !== null) return this.whole(inputs, outs)
    const spec = this.spec
    const b = this.exec(inputs, (t) => {
      for (let i = 0; i < spec.outs.length; i++) {
        const o = spec.outs[i]
        if (o.kind === 'slot' && spec.slots[o.slot].kind === 'output') t[o.slot] = outs[i]
      }
    })
    for (let i = 0; i < spec.outs.length; i++) {
      const o = spec.outs[i]
      if (o.kind === 'lit') outs[i].fill(castScalar(o.value, o.dtype))
      else if (b[o.slot] !== outs[i]) outs[i].set(b[o.slot])
    }
    this.clear(b)
  }
}
