/**
 * NumPy layer: searchsorted and piecewise-linear interpolation (interp). Both compare every
 * query with every breakpoint (an [..., n] comparison summed over n): O(m·n) work but one
 * fused kernel, no data-dependent control flow, so jit, vmap and both modes of
 * differentiation apply unchanged.
 */
import { scalar } from '../core/array'
import { ShapeError, ValueError } from '../core/errors'
import { show } from '../core/validate'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import * as bin from '../primitives/binary'
import { broadcastInDim, convertElementType } from '../primitives/shape'
import * as un from '../primitives/unary'
import { isnan, where } from './elementwise'
import { take } from './indexing'
import { type ArrayLike, asArray, promoteArgs, toFloat } from './promote'
import { sum } from './reductions'

export interface SearchsortedOpts {
  /** 'left' (default): the first position i with v ≤ a[i]; 'right': the first with v < a[i]. */
  readonly side?: 'left' | 'right'
}

/**
 * NaN-aware order (NaN after everything, as `np.sort` puts it): x < y, or y is NaN and x is not.
 */
const sortLess = (x: Tracer, y: Tracer): Tracer => bin.or(bin.lt(x, y), bin.and(isnan(y), un.not(isnan(x))))

/**
 * Insertion positions of `v` into the sorted 1-D `a` that keep it sorted (int32, the shape of
 * `v`): side 'left' counts the a[i] < v, 'right' the a[i] ≤ v. NaNs sort last, as np.sort.
 */
export const searchsorted = (a: ArrayLike, v: ArrayLike, opts: SearchsortedOpts = {}): Tracer => {
  const op = 'searchsorted'
  const side = opts.side ?? 'left'
  if (side !== 'left' && side !== 'right') throw new ValueError(`${op}: side must be 'left' or 'right', got ${show(side)}`)
  const [s, q] = promoteArgs(op, asArray(a, op), asArray(v, op))
  if (s.ndim !== 1) throw new ShapeError(`${op}: a must be 1-D (sorted), got ${avalStr(s.aval)}`)
  const n = s.shape[0]
  const shape = [...q.shape, n]
  const sb = broadcastInDim(s, shape, [q.ndim])
  const qb = broadcastInDim(q, shape, q.shape.map((_, i) => i))
  // left: a[i] < v; right: a[i] ≤ v, i.e. not (v < a[i]).
  const before = side === 'left' ? sortLess(sb, qb) : un.not(sortLess(qb, sb))
  return sum(convertElementType(before, 'int32'), -1)
}

export interface InterpOpts {
  /** the value for x < xp[0] (default fp[0]) */
  readonly left?: ArrayLike
  /** the value for x > xp[-1] (default fp[-1]) */
  readonly right?: ArrayLike
}

/** Below this |xp[i] − xp[i − 1]| a segment is a jump: fp[i − 1], never a 0/0 (JAX's spacing(eps)). */
const jumpBelow = (t: Tracer): number => (t.dtype === 'float32' ? 2 ** -46 : 2 ** -104)

/**
 * Piecewise-linear interpolation of the points (xp, fp) at x; xp increasing. Outside
 * [xp[0], xp[-1]] the value is `left` / `right` (default: the end values, so constant
 * extrapolation). Differentiable in x, xp and fp: on a segment, fp[i−1] + (x − xp[i−1]) /
 * (xp[i] − xp[i−1]) · (fp[i] − fp[i−1]).
 */
export const interp = (x: ArrayLike, xp: ArrayLike, fp: ArrayLike, opts: InterpOpts = {}): Tracer => {
  const op = 'interp'
  const [xs, xps] = promoteArgs(op, toFloat(x, op), toFloat(xp, op))
  const fps = toFloat(fp, op)
  if (xps.ndim !== 1 || fps.ndim !== 1 || xps.shape[0] !== fps.shape[0]) {
    throw new ShapeError(`${op}: xp and fp must be 1-D of equal length, got ${avalStr(xps.aval)} and ${avalStr(fps.aval)}`)
  }
  const n = xps.shape[0]
  if (n === 0) throw new ValueError(`${op}: xp and fp must not be empty`)
  const last = (t: Tracer) => take(t, scalar(n - 1, 'int32'))
  const first = (t: Tracer) => take(t, scalar(0, 'int32'))
  let f: Tracer
  if (n === 1) f = bin.add(bin.mul(xs, scalar(0, xs.dtype, true)), first(fps))
  else {
    const pos = searchsorted(xps, xs, { side: 'right' })
    const i = bin.min(bin.max(pos, scalar(1, 'int32')), scalar(n - 1, 'int32'))
    const im1 = bin.sub(i, scalar(1, 'int32'))
    const f0 = take(fps, im1)
    const df = bin.sub(take(fps, i), f0)
    const x0 = take(xps, im1)
    const dx = bin.sub(take(xps, i), x0)
    const jump = bin.le(un.abs(dx), scalar(jumpBelow(dx), dx.dtype))
    const slope = bin.div(bin.sub(xs, x0), where(jump, scalar(1, dx.dtype), dx))
    f = where(jump, f0, bin.add(f0, bin.mul(slope, df)))
  }
  f = where(bin.lt(xs, first(xps)), opts.left ?? first(fps), f)
  return where(bin.gt(xs, last(xps)), opts.right ?? last(fps), f)
}
