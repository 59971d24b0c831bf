/**
 * Backend, JS code generator: a compiled program of small kernels as straight-line scalar code.
 * Every element of every slot is a JS local (or a literal); each kernel is unrolled over its
 * (static, small) loop domain, so a broadcast or transposed element is just another local and
 * an index is a number known at generation time. Loop bodies compiled whole (scalarloop.ts)
 * are made of this code.
 *
 * The values are those the kernels compute, bit for bit: every op is the kernel's template
 * (ops.ts) with the kernel's float32 mode, reductions and contractions fold their elements in
 * the kernels' order from the kernels' initial values (sums from 0 in row-major order of the
 * reduced loops), and a value written to a slot is converted as a typed-array store converts it
 * (float32: Math.fround; int32: ToInt32; bool: ToUint8).
 */
import { type DType, castScalar } from '../../ir/dtypes'
import { CodegenError, checkDType, constant, int } from '../emit'
import type { Affine, DotKernel, KNode, LoopKernel, PieceCond, Reduction, Store } from '../kernel'
import type { ProgStep, ProgramSpec } from '../program'
import type { ScalarOp } from '../scalar'
import { sizeOf } from '../../ir/aval'
import { type Helper, emitOp } from './ops'
import { RED_INIT } from './loop'
import { foldOp, foldStore, literalValue } from './fold'

/** Raised inside the generator when a program does not fit (a step that is not a kernel, an
 *  index out of the slot, over budget); the caller then keeps the kernels. */
export class NoFit extends Error {
  override readonly name = 'NoFit'
}

/** What a compiled body needs to know about a loop step of its program (the step's function
 *  is the key: program steps carry no parameters). */
export type LoopMeta =
  | { readonly kind: 'scan'; readonly nConsts: number; readonly nCarry: number; readonly length: number; readonly reverse: boolean; readonly flag?: number; readonly xSizes: readonly number[]; readonly ySizes: readonly number[] }
  | { readonly kind: 'while'; readonly nCondConsts: number; readonly nBodyConsts: number; readonly limit: number }

const loops = new WeakMap<object, LoopMeta>()

/** The code of a sub-program (a loop's body or condition, a branch) on the elements of its
 *  inputs, emitted where it is called: the elements of its outputs (`outSizes`: their sizes). */
export type SubCode = (ins: readonly (readonly string[])[], outSizes: readonly number[]) => string[][]

/** The dtypes of a scan body's xs rows (its inputs after the consts and carries). */
const scanXDtypes = (m: Extract<LoopMeta, { kind: 'scan' }>, body: ProgramSpec): DType[] =>
  m.xSizes.map((_, x) => body.slots[body.inputs[m.nConsts + m.nCarry + x]].dtype)

export const registerLoop = (fn: object, meta: LoopMeta): void => {
  loops.set(fn, meta)
}

/** Ops whose bool result is 0 or 1 (ops.ts templates). */
const ZERO_ONE: ReadonlySet<string> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'cast'])

/** Ops whose bool result is one of their (value) operands, or their bitwise and / or: a byte
 *  when those are bytes. */
const KEEPS_BYTES: ReadonlySet<string> = new Set(['and', 'or', 'max', 'min', 'select'])

/** Inner scans of at most this many steps are unrolled (their rows are then plain locals). */
const UNROLL = 2

/** The elements of one slot: atoms (locals or literals), undefined where not written yet. */
export type Elems = (string | undefined)[]

const affineAt = (a: Affine, p: readonly number[]): number => {
  let v = a.off
  for (let d = 0; d < a.st.length; d++) v += a.st[d] * p[d]
  return v
}

/** Level of an affine index: 1 + the innermost loop it moves with (0: loop-invariant). */
const affineLevel = (a: Affine): number => {
  for (let d = a.st.length - 1; d >= 0; d--) if (a.st[d] !== 0) return d + 1
  return 0
}

// (Cold code: a program's first compilation runs this generator in V8's interpreter, where a
// for-of allocates an iterator result per element, a spread or `.map` an array and a closure
// made per call an object. So the loops over points, nodes and operands are indexed, the
// points of a box are one array stepped in place, and the unrolling of a kernel is methods
// over one record, not closures.)

/** Steps `p` to the next point of the box `ext` in its dimensions from…to−1, row-major (an
 *  odometer: one array is every point in turn); false after the last, with those coordinates
 *  back at 0. */
const advance = (p: number[], ext: readonly number[], from: number, to: number): boolean => {
  for (let d = to - 1; d >= from; d--) {
    if (++p[d] < ext[d]) return true
    p[d] = 0
  }
  return false
}

/** Whether the box `ext` has points in its dimensions from…to−1 (no extent 0 among them). */
const hasPoints = (ext: readonly number[], from: number, to: number): boolean => {
  for (let d = from; d < to; d++) if (ext[d] === 0) return false
  return true
}

/** Points of the box `ext` that agree on their first `l` coordinates. */
const leadingSize = (ext: readonly number[], l: number): number => {
  let n = 1
  for (let d = 0; d < l; d++) n *= ext[d]
  return n
}

/** The kernel `Scalarizer.loop` is unrolling, and what it knows of its nodes. */
interface Unrolling {
  k: LoopKernel
  ins: readonly Elems[]
  outs: readonly Elems[]
  /** the kernel's float32 mode: every float32 op rounds */
  exact: boolean
  /** the reductions' results at the current kept point (the epilogue's `acc` nodes) */
  accs: readonly string[]
  /** per node: its loop level (`nodeLevels`) */
  readonly level: number[]
  /** per node i: the atom of node i at point p is memo[base[i] + the row-major index of p's
   *  first level[i] coordinates in the domain's leading extents] (undefined until computed):
   *  a number index, not a string key built per lookup, since a whole program looks up every
   *  node at every point */
  readonly base: number[]
  readonly memo: (string | undefined)[]
  /** per op node: its operands' dtypes, made when it is first computed */
  readonly argDtypes: (readonly DType[] | undefined)[]
}

/** (the kernel of a Scalarizer that has not unrolled one yet) */
const NO_KERNEL: LoopKernel = { kind: 'loop', f32: 'exact', domain: [], nReduced: 0, inputs: [], outputs: [], nodes: [], stores: [], reductions: [], epilogue: [] }

const NO_ACCS: readonly string[] = []

/** Whether two steps have the same list of slots. */
const sameSlots = (a: readonly number[], b: readonly number[]): boolean => {
  if (a.length !== b.length) return false
  for (let q = 0; q < a.length; q++) if (a[q] !== b[q]) return false
  return true
}

/** Element `i` of input `input` of a kernel. */
const loadAt = (ins: readonly Elems[], input: number, i: number): string => {
  const v = ins[input]?.[i]
  if (v === undefined) throw new NoFit('a load outside the written elements')
  return v
}

/** Whether point `p` meets every condition of a pick's piece (`conds`: its box). */
const covers = (conds: readonly PieceCond[], p: readonly number[]): boolean => {
  for (let j = 0; j < conds.length; j++) {
    const x = affineAt(conds[j].c, p)
    if (!(x >= conds[j].lo && x < conds[j].lo + conds[j].n)) return false
  }
  return true
}

/** The loop level of each node of `k` (as loop.ts; `K`: the kept loops), into `level`: values
 *  are shared between points that agree on the coordinates up to it. */
const nodeLevels = (k: LoopKernel, K: number, level: number[]): void => {
  // (a node reads the levels of nodes before it; any other reads 0, as in a fresh array)
  for (let i = 0; i < k.nodes.length; i++) level[i] = 0
  const rereads = k.rereads ?? []
  for (let i = 0; i < k.nodes.length; i++) {
    const n = k.nodes[i]
    let l = 0
    if (n.k === 'load' || n.k === 'coord') l = affineLevel(n.idx)
    if (n.k === 'load' && rereads.includes(n.input)) l = Math.max(l, K)
    if (n.k === 'acc') l = K
    if (n.k === 'pick') {
      l = level[n.fallback]
      for (let j = 0; j < n.pieces.length; j++) {
        const piece = n.pieces[j]
        l = Math.max(l, affineLevel(piece.idx), piece.node >= 0 ? level[piece.node] : 0)
        for (let c = 0; c < piece.conds.length; c++) l = Math.max(l, affineLevel(piece.conds[c].c))
      }
    }
    if (n.k === 'op') for (let a = 0; a < n.args.length; a++) l = Math.max(l, level[n.args[a]])
    level[i] = l
  }
}

/**
 * The statements giving carries `names` their new values `next` (atoms): assigned directly,
 * except a new value that is another carry of the loop (a swap, a rotation), which is read
 * into a temporary before any carry is written. A carry that keeps its value is not assigned.
 */
export const carryAssign = (names: readonly (readonly string[])[], next: readonly (readonly string[])[], fresh: () => string): string[] => {
  const carried = new Set(names.flat())
  const pre: string[] = []
  const src = next.map((es, q) => es.map((v, i) => {
    if (!carried.has(v) || v === names[q][i]) return v
    const t = fresh()
    pre.push(`const ${t} = ${v};`)
    return t
  }))
  return [...pre, ...names.flatMap((es, q) => es.flatMap((e, i) => (src[q][i] === e ? [] : [`${e} = ${src[q][i]};`])))]
}

export class Scalarizer {
  lines: string[] = []
  readonly helpers = new Set<Helper>()
  private n = 0
  /** the generated code throws MaxStepsExceededError (a nested bounded loop): it needs `mse` */
  usesMse = false
  /** float locals that are a negation: t = −x (for a + (−x) → a − x) */
  private readonly negOf = new Map<string, string>()
  /** atoms that already hold a slot element's converted value (no conversion on a store) */
  private readonly stored = new Map<string, DType>()
  /** The local already holding each op expression, per block of the generated code (the
   *  innermost last): an expression is a pure function of its atoms, so the same text in scope
   *  is the same value, bit for bit. The jacfwd one-hot basis makes such repeats (the tangent
   *  of a·x along the basis vectors not of a is `0 * x` for each of them): computed once, the
   *  step of an interpreted loop allocates fewer boxed numbers before V8 optimizes it. */
  private readonly exprs: Map<string, string>[] = [new Map()]

  /** `budget`: the most statements this code may have. `warm`: the name of a boolean the
   *  generated function receives; when it is true every loop in the code takes no step and
   *  raises nothing (a warm-up call, see scalarloop.ts `warmUp`) — null when the code's own
   *  loop takes care of that. */
  constructor(private budget: number, private readonly warm: string | null = null) {}

  /** The trip bound of a loop of `n` steps (none in a warm-up call). */
  private trips(n: number): string {
    return this.warm === null ? int(n) : `(${this.warm} ? 0 : ${int(n)})`
  }

  /** A fresh local name (`z` and an integer: nothing else reaches the source). */
  fresh(): string {
    return `z${int(this.n++)}`
  }

  emit(line: string): void {
    if (--this.budget < 0) throw new NoFit('over budget')
    this.lines.push(line)
  }

  /** The kernel `loop` unrolls: one record, with its arrays, kept from one kernel to the next
   *  (a whole program unrolls hundreds of kernels of a few nodes one after the other — W12:
   *  740, most of three nodes over four points — and `loop` never runs inside another: fresh
   *  arrays and closures per kernel were most of what the unrolling allocated). */
  private readonly unrolling: Unrolling = { k: NO_KERNEL, ins: [], outs: [], exact: true, accs: [], level: [], base: [], memo: [], argDtypes: [] }

  /** The lines `f` emits, apart (a branch's block), and its result. */
  block<T>(f: () => T): [string[], T] {
    const saved = this.lines
    this.lines = []
    try {
      const r = this.scoped(f)
      return [this.lines, r]
    } finally {
      this.lines = saved
    }
  }

  /** `f`'s code in a block of its own (a loop body, a branch): the locals it declares are not
   *  reused after it. */
  private scoped<T>(f: () => T): T {
    this.exprs.push(new Map())
    try {
      return f()
    } finally {
      this.exprs.pop()
    }
  }

  /** The local holding `expr` in scope, if any. */
  private known(expr: string): string | undefined {
    for (let d = this.exprs.length - 1; d >= 0; d--) {
      const t = this.exprs[d].get(expr)
      if (t !== undefined) return t
    }
    return undefined
  }

  /** Declare `name` as already converted to its slot dtype (typed-array elements, carries). */
  markStored(name: string, dtype: DType): void {
    this.stored.set(name, dtype)
  }

  /** Whether `v` is an integer in 0…255 (a bool store keeps it as it is). */
  private isByte(v: string): boolean {
    if (this.stored.get(v) === 'bool') return true
    const x = literalValue(v)
    return x !== undefined && Number.isInteger(x) && x >= 0 && x <= 255
  }

  /** `v` as a typed array of `dtype` would store it. */
  convert(v: string, dtype: DType): string {
    if (dtype === 'float64' || this.stored.get(v) === dtype || checkDType(dtype) === 'float64') return v
    const lit = foldStore(v, dtype)
    if (lit !== null) return lit
    const expr = dtype === 'float32' ? `Math.fround(${v})` : dtype === 'int32' ? `(${v} | 0)` : `(${v} & 255)`
    const t = this.fresh()
    this.emit(`const ${t} = ${expr};`)
    this.stored.set(t, dtype)
    return t
  }

  /** The code of program `spec` as a sub-program. */
  private code(spec: ProgramSpec): SubCode {
    return (ins, outSizes) => this.program(spec, ins, outSizes)
  }

  /**
   * Straight-line code of `spec` on the elements of its inputs; returns the elements of its
   * outputs (`outSizes`: their sizes, for outputs that are literals).
   */
  program(spec: ProgramSpec, inputs: readonly (readonly string[])[], outSizes: readonly number[]): string[][] {
    const vals: (Elems | undefined)[] = new Array(spec.slots.length)
    for (let q = 0; q < spec.inputs.length; q++) vals[spec.inputs[q]] = inputs[q].slice()
    for (let j = 0; j < spec.slots.length; j++) {
      const s = spec.slots[j]
      if (s.kind === 'const') vals[j] = [constant(s.value ?? 0, s.dtype)]
    }
    const get = (slot: number): Elems => {
      const v = vals[slot]
      if (v === undefined) throw new NoFit('a slot read before it is written')
      return v
    }
    let prev: ProgStep | undefined
    for (let i = 0; i < spec.steps.length; i++) {
      const st = spec.steps[i]
      const before = prev
      prev = st
      if (st.kind === 'fn' && st.label === 'cond') {
        const ins = st.ins.map(get)
        const res = this.cond(st.subs.map((b) => this.code(b.spec)), ins[0][0], ins.slice(1).map((e) => e.map((v) => {
          if (v === undefined) throw new NoFit('a branch operand never written')
          return v
        })), st.outs.map((slot) => ({ size: sizeOf(spec.slots[slot].shape), dtype: spec.slots[slot].dtype })))
        st.outs.forEach((slot, q) => (vals[slot] = res[q]))
        continue
      }
      const meta = st.kind === 'fn' ? loops.get(st.fn) : undefined
      if (st.kind === 'fn' && meta !== undefined) {
        const ins = st.ins.map((slot) => get(slot).map((v) => {
          if (v === undefined) throw new NoFit('a loop operand never written')
          return v
        }))
        const parts = st.outs.map((slot) => ({ size: sizeOf(spec.slots[slot].shape), dtype: spec.slots[slot].dtype }))
        const res = meta.kind === 'scan' ? this.scan(meta, this.code(st.subs[0].spec), scanXDtypes(meta, st.subs[0].spec), ins, parts) : this.while(meta, this.code(st.subs[0].spec), this.code(st.subs[1].spec), ins, parts)
        st.outs.forEach((slot, q) => (vals[slot] = res[q]))
        continue
      }
      if (st.kind !== 'kernel') throw new NoFit('a step that is not a kernel')
      // the kernel's outputs start empty (a reread reads what this kernel wrote), except after
      // a kernel with the same outputs: the boxes of one split kernel (split.ts) each write a
      // part of the same slots, one after the other
      if (before?.kind !== 'kernel' || !sameSlots(before.outs, st.outs)) {
        for (let q = 0; q < st.outs.length; q++) vals[st.outs[q]] = new Array<string | undefined>(sizeOf(spec.slots[st.outs[q]].shape))
      }
      const ins = st.ins.map(get)
      const outs = st.outs.map(get)
      if (st.kernel.kind === 'dot') this.dot(st.kernel, ins, outs[0])
      else this.loop(st.kernel, ins, outs)
    }
    return spec.outs.map((o, q) => {
      if (o.kind === 'lit') return new Array<string>(outSizes[q]).fill(constant(castScalar(o.value, o.dtype), o.dtype))
      return get(o.slot).map((e) => {
        if (e === undefined) throw new NoFit('an output element is never written')
        return e
      })
    })
  }

  /**
   * `cond`/`switch`: the branch chosen by the index (clamped into range, as the cond step
   * does), as an if/else chain assigning the result elements declared before it.
   */
  protected cond(branches: readonly SubCode[], which: string | undefined, ops: readonly (readonly string[])[], outs: readonly { size: number; dtype: DType }[]): string[][] {
    if (which === undefined || branches.length === 0) throw new NoFit('a cond without an index')
    const res = outs.map((o) => Array.from({ length: o.size }, () => this.fresh()))
    res.forEach((es, q) => es.forEach((e) => this.markStored(e, outs[q].dtype)))
    const decl = res.flat()
    if (decl.length > 0) this.emit(`let ${decl.join(', ')};`)
    branches.forEach((b, i) => {
      const [lines, vals] = this.block(() => b(ops, outs.map((o) => o.size)))
      const test = i === branches.length - 1 ? null : i === 0 ? `${which} <= 0` : `${which} === ${int(i)}`
      this.emit(i === 0 ? `if (${test ?? 'true'}) {` : test === null ? '} else {' : `} else if (${test}) {`)
      lines.forEach((l) => this.lines.push(l))
      vals.forEach((es, q) => es.forEach((v, e) => this.lines.push(`${res[q][e]} = ${this.convert(v, outs[q].dtype)};`)))
    })
    this.emit('}')
    return res
  }

  /** Scratch arrays of the generated function (declared once, outside it: `decls`). */
  readonly decls: string[] = []

  /** A new scratch array of `size` elements. */
  scratch(dtype: DType, size: number): string {
    const b = `B${int(this.decls.length)}`
    const ctor = { float64: 'Float64Array', float32: 'Float32Array', int32: 'Int32Array', bool: 'Uint8Array' }[checkDType(dtype)]
    this.decls.push(`const ${b} = new ${ctor}(${int(Math.max(size, 1))});`)
    if (this.decls.length > 64) throw new NoFit('too many scratch arrays')
    return b
  }

  /** An array holding `elems` in order: the scratch array they were read from, or a new one
   *  they are copied into. */
  private bufferOf(elems: readonly string[], dtype: DType): string {
    const m = /^(B\d+)\[0\]$/.exec(elems[0] ?? '')
    if (m !== null && elems.every((e, k) => e === `${m[1]}[${k}]`)) return m[1]
    const b = this.scratch(dtype, elems.length)
    elems.forEach((e, k) => this.emit(`${b}[${int(k)}] = ${e};`))
    return b
  }

  /** Carries as `let` locals, initialized from `init`; returns their names. */
  private lets(init: readonly (readonly string[])[], parts: readonly { dtype: DType }[]): string[][] {
    const names = init.map((es) => es.map(() => this.fresh()))
    names.forEach((es, q) => es.forEach((e) => this.markStored(e, parts[q].dtype)))
    const decl = names.flatMap((es, q) => es.map((e, i) => `${e} = ${init[q][i]}`))
    if (decl.length > 0) this.emit(`let ${decl.join(', ')};`)
    return names
  }

  /** The end of a step: new carry values (see `carryAssign`). */
  private assign(names: readonly (readonly string[])[], next: readonly (readonly string[])[], parts: readonly { dtype: DType }[]): void {
    const vals = next.map((es, q) => es.map((v) => this.convert(v, parts[q].dtype)))
    carryAssign(names, vals, () => this.fresh()).forEach((l) => this.emit(l))
  }

  /**
   * A scan inside the body: without xs and ys, a loop over its steps (carries in locals); with
   * them, unrolled (every row element is then a local). A bounded while loop's flag ends the
   * inner loop; still set after the last step, it raises MaxStepsExceededError.
   */
  protected scan(m: Extract<LoopMeta, { kind: 'scan' }>, body: SubCode, xDtypes: readonly DType[], ins: readonly (readonly string[])[], outs: readonly { size: number; dtype: DType }[]): string[][] {
    const nC = m.nConsts
    const nK = m.nCarry
    const consts = ins.slice(0, nC)
    const carryParts = outs.slice(0, nK)
    const bodySizes = [...carryParts.map((p) => p.size), ...m.ySizes]
    if (m.length > UNROLL || m.flag !== undefined) {
      // stacked xs and ys live in scratch arrays of the generated function (see `scratch`)
      const xBufs = m.xSizes.map((_, x) => this.bufferOf(ins[nC + nK + x], xDtypes[x]))
      const yBufs = m.ySizes.map((n, y) => this.scratch(outs[nK + y].dtype, n * m.length))
      const names = this.lets(ins.slice(nC, nC + nK), carryParts)
      // (a bounded while loop that ends early leaves the remaining rows zero)
      if (m.flag !== undefined) yBufs.forEach((b) => this.emit(`${b}.fill(0);`))
      const t = this.fresh()
      const i = this.fresh()
      this.emit(`for (let ${t} = 0; ${t} < ${this.trips(m.length)}; ${t}++) {`)
      this.exprs.push(new Map())
      this.emit(`const ${i} = ${m.reverse ? `${int(m.length - 1)} - ${t}` : t};`)
      const rows = m.xSizes.map((n, x) => Array.from({ length: n }, (_, e) => {
        const r = this.fresh()
        this.emit(`const ${r} = ${xBufs[x]}[${i} * ${int(n)} + ${int(e)}];`)
        this.markStored(r, xDtypes[x])
        return r
      }))
      const res = body([...consts, ...names, ...rows], bodySizes)
      res.slice(nK).forEach((es, y) => es.forEach((v, e) => this.emit(`${yBufs[y]}[${i} * ${int(m.ySizes[y])} + ${int(e)}] = ${v};`)))
      this.assign(names, res.slice(0, nK), carryParts)
      const flag = m.flag === undefined ? null : names[m.flag].map((e) => `${e} !== 0`).join(' || ')
      if (flag === '') throw new NoFit('an empty flag')
      if (flag !== null) this.emit(`if (!(${flag})) break;`)
      this.exprs.pop()
      this.emit('}')
      if (flag !== null) {
        this.usesMse = true
        this.emit(`if (${this.warm === null ? '' : `!${this.warm} && `}(${flag})) throw mse(${int(m.length)});`)
      }
      // the ys' elements are read from the scratch array: before anything writes it again
      // (the next pass of an enclosing loop), every use of them has run
      const ys = yBufs.map((b, y) => Array.from({ length: m.ySizes[y] * m.length }, (_, k) => {
        const a = `${b}[${int(k)}]`
        this.markStored(a, outs[nK + y].dtype)
        return a
      }))
      return [...names, ...ys]
    }
    let carry: (readonly string[])[] = ins.slice(nC, nC + nK)
    const ys = m.ySizes.map((n, y) => new Array<string>(n * m.length).fill(constant(0, outs[nK + y].dtype)))
    for (let t = 0; t < m.length; t++) {
      const i = m.reverse ? m.length - 1 - t : t
      const rows = m.xSizes.map((n, x) => ins[nC + nK + x].slice(i * n, (i + 1) * n))
      const res = body([...consts, ...carry, ...rows], bodySizes)
      carry = res.slice(0, nK).map((es, q) => es.map((v) => this.convert(v, carryParts[q].dtype)))
      res.slice(nK).forEach((es, y) => es.forEach((v, e) => (ys[y][i * m.ySizes[y] + e] = this.convert(v, outs[nK + y].dtype))))
    }
    return [...carry.map((es) => [...es]), ...ys]
  }

  /** A while loop inside the body: a loop with the condition on locals. */
  protected while(m: Extract<LoopMeta, { kind: 'while' }>, cond: SubCode, body: SubCode, ins: readonly (readonly string[])[], outs: readonly { size: number; dtype: DType }[]): string[][] {
    const cc = ins.slice(0, m.nCondConsts)
    const bc = ins.slice(m.nCondConsts, m.nCondConsts + m.nBodyConsts)
    const names = this.lets(ins.slice(m.nCondConsts + m.nBodyConsts), outs)
    const s = this.fresh()
    this.emit(`for (let ${s} = 0; ${this.warm === null ? '' : `!${this.warm}`}; ${s}++) {`)
    this.exprs.push(new Map())
    const [[pred]] = cond([...cc, ...names], [1])
    this.emit(`if (${this.convert(pred, 'bool')} === 0) break;`)
    if (Number.isFinite(m.limit)) {
      this.usesMse = true
      this.emit(`if (${s} >= ${int(m.limit)}) throw mse(${int(m.limit)});`)
    }
    const next = body([...bc, ...names], outs.map((p) => p.size))
    this.assign(names, next, outs)
    this.exprs.pop()
    this.emit('}')
    return names
  }

  /** out[b,m,n] = Σ_k lhs[b,m,k]·rhs[b,k,n], each sum from 0 over k in order (dot.ts). */
  private dot(k: DotKernel, ins: readonly Elems[], out: Elems): void {
    const at = (e: Elems, i: number): string => {
      const v = e[i]
      if (v === undefined) throw new NoFit('a contraction operand out of range')
      return v
    }
    const A = ins[k.lhs.input]
    const C = ins[k.rhs.input]
    for (let b = 0; b < k.B; b++) {
      for (let m = 0; m < k.M; m++) {
        for (let q = 0; q < k.N; q++) {
          let s = '0'
          for (let c = 0; c < k.K; c++) {
            const x = at(A, k.lhs.off + b * k.lhs.sb + m * k.lhs.sr + c * k.lhs.sc)
            const y = at(C, k.rhs.off + b * k.rhs.sb + c * k.rhs.sr + q * k.rhs.sc)
            const t = this.fresh()
            this.emit(`const ${t} = ${k.acc === 'int32' ? `(${s} + Math.imul(${x}, ${y}) | 0)` : `(${s} + ${x} * ${y})`};`)
            s = t
          }
          out[b * k.M * k.N + m * k.N + q] = this.convert(s, k.out)
        }
      }
    }
  }

  /** A loop kernel unrolled over its domain (loop.ts is the definition it follows). */
  protected loop(k: LoopKernel, ins: readonly Elems[], outs: readonly Elems[]): void {
    const R = k.domain.length
    const K = R - k.nReduced
    const u = this.unrolling
    u.k = k
    u.ins = ins
    u.outs = outs
    u.exact = k.f32 === 'exact'
    u.accs = NO_ACCS
    // (the arrays, cleared for this kernel)
    nodeLevels(k, K, u.level)
    let size = 0
    for (let i = 0; i < k.nodes.length; i++) {
      u.base[i] = size
      size += leadingSize(k.domain, u.level[i])
      u.argDtypes[i] = undefined
    }
    for (let j = 0; j < size; j++) u.memo[j] = undefined
    // (an elementwise kernel, most of a whole program's: every point once, stores only)
    if (K === R && k.reductions.length === 0 && k.epilogue.length === 0) {
      const p = new Array<number>(R).fill(0)
      for (let more = hasPoints(k.domain, 0, R); more; more = advance(p, k.domain, 0, R)) this.storeAt(k.stores, p)
      return
    }
    this.reduceSweep(k, K)
  }

  /** The atom of node `i` of the kernel at point `p`, computed once per point of its level. */
  private value(i: number, p: readonly number[]): string {
    const u = this.unrolling
    if (!Number.isInteger(i) || i < 0 || i >= u.k.nodes.length) throw new CodegenError(`codegen: bad node reference ${i}`)
    let lin = 0
    for (let d = 0; d < u.level[i]; d++) lin = lin * u.k.domain[d] + p[d]
    const hit = u.memo[u.base[i] + lin]
    if (hit !== undefined) return hit
    const v = this.compute(i, p)
    u.memo[u.base[i] + lin] = v
    return v
  }

  /** (`value` where not memoized yet) */
  private compute(i: number, p: readonly number[]): string {
    const u = this.unrolling
    const n = u.k.nodes[i]
    switch (n.k) {
      case 'lit': return constant(n.value, n.dtype)
      case 'coord': return int(affineAt(n.idx, p))
      case 'acc': {
        const a = u.accs[n.red]
        if (a === undefined) throw new CodegenError(`codegen: bad reduction reference ${n.red}`)
        return a
      }
      case 'load': {
        const at = affineAt(n.idx, p)
        return loadAt(u.ins, n.input, n.clamp >= 0 ? Math.min(Math.max(at, 0), n.clamp) : at)
      }
      case 'pick': {
        for (let j = 0; j < n.pieces.length; j++) {
          const piece = n.pieces[j]
          if (!covers(piece.conds, p)) continue
          return piece.node >= 0 ? this.value(piece.node, p) : loadAt(u.ins, piece.input, affineAt(piece.idx, p))
        }
        return this.value(n.fallback, p)
      }
      case 'op': {
        const args = new Array<string>(n.args.length)
        for (let a = 0; a < n.args.length; a++) args[a] = this.value(n.args[a], p)
        const nodes = u.k.nodes
        const dts = (u.argDtypes[i] ??= n.args.map((a) => nodes[a].dtype))
        return this.opNode(n.op, n.dtype, n.attr, args, dts, u.exact)
      }
    }
  }

  /** Atom `v` stored into element `i` of output `out`, converted as a typed array of its dtype stores it. */
  private write(out: number, i: number, v: string): void {
    const u = this.unrolling
    const o = u.outs[out]
    if (o === undefined || !Number.isInteger(i) || i < 0 || i >= o.length) throw new NoFit('a store outside its slot')
    o[i] = this.convert(v, u.k.outputs[out])
  }

  /** The stores `stores` at point `p`. */
  private storeAt(stores: readonly Store[], p: readonly number[]): void {
    for (let s = 0; s < stores.length; s++) this.write(stores[s].out, affineAt(stores[s].idx, p), this.value(stores[s].node, p))
  }

  /** The sweeps of a kernel with reduced loops or reductions: for each kept point, the stores
   *  and the reductions folded in row-major order, then the reductions' results (the
   *  epilogue's `acc` nodes) and the epilogue's second sweep. */
  private reduceSweep(k: LoopKernel, K: number): void {
    const R = k.domain.length
    // one point, stepped through: the kept coordinates (0…K−1), and for each kept point the
    // reduced ones (K…R−1), which are back at 0 after each sweep
    const p = new Array<number>(R).fill(0)
    const sweeps = hasPoints(k.domain, K, R)
    for (let kept = hasPoints(k.domain, 0, K); kept; kept = advance(p, k.domain, 0, K)) {
      const acc = k.reductions.map((r) => RED_INIT[r.op](r.acc))
      const arg = k.reductions.map(() => '0')
      for (let more = sweeps; more; more = advance(p, k.domain, K, R)) {
        this.storeAt(k.stores, p)
        for (let j = 0; j < k.reductions.length; j++) {
          const r = k.reductions[j]
          const c = this.combine(r, acc[j], arg[j], this.value(r.node, p), K < R ? int(p[K]) : '0')
          acc[j] = c[0]
          arg[j] = c[1]
        }
      }
      // the reductions' results (rounded as stored; the reduced coordinates are 0 here), then
      // the epilogue's second sweep
      this.unrolling.accs = k.reductions.map((r, j) => {
        const v = r.op.startsWith('arg') ? arg[j] : acc[j]
        this.write(r.out, affineAt(r.idx, p), v)
        if (checkDType(k.outputs[r.out]) !== 'float32') return v
        const t = this.fresh()
        this.emit(`const ${t} = Math.fround(${v});`)
        return t
      })
      if (k.epilogue.length > 0) for (let more = sweeps; more; more = advance(p, k.domain, K, R)) this.storeAt(k.epilogue, p)
    }
  }

  /** The atom of op node `n` on operand atoms `args` (of dtypes `argDtypes`): a literal folded
   *  at generation time, an atom the op leaves as it is, a local already holding the same
   *  expression, or a new local. (A method of its own, not a case of `compute`: V8 optimizes
   *  the small functions of a first call separately and sooner.) */
  protected opNode(nodeOp: ScalarOp, dtype: DType, attr: number, args: string[], argDtypes: readonly DType[], exact: boolean): string {
    // (literal operands: the value, or the operand an identity leaves, with no statement)
    const folded = foldOp(nodeOp, dtype, args, argDtypes, attr, exact)
    if (folded !== null) return folded
    let op = nodeOp
    const float = dtype === 'float64' || dtype === 'float32'
    // a + (−x) = (−x) + a = a − x exactly in IEEE arithmetic (subtraction is defined so),
    // so the jvp's negate-then-add costs one op, as written by hand
    if (float && op === 'add' && argDtypes[0] === dtype && argDtypes[1] === dtype) {
      const x = args[0]
      const y = args[1]
      const ny = this.negOf.get(y)
      const nx = this.negOf.get(x)
      if (ny !== undefined) (op = 'sub'), (args = [x, ny])
      else if (nx !== undefined) (op = 'sub'), (args = [y, nx])
    }
    const t = this.fresh()
    const e = emitOp(op, dtype, args, argDtypes, attr, t, exact)
    for (let h = 0; h < e.helpers.length; h++) this.helpers.add(e.helpers[h])
    // (an op that is its operand — stop_gradient, a select of one case — is that atom)
    if (e.pre.length === 0 && args.includes(e.expr)) return e.expr
    const same = e.pre.length === 0 ? this.known(e.expr) : undefined
    if (same !== undefined) return same
    if (float && op === 'neg' && argDtypes[0] === dtype) this.negOf.set(t, args[0])
    for (let l = 0; l < e.pre.length; l++) this.emit(e.pre[l])
    this.emit(`const ${t} = ${e.expr};`)
    if (e.pre.length === 0) this.exprs[this.exprs.length - 1].set(e.expr, t)
    // (a float32 result already rounded needs no rounding where it is stored: one
    // statement fewer per float32 value a program materializes)
    if (exact && dtype === 'float32' && e.expr.startsWith('Math.fround(')) this.markStored(t, 'float32')
    // (a comparison or a cast to bool is 0 or 1, which a bool store keeps as it is)
    if (dtype === 'bool' && (ZERO_ONE.has(op) || (KEEPS_BYTES.has(op) && args.slice(op === 'select' ? 1 : 0).every((a) => this.isByte(a))))) this.markStored(t, 'bool')
    return t
  }

  /** One element folded into a reduction (loop.ts `combine`): the new accumulator and index. */
  protected combine(r: Pick<Reduction, 'op' | 'acc'>, acc: string, k: string, v: string, counter: string): [string, string] {
    const intAcc = r.acc === 'int32'
    const t = this.fresh()
    switch (r.op) {
      case 'sum': this.emit(`const ${t} = ${intAcc ? `(${acc} + ${v} | 0)` : `(${acc} + ${v})`};`); return [t, k]
      case 'prod': this.emit(`const ${t} = ${intAcc ? `Math.imul(${acc}, ${v})` : `(${acc} * ${v})`};`); return [t, k]
      case 'max': this.emit(`const ${t} = (${v} > ${acc} || ${v} !== ${v} ? ${v} : ${acc});`); return [t, k]
      case 'min': this.emit(`const ${t} = (${v} < ${acc} || ${v} !== ${v} ? ${v} : ${acc});`); return [t, k]
      case 'argmax':
      case 'argmin': {
        const cmp = r.op === 'argmax' ? '>' : '<'
        const c = this.fresh()
        const g = this.fresh()
        this.emit(`const ${c} = ${acc} === ${acc} && (${v} ${cmp} ${acc} || ${v} !== ${v});`)
        this.emit(`const ${t} = ${c} ? ${v} : ${acc};`)
        this.emit(`const ${g} = ${c} ? ${counter} : ${k};`)
        return [t, g]
      }
    }
  }
}
