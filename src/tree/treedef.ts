/**
 * Pytrees: nested JS arrays and plain objects whose leaves are arrays or numbers. `null` and
 * `undefined` are empty nodes with no leaves (like Python's None in JAX). Object keys are
 * visited in sorted order, so `{ b, a }` and `{ a, b }` have the same structure.
 */
import { TreeMismatchError, ValueError } from '../core/errors'
import type { LeafOf, MapLeaves } from './types'

export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none'; readonly value: null | undefined }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] }

/** Typed view of a pytree with leaves of type T. */
export type JsTree<T> = T | null | undefined | readonly JsTree<T>[] | { readonly [k: string]: JsTree<T> }

const LEAF: TreeDef = Object.freeze({ kind: 'leaf' })

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null) return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

export const flatten = <T = unknown>(tree: unknown): [T[], TreeDef] => {
  const leaves: T[] = []
  // The containers on the path from the root and the keys that lead to them: meeting an open
  // container again is a cycle (a shared, non-cyclic subtree is fine and is visited twice).
  // Paths are spelled out only for the error message.
  const open: object[] = []
  const keys: (string | number)[] = []
  const pathTo = (depth: number): string =>
    keys.slice(0, depth).map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('') || '(root)'
  const enter = (x: object): void => {
    const back = open.indexOf(x)
    if (back >= 0) {
      throw new ValueError(
        `pytree: the value at ${pathTo(keys.length)} is its own ancestor ${pathTo(back)} (a cyclic structure). ` +
          `Pytrees are finite trees of arrays, JS arrays and plain objects: pass the data without the back-reference.`,
      )
    }
    open.push(x)
  }
  const go = (x: unknown): TreeDef => {
    if (x === null || x === undefined) return { kind: 'none', value: x }
    if (Array.isArray(x)) {
      enter(x)
      const children = x.map((c, i) => {
        keys.push(i)
        const d = go(c)
        keys.pop()
        return d
      })
      open.pop()
      return { kind: 'array', children }
    }
    if (isPlainObject(x)) {
      enter(x)
      const ks = Object.keys(x).sort()
      const children = ks.map((k) => {
        keys.push(k)
        const d = go(x[k])
        keys.pop()
        return d
      })
      open.pop()
      return { kind: 'object', keys: ks, children }
    }
    leaves.push(x as T)
    return LEAF
  }
  const def = go(tree)
  return [leaves, def]
}

/**
 * The leaves of `tree` appended to `out` when `tree` has the structure `def` (what `flatten`
 * would return as its TreeDef, compared node by node), else false with `out` partly filled.
 * A finite `def` never matches a cyclic tree: a cycle would have to end at a leaf, and a leaf
 * is never a JS array or plain object. Used to check a repeated call's arguments without
 * building their structure.
 */
export const flattenAs = (def: TreeDef, tree: unknown, out: unknown[]): boolean => {
  switch (def.kind) {
    case 'leaf':
      if (tree === null || tree === undefined || Array.isArray(tree) || isPlainObject(tree)) return false
      out.push(tree)
      return true
    case 'none': return tree === def.value
    case 'array': {
      if (!Array.isArray(tree) || tree.length !== def.children.length) return false
      for (let i = 0; i < tree.length; i++) {
        const c = def.children[i] as TreeDef | undefined // a hole of the array flattened before
        if (c === undefined || !flattenAs(c, tree[i], out)) return false
      }
      return true
    }
    case 'object': {
      if (!isPlainObject(tree)) return false
      const ks = Object.keys(tree)
      if (ks.length !== def.keys.length) return false
      // same key set: every key of `def` is an own enumerable key of `tree`
      for (const k of def.keys) if (!Object.prototype.propertyIsEnumerable.call(tree, k)) return false
      for (let i = 0; i < def.keys.length; i++) if (!flattenAs(def.children[i], tree[def.keys[i]], out)) return false
      return true
    }
  }
}

export const numLeaves = (def: TreeDef): number => {
  switch (def.kind) {
    case 'leaf': return 1
    case 'none': return 0
    default: return def.children.reduce((n, c) => n + numLeaves(c), 0)
  }
}

export const unflatten = <T = unknown>(def: TreeDef, leaves: readonly unknown[]): T => {
  let i = 0
  const go = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf':
        if (i >= leaves.length) throw new TreeMismatchError(`unflatten: the tree ${treedefStr(def)} needs ${numLeaves(def)} leaves, got ${leaves.length}`)
        return leaves[i++]
      case 'none': return d.value
      case 'array': return d.children.map(go)
      case 'object': {
        // defineProperty, not `out[k] =`: an own "__proto__" key (JSON.parse makes them) must
        // stay a key rather than set the prototype.
        const out: Record<string, unknown> = {}
        d.keys.forEach((k, j) => Object.defineProperty(out, k, { value: go(d.children[j]), enumerable: true, writable: true, configurable: true }))
        return out
      }
    }
  }
  const out = go(def)
  if (i !== leaves.length) throw new TreeMismatchError(`unflatten: the tree ${treedefStr(def)} needs ${numLeaves(def)} leaves, got ${leaves.length}`)
  return out as T
}

export const treedefEq = (a: TreeDef, b: TreeDef): boolean => {
  if (a.kind !== b.kind) return false
  if (a.kind === 'leaf' || a.kind === 'none') return true
  const bc = b as typeof a
  if (a.children.length !== bc.children.length) return false
  if (a.kind === 'object' && (a.keys.join('\u0000') !== (bc as typeof a).keys.join('\u0000'))) return false
  return a.children.every((c, i) => treedefEq(c, bc.children[i]))
}

/** `[*, {a: *, b: [*, *]}]`: a structure as text, for error messages. */
export const treedefStr = (d: TreeDef): string => {
  switch (d.kind) {
    case 'leaf': return '*'
    case 'none': return String(d.value)
    case 'array': return `[${d.children.map(treedefStr).join(', ')}]`
    case 'object': return `{${d.keys.map((k, i) => `${k}: ${treedefStr(d.children[i])}`).join(', ')}}`
  }
}

/**
 * An unambiguous text of a structure, for cache keys: keys are JSON-quoted, so a key such as
 * `'a: null, b'` cannot read as two keys (treedefStr is for people and does not quote).
 */
export const treedefKey = (d: TreeDef): string => {
  switch (d.kind) {
    case 'leaf': return '*'
    case 'none': return d.value === null ? 'n' : 'u'
    case 'array': return `[${d.children.map(treedefKey).join(',')}]`
    case 'object': return `{${d.keys.map((k, i) => `${JSON.stringify(k)}:${treedefKey(d.children[i])}`).join(',')}}`
  }
}

/** The leaves of `tree`, in flattening order (object keys sorted). */
export const leaves = <T>(tree: T): LeafOf<T>[] => flatten<LeafOf<T>>(tree)[0]
export const structure = (tree: unknown): TreeDef => flatten(tree)[1]

/**
 * `map(f, tree, ...rest)`: apply `f` leafwise; every tree in `rest` must have `tree`'s
 * structure. The result is `tree` with each leaf replaced by what `f` returned for it.
 */
export const map = <T, R, Rest extends readonly unknown[] = []>(
  f: (x: NoInfer<LeafOf<T>>, ...rest: { [K in keyof Rest]: NoInfer<LeafOf<Rest[K]>> }) => R,
  tree: T,
  ...rest: Rest
): MapLeaves<T, R> => {
  const [ls, def] = flatten(tree)
  const others = rest.map((r, k) => {
    const [rl, rd] = flatten(r)
    if (!treedefEq(def, rd)) {
      throw new TreeMismatchError(`tree.map: tree ${k + 1} of rest has structure ${treedefStr(rd)}, expected ${treedefStr(def)} (the first tree's)`)
    }
    return rl
  })
  const g = f as (x: unknown, ...rest: unknown[]) => R
  return unflatten(def, ls.map((x, i) => g(x, ...others.map((o) => o[i]))))
}

/**
 * Broadcast a prefix tree (like vmap's `inAxes`) against a full tree: each leaf of `prefix`
 * stands for the whole subtree at the same place in `full`. Returns one value per leaf of `full`.
 */
export const broadcastPrefix = <T>(prefix: unknown, full: unknown, what: string, isPrefixLeaf: (x: unknown) => boolean = () => false): T[] => {
  const out: T[] = []
  const go = (p: unknown, f: unknown, path: string): void => {
    if (isPrefixLeaf(p) || p === null || (!Array.isArray(p) && !isPlainObject(p))) {
      const n = flatten(f)[0].length
      for (let i = 0; i < n; i++) out.push(p as T)
      return
    }
    if (Array.isArray(p)) {
      if (!Array.isArray(f) || f.length !== p.length) {
        throw new TreeMismatchError(`${what}: at ${path || 'the top'}, the prefix is an array of ${p.length} but the value is ${Array.isArray(f) ? `an array of ${f.length}` : treedefStr(structure(f))}`)
      }
      p.forEach((pi, i) => go(pi, f[i], `${path}[${i}]`))
      return
    }
    const pk = Object.keys(p).sort()
    if (!isPlainObject(f) || Object.keys(f).sort().join() !== pk.join()) {
      throw new TreeMismatchError(`${what}: at ${path || 'the top'}, the prefix has keys {${pk.join(', ')}} but the value is ${treedefStr(structure(f))}`)
    }
    for (const k of pk) go((p as Record<string, unknown>)[k], (f as Record<string, unknown>)[k], `${path}.${k}`)
  }
  go(prefix, full, '')
  return out
}

/** Paths of the leaves, for messages: `[0].a`, `.b[1]`, or `(root)`. */
export const leafPaths = (tree: unknown): string[] => {
  const out: string[] = []
  const go = (x: unknown, path: string): void => {
    if (x === null || x === undefined) return
    if (Array.isArray(x)) return x.forEach((c, i) => go(c, `${path}[${i}]`))
    if (isPlainObject(x)) return Object.keys(x).sort().forEach((k) => go(x[k], `${path}.${k}`))
    out.push(path || '(root)')
  }
  go(tree, '')
  return out
}
