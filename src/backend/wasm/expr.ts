/**
 * Backend layer (wasm): the scalar expression language of elementwise kernels, its
 * reference semantics, and a structural key.
 *
 * An expression is a DAG over the kernel's inputs. Structurally equal subexpressions are
 * computed once, whether or not they are the same object (`canonicalize`). Float nodes (`Expr`) have the kernel's dtype;
 * predicates (`Pred`) are per-lane booleans made by comparisons, used by `select` and
 * `fromPred`. The operations mirror the elementwise primitives (src/primitives/unary.ts,
 * binary.ts, integer_pow.ts, select_n) and `evalExpr` is their definition here: float32
 * rounds after every operation (Math.fround of the float64 result), exactly what the eager
 * impls do when they store into a Float32Array.
 */
import { floatPow } from '../../primitives/integer_pow'
import { logisticScalar, roundHalfEven } from '../../primitives/unary'

export type UnaryOp =
  | 'neg' | 'abs' | 'sqrt' | 'rsqrt' | 'floor' | 'ceil' | 'round' | 'sign'
  | 'exp' | 'expm1' | 'log' | 'log1p' | 'tanh' | 'logistic' | 'sin' | 'cos'
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'pow'
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
export type FloatDType = 'float32' | 'float64'

export type Expr =
  | { readonly _tag: 'input'; readonly index: number }
  | { readonly _tag: 'const'; readonly value: number }
  | { readonly _tag: 'unary'; readonly op: UnaryOp; readonly x: Expr }
  | { readonly _tag: 'binary'; readonly op: BinaryOp; readonly x: Expr; readonly y: Expr }
  | { readonly _tag: 'ipow'; readonly x: Expr; readonly y: number }
  | { readonly _tag: 'select'; readonly pred: Pred; readonly onTrue: Expr; readonly onFalse: Expr }
  | { readonly _tag: 'fromPred'; readonly pred: Pred }

export type Pred =
  | { readonly _tag: 'compare'; readonly op: CompareOp; readonly x: Expr; readonly y: Expr }
  | { readonly _tag: 'and' | 'or'; readonly x: Pred; readonly y: Pred }
  | { readonly _tag: 'not'; readonly x: Pred }

export type Node = Expr | Pred

export const UNARY_OPS: readonly UnaryOp[] = [
  'neg', 'abs', 'sqrt', 'rsqrt', 'floor', 'ceil', 'round', 'sign',
  'exp', 'expm1', 'log', 'log1p', 'tanh', 'logistic', 'sin', 'cos',
]
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'min', 'max', 'pow']

/** Operations the wasm kernels do not provide for a dtype (the JS backend runs those). */
export const UNSUPPORTED: Readonly<Record<FloatDType, ReadonlySet<UnaryOp | BinaryOp>>> = {
  float32: new Set(),
  float64: new Set(['pow']),
}

// ---- constructors ------------------------------------------------------------------------

const un = (op: UnaryOp) => (x: Expr): Expr => ({ _tag: 'unary', op, x })
const bin = (op: BinaryOp) => (x: Expr, y: Expr): Expr => ({ _tag: 'binary', op, x, y })
const cmp = (op: CompareOp) => (x: Expr, y: Expr): Pred => ({ _tag: 'compare', op, x, y })

/** Constructors: `ex.mul(ex.input(0), ex.c(1.5))`. */
export const ex = {
  input: (index: number): Expr => ({ _tag: 'input', index }),
  c: (value: number): Expr => ({ _tag: 'const', value }),
  neg: un('neg'), abs: un('abs'), sqrt: un('sqrt'), rsqrt: un('rsqrt'), floor: un('floor'), ceil: un('ceil'),
  round: un('round'), sign: un('sign'), exp: un('exp'), expm1: un('expm1'), log: un('log'), log1p: un('log1p'),
  tanh: un('tanh'), logistic: un('logistic'), sin: un('sin'), cos: un('cos'),
  add: bin('add'), sub: bin('sub'), mul: bin('mul'), div: bin('div'), min: bin('min'), max: bin('max'), pow: bin('pow'),
  ipow: (x: Expr, y: number): Expr => ({ _tag: 'ipow', x, y }),
  unary: (op: UnaryOp, x: Expr): Expr => ({ _tag: 'unary', op, x }),
  binary: (op: BinaryOp, x: Expr, y: Expr): Expr => ({ _tag: 'binary', op, x, y }),
  eq: cmp('eq'), ne: cmp('ne'), lt: cmp('lt'), le: cmp('le'), gt: cmp('gt'), ge: cmp('ge'),
  compare: (op: CompareOp, x: Expr, y: Expr): Pred => ({ _tag: 'compare', op, x, y }),
  and: (x: Pred, y: Pred): Pred => ({ _tag: 'and', x, y }),
  or: (x: Pred, y: Pred): Pred => ({ _tag: 'or', x, y }),
  not: (x: Pred): Pred => ({ _tag: 'not', x }),
  select: (pred: Pred, onTrue: Expr, onFalse: Expr): Expr => ({ _tag: 'select', pred, onTrue, onFalse }),
  fromPred: (pred: Pred): Expr => ({ _tag: 'fromPred', pred }),
}

/** How many operands `n` has. */
const arity = (n: Node): number => {
  switch (n._tag) {
    case 'input': case 'const': return 0
    case 'unary': case 'ipow': case 'fromPred': case 'not': return 1
    case 'binary': case 'compare': case 'and': case 'or': return 2
    case 'select': return 3
  }
}

/** Operand `i` of `n` (0 ≤ i < arity(n)), in the order the code generators compute them. */
const child = (n: Node, i: number): Node => {
  switch (n._tag) {
    case 'input': case 'const': break
    case 'unary': case 'ipow': case 'not': return n.x
    case 'fromPred': return n.pred
    case 'binary': case 'compare': case 'and': case 'or': return i === 0 ? n.x : n.y
    case 'select': return i === 0 ? n.pred : i === 1 ? n.onTrue : n.onFalse
  }
  throw new Error(`internal: ${n._tag} has no operand ${i}`)
}

/** Nodes reachable from the roots, children before parents, each once (a depth-first
 *  post-order on an explicit stack: expressions may be thousands of nodes deep). The stack is
 *  two parallel arrays (node, next operand to visit) and the loops are indexed: this runs in
 *  cold code on a first call, where an object per visit or a for-of's iterator results would
 *  be allocated. */
export const topoOrder = (roots: readonly Node[]): Node[] => {
  const seen = new Set<Node>()
  const out: Node[] = []
  const nodes: Node[] = []
  const next: number[] = []
  for (let r = 0; r < roots.length; r++) {
    const root = roots[r]
    if (seen.has(root)) continue
    seen.add(root)
    nodes.push(root)
    next.push(0)
    while (nodes.length > 0) {
      const top = nodes.length - 1
      const n = nodes[top]
      const i = next[top]
      if (i < arity(n)) {
        next[top] = i + 1
        const c = child(n, i)
        if (!seen.has(c)) {
          seen.add(c)
          nodes.push(c)
          next.push(0)
        }
        continue
      }
      out.push(n)
      nodes.pop()
      next.pop()
    }
  }
  return out
}

/** Throws if an expression uses an input ≥ `arity`, a non-integer power, or an operation the
 *  dtype's kernels lack (see `UNSUPPORTED`). */
export const checkExprs = (roots: readonly Expr[], arity: number, dtype: FloatDType): void => {
  const order = topoOrder(roots)
  for (let i = 0; i < order.length; i++) {
    const n = order[i]
    if (n._tag === 'input' && !(Number.isInteger(n.index) && n.index >= 0 && n.index < arity)) {
      throw new RangeError(`wasm kernel: input ${n.index} out of range (the kernel has ${arity} inputs)`)
    }
    if (n._tag === 'ipow' && !Number.isInteger(n.y)) throw new RangeError(`wasm kernel: ipow exponent must be an integer, got ${n.y}`)
    if ((n._tag === 'unary' || n._tag === 'binary') && UNSUPPORTED[dtype].has(n.op)) {
      throw new RangeError(`wasm kernel: ${n.op} is not available in ${dtype} (run it on the JS backend)`)
    }
  }
}

// ---- structural identity -----------------------------------------------------------------

const numStr = (v: number): string => (Object.is(v, -0) ? '-0' : String(v))

/**
 * Hash-consing: a number per node such that two nodes get the same number iff they are
 * structurally equal (whether or not they are the same object). `unique` lists one node per
 * number, children first, so a code generator computes each distinct subexpression once.
 */
export interface Canonical {
  readonly id: ReadonlyMap<Node, number>
  readonly unique: readonly Node[]
  readonly keys: readonly string[]
}

export const canonicalize = (roots: readonly Node[]): Canonical => {
  const id = new Map<Node, number>()
  const byKey = new Map<string, number>()
  const unique: Node[] = []
  const keys: string[] = []
  const c = (x: Node): number => id.get(x) as number
  const order = topoOrder(roots)
  for (let i = 0; i < order.length; i++) {
    const n = order[i]
    let key: string
    switch (n._tag) {
      case 'input': key = `in${n.index}`; break
      case 'const': key = `c${numStr(n.value)}`; break
      case 'unary': key = `${n.op}(${c(n.x)})`; break
      case 'binary': case 'compare': key = `${n.op}(${c(n.x)},${c(n.y)})`; break
      case 'and': case 'or': key = `${n._tag}(${c(n.x)},${c(n.y)})`; break
      case 'ipow': key = `ipow${n.y}(${c(n.x)})`; break
      case 'not': key = `not(${c(n.x)})`; break
      case 'select': key = `sel(${c(n.pred)},${c(n.onTrue)},${c(n.onFalse)})`; break
      case 'fromPred': key = `fromPred(${c(n.pred)})`; break
    }
    let k = byKey.get(key)
    if (k === undefined) {
      k = unique.length
      byKey.set(key, k)
      unique.push(n)
      keys.push(key)
    }
    id.set(n, k)
  }
  return { id, unique, keys }
}

/** A string equal for structurally equal expression lists: a compile-cache key. */
export const exprKey = (roots: readonly Node[]): string => {
  const { id, keys } = canonicalize(roots)
  return `${keys.join(';')}|${roots.map((r) => id.get(r)).join(',')}`
}

// ---- reference semantics -----------------------------------------------------------------

// The scalar definitions are the primitives' own (their impls are the living definition).
const logistic = logisticScalar

/** Scalar definitions in float64 (float32 rounds their results). */
export const UNARY_REF: Readonly<Record<UnaryOp, (v: number) => number>> = {
  neg: (v) => -v, abs: Math.abs, sqrt: Math.sqrt, rsqrt: (v) => 1 / Math.sqrt(v),
  floor: Math.floor, ceil: Math.ceil, round: roundHalfEven,
  sign: (v) => (Number.isNaN(v) ? NaN : v > 0 ? 1 : v < 0 ? -1 : 0),
  exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, tanh: Math.tanh,
  logistic, sin: Math.sin, cos: Math.cos,
}
export const BINARY_REF: Readonly<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b,
  min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
  max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
  pow: Math.pow,
}
const COMPARE_REF: Readonly<Record<CompareOp, (a: number, b: number) => boolean>> = {
  eq: (a, b) => a === b, ne: (a, b) => a !== b, lt: (a, b) => a < b,
  le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
}

/** The value of each root at one point (`inputs[i]` is input i's element), by the eager
 *  impls' rules: float64 math, rounded to float32 after each operation for float32. */
export const evalExpr = (roots: readonly Expr[], inputs: readonly number[], dtype: FloatDType): number[] => {
  const rnd = dtype === 'float32' ? Math.fround : (v: number) => v
  const memo = new Map<Node, number | boolean>()
  const val = (n: Expr): number => memo.get(n) as number
  const truth = (n: Pred): boolean => memo.get(n) as boolean
  // children first (topoOrder), so every operand's value is in memo when its parent is computed
  for (const n of topoOrder(roots)) {
    let v: number | boolean
    switch (n._tag) {
      case 'input': v = rnd(inputs[n.index]); break
      case 'const': v = rnd(n.value); break
      case 'unary': v = rnd(UNARY_REF[n.op](val(n.x))); break
      case 'binary': v = rnd(BINARY_REF[n.op](val(n.x), val(n.y))); break
      case 'ipow': v = rnd(floatPow(val(n.x), n.y)); break
      case 'select': v = truth(n.pred) ? val(n.onTrue) : val(n.onFalse); break
      case 'fromPred': v = truth(n.pred) ? 1 : 0; break
      case 'compare': v = COMPARE_REF[n.op](val(n.x), val(n.y)); break
      case 'and': v = truth(n.x) && truth(n.y); break
      case 'or': v = truth(n.x) || truth(n.y); break
      case 'not': v = !truth(n.x); break
    }
    memo.set(n, v)
  }
  return roots.map(val)
}
