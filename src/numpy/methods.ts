/**
 * NumPy layer: the Array methods, so pipelines read left to right
 * (`x.mul(w).add(b).tanh().sum()`). Every method is the `np` function of the same meaning —
 * one implementation each — installed on the Tracer prototype, so concrete arrays and
 * tracers of every transformation have exactly the same surface. The signatures are declared
 * in src/core/methods.ts (merged into the Tracer class); `Methods` makes this table complete.
 */
import type { ArrayMethods } from '../core/methods'
import { Tracer } from '../core/tracer'
import { astype } from './creation'
import * as ew from './elementwise'
import * as mx from './matrix'
import * as red from './reductions'
import * as sh from './shape'

type Methods = { [K in Exclude<keyof ArrayMethods, 'T' | 'mT'>]: ArrayMethods[K] }

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

  diagonal(offset, axis1, axis2) { return mx.diagonal(this, offset, axis1, axis2) },
  trace(offset, axis1, axis2, opts) { return mx.trace(this, offset, axis1, axis2, opts) },
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
