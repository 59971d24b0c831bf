/**
 * Primitives layer: elementwise unary primitives
 *   neg sin cos tan asin acos atan sinh cosh tanh exp expm1 log log1p sqrt rsqrt abs sign
 *   floor ceil round logistic not stop_gradient
 * Each: abstract eval (float-only where the math needs it), impl (Math.* in float64; a
 * Float32Array store rounds float32 results), a jvp written with primitives, and batching
 * that passes the batch axis through.
 */
import type { ConcreteArray } from '../core/array'
import { lowerOp } from '../ir/scalar'
import { type BaseRules, type JvpRule, type RuleTable, type Tangent, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr, shaped } from '../ir/aval'
import { DTypeError } from '../core/errors'
import { isBool, isFloat } from '../ir/dtypes'
import type { UnaryPrim } from '../ir/params'
import { add, div, mul, sub } from './binary'
import { NO_PARAMS, instantiate, linearJvp, requireFloat, unaryBatch, unaryImpl, zeroJvp } from './util'

// ---- wrappers (lax level: no promotion, no broadcasting) ---------------------------------

const w = (prim: UnaryPrim) => (x: Tracer): Tracer => bind1(prim, [x], NO_PARAMS)
export const neg = w('neg'), sin = w('sin'), cos = w('cos'), tan = w('tan')
export const asin = w('asin'), acos = w('acos'), atan = w('atan')
export const sinh = w('sinh'), cosh = w('cosh'), tanh = w('tanh')
export const exp = w('exp'), expm1 = w('expm1'), log = w('log'), log1p = w('log1p')
export const sqrt = w('sqrt'), rsqrt = w('rsqrt'), abs = w('abs'), sign = w('sign')
export const floor = w('floor'), ceil = w('ceil'), round = w('round'), logistic = w('logistic')
export const not = w('not'), stopGradient = w('stop_gradient')

// ---- impls of the scalar functions -------------------------------------------------------

/** Round half to even (NumPy's and XLA's ROUND_TO_NEAREST_EVEN). */
export const roundHalfEven = (v: number): number => {
  const r = Math.round(v)
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** σ(x) = 1 / (1 + e^{-x}), without overflow for large |x|. */
export const logisticScalar = (v: number): number => {
  if (v >= 0) return 1 / (1 + Math.exp(-v))
  const e = Math.exp(v)
  return e / (1 + e)
}

// ---- abstract eval -----------------------------------------------------------------------

type Kind = 'float' | 'numeric' | 'logical' | 'any'

const evalFor = (prim: UnaryPrim, kind: Kind) => (avals: readonly ShapedArray[]): ShapedArray[] => {
  const a = avals[0]
  if (kind === 'float') requireFloat(a, prim)
  if (kind === 'numeric' && isBool(a.dtype)) {
    throw new DTypeError(`${prim} needs a numeric array, got ${avalStr(a)}`)
  }
  if (kind === 'logical' && isFloat(a.dtype)) {
    throw new DTypeError(`${prim} needs a bool or int32 array, got ${avalStr(a)}`)
  }
  return [shaped(a.shape, a.dtype, a.weakType)]
}

const unary = <P extends UnaryPrim>(
  prim: P,
  kind: Kind,
  f: (v: number) => number,
  jvp: JvpRule<P>,
): BaseRules<P> => ({
  abstractEval: evalFor(prim, kind),
  impl: (xs: readonly ConcreteArray[]) => [unaryImpl(xs[0], f, xs[0].aval)],
  jvp,
  batch: unaryBatch(prim),
  // One scalar op of the same name (sin → Math.sin, …; `not` is logical for bool, bitwise for int32).
  lower: lowerOp(prim),
})

/** jvp of y = f(x) whose derivative is `scale(x, y)`: dy = scale · dx. */
const chain =
  (prim: UnaryPrim, scale: (x: Tracer, y: Tracer) => Tracer): JvpRule<UnaryPrim> =>
  (primals, tangents) => {
    const x = primals[0]
    const y = bind1(prim, [x], NO_PARAMS)
    return [[y], [mul(instantiate(tangents[0] as Tangent), scale(x, y))]]
  }

/** jvp of y = f(x) written directly in terms of dx (for divisions, avoiding a reciprocal). */
const direct =
  (prim: UnaryPrim, dy: (x: Tracer, y: Tracer, dx: Tracer) => Tracer): JvpRule<UnaryPrim> =>
  (primals, tangents) => {
    const x = primals[0]
    const y = bind1(prim, [x], NO_PARAMS)
    return [[y], [dy(x, y, instantiate(tangents[0]))]]
  }

// ---- the rules ---------------------------------------------------------------------------

export const unaryRules: Pick<RuleTable, UnaryPrim> = {
  // −x is linear: its transpose is −ct.
  neg: { ...unary('neg', 'numeric', (v) => -v, linearJvp('neg')), transpose: ([ct]) => [isZero(ct) ? ct : neg(ct)] },
  // d sin x = cos x dx
  sin: unary('sin', 'float', Math.sin, chain('sin', (x) => cos(x))),
  // d cos x = −sin x dx
  cos: unary('cos', 'float', Math.cos, chain('cos', (x) => neg(sin(x)))),
  // d tan x = (1 + tan² x) dx
  tan: unary('tan', 'float', Math.tan, chain('tan', (_x, y) => add(1, mul(y, y)))),
  // d asin x = dx / √(1 − x²)
  asin: unary('asin', 'float', Math.asin, chain('asin', (x) => rsqrt(sub(1, mul(x, x))))),
  // d acos x = −dx / √(1 − x²)
  acos: unary('acos', 'float', Math.acos, chain('acos', (x) => neg(rsqrt(sub(1, mul(x, x)))))),
  // d atan x = dx / (1 + x²)
  atan: unary('atan', 'float', Math.atan, direct('atan', (x, _y, dx) => div(dx, add(1, mul(x, x))))),
  // d sinh x = cosh x dx
  sinh: unary('sinh', 'float', Math.sinh, chain('sinh', (x) => cosh(x))),
  // d cosh x = sinh x dx
  cosh: unary('cosh', 'float', Math.cosh, chain('cosh', (x) => sinh(x))),
  // d tanh x = (1 − tanh² x) dx
  tanh: unary('tanh', 'float', Math.tanh, chain('tanh', (_x, y) => sub(1, mul(y, y)))),
  // d eˣ = eˣ dx
  exp: unary('exp', 'float', Math.exp, chain('exp', (_x, y) => y)),
  // d (eˣ − 1) = eˣ dx = (y + 1) dx
  // d expm1 x = eˣ dx — not expm1(x) + 1, which cancels to 0 below x ≈ −37 (JAX's #39794)
  expm1: unary('expm1', 'float', Math.expm1, chain('expm1', (x) => exp(x))),
  // d log x = dx / x
  log: unary('log', 'float', Math.log, direct('log', (x, _y, dx) => div(dx, x))),
  // d log(1 + x) = dx / (1 + x)
  log1p: unary('log1p', 'float', Math.log1p, direct('log1p', (x, _y, dx) => div(dx, add(x, 1)))),
  // d √x = dx / (2 √x)
  sqrt: unary('sqrt', 'float', Math.sqrt, direct('sqrt', (_x, y, dx) => div(dx, mul(y, 2)))),
  // d x^{−1/2} = −½ x^{−3/2} dx = −½ (y / x) dx
  rsqrt: unary('rsqrt', 'float', (v) => 1 / Math.sqrt(v), direct('rsqrt', (x, y, dx) => mul(dx, mul(div(y, x), -0.5)))),
  // d |x| = sign(x) dx  (so abs'(0) = 0)
  abs: unary('abs', 'numeric', Math.abs, chain('abs', (x) => sign(x))),
  sign: unary('sign', 'numeric', (v) => (Number.isNaN(v) ? NaN : v > 0 ? 1 : v < 0 ? -1 : 0), zeroJvp('sign')),
  floor: unary('floor', 'float', Math.floor, zeroJvp('floor')),
  ceil: unary('ceil', 'float', Math.ceil, zeroJvp('ceil')),
  round: unary('round', 'float', roundHalfEven, zeroJvp('round')),
  // d σ(x) = σ(x) (1 − σ(x)) dx
  // d σ(x) = σ(x)·σ(−x) dx — not σ(1 − σ), whose 1 − σ rounds to 0 for x ≳ 37
  logistic: unary('logistic', 'float', logisticScalar, chain('logistic', (x, y) => mul(y, logistic(neg(x))))),
  // Logical not for bool, bitwise not for int32 (as lax.not).
  not: {
    ...unary('not', 'logical', (v) => ~v, zeroJvp('not')),
    impl: (xs: readonly ConcreteArray[]) => [unaryImpl(xs[0], isBool(xs[0].dtype) ? (v) => 1 - v : (v) => ~v, xs[0].aval)],
  },
  // A value with zero derivative: its tangent is a symbolic zero.
  stop_gradient: unary('stop_gradient', 'any', (v) => v, zeroJvp('stop_gradient')),
}
