/**
 * Backend layer (wasm): a bottom-up rewrite of kernel expressions. Each node is rewritten once,
 * after its operands, and shared nodes stay shared. Only unary and binary operations have
 * operands here; the other nodes are leaves. An explicit stack, because expressions may be
 * thousands deep.
 */
import type { Expr } from './expr'

const NO_KIDS: readonly Expr[] = []

/** `roots` with every node replaced by `rewrite(node, its rewritten operands)`. The loops are
 *  indexed and a node's operands are looked at in place: this runs in cold code on a first
 *  call, where for-of, `filter` and spreads allocate. */
export const rewriteBottomUp = (roots: readonly Expr[], rewrite: (e: Expr, kids: readonly Expr[]) => Expr): Expr[] => {
  const done = new Map<Expr, Expr>()
  const stack: Expr[] = roots.slice()
  while (stack.length > 0) {
    const e = stack[stack.length - 1]
    if (done.has(e)) {
      stack.pop()
      continue
    }
    if (e._tag === 'unary') {
      if (!done.has(e.x)) { stack.push(e.x); continue }
      stack.pop()
      done.set(e, rewrite(e, [done.get(e.x) as Expr]))
    } else if (e._tag === 'binary') {
      const xDone = done.has(e.x), yDone = done.has(e.y)
      if (!xDone || !yDone) {
        if (!xDone) stack.push(e.x)
        if (!yDone) stack.push(e.y)
        continue
      }
      stack.pop()
      done.set(e, rewrite(e, [done.get(e.x) as Expr, done.get(e.y) as Expr]))
    } else {
      stack.pop()
      done.set(e, rewrite(e, NO_KIDS))
    }
  }
  const out: Expr[] = []
  for (let i = 0; i < roots.length; i++) out.push(done.get(roots[i]) as Expr)
  return out
}
