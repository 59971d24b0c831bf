/**
 * NumPy layer: contractions — dot, matmul, tensordot, einsum, outer, inner. Everything lowers
 * to one `dot_general` per pair of operands (batch axes folded into it, never a loop), plus
 * transpose / reshape / reduce_sum; so each is differentiable and batchable through the rules
 * of those primitives. bool operands are contracted in int32 and read back as `result > 0`
 * (an OR of ANDs, as NumPy).
 */
import { ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type Shape, shapeEq, shapeStr, sizeOf } from '../ir/aval'
import { eq, gt, mul } from '../primitives/binary'
import { dotGeneral } from '../primitives/dot'
import { reduceSum } from '../primitives/reduce'
import { broadcastInDim, convertElementType, iota, reshape, transpose } from '../primitives/shape'
import { normAxis } from '../primitives/util'
import { type ArrayLike, broadcastArrays, broadcastShapes, broadcastTo, promoteArgs } from './promote'

// ---- helpers -----------------------------------------------------------------------------

/** Promote operands to one dtype; bools are contracted as int32 (see `finish`). */
const prepare = (op: string, ...xs: ArrayLike[]): { xs: Tracer[]; wasBool: boolean } => {
  const ps = promoteArgs(op, ...xs)
  const wasBool = ps.length > 0 && ps[0].dtype === 'bool'
  return { xs: wasBool ? ps.map((x) => convertElementType(x, 'int32')) : ps, wasBool }
}
const finish = (y: Tracer, wasBool: boolean): Tracer => (wasBool ? gt(y, 0) : y)

const dims = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from)

/** Elementwise product with NumPy broadcasting (for 0-d operands of dot / inner). */
const scaled = (op: string, a: Tracer, b: Tracer): Tracer => {
  const [x, y] = broadcastArrays(op, a, b)
  return mul(x, y)
}

const contract = (
  a: Tracer,
  b: Tracer,
  lc: readonly number[],
  rc: readonly number[],
  lb: readonly number[] = [],
  rb: readonly number[] = [],
): Tracer => dotGeneral(a, b, { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb })

// ---- dot, inner, outer -------------------------------------------------------------------

/**
 * NumPy `dot`: a 0-d operand multiplies elementwise; otherwise the last axis of `a` is
 * contracted with the only axis of a 1-D `b`, or with the second-to-last axis of an N-D `b`.
 * Result shape: a.shape[:-1] ++ b.shape[:-2] ++ b.shape[-1:].
 */
export const dot = (a: ArrayLike, b: ArrayLike): Tracer => {
  const { xs: [x, y], wasBool } = prepare('dot', a, b)
  if (x.ndim === 0 || y.ndim === 0) return finish(scaled('dot', x, y), wasBool)
  const la = x.ndim - 1
  const rb = y.ndim === 1 ? 0 : y.ndim - 2
  if (x.shape[la] !== y.shape[rb]) {
    throw new ShapeError(
      `dot: shapes ${shapeStr(x.shape)} and ${shapeStr(y.shape)} not aligned: ${x.shape[la]} (axis ${la} of a) != ${y.shape[rb]} (axis ${rb} of b)`,
    )
  }
  return finish(contract(x, y, [la], [rb]), wasBool)
}

/** NumPy `inner`: contract the last axes of `a` and `b` (a 0-d operand multiplies). */
export const inner = (a: ArrayLike, b: ArrayLike): Tracer => {
  const { xs: [x, y], wasBool } = prepare('inner', a, b)
  if (x.ndim === 0 || y.ndim === 0) return finish(scaled('inner', x, y), wasBool)
  const la = x.ndim - 1
  const rb = y.ndim - 1
  if (x.shape[la] !== y.shape[rb]) {
    throw new ShapeError(
      `inner: the last axes of ${shapeStr(x.shape)} and ${shapeStr(y.shape)} differ (${x.shape[la]} != ${y.shape[rb]})`,
    )
  }
  return finish(contract(x, y, [la], [rb]), wasBool)
}

/** NumPy `outer`: both operands are flattened; out[i, j] = a[i] · b[j]. */
export const outer = (a: ArrayLike, b: ArrayLike): Tracer => {
  const { xs: [x, y], wasBool } = prepare('outer', a, b)
  return finish(contract(reshape(x, [x.size]), reshape(y, [y.size]), [], []), wasBool)
}

// ---- matmul ------------------------------------------------------------------------------

/**
 * NumPy `matmul` (`@`): the last two axes are matrices, the leading axes broadcast as batch
 * axes. A 1-D `a` is a row vector [1, n] and a 1-D `b` a column [n, 1]; the added axis is
 * removed from the result. 0-d operands are an error (use multiply).
 */
export const matmul = (a: ArrayLike, b: ArrayLike): Tracer => {
  const { xs: [x0, y0], wasBool } = prepare('matmul', a, b)
  if (x0.ndim === 0 || y0.ndim === 0) {
    throw new ValueError(
      `matmul: operands must be at least 1-D, got shapes ${shapeStr(x0.shape)} and ${shapeStr(y0.shape)}; use np.multiply (or x.mul(y)) to scale by a scalar`,
    )
  }
  const x = x0.ndim === 1 ? reshape(x0, [1, x0.shape[0]]) : x0
  const y = y0.ndim === 1 ? reshape(y0, [y0.shape[0], 1]) : y0
  const [m, k] = x.shape.slice(-2)
  const [k2, n] = y.shape.slice(-2)
  if (k !== k2) {
    throw new ShapeError(
      `matmul: ${shapeStr(x0.shape)} @ ${shapeStr(y0.shape)}: the contracted axes differ (a has ${k} columns, b has ${k2} rows)`,
    )
  }
  const xb = x.shape.slice(0, -2)
  const yb = y.shape.slice(0, -2)
  let batch: number[]
  try {
    batch = broadcastShapes('matmul', xb, yb)
  } catch {
    throw new ShapeError(
      `matmul: the batch axes of ${shapeStr(x0.shape)} and ${shapeStr(y0.shape)} (${shapeStr(xb)} and ${shapeStr(yb)}) do not broadcast`,
    )
  }
  const nb = batch.length
  let out: Tracer
  if (sizeOf(yb) === 1) {
    // b is one matrix: fold a's batch axes into its free axes.
    out = contract(x, reshape(y, [k, n]), [x.ndim - 1], [0]) // xb ++ [m, n]
  } else if (sizeOf(xb) === 1) {
    // a is one matrix: [m] ++ yb ++ [n], then move m next to n.
    out = contract(reshape(x, [m, k]), y, [1], [y.ndim - 2])
    out = transpose(out, [...dims(yb.length, 1), 0, yb.length + 1])
  } else {
    const xf = broadcastTo(x, [...batch, m, k], 'matmul')
    const yf = broadcastTo(y, [...batch, k, n], 'matmul')
    out = contract(xf, yf, [nb + 1], [nb], dims(nb), dims(nb))
  }
  const shape = [...batch, ...(x0.ndim === 1 ? [] : [m]), ...(y0.ndim === 1 ? [] : [n])]
  if (!shapeEq(out.shape, shape)) out = reshape(out, shape)
  return finish(out, wasBool)
}

// ---- tensordot ---------------------------------------------------------------------------

export type TensordotAxes = number | readonly [number | readonly number[], number | readonly number[]]

/**
 * NumPy `tensordot`: `axes = n` contracts the last n axes of `a` with the first n of `b`;
 * `axes = [aAxes, bAxes]` contracts them pairwise. Result: a's free axes ++ b's free axes.
 */
export const tensordot = (a: ArrayLike, b: ArrayLike, axes: TensordotAxes = 2): Tracer => {
  const { xs: [x, y], wasBool } = prepare('tensordot', a, b)
  let ax: number[]
  let bx: number[]
  if (typeof axes === 'number') {
    if (!Number.isInteger(axes) || axes < 0 || axes > x.ndim || axes > y.ndim) {
      throw new ValueError(
        `tensordot: axes = ${axes} must be an integer in 0 … ${Math.min(x.ndim, y.ndim)} for shapes ${shapeStr(x.shape)} and ${shapeStr(y.shape)}`,
      )
    }
    ax = dims(axes, x.ndim - axes)
    bx = dims(axes)
  } else {
    if (!Array.isArray(axes) || axes.length !== 2) {
      throw new ValueError(`tensordot: axes must be a number or a pair [aAxes, bAxes], got ${JSON.stringify(axes)}`)
    }
    const list = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v] : [...v])
    ax = list(axes[0]).map((d) => normAxis(d, x.ndim, 'tensordot'))
    bx = list(axes[1]).map((d) => normAxis(d, y.ndim, 'tensordot'))
    if (ax.length !== bx.length) {
      throw new ValueError(`tensordot: aAxes (${ax.join(', ')}) and bAxes (${bx.join(', ')}) must have equal lengths`)
    }
    if (new Set(ax).size !== ax.length || new Set(bx).size !== bx.length) {
      throw new ValueError(`tensordot: repeated axis in aAxes (${ax.join(', ')}) or bAxes (${bx.join(', ')})`)
    }
  }
  ax.forEach((d, i) => {
    if (x.shape[d] !== y.shape[bx[i]]) {
      throw new ShapeError(
        `tensordot: axis ${d} of a ${shapeStr(x.shape)} (size ${x.shape[d]}) does not match axis ${bx[i]} of b ${shapeStr(y.shape)} (size ${y.shape[bx[i]]})`,
      )
    }
  })
  return finish(contract(x, y, ax, bx), wasBool)
}

// ---- einsum ------------------------------------------------------------------------------

/** A label: a letter, or `…k` for the k-th (right-aligned) axis covered by an ellipsis. */
type Label = string

interface Term {
  readonly letters: readonly Label[]
  /** position of '...' among the letters, or -1 */
  readonly ellipsisAt: number
}

const parseTerm = (term: string, subscripts: string): Term => {
  const letters: Label[] = []
  let ellipsisAt = -1
  for (let i = 0; i < term.length; i++) {
    const c = term[i]
    if (c === '.') {
      if (term.slice(i, i + 3) !== '...' || ellipsisAt >= 0) {
        throw new ValueError(`einsum: invalid ellipsis in '${term}' of subscripts '${subscripts}' ('...' may appear once per operand)`)
      }
      ellipsisAt = letters.length
      i += 2
    } else if (/^[a-zA-Z]$/.test(c)) {
      letters.push(c)
    } else {
      throw new ValueError(`einsum: invalid character '${c}' in subscripts '${subscripts}' (use letters a-z, A-Z, ',', '->' and '...')`)
    }
  }
  return { letters, ellipsisAt }
}

/** The labels of an operand's axes, with its ellipsis axes named `…k` (right-aligned among E). */
const expand = (t: Term, ellipsisRank: number, totalEllipsis: number): Label[] => {
  if (t.ellipsisAt < 0) return [...t.letters]
  const ell = dims(ellipsisRank, totalEllipsis - ellipsisRank).map((k) => `…${k}`)
  return [...t.letters.slice(0, t.ellipsisAt), ...ell, ...t.letters.slice(t.ellipsisAt)]
}

/** x with its axes `p` and `q` (same size) restricted to the diagonal: the result keeps `p`. */
const diagonal = (x: Tracer, p: number, q: number): Tracer => {
  const n = x.shape[p]
  const mask = convertElementType(eq(iota('int32', [n, n], 0), iota('int32', [n, n], 1)), x.dtype)
  return reduceSum(mul(x, broadcastInDim(mask, x.shape, [p, q])), [q])
}

/** Sum `x` over the axes whose labels are not in `keep`. */
const sumOut = (x: Tracer, labels: Label[], keep: ReadonlySet<Label>): [Tracer, Label[]] => {
  const axes = labels.flatMap((l, i) => (keep.has(l) ? [] : [i]))
  if (axes.length === 0) return [x, labels]
  return [reduceSum(x, axes), labels.filter((l) => keep.has(l))]
}

/**
 * `einsum(subscripts, ...operands)`, NumPy's Einstein summation: 'ij,jk->ik' (explicit output)
 * or 'ij,jk' (implicit: the labels used once, in alphabetical order, after any '...' axes).
 * A label repeated within one operand takes a diagonal ('ii->i', 'ii->' is the trace); '...'
 * stands for broadcast leading axes. Operands are contracted left to right, one dot_general
 * per pair, with the labels still needed later kept as batch axes.
 */
export const einsum = (subscripts: string, ...operands: ArrayLike[]): Tracer => {
  if (typeof subscripts !== 'string') throw new ValueError(`einsum: subscripts must be a string, got ${typeof subscripts}`)
  const spec = subscripts.replace(/\s+/g, '')
  const parts = spec.split('->')
  if (parts.length > 2) throw new ValueError(`einsum: subscripts '${subscripts}' contain '->' more than once`)
  const inTerms = parts[0].split(',').map((t) => parseTerm(t, subscripts))
  if (operands.length === 0) throw new ValueError(`einsum: no operands for subscripts '${subscripts}'`)
  if (inTerms.length !== operands.length) {
    throw new ValueError(`einsum: subscripts '${subscripts}' name ${inTerms.length} operand(s) but ${operands.length} were given`)
  }
  const { xs, wasBool } = prepare('einsum', ...operands)
  const shapesStr = xs.map((x) => shapeStr(x.shape)).join(', ')
  const where = `(subscripts '${subscripts}', shapes ${shapesStr})`

  // Ellipsis ranks, and the labels of every operand axis.
  const ellRanks = inTerms.map((t, i) => {
    const x = xs[i]
    if (t.ellipsisAt < 0) {
      if (t.letters.length !== x.ndim) {
        throw new ShapeError(`einsum: operand ${i} has rank ${x.ndim} but its subscripts name ${t.letters.length} axes ${where}`)
      }
      return 0
    }
    if (t.letters.length > x.ndim) {
      throw new ShapeError(`einsum: operand ${i} has rank ${x.ndim} but its subscripts name ${t.letters.length} axes besides '...' ${where}`)
    }
    return x.ndim - t.letters.length
  })
  const E = Math.max(0, ...ellRanks)
  const labels = inTerms.map((t, i) => expand(t, ellRanks[i], E))

  // Sizes: letters must agree exactly; ellipsis axes broadcast (equal or 1).
  const size = new Map<Label, number>()
  labels.forEach((ls, i) =>
    ls.forEach((l, ax) => {
      const d = xs[i].shape[ax]
      const prev = size.get(l)
      if (prev === undefined || prev === d) size.set(l, d)
      else if (l.startsWith('…') && (prev === 1 || d === 1)) size.set(l, Math.max(prev, d))
      else {
        const what = l.startsWith('…') ? `the '...' axes` : `label '${l}'`
        throw new ShapeError(`einsum: ${what} ${l.startsWith('…') ? 'do not broadcast' : `has sizes ${prev} and ${d}`} ${where}`)
      }
    }),
  )

  // Output labels.
  let outLabels: Label[]
  const ellLabels = dims(E).map((k) => `…${k}`)
  if (parts.length === 2) {
    const t = parseTerm(parts[1], subscripts)
    const seen = new Set<string>()
    for (const l of t.letters) {
      if (seen.has(l)) throw new ValueError(`einsum: output label '${l}' repeats in '${subscripts}'`)
      seen.add(l)
      if (!size.has(l)) throw new ValueError(`einsum: output label '${l}' does not appear in any input of '${subscripts}'`)
    }
    outLabels = expand(t, E, E)
  } else {
    const counts = new Map<Label, number>()
    for (const ls of labels) for (const l of ls) if (!l.startsWith('…')) counts.set(l, (counts.get(l) ?? 0) + 1)
    const once = [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort()
    outLabels = [...ellLabels, ...once]
  }
  const outSet = new Set(outLabels)

  // Per operand: drop broadcast size-1 ellipsis axes, take diagonals, sum private labels.
  const ops: { x: Tracer; ls: Label[] }[] = xs.map((x0, i) => {
    let x = x0
    let ls = [...labels[i]]
    const dropped = ls.map((l, ax) => l.startsWith('…') && x.shape[ax] === 1 && (size.get(l) as number) > 1)
    if (dropped.some(Boolean)) {
      x = reshape(x, x.shape.filter((_, ax) => !dropped[ax]))
      ls = ls.filter((_, ax) => !dropped[ax])
    }
    for (let p = 0; p < ls.length; p++) {
      for (let q = ls.length - 1; q > p; q--) {
        if (ls[q] === ls[p]) {
          x = diagonal(x, p, q)
          ls.splice(q, 1)
        }
      }
    }
    return { x, ls }
  })
  const neededAfter = (i: number): Set<Label> => {
    const s = new Set(outSet)
    for (let j = i; j < ops.length; j++) for (const l of ops[j].ls) s.add(l)
    return s
  }

  let [cur, curLs] = sumOut(ops[0].x, ops[0].ls, neededAfter(1))
  for (let i = 1; i < ops.length; i++) {
    const later = neededAfter(i + 1)
    const keepCur = new Set([...later, ...ops[i].ls])
    const keepOther = new Set([...later, ...curLs])
    ;[cur, curLs] = sumOut(cur, curLs, keepCur)
    const [other, otherLs] = sumOut(ops[i].x, ops[i].ls, keepOther)
    const shared = curLs.filter((l) => otherLs.includes(l))
    const batch = shared.filter((l) => later.has(l))
    const contracted = shared.filter((l) => !later.has(l))
    const at = (ls: Label[], l: Label) => ls.indexOf(l)
    cur = contract(
      cur,
      other,
      contracted.map((l) => at(curLs, l)),
      contracted.map((l) => at(otherLs, l)),
      batch.map((l) => at(curLs, l)),
      batch.map((l) => at(otherLs, l)),
    )
    curLs = [...batch, ...curLs.filter((l) => !shared.includes(l)), ...otherLs.filter((l) => !shared.includes(l))]
  }
  ;[cur, curLs] = sumOut(cur, curLs, outSet)
  // Output labels missing here are broadcast ellipsis axes that were size 1 everywhere.
  const present = outLabels.filter((l) => curLs.includes(l))
  const perm = present.map((l) => curLs.indexOf(l))
  if (perm.some((p, i) => p !== i)) cur = transpose(cur, perm)
  const outShape: Shape = outLabels.map((l) => size.get(l) as number)
  if (!shapeEq(cur.shape, outShape)) cur = reshape(cur, outShape)
  return finish(cur, wasBool)
}
