/**
 * Backend: which planned kernels run as WebAssembly SIMD kernels (src/backend/wasm), and their
 * wasm specs. A pure translation of the kernel IR; `wasmrun.ts` runs the result.
 *
 * A loop kernel qualifies when, after loop normalization, it is
 *   - a map: one loop, every load contiguous (stride 1) or a broadcast scalar (stride 0), every
 *     store contiguous; or
 *   - a single sum/max/min reduction without stores, whose loads have the layout
 *     [outer, red, inner] of the wasm reduce kernel (inner = 1: reduce the last axes; outer = 1:
 *     the leading ones, as a bias gradient sums over the batch); or
 *   - float32 only: a sum along each row of a [rows, n] domain followed by an epilogue that
 *     maps the same row (per-example gradients, normalisations): see wasm/rowreduce.ts;
 * with all its values of one float dtype (bool predicates in between are fine) and every op in
 * the wasm vocabulary. A contraction qualifies when both operands are float views with unit
 * stride along rows or columns (a transposed operand is read in place).
 *
 * Precision policy (docs/performance.md): float64 kernels qualify only when each of their ops
 * is correctly rounded in wasm as in JS (arithmetic, sqrt, comparisons, selects, integer
 * powers), so float64 maps stay bitwise equal to the reference interpreter; float64
 * transcendentals stay in generated JS. float32 kernels use wasm's own float32 transcendentals
 * (≤ 1 ulp from the float64 function rounded to float32; logistic ≤ 2 ulp), sums are
 * reassociated in blocks (accumulated in float64 for float32), and float32 matmuls accumulate
 * in float32 as sgemm does.
 */
import { sizeOf } from '../ir/aval'
import type { DType } from '../ir/dtypes'
import type { DotKernel, KNode, Kernel, LoopKernel } from './kernel'
import { foldConstants } from './wasm/foldconst'
import { foldNegations } from './wasm/foldneg'
import { type BinaryOp, type Expr, type FloatDType, type InputKind, type Pred, type ReduceOp, type RowInputKind, type UnaryOp, UNSUPPORTED, ex } from './wasm'

/** One wasm input: kernel input `input` read from element `off + row·rowStride` on,
 *  contiguous (`array`) or one element broadcast (`scalar`). */
export interface WasmInput {
  readonly input: number
  readonly off: number
  readonly kind: InputKind
  readonly rowStride: number
}

export type WasmPlan =
  /** `rows` calls of the map kernel over `n` elements each (a broadcast row, a bias, is an
   *  `array` input with row stride 0; a broadcast column a `scalar` one with row stride 1).
   *  Output j goes to kernel output `outOf[j]`, row r from element `at[j].off + r·at[j].rowStride`
   *  on (a box of a split kernel writes part of its outputs: split.ts). */
  | {
      readonly kind: 'map'
      readonly dtype: FloatDType
      readonly rows: number
      readonly n: number
      readonly ins: readonly WasmInput[]
      readonly outs: readonly Expr[]
      readonly outOf: readonly number[]
      readonly at: readonly { readonly off: number; readonly rowStride: number }[]
    }
  | {
      readonly kind: 'reduce'
      readonly dtype: FloatDType
      readonly op: ReduceOp
      readonly outer: number
      readonly red: number
      readonly inner: number
      readonly ins: readonly WasmInput[]
      readonly prologue: Expr
    }
  /** A float32 row sum followed by a map over the same row (wasm/rowreduce.ts): the sum goes
   *  to kernel output `acc` ([rows]), output j's rows to kernel output `outOf[j]` ([rows, n]).
   *  Input `-1` is the row's reduced value. */
  | {
      readonly kind: 'rowreduce'
      readonly dtype: 'float32'
      readonly rows: number
      readonly n: number
      readonly ins: readonly WasmInput[]
      readonly kinds: readonly RowInputKind[]
      readonly factors: readonly Expr[]
      readonly outs: readonly Expr[]
      readonly acc: number
      readonly outOf: readonly number[]
    }
  | {
      readonly kind: 'matmul'
      readonly dtype: FloatDType
      readonly B: number
      readonly M: number
      readonly K: number
      readonly N: number
      readonly transA: boolean
      readonly transB: boolean
      readonly a: { readonly off: number; readonly sb: number; readonly ld: number }
      readonly b: { readonly off: number; readonly sb: number; readonly ld: number }
    }

const UNARY: ReadonlySet<string> = new Set<UnaryOp>(['neg', 'abs', 'sqrt', 'rsqrt', 'floor', 'ceil', 'round', 'sign', 'exp', 'expm1', 'log', 'log1p', 'tanh', 'logistic', 'sin', 'cos'])
const BINARY: ReadonlySet<string> = new Set<BinaryOp>(['add', 'sub', 'mul', 'div', 'min', 'max', 'pow'])
const COMPARE: ReadonlySet<string> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge'])
/** Ops whose float64 wasm result is the correctly rounded one, as in JS. */
const EXACT64: ReadonlySet<string> = new Set(['neg', 'abs', 'sqrt', 'rsqrt', 'floor', 'ceil', 'round', 'sign', 'add', 'sub', 'mul', 'div', 'min', 'max'])

const isFloat = (d: DType): d is FloatDType => d === 'float32' || d === 'float64'

type Translated = Expr | Pred | null
/** A translation in progress: yields the nodes it needs, is resumed with their translations. */
type Translation = Generator<number, Translated, Translated>

/**
 * Translates a kernel's nodes into wasm expressions; null for anything outside the vocabulary
 * (also used by wasmresident.ts, whose `kindOf` numbers the outer strides of each load).
 * Translation runs on an explicit stack (a kernel's nodes may chain thousands deep), in the
 * order plain recursion would visit them: inputs are numbered in the order they are first read.
 */
export class Translator {
  private readonly memo = new Map<number, Translated>()
  readonly ins: WasmInput[] = []
  private readonly inKey = new Map<string, number>()

  /** `kindOf` classifies a load by its loop strides: its kind and row stride, or null. */
  /** `rowAcc`: 'acc' nodes read the row's reduced value (a row reduction's epilogue). */
  constructor(
    private readonly nodes: readonly KNode[],
    readonly dtype: FloatDType,
    private readonly kindOf: (st: readonly number[]) => readonly [InputKind, number] | null,
    private readonly rowAcc = false,
  ) {}

  expr(i: number): Expr | null {
    return this.isPred(i) ? null : (this.run(i) as Expr | null)
  }

  private isPred(i: number): boolean {
    const n = this.nodes[i]
    return n.k === 'op' && n.dtype === 'bool'
  }

  private *exprOf(i: number): Translation {
    if (this.isPred(i)) return null
    return this.memo.has(i) ? (this.memo.get(i) as Translated) : yield i
  }

  private *predOf(i: number): Translation {
    if (!this.isPred(i)) return null
    return this.memo.has(i) ? (this.memo.get(i) as Translated) : yield i
  }

  private run(first: number): Translated {
    if (this.memo.has(first)) return this.memo.get(first) as Translated
    const stack: { readonly i: number; readonly gen: Translation }[] = [{ i: first, gen: this.translate(this.nodes[first]) }]
    let input: Translated = null
    for (;;) {
      const top = stack[stack.length - 1]
      const step = top.gen.next(input)
      if (step.done) {
        this.memo.set(top.i, step.value)
        stack.pop()
        if (stack.length === 0) return step.value
        input = step.value
      } else if (this.memo.has(step.value)) input = this.memo.get(step.value) as Translated
      else {
        input = null
        stack.push({ i: step.value, gen: this.translate(this.nodes[step.value]) })
      }
    }
  }

  private input(input: number, off: number, [kind, rowStride]: readonly [InputKind, number]): Expr {
    const key = `${input}:${off}:${kind}:${rowStride}`
    let j = this.inKey.get(key)
    if (j === undefined) {
      j = this.ins.length
      this.ins.push({ input, off, kind, rowStride })
      this.inKey.set(key, j)
    }
    return ex.input(j)
  }

  private *translate(n: KNode): Translation {
    const d = this.dtype
    switch (n.k) {
      case 'load': {
        if (n.dtype !== d || n.clamp >= 0) return null
        const kind = this.kindOf(n.idx.st)
        return kind === null ? null : this.input(n.input, n.idx.off, kind)
      }
      case 'lit':
        return n.dtype === d ? ex.c(n.value) : null
      case 'op':
        return yield* this.op(n)
      case 'acc':
        // the row's reduced value, as stored (rounded to the kernel dtype): a row reduction's input −1
        return this.rowAcc && n.dtype === d ? this.input(-1, 0, ['scalar', 1]) : null
      default:
        return null
    }
  }

  /** Node i as a float64 product of two float32 nodes (exact: at most 48 significant bits),
   *  possibly plus a literal +0 (which only turns −0 into +0), or null. */
  exactProduct(i: number): { readonly x: number; readonly y: number; readonly plusZero: boolean } | null {
    const n = this.nodes[i]
    if (n.k !== 'op' || n.dtype !== 'float64' || n.args.length !== 2) return null
    const f32 = (j: number): boolean => this.nodes[j].dtype === 'float32'
    if (n.op === 'mul') return f32(n.args[0]) && f32(n.args[1]) ? { x: n.args[0], y: n.args[1], plusZero: false } : null
    if (n.op !== 'add') return null
    const isZero = (j: number): boolean => {
      const m = this.nodes[j]
      return m.k === 'lit' && Object.is(m.value, 0)
    }
    const [a, b] = n.args
    const p = isZero(a) ? this.exactProduct(b) : isZero(b) ? this.exactProduct(a) : null
    return p === null || p.plusZero ? null : { ...p, plusZero: true }
  }

  private *op(n: Extract<KNode, { k: 'op' }>): Translation {
    const d = this.dtype
    // float32(x·y [+ 0]) computed in float64 from float32 x, y (a contraction without a
    // contracted axis): the product is exact, so rounding it once is the float32 product
    if (d === 'float32' && n.op === 'cast' && n.dtype === d && n.args.length === 1) {
      const p = this.exactProduct(n.args[0])
      if (p !== null) {
        const x = (yield* this.exprOf(p.x)) as Expr | null
        const y = (yield* this.exprOf(p.y)) as Expr | null
        if (x === null || y === null) return null
        return p.plusZero ? ex.add(ex.c(0), ex.mul(x, y)) : ex.mul(x, y)
      }
    }
    const exact = d === 'float32' || EXACT64.has(n.op)
    if (n.dtype === d && n.args.every((a) => this.nodes[a].dtype === d)) {
      if (UNARY.has(n.op) && n.args.length === 1 && exact) return map1((yield* this.exprOf(n.args[0])) as Expr | null, (x) => ex.unary(n.op as UnaryOp, x))
      if (BINARY.has(n.op) && n.args.length === 2 && exact && !UNSUPPORTED[d].has(n.op as BinaryOp)) {
        const x = (yield* this.exprOf(n.args[0])) as Expr | null
        const y = (yield* this.exprOf(n.args[1])) as Expr | null
        return x === null || y === null ? null : ex.binary(n.op as BinaryOp, x, y)
      }
      if (n.op === 'ipow' && n.args.length === 1) return map1((yield* this.exprOf(n.args[0])) as Expr | null, (x) => ex.ipow(x, n.attr))
      if (n.op === 'cast') return yield* this.exprOf(n.args[0])
      return null
    }
    if (n.dtype === 'bool') {
      if (COMPARE.has(n.op) && n.args.every((a) => this.nodes[a].dtype === d)) {
        const x = (yield* this.exprOf(n.args[0])) as Expr | null
        const y = (yield* this.exprOf(n.args[1])) as Expr | null
        return x === null || y === null ? null : ex.compare(n.op as 'eq', x, y)
      }
      if ((n.op === 'and' || n.op === 'or') && n.args.length === 2) {
        const x = (yield* this.predOf(n.args[0])) as Pred | null
        const y = (yield* this.predOf(n.args[1])) as Pred | null
        return x === null || y === null ? null : n.op === 'and' ? ex.and(x, y) : ex.or(x, y)
      }
      if (n.op === 'not' && n.args.length === 1) return map1((yield* this.predOf(n.args[0])) as Pred | null, ex.not)
      return null
    }
    if (n.dtype !== d) return null
    // select_n(pred, onFalse, onTrue): a bool predicate picks its second case when true
    if (n.op === 'select' && n.args.length === 3 && this.nodes[n.args[0]].dtype === 'bool') {
      const p = (yield* this.predOf(n.args[0])) as Pred | null
      const f = (yield* this.exprOf(n.args[1])) as Expr | null
      const t = (yield* this.exprOf(n.args[2])) as Expr | null
      return p === null || f === null || t === null ? null : ex.select(p, t, f)
    }
    if (n.op === 'cast' && n.args.length === 1 && this.nodes[n.args[0]].dtype === 'bool') return map1((yield* this.predOf(n.args[0])) as Pred | null, ex.fromPred)
    return null
  }
}

const map1 = <A, B>(x: A | null, f: (x: A) => B): B | null => (x === null ? null : f(x))

export const kernelDtype = (k: { readonly inputs: readonly DType[]; readonly outputs: readonly DType[] }): FloatDType | null => {
  const all = [...k.inputs, ...k.outputs]
  const d = all[0]
  return d !== undefined && isFloat(d) && all.every((x) => x === d) ? d : null
}

/** The wasm plan of a normalized loop kernel, or null when it must stay in JS. */
export const wasmLoopPlan = (k: LoopKernel): WasmPlan | null => {
  const dtype = kernelDtype(k)
  if (dtype === null || k.nodes.some((n) => n.k === 'coord' || n.k === 'pick')) return null
  if (k.epilogue.length > 0) return rowReducePlan(k, dtype)
  if (k.nodes.some((n) => n.k === 'acc')) return null
  if (k.reductions.length === 0) return mapPlan(k, dtype)
  if (k.reductions.length === 1 && k.stores.length === 0) return reducePlan(k, dtype)
  return null
}

/** Rows shorter than this stay in JS (each row is a call into wasm). */
const MIN_ROW = 128

const mapPlan = (k: LoopKernel, dtype: FloatDType): WasmPlan | null => {
  const D = k.domain.length
  if (D === 0 || D > 2) return null
  const n = k.domain[D - 1]
  const rows = D === 2 ? k.domain[0] : 1
  if (rows > 1 && n < MIN_ROW) return null
  if (k.stores.some((s) => s.idx.off < 0 || s.idx.st[D - 1] !== 1 || (D === 2 && s.idx.st[0] < n))) return null
  const t = new Translator(k.nodes, dtype, (st) => {
    const rowStride = D === 2 ? st[0] : 0
    return st[D - 1] === 1 ? ['array', rowStride] : st[D - 1] === 0 ? ['scalar', rowStride] : null
  })
  const outs: Expr[] = []
  for (const s of k.stores) {
    const e = t.expr(s.node)
    if (e === null) return null
    outs.push(e)
  }
  // every output is stored exactly once (the planner's kernels store each output once)
  const outOf = k.stores.map((s) => s.out)
  if (new Set(outOf).size !== k.outputs.length) return null
  const at = k.stores.map((s) => ({ off: s.idx.off, rowStride: D === 2 ? s.idx.st[0] : n }))
  return { kind: 'map', dtype, rows, n, ins: t.ins, outs: foldNegations(foldConstants(outs, dtype)), outOf, at }
}

const reducePlan = (k: LoopKernel, dtype: FloatDType): WasmPlan | null => {
  const r = k.reductions[0]
  if (r.op !== 'sum' && r.op !== 'max' && r.op !== 'min') return null
  if (r.acc !== 'float64' && r.acc !== dtype) return null
  if (k.nReduced !== 1 || k.domain.length > 3) return null
  const red = k.domain[k.domain.length - 1]
  const kept = k.domain.slice(0, -1)
  // candidate [outer, red, inner] layouts and the loop strides each implies
  const layouts: { outer: number; inner: number; st: number[] }[] = []
  if (kept.length === 0) layouts.push({ outer: 1, inner: 1, st: [1] })
  if (kept.length === 1) {
    layouts.push({ outer: kept[0], inner: 1, st: [red, 1] })
    layouts.push({ outer: 1, inner: kept[0], st: [1, kept[0]] })
  }
  if (kept.length === 2) layouts.push({ outer: kept[0], inner: kept[1], st: [red * kept[1], 1, kept[1]] })
  const outSt = kept.length === 2 ? [kept[1], 1, 0] : kept.length === 1 ? [1, 0] : [0]
  if (r.idx.off !== 0 || r.idx.st.some((s, i) => s !== outSt[i])) return null
  for (const L of layouts) {
    const same = (st: readonly number[]) => st.every((s, i) => s === L.st[i])
    const t = new Translator(k.nodes, dtype, (st) => (same(st) ? ['array', 0] : st.every((s) => s === 0) ? ['scalar', 0] : null))
    const prologue = t.expr(r.node)
    if (prologue !== null) return { kind: 'reduce', dtype, op: r.op, outer: L.outer, red, inner: L.inner, ins: t.ins, prologue }
  }
  return null
}

/**
 * A float32 kernel over [rows, n] that sums along each row (float64 accumulator, written to its
 * own output) and then stores maps of the row's elements and its sum over the same row: loads
 * are rows ([n, 1] strides), one row shared by all ([0, 1]), one value per row ([1, 0]) or 0-d.
 */
const rowReducePlan = (k: LoopKernel, dtype: FloatDType): WasmPlan | null => {
  if (dtype !== 'float32' || k.domain.length !== 2 || k.nReduced !== 1 || k.reductions.length !== 1 || k.stores.length > 0) return null
  if ((k.rereads?.length ?? 0) > 0) return null
  const [rows, n] = k.domain
  const r = k.reductions[0]
  if (r.op !== 'sum' || r.acc !== 'float64' || r.idx.off !== 0 || r.idx.st[0] !== 1 || r.idx.st[1] !== 0) return null
  if (k.epilogue.some((e) => e.idx.off !== 0 || e.idx.st[0] !== n || e.idx.st[1] !== 1 || e.out === r.out)) return null
  const outOf = k.epilogue.map((e) => e.out)
  if (new Set(outOf).size !== outOf.length || outOf.length + 1 !== k.outputs.length) return null
  const t = new Translator(k.nodes, dtype, (st) =>
    st[1] === 1 ? (st[0] === n ? ['array', n] : st[0] === 0 ? ['array', 0] : null)
      : st[1] === 0 ? (st[0] === 1 ? ['scalar', 1] : st[0] === 0 ? ['scalar', 0] : null)
        : null, true)
  const p = t.exactProduct(r.node)
  const factors = (p === null ? [r.node] : p.plusZero ? [] : [p.x, p.y]).map((i) => t.expr(i))
  if (factors.length === 0 || factors.some((e) => e === null) || t.ins.some((i) => i.input < 0)) return null
  const outs: Expr[] = []
  for (const e of k.epilogue) {
    const x = t.expr(e.node)
    if (x === null) return null
    outs.push(x)
  }
  const kinds = t.ins.map((i): RowInputKind => (i.input < 0 ? 'acc' : i.kind === 'array' ? (i.rowStride === 0 ? 'shared' : 'row') : i.rowStride === 0 ? 'scalar' : 'rowScalar'))
  return { kind: 'rowreduce', dtype, rows, n, ins: t.ins, kinds, factors: factors as Expr[], outs, acc: r.out, outOf }
}

/** The wasm plan of a contraction: rows or columns of each operand must be unit-stride. */
export const wasmDotPlan = (k: DotKernel): WasmPlan | null => {
  const dtype = k.out
  if (!isFloat(dtype) || k.inputs.some((d) => d !== dtype) || k.acc === 'int32') return null
  // lhs element (m, p) at off + m·sr + p·sc; rhs element (p, n) at off + p·sr + n·sc
  const side = (rows: number, cols: number, sr: number, sc: number): { trans: boolean; ld: number } | null => {
    if (sc === 1 || cols === 1) return { trans: false, ld: rows === 1 ? cols : sr }
    if (sr === 1 || rows === 1) return { trans: true, ld: cols === 1 ? rows : sc }
    return null
  }
  const a = side(k.M, k.K, k.lhs.sr, k.lhs.sc)
  const b = side(k.K, k.N, k.rhs.sr, k.rhs.sc)
  if (a === null || b === null || sizeOf([k.B, k.M, k.K, k.N]) === 0) return null
  return {
    kind: 'matmul', dtype, B: k.B, M: k.M, K: k.K, N: k.N, transA: a.trans, transB: b.trans,
    a: { off: k.lhs.off, sb: k.lhs.sb, ld: a.ld },
    b: { off: k.rhs.off, sb: k.rhs.sb, ld: b.ld },
  }
}

/** Work below which a kernel stays in generated JS: elements for maps and reductions (a wasm
 *  call stages its operands through the arena), multiply-adds for matmuls. */
export const WASM_MIN_ELEMENTS = 256
export const WASM_MIN_MADDS = 1 << 15

/** The wasm plan of a (normalized) kernel worth running in wasm, else null. */
export const wasmPlan = (k: Kernel): WasmPlan | null => {
  if (k.kind === 'dot') return sizeOf([k.B, k.M, k.K, k.N]) >= WASM_MIN_MADDS ? wasmDotPlan(k) : null
  return sizeOf(k.domain) >= WASM_MIN_ELEMENTS ? wasmLoopPlan(k) : null
}

/** One line for describeProgram. */
export const describeWasmPlan = (p: WasmPlan): string =>
  p.kind === 'map'
    ? `wasm ${p.dtype} map of ${p.rows > 1 ? `${p.rows} rows × ` : ''}${p.n} elements, ${p.ins.length} input(s), ${p.outs.length} output(s)`
    : p.kind === 'rowreduce'
      ? `wasm float32 row sum of ${p.rows} rows × ${p.n} elements, then ${p.outs.length} map(s) of each row, ${p.ins.length} input(s)`
      : p.kind === 'reduce'
      ? `wasm ${p.dtype} ${p.op} reduction [outer ${p.outer}, red ${p.red}, inner ${p.inner}], ${p.ins.length} input(s)`
      : `wasm ${p.dtype} matmul B=${p.B} M=${p.M} K=${p.K} N=${p.N}${p.transA ? ', A transposed' : ''}${p.transB ? ', B transposed' : ''}`
