/**
 * Backend, JS code generator: a `LoopKernel` as a function `(a0, a1, …, o0, o1, …) => void`
 * over typed arrays.
 *
 * The loop nest opens the kept loops, then the reduced ones. Every node is computed at the
 * shallowest loop level where all it reads is defined (loop-invariant code motion: a load of
 * a 0-d input, a constant expression, a value that only depends on outer loops is computed
 * once per outer iteration). Index arithmetic is split the same way: the part of an affine
 * index that depends on loops 0…L−1 is summed when loop L−1 opens. Accumulators are set before
 * the first reduced loop and stored after it closes; each reduction visits its elements in
 * row-major order, as the reference impls do, so sums are bitwise equal to the reference.
 */
import type { DType } from '../../ir/dtypes'
import { CodegenError, checkDType, constant, ident, int } from '../emit'
import type { Affine, KNode, LoopKernel, Reduction } from '../kernel'
import { HELPERS, type Helper, emitOp } from './ops'

const isFloat = (d: string) => d === 'float64' || d === 'float32'

/** Level of an affine index: 1 + the innermost loop it moves with (0: loop-invariant). */
const affineLevel = (a: Affine): number => {
  for (let d = a.st.length - 1; d >= 0; d--) if (a.st[d] !== 0) return d + 1
  return 0
}

class Indexer {
  private readonly ids = new Map<string, number>()
  /** the id of each index object already added (most are added, then looked up again by
   *  `expr`: no key text built for those) */
  private readonly known = new Map<Affine, number>()
  private readonly affs: Affine[] = []
  add(a: Affine): number {
    let id = this.known.get(a)
    if (id !== undefined) return id
    const key = `${a.off}|${a.st.join(',')}`
    id = this.ids.get(key)
    if (id === undefined) {
      id = this.affs.length
      this.ids.set(key, id)
      this.affs.push(a)
    }
    this.known.set(a, id)
    return id
  }
  /** Declarations of the partial indices that change when loop `d` opens. */
  partials(d: number): string[] {
    const out: string[] = []
    this.affs.forEach((a, id) => {
      if (a.st[d] === 0 || affineLevel(a) === d + 1) return
      out.push(`const ${ident('q', id)}_${int(d + 1)} = ${this.partial(a, id, d + 1)};`)
    })
    return out
  }
  /** The full index, valid inside every loop it moves with. */
  expr(a: Affine): string {
    return this.partial(a, this.add(a), affineLevel(a))
  }
  /** off + Σ_{d < level} st[d]·i_d, reusing the partial declared at the previous level. */
  private partial(a: Affine, id: number, level: number): string {
    let prev: string | null = null
    for (let d = level - 2; d >= 0; d--) {
      if (a.st[d] !== 0) {
        prev = `${ident('q', id)}_${int(d + 1)}`
        break
      }
    }
    // (two terms at most, joined without a list: this runs for every index of every kernel)
    const first = prev !== null ? prev : a.off !== 0 ? int(a.off) : null
    const d = level - 1
    const last = d >= 0 && a.st[d] !== 0 ? (a.st[d] === 1 ? ident('i', d) : `${ident('i', d)} * ${int(a.st[d])}`) : null
    if (first === null) return last ?? '0'
    return last === null ? first : `${first} + ${last}`
  }
}

export const RED_INIT: Record<string, (dtype: string) => string> = {
  sum: () => '0',
  prod: () => '1',
  max: (d) => (isFloat(d) ? '-Infinity' : d === 'int32' ? '-2147483648' : '0'),
  min: (d) => (isFloat(d) ? 'Infinity' : d === 'int32' ? '2147483647' : '1'),
  argmax: () => '-Infinity',
  argmin: () => 'Infinity',
}

const combine = (r: Reduction, acc: string, v: string, k: string, counter: string): string => {
  const intAcc = r.acc === 'int32'
  switch (r.op) {
    case 'sum': return intAcc ? `${acc} = ${acc} + ${v} | 0;` : `${acc} += ${v};`
    case 'prod': return intAcc ? `${acc} = Math.imul(${acc}, ${v});` : `${acc} *= ${v};`
    // NaN propagates (once the accumulator is NaN no comparison replaces it)
    case 'max': return `if (${v} > ${acc} || ${v} !== ${v}) ${acc} = ${v};`
    case 'min': return `if (${v} < ${acc} || ${v} !== ${v}) ${acc} = ${v};`
    // first index of the extremum; the first NaN wins and stops the search (as the impl)
    case 'argmax': return `if (${acc} === ${acc} && (${v} > ${acc} || ${v} !== ${v})) { ${acc} = ${v}; ${k} = ${counter}; }`
    case 'argmin': return `if (${acc} === ${acc} && (${v} < ${acc} || ${v} !== ${v})) { ${acc} = ${v}; ${k} = ${counter}; }`
  }
}

/** The body of the kernel function (parameters a0…, then o0…) without its helpers, and the
 *  helper definitions it needs (kept apart so a caller can hoist them out of a loop). */
export const genLoopParts = (k: LoopKernel): { helpers: string[]; body: string } => {
  const R = k.domain.length
  const K = R - k.nReduced
  k.domain.forEach(int)
  const idx = new Indexer()
  const nodes = k.nodes
  const ref = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n >= nodes.length) throw new CodegenError(`codegen: bad node reference ${n}`)
    return n
  }
  // (cold code — a kernel's first compilation runs this in V8's interpreter, where a for-of
  // allocates an iterator result per element, a spread or `.map` an array and a closure made
  // per call an object — so the loops over nodes and their operands are indexed)
  /** How many nodes `node` reads (an op's operands, a pick's fallback and pieces); they are
   *  written to deps[0…] (one array for all the nodes, read before the next call). */
  const deps: number[] = []
  const depsOf = (node: KNode): number => {
    let n = 0
    if (node.k === 'op') for (let j = 0; j < node.args.length; j++) deps[n++] = ref(node.args[j])
    else if (node.k === 'pick') {
      deps[n++] = ref(node.fallback)
      for (let j = 0; j < node.pieces.length; j++) if (node.pieces[j].node >= 0) deps[n++] = ref(node.pieces[j].node)
    }
    return n
  }
  // level: the loop depth at which a node can be computed; post: it needs a reduction's result
  const level = new Array<number>(nodes.length).fill(0)
  const post = new Array<boolean>(nodes.length).fill(false)
  const rereads = new Set(k.rereads ?? [])
  const atom = new Array<string>(nodes.length)
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]
    atom[i] = n.k === 'lit' ? constant(n.value, n.dtype) : n.k === 'acc' ? ident('v', n.red) : ident('t', i)
    if (n.k === 'load' || n.k === 'coord') level[i] = affineLevel(n.idx)
    // a load of a buffer this kernel stores reads it back after the main sweep: it belongs to
    // the epilogue (post), at the kept level at least
    if (n.k === 'load' && rereads.has(n.input)) {
      level[i] = Math.max(level[i], K)
      post[i] = true
    }
    else if (n.k === 'pick') {
      let l = level[n.fallback]
      for (let j = 0; j < n.pieces.length; j++) {
        const p = n.pieces[j]
        l = Math.max(l, affineLevel(p.idx))
        for (let c = 0; c < p.conds.length; c++) l = Math.max(l, affineLevel(p.conds[c].c))
      }
      level[i] = l
    }
    else if (n.k === 'acc') {
      if (!Number.isInteger(n.red) || n.red < 0 || n.red >= k.reductions.length) throw new CodegenError(`codegen: bad reduction reference ${n.red}`)
      level[i] = K
      post[i] = true
    }
    const nd = depsOf(n)
    for (let j = 0; j < nd; j++) {
      level[i] = Math.max(level[i], level[deps[j]])
      post[i] ||= post[deps[j]]
    }
  }
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]
    if (n.k === 'load' || n.k === 'coord') idx.add(n.idx)
    if (n.k === 'pick') {
      for (let j = 0; j < n.pieces.length; j++) {
        const p = n.pieces[j]
        idx.add(p.idx)
        for (let c = 0; c < p.conds.length; c++) idx.add(p.conds[c].c)
      }
    }
  }
  for (let j = 0; j < k.stores.length; j++) idx.add(k.stores[j].idx)
  for (let j = 0; j < k.reductions.length; j++) idx.add(k.reductions[j].idx)
  for (let j = 0; j < k.epilogue.length; j++) idx.add(k.epilogue[j].idx)

  // the nodes each part needs: the main sweep, and the epilogue (its own copies of main nodes
  // inside the reduced loops — those of the main sweep are out of scope there)
  const mainLive = new Array<boolean>(nodes.length).fill(false)
  const epiLive = new Array<boolean>(nodes.length).fill(false)
  // (a worklist, not recursion: a fused chain of 10⁵ operations is 10⁵ nodes deep)
  // (the stack holds a node and its part as one number: 2·node, + 1 for the epilogue's copy)
  const work: number[] = []
  const mark = (live0: boolean[], n0: number, epi0: boolean): void => {
    work.push(2 * n0 + (epi0 ? 1 : 0))
    while (work.length > 0) {
      const w = work.pop() as number
      const n = w >> 1
      let epi = (w & 1) === 1
      if (epi && !post[n] && level[n] <= K) epi = false
      const live = epi ? live0 : mainLive
      if (live[n]) continue
      if (!epi && post[n]) throw new CodegenError('codegen: a reduction result is used before the reduction ends')
      live[n] = true
      const nd = depsOf(nodes[n])
      for (let j = 0; j < nd; j++) work.push(2 * deps[j] + (epi ? 1 : 0))
    }
  }
  k.stores.forEach((s) => mark(mainLive, ref(s.node), false))
  k.reductions.forEach((r) => mark(mainLive, ref(r.node), false))
  k.epilogue.forEach((s) => mark(epiLive, ref(s.node), true))

  const helpers = new Set<Helper>()
  const lines = (live: boolean[], lvl: number, wantPost: boolean | null): string[] => {
    const out: string[] = []
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]
      if (live[i] && level[i] === lvl && n.k !== 'lit' && n.k !== 'acc' && (wantPost === null || post[i] === wantPost)) nodeLines(out, n, i, atom, idx, nodes, helpers, k.f32 === 'exact')
    }
    return out
  }
  const accs = k.reductions.map((_, j) => ident('r', j))
  const inits = k.reductions.flatMap((r, j) => [`let ${accs[j]} = ${RED_INIT[r.op](r.acc)};`, ...(r.op.startsWith('arg') ? [`let ${ident('k', j)} = 0;`] : [])])
  const counter = K < R ? ident('i', K) : '0'
  const store = (s: { node: number; out: number; idx: Affine }) => `${ident('o', s.out)}[${idx.expr(s.idx)}] = ${atom[s.node]};`
  const combines = k.reductions.map((r, j) => combine(r, accs[j], atom[r.node], ident('k', j), counter))
  // after the reductions: their results (rounded as stored), then the epilogue
  const used = new Set<number>()
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]
    if (n.k === 'acc' && epiLive[i]) used.add(n.red)
  }
  const results = k.reductions.flatMap((r, j) => {
    const v = r.op.startsWith('arg') ? ident('k', j) : accs[j]
    const out = checkDType(k.outputs[r.out])
    const value = `const ${ident('v', j)} = ${out === 'float32' ? `Math.fround(${v})` : v};`
    return [`${ident('o', r.out)}[${idx.expr(r.idx)}] = ${v};`, ...(used.has(j) ? [value] : [])]
  })
  const loopOpen = (d: number) => [`for (let ${ident('i', d)} = 0; ${ident('i', d)} < ${int(k.domain[d])}; ${ident('i', d)}++) {`, ...idx.partials(d)]
  // (lists are appended with concat, never push(...xs): a kernel may have 10⁵ lines, more
  // than a call's arguments can hold)
  let epilogue: string[] = lines(epiLive, K, true)
  if (k.epilogue.length > 0) {
    for (let d = K; d < R; d++) epilogue = epilogue.concat(loopOpen(d), lines(epiLive, d + 1, null))
    epilogue = epilogue.concat(k.epilogue.map(store), Array<string>(R - K).fill('}'))
  }

  let out: string[] = lines(mainLive, 0, false)
  for (let d = 0; d < R; d++) {
    if (d === K) out = out.concat(inits)
    out = out.concat(loopOpen(d), lines(mainLive, d + 1, false))
  }
  // no reduced loops: each point's reductions fold a single element, in the innermost block
  if (K === R) out = out.concat(inits)
  out = out.concat(k.stores.map(store), combines)
  if (K === R) out = out.concat(results, epilogue)
  for (let d = R - 1; d >= 0; d--) {
    out.push('}')
    if (d === K) out = out.concat(results, epilogue)
  }
  return { helpers: [...helpers].map((h) => HELPERS[h]), body: out.join('\n') }
}

/** The body of the kernel function; parameters are a0…, then o0…. */
export const genLoopBody = (k: LoopKernel): string => {
  const { helpers, body } = genLoopParts(k)
  return [...helpers, body].join('\n')
}

/** The statements of node `i`, appended to `out`. */
const nodeLines = (out: string[], n: KNode, i: number, atom: readonly string[], idx: Indexer, nodes: readonly KNode[], helpers: Set<Helper>, exactF32: boolean): void => {
  const t = atom[i]
  switch (n.k) {
    case 'load': {
      const at = n.clamp >= 0 ? `Math.min(Math.max(${idx.expr(n.idx)}, 0), ${int(n.clamp)})` : idx.expr(n.idx)
      out.push(`const ${t} = ${ident('a', n.input)}[${at}];`)
      return
    }
    case 'coord':
      out.push(`const ${t} = ${idx.expr(n.idx)};`)
      return
    case 'op': {
      const args = new Array<string>(n.args.length)
      const argDtypes = new Array<DType>(n.args.length)
      for (let j = 0; j < n.args.length; j++) {
        args[j] = atom[n.args[j]]
        argDtypes[j] = nodes[n.args[j]].dtype
      }
      const e = emitOp(n.op, n.dtype, args, argDtypes, n.attr, t, exactF32)
      for (let j = 0; j < e.helpers.length; j++) helpers.add(e.helpers[j])
      for (let j = 0; j < e.pre.length; j++) out.push(e.pre[j])
      out.push(`const ${t} = ${e.expr};`)
      return
    }
    case 'pick': {
      let expr = atom[n.fallback]
      for (let p = n.pieces.length - 1; p >= 0; p--) {
        const piece = n.pieces[p]
        const conds = piece.conds.map((c) => {
          const x = idx.expr(c.c)
          return `${x} >= ${int(c.lo)} && ${x} < ${int(c.lo + c.n)}`
        })
        const load = piece.node >= 0 ? atom[piece.node] : `${ident('a', piece.input)}[${idx.expr(piece.idx)}]`
        expr = conds.length === 0 ? load : `(${conds.join(' && ')} ? ${load} : ${expr})`
      }
      out.push(`const ${t} = ${expr};`)
      return
    }
    case 'lit':
    case 'acc':
      return
  }
}
