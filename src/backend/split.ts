/**
 * Backend: splitting a loop kernel with pad / concatenate picks into boxes of its domain where
 * every pick is decided (index-set splitting).
 *
 * A pick condition 0 ≤ c(i) − lo < n whose affine c follows one loop coordinate i_d holds on
 * one interval of i_d. Cutting each loop at the ends of those intervals gives boxes on which
 * every condition is constant, so each pick is one of its pieces (or its fallback) there: a
 * box is a plain kernel over a smaller domain, with its affine offsets moved to the box's
 * corner, its picks replaced by the chosen piece, the other pieces dropped and its loads in
 * range (no clamps). So a pad of a computed value costs no branch per point and computes only
 * the piece each point takes, and the large inner box is a contiguous map that the WebAssembly
 * kernels take (the thin edges stay in generated JS).
 *
 * Values are unchanged: every point computes the same nodes it computed before, minus the
 * pieces whose values were discarded.
 */
import type { Affine, KNode, LoopKernel, PieceCond } from './kernel'

/** More boxes than this: the kernel stays whole (each box is a kernel call). */
export const MAX_BOXES = 16

const holds = (c: PieceCond, at: readonly number[]): boolean => {
  let v = c.c.off
  c.c.st.forEach((s, d) => (v += s * at[d]))
  return v - c.lo >= 0 && v - c.lo < c.n
}

/** Where the condition may change along loop d (c = off + s·i_d): its interval's two ends. */
const cutsOf = (c: PieceCond, d: number): number[] => {
  const s = c.c.st[d]
  const off = c.c.off
  // lo ≤ off + s·i ≤ lo + n − 1
  if (s > 0) return [Math.ceil((c.lo - off) / s), Math.floor((c.lo + c.n - 1 - off) / s) + 1]
  return [Math.ceil((off - c.lo - c.n + 1) / -s), Math.floor((off - c.lo) / -s) + 1]
}

const shift = (a: Affine, start: readonly number[]): Affine => {
  let off = a.off
  a.st.forEach((s, d) => (off += s * start[d]))
  return { off, st: a.st }
}

/** The boxes of `k`, or null when it has no picks, has reductions, or a condition follows
 *  more than one loop (or the split would make more than MAX_BOXES boxes). */
export const splitPicks = (k: LoopKernel): LoopKernel[] | null => {
  if (k.reductions.length > 0 || k.epilogue.length > 0 || k.rereads !== undefined) return null
  const picks = k.nodes.filter((n): n is Extract<KNode, { k: 'pick' }> => n.k === 'pick')
  if (picks.length === 0) return null
  const D = k.domain.length
  const bounds = k.domain.map((e) => new Set([0, e]))
  for (const p of picks) {
    for (const piece of p.pieces) {
      for (const c of piece.conds) {
        const dims = c.c.st.flatMap((s, d) => (s !== 0 ? [d] : []))
        if (dims.length > 1) return null
        if (dims.length === 0) continue
        const d = dims[0]
        for (const x of cutsOf(c, d)) if (x > 0 && x < k.domain[d]) bounds[d].add(x)
      }
    }
  }
  const intervals = bounds.map((b) => [...b].sort((x, y) => x - y))
  let count = 1
  for (let d = 0; d < D; d++) count *= intervals[d].length - 1
  if (count > MAX_BOXES || count < 1) return null
  const boxes: LoopKernel[] = []
  const visit = (d: number, start: number[], ext: number[]): boolean => {
    if (d === D) {
      const box = boxKernel(k, start, ext)
      if (box === null) return false
      boxes.push(box)
      return true
    }
    const iv = intervals[d]
    for (let j = 0; j + 1 < iv.length; j++) {
      if (!visit(d + 1, [...start, iv[j]], [...ext, iv[j + 1] - iv[j]])) return false
    }
    return true
  }
  return visit(0, [], []) ? boxes : null
}

/** The kernel restricted to the box at `start` of extents `ext` (null if a pick is not
 *  constant on it: then the caller keeps the kernel whole). */
const boxKernel = (k: LoopKernel, start: readonly number[], ext: readonly number[]): LoopKernel | null => {
  const last = start.map((s, d) => s + ext[d] - 1)
  const decided = (c: PieceCond): boolean | null => {
    const a = holds(c, start)
    return holds(c, last) === a ? a : null
  }
  // per node: the node it becomes (an index into `out`), resolved in order (args come first)
  const nodes: KNode[] = []
  const at = new Array<number>(k.nodes.length)
  const memo = new Map<string, number>()
  const push = (n: KNode): number => {
    const key = JSON.stringify(n)
    let i = memo.get(key)
    if (i === undefined) {
      i = nodes.length
      nodes.push(n)
      memo.set(key, i)
    }
    return i
  }
  // a load in range on the box needs no clamp (its clamp is the last valid index)
  const inRange = (idx: Affine, clamp: number): boolean => {
    let lo = idx.off
    let hi = idx.off
    ext.forEach((e, d) => (idx.st[d] > 0 ? (hi += idx.st[d] * (e - 1)) : (lo += idx.st[d] * (e - 1))))
    return lo >= 0 && hi <= clamp
  }
  for (let i = 0; i < k.nodes.length; i++) {
    const n = k.nodes[i]
    switch (n.k) {
      case 'load': {
        const idx = shift(n.idx, start)
        at[i] = push({ ...n, idx, clamp: n.clamp >= 0 && inRange(idx, n.clamp) ? -1 : n.clamp })
        break
      }
      case 'coord':
        at[i] = push({ ...n, idx: shift(n.idx, start) })
        break
      case 'lit':
      case 'acc':
        at[i] = push(n)
        break
      case 'op':
        at[i] = push({ ...n, args: n.args.map((a) => at[a]) })
        break
      case 'pick': {
        let chosen = -1
        for (const p of n.pieces) {
          const ok = p.conds.map(decided)
          if (ok.some((x) => x === null)) return null
          if (ok.every((x) => x === true)) {
            if (p.node >= 0) chosen = at[p.node]
            else {
              const idx = shift(p.idx, start)
              chosen = push({ k: 'load', input: p.input, idx, dtype: n.dtype, clamp: -1 })
            }
            break
          }
        }
        at[i] = chosen >= 0 ? chosen : at[n.fallback]
        break
      }
    }
  }
  return prune({ ...k, domain: ext, nodes, stores: k.stores.map((s) => ({ ...s, node: at[s.node], idx: shift(s.idx, start) })) })
}

/** Drops the nodes no store needs (the pieces a box does not take), renumbering the rest. */
const prune = (k: LoopKernel): LoopKernel => {
  const live = new Array<boolean>(k.nodes.length).fill(false)
  for (const s of k.stores) live[s.node] = true
  for (let i = k.nodes.length - 1; i >= 0; i--) {
    const n = k.nodes[i]
    if (live[i] && n.k === 'op') for (const a of n.args) live[a] = true
  }
  const renum = new Array<number>(k.nodes.length)
  const nodes: KNode[] = []
  k.nodes.forEach((n, i) => {
    if (!live[i]) return
    renum[i] = nodes.length
    nodes.push(n.k === 'op' ? { ...n, args: n.args.map((a) => renum[a]) } : n)
  })
  return { ...k, nodes, stores: k.stores.map((s) => ({ ...s, node: renum[s.node] })) }
}
