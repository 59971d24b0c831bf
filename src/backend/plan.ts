/**
 * Backend: the fusion planner. From a (flattened, validated) jaxpr it decides which values
 * are materialized and groups the rest into loop kernels:
 *
 *   1. Classify equations: elementwise (they have a `lower` rule), structural (index maps),
 *      pad/concatenate (guarded loads), reductions, contractions (small or vector-like ones
 *      are fused as reductions of products, large ones go to the matmul kernel), control flow
 *      (scan, while, cond) and opaque primitives (their reference impl is called).
 *   2. Materialize: jaxpr outputs, reduction and contraction results, operands of opaque and
 *      control-flow equations, values read across depth bands (MAX_FUSED_DEPTH) — then, by expanding every root's region, whatever expansion
 *      asks to cut, and expensive values that several kernels (or several index maps) would
 *      each recompute. Repeat until nothing changes.
 *   3. Schedule: walk the equations in order; a root joins the latest kernel with the same loop
 *      domain whose position is after everything the root reads (or that stores, at the same
 *      index, a value the root reads — it is then reused as a node), else opens a new kernel.
 *      So independent outputs of one shape come out of one loop, and a reduction shares its
 *      loop with the elementwise values computed over its input.
 */
import { rulesOf } from '../core/rules'
import type { ShapedArray } from '../ir/aval'
import type { Atom, Eqn, Jaxpr, Var } from '../ir/jaxpr'
import { TEMPLATED } from './codegen/ops'
import { identityMap, mapKey, selectMap } from './indexmap'
import { CHEAP, type Cls, type PlanCtx, Region } from './region'
import { dotGeometry, dotMaps, reduceDomain } from './roots'
import { type ScalarExpr, arg } from './scalar'

const STRUCT = new Set(['broadcast_in_dim', 'reshape', 'transpose', 'squeeze', 'slice'])
const REDUCE = new Set(['reduce_sum', 'reduce_max', 'reduce_min', 'reduce_prod', 'argmax', 'argmin'])
const CTRL = new Set(['scan', 'while', 'cond'])
const TRANSCENDENTAL = new Set(['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'exp', 'expm1', 'log', 'log1p', 'logistic', 'pow', 'atan2'])

/** Contractions fused as loop reductions: no contraction, little work, or a matrix-vector
 *  product contiguous along k on both sides (one running sum per output, hoisted operands).
 *  The rest go to the register-blocked matmul kernel. */
const FUSED_DOT_WORK = 1 << 14

export const classify = (e: Eqn, lowered: Map<Eqn, ScalarExpr>): Cls => {
  if (STRUCT.has(e.prim)) return 'struct'
  if (REDUCE.has(e.prim)) return 'reduce'
  if (CTRL.has(e.prim)) return 'ctrl'
  if (e.prim === 'concatenate') return 'pick'
  if (e.prim === 'pad') {
    const cfg = (e.params as { paddingConfig: ReadonlyArray<readonly [number, number, number]> }).paddingConfig
    return cfg.every((c) => c[2] === 0) ? 'pick' : 'opaque'
  }
  if (e.prim === 'dot_general') {
    const g = dotGeometry(e)
    return g.K === 1 || (g.contiguousK && Math.min(g.M, g.N) <= 2) || g.B * g.M * g.N * g.K <= FUSED_DOT_WORK ? 'dotf' : 'dot'
  }
  const expr = templatedLowering(e)
  if (expr === null) return 'opaque'
  lowered.set(e, expr)
  return 'ew'
}

/** The lowering of `e` when every op of it has a template in the JS generator, else null. */
export const templatedLowering = (e: Eqn): ScalarExpr | null => {
  const lower = rulesOf(e.prim).lower
  if (lower === undefined || e.outVars.length !== 1) return null
  const expr = lower(argList(e.inputs.length), e.params as never, { ins: e.inputs.map(avalOf), out: e.outVars[0].aval })
  return templated(expr) ? expr : null
}

// (asked for every equation a first call plans, in cold code: no closures made per equation)
const templated = (x: ScalarExpr): boolean => x._tag !== 'op' || (TEMPLATED.has(x.op) && x.args.every(templated))
const avalOf = (a: Atom): ShapedArray => a.aval

/** The operands of a lowering, arg(0) … arg(n − 1): one list per count, shared (expressions
 *  are immutable data, and a lowering only reads its operands). */
const argLists: (readonly ScalarExpr[])[] = []
const argList = (n: number): readonly ScalarExpr[] => (argLists[n] ??= Array.from({ length: n }, (_, i) => arg(i)))

const opCost = (prim: string): number =>
  TRANSCENDENTAL.has(prim) ? 8 : prim === 'div' || prim === 'sqrt' || prim === 'rsqrt' || prim === 'rem' || prim === 'integer_pow' ? 2 : 1

/** A value computed by a loop kernel: stored elementwise, or a reduction (of a contraction). */
export type Root =
  | { readonly kind: 'store'; readonly v: Var }
  | { readonly kind: 'reduce'; readonly eqn: Eqn }
  | { readonly kind: 'dotf'; readonly eqn: Eqn }

export type PlanStep =
  | {
      readonly kind: 'loop'
      readonly extents: readonly number[]
      readonly nReduced: number
      readonly roots: Root[]
      /** stored after the kernel's reductions, reading their results */
      readonly epilogue: Root[]
    }
  | { readonly kind: 'dot'; readonly eqn: Eqn }
  | { readonly kind: 'eqn'; readonly eqn: Eqn }

export interface Plan {
  readonly jaxpr: Jaxpr
  readonly steps: readonly PlanStep[]
  readonly M: ReadonlySet<Var>
  readonly ctx: PlanCtx
  /** each root expanded alone, and its node (a kernel of one root reuses it) */
  readonly probes: ReadonlyMap<Root, { readonly reg: Region; readonly node: number }>
}

/** The value a root stores at every point of its domain (a contraction without contracting
 *  axes is an elementwise product), or null for reductions. */
export const storedVar = (r: Root): Var | null =>
  r.kind === 'store' ? r.v : r.kind === 'dotf' && dotGeometry(r.eqn).nContract === 0 ? r.eqn.outVars[0] : null

const rootDomain = (r: Root): { extents: readonly number[]; nReduced: number } => {
  if (r.kind === 'store') return { extents: r.v.aval.shape, nReduced: 0 }
  if (r.kind === 'reduce') return reduceDomain(r.eqn)
  const g = dotGeometry(r.eqn)
  return { extents: g.extents, nReduced: g.nContract }
}

/** Expand one root into `reg` (a region of its kernel); returns the node(s) it needs. */
export const expandRoot = (reg: Region, r: Root): number => {
  if (r.kind === 'store') return reg.define(r.v, identityMap(r.v.aval.shape.length))
  if (r.kind === 'reduce') return reg.value(r.eqn.inputs[0], reduceDomain(r.eqn).map)
  const { lhs, rhs } = dotMaps(r.eqn)
  const [x, y] = r.eqn.inputs
  const g = dotGeometry(r.eqn)
  const a = reg.value(x, lhs)
  const b = reg.value(y, rhs)
  const prod = reg.node({ k: 'op', op: 'mul', args: [a, b], dtype: g.acc, attr: 0 })
  if (g.nContract > 0) return prod
  // no contraction: the impl's 0 + x·y (so −0 products become 0, as its accumulator does),
  // rounded to the result dtype here: later ops of the same kernel read this node, and must
  // see the float32 value the impl stores, not the double product.
  const sum = reg.node({ k: 'op', op: 'add', args: [reg.node({ k: 'lit', value: 0, dtype: g.acc }), prod], dtype: g.acc, attr: 0 })
  const out = r.eqn.outVars[0].aval.dtype
  return out === g.acc ? sum : reg.node({ k: 'op', op: 'cast', args: [sum], dtype: out, attr: 0 })
}

/**
 * Longest chain of fused equations in one kernel. Equations are put in bands by depth (the
 * longest chain of equations from the inputs to them, over MAX_FUSED_DEPTH); a value read
 * across a band boundary is materialized and a kernel never spans two bands. So an unrolled
 * loop of thousands of steps becomes a series of kernels of bounded size: a generated function
 * with 10⁵ locals would need a stack frame of about a megabyte, a WebAssembly function has at
 * most 50,000 locals, and kernels of repeated steps share one compiled function. Storing a value
 * and loading it back is exact: the kernels round every value to its dtype as they compute it
 * (float32 'relaxed' mode rounds where values are materialized, so it rounds there too).
 * Programs less than MAX_FUSED_DEPTH deep are all in band 0. The band is also what keeps
 * planning linear: each root's region is expanded on its own (to see what it reads), and in a
 * chain whose values are read by many roots (an unrolled simulation's residuals) the regions
 * overlap — by at most a band's depth. 64 was measured on the README's spring under
 * jit(grad) at 2,000 steps: 512 expanded 1.8 million nodes, 64 expands 0.28 million.
 */
export const MAX_FUSED_DEPTH = 64

const bandValues = (jaxpr: Jaxpr, M: Set<Var>): Map<Var, number> => {
  const depth = new Map<Var, number>()
  const band = new Map<Var, number>()
  const eqns = jaxpr.eqns
  for (let k = 0; k < eqns.length; k++) {
    const { inputs, outVars } = eqns[k]
    let d = 0
    for (let i = 0; i < inputs.length; i++) {
      const a = inputs[i]
      if (a._tag === 'Var') d = Math.max(d, (depth.get(a) ?? 0) + 1)
    }
    const b = Math.floor(d / MAX_FUSED_DEPTH)
    for (let i = 0; i < outVars.length; i++) (depth.set(outVars[i], d), band.set(outVars[i], b))
    for (let i = 0; i < inputs.length; i++) {
      const a = inputs[i]
      if (a._tag === 'Var' && (band.get(a) ?? 0) !== b) M.add(a)
    }
  }
  return band
}

/** Add the variables among `xs` to `set`. */
const addVars = (set: Set<Var>, xs: readonly Atom[]): void => {
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i]
    if (a._tag === 'Var') set.add(a)
  }
}

/** The value whose band places a root. */
const rootVar = (r: Root): Var => (r.kind === 'store' ? r.v : r.eqn.outVars[0])

const sameExtents = (a: readonly number[], b: readonly number[]): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Work done by the planner since the process started (for benchmarks: rounds of growing M,
 *  root placements by `schedule`, root regions expanded, of which in the first round of each
 *  plan — one pass), and an optional observer of every plan made. */
export const planStats: { plans: number; rounds: number; placements: number; expansions: number; firstExpansions: number; onPlan: ((p: Plan) => void) | null } =
  { plans: 0, rounds: 0, placements: 0, expansions: 0, firstExpansions: 0, onPlan: null }

export const planJaxpr = (jaxpr: Jaxpr): Plan => {
  planStats.plans++
  const producer = new Map<Var, Eqn>()
  const cls = new Map<Eqn, Cls>()
  const lowered = new Map<Eqn, ScalarExpr>()
  // (every equation passes these loops in the cold code of a first call: indexed loops, since a
  // for-of allocates an iterator result per element, and no callback made per equation)
  const eqns = jaxpr.eqns
  for (let k = 0; k < eqns.length; k++) {
    const e = eqns[k]
    cls.set(e, classify(e, lowered))
    for (let i = 0; i < e.outVars.length; i++) producer.set(e.outVars[i], e)
  }
  const M = new Set<Var>(jaxpr.inVars)
  for (let k = 0; k < eqns.length; k++) {
    const e = eqns[k]
    const c = cls.get(e) as Cls
    if (c === 'reduce' || c === 'dotf' || c === 'dot' || c === 'ctrl' || c === 'opaque') addVars(M, e.outVars)
    if (c === 'ctrl' || c === 'opaque' || c === 'dot') addVars(M, e.inputs)
  }
  addVars(M, jaxpr.outs)
  const band = bandValues(jaxpr, M)

  // cost(v): the work to recompute v from materialized values, operands counted once per use
  // (an explicit stack: a chain of 10⁵ equations is 10⁵ deep)
  let costMemo = new Map<Var, number>()
  const costOf = (v: Var): number | undefined => (M.has(v) || !producer.has(v) ? 0 : costMemo.get(v))
  const cost = (v: Var): number => {
    const stack = [v]
    while (stack.length > 0) {
      const u = stack[stack.length - 1]
      if (costOf(u) !== undefined) {
        stack.pop()
        continue
      }
      const e = producer.get(u) as Eqn
      let c = cls.get(e) === 'ew' ? opCost(e.prim) : 0
      let ready = true
      for (const a of e.inputs) {
        if (a._tag !== 'Var') continue
        const ca = costOf(a)
        if (ca === undefined) {
          ready = false
          stack.push(a)
        } else c += ca
      }
      if (ready) {
        costMemo.set(u, c)
        stack.pop()
      }
    }
    return costOf(v) as number
  }
  const ctx: PlanCtx = { producer, cls, M, cost, band, lowered }
  // (made when a second round is needed: most programs are planned in one)
  let consumers: Map<Var, Eqn[]> | null = null
  const consumersOf = (): Map<Var, Eqn[]> => {
    if (consumers !== null) return consumers
    consumers = new Map()
    for (const e of jaxpr.eqns) {
      for (const a of e.inputs) {
        if (a._tag !== 'Var') continue
        const es = consumers.get(a)
        if (es === undefined) consumers.set(a, [e])
        else if (es[es.length - 1] !== e) es.push(e)
      }
    }
    return consumers
  }
  // each root's region expanded alone, kept across rounds while still valid (see `stale`)
  const regions = new Map<Eqn, Probe>()

  for (let round = 0; ; round++) {
    planStats.rounds++
    costMemo = new Map()
    const { steps, probes } = schedule(jaxpr, ctx, regions)
    if (round === 0) planStats.firstExpansions += regions.size
    const grow = new Set<Var>()
    const seen = new Map<Var, Set<string>>()
    // each touched value's keys, as `<step><sweep>/<map key>`, into `seen` (callbacks made once
    // per round, reading the root being visited from `where` and `into`)
    let where = ''
    let into = new Set<string>()
    const growBy = (v: Var): void => void grow.add(v)
    const addKey = (k: string): void => void into.add(where + k)
    const touch = (keys: ReadonlySet<string>, v: Var): void => {
      if (M.has(v)) return
      let all = seen.get(v)
      if (all === undefined) seen.set(v, (all = new Set()))
      into = all
      keys.forEach(addKey)
    }
    for (let si = 0; si < steps.length; si++) {
      const s = steps[si]
      if (s.kind !== 'loop') continue
      for (let i = 0; i < s.roots.length + s.epilogue.length; i++) {
        const r = i < s.roots.length ? s.roots[i] : s.epilogue[i - s.roots.length]
        const reg = (probes.get(r) as { reg: Region }).reg
        // the epilogue is a second sweep: a value both sweeps need is computed twice
        where = `${si}${s.epilogue.includes(r) ? 'e' : ''}/`
        reg.cuts.forEach(growBy)
        reg.touched.forEach(touch)
      }
    }
    // expensive values computed in several kernels (or sweeps): materialize the outermost
    // ones (the others are then inside them, and computed once already)
    const shared = [...seen].filter(([v, keys]) => keys.size > 1 && cost(v) > CHEAP && !shiftedInOneKernel(keys, cost(v))).map(([v]) => v)
    const inner = new Set<Var>()
    const pending = [...shared]
    while (pending.length > 0) {
      const e = producer.get(pending.pop() as Var)
      if (e === undefined) continue
      for (const a of e.inputs) if (a._tag === 'Var' && !M.has(a) && !inner.has(a)) (inner.add(a), pending.push(a))
    }
    // (after 50 rounds only what must be materialized is, so the plan returned is always the
    // schedule of the final M)
    if (round < 50) shared.filter((v) => !inner.has(v)).forEach((v) => grow.add(v))
    const before = M.size
    if ([...grow].some((v) => !M.has(v))) for (const e of stale(grow, M, consumersOf())) regions.delete(e)
    grow.forEach((v) => M.add(v))
    if (M.size === before) {
      const plan: Plan = { jaxpr, steps, M, ctx, probes }
      planStats.onPlan?.(plan)
      return plan
    }
  }
}

/**
 * The equations whose root region changes when the values `grow` join M. A region is a walk
 * backwards from its root through values not in M, stopping at values in M (loads); so are
 * the costs it asks for (`cost` stops at M as well). Materializing w therefore changes exactly
 * the regions whose walk reached w: those of the roots w reaches forwards through values not
 * in M. Every other region is the same expansion over the same M, and is reused as it is: the
 * rounds of the planner then expand only around what they materialized, not the whole jaxpr.
 */
const stale = (grow: ReadonlySet<Var>, M: ReadonlySet<Var>, consumers: ReadonlyMap<Var, readonly Eqn[]>): Set<Eqn> => {
  const out = new Set<Eqn>()
  const stack = [...grow].filter((v) => !M.has(v))
  while (stack.length > 0) {
    for (const e of consumers.get(stack.pop() as Var) ?? []) {
      if (out.has(e)) continue
      out.add(e)
      for (const v of e.outVars) if (!M.has(v)) stack.push(v)
    }
  }
  return out
}

/** Work (units of one add) a kernel may repeat to compute a value at several shifted maps. */
export const SHIFT_RECOMPUTE_MAX = 16

/**
 * Whether the uses of a value (keys `kernel/map`) are all in one kernel, at maps that differ
 * only by offsets (a stencil: x[i] and x[i + 1]), with little enough work repeated. Recomputing
 * it at each shift costs `cost · (shifts − 1)` operations per point; storing it costs a pass
 * over memory and another kernel, and keeps the shifted reads from fusing (W4: the
 * Hessian-vector product of Rosenbrock becomes one loop).
 */
const shiftedInOneKernel = (keys: ReadonlySet<string>, cost: number): boolean => {
  if (cost * (keys.size - 1) > SHIFT_RECOMPUTE_MAX) return false
  let kernel: string | null = null
  let stride: string | null = null
  for (const key of keys) {
    const slash = key.indexOf('/')
    const k = key.slice(0, slash)
    if (kernel !== null && k !== kernel) return false
    kernel = k
    const st = withoutOffsets(key.slice(slash + 1))
    if (stride !== null && st !== stride) return false
    stride = st
  }
  return true
}

/** A map key (indexmap.ts: `c<off>:<strides>;…` or `f<off>:<strides>`) without its offsets. */
const withoutOffsets = (mapKey: string): string => mapKey.replace(/(^[cf]|;)-?\d+:/g, '$1')

/** A root and its region expanded alone. */
interface Probe {
  readonly root: Root
  readonly reg: Region
  readonly node: number
}

/** Group roots into kernels, in equation order (see the module comment); also returns each
 *  root's region expanded alone (what it reads, touches and asks to cut). */
const schedule = (jaxpr: Jaxpr, ctx: PlanCtx, regions: Map<Eqn, Probe>): { steps: PlanStep[]; probes: Map<Root, { reg: Region; node: number }> } => {
  const steps: PlanStep[] = []
  const probes = new Map<Root, { reg: Region; node: number }>()
  const reads: Set<Var>[] = []
  // the depth band of each step's kernel (kernels never span two bands)
  const bands: number[] = []
  const stepOf = new Map<Var, number>()
  const storedBy = new Map<Var, number>()
  const eqns = jaxpr.eqns
  for (let k = 0; k < eqns.length; k++) {
    const e = eqns[k]
    const c = ctx.cls.get(e) as Cls
    const kept = regions.get(e)
    let root: Root | null = kept?.root ?? null
    if (root !== null) {
      // (a kept region is of the same root: roots only appear as M grows)
    } else if (c === 'reduce') root = { kind: 'reduce', eqn: e }
    else if (c === 'dotf') root = { kind: 'dotf', eqn: e }
    else if ((c === 'ew' || c === 'struct' || c === 'pick') && ctx.M.has(e.outVars[0])) root = { kind: 'store', v: e.outVars[0] }
    if (root === null) {
      if (c === 'dot' || c === 'ctrl' || c === 'opaque') {
        steps.push(c === 'dot' ? { kind: 'dot', eqn: e } : { kind: 'eqn', eqn: e })
        reads.push(new Set(e.inputs.filter((a): a is Var => a._tag === 'Var')))
        bands.push(-1)
        e.outVars.forEach((v) => stepOf.set(v, steps.length - 1))
      }
      continue
    }
    const { extents, nReduced } = rootDomain(root)
    const idKey = identityKey(extents.length)
    const stored = storedVar(root)
    planStats.placements++
    // what the root reads, found by expanding it alone (or kept from the last round)
    let found = kept
    if (found === undefined) {
      planStats.expansions++
      const reg = new Region(ctx, extents, idKey)
      found = { root, reg, node: expandRoot(reg, root) }
      regions.set(e, found)
    }
    const probe = found.reg
    probes.set(root, { reg: probe, node: found.node })
    const band = ctx.band.get(rootVar(root)) ?? 0
    let target = -1
    let epilogue = false
    for (let si = steps.length - 1; si >= 0; si--) {
      const s = steps[si]
      const fits = bands[si] === band
      if (fits && s.kind === 'loop' && s.epilogue.length === 0 && sameExtents(s.extents, extents) && (s.nReduced === nReduced || nReduced === 0 || s.roots.every((r) => storedVar(r) !== null))) {
        let ok = true
        for (let i = 0; ok && i < probe.reads.length; i++) {
          const { v, key } = probe.reads[i]
          const at = stepOf.get(v)
          ok = at === undefined || at < si || (at === si && storedBy.get(v) === si && key === idKey)
        }
        if (ok) target = si
      }
      // a stored value that reads the results of this kernel's reductions at the kept
      // coordinates (and nothing else the kernel makes) becomes its epilogue
      // (a module function, not closures here: a variable of this loop that a closure
      // captures is allocated anew for every step looked at)
      if (target < 0 && fits && stored !== null && s.kind === 'loop' && s.nReduced > 0 && sameExtents(s.extents, extents) && readsOnlyReductions(s, si, probe.reads, stepOf, storedBy, idKey)) {
        target = si
        epilogue = true
        break
      }
      // a root cannot move before a step that produces something it reads
      if (readsFrom(probe.reads, stepOf, si)) break
    }
    if (target < 0) {
      steps.push({ kind: 'loop', extents, nReduced, roots: [], epilogue: [] })
      reads.push(new Set())
      bands.push(band)
      target = steps.length - 1
    }
    const into = reads[target]
    for (let i = 0; i < probe.reads.length; i++) into.add(probe.reads[i].v)
    const s = steps[target] as Extract<PlanStep, { kind: 'loop' }>
    if (nReduced > 0 && s.nReduced === 0) steps[target] = { ...s, nReduced }
    const t = steps[target] as Extract<PlanStep, { kind: 'loop' }>
    ;(epilogue ? t.epilogue : t.roots).push(root)
    for (let i = 0; i < e.outVars.length; i++) {
      const v = e.outVars[i]
      stepOf.set(v, target)
      if (stored !== null && !epilogue) storedBy.set(v, target)
    }
  }
  return { steps: sink(steps, reads, bands), probes }
}

/** Whether a stored root reading `reads` may be the epilogue of loop step `si` (of the root's
 *  extents): it reads the step's reductions at the kept coordinates, or values the step stores
 *  at the identity (they are complete at the same point when the epilogue runs), and nothing
 *  else the step makes. */
const readsOnlyReductions = (
  s: LoopStep, si: number, reads: readonly { readonly v: Var; readonly key: string }[],
  stepOf: ReadonlyMap<Var, number>, storedBy: ReadonlyMap<Var, number>, idKey: string,
): boolean => {
  const kept = mapKey(selectMap(s.extents.length, [...Array(s.extents.length - s.nReduced).keys()]))
  const reductionOut = (v: Var) => s.roots.some((r) => storedVar(r) === null && r.kind !== 'store' && r.eqn.outVars.includes(v))
  return reads.some(({ v }) => stepOf.get(v) === si) && reads.every(({ v, key }) => {
    const at = stepOf.get(v)
    if (at === undefined || at < si) return true
    return at === si && ((key === kept && reductionOut(v)) || (storedBy.get(v) === si && key === idKey))
  })
}

/** Whether any of `reads` is produced by step `si`. */
const readsFrom = (reads: readonly { readonly v: Var }[], stepOf: ReadonlyMap<Var, number>, si: number): boolean => {
  for (let i = 0; i < reads.length; i++) if (stepOf.get(reads[i].v) === si) return true
  return false
}

/** The key of the identity map of a loop nest of rank n (one string per rank). */
const identityKeys: string[] = []
const identityKey = (n: number): string => (identityKeys[n] ??= mapKey(identityMap(n)))

type LoopStep = Extract<PlanStep, { kind: 'loop' }>
const written = (s: PlanStep): Var[] =>
  s.kind === 'loop' ? [...s.roots, ...s.epilogue].flatMap((r) => (r.kind === 'store' ? [r.v] : r.eqn.outVars)) : [...s.eqn.outVars]
const compatible = (a: LoopStep, b: LoopStep): boolean =>
  sameExtents(a.extents, b.extents) && a.epilogue.length === 0 && b.epilogue.length === 0 &&
  (a.nReduced === b.nReduced || a.roots.every((r) => storedVar(r) !== null) || b.roots.every((r) => storedVar(r) !== null))

/**
 * Merge a kernel into a later one of the same domain when no step in between (nor the later
 * kernel) reads what it computes: e.g. a loop counter computed before a reduction joins the
 * kernel after it. One call fewer per run (and per scan step).
 */
const sink = (steps: PlanStep[], reads: Set<Var>[], bands: readonly number[]): PlanStep[] => {
  const alive = steps.map(() => true)
  for (let a = steps.length - 1; a >= 0; a--) {
    const sa = steps[a]
    if (sa.kind !== 'loop') continue
    const outs = written(sa)
    for (let b = a + 1; b < steps.length; b++) {
      if (!alive[b]) continue
      if (outs.some((v) => reads[b].has(v))) break
      const sb = steps[b]
      if (sb.kind === 'loop' && compatible(sa, sb) && bands[a] === bands[b]) {
        steps[b] = { ...sb, nReduced: Math.max(sa.nReduced, sb.nReduced), roots: [...sa.roots, ...sb.roots] }
        reads[b] = new Set([...reads[a], ...reads[b]])
        alive[a] = false
        break
      }
    }
  }
  return steps.filter((_, i) => alive[i])
}
