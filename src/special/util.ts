/**
 * Helpers for the special functions: literals of an operand's dtype, an elementwise select
 * that works for 0-d operands under vmap, Horner's rule, and float conversion of inputs.
 */
import { scalar } from '../core/array'
import type { Tracer } from '../core/tracer'
import { add, eq, mul, ne, sub } from '../primitives/binary'
import { broadcastInDim, convertElementType, reshape, selectN } from '../primitives/shape'
import { abs, round, sin } from '../primitives/unary'
import { type ArrayLike, toFloat } from '../numpy/promote'
import { registerJvpRule } from '../higher/custom'
import { withRegisteredJvp } from '../transforms/custom'

/** A constant of `t`'s dtype, weak type and shape. */
export const lit = (t: Tracer, v: number): Tracer => {
  const c = scalar(v, t.dtype, t.weakType)
  return t.ndim === 0 ? c : broadcastInDim(c, t.shape, [])
}

/**
 * c ? a : b, elementwise (equal shapes). 0-d operands are selected as [1]: under vmap,
 * select_n's batch rule leaves an unbatched 0-d case unbroadcast next to a batched one.
 */
export const where = (c: Tracer, a: Tracer, b: Tracer): Tracer => {
  if (a.ndim > 0) return selectN(c, b, a)
  const one = (t: Tracer) => reshape(t, [1])
  return reshape(selectN(one(c), one(b), one(a)), [])
}

/** c₀ + x (c₁ + x (c₂ + …)) by Horner's rule. */
export const horner = (x: Tracer, cs: readonly number[]): Tracer => {
  if (cs.length === 1) return lit(x, cs[0])
  let r = add(mul(x, cs[cs.length - 1]), cs[cs.length - 2])
  for (let i = cs.length - 3; i >= 0; i--) r = add(mul(x, r), cs[i])
  return r
}

/** The input as a float Array (int32 and bool become float64, as jax.scipy.special does). */
export const floatArg = (x: ArrayLike, op: string): Tracer => toFloat(x, `special.${op}`)

/**
 * `f` evaluated in float64 for float32 inputs, the result rounded back to float32: the float64
 * approximations then give correctly rounded float32 values (to within one rounding).
 */
export const inFloat64 =
  <A extends Tracer[]>(f: (...a: A) => Tracer) =>
  (...a: A): Tracer => {
    if (a[0].dtype !== 'float32') return f(...a)
    const up = a.map((t) => convertElementType(t, 'float64', t.weakType)) as A
    return convertElementType(f(...up), 'float32', a[0].weakType)
  }

export const isNan = (x: Tracer): Tracer => ne(x, x)

/** x − round(x) ∈ [−½, ½]: exact, and sin(π r), cos(π r) give sin(π x), cos(π x) up to sign. */
export const fracPart = (x: Tracer): Tracer => sub(x, round(x))

/** True where x is an integer (finite). */
export const isInteger = (x: Tracer): Tracer => eq(fracPart(x), lit(x, 0))

/** |sin(π x)|, exact argument reduction: |sin(π (x − round x))|. */
export const absSinPi = (x: Tracer): Tracer => abs(sin(mul(fracPart(x), Math.PI)))

/**
 * `impl` (an elementwise function of Arrays) with the jvp rule `rule(primals, tangents, out)`,
 * registered under `name`: a program in primitive wrappers and these functions, run only when
 * a call is differentiated. `out` is the call's own output, so a rule written in it (or in
 * other functions with rules, ψ′ = ψ⁽¹⁾, ψ⁽¹⁾′ = ψ⁽²⁾, …) differentiates again by the same
 * rules: every derivative, of any order, is a closed form rather than the derivative of an
 * approximation.
 */
export const withJvp = <A extends Tracer[]>(
  name: string,
  impl: (...a: A) => Tracer,
  rule: (primals: A, tangents: A, out: Tracer) => Tracer,
): ((...a: A) => Tracer) => {
  registerJvpRule(name, (primals, tangents, outs) => [rule(primals as A, tangents as A, outs[0])])
  const call = withRegisteredJvp(name, (...a: Tracer[]) => [impl(...(a as A))])
  return (...a: A): Tracer => call(...a)[0]
}
