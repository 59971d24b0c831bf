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

// Literal values hash by their bits (a shared view: no number is boxed per literal hashed);
// every NaN hashes alike, since NaN equals NaN here. (Only int32 operations: in cold code a
// result outside the small-integer range would allocate a heap number.)
const bits = new Float64Array(1)
const words = new Int32Array(bits.buffer)
const NAN_HASH = 0x7ff80000
const HASH_MULTIPLIER = 0x5bd1e995

const literalHash = (x: LiteralOperand): number => {
  const v = x.value
  let h = NAN_HASH
  if (v === v) {
    bits[0] = v
    h = words[0] ^ words[1]
  }
  return h ^ (x.dtype.length << 1) ^ (x.weakType ? 1 : 0)
}

/** The same operand: a variable by identity; literals by dtype, weak type and value, where
 *  NaN equals NaN and −0 differs from 0. */
const sameOperand = (a: Operand, b: Operand): boolean => {
  if (a === b) return true
  if (a instanceof Var || b instanceof Var) return false
  if (a.dtype !== b.dtype || a.weakType !== b.weakType) return false
  const x = a.value
  const y = b.value
  return x === y ? x !== 0 || 1 / x === 1 / y : x !== x && y !== y
}

/** One equation of a table: its params key ('' for `{}`), its operands as given (`swapped`: a
 *  commutative pair keyed in the other order), and the next entry of the same hash. */
// (fields declared and assigned in the constructor: a class field would define each one twice
// per entry, to undefined and then to its value, for every equation staged)
class Entry<T> implements EqnSlot<T> {
  declare value: T | undefined
  declare readonly paramsKey: string
  declare readonly ops: readonly Operand[]
  declare readonly swapped: boolean
  declare readonly next: Entry<T> | undefined
  constructor(paramsKey: string, ops: readonly Operand[], swapped: boolean, next: Entry<T> | undefined) {
    this.value = undefined
    this.paramsKey = paramsKey
    this.ops = ops
    this.swapped = swapped
    this.next = next
  }
  /** Is this the entry of `ops` (keyed swapped or not) with params key `paramsKey`? */
  matches(paramsKey: string, ops: readonly Operand[], swapped: boolean): boolean {
    const own = this.ops
    const n = ops.length
    if (own.length !== n || this.paramsKey !== paramsKey) return false
    // (only a pair is ever swapped: operand i in key order is ops[1 − i] then)
    const flip = this.swapped !== swapped
    for (let i = 0; i < n; i++) if (!sameOperand(own[flip ? 1 - i : i], ops[i])) return false
    return true
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
 * `eqnKey` but without writing a key per equation: per primitive, a hash table of entries
 * keyed by an integer hash of the operands (variables by id, literals by dtype, weak type and
 * value bits) and of the params key (computed once per frozen params object; none for `{}`,
 * the params of most equations). A look-up is one probe of an integer key and a comparison of
 * the few entries of that hash; it makes no string.
 */
export class EqnTable<T> {
  private readonly byPrim = new Map<string, Map<number, Entry<T>>>()
  /** The slot of `prim(ops…){params}`, made empty when the table has none (the table keeps
   *  `ops`: the caller does not change the list afterwards). */
  slot(prim: PrimName, ops: readonly Operand[], params: unknown): EqnSlot<T> {
    const pk = isEmptyParams(params) ? '' : paramsKeyOf(params)
    let table = this.byPrim.get(prim)
    if (table === undefined) this.byPrim.set(prim, (table = new Map()))
    const n = ops.length
    // a commutative pair is keyed in the order `before` gives (either order finds one entry)
    const swapped = n === 2 && COMMUTATIVE.has(prim) && before(ops[1], ops[0])
    // (one multiply per operand, in the key's order; the Map hashes the integer again)
    let h = pk.length ^ (n << 16)
    for (let i = 0; i < n; i++) {
      const x = ops[swapped ? 1 - i : i]
      h = Math.imul(h ^ (x instanceof Var ? x.id : literalHash(x)), HASH_MULTIPLIER)
    }
    const head = table.get(h)
    for (let e = head; e !== undefined; e = e.next) if (e.matches(pk, ops, swapped)) return e
    const e = new Entry<T>(pk, ops, swapped, head)
    table.set(h, e)
    return e
  }
}
