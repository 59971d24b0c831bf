/**
 * Backend, JS code generator: constants folded while straight-line scalar code is generated
 * (scalarize.ts). An op whose operands are all literals is evaluated at generation time, by
 * its own template (ops.ts) compiled once per op and dtypes: the folded literal is the value
 * the generated statement would compute, bit for bit. The jacfwd one-hot basis, iota
 * comparisons and literal arithmetic then cost no statement, and V8 parses less code.
 *
 * With one literal operand only identities that hold for every IEEE value are used:
 *   x·1 = 1·x = x,  x/1 = x,  x + (−0) = (−0) + x = x,  x − 0 = x,
 * and a select on a literal predicate is the chosen case. Not x·0 (NaN, ±Infinity, −0 give
 * other results) and not x + 0 (−0 + 0 is +0).
 */
import { type DType, castScalar } from '../../ir/dtypes'
import { num } from '../emit'
import type { ScalarOp } from '../scalar'
import { emitOp } from './ops'

/** A literal atom as `num`/`int` spell it: digits, exponent, −, NaN, Infinity, in parentheses when negative. */
const LITERAL = /^\(?(-?\d+(\.\d+)?(e[+-]?\d+)?|-?Infinity|NaN)\)?$/

/** Whether an atom may be a literal: locals start with a lower-case letter, scratch array
 *  elements with B (a quick no for most atoms). */
const mayBeLiteral = (atom: string): boolean => {
  const c = atom.charCodeAt(0)
  return !(c >= 97 && c <= 122) && c !== 66
}

/** The value of a literal atom, or undefined for a local or an array element. */
export const literalValue = (atom: string): number | undefined => {
  if (!mayBeLiteral(atom) || !LITERAL.test(atom)) return undefined
  // the number between the optional parentheses (`test` makes no match array: this runs for
  // nearly every operand of a first compilation, in V8's interpreter)
  const from = atom.charCodeAt(0) === 40 ? 1 : 0
  const to = atom.charCodeAt(atom.length - 1) === 41 ? atom.length - 1 : atom.length
  return Number(from === 0 && to === atom.length ? atom : atom.slice(from, to))
}

type Evaluator = (...xs: number[]) => unknown

/** Other templates compiled as functions of their operands, per op, dtypes and attribute. */
const evaluators = new Map<string, Evaluator | null>()

const PARAMS = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']

/** The templates of comparisons and casts as functions (the ops a one-hot basis is made of:
 *  no code to compile for them; test/backend/fold.test.ts checks them against the templates). */
const CMP: Partial<Record<ScalarOp, Evaluator>> = {
  eq: (x, y) => (x === y ? 1 : 0),
  ne: (x, y) => (x !== y ? 1 : 0),
  lt: (x, y) => (x < y ? 1 : 0),
  le: (x, y) => (x <= y ? 1 : 0),
  gt: (x, y) => (x > y ? 1 : 0),
  ge: (x, y) => (x >= y ? 1 : 0),
}

const isFloat = (d: DType) => d === 'float64' || d === 'float32'

/** ops.ts `cast` (and emitOp's rounding of a cast to float32). */
const castEvaluator = (from: DType, to: DType): Evaluator => {
  switch (to) {
    case 'float64': return (x) => x
    case 'float32': return from === 'float32' ? (x) => x : (x) => Math.fround(x)
    case 'int32': return isFloat(from) ? (x) => x | 0 : (x) => x
    case 'bool': return (x) => (x !== 0 ? 1 : 0)
  }
}

const evaluator = (op: ScalarOp, dtype: DType, ad: readonly DType[], attr: number, exact: boolean): Evaluator | null => {
  if (dtype === 'bool' && ad.length === 2 && CMP[op] !== undefined) return CMP[op]
  if (op === 'cast' && ad.length === 1) return castEvaluator(ad[0], dtype)
  const key = `${op}|${dtype}|${ad.join(',')}|${attr}|${exact ? 1 : 0}`
  let f = evaluators.get(key)
  if (f === undefined) {
    f = null
    if (ad.length <= PARAMS.length) {
      const ps = PARAMS.slice(0, ad.length)
      const e = emitOp(op, dtype, ps, ad, attr, 'tmp', exact)
      // (templates with statements before them or helper functions are left to run time)
      if (e.pre.length === 0 && e.helpers.length === 0) f = new Function(...ps, `"use strict"; return ${e.expr};`) as Evaluator
    }
    evaluators.set(key, f)
  }
  return f
}

/** The chosen case of a select on a literal predicate `w` (ops.ts `select`; case i is
 *  `args[1 + i]`). */
const chosen = (w: number, args: readonly string[], whichDtype: DType): string => {
  const n = args.length - 1
  if (n === 1) return args[1]
  if (whichDtype === 'bool') return w !== 0 ? args[2] : args[1]
  if (w <= 0) return args[1]
  for (let i = 1; i < n - 1; i++) if (w === i) return args[1 + i]
  return args[n]
}

/** Whether `v` is the literal value `w` (−0 is not 0). */
const isValue = (v: number | undefined, w: number): boolean => v !== undefined && Object.is(v, w)

/**
 * The atom that `op` over atoms `args` (of dtypes `ad`, result `dtype`) equals whatever the
 * run-time values, or null when a statement must compute it.
 */
/** (exported for the tests: a template's value at literal operands) */
export const evaluate = (op: ScalarOp, dtype: DType, ad: readonly DType[], attr: number, exact: boolean, xs: readonly number[]): unknown => evaluator(op, dtype, ad, attr, exact)?.(...xs)

export const foldOp = (op: ScalarOp, dtype: DType, args: readonly string[], ad: readonly DType[], attr: number, exact: boolean): string | null => {
  if (!args.some(mayBeLiteral)) return null
  const vals = args.map(literalValue)
  if (op === 'select') return vals[0] === undefined || args.length < 2 ? null : chosen(vals[0], args, ad[0])
  if (!vals.includes(undefined)) {
    const f = evaluator(op, dtype, ad, attr, exact)
    if (f === null) return null
    const v = f(...(vals as number[]))
    return typeof v === 'number' ? num(v) : null
  }
  // identities of one literal operand: float operands of the result's dtype, whose values are
  // already of that dtype (in the relaxed float32 mode float32 values are not rounded)
  const float = dtype === 'float64' || (dtype === 'float32' && exact)
  if (!float || args.length !== 2 || ad[0] !== dtype || ad[1] !== dtype) return null
  const x = vals[0]
  const y = vals[1]
  switch (op) {
    case 'mul': return isValue(y, 1) ? args[0] : isValue(x, 1) ? args[1] : null
    case 'div': return isValue(y, 1) ? args[0] : null
    case 'add': return isValue(y, -0) ? args[0] : isValue(x, -0) ? args[1] : null
    case 'sub': return isValue(y, 0) ? args[0] : null
    default: return null
  }
}

/** A literal as a typed array of `dtype` stores it (scalarize.ts `convert`), or null for an atom that is not a literal. */
export const foldStore = (atom: string, dtype: DType): string | null => {
  const v = literalValue(atom)
  if (v === undefined) return null
  // float32: Math.fround; int32: ToInt32 (`| 0`); bool: `& 255` of the stored number
  return num(dtype === 'int32' ? v | 0 : dtype === 'bool' ? v & 255 : castScalar(v, dtype))
}
