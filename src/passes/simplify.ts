/**
 * Passes: algebraic simplification. Identities that hold for every value, NaN and ±inf
 * included, so the result is bit-for-bit the program's — with one exception: x + 0 → x keeps
 * x = -0 as -0 where the program gives -0 + 0 = +0 (equal as numbers):
 *   x·1, 1·x, x/1 → x          x+0, 0+x, x−0 → x          neg(neg x) → x     x¹ → x
 *   (the 1 or 0 may be a literal or a broadcast_in_dim of one)
 *   reshape/transpose/broadcast_in_dim/convert_element_type/squeeze that change nothing → x
 *   reshape∘reshape → reshape          transpose∘transpose → transpose (composed permutation)
 * x·0 → 0 is *not* a rule (NaN·0 = NaN, inf·0 = NaN). Every rewrite keeps the output aval
 * exactly — shape, dtype and weak type — or the equation is kept as it is.
 */
import { shapeEq } from '../ir/aval'
import { type Atom, type Eqn, type Jaxpr, makeEqn } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'
import { type Producer, type Rewrite, constValue, recursivePass, replaceBy, replaceEqn, rewriteJaxpr } from './util'

const isConst = (a: Atom, v: number, producer: Producer): boolean => constValue(a, producer) === v

const isIdentityPerm = (p: readonly number[]): boolean => {
  for (let i = 0; i < p.length; i++) if (p[i] !== i) return false
  return true
}

/** One rewrite for `eqn` (inputs already renamed), or null. */
export const simplifyEqn = (eqn: Eqn, producer: Producer): Rewrite => {
  // (indexed: destructuring an array runs its iterator, which allocates in cold code)
  const x = eqn.inputs[0]
  const y = eqn.inputs[1]
  switch (eqn.prim) {
    case 'mul':
      // x·1 = x (also for NaN, ±inf, -0).
      if (isConst(y, 1, producer)) return replaceBy(eqn, x) ?? (isConst(x, 1, producer) ? replaceBy(eqn, y) : null)
      return isConst(x, 1, producer) ? replaceBy(eqn, y) : null
    case 'add':
      // x+0 = x (0 + x likewise); ±0 as a literal or a broadcast of one.
      if (isConst(y, 0, producer)) return replaceBy(eqn, x) ?? (isConst(x, 0, producer) ? replaceBy(eqn, y) : null)
      return isConst(x, 0, producer) ? replaceBy(eqn, y) : null
    case 'sub':
      return isConst(y, 0, producer) ? replaceBy(eqn, x) : null
    case 'div':
      return isConst(y, 1, producer) ? replaceBy(eqn, x) : null
    case 'integer_pow':
      return (eqn.params as ParamsMap['integer_pow']).y === 1 ? replaceBy(eqn, x) : null
    case 'neg': {
      const inner = producer(x)
      return inner?.prim === 'neg' ? replaceBy(eqn, inner.inputs[0]) : null
    }
    case 'reshape': {
      const p = eqn.params as ParamsMap['reshape']
      if (shapeEq(p.newSizes, x.aval.shape)) return replaceBy(eqn, x)
      const inner = producer(x)
      if (inner?.prim !== 'reshape') return null
      // reshape(reshape(z, s1), s2) = reshape(z, s2): reshape only reinterprets row-major data.
      const z = inner.inputs[0]
      if (shapeEq(p.newSizes, z.aval.shape)) return replaceBy(eqn, z)
      return replaceEqn(makeEqn('reshape', [z], p, eqn.outVars))
    }
    case 'transpose': {
      const p = eqn.params as ParamsMap['transpose']
      if (isIdentityPerm(p.permutation)) return replaceBy(eqn, x)
      const inner = producer(x)
      if (inner?.prim !== 'transpose') return null
      // transpose(transpose(z, p1), p2) = transpose(z, c) with c[i] = p1[p2[i]].
      const p1 = (inner.params as ParamsMap['transpose']).permutation
      const c = p.permutation.map((q) => p1[q])
      const z = inner.inputs[0]
      if (isIdentityPerm(c)) return replaceBy(eqn, z)
      return replaceEqn(makeEqn('transpose', [z], { permutation: c }, eqn.outVars))
    }
    case 'convert_element_type': {
      const p = eqn.params as ParamsMap['convert_element_type']
      return p.newDtype === x.aval.dtype && p.weakType === x.aval.weakType ? replaceBy(eqn, x) : null
    }
    case 'broadcast_in_dim': {
      const p = eqn.params as ParamsMap['broadcast_in_dim']
      return shapeEq(p.shape, x.aval.shape) && isIdentityPerm(p.broadcastDimensions) ? replaceBy(eqn, x) : null
    }
    case 'squeeze':
      return (eqn.params as ParamsMap['squeeze']).dimensions.length === 0 ? replaceBy(eqn, x) : null
    default:
      return null
  }
}

const simplifyPass = recursivePass<undefined>((j, sub) => rewriteJaxpr(j, simplifyEqn, sub, 'simplify'))

export const simplify = (jaxpr: Jaxpr): Jaxpr => simplifyPass(jaxpr, undefined)
