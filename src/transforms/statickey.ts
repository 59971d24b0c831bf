/**
 * Transforms: the cache key of a `jit` static argument. Two static values get the same key
 * only when a traced function cannot tell them apart at trace time:
 *
 * - primitives by `Object.is` (so `0` and `-0` differ, every `NaN` is the same), strings by
 *   value, tagged by type (`1`, `'1'` and `1n` differ);
 * - plain objects (prototype `Object.prototype` or `null`, only enumerable data properties)
 *   and plain arrays by structure: same keys in the same order, same values, recursively;
 * - everything else (functions, class instances, `Map`, `Set`, `Date`, typed arrays, leibniz
 *   arrays, objects with getters or symbol keys) by identity: a `WeakMap` gives each object an
 *   id, so a different function or instance traces again, and the same one never does, even if
 *   it was mutated in between.
 *
 * The text is a prefix code (strings are JSON-quoted, every node is tagged and bracketed), so
 * no two different keys can print the same.
 */

const objectIds = new WeakMap<object, number>()
const symbolIds = new Map<symbol, number>()
let nextId = 0

const identity = (x: object): string => {
  let id = objectIds.get(x)
  if (id === undefined) objectIds.set(x, (id = nextId++))
  return `o${id}`
}

const symbolIdentity = (x: symbol): string => {
  let id = symbolIds.get(x)
  if (id === undefined) symbolIds.set(x, (id = nextId++))
  return `y${id}`
}

/** A plain array whose own keys are its indices and whose elements are data properties. */
const isPlainArray = (x: object): x is readonly unknown[] => {
  if (!Array.isArray(x) || Object.getPrototypeOf(x) !== Array.prototype) return false
  const keys = Reflect.ownKeys(x)
  if (keys.length !== x.length + 1) return false // holes, extra or symbol keys
  return keys.every((k) => k === 'length' || 'value' in (Object.getOwnPropertyDescriptor(x, k) ?? {}))
}

/** An object literal (or `Object.create(null)` / `JSON.parse` result) with only data properties. */
const isPlainRecord = (x: object): boolean => {
  const proto = Object.getPrototypeOf(x)
  if (proto !== Object.prototype && proto !== null) return false
  return Reflect.ownKeys(x).every((k) => {
    if (typeof k === 'symbol') return false
    const d = Object.getOwnPropertyDescriptor(x, k)
    return d !== undefined && d.enumerable === true && 'value' in d
  })
}

/** The cache key of one static argument (see the module header for the rule). */
export const staticKey = (x: unknown): string => {
  const open = new Set<object>() // objects on the current path: a cycle falls back to identity
  const go = (v: unknown): string => {
    switch (typeof v) {
      case 'undefined': return 'u'
      case 'boolean': return v ? 't' : 'f'
      case 'number': return Object.is(v, -0) ? 'd-0' : `d${String(v)}`
      case 'bigint': return `i${String(v)}`
      case 'string': return `s${JSON.stringify(v)}`
      case 'symbol': return symbolIdentity(v)
      case 'function': return identity(v)
    }
    if (v === null) return 'n'
    const o = v as object
    if (open.has(o)) return identity(o)
    if (isPlainArray(o)) {
      open.add(o)
      const s = `[${o.map(go).join(',')}]`
      open.delete(o)
      return s
    }
    if (isPlainRecord(o)) {
      open.add(o)
      const rec = o as Record<string, unknown>
      const tag = Object.getPrototypeOf(o) === null ? 'N' : ''
      const s = `${tag}{${Object.keys(rec).map((k) => `${JSON.stringify(k)}:${go(rec[k])}`).join(',')}}`
      open.delete(o)
      return s
    }
    return identity(o)
  }
  return go(x)
}

/**
 * Whether static value `x` has the key `prevKey` of the earlier value `prev`, computing the
 * key only when needed: a primitive, function or non-plain object that is `prev` itself
 * (`Object.is`) has its key by the rule above, whereas a plain object or array may have been
 * mutated since, so its key is computed again.
 */
export const sameStatic = (x: unknown, prev: unknown, prevKey: string): boolean => {
  if (Object.is(x, prev) && keyedByIdentity(x)) return true
  return staticKey(x) === prevKey
}

/** Values whose key does not depend on their contents: primitives, functions, and objects
 *  whose prototype is neither `Array.prototype`, `Object.prototype` nor null. */
const keyedByIdentity = (x: unknown): boolean => {
  if (typeof x !== 'object' || x === null) return true
  const proto = Object.getPrototypeOf(x)
  return proto !== Array.prototype && proto !== Object.prototype && proto !== null
}
