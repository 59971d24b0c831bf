/**
 * Backend, JS code generator: a loop compiled whole. A `scan` (and so `foriLoop`) or a
 * `while` whose body is a few small kernels becomes one function in which every element of
 * every carry is a local, the body is straight-line scalar code (scalarize.ts) and the loop
 * over steps runs inside: no kernel call, no typed-array view, no copy of the carry per step.
 * W5 (Lorenz, jacfwd: 13 carried numbers) goes from ~45 ns to a few ns per step.
 *
 * Only small loops qualify (LIMITS): a generated function with thousands of locals takes long
 * to optimize and spills its registers, and the unrolled code grows with the product of loop
 * domains and nodes. Everything else keeps the kernel loop (scan.ts) or the program runner.
 */
import { CodegenError, int } from '../emit'
import { type DType, type TypedArray, allocate } from '../../ir/dtypes'
import type { ProgramSpec } from '../program'
import { HELPERS } from './ops'
import { NoFit, Scalarizer, carryAssign } from './scalarize'

/** Measured on a sin-heavy elementwise body (c ↦ 0.999·c + 10⁻³·sin c) of growing width and
 *  on W5/W11/W12: from a [32] carry on the kernel loop is as fast in the steady state, and the
 *  first call (V8 optimizing one large function, its first steps interpreted) grows with the
 *  size of the code — 2× at 32 elements, 10× at 100. */
export const LIMITS = {
  /** carried, read (xs row) and written (ys row) elements per step */
  loopElements: 64,
  /** elements of the loop's constants (loaded into locals once) */
  constElements: 256,
  /** statements of the unrolled body */
  statements: 4000,
}

/** An array of the loop's interface: elements and dtype. */
export interface Part {
  readonly size: number
  readonly dtype: DType
}

export interface ScalarScanShape {
  readonly consts: readonly Part[]
  readonly carries: readonly Part[]
  readonly xs: readonly Part[]
  readonly ys: readonly Part[]
  readonly reverse: boolean
  /** a bounded while loop: the carry whose elements are all 0 once the loop has ended */
  readonly flag?: number
}

export interface ScalarWhileShape {
  readonly condConsts: readonly Part[]
  readonly bodyConsts: readonly Part[]
  readonly carries: readonly Part[]
}

const total = (ps: readonly Part[]) => ps.reduce((s, p) => s + p.size, 0)

const names = (prefix: 'g' | 'h' | 'c' | 'x' | 'a', q: number, n: number): string[] => Array.from({ length: n }, (_, e) => `${prefix}${int(q)}_${int(e)}`)

/** Declarations of the constants' elements, read once from their arrays `arr[q]`. */
const loadConsts = (z: Scalarizer, arr: 'gc' | 'hc' | 'ins', prefix: 'g' | 'h' | 'a', parts: readonly Part[]): { decl: string[]; elems: string[][] } => {
  const elems = parts.map((p, q) => names(prefix, q, p.size))
  elems.forEach((es, q) => es.forEach((e) => z.markStored(e, parts[q].dtype)))
  const decl = parts.flatMap((p, q) => [`const ${prefix}${int(q)} = ${arr}[${int(q)}];`, ...elems[q].map((e, i) => `const ${e} = ${prefix}${int(q)}[${int(i)}];`)])
  return { decl, elems }
}

/** The carries as `let` locals: declarations, elements, and the end-of-step assignments of
 *  the new values (scalarize.ts `carryAssign`: a new carry may be an old one, as in a swap). */
const carryLocals = (z: Scalarizer, parts: readonly Part[]) => {
  const elems = parts.map((p, q) => names('c', q, p.size))
  elems.forEach((es, q) => es.forEach((e) => z.markStored(e, parts[q].dtype)))
  const decl = parts.flatMap((_, q) => elems[q].map((e, i) => `let ${e} = cur[${int(q)}][${int(i)}];`))
  const assign = (next: readonly (readonly string[])[]): string[] => carryAssign(elems, next, () => z.fresh())
  const store = parts.flatMap((_, q) => elems[q].map((e, i) => `out[${int(q)}][${int(i)}] = ${e};`))
  return { elems, decl, assign, store }
}

/**
 * Arrays of the loop's interface filled with zeros, for one call that takes no step right after
 * the function is made, so that the code after the loop has run once before V8 optimizes the
 * function in the middle of the loop (on-stack replacement). It was added when optimized code
 * without type feedback for the final stores deoptimized there on every call (then measured 5×
 * slower). On Node 20.20 it changes neither first calls nor steady state of W5, W11 and W12
 * (measured with and without it), because V8 allocates type feedback only after a function
 * has run for a while: the zero-step call records none, and V8 still discards the loop's
 * optimized code at the final stores during the first calls. It is cheap and kept for engines
 * where it helps.
 */
export const warmUp = (parts: readonly Part[]): TypedArray[] => parts.map((p) => allocate(p.dtype, p.size))

/** Runs `gen`; null when the loop does not fit. */
const attempt = (gen: () => string): string | null => {
  try {
    return gen()
  } catch (e) {
    if (e instanceof NoFit) return null
    throw e
  }
}

/** The helpers the code calls, and `mse` (k[0], the MaxStepsExceededError factory) if a
 *  nested bounded loop raises it. */
const helperLines = (z: Scalarizer) => [...[...z.helpers].map((h) => HELPERS[h]), ...(z.usesMse ? ['const mse = k[0];'] : [])]

/**
 * Source of `(k) => (gc, cur, xs, out, ys, n) => 0 | 1` for a scan of `body`: consts `gc`,
 * initial carries `cur` (read only), stacked xs, fresh `out` arrays for the final carries, `ys`
 * for the stacked rows, and the length `n` (0 for the warm-up call, see `warmUp`). Returns 1 when a bounded while loop's flag is still set after the last step
 * (the caller raises MaxStepsExceededError), else 0. Null when the body does not fit.
 */
/** Whether a scan of this interface may be compiled whole (known before its body is planned). */
export const scanFits = (s: ScalarScanShape): boolean =>
  total(s.carries) + total(s.xs) + total(s.ys) <= LIMITS.loopElements && total(s.consts) <= LIMITS.constElements

/** Whether a while loop of this interface may be compiled whole. */
export const whileFits = (s: ScalarWhileShape): boolean =>
  total(s.carries) <= LIMITS.loopElements && total(s.condConsts) + total(s.bodyConsts) <= LIMITS.constElements

export const genScalarScan = (body: ProgramSpec, s: ScalarScanShape): string | null => {
  if (!scanFits(s)) return null
  if (body.inputs.length !== s.consts.length + s.carries.length + s.xs.length) throw new CodegenError('internal: scan body inputs')
  return attempt(() => {
    const z = new Scalarizer(LIMITS.statements)
    const cst = loadConsts(z, 'gc', 'g', s.consts)
    const car = carryLocals(z, s.carries)
    const xs = s.xs.map((p, q) => names('x', q, p.size))
    xs.forEach((es, q) => es.forEach((e) => z.markStored(e, s.xs[q].dtype)))
    const outs = z.program(body, [...cst.elems, ...car.elems, ...xs], [...s.carries, ...s.ys].map((p) => p.size))
    const next = outs.slice(0, s.carries.length)
    const ys = outs.slice(s.carries.length)
    const flag = s.flag === undefined ? null : car.elems[s.flag].map((e) => `${e} !== 0`).join(' || ')
    if (flag === '') throw new NoFit('an empty flag')
    return [
      '"use strict";',
      ...helperLines(z),
      ...z.decls,
      'return function (gc, cur, xs, out, ys, n) {',
      ...cst.decl,
      ...car.decl,
      ...s.xs.map((_, q) => `const X${int(q)} = xs[${int(q)}];`),
      ...s.ys.map((_, q) => `const Y${int(q)} = ys[${int(q)}];`),
      'for (let t = 0; t < n; t++) {',
      `const i = ${s.reverse ? 'n - 1 - t' : 't'};`,
      ...xs.flatMap((es, q) => es.map((e, j) => `const ${e} = X${int(q)}[i * ${int(s.xs[q].size)} + ${int(j)}];`)),
      ...z.lines,
      ...ys.flatMap((es, q) => es.map((a, j) => `Y${int(q)}[i * ${int(s.ys[q].size)} + ${int(j)}] = ${a};`)),
      ...car.assign(next),
      // a bounded while loop that has ended: the remaining steps are identities, zero ys
      ...(flag === null ? [] : [`if (!(${flag})) break;`]),
      '}',
      ...car.store,
      `return ${flag === null ? '0' : `${flag} ? 1 : 0`};`,
      '};',
    ].join('\n')
  })
}

/**
 * Source of `(k) => (gc, hc, cur, out, limit, run) => 0 | 1` for a while loop: the condition's
 * and the body's consts, the initial carries, fresh arrays for the final ones, the most steps
 * allowed (Infinity when unbounded), and `run` (false for the warm-up call: no step). Returns 1 when the condition still holds after `limit`
 * steps (the caller raises MaxStepsExceededError), else 0.
 */
export const genScalarWhile = (cond: ProgramSpec, body: ProgramSpec, s: ScalarWhileShape): string | null => {
  if (!whileFits(s)) return null
  return attempt(() => {
    const z = new Scalarizer(LIMITS.statements)
    const cc = loadConsts(z, 'gc', 'g', s.condConsts)
    const bc = loadConsts(z, 'hc', 'h', s.bodyConsts)
    const car = carryLocals(z, s.carries)
    const [[pred]] = z.program(cond, [...cc.elems, ...car.elems], [1])
    const p = z.convert(pred, 'bool')
    const condLines = z.lines.splice(0)
    const next = z.program(body, [...bc.elems, ...car.elems], s.carries.map((q) => q.size))
    return [
      '"use strict";',
      ...helperLines(z),
      ...z.decls,
      'return function (gc, hc, cur, out, limit, run) {',
      ...cc.decl,
      ...bc.decl,
      ...car.decl,
      'for (let steps = 0; run; steps++) {',
      ...condLines,
      `if (${p} === 0) break;`,
      'if (steps >= limit) return 1;',
      ...z.lines,
      ...car.assign(next),
      '}',
      ...car.store,
      'return 0;',
      '};',
    ].join('\n')
  })
}

/**
 * Source of `(k) => (ins, outs, warm) => void` for a whole program (scalarprogram.ts): reads
 * the elements of the inputs `ins`, writes those of every output into `outs` (fresh arrays of
 * the outputs' dtypes and sizes; the typed-array store converts), with every value in between
 * a local. Its loops are loops of the code. With `warm` true the loops take no step (the
 * warm-up call, see `warmUp`). Null when the program does not fit.
 */
export const genScalarProgram = (spec: ProgramSpec, ins: readonly Part[], outs: readonly Part[]): string | null => {
  if (spec.inputs.length !== ins.length || spec.outs.length !== outs.length) throw new CodegenError('internal: program interface')
  return wholeSource(new Scalarizer(LIMITS.statements, 'warm'), (z, elems) => z.program(spec, elems, outs.map((p) => p.size)), ins, outs)
}

/**
 * The source `genScalarProgram` describes, with the code between reading the inputs and
 * writing the outputs made by `body` (on generator `z`, from the inputs' elements: the
 * outputs' elements). Null when `body` raises NoFit.
 */
export const wholeSource = <Z extends Scalarizer>(z: Z, body: (z: Z, ins: readonly (readonly string[])[]) => readonly (readonly string[])[], ins: readonly Part[], outs: readonly Part[]): string | null =>
  attempt(() => {
    const a = loadConsts(z, 'ins', 'a', ins)
    const res = body(z, a.elems)
    if (res.length !== outs.length) throw new CodegenError('internal: program interface')
    const stores: string[] = []
    for (let q = 0; q < res.length; q++) {
      stores.push(`const o${int(q)} = outs[${int(q)}];`)
      for (let e = 0; e < res[q].length; e++) stores.push(`o${int(q)}[${int(e)}] = ${res[q][e]};`)
    }
    const head = [
      '"use strict";',
      ...helperLines(z),
      ...z.decls,
      // (parenthesized: V8 parses the function once, eagerly, instead of pre-parsing its
      // thousands of lines with the driver and parsing them again at the warm-up call)
      'return (function (ins, outs, warm) {',
    ]
    // (concatenated, not spread into one literal: cold, a spread walks an iterator per line)
    return head.concat(a.decl, z.lines, stores, '});').join('\n')
  })
