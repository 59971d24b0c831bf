/**
 * lax layer: the decompositions with jax.lax.linalg's signatures and defaults (full matrices,
 * a symmetrized eigh input), over the eigh / svd / qr primitives (src/primitives/decomp.ts).
 */
import { DTypeError } from '../core/errors'
import { type Tracer, bind } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import { add, mul } from '../primitives/binary'
import { mT } from '../primitives/linalg'

const requireFloat = (x: Tracer, op: string): void => {
  if (!isFloat(x.dtype)) throw new DTypeError(`lax.${op} needs a float array, got ${avalStr(x.aval)}. Convert first: x.astype('float64').`)
}

/**
 * [v, w] with x = v·diag(w)·vᵀ, w ascending, as `jax.lax.linalg.eigh`. With
 * `symmetrizeInput` (default) x is replaced by (x + xᵀ)/2 first; otherwise only the lower
 * (`lower`, default) or upper triangle is read.
 */
export const eigh = (x: Tracer, opts: { readonly lower?: boolean; readonly symmetrizeInput?: boolean } = {}): [v: Tracer, w: Tracer] => {
  requireFloat(x, 'eigh')
  const a = (opts.symmetrizeInput ?? true) && x.ndim >= 2 ? mul(add(x, mT(x)), 0.5) : x
  const [v, w] = bind('eigh', [a], { lower: opts.lower ?? true })
  return [v, w]
}

export interface LaxSvdOpts {
  /** u [..., m, m] and vh [..., n, n] (default), else [..., m, k] and [..., k, n]. */
  readonly fullMatrices?: boolean
  /** [u, s, vh] (default), else s alone. */
  readonly computeUv?: boolean
}

/** [u, s, vh] with x = u·diag(s)·vh, s descending, or s alone, as `jax.lax.linalg.svd`. */
export function svd(x: Tracer, opts: LaxSvdOpts & { readonly computeUv: false }): Tracer
export function svd(x: Tracer, opts?: LaxSvdOpts & { readonly computeUv?: true }): [u: Tracer, s: Tracer, vh: Tracer]
export function svd(x: Tracer, opts: LaxSvdOpts = {}): [u: Tracer, s: Tracer, vh: Tracer] | Tracer {
  requireFloat(x, 'svd')
  const computeUv = opts.computeUv ?? true
  const outs = bind('svd', [x], { fullMatrices: opts.fullMatrices ?? true, computeUv })
  return computeUv ? [outs[1], outs[0], outs[2]] : outs[0]
}

/** [q, r] with x = q·r, diag(r) ≥ 0, as `jax.lax.linalg.qr` (full matrices by default). */
export const qr = (x: Tracer, opts: { readonly fullMatrices?: boolean } = {}): [q: Tracer, r: Tracer] => {
  requireFloat(x, 'qr')
  const [q, r] = bind('qr', [x], { fullMatrices: opts.fullMatrices ?? true })
  return [q, r]
}
