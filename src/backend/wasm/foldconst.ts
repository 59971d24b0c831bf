/**
 * Backend layer (wasm): constant arithmetic of kernel expressions done once, exactly.
 *
 * Two rewrites, each leaving every result bit for bit what the kernel computed before:
 *  - an operation (+ − · ÷) of two constants becomes its value, rounded as the kernel rounds
 *    it: in float32, the float32 operation on float32 constants (an operation of two float32
 *    values done in float64 and rounded once to float32 is the float32 operation);
 *  - (x·2ᵏ)·c = x·(2ᵏc), for an integer k ≥ 0, |c| ≥ 1 and 2ᵏc finite. Scaling by 2ᵏ with
 *    k ≥ 0 is exact unless it overflows; exact, both sides round the same real product once;
 *    overflowed, x·2ᵏ is ±∞ and |x·2ᵏc| ≥ |x·2ᵏ| overflows to the same ±∞ (c ≠ 0, so no
 *    ∞·0). Zeros, infinities and NaN go through both sides alike. (With |c| < 1 the right side
 *    could stay finite where the left overflowed.)
 * Derivative rules are full of both: d(100·u²) = 100·(2u·du), with the 100 itself a product
 * of the cotangent seed 1 and the coefficient. Only chains of unary and binary operations are
 * rewritten (rewrite.ts); the operands of other nodes are left as they are.
 */
import { type Expr, type FloatDType, ex } from './expr'
import { rewriteBottomUp } from './rewrite'

const isPowerOfTwo = (c: number): boolean => {
  const a = Math.abs(c)
  return a >= 1 && Number.isFinite(a) && 2 ** Math.round(Math.log2(a)) === a
}

export const foldConstants = (roots: readonly Expr[], dtype: FloatDType): Expr[] => {
  const round = dtype === 'float32' ? Math.fround : (v: number) => v
  const constOf = (e: Expr): number | null => (e._tag === 'const' ? round(e.value) : null)
  /** x·c for a constant c: x and c, whichever side c is on (x·c = c·x exactly). */
  const scaled = (e: Expr): { x: Expr; c: number } | null => {
    if (e._tag !== 'binary' || e.op !== 'mul') return null
    const cy = constOf(e.y)
    if (cy !== null) return { x: e.x, c: cy }
    const cx = constOf(e.x)
    return cx !== null ? { x: e.y, c: cx } : null
  }
  const rewrite = (e: Expr, kids: readonly Expr[]): Expr => {
    if (e._tag === 'unary') return kids[0] === e.x ? e : ex.unary(e.op, kids[0])
    if (e._tag !== 'binary') return e
    const x = kids[0], y = kids[1]
    const a = constOf(x)
    const b = constOf(y)
    if (a !== null && b !== null) {
      switch (e.op) {
        case 'add': return ex.c(round(a + b))
        case 'sub': return ex.c(round(a - b))
        case 'mul': return ex.c(round(a * b))
        case 'div': return ex.c(round(a / b))
      }
    }
    if (e.op === 'mul' && (a !== null || b !== null)) {
      const c = (a ?? b) as number
      const inner = scaled(a !== null ? y : x)
      if (inner !== null && isPowerOfTwo(inner.c) && Math.abs(c) >= 1) {
        const product = round(inner.c * c)
        if (Number.isFinite(product) && product === inner.c * c) return ex.mul(inner.x, ex.c(product))
      }
    }
    return x === e.x && y === e.y ? e : ex.binary(e.op, x, y)
  }
  return rewriteBottomUp(roots, rewrite)
}
