/**
 * Primitives layer: elementwise binary primitives
 *   add sub mul div pow max min atan2 rem   (arithmetic)
 *   eq ne lt le gt ge                        (comparisons → bool)
 *   and or                                   (logical for bool, bitwise for int32)
 * Operands have equal dtypes and equal shapes, or are 0-d (a 0-d operand broadcasts, so
 * `mul a 2.0` needs no broadcast equation). The transpose of a linear operand that was 0-d
 * sums the cotangent back to a scalar.
 */
import type { ConcreteArray } from '../core/array'
import { lowerOp } from '../ir/scalar'
import { DTypeError, NonLinearError } from '../core/errors'
import type { BaseRules, JvpRule, RuleTable, Tangent, TransposeRule } from '../core/rules'
import { isUndef, isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr, shaped } from '../ir/aval'
import { isBool, isFloat, isInt } from '../ir/dtypes'
import type { BinaryPrim } from '../ir/params'
import { type ArrayLike, NO_PARAMS, asTracer, binaryImpl, elementwiseAval, elementwiseBatch, isTracerLike, zeroJvp } from './util'
import { ceil, floor, log, neg } from './unary'

// ---- wrappers ----------------------------------------------------------------------------

/** Lift a pair: a JS number takes the other operand's dtype (it is weakly typed). */
const liftPair = (x: ArrayLike, y: ArrayLike): [Tracer, Tracer] => {
  const xt = isTracerLike(x) ? x : null
  const yt = isTracerLike(y) ? y : null
  return [asTracer(x, (yt ?? undefined)?.aval), asTracer(y, (xt ?? undefined)?.aval)]
}
const w = (prim: BinaryPrim) => (x: ArrayLike, y: ArrayLike): Tracer => bind1(prim, liftPair(x, y), NO_PARAMS)
export const add = w('add'), sub = w('sub'), mul = w('mul'), div = w('div'), pow = w('pow')
export const max = w('max'), min = w('min'), atan2 = w('atan2'), rem = w('rem')
export const eq = w('eq'), ne = w('ne'), lt = w('lt'), le = w('le'), gt = w('gt'), ge = w('ge')
export const and = w('and'), or = w('or')

/** `select_n(which, ...cases)` lives in select.ts; `select(c, a, b)` = c ? a : b is the common use. */
const select = (c: Tracer, a: Tracer, b: Tracer): Tracer => bind1('select_n', [c, b, a], NO_PARAMS)
const convert = (x: Tracer, like: ShapedArray): Tracer =>
  bind1('convert_element_type', [x], { newDtype: like.dtype, weakType: like.weakType })

// ---- abstract eval -----------------------------------------------------------------------

type Kind = 'float' | 'numeric' | 'compare' | 'logical'

const evalFor = (prim: BinaryPrim, kind: Kind) => (avals: readonly ShapedArray[]): ShapedArray[] => {
  const out = elementwiseAval(avals, prim, kind === 'compare' ? 'bool' : undefined)
  const d = avals[0].dtype
  const bad =
    (kind === 'float' && !isFloat(d)) ||
    (kind === 'numeric' && isBool(d)) ||
    (kind === 'logical' && isFloat(d))
  if (bad) {
    const want = kind === 'float' ? 'float' : kind === 'numeric' ? 'numeric (int32 or float)' : 'bool or int32'
    throw new DTypeError(`${prim} needs ${want} operands, got ${avals.map(avalStr).join(', ')}`)
  }
  return [kind === 'compare' ? shaped(out.shape, out.dtype, false) : out]
}

// ---- impl helpers --------------------------------------------------------------------------

/** Integer division rounds toward zero (as XLA); x / 0 is −1 (all bits set), as XLA on CPU. */
const intDiv = (a: number, b: number): number => (b === 0 ? -1 : Math.trunc(a / b))
/** Remainder with the sign of the dividend (C fmod), as lax.rem. */
const remScalar = (a: number, b: number): number => a % b
const maxScalar = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b)
const minScalar = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b)

const binary = <P extends BinaryPrim>(
  prim: P,
  kind: Kind,
  f: (a: number, b: number, x: ConcreteArray) => (a: number, b: number) => number,
  jvp: JvpRule<P>,
): BaseRules<P> =>
  ({
    abstractEval: evalFor(prim, kind),
    impl: (xs: readonly ConcreteArray[]) => {
      const [out] = evalFor(prim, kind)([xs[0].aval, xs[1].aval])
      return [binaryImpl(xs[0], xs[1], f(0, 0, xs[0]), out)]
    },
    jvp,
    batch: elementwiseBatch(prim),
    // One scalar op of the same name; a 0-d operand is the same element everywhere.
    lower: lowerOp(prim),
  }) as BaseRules<P>

const plain = (g: (a: number, b: number) => number) => () => g

// ---- jvp and transpose -----------------------------------------------------------------

/** Sum a cotangent back to the shape of a 0-d operand that was broadcast. */
export const unbroadcast = (ct: Tracer, aval: ShapedArray): Tracer => {
  let out = ct
  if (aval.shape.length === 0 && ct.ndim > 0) {
    out = bind1('reduce_sum', [ct], { axes: ct.shape.map((_, i) => i) })
  }
  if (out.dtype !== aval.dtype || out.weakType !== aval.weakType) out = convert(out, aval)
  return out
}

/** Adds tangents, treating symbolic zeros as nothing. */
export const addTangents = (a: Tangent, b: Tangent): Tangent => (isZero(a) ? b : isZero(b) ? a : add(a, b))

const out0 = <P extends BinaryPrim>(prim: P, primals: readonly Tracer[]): Tracer => bind1(prim, primals, NO_PARAMS)

/** Broadcast a possibly-0-d tangent to the output's aval. */
const toOut = (t: Tangent, out: Tracer): Tangent => {
  if (isZero(t) || t.ndim === out.ndim) return t
  return bind1('broadcast_in_dim', [t], { shape: out.shape, broadcastDimensions: [] })
}

// (the rules of add, sub, mul and div run for most equations differentiated, mostly in cold
// code: operands by index, where destructuring would allocate an iterator and its results)

// d(x + y) = dx + dy
const addJvp: JvpRule<'add'> = (p, t) => {
  const z = out0('add', p)
  return [[z], [addTangents(toOut(t[0], z), toOut(t[1], z))]]
}
// d(x − y) = dx − dy (one sub when both are nonzero, not a neg and an add)
const subJvp: JvpRule<'sub'> = (p, t) => {
  const dx = t[0]
  const dy = t[1]
  const z = out0('sub', p)
  if (isZero(dy)) return [[z], [toOut(dx, z)]]
  const ndy = isZero(dx) ? neg(toOut(dy, z) as Tracer) : sub(toOut(dx, z) as Tracer, toOut(dy, z) as Tracer)
  return [[z], [ndy]]
}
// d(x y) = dx y + x dy
const mulJvp: JvpRule<'mul'> = (p, t) => {
  const x = p[0]
  const y = p[1]
  const dx = t[0]
  const dy = t[1]
  const z = mul(x, y)
  const tx = toOut(isZero(dx) ? dx : mul(dx, y), z)
  const ty = toOut(isZero(dy) ? dy : mul(dy, x), z)
  return [[z], [addTangents(tx, ty)]]
}
// d(x / y) = dx / y − (x / y) dy / y
const divJvp: JvpRule<'div'> = (p, t) => {
  const x = p[0]
  const y = p[1]
  const dx = t[0]
  const dy = t[1]
  const z = div(x, y)
  const tx = isZero(dx) ? dx : toOut(div(dx, y), z)
  if (isZero(dy)) return [[z], [tx]]
  const ty = toOut(mul(dy, div(z, y)), z) as Tracer
  return [[z], [isZero(tx) ? neg(ty) : sub(tx, ty)]]
}
/** The constant `v` with `t`'s shape and dtype (select_n needs cases of equal shapes). */
const constLike = (v: number, t: Tracer): Tracer => {
  const s = asTracer(v, t.aval)
  return t.ndim === 0 ? s : bind1('broadcast_in_dim', [s], { shape: t.shape, broadcastDimensions: [] })
}
// d xʸ = y x^(y−1) dx + log(x) xʸ dy   (with 0^0 and log 0 guarded, as JAX)
const powJvp: JvpRule<'pow'> = ([x, y], [dx, dy]) => {
  const z = pow(x, y)
  const tx = isZero(dx)
    ? dx
    : mul(dx, mul(y, pow(x, select(eq(y, 0), constLike(1, y), sub(y, 1)))))
  const ty = isZero(dy) ? dy : mul(dy, mul(z, log(select(eq(x, 0), constLike(1, x), x))))
  return [[z], [addTangents(toOut(tx, z), toOut(ty, z))]]
}
/** max/min: the chosen side's tangent; ties split evenly (½ dx + ½ dy), as JAX. */
const extremumJvp =
  (prim: 'max' | 'min'): JvpRule<'max' | 'min'> =>
  ([x, y], [dx, dy]) => {
    const z = out0(prim, [x, y])
    const wins = prim === 'max' ? gt(x, y) : lt(x, y)
    const tie = eq(x, y)
    const like = z.aval
    // weight of x: 1 where x wins, ½ at ties, 0 otherwise; weight of y = 1 − weight of x.
    // (0-d: two selects of constants; otherwise the sum of the converted masks, which needs no
    // constants of the operands' shape)
    const wx =
      z.ndim === 0
        ? select(wins, asTracer(1, like), select(tie, asTracer(0.5, like), asTracer(0, like)))
        : add(convert(wins, like), mul(convert(tie, like), 0.5))
    const tx = isZero(dx) ? dx : mul(dx, wx)
    const ty = isZero(dy) ? dy : mul(dy, sub(1, wx))
    return [[z], [addTangents(toOut(tx, z), toOut(ty, z))]]
  }
// d atan2(x, y) = (y dx − x dy) / (x² + y²)
const atan2Jvp: JvpRule<'atan2'> = ([x, y], [dx, dy]) => {
  const z = atan2(x, y)
  const r2 = add(mul(x, x), mul(y, y))
  const tx = isZero(dx) ? dx : div(mul(dx, y), r2)
  const ty = isZero(dy) ? dy : neg(div(mul(dy, x), r2))
  return [[z], [addTangents(toOut(tx, z), toOut(ty, z))]]
}
// d rem(x, y) = dx − trunc(x / y) dy
const remJvp: JvpRule<'rem'> = ([x, y], [dx, dy]) => {
  const z = rem(x, y)
  const ty = isZero(dy)
    ? dy
    : (() => {
        const q = div(x, y)
        const trunc = select(lt(q, 0), ceil(q), floor(q))
        return neg(mul(dy, trunc))
      })()
  return [[z], [addTangents(toOut(dx, z), toOut(ty, z))]]
}

const ctFor = (ct: Tangent, arg: Tracer | { aval: ShapedArray }, f: (ct: Tracer) => Tracer): Tangent | null => {
  if (!isUndef(arg)) return null
  if (isZero(ct)) return ct
  return unbroadcast(f(ct), arg.aval)
}

const addT: TransposeRule<'add'> = ([ct], [x, y]) => [ctFor(ct, x, (c) => c), ctFor(ct, y, (c) => c)]
const subT: TransposeRule<'sub'> = ([ct], [x, y]) => [ctFor(ct, x, (c) => c), ctFor(ct, y, (c) => neg(c))]
const nonlinear = (prim: string): never => {
  throw new NonLinearError(`${prim} of two values that both depend on the input is not linear (transpose of ${prim} with both operands linear)`)
}
const mulT: TransposeRule<'mul'> = ([ct], [x, y]) => {
  if (isUndef(x) && isUndef(y)) nonlinear('mul')
  return [ctFor(ct, x, (c) => mul(c, y as Tracer)), ctFor(ct, y, (c) => mul(c, x as Tracer))]
}
const divT: TransposeRule<'div'> = ([ct], [x, y]) => {
  if (isUndef(y)) throw new NonLinearError('div by a value that depends on the input is not linear (transpose of div with a linear denominator)')
  return [ctFor(ct, x, (c) => div(c, y)), null]
}

// ---- the rules ---------------------------------------------------------------------------

export const binaryRules: Pick<RuleTable, BinaryPrim> = {
  add: { ...binary('add', 'numeric', plain((a, b) => a + b), addJvp), transpose: addT },
  sub: { ...binary('sub', 'numeric', plain((a, b) => a - b), subJvp), transpose: subT },
  mul: { ...binary('mul', 'numeric', (_a, _b, x) => (isInt(x.dtype) ? Math.imul : (a: number, b: number) => a * b), mulJvp), transpose: mulT },
  div: { ...binary('div', 'numeric', (_a, _b, x) => (isInt(x.dtype) ? intDiv : (a: number, b: number) => a / b), divJvp), transpose: divT },
  pow: binary('pow', 'float', plain(Math.pow), powJvp),
  max: binary('max', 'numeric', plain(maxScalar), extremumJvp('max')),
  min: binary('min', 'numeric', plain(minScalar), extremumJvp('min')),
  atan2: binary('atan2', 'float', plain(Math.atan2), atan2Jvp),
  rem: binary('rem', 'numeric', (_a, _b, x) => (isInt(x.dtype) ? (a: number, b: number) => (b === 0 ? a : a % b) : remScalar), remJvp),
  eq: binary('eq', 'compare', plain((a, b) => (a === b ? 1 : 0)), zeroJvp('eq')),
  ne: binary('ne', 'compare', plain((a, b) => (a !== b ? 1 : 0)), zeroJvp('ne')),
  lt: binary('lt', 'compare', plain((a, b) => (a < b ? 1 : 0)), zeroJvp('lt')),
  le: binary('le', 'compare', plain((a, b) => (a <= b ? 1 : 0)), zeroJvp('le')),
  gt: binary('gt', 'compare', plain((a, b) => (a > b ? 1 : 0)), zeroJvp('gt')),
  ge: binary('ge', 'compare', plain((a, b) => (a >= b ? 1 : 0)), zeroJvp('ge')),
  and: binary('and', 'logical', plain((a, b) => a & b), zeroJvp('and')),
  or: binary('or', 'logical', plain((a, b) => a | b), zeroJvp('or')),
}

