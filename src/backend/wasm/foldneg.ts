/**
 * Backend layer (wasm): negations folded out of kernel expressions, exactly — used by every
 * kernel built from a loop kernel's expressions (maps, the strided kernels of the arena loops).
 */
import { type Expr, ex } from './expr'
import { rewriteBottomUp } from './rewrite'

/**
 * Negations folded into the operations around them — x + (−y) = x − y, (−x) + y = y − x,
 * x − (−y) = x + y, −(−x) = x, (−x)·c = x·(−c), (−x)·y = −(x·y) — which are identities of
 * IEEE arithmetic (every result bit for bit the same), so the kernel stays exact while a
 * forward-mode tangent (whose rules negate often: d(a − b) = da + (−db)) loses its negations.
 * Only chains of unary and binary operations are rewritten (rewrite.ts).
 */
export const foldNegations = (roots: readonly Expr[]): Expr[] => {
  const negOf = (e: Expr): Expr | null => (e._tag === 'unary' && e.op === 'neg' ? e.x : null)
  const rewrite = (e: Expr, kids: readonly Expr[]): Expr => {
    if (e._tag === 'unary') {
      const x = kids[0]
      return e.op === 'neg' && negOf(x) !== null ? (negOf(x) as Expr) : x === e.x ? e : ex.unary(e.op, x)
    }
    if (e._tag !== 'binary') return e
    const x = kids[0], y = kids[1]
    const nx = negOf(x)
    const ny = negOf(y)
    switch (e.op) {
      case 'add':
        if (ny !== null) return ex.sub(x, ny)
        if (nx !== null) return ex.sub(y, nx)
        break
      case 'sub':
        if (ny !== null) return ex.add(x, ny)
        break
      case 'mul':
        if (nx !== null && ny !== null) return ex.mul(nx, ny)
        if (nx !== null) return y._tag === 'const' ? ex.mul(nx, ex.c(-y.value)) : ex.neg(ex.mul(nx, y))
        if (ny !== null) return x._tag === 'const' ? ex.mul(ex.c(-x.value), ny) : ex.neg(ex.mul(x, ny))
        break
    }
    return x === e.x && y === e.y ? e : ex.binary(e.op, x, y)
  }
  return rewriteBottomUp(roots, rewrite)
}
