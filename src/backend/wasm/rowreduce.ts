/**
 * Backend layer (wasm): a float32 row reduction followed by a map over the same row — per-example
 * gradients (G[o, :] = (σ(w·xₒ) − yₒ)·xₒ), a softmax's normalisation, a layer norm's scaling:
 *
 *   run(R, C, in₀, …, in_{I−1}, acc, out₀, …, out_{O−1})      (i32 counts and byte offsets)
 *   for each row o < R:
 *     a       = round₃₂( Σ_{c < C} Π_f factor_f(inputs at [o, c]) )        (sum in float64)
 *     acc[o]  = a
 *     out_j[o, c] = output_j(inputs at [o, c], a)                           for c < C
 *
 * Input kinds: `row` (an [R, C] array, row o at o·C), `shared` (one row of C read by every
 * row: a weight vector), `rowScalar` (one element per row: a label), `scalar` (0-d), and `acc`
 * (the row's reduced value `a`; no pointer is read for it, and factors may not use it).
 *
 * The summed values are the float64 product of one or two float32 factors: exact (a float32
 * product has at most 48 significant bits), so the only difference from a sequential float64
 * sum is the order of the additions (two f64x2 accumulators over the vector part, the rest
 * one at a time, then the lanes). The outputs are float32 expressions evaluated as the
 * elementwise kernels do; their parts that depend only on per-row values (`rowScalar`,
 * `scalar`, `acc`) are computed once per row, not once per vector.
 */
import type { Local } from './encode'
import { loopIO } from './elementwise'
import { type Expr, type Node, type Pred, checkExprs, ex, exprKey, topoOrder } from './expr'
import { lowerExprs } from './lower'
import { type Arg, Kernel, Simd, f32c } from './simd'

export type RowInputKind = 'row' | 'shared' | 'rowScalar' | 'scalar' | 'acc'

export interface RowReduceSpec {
  readonly dtype: 'float32'
  readonly inputs: readonly RowInputKind[]
  /** One or two float32 expressions; each summed value is their product in float64. */
  readonly factors: readonly Expr[]
  /** One float32 expression per output array ([R, C], row-major). */
  readonly outputs: readonly Expr[]
}

export const rowReduceKey = (spec: RowReduceSpec): string =>
  `rowred:${spec.dtype}:${spec.inputs.join(',')}:${exprKey(spec.factors)}:${exprKey(spec.outputs)}`

const isPerRow = (k: RowInputKind): boolean => k === 'rowScalar' || k === 'scalar' || k === 'acc'

/**
 * Splits `roots` into expressions per row and per element: every largest subexpression that
 * reads only per-row inputs (and is not itself an input or a constant) becomes a new input
 * numbered from `first` on. Returns the rewritten roots and the hoisted subexpressions.
 */
export const hoistPerRow = (roots: readonly Expr[], perRow: (input: number) => boolean, first: number): { readonly roots: readonly Expr[]; readonly hoisted: readonly Expr[] } => {
  const order = topoOrder(roots)
  const inv = new Map<Node, boolean>()
  for (const n of order) {
    switch (n._tag) {
      case 'input': inv.set(n, perRow(n.index)); break
      case 'const': inv.set(n, true); break
      case 'unary': case 'ipow': case 'not': inv.set(n, inv.get(n.x) === true); break
      case 'fromPred': inv.set(n, inv.get(n.pred) === true); break
      case 'binary': case 'compare': case 'and': case 'or': inv.set(n, inv.get(n.x) === true && inv.get(n.y) === true); break
      case 'select': inv.set(n, inv.get(n.pred) === true && inv.get(n.onTrue) === true && inv.get(n.onFalse) === true); break
    }
  }
  const hoisted: Expr[] = []
  const byKey = new Map<string, number>()
  const done = new Map<Node, Node>()
  // top-down, children rewritten before their parent is rebuilt (an explicit stack: no recursion)
  const rewrite = (root: Node): Node => {
    const stack: Node[] = [root]
    while (stack.length > 0) {
      const n = stack[stack.length - 1]
      if (done.has(n)) { stack.pop(); continue }
      if (n._tag === 'input' || n._tag === 'const') { done.set(n, n); stack.pop(); continue }
      const isExpr = n._tag !== 'compare' && n._tag !== 'and' && n._tag !== 'or' && n._tag !== 'not'
      if (isExpr && inv.get(n) === true) {
        const key = exprKey([n])
        let j = byKey.get(key)
        if (j === undefined) { j = hoisted.length; hoisted.push(n as Expr); byKey.set(key, j) }
        done.set(n, ex.input(first + j))
        stack.pop()
        continue
      }
      const kids: Node[] =
        n._tag === 'unary' || n._tag === 'ipow' || n._tag === 'not' ? [n.x]
          : n._tag === 'fromPred' ? [n.pred]
            : n._tag === 'select' ? [n.pred, n.onTrue, n.onFalse]
              : [(n as { x: Node }).x, (n as { y: Node }).y]
      const pending = kids.filter((c) => !done.has(c))
      if (pending.length > 0) { stack.push(...pending); continue }
      const r = (c: Node): Node => done.get(c) as Node
      let out: Node
      switch (n._tag) {
        case 'unary': out = ex.unary(n.op, r(n.x) as Expr); break
        case 'ipow': out = ex.ipow(r(n.x) as Expr, n.y); break
        case 'binary': out = ex.binary(n.op, r(n.x) as Expr, r(n.y) as Expr); break
        case 'select': out = ex.select(r(n.pred) as Pred, r(n.onTrue) as Expr, r(n.onFalse) as Expr); break
        case 'fromPred': out = ex.fromPred(r(n.pred) as Pred); break
        case 'compare': out = ex.compare(n.op, r(n.x) as Expr, r(n.y) as Expr); break
        case 'and': out = ex.and(r(n.x) as Pred, r(n.y) as Pred); break
        case 'or': out = ex.or(r(n.x) as Pred, r(n.y) as Pred); break
        default: out = ex.not(r((n as { x: Node }).x) as Pred)
      }
      done.set(n, out)
      stack.pop()
    }
    return done.get(root) as Node
  }
  return { roots: roots.map((e) => rewrite(e) as Expr), hoisted }
}

/** The module's bytes (export `run`). */
export const buildRowReduce = (spec: RowReduceSpec, opts: { shared?: boolean } = {}): Uint8Array => {
  const nIn = spec.inputs.length
  const accIn = spec.inputs.map((k, i) => (k === 'acc' ? i : -1)).filter((i) => i >= 0)
  if (spec.factors.length < 1 || spec.factors.length > 2) throw new RangeError(`row reduce kernel: 1 or 2 factors, got ${spec.factors.length}`)
  checkExprs(spec.factors, nIn, spec.dtype)
  checkExprs(spec.outputs, nIn, spec.dtype)
  if (topoOrder(spec.factors).some((n) => n._tag === 'input' && accIn.includes(n.index))) throw new RangeError('row reduce kernel: a factor reads the reduced value')
  const io = loopIO('float32')
  const k = new Kernel(opts)
  const nOut = spec.outputs.length
  const f = k.func('run', Array(3 + nIn + nOut).fill('i32'))
  const s = new Simd(f, k)
  const [R, C, ...ptrs] = f.params
  const ins = ptrs.slice(0, nIn)
  const accOut = ptrs[nIn]
  const outs = ptrs.slice(nIn + 1)
  const { roots: mapped, hoisted } = hoistPerRow(spec.outputs, (i) => isPerRow(spec.inputs[i]), nIn)

  const o = f.local('i32'), rowBase = f.local('i32'), at = f.local('i32'), end = f.local('i32')
  const sAcc = f.local('f64'), a32 = f.local('f32')
  const zero = f32c(0)
  /** `while (i < to) { body(); i += step }` */
  const loop = (i: Local, to: Local, step: number, body: () => void): void => {
    f.block().loop()
    f.get(i).get(to).op('i32.ge_u').brIf(1)
    body()
    f.get(i).i32(step).op('i32.add').set(i).br(0).end().end()
  }
  // 0-d inputs: loaded once
  const splats = new Map<number, Local>()
  spec.inputs.forEach((kind, i) => {
    if (kind === 'scalar') { f.get(ins[i]).mem(io.splat); splats.set(i, s.pop()) }
  })
  /** The inputs at column byte offset `at` of row `o`: vectors, or lane 0 of zero-filled ones. */
  const args = (vector: boolean, perRow: ReadonlyMap<number, Arg>): Arg[] =>
    spec.inputs.map((kind, i) => {
      if (kind === 'row' || kind === 'shared') {
        f.get(ins[i]).get(at).op('i32.add')
        if (kind === 'row') f.get(rowBase).op('i32.add')
        f.mem(vector ? 'v128.load' : io.load)
        return s.pop()
      }
      return perRow.get(i) ?? zero
    })

  f.i32(0).set(o)
  loop(o, R, 1, () => {
    f.get(o).get(C).op('i32.mul').i32(4).op('i32.mul').set(rowBase)
    const perRow = new Map<number, Arg>(splats)
    spec.inputs.forEach((kind, i) => {
      if (kind === 'rowScalar') { f.get(ins[i]).get(o).i32(4).op('i32.mul').op('i32.add').mem(io.splat); perRow.set(i, s.pop()) }
    })
    // ---- the sum: two f64x2 accumulators (columns c mod 4 ∈ {0, 1} and {2, 3}) ----
    const lo = s.copy({ kind: 'f64x2', v: 0 }), hi = s.copy({ kind: 'f64x2', v: 0 })
    const high = (v: Arg): Local => s.op('f64x2.promote_low_f32x4', s.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15], v, v))
    f.get(C).i32(-4).op('i32.and').i32(4).op('i32.mul').set(end)
    f.i32(0).set(at)
    loop(at, end, 16, () => {
      const v = lowerExprs(s, 'float32', spec.factors, args(true, perRow))
      let pl: Arg = s.op('f64x2.promote_low_f32x4', v[0])
      let ph: Arg = high(v[0])
      if (v.length === 2) {
        pl = s.op('f64x2.mul', pl, s.op('f64x2.promote_low_f32x4', v[1]))
        ph = s.op('f64x2.mul', ph, high(v[1]))
      }
      s.assign(lo, s.op('f64x2.add', lo, pl))
      s.assign(hi, s.op('f64x2.add', hi, ph))
    })
    // the last C mod 4 columns, one at a time
    f.f64(0).set(sAcc)
    f.get(C).i32(4).op('i32.mul').set(end)
    loop(at, end, 4, () => {
      const v = lowerExprs(s, 'float32', spec.factors, args(false, perRow))
      f.get(sAcc)
      s.push(v[0]); f.lane('f32x4.extract_lane', 0).op('f64.promote_f32')
      if (v.length === 2) { s.push(v[1]); f.lane('f32x4.extract_lane', 0).op('f64.promote_f32').op('f64.mul') }
      f.op('f64.add').set(sAcc)
    })
    const both = s.op('f64x2.add', lo, hi)
    for (const lane of [0, 1]) { f.get(sAcc); s.push(both); f.lane('f64x2.extract_lane', lane).op('f64.add').set(sAcc) }
    f.get(sAcc).op('f32.demote_f64').set(a32)
    f.get(accOut).get(o).i32(4).op('i32.mul').op('i32.add').get(a32).mem('f32.store')
    if (nOut === 0) return
    // ---- the map over the row ----
    f.get(a32).op('f32x4.splat')
    const aVec = s.pop()
    for (const i of accIn) perRow.set(i, aVec)
    const rowVals = lowerExprs(s, 'float32', hoisted, spec.inputs.map((_, i) => perRow.get(i) ?? zero))
    const mapArgs = (vector: boolean): Arg[] => [...args(vector, perRow), ...rowVals]
    const store = (vals: readonly Arg[], vector: boolean): void => {
      vals.forEach((v, j) => {
        f.get(outs[j]).get(rowBase).op('i32.add').get(at).op('i32.add')
        s.push(v)
        if (vector) f.mem('v128.store')
        else f.memLane(io.storeLane, 0)
      })
    }
    f.get(C).i32(-4).op('i32.and').i32(4).op('i32.mul').set(end)
    f.i32(0).set(at)
    loop(at, end, 16, () => store(lowerExprs(s, 'float32', mapped, mapArgs(true)), true))
    f.get(C).i32(4).op('i32.mul').set(end)
    loop(at, end, 4, () => store(lowerExprs(s, 'float32', mapped, mapArgs(false)), false))
  })
  return k.bytes()
}
