/**
 * IR layer: structural keys of equations. Two equations with the same primitive, the same
 * inputs and structurally equal params compute the same values (every primitive but a host callback is pure), so a key
 * that is equal exactly for such pairs lets the CSE pass — and staging, as it records — compute
 * each value once. Literals compare by value (bitwise: -0 and 0 differ, NaN equals NaN), dtype
 * and weak type; jaxprs and functions in params by identity (two closures with the same source
 * text are different functions). Operands of commutative primitives are compared as an
 * unordered pair (`mul a b` ≡ `mul b a`). Equations with effects (src/ir/effects.ts) are never
 * merged: callers check that first.
 */
import { type Atom, Var } from './jaxpr'
import type { PrimName } from './params'

export const COMMUTATIVE: ReadonlySet<PrimName> = new Set<PrimName>(['add', 'mul', 'max', 'min', 'eq', 'ne', 'and', 'or'])

const objectIds = new WeakMap<object, number>()
let nextObjectId = 0
/** A number per object, stable for its lifetime: identity as a string key. */
export const identityKey = (o: object): number => {
  let id = objectIds.get(o)
  if (id === undefined) objectIds.set(o, (id = nextObjectId++))
  return id
}

const numKey = (x: number): string => (Object.is(x, -0) ? '-0' : String(x))

export const atomKey = (a: Atom): string =>
  a._tag === 'Var' ? `v${a.id}` : `l${a.aval.dtype}${a.aval.weakType ? 'w' : ''}:${numKey(a.value)}`

const isPlainObject = (x: object): boolean => {
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

// Param names and string values (dtype names, modes) are few: each is quoted once, not at
// every equation keyed (the cache stops growing at a bound, for programs with many names).
const quoted = new Map<string, string>()
const quote = (s: string): string => {
  let q = quoted.get(s)
  if (q === undefined) {
    q = JSON.stringify(s)
    if (quoted.size < 4096) quoted.set(s, q)
  }
  return q
}

/** A string equal for structurally equal params: arrays and plain objects by content, every
 *  other object (jaxprs, functions, class instances) by identity. */
export const paramKey = (x: unknown): string => {
  if (Array.isArray(x)) {
    // (params are keyed as they are staged, in cold code: no intermediate list of keys)
    let out = '['
    for (let i = 0; i < x.length; i++) out += i > 0 ? `,${paramKey(x[i])}` : paramKey(x[i])
    return `${out}]`
  }
  if (typeof x === 'number') return numKey(x)
  if (typeof x === 'string') return quote(x)
  if (typeof x === 'function') return `F${identityKey(x)}`
  if (x === null || typeof x !== 'object') return String(x)
  if (!isPlainObject(x)) return `O${identityKey(x)}`
  // (most primitives have no params: every elementwise bind makes a fresh `{}`)
  const keys = Object.keys(x)
  if (keys.length === 0) return '{}'
  // insertion sort, in place (Array.prototype.sort allocates, and params have a few keys)
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]
    let j = i - 1
    for (; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j]
    keys[j + 1] = k
  }
  let out = '{'
  for (let i = 0; i < keys.length; i++) out += `${i > 0 ? ',' : ''}${quote(keys[i])}:${paramKey((x as Record<string, unknown>)[keys[i]])}`
  return `${out}}`
}

// Frozen params never change, so their key is computed once: an equation's params are frozen
// when it is made, and every re-trace of its jaxpr (jvp, vmap, a nested transformation) binds
// the same params object again.
const frozenParamKeys = new WeakMap<object, string>()
export const paramsKeyOf = (params: unknown): string => {
  if (params === null || typeof params !== 'object' || !Object.isFrozen(params)) return paramKey(params)
  let k = frozenParamKeys.get(params)
  if (k === undefined) frozenParamKeys.set(params, (k = paramKey(params)))
  return k
}

/** The key of `prim(inputs…){params}`; `inputKeys` are the operands' keys in order. */
export const eqnKey = (prim: PrimName, inputKeys: string[], params: unknown): string => {
  if (COMMUTATIVE.has(prim) && inputKeys.length === 2 && inputKeys[1] < inputKeys[0]) inputKeys.reverse()
  return `${prim}(${inputKeys.join(' ')})${paramsKeyOf(params)}`
}

/** A literal operand as an EqnTable keys it (a 0-d value of that dtype and weak type). */
export interface LiteralOperand {
  readonly dtype: string
  readonly weakType: boolean
  readonly value: number
}

/** An operand as an EqnTable keys it: a variable by identity, a literal by value. */
export type Operand = Var | LiteralOperand

export const operandOf = (a: Atom): Operand => (a._tag === 'Var' ? a : { dtype: a.aval.dtype, weakType: a.aval.weakType, value: a.value })

/** A place in an EqnTable: `value` is undefined until something is stored there. */
export interface EqnSlot<T> {
  value: T | undefined
}

// (keys of one trie level: variables, or a literal's dtype, then its weak type, then its value)
type Step = Var | string | boolean | number

// Most nodes have one child (a chain of equations makes a path per equation): that child is
// kept in two fields, and a Map (~100–200 bytes before any entry) is made for the second.
// Keys compare as a Map does (SameValueZero), so both forms find the same nodes.
const sameStep = (a: Step, b: Step): boolean => a === b || (a !== a && b !== b)

class Node<T> implements EqnSlot<T> {
  value: T | undefined = undefined
  private firstKey: Step | undefined = undefined
  private first: Node<T> | undefined = undefined
  private next: Map<Step, Node<T>> | undefined = undefined
  step(k: Step): Node<T> {
    if (this.first === undefined) {
      this.firstKey = k
      return (this.first = new Node())
    }
    if (sameStep(this.firstKey as Step, k)) return this.first
    const m = (this.next ??= new Map())
    let n = m.get(k)
    if (n === undefined) m.set(k, (n = new Node()))
    return n
  }
  operand(x: Operand): Node<T> {
    if (x instanceof Var) return this.step(x)
    // a Map compares numbers as SameValueZero: NaN equals NaN, as wanted, but −0 equals 0
    const v = x.value
    return this.step(x.dtype).step(x.weakType).step(v === 0 && 1 / v < 0 ? '-0' : v)
  }
}

/** A strict order of the operands of a commutative pair: literals (by dtype, weak type and
 *  value; −0 before 0, NaN last) before variables (by id). Any order does: it only makes
 *  the two orders of a pair one key. */
const before = (a: Operand, b: Operand): boolean => {
  if (a instanceof Var) return b instanceof Var && a.id < b.id
  if (b instanceof Var) return true
  if (a.dtype !== b.dtype) return a.dtype < b.dtype
  if (a.weakType !== b.weakType) return b.weakType
  const x = a.value
  const y = b.value
  return x < y || (x === y && Object.is(x, -0) && !Object.is(y, -0)) || (y !== y && x === x)
}

/** A plain object without keys (`{}`: the params of most primitives), whose paramKey is `{}`. */
const isEmptyParams = (params: unknown): boolean => {
  if (typeof params !== 'object' || params === null || !isPlainObject(params)) return false
  for (const _ in params) return false
  return true
}

/**
 * A map from equations `prim(operands…){params}` to values, with the same equality as
 * `eqnKey` but without writing a key per equation: a trie of maps, by primitive, then params
 * key (computed once per frozen params object; no level for `{}`), then each operand in turn —
 * variables by identity, literals by dtype, weak type and value. A look-up is a few map
 * probes of interned strings, objects and numbers; it makes no string.
 */
export class EqnTable<T> {
  // primitive → params key → operands…; most equations have params `{}`, which skip a level
  private readonly root = new Map<string, Node<T>>()
  private readonly rootEmpty = new Map<string, Node<T>>()
  /** The slot of `prim(ops…){params}`, made empty when the table has none. */
  slot(prim: PrimName, ops: readonly Operand[], params: unknown): EqnSlot<T> {
    const empty = isEmptyParams(params)
    const root = empty ? this.rootEmpty : this.root
    let n = root.get(prim)
    if (n === undefined) root.set(prim, (n = new Node()))
    if (!empty) n = n.step(paramsKeyOf(params))
    if (ops.length === 2 && COMMUTATIVE.has(prim) && before(ops[1], ops[0])) return n.operand(ops[1]).operand(ops[0])
    for (let i = 0; i < ops.length; i++) n = n.operand(ops[i])
    return n
  }
}
