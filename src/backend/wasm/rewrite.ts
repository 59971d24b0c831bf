/**
 * Backend layer (wasm): a bottom-up rewrite of kernel expressions. Each node is rewritten once,
 * after its operands, and shared nodes stay shared. Only unary and binary operations have
 * operands here; the other nodes are leaves. An explicit stack, because expressions may be
 * thousands deep.
 */
import type { Expr } from './expr'

/** `roots` with every node replaced by `rewrite(node, its rewritten operands)`. */
export const rewriteBottomUp = (roots: readonly Expr[], rewrite: (e: Expr, kids: readonly Expr[]) => Expr): Expr[] => {
  const done = new Map<Expr, Expr>()
  const stack: Expr[] = [...roots]
  while (stack.length > 0) {
    const e = stack[stack.length - 1]
    if (done.has(e)) {
      stack.pop()
      continue
    }
    const kids = e._tag === 'unary' ? [e.x] : e._tag === 'binary' ? [e.x, e.y] : []
    const pending = kids.filter((k) => !done.has(k))
    if (pending.length > 0) {
      stack.push(...pending)
      continue
    }
    stack.pop()
    done.set(e, rewrite(e, kids.map((k) => done.get(k) as Expr)))
  }
  return roots.map((r) => done.get(r) as Expr)
}
