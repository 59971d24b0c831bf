/**
 * nn layer: scaled dot-product attention (jax.nn.dot_product_attention), written with einsum,
 * select and a stable softmax, so it differentiates in q, k, v and bias and batches under
 * vmap like its parts.
 *
 *   logits[b, n, t, s] = scale · Σ_h q[b, t, n, h] k[b, s, n', h] + bias[b, n, t, s]
 *   p = softmax over s of logits, masked entries set to a large negative number
 *   out[b, t, n, h] = Σ_s p[b, n, t, s] v[b, s, n', h]
 * with n' = ⌊n / G⌋ for grouped-query attention (N query heads, K = N / G key/value heads).
 */
import { scalar } from '../core/array'
import { DTypeError, ShapeError, ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { einsum } from '../numpy/contract'
import { add, divide, exp, logicalAnd, multiply, subtract, where } from '../numpy/elementwise'
import { type ArrayLike, asArray, promoteArgs, toFloat } from '../numpy/promote'
import { max, sum } from '../numpy/reductions'
import { broadcastTo, reshape } from '../numpy/shape'
import * as bin from '../primitives/binary'
import { broadcastInDim, iota } from '../primitives/shape'
import { stopGradient } from '../primitives/unary'

export interface AttentionOpts {
  /** added to the logits; broadcasts to [B, N, T, S] */
  readonly bias?: ArrayLike
  /** bool, true = attend; broadcasts to [B, N, T, S] */
  readonly mask?: ArrayLike
  /** the logit scale (default 1/√H) */
  readonly scale?: number
  /** query t attends only to keys s ≤ t */
  readonly isCausal?: boolean
  /** int32 [B]: queries at positions ≥ the length attend to nothing (their rows are uniform) */
  readonly querySeqLengths?: ArrayLike
  /** int32 [B]: keys at positions ≥ the length are masked */
  readonly keyValueSeqLengths?: ArrayLike
  /** [left, right]: query t attends to keys s with t − left ≤ s ≤ t + right */
  readonly localWindowSize?: readonly [number, number]
}

/**
 * What masked logits become: −0.7 × the largest float32, as JAX (finite, so a row with every
 * entry masked gives a uniform softmax rather than NaN).
 */
const LARGE_NEGATIVE = -0.7 * 3.4028234663852886e38

/**
 * Scaled dot-product attention. query [B, T, N, H] (or [T, N, H]), key and value [B, S, K, H]
 * (or [S, K, H]) with N a multiple of K; returns [B, T, N, H] (or [T, N, H]).
 */
export const dotProductAttention = (query: ArrayLike, key: ArrayLike, value: ArrayLike, opts: AttentionOpts = {}): Tracer => {
  const op = 'dotProductAttention'
  let [q, k, v] = promoteArgs(op, toFloat(query, op), toFloat(key, op), toFloat(value, op))
  const unbatched = q.ndim === 3
  if (![q, k, v].every((t) => t.ndim === q.ndim) || (q.ndim !== 3 && q.ndim !== 4)) {
    throw new ShapeError(`${op}: query, key and value must all be [B, T, N, H] (or [T, N, H]), got ${[q, k, v].map((t) => avalStr(t.aval)).join(', ')}`)
  }
  if (unbatched) [q, k, v] = [q, k, v].map((t) => reshape(t, [1, ...t.shape]))
  const [B, T, N, H] = q.shape
  const [Bk, S, K, Hk] = k.shape
  if (Bk !== B || Hk !== H || v.shape.some((d, i) => d !== k.shape[i])) {
    throw new ShapeError(`${op}: key and value must be [B, S, K, H] with query's B = ${B} and H = ${H}, got ${avalStr(k.aval)} and ${avalStr(v.aval)}`)
  }
  if (K === 0 || N % K !== 0) throw new ShapeError(`${op}: the number of query heads ${N} must be a multiple of the key/value heads ${K}`)
  // Grouped-query attention: key/value head j serves query heads j·G … j·G + G − 1.
  const G = N / K
  const spread = (t: Tracer): Tracer => (G === 1 ? t : reshape(broadcastInDim(t, [B, S, K, G, H], [0, 1, 2, 4]), [B, S, N, H]))
  const [ks, vs] = [spread(k), spread(v)]
  const scale = opts.scale ?? 1 / Math.sqrt(H)
  let logits = multiply(einsum('btnh,bsnh->bnts', q, ks), scale)
  if (opts.bias !== undefined) logits = add(logits, opts.bias)
  const shape = [B, N, T, S]
  let keep: Tracer | null = null
  const and = (m: Tracer) => (keep = keep === null ? broadcastTo(m, shape) : logicalAnd(keep, m))
  if (opts.mask !== undefined) {
    const m = asArray(opts.mask, op)
    if (m.dtype !== 'bool') throw new DTypeError(`${op}: mask must be bool (true = attend), got ${avalStr(m.aval)}`)
    if (unbatched && m.ndim === 4 && m.shape[0] !== 1) throw new ShapeError(`${op}: an unbatched call takes a mask of rank ≤ 3, got ${avalStr(m.aval)}`)
    and(unbatched && m.ndim === 3 ? reshape(m, [1, ...m.shape]) : m)
  }
  const row = iota('int32', [T, S], 0)
  const col = iota('int32', [T, S], 1)
  if (opts.isCausal) and(bin.le(col, row))
  if (opts.localWindowSize !== undefined) {
    const [left, right] = opts.localWindowSize
    if (!Number.isInteger(left) || !Number.isInteger(right) || left < 0 || right < 0) {
      throw new ValueError(`${op}: localWindowSize must be two non-negative integers [left, right], got [${left}, ${right}]`)
    }
    and(logicalAnd(bin.le(row, bin.add(col, scalar(left, 'int32'))), bin.ge(row, bin.sub(col, scalar(right, 'int32')))))
  }
  const lengths = (l: ArrayLike | undefined, axis: 2 | 3): void => {
    if (l === undefined) return
    const t = asArray(l, op)
    if (t.dtype !== 'int32' || t.ndim !== 1 || t.shape[0] !== B) throw new ShapeError(`${op}: sequence lengths must be int32 [${B}], got ${avalStr(t.aval)}`)
    const pos = iota('int32', shape, axis)
    and(bin.lt(pos, broadcastInDim(t, shape, [0])))
  }
  lengths(opts.querySeqLengths, 2)
  lengths(opts.keyValueSeqLengths, 3)
  if (keep !== null) logits = where(keep, logits, scalar(LARGE_NEGATIVE, logits.dtype, true))
  // e^{x − m} / Σ e^{x − m}, m the row maximum (not e^{x − logsumexp}: with every entry at
  // −2.4e38, log 4 vanishes next to the magnitude and each weight would come out 1, not ¼).
  const e = exp(subtract(logits, stopGradient(max(logits, -1, { keepdims: true }))))
  const p = divide(e, sum(e, -1, { keepdims: true }))
  const out = einsum('bnts,bsnh->btnh', p, vs)
  return unbatched ? reshape(out, out.shape.slice(1)) : out
}
