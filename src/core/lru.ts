/**
 * Core layer: a map that keeps its most recently used entries — the bound of every cache of
 * compiled code (kernels, drivers, WebAssembly modules, eager op loops, jit signatures), so that
 * a process that sees many shapes keeps a fixed amount of them.
 *
 * A JS Map iterates in insertion order, so re-inserting an entry on each use keeps the least
 * recently used first: both a hit and an eviction are O(1).
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>()

  /** `limit` is read at every insertion (a setter may change it between them). */
  constructor(private readonly limit: () => number) {}

  get size(): number {
    return this.map.size
  }

  /** The value of `key` (and marks it as the most recently used), or undefined. */
  get(key: K): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined || this.map.has(key)) {
      this.map.delete(key)
      this.map.set(key, v as V)
    }
    return v
  }

  has(key: K): boolean {
    return this.map.has(key)
  }

  /** Inserts `key` as the most recently used; returns the entries evicted to stay in bound. */
  set(key: K, value: V): [K, V][] {
    this.map.delete(key)
    this.map.set(key, value)
    return this.trim()
  }

  /** Drops least recently used entries until the size is within the limit; returns them. */
  trim(): [K, V][] {
    const out: [K, V][] = []
    const cap = Math.max(0, this.limit())
    for (const entry of this.map) {
      if (this.map.size <= cap) break
      this.map.delete(entry[0])
      out.push(entry)
    }
    return out
  }

  clear(): void {
    this.map.clear()
  }
}
