/**
 * Backend: eager evaluation through generated kernels.
 *
 * Elementwise primitives (those with a lowering) run one generated loop per op signature —
 * (primitive, the params that matter, operand dtypes, which operands are 0-d) — built from the
 * same op templates as the fused kernels, so eager and jit compute each element with one code
 * path. The loop takes the length as an argument: one kernel serves every shape. An op that a
 * jitted program would run as a WebAssembly kernel (float operands of one dtype, an op in the
 * wasm vocabulary, at least 256 elements) runs that same kernel eagerly, so a large float32
 * `sin` gives the same bits with and without jit.
 *
 * The shared impls call their scalar function through a closure per element (a megamorphic
 * call once several ops have run), so a generated loop is several times faster on large
 * arrays; on tiny arrays the signature lookup costs more than it saves, so below
 * `EAGER_MIN_SIZE` elements the impl runs (measured: docs/performance.md).
 *
 * A scan called eagerly runs its compiled program (a JS loop over a compiled body) when it is
 * long enough to repay compiling it.
 *
 * Where JavaScript may not be generated but WebAssembly may (the 'wasm-kernels' evaluator,
 * evaluator.ts), this hook is where jit's kernels run: the wasm maps above, and the wasm
 * reductions and matmuls of eagerwasm.ts; everything else runs its impl.
 */
import { ConcreteArray } from '../core/array'
import { Lru } from '../core/lru'
import { rulesOf } from '../core/rules'
import { type ShapedArray, sizeOf } from '../ir/aval'
import { type DType, type TypedArray, allocate } from '../ir/dtypes'
import { Jaxpr, Var, makeEqn } from '../ir/jaxpr'
import type { ParamsMap, PrimName } from '../ir/params'
import { cacheLimits } from './cachelimits'
import { HELPERS, TEMPLATED, emitOp } from './codegen/ops'
import { type KernelFn, compileKernel, float32Mode, stats, wasmKernelsEnabled } from './compile'
import { evaluator } from './evaluator'
import { wasmOnlyOp } from './eagerwasm'
import { checkDType, constant, ident } from './emit'
import type { Program } from './program'
import type { KNode, LoopKernel } from './kernel'
import { type ScalarExpr, arg } from './scalar'
import { wasmPlan } from './wasmlower'
import { releaseLargeArena } from './wasmengine'
import { wasmAvailable, wasmKernelFn } from './wasmrun'

/** Below this many elements an eager elementwise op runs its impl (see the module comment). */
export const EAGER_MIN_SIZE = 256
let minSize = EAGER_MIN_SIZE
/** Change the size threshold of eager kernels (tests use 0 to run every op through them). */
export const setEagerMinSize = (n: number): void => {
  minSize = n
}
/** A scan called eagerly is compiled when it runs at least this many steps (a while loop's
 *  trip count is unknown ahead: it runs its impl). */
export const EAGER_MIN_STEPS = 256

type EagerFn = (...args: (TypedArray | number)[]) => void
/** Eager loops by op signature (bounded: cachelimits.ts; integer_pow has one per exponent). */
export const eagerKernels = new Lru<string, EagerFn>(() => cacheLimits.eagerOps)

/** The loop `o0[i] = expr(a0[i] or a0[0], …)` for i < n, from a lowering's expression. */
const eagerSource = (expr: ScalarExpr, dtypes: readonly DType[], scalar: readonly boolean[]): string | null => {
  const pre: string[] = []
  const body: string[] = []
  const helpers = new Set<string>()
  let tmp = 0
  const emit = (x: ScalarExpr): { atom: string; dtype: DType } | null => {
    switch (x._tag) {
      case 'arg':
        return { atom: scalar[x.index] ? ident('p', x.index) : ident('a', x.index) + '[i]', dtype: dtypes[x.index] }
      case 'lit':
        return { atom: constant(x.value, checkDType(x.dtype)), dtype: x.dtype }
      case 'coord':
        return null
      case 'op': {
        if (!TEMPLATED.has(x.op)) return null
        const args = x.args.map(emit)
        if (args.some((a) => a === null)) return null
        const t = ident('t', tmp++)
        const atoms = args.map((a) => (a as { atom: string }).atom)
        // operands that are loads are bound to names first (templates may repeat them)
        const names = atoms.map((a, q) => {
          if (!a.endsWith('[i]')) return a
          const nm = `${t}_${q}`
          body.push(`const ${nm} = ${a};`)
          return nm
        })
        const e = emitOp(x.op, checkDType(x.dtype), names, args.map((a) => (a as { dtype: DType }).dtype), x.attr, t, true)
        e.helpers.forEach((h) => helpers.add(h))
        body.push(...e.pre, `const ${t} = ${e.expr};`)
        return { atom: t, dtype: x.dtype }
      }
    }
  }
  const r = emit(expr)
  if (r === null) return null
  dtypes.forEach((_, q) => scalar[q] && pre.push(`const ${ident('p', q)} = ${ident('a', q)}[0];`))
  const params = [...dtypes.map((_, q) => ident('a', q)), 'o0', 'n']
  return [
    '"use strict";',
    ...[...helpers].map((h) => HELPERS[h as keyof typeof HELPERS]),
    `return function (${params.join(', ')}) {`,
    ...pre,
    'for (let i = 0; i < n; i++) {',
    ...body,
    `o0[i] = ${r.atom};`,
    '}',
    '};',
  ].join('\n')
}

/** The params that change an elementwise op's code (the rest never do). */
const paramsKey = (prim: PrimName, params: unknown): string | null => {
  if (prim === 'integer_pow') {
    const y = (params as { y: unknown }).y
    return typeof y === 'number' && Number.isSafeInteger(y) ? `y${y}` : null
  }
  if (prim === 'convert_element_type') {
    const d = (params as { newDtype: unknown }).newDtype
    return typeof d === 'string' ? d : null
  }
  return ''
}

/**
 * The op as a one-loop kernel over n elements (0-d operands broadcast), for the WebAssembly
 * kernels; null when its lowering uses coordinates (iota).
 */
const opKernel = (expr: ScalarExpr, xs: readonly ConcreteArray[], scalar: readonly boolean[], out: DType, n: number): LoopKernel | null => {
  const nodes: KNode[] = []
  const go = (x: ScalarExpr): number | null => {
    if (x._tag === 'coord') return null
    if (x._tag === 'arg') nodes.push({ k: 'load', input: x.index, idx: { off: 0, st: [scalar[x.index] ? 0 : 1] }, dtype: xs[x.index].dtype, clamp: -1 })
    else if (x._tag === 'lit') nodes.push({ k: 'lit', value: x.value, dtype: x.dtype })
    else {
      const args: number[] = []
      for (const a of x.args) {
        const i = go(a)
        if (i === null) return null
        args.push(i)
      }
      nodes.push({ k: 'op', op: x.op, args, dtype: x.dtype, attr: x.attr })
    }
    return nodes.length - 1
  }
  const r = go(expr)
  if (r === null) return null
  return {
    kind: 'loop', f32: float32Mode(), domain: [n], nReduced: 0, inputs: xs.map((x) => x.dtype), outputs: [out], nodes,
    stores: [{ node: r, out: 0, idx: { off: 0, st: [1] } }], reductions: [], epilogue: [],
  }
}

/** The op's WebAssembly kernel at this size, when it has one (float operands and result of one
 *  dtype, an op in the wasm vocabulary): the same kernel a jitted map of this op would run. */
const wasmOp = (key: string, expr: () => ScalarExpr, xs: readonly ConcreteArray[], scalar: readonly boolean[], out: DType, n: number, jsKernels: boolean): KernelFn | null => {
  if (!wasmKernelsEnabled()) return null
  const k = `${key}|${n}|${jsKernels ? 'js' : 'nojs'}`
  let fn = eagerWasmOps.get(k)
  if (fn === undefined) {
    const kernel = opKernel(expr(), xs, scalar, out, n)
    const plan = kernel === null ? null : wasmPlan(kernel)
    fn = plan === null || kernel === null || !wasmAvailable() ? null : wasmKernelFn(plan, xs.length, jsKernels ? () => compileKernel(kernel).fn : noJsFallback)
    eagerWasmOps.set(k, fn)
  }
  return fn
}
/** Eager wasm kernels by op signature and size (one per size: bounded, cachelimits.ts). */
export const eagerWasmOps = new Lru<string, KernelFn | null>(() => cacheLimits.eagerOps)

/** Where no JS may be generated, a wasm call that cannot be staged has no JS kernel to run. */
class NoJsFallback extends Error {}
const noJsFallback = (): KernelFn => {
  throw new NoJsFallback('no generated-JS fallback here')
}

/** An elementwise op through a kernel: its WebAssembly kernel when it has one, else (when
 *  `jsKernels`: JavaScript may be generated) the generated JS loop; null: run the impl. */
const elementwise = (prim: PrimName, xs: readonly ConcreteArray[], params: unknown, jsKernels: boolean): ConcreteArray[] | null => {
  // the output has as many elements as the largest operand (0-d operands broadcast): small
  // ops leave at once, before any other work
  let n = 0
  for (const x of xs) n = Math.max(n, x.data.length)
  if (n < minSize || xs.length === 0) return null
  const rules = rulesOf(prim)
  const lower = rules.lower
  if (lower === undefined) return null
  const [out] = rules.abstractEval(xs.map((x) => x.aval), params as never)
  if (sizeOf(out.shape) !== n) return null
  const pk = paramsKey(prim, params)
  if (pk === null) return null
  const scalar = xs.map((x) => x.aval.shape.length === 0)
  const key = `${prim}|${pk}|${xs.map((x, q) => x.dtype + (scalar[q] ? 's' : 'v')).join(',')}|${out.dtype}`
  const lowered = () => lower(xs.map((_, q) => arg(q)), params as never, { ins: xs.map((x) => x.aval), out })
  const w = wasmOp(key, lowered, xs, scalar, out.dtype, n, jsKernels)
  if (w !== null) {
    const dst = allocate(out.dtype, n, out.shape)
    try {
      w(...xs.map((x) => x.data), dst)
    } catch (e) {
      if (e instanceof NoJsFallback) return null // the arena is full and no JS may be generated: the impl
      throw e
    } finally {
      releaseLargeArena()
    }
    return [new ConcreteArray(dst, out.shape, out.dtype, out.weakType)]
  }
  if (!jsKernels) return null
  let fn = eagerKernels.get(key)
  if (fn === undefined) {
    const expr = lowered()
    const src = eagerSource(expr, xs.map((x) => x.dtype), scalar)
    if (src === null) return null
    fn = new Function(src)() as EagerFn
    stats.kernelsCompiled++
    eagerKernels.set(key, fn)
  }
  const dst = allocate(out.dtype, n, out.shape)
  fn(...xs.map((x) => x.data), dst, n)
  return [new ConcreteArray(dst, out.shape, out.dtype, out.weakType)]
}

const oneEqnPrograms = new WeakMap<object, Program>()

/** A scan called eagerly: the program of the one-equation jaxpr (cached per params). */
const control = (prim: PrimName, xs: readonly ConcreteArray[], params: object, compile: (j: Jaxpr) => Program): ConcreteArray[] | null => {
  if ((params as ParamsMap['scan']).length < EAGER_MIN_STEPS) return null
  const outAvals: ShapedArray[] = rulesOf(prim).abstractEval(xs.map((x) => x.aval), params as never)
  let p = oneEqnPrograms.get(params)
  if (p === undefined) {
    const ins = xs.map((x) => new Var(x.aval))
    const outs = outAvals.map((a) => new Var(a))
    p = compile(new Jaxpr([], ins, [makeEqn(prim, ins, params as never, outs)], outs))
    oneEqnPrograms.set(params, p)
  }
  const ys = p.run(xs.map((x) => x.data))
  releaseLargeArena()
  return ys.map((d, i) => new ConcreteArray(d, outAvals[i].shape, outAvals[i].dtype, outAvals[i].weakType))
}

/** Compiled one-equation programs of windowed ops, by primitive, params and operand avals. */
const windowPrograms = new Lru<string, Program>(() => cacheLimits.eagerOps)

/**
 * A convolution or window reduction called eagerly runs the program jit would run for it
 * (windows.ts: im2col + the matmul kernel, or a fused fold of window slices) — the impl's
 * direct loops are the reference, several times slower. Tiny ones run the impl.
 */
const windowed = (prim: PrimName, xs: readonly ConcreteArray[], params: unknown, compile: (j: Jaxpr) => Program): ConcreteArray[] | null => {
  if (xs[0].data.length < minSize) return null
  const outAvals: ShapedArray[] = rulesOf(prim).abstractEval(xs.map((x) => x.aval), params as never)
  // (params were validated by the abstract evaluation: plain numbers, lists and a dtype name)
  const key = `${prim}|${JSON.stringify(params)}|${xs.map((x) => `${x.dtype}${x.weakType ? 'w' : ''}[${x.shape.join(',')}]`).join(';')}`
  let p = windowPrograms.get(key)
  if (p === undefined) {
    const ins = xs.map((x) => new Var(x.aval))
    const outs = outAvals.map((a) => new Var(a))
    p = compile(new Jaxpr([], ins, [makeEqn(prim, ins, params as never, outs)], outs))
    windowPrograms.set(key, p)
  }
  let ys: TypedArray[]
  try {
    ys = p.run(xs.map((x) => x.data))
  } finally {
    releaseLargeArena()
  }
  return ys.map((d, i) => new ConcreteArray(d, outAvals[i].shape, outAvals[i].dtype, outAvals[i].weakType))
}

const WINDOWED = new Set<PrimName>(['conv_general_dilated', 'reduce_window_sum', 'reduce_window_max', 'reduce_window_min'])

/** The EvalTrace hook: a result, or null to run the primitive's impl. */
export const makeEagerHook =
  (compile: (j: Jaxpr) => Program) =>
  (prim: PrimName, xs: readonly ConcreteArray[], params: unknown): ConcreteArray[] | null => {
    const ev = evaluator()
    if (ev === 'interpreter') return null
    if (ev === 'wasm-kernels') return prim === 'scan' ? null : (wasmOnlyOp(prim, xs, params) ?? elementwise(prim, xs, params, false))
    if (prim === 'scan') return control(prim, xs, params as object, compile)
    if (WINDOWED.has(prim)) return windowed(prim, xs, params, compile)
    return elementwise(prim, xs, params, true)
  }
