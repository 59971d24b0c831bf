/**
 * lax: structured control flow — cond, switch, whileLoop, foriLoop, scan. Each stages its
 * functions once as jaxprs inside a higher-order primitive, so a 10,000-step loop is one
 * equation, not 10,000, and every transformation applies to it.
 */
import { ArgumentTypeError, DTypeError, ShapeError, TreeMismatchError, ValueError } from '../core/errors'
import { checkOptionKeys, checkOptions, opt, requireSync, show } from '../core/validate'
import { isTracerLike } from '../primitives/util'
import type { Tracer } from '../core/tracer'
import { type ShapedArray, avalStr, shaped } from '../ir/aval'
import { bind } from '../core/tracer'
import type { Jaxpr } from '../ir/jaxpr'
import type { CheckpointPolicy as Policy } from '../ir/params'
import { unifyBranches } from '../higher/cond'
import { traceHoisted } from '../higher/util'
import { add } from '../primitives/binary'
import { convertElementType } from '../primitives/shape'
import { scalar } from '../core/array'
import { checkInt32, clampInt32 } from '../primitives/util'
import { flattenArrays } from '../transforms/flat'
import { type TreeDef, leafPaths, treedefEq, treedefStr, unflatten } from '../tree/treedef'
import type { AnyFn, ArgsLike, Arrays } from '../tree/types'
import { type ProgressOption, chunkedScan, counter0, progressOf, tick } from './progress'

const progressOpt = { ok: (x: unknown) => typeof x === 'function' || (typeof x === 'object' && x !== null), expected: 'a function (step, total) => void or { report, every? }' }

/** Trace `f` on flat avals; returns the jaxpr (consts hoisted), consts and the output tree. */
const stage = (f: (...xs: Tracer[]) => unknown, inAvals: readonly ShapedArray[], where: string) => {
  let outTree: TreeDef | undefined
  const r = traceHoisted((...xs) => {
    const [leaves, def] = flattenArrays(f(...xs), where)
    outTree = def
    return leaves
  }, inAvals)
  return { ...r, outTree: outTree as TreeDef }
}

/** Carries are made strongly typed, so a body adding an array to a JS-number init keeps its type. */
const strong = (x: Tracer): Tracer => (x.weakType ? convertElementType(x, x.dtype, false) : x)

const checkCarry = (where: string, init: unknown, initTree: TreeDef, outTree: TreeDef, inAvals: readonly ShapedArray[], outAvals: readonly ShapedArray[]): void => {
  if (!treedefEq(initTree, outTree)) {
    throw new TreeMismatchError(`${where}: the body must return the carry's structure ${treedefStr(initTree)}, got ${treedefStr(outTree)}`)
  }
  inAvals.forEach((a, i) => {
    const b = outAvals[i]
    if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) {
      throw new ShapeError(`${where}: the carry leaf ${leafPaths(init)[i]} enters the body as ${avalStr(a)} but comes out as ${avalStr(b)}; a carry's shape and dtype must stay fixed (cast or reshape inside the body)`)
    }
  })
}

/** A scalar bool/int32 as int32; a JS integer beyond int32 is clamped into it (every user
 *  clamps or compares with 0 next, so the result is the same); a fractional one is an error. */
const toIndex = (x: Tracer | number | boolean, where: string): Tracer => {
  if (typeof x !== 'number' && typeof x !== 'boolean' && !isTracerLike(x)) {
    throw new ArgumentTypeError(`${where}: the predicate/index must be a JS boolean or integer, or a scalar bool/int32 Array; got ${show(x)}`)
  }
  const t = typeof x === 'number' ? scalar(clampInt32(x, where), 'int32') : typeof x === 'boolean' ? scalar(Number(x), 'int32') : x
  if (t.ndim !== 0) throw new ShapeError(`${where}: the predicate/index must be a scalar, got ${avalStr(t.aval)}`)
  if (t.dtype === 'float32' || t.dtype === 'float64') throw new DTypeError(`${where}: the predicate/index must be bool or int32, got ${avalStr(t.aval)}`)
  return t.dtype === 'int32' ? t : convertElementType(t, 'int32')
}

/** `switch(index, branches, ...operands)`: `branches[clamp(index, 0, n − 1)](...operands)`; every
 *  branch returns the same structure, and the result has it with Array leaves. */
export const switch_ = <F extends AnyFn>(index: Tracer | number, branches: readonly F[], ...operands: ArgsLike<Parameters<F>>): Arrays<ReturnType<F>> => {
  if (!Array.isArray(branches)) throw new ArgumentTypeError(`lax.switch: branches must be a list of functions, got ${show(branches)}`)
  if (branches.length === 0) throw new ValueError('lax.switch: needs at least one branch')
  branches.forEach((b, i) => {
    if (typeof b !== 'function') throw new ArgumentTypeError(`lax.cond/switch: branch ${i} must be a function, got ${show(b)}`)
  })
  const idx = toIndex(index, 'lax.switch')
  const [ops, opsTree] = flattenArrays(operands, 'lax.switch operands')
  const avals = ops.map((o) => o.aval)
  const staged = branches.map((b, i) => stage((...xs) => b(...unflatten<unknown[]>(opsTree, xs)), avals, `lax.switch branch ${i}`))
  staged.forEach((s, i) => {
    if (!treedefEq(s.outTree, staged[0].outTree)) {
      throw new TreeMismatchError(`lax.cond/switch: branch ${i} returns ${treedefStr(s.outTree)} but branch 0 returns ${treedefStr(staged[0].outTree)}`)
    }
    const a = s.jaxpr.outAvals
    const b = staged[0].jaxpr.outAvals
    a.forEach((x, k) => {
      if (x.dtype !== b[k].dtype || x.shape.join() !== b[k].shape.join()) {
        throw new ShapeError(`lax.cond/switch: output ${k} of branch ${i} is ${avalStr(x)} but of branch 0 is ${avalStr(b[k])}; all branches must return the same shapes and dtypes`)
      }
    })
  })
  // Weak types may differ between branches; outputs are strong where any branch's is.
  const { branches: js, consts } = unifyBranches(staged.map((s) => {
    const weak = staged.map((t) => t.jaxpr.outAvals.map((a) => a.weakType)).reduce((x, y) => x.map((w, k) => w && y[k]))
    if (s.jaxpr.outAvals.every((a, k) => a.weakType === weak[k])) return s
    return traceHoisted((...xs) => bind('jit', xs, { jaxpr: s.jaxpr, numConsts: 0, name: 'branch' }).map((o, k) => (o.weakType && !weak[k] ? strong(o) : o)), s.jaxpr.inAvals)
  }).map((s) => ({ jaxpr: s.jaxpr, consts: s.consts })))
  const outs = bind('cond', [idx, ...consts, ...ops], { branches: js })
  return unflatten(staged[0].outTree, outs)
}
export { switch_ as switch }

/**
 * `cond(pred, trueFn, falseFn, ...operands)`: both branches traced once; `pred` a scalar bool,
 * or a number / int32 scalar that counts as true when it is not 0 (so −5 is true, as in JAX).
 * Both branches take the operands and return the same structure (checked when traced); the
 * result has `trueFn`'s, with Array leaves.
 */
export const cond = <F extends AnyFn>(
  pred: Tracer | boolean | number,
  trueFn: F,
  falseFn: (...ops: Parameters<F>) => unknown,
  ...operands: ArgsLike<Parameters<F>>
): Arrays<ReturnType<F>> => {
  // as JAX: a number is `pred != 0` (no cast to int32 first: 2^32 and 0.5 are true)
  if (typeof pred === 'number') return switch_<AnyFn>(scalar(pred !== 0), [falseFn, trueFn], ...operands)
  const idx = toIndex(pred, 'lax.cond')
  const isTrue = idx === pred && idx.dtype === 'int32' ? bind('ne', [idx, scalar(0, 'int32')], {})[0] : idx
  return switch_<AnyFn>(isTrue, [falseFn, trueFn], ...operands)
}

/** Reverse mode's residual policy for a loop: `'store'` (default), `'recompute'`, `'sqrt'` or
 *  `{ binomial: snapshots }`; see docs/simulation-sensitivity.md. */
export type CheckpointPolicy = Policy

const checkpointOpt = {
  ok: (x: unknown): boolean =>
    x === 'store' || x === 'recompute' || x === 'sqrt' ||
    (typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).join() === 'binomial' &&
      Number.isInteger((x as { binomial: unknown }).binomial) && (x as { binomial: number }).binomial >= 1),
  expected: "'store', 'recompute', 'sqrt' or { binomial: snapshots } with snapshots a positive integer",
}

/** The policy as a param: absent when it is the default. */
const policyParam = (c: CheckpointPolicy | undefined): { checkpoint?: CheckpointPolicy } =>
  c === undefined || c === 'store' ? {} : { checkpoint: typeof c === 'object' ? { binomial: c.binomial } : c }

/** The progress option of every loop (src/lax/progress.ts). */
export interface LoopOptions {
  /** Report the steps done to a host function (src/lax/progress.ts). */
  readonly progress?: ProgressOption
}

export interface WhileOptions extends LoopOptions {
  /** A bound on the number of steps: makes the loop reverse-differentiable; a loop that needs
   *  more steps at run time throws MaxStepsExceededError. */
  readonly maxSteps?: number
  /** Reverse mode's residual policy (needs `maxSteps`); default `'store'`. */
  readonly checkpoint?: CheckpointPolicy
}

/**
 * `whileLoop(condFn, bodyFn, init, { maxSteps?, checkpoint?, progress? })`: while condFn(carry),
 * carry = bodyFn(carry). Forward-differentiable; with `maxSteps`, reverse-differentiable as well.
 */
export const whileLoop = <C>(condFn: (carry: C) => Tracer | boolean, bodyFn: (carry: C) => C, init: C, opts: WhileOptions = {}): C => {
  const spec = { maxSteps: opt.nonNegInt, checkpoint: checkpointOpt, progress: progressOpt }
  checkOptions(opts, spec, 'lax.whileLoop')
  checkOptionKeys(opts, Object.keys(spec), 'lax.whileLoop')
  if (opts.checkpoint !== undefined && opts.maxSteps === undefined) {
    throw new ValueError('lax.whileLoop: a checkpoint policy applies to reverse mode, which needs { maxSteps } as well')
  }
  const prog = progressOf(opts.progress, null, 'lax.whileLoop')
  if (prog !== null) {
    // the step counter rides in the carry
    const { progress: _, ...rest } = opts
    const out = whileLoop(
      (c: [Tracer, C]) => condFn(c[1]),
      (c: [Tracer, C]): [Tracer, C] => {
        const next = bodyFn(c[1])
        return [tick(prog, c[0], null), next]
      },
      [counter0(), init] as [Tracer, C],
      rest,
    )
    return out[1]
  }
  const [c0, initTree] = flattenArrays(init, 'lax.whileLoop init')
  const carry = c0.map(strong)
  const avals = carry.map((c) => c.aval)
  const c = stage((...xs) => condFn(unflatten<C>(initTree, xs)) as unknown, avals, 'lax.whileLoop condition')
  const ca = c.jaxpr.outAvals
  if (ca.length !== 1 || ca[0].dtype !== 'bool' || ca[0].shape.length !== 0) {
    throw new DTypeError(`lax.whileLoop: the condition must return a scalar bool, got (${ca.map(avalStr).join(', ')})`)
  }
  const b = stage((...xs) => bodyFn(unflatten<C>(initTree, xs)) as unknown, avals, 'lax.whileLoop body')
  checkCarry('lax.whileLoop', init, initTree, b.outTree, avals, b.jaxpr.outAvals)
  const body = fixWeak(b, avals)
  const outs = bind('while', [...c.consts, ...body.consts, ...carry], {
    condJaxpr: c.jaxpr,
    bodyJaxpr: body.jaxpr,
    condNumConsts: c.consts.length,
    bodyNumConsts: body.consts.length,
    ...(opts.maxSteps === undefined ? {} : { maxSteps: opts.maxSteps }),
    ...policyParam(opts.checkpoint),
  })
  return unflatten<C>(initTree, outs)
}

/** Re-stage a body so its carry outputs have exactly the carry's avals (weak types included). */
const fixWeak = (b: { jaxpr: Jaxpr; consts: Tracer[] }, carry: readonly ShapedArray[]) => {
  const outs = b.jaxpr.outAvals
  if (carry.every((a, i) => a.weakType === outs[i].weakType)) return b
  const r = traceHoisted((...xs) => {
    const o = bind('jit', xs, { jaxpr: b.jaxpr, numConsts: 0, name: 'body' })
    return o.map((v, i) => (i < carry.length && v.weakType !== carry[i].weakType ? convertElementType(v, v.dtype, carry[i].weakType) : v))
  }, b.jaxpr.inAvals)
  return { jaxpr: r.jaxpr, consts: [...r.consts, ...b.consts] }
}

export interface ScanOptions {
  /** Needed when `xs` has no leaves. */
  readonly length?: number
  readonly reverse?: boolean
  /** Report the steps done to a host function (src/lax/progress.ts). */
  readonly progress?: ProgressOption
  /** Reverse mode's residual policy; default `'store'`. No effect on evaluation, jvp or vmap. */
  readonly checkpoint?: CheckpointPolicy
}

/**
 * `scan(f, init, xs, { length, reverse })`: `f(carry, x) => [carry, y]` over the leading axis
 * of `xs`; returns `[carry, ys]` with the ys stacked. Forward- and reverse-differentiable.
 */
export const scan = <C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs: X, opts: ScanOptions = {}): [C, Y] => {
  const spec = { length: opt.nonNegInt, reverse: opt.boolean, checkpoint: checkpointOpt, progress: progressOpt }
  checkOptions(opts, spec, 'lax.scan')
  checkOptionKeys(opts, Object.keys(spec), 'lax.scan')
  if (opts.progress !== undefined) {
    const n = opts.length ?? flattenArrays(xs, 'lax.scan xs')[0][0]?.shape[0]
    if (n === undefined) throw new ValueError('lax.scan: xs has no arrays, so pass { length } to say how many steps to take')
    const prog = progressOf(opts.progress, n, 'lax.scan')
    if (prog !== null) return chunkedScan(scan, prog, f, init, xs, n, opts.reverse === true, opts.checkpoint)
  }
  const [c0, initTree] = flattenArrays(init, 'lax.scan init')
  const carry = c0.map(strong)
  const [seq, xsTree] = flattenArrays(xs, 'lax.scan xs')
  const lengths = seq.map((x) => (x.ndim === 0 ? NaN : x.shape[0]))
  const length = opts.length ?? lengths[0]
  if (length === undefined) throw new ValueError('lax.scan: xs has no arrays, so pass { length } to say how many steps to take')
  if (!Number.isInteger(length) || length < 0) throw new ValueError(`lax.scan: length must be a non-negative integer, got ${length}`)
  lengths.forEach((n, i) => {
    if (n !== length) throw new ShapeError(`lax.scan: every xs leaf needs a leading axis of length ${length}; ${leafPaths(xs)[i]} has shape [${seq[i].shape.join(', ')}]`)
  })
  const cAvals = carry.map((c) => c.aval)
  const xAvals = seq.map((x) => shaped(x.shape.slice(1), x.dtype, x.weakType))
  let yTree: TreeDef | undefined
  let cTree: TreeDef | undefined
  const nK = carry.length
  const s = traceHoisted((...vs) => {
    const r = requireSync(f(unflatten<C>(initTree, vs.slice(0, nK)), unflatten<X>(xsTree, vs.slice(nK))), 'lax.scan')
    if (!Array.isArray(r) || r.length !== 2) throw new TypeError('lax.scan: f must return [carry, y]')
    const [cl, ct] = flattenArrays(r[0], 'lax.scan carry output')
    const [yl, yt] = flattenArrays(r[1], 'lax.scan y output')
    cTree = ct
    yTree = yt
    return [...cl, ...yl]
  }, [...cAvals, ...xAvals])
  checkCarry('lax.scan', init, initTree, cTree as TreeDef, cAvals, s.jaxpr.outAvals.slice(0, nK))
  const body = fixWeak(s, cAvals)
  const nc = body.consts.length
  const outs = bind('scan', [...body.consts, ...carry, ...seq], {
    jaxpr: body.jaxpr,
    numConsts: nc,
    numCarry: nK,
    length,
    reverse: opts.reverse === true,
    ...policyParam(opts.checkpoint),
  })
  return [unflatten<C>(initTree, outs.slice(0, nK)), unflatten<Y>(yTree as TreeDef, outs.slice(nK))]
}

export interface ForiOptions extends LoopOptions {
  /** Reverse mode's residual policy (static bounds); default `'store'`. */
  readonly checkpoint?: CheckpointPolicy
}

/**
 * `foriLoop(lower, upper, body, init, { checkpoint? })`: carry = body(i, carry) for i in
 * [lower, upper). With JS-number bounds it is a scan (reverse-differentiable); with traced
 * bounds, a while loop (forward-differentiable only).
 */
export const foriLoop = <C>(lower: number | Tracer, upper: number | Tracer, bodyFn: (i: Tracer, carry: C) => C, init: C, opts: ForiOptions = {}): C => {
  const spec = { checkpoint: checkpointOpt, progress: progressOpt }
  checkOptions(opts, spec, 'lax.foriLoop')
  checkOptionKeys(opts, Object.keys(spec), 'lax.foriLoop')
  const progressOption = opts.progress
  for (const [name, b] of [['lower', lower], ['upper', upper]] as const) {
    if (typeof b !== 'number' && !isTracerLike(b)) {
      throw new ArgumentTypeError(`lax.foriLoop: the ${name} bound must be a JS integer or a scalar int32 Array, got ${show(b)}`)
    }
  }
  if (typeof bodyFn !== 'function') throw new ArgumentTypeError(`lax.foriLoop: the body must be a function (i, carry) => carry, got ${show(bodyFn)}`)
  // Check the body's carry here, so errors name foriLoop and the carry's own leaf paths
  // (not those of the [i, carry] tuple of the scan or while loop underneath).
  const initTree = flattenArrays(init, 'lax.foriLoop init')[1]
  const body = (i: Tracer, c: C): C => {
    const out = bodyFn(i, c)
    const [outs, outTree] = flattenArrays(out, 'lax.foriLoop body output')
    checkCarry('lax.foriLoop', init, initTree, outTree, flattenArrays(c, 'lax.foriLoop carry')[0].map((x) => x.aval), outs.map((x) => x.aval))
    return out
  }
  if (typeof lower === 'number' && typeof upper === 'number') {
    // the counter i is int32: a bound outside its range would wrap
    checkInt32(lower, 'lax.foriLoop lower bound')
    checkInt32(upper, 'lax.foriLoop upper bound')
    const n = Math.max(0, upper - lower)
    const step = (c: [Tracer, C]): [[Tracer, C], null] => [[add(c[0], 1), body(c[0], c[1])], null]
    const [out] = scan(step, [scalar(lower, 'int32'), init] as [Tracer, C], null, { length: n, progress: progressOption, ...policyParam(opts.checkpoint) })
    return out[1]
  }
  const lo = typeof lower === 'number' ? scalar(checkInt32(lower, 'lax.foriLoop lower bound'), 'int32') : toIndex(lower, 'lax.foriLoop lower')
  const hi = typeof upper === 'number' ? scalar(checkInt32(upper, 'lax.foriLoop upper bound'), 'int32') : toIndex(upper, 'lax.foriLoop upper')
  const prog = progressOf(progressOption, 0, 'lax.foriLoop')
  const total = bind('max', [bind('sub', [hi, lo], {})[0], scalar(0, 'int32')], {})[0]
  const out = whileLoop(
    (c: [Tracer, Tracer, C]) => bind('lt', [c[0], c[1]], {})[0],
    (c: [Tracer, Tracer, C]) => {
      const next = body(c[0], c[2])
      // (a traced length: report every step unless told otherwise)
      if (prog !== null) tick({ ...prog, every: typeof progressOption === 'object' ? prog.every : 1 }, bind('sub', [c[0], lo], {})[0], total)
      return [add(c[0], 1), c[1], next] as [Tracer, Tracer, C]
    },
    [lo, hi, init] as [Tracer, Tracer, C],
  )
  return out[2]
}
