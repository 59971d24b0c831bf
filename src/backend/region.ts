/**
 * Backend: region expansion — turning the equations that feed a materialized value into the
 * scalar nodes of one loop kernel.
 *
 * Starting from a root at the identity map of the loop domain, `value(atom, map)` walks
 * backwards: an elementwise equation becomes its lowering (the primitive's `lower` rule) over
 * its operands at the same map (0-d operands at the scalar map); a structural equation
 * becomes a new map of its operand (indexmap.ts); pad and concatenate become guarded loads;
 * a materialized value (an input, a kernel's output, a reduction, …) becomes a load at the
 * map's flat index. Nodes are shared by structural key, so a value needed twice at the same
 * map is computed once.
 *
 * Expansion also reports what the planner must decide: `cuts` (values that must be
 * materialized because their map is not affine, or because recomputing them at every point
 * of a larger loop would multiply expensive work), `touched` values and the `reads` of
 * materialized values (for scheduling).
 */
import { sizeOf } from '../ir/aval'
import type { Atom, Eqn, Var } from '../ir/jaxpr'
import { CodegenError } from './emit'
import { type IndexMap, mapKey, operandMap, scalarMap, toFlat } from './indexmap'
import type { Affine, KNode, Piece, PieceCond } from './kernel'
import { type ScalarExpr, isScalarOp } from './scalar'

export type Cls = 'ew' | 'struct' | 'pick' | 'reduce' | 'dotf' | 'dot' | 'ctrl' | 'opaque'

/** Cost above which a value is materialized rather than recomputed (units: one add). */
export const CHEAP = 4

/** Cost up to which the operand of a pad, or of a concatenate of two (a roll), is computed in
 *  the loop when each of its conditions follows one loop coordinate: the builder then splits
 *  the loop into boxes where every pick is decided (split.ts), so each point computes only the
 *  piece it takes. Above it the piece is stored once. Where the loop cannot be split (a kernel
 *  with reductions) the pieces are computed at every point: for a pad the waste is its padded
 *  points, for two pieces at most the cheaper one; concatenates of more pieces (im2col's) keep
 *  storing their expensive pieces. */
export const PIECE_INLINE_MAX = 32

/** Whether a piece condition depends on at most one loop coordinate. */
const alongOneLoop = (c: PieceCond): boolean => c.c.st.filter((s) => s !== 0).length <= 1

export interface PlanCtx {
  readonly producer: ReadonlyMap<Var, Eqn>
  readonly cls: ReadonlyMap<Eqn, Cls>
  /** Materialized values (inputs included). */
  readonly M: ReadonlySet<Var>
  readonly cost: (v: Var) => number
  /** Depth band of each value (plan.ts): a kernel's values are all of one band. */
  readonly band: ReadonlyMap<Var, number>
  /** Each elementwise equation's lowering over its operands `arg(0)`, `arg(1)`, …: made once
   *  (when classifying), read by every region that expands the equation. */
  readonly lowered: ReadonlyMap<Eqn, ScalarExpr>
}

/** How many times more often a value is computed in a loop than it has elements: loops up
 *  to the innermost one its map depends on all repeat its computation. */
const zeroAffine = (r: number): Affine => ({ off: 0, st: new Array<number>(r).fill(0) })

const recomputeFactor = (m: IndexMap, extents: readonly number[], size: number): number => {
  const as = m.kind === 'flat' ? [m.a] : m.cs
  let deepest = -1
  for (const a of as) a.st.forEach((s, d) => s !== 0 && extents[d] !== 1 && d > deepest && (deepest = d))
  let n = 1
  for (let d = 0; d <= deepest; d++) n *= extents[d]
  return size === 0 ? 1 : n / size
}

/** A number as a key: −0 and 0 differ (they are different constants). */
const numKey = (x: number): string => (Object.is(x, -0) ? '-0' : String(x))
const affKey = (a: Affine): string => `${a.off}:${a.st.join(',')}`

/** Structural key of a node (nodes with equal keys compute the same value). */
const nodeKey = (n: KNode): string => {
  switch (n.k) {
    case 'load': return `L${n.input}@${affKey(n.idx)}c${n.clamp}`
    case 'lit': return `C${n.dtype}:${numKey(n.value)}`
    case 'coord': return `K${n.dtype}@${affKey(n.idx)}`
    case 'op': return `O${n.op}:${n.dtype}:${n.attr}(${n.args.join(',')})`
    case 'acc': return `A${n.red}`
    case 'pick': return `P${JSON.stringify(n)}`
  }
}

/** A definition to expand: the value of `v` at map `m`. */
interface Need {
  readonly v: Var
  readonly m: IndexMap
}

/** An expansion in progress: yields the definitions it needs, is resumed with their nodes. */
type Expansion = Generator<Need, number, number>

const defKey = (v: Var, m: IndexMap): string => `${v.id}@${mapKey(m)}`

export class Region {
  readonly nodes: KNode[] = []
  readonly inputs: Var[] = []
  readonly cuts = new Set<Var>()
  readonly touched = new Map<Var, Set<string>>()
  readonly reads: { readonly v: Var; readonly key: string }[] = []
  /** Values stored by this kernel at the identity map, reusable as nodes. */
  readonly local = new Map<Var, number>()
  /** Results of this kernel's reductions, read by its epilogue at the kept coordinates. */
  readonly acc = new Map<Var, { readonly red: number; readonly key: string }>()
  private readonly memo = new Map<string, number>()
  private readonly byNode = new Map<string, number>()
  private readonly inputIndex = new Map<Var, number>()
  private readonly r: number

  constructor(private readonly ctx: PlanCtx, readonly extents: readonly number[], private readonly identityKey: string) {
    this.r = extents.length
  }

  node(n: KNode): number {
    const key = nodeKey(n)
    let id = this.byNode.get(key)
    if (id === undefined) {
      id = this.nodes.length
      this.nodes.push(n)
      this.byNode.set(key, id)
    }
    return id
  }

  inputOf(v: Var): number {
    let i = this.inputIndex.get(v)
    if (i === undefined) {
      i = this.inputs.length
      this.inputs.push(v)
      this.inputIndex.set(v, i)
    }
    return i
  }

  /** The node of `a` at map `m`. Expansion runs on an explicit stack (a program of 10⁵ chained
   *  equations is a region 10⁵ deep; the JS stack would overflow long before). */
  value(a: Atom, m: IndexMap): number {
    const r = this.immediate(a, m)
    return typeof r === 'number' ? r : this.run(r)
  }

  /** The value of `v` computed from its equation (even when `v` is materialized: roots). */
  define(v: Var, m: IndexMap): number {
    const hit = this.memo.get(defKey(v, m))
    return hit !== undefined ? hit : this.run({ v, m })
  }

  /** A literal, a load or an already expanded value now; else the definition to expand. */
  private immediate(a: Atom, m: IndexMap): number | Need {
    if (a._tag === 'Lit') return this.node({ k: 'lit', value: a.value, dtype: a.aval.dtype })
    if (this.ctx.M.has(a) || !this.ctx.producer.has(a)) return this.load(a, m)
    const hit = this.memo.get(defKey(a, m))
    return hit !== undefined ? hit : { v: a, m }
  }

  /** Inside an expansion: `const id = yield* this.val(x, m)`. */
  private *val(a: Atom, m: IndexMap): Expansion {
    const r = this.immediate(a, m)
    return typeof r === 'number' ? r : yield r
  }

  /**
   * Expand a definition and, depth first, every definition it needs: each expansion is a
   * generator that yields the definitions it needs and is resumed with their nodes, so nodes
   * are made in the same order as by plain recursion.
   */
  private run(first: Need): number {
    const stack: { readonly key: string; readonly gen: Expansion }[] = []
    const open = (n: Need): void => {
      let keys = this.touched.get(n.v)
      if (keys === undefined) this.touched.set(n.v, (keys = new Set()))
      keys.add(mapKey(n.m))
      stack.push({ key: defKey(n.v, n.m), gen: this.expand(n.v, n.m) })
    }
    open(first)
    let input: number | undefined
    for (;;) {
      const top = stack[stack.length - 1]
      const step = top.gen.next(input as number)
      if (step.done) {
        this.memo.set(top.key, step.value)
        stack.pop()
        if (stack.length === 0) return step.value
        input = step.value
        continue
      }
      const hit = this.memo.get(defKey(step.value.v, step.value.m))
      if (hit !== undefined) input = hit
      else {
        input = undefined
        open(step.value)
      }
    }
  }

  private load(v: Var, m: IndexMap): number {
    const key = mapKey(m)
    this.reads.push({ v, key })
    const local = this.local.get(v)
    if (local !== undefined && key === this.identityKey) return local
    const acc = this.acc.get(v)
    if (acc !== undefined && key === acc.key) return this.node({ k: 'acc', red: acc.red, dtype: v.aval.dtype })
    const idx = toFlat(m, v.aval.shape, this.r)
    // an index that can leave the buffer (a computed pad piece, read at every point) is clamped
    // (plain loops: this runs for every load of every kernel a first call plans, where a
    // callback that captures lo and hi allocates them and itself on every call)
    let lo = idx.off
    let hi = idx.off
    let empty = false
    for (let d = 0; d < idx.st.length; d++) {
      const s = idx.st[d]
      if (s > 0) hi += s * (this.extents[d] - 1)
      else lo += s * (this.extents[d] - 1)
    }
    for (let d = 0; d < this.extents.length; d++) if (this.extents[d] === 0) empty = true
    const last = sizeOf(v.aval.shape) - 1
    const clamp = empty || (lo >= 0 && hi <= last) ? -1 : Math.max(last, 0)
    return this.node({ k: 'load', input: this.inputOf(v), idx, dtype: v.aval.dtype, clamp })
  }

  private cut(v: Var): number {
    this.cuts.add(v)
    return this.node({ k: 'lit', value: 0, dtype: v.aval.dtype })
  }

  private *expand(v: Var, m: IndexMap): Expansion {
    const e = this.ctx.producer.get(v) as Eqn
    const cls = this.ctx.cls.get(e)
    switch (cls) {
      case 'ew': {
        const rank = v.aval.shape.length
        const args = new Array<number>(e.inputs.length)
        // (`val` inlined, and an indexed loop: every operand of every fused equation passes
        // here in the cold code of a first call, where a generator per operand and a for-of's
        // iterator results are allocations)
        for (let i = 0; i < e.inputs.length; i++) {
          const x = e.inputs[i]
          const r = this.immediate(x, x.aval.shape.length === 0 && rank > 0 ? scalarMap() : m)
          args[i] = typeof r === 'number' ? r : yield r
        }
        const expr = this.ctx.lowered.get(e)
        if (expr === undefined) throw new CodegenError(`internal: ${e.prim} has no lowering`)
        return this.translate(expr, args, m, v)
      }
      case 'struct': {
        const u = e.inputs[0]
        const m2 = operandMap(e, m, this.extents)
        if (m2 === null) return this.cut(v)
        if (u._tag === 'Var' && !this.ctx.M.has(u) && this.ctx.producer.has(u) && this.ctx.cost(u) > CHEAP) {
          if (recomputeFactor(m2, this.extents, sizeOf(u.aval.shape)) > 1) return this.cut(u)
        }
        return yield* this.val(u, m2)
      }
      case 'pick':
        return m.kind === 'flat' ? this.cut(v) : yield* this.pick(e, m.cs)
      default:
        throw new CodegenError(`internal: ${e.prim} (${String(cls)}) reached as a fused value`)
    }
  }

  /**
   * A piece of a pad or concatenate: a guarded load of a materialized operand, or, when the
   * operand is cheap, the operand computed in the loop — at every point, its value used only
   * where the piece is chosen (its loads clamped into range). An operand up to
   * PIECE_INLINE_MAX is computed in the loop as well when every condition follows one loop
   * coordinate: the builder splits such a loop into boxes where each pick is decided
   * (split.ts), so no point computes a piece it discards (W4, the pads of a slice's transpose,
   * is then one pass). Otherwise the operand is materialized (cut): computing an expensive piece
   * everywhere with clamped loads was measured slower than storing it once.
   */
  private *piece(a: Atom, coords: readonly Affine[], conds: PieceCond[], few: boolean): Generator<Need, Piece | null, number> {
    if (a._tag === 'Lit') return { input: -1, idx: zeroAffine(this.r), node: yield* this.val(a, scalarMap()), conds }
    if (this.ctx.M.has(a) || !this.ctx.producer.has(a)) {
      this.reads.push({ v: a, key: 'pick' })
      return { input: this.inputOf(a), idx: toFlat({ kind: 'coords', cs: coords }, a.aval.shape, this.r), node: -1, conds }
    }
    if (this.ctx.cost(a) <= CHEAP || (few && this.ctx.cost(a) <= PIECE_INLINE_MAX && conds.every(alongOneLoop))) {
      return { input: -1, idx: zeroAffine(this.r), node: yield* this.val(a, { kind: 'coords', cs: coords }), conds }
    }
    this.cut(a)
    return null
  }

  /** pad (no interior padding) and concatenate: guarded pieces. */
  private *pick(e: Eqn, cs: readonly Affine[]): Expansion {
    const dtype = e.outVars[0].aval.dtype
    if (e.prim === 'pad') {
      const [x, pv] = e.inputs
      const fallback = yield* this.val(pv, scalarMap())
      const cfg = (e.params as { paddingConfig: ReadonlyArray<readonly [number, number, number]> }).paddingConfig
      const shape = x.aval.shape
      const inCoords = cs.map((c, k) => ({ off: c.off - cfg[k][0], st: c.st }))
      const conds: PieceCond[] = cs.flatMap((c, k) => (cfg[k][0] === 0 && cfg[k][1] === 0 ? [] : [{ c, lo: cfg[k][0], n: shape[k] }]))
      const p = yield* this.piece(x, inCoords, conds, true)
      return p === null ? this.node({ k: 'lit', value: 0, dtype }) : this.node({ k: 'pick', pieces: [p], fallback, dtype })
    }
    const dim = (e.params as { dimension: number }).dimension
    let start = 0
    const pieces: Piece[] = []
    let missing = false
    for (let q = 0; q < e.inputs.length; q++) {
      const x = e.inputs[q]
      const n = x.aval.shape[dim]
      const coords = cs.map((c, k) => (k === dim ? { off: c.off - start, st: c.st } : c))
      const last = q === e.inputs.length - 1
      const p = yield* this.piece(x, coords, last ? [] : [{ c: cs[dim], lo: start, n }], e.inputs.length <= 2)
      if (p === null) missing = true
      else pieces.push(p)
      start += n
    }
    const fallback = this.node({ k: 'lit', value: 0, dtype })
    return missing ? fallback : this.node({ k: 'pick', pieces, fallback, dtype })
  }

  /** A lowering's expression as nodes: args are the operands' nodes. */
  private translate(x: ScalarExpr, args: readonly number[], m: IndexMap, v: Var): number {
    switch (x._tag) {
      case 'arg':
        if (!Number.isInteger(x.index) || x.index < 0 || x.index >= args.length) throw new CodegenError(`internal: lowering of ${v.aval.dtype} value refers to operand ${x.index}`)
        return args[x.index]
      case 'lit':
        return this.node({ k: 'lit', value: x.value, dtype: x.dtype })
      case 'coord':
        if (m.kind === 'flat') return this.cut(v)
        return this.node({ k: 'coord', idx: m.cs[x.dim], dtype: x.dtype })
      case 'op': {
        if (!isScalarOp(x.op)) throw new CodegenError('lowering: unknown scalar op')
        if (!Number.isSafeInteger(x.attr)) throw new CodegenError('lowering: op attribute must be an integer')
        const as = new Array<number>(x.args.length)
        for (let i = 0; i < as.length; i++) as[i] = this.translate(x.args[i], args, m, v)
        return this.node({ k: 'op', op: x.op, args: as, dtype: x.dtype, attr: x.attr })
      }
    }
  }
}
