/**
 * NumPy layer: the Array methods, so pipelines read left to right
 * (`x.mul(w).add(b).tanh().sum()`). Every method is the `np` function of the same meaning —
 * one implementation each — installed on the Tracer prototype, so concrete arrays and
 * tracers of every transformation have exactly the same surface.
 */
import { Tracer } from '../core/tracer'
import type { DType } from '../ir/dtypes'
import { astype } from './creation'
import * as ew from './elementwise'
import type { ArrayLike } from './promote'
import * as red from './reductions'
import * as sh from './shape'

declare module '../core/tracer' {
  interface Tracer {
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

    sum(axis?: red.Axis, opts?: red.ReduceOpts & { dtype?: DType }): Tracer
    prod(axis?: red.Axis, opts?: red.ReduceOpts & { dtype?: DType }): Tracer
    mean(axis?: red.Axis, opts?: red.ReduceOpts & { dtype?: DType }): Tracer
    max(axis?: red.Axis, opts?: red.ReduceOpts): Tracer
    min(axis?: red.Axis, opts?: red.ReduceOpts): Tracer
    all(axis?: red.Axis, opts?: red.ReduceOpts): Tracer
    any(axis?: red.Axis, opts?: red.ReduceOpts): Tracer
    var(axis?: red.Axis, opts?: red.VarOpts): Tracer
    std(axis?: red.Axis, opts?: red.VarOpts): Tracer
    argmax(axis?: number | null, opts?: red.ReduceOpts): Tracer
    argmin(axis?: number | null, opts?: red.ReduceOpts): Tracer
    logsumexp(axis?: red.Axis, opts?: red.ReduceOpts): Tracer
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
    expandDims(axis: number | readonly number[]): Tracer
    flip(axis?: number | readonly number[] | null): Tracer
    broadcastTo(shape: readonly number[]): Tracer
  }
}

type Methods = { [K in keyof Tracer]?: Tracer[K] }

const methods: Methods & ThisType<Tracer> = {
  add(y) { return ew.add(this, y) },
  sub(y) { return ew.subtract(this, y) },
  mul(y) { return ew.multiply(this, y) },
  div(y) { return ew.divide(this, y) },
  pow(y) { return ew.power(this, y) },
  mod(y) { return ew.remainder(this, y) },
  neg() { return ew.negative(this) },
  lt(y) { return ew.less(this, y) },
  le(y) { return ew.lessEqual(this, y) },
  gt(y) { return ew.greater(this, y) },
  ge(y) { return ew.greaterEqual(this, y) },
  eq(y) { return ew.equal(this, y) },
  ne(y) { return ew.notEqual(this, y) },
  maximum(y) { return ew.maximum(this, y) },
  minimum(y) { return ew.minimum(this, y) },

  exp() { return ew.exp(this) },
  expm1() { return ew.expm1(this) },
  log() { return ew.log(this) },
  log1p() { return ew.log1p(this) },
  log2() { return ew.log2(this) },
  log10() { return ew.log10(this) },
  sqrt() { return ew.sqrt(this) },
  rsqrt() { return ew.rsqrt(this) },
  square() { return ew.square(this) },
  reciprocal() { return ew.reciprocal(this) },
  sin() { return ew.sin(this) },
  cos() { return ew.cos(this) },
  tan() { return ew.tan(this) },
  tanh() { return ew.tanh(this) },
  sinh() { return ew.sinh(this) },
  cosh() { return ew.cosh(this) },
  arcsin() { return ew.arcsin(this) },
  arccos() { return ew.arccos(this) },
  arctan() { return ew.arctan(this) },
  abs() { return ew.abs(this) },
  sign() { return ew.sign(this) },
  floor() { return ew.floor(this) },
  ceil() { return ew.ceil(this) },
  round(decimals) { return ew.round(this, decimals) },
  isnan() { return ew.isnan(this) },
  isfinite() { return ew.isfinite(this) },
  clip(lo, hi) { return ew.clip(this, lo, hi) },

  sum(axis, opts) { return red.sum(this, axis, opts) },
  prod(axis, opts) { return red.prod(this, axis, opts) },
  mean(axis, opts) { return red.mean(this, axis, opts) },
  max(axis, opts) { return red.max(this, axis, opts) },
  min(axis, opts) { return red.min(this, axis, opts) },
  all(axis, opts) { return red.all(this, axis, opts) },
  any(axis, opts) { return red.any(this, axis, opts) },
  var(axis, opts) { return red.variance(this, axis, opts) },
  std(axis, opts) { return red.std(this, axis, opts) },
  argmax(axis, opts) { return red.argmax(this, axis, opts) },
  argmin(axis, opts) { return red.argmin(this, axis, opts) },
  logsumexp(axis, opts) { return red.logsumexp(this, axis, opts) },
  cumsum(axis, opts) { return red.cumsum(this, axis, opts) },

  reshape(...shape) {
    const s = shape.length === 1 && Array.isArray(shape[0]) ? shape[0] : (shape as number[])
    return sh.reshape(this, s)
  },
  transpose(axes) { return sh.transpose(this, axes) },
  swapaxes(a, b) { return sh.swapaxes(this, a, b) },
  astype(dtype) { return astype(this, dtype) },
  ravel() { return sh.ravel(this) },
  flatten() { return sh.ravel(this) },
  squeeze(axis) { return sh.squeeze(this, axis) },
  expandDims(axis) { return sh.expandDims(this, axis) },
  flip(axis) { return sh.flip(this, axis) },
  broadcastTo(shape) { return sh.broadcastTo(this, shape) },
}

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tracer.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false })
}
Object.defineProperty(Tracer.prototype, 'T', {
  get(this: Tracer) { return sh.transpose(this) },
  configurable: true,
  enumerable: false,
})
Object.defineProperty(Tracer.prototype, 'mT', {
  get(this: Tracer) { return sh.matrixTranspose(this) },
  configurable: true,
  enumerable: false,
})
