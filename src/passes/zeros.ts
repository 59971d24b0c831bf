/**
 * Passes: clean-up of zeros and selections, the debris of symbolic-zero instantiation:
 *   select_n(p, x, x, …) → x                (every case the same atom)
 *   add(broadcast 0, broadcast 0) → one of them
 * `mul`/`dot_general` by a broadcast of 0 is deliberately left alone: NaN·0 and inf·0 are NaN,
 * and JAX keeps that (a zero cotangent times a NaN residual is NaN).
 */
import type { Eqn, Jaxpr } from '../ir/jaxpr'
import { type Producer, type Rewrite, constValue, isBroadcastConst, recursivePass, replaceBy, rewriteJaxpr, sameAtom } from './util'

export const zeroCleanupEqn = (eqn: Eqn, producer: Producer): Rewrite => {
  // (indexed, not destructured: destructuring runs an array's iterator, which allocates in the
  // cold code of a first call)
  const ins = eqn.inputs
  if (eqn.prim === 'select_n') {
    const first = ins[1]
    for (let i = 2; i < ins.length; i++) if (!sameAtom(ins[i], first)) return null
    return replaceBy(eqn, first)
  }
  if (eqn.prim === 'add') {
    const x = ins[0]
    const y = ins[1]
    if (!isBroadcastConst(x, producer) || !isBroadcastConst(y, producer)) return null
    const vx = constValue(x, producer)
    const vy = constValue(y, producer)
    if (vx !== 0 || vy !== 0) return null
    // -0 + -0 = -0, otherwise +0: keep the operand that holds the sum's zero.
    const sum = vx + vy
    return (Object.is(vx, sum) ? replaceBy(eqn, x) : null) ?? (Object.is(vy, sum) ? replaceBy(eqn, y) : null)
  }
  return null
}

const zeroPass = recursivePass<undefined>((j, sub) => rewriteJaxpr(j, zeroCleanupEqn, sub, 'zeroCleanup'))

export const zeroCleanup = (jaxpr: Jaxpr): Jaxpr => zeroPass(jaxpr, undefined)
