/**
 * Core layer: the signatures of the Array methods (`x.mul(w).add(b).tanh().sum()`), and the
 * operand types they take. They are declared here, beside the `Tracer` class they merge into,
 * so that every consumer of the package — which sees only the bundled declarations — sees each
 * method with its real signature. The implementations are the `np` functions of the same
 * meaning, installed on the prototype by the numpy layer (src/numpy/methods.ts).
 */
import type { DType } from '../ir/dtypes'
import type { Tracer } from './tracer'

/** What an `np` function accepts as an array operand: an Array, or a JS number / boolean
 *  (a weakly typed 0-d array). */
export type ArrayLike = Tracer | number | boolean

/** `axis` of a reduction: one axis, several, or null / undefined for all. */
export type Axis = number | readonly number[] | null | undefined

/** Options of every reduction. */
export interface ReduceOpts {
  readonly keepdims?: boolean
}

/** Options of `var` and `std`. */
export interface VarOpts extends ReduceOpts {
  /** Delta degrees of freedom: the divisor is n − ddof (0: population, 1: sample). */
  readonly ddof?: number
}

/** The methods of every Array: each is the `np` function of the same name applied to `this`. */
export interface ArrayMethods {
  add(y: ArrayLike): Tracer
  sub(y: ArrayLike): Tracer
  mul(y: ArrayLike): Tracer
  div(y: ArrayLike): Tracer
  pow(y: ArrayLike): Tracer
  mod(y: ArrayLike): Tracer
  neg(): Tracer
  lt(y: ArrayLike): Tracer
  le(y: ArrayLike): Tracer
  gt(y: ArrayLike): Tracer
  ge(y: ArrayLike): Tracer
  eq(y: ArrayLike): Tracer
  ne(y: ArrayLike): Tracer
  maximum(y: ArrayLike): Tracer
  minimum(y: ArrayLike): Tracer

  exp(): Tracer
  expm1(): Tracer
  log(): Tracer
  log1p(): Tracer
  log2(): Tracer
  log10(): Tracer
  sqrt(): Tracer
  rsqrt(): Tracer
  square(): Tracer
  reciprocal(): Tracer
  sin(): Tracer
  cos(): Tracer
  tan(): Tracer
  tanh(): Tracer
  sinh(): Tracer
  cosh(): Tracer
  arcsin(): Tracer
  arccos(): Tracer
  arctan(): Tracer
  abs(): Tracer
  sign(): Tracer
  floor(): Tracer
  ceil(): Tracer
  round(decimals?: number): Tracer
  isnan(): Tracer
  isfinite(): Tracer
  clip(lo?: ArrayLike | null, hi?: ArrayLike | null): Tracer

  sum(axis?: Axis, opts?: ReduceOpts & { dtype?: DType }): Tracer
  prod(axis?: Axis, opts?: ReduceOpts & { dtype?: DType }): Tracer
  mean(axis?: Axis, opts?: ReduceOpts & { dtype?: DType }): Tracer
  max(axis?: Axis, opts?: ReduceOpts): Tracer
  min(axis?: Axis, opts?: ReduceOpts): Tracer
  all(axis?: Axis, opts?: ReduceOpts): Tracer
  any(axis?: Axis, opts?: ReduceOpts): Tracer
  var(axis?: Axis, opts?: VarOpts): Tracer
  std(axis?: Axis, opts?: VarOpts): Tracer
  argmax(axis?: number | null, opts?: ReduceOpts): Tracer
  argmin(axis?: number | null, opts?: ReduceOpts): Tracer
  logsumexp(axis?: Axis, opts?: ReduceOpts): Tracer
  cumsum(axis?: number | null, opts?: { dtype?: DType }): Tracer

  /** `x.reshape(2, 3)` or `x.reshape([2, 3])`; one entry may be −1. */
  reshape(...shape: number[] | [readonly number[]]): Tracer
  transpose(axes?: readonly number[] | null): Tracer
  swapaxes(axis1: number, axis2: number): Tracer
  /** All axes reversed (NumPy's `.T`). */
  readonly T: Tracer
  /** The last two axes swapped (NumPy's `.mT`). */
  readonly mT: Tracer
  astype(dtype: DType): Tracer
  ravel(): Tracer
  flatten(): Tracer
  squeeze(axis?: number | readonly number[] | null): Tracer
  /** The diagonal `offset` over `axis1`, `axis2` (default 0, 0, 1), as the last axis (np.diagonal). */
  diagonal(offset?: number, axis1?: number, axis2?: number): Tracer
  /** Σ of the diagonal `offset` over `axis1`, `axis2` (np.trace). */
  trace(offset?: number, axis1?: number, axis2?: number, opts?: { dtype?: DType }): Tracer
  expandDims(axis: number | readonly number[]): Tracer
  flip(axis?: number | readonly number[] | null): Tracer
  broadcastTo(shape: readonly number[]): Tracer
}
