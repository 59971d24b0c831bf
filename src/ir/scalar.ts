/**
 * IR layer: the scalar-expression vocabulary that elementwise primitives lower to (the kernel
 * IR of the fused evaluator in src/backend).
 *
 * A primitive's `lower` rule (src/core/rules.ts) maps its operands — scalar expressions
 * standing for "this operand at the current element" — to the scalar expression of its result.
 * The vocabulary is closed: `ScalarOp` is a fixed list, and every code generator (the JS one
 * in src/backend/codegen; src/backend/wasmlower.ts for the WebAssembly kernels) maps each op to
 * one of its own templates.
 * Nothing in an expression is ever pasted into source as text: ops are looked up in a table,
 * numbers go through one safe formatter.
 *
 * Semantics: every `op` node computes in double precision and rounds to its `dtype` (float32:
 * to the nearest float32; int32: wraps like an Int32Array store; bool: 0 or 1). A primitive
 * lowers to exactly one op whenever its impl computes in double and stores once, so compiled
 * results equal the reference interpreter bit for bit.
 *
 * This module is a leaf of the backend (it imports only ir/), so primitive files may import it.
 */
import type { DType } from './dtypes'
import { BINARY_PRIMS, UNARY_PRIMS } from './params'

/** Every op a scalar expression may use: the unary and binary primitives, plus
 *  `ipow` (x^attr, attr an integer, by repeated squaring as integer_pow's impl),
 *  `select` (args[0] picks among args[1..]: bool false → 1st case, int32 k → case clamp(k)),
 *  `cast` (convert args[0] to the node's dtype, as convert_element_type). */
export const SCALAR_OPS = [...UNARY_PRIMS, ...BINARY_PRIMS, 'ipow', 'select', 'cast'] as const
export type ScalarOp = (typeof SCALAR_OPS)[number]

const OP_SET: ReadonlySet<string> = new Set(SCALAR_OPS)
export const isScalarOp = (x: unknown): x is ScalarOp => typeof x === 'string' && OP_SET.has(x)

/** Operand `index` of the primitive being lowered, at the current element. */
export interface ArgExpr {
  readonly _tag: 'arg'
  readonly index: number
}
/** A constant; rounded to `dtype` when emitted. */
export interface LitExpr {
  readonly _tag: 'lit'
  readonly value: number
  readonly dtype: DType
}
/** The current element's coordinate along axis `dim` of the primitive's output (iota). */
export interface CoordExpr {
  readonly _tag: 'coord'
  readonly dim: number
  readonly dtype: DType
}
export interface OpExpr {
  readonly _tag: 'op'
  readonly op: ScalarOp
  readonly args: readonly ScalarExpr[]
  readonly dtype: DType
  /** The integer attribute of `ipow` (its exponent); 0 for every other op. */
  readonly attr: number
}
export type ScalarExpr = ArgExpr | LitExpr | CoordExpr | OpExpr

export const arg = (index: number): ArgExpr => ({ _tag: 'arg', index })
export const lit = (value: number, dtype: DType): LitExpr => ({ _tag: 'lit', value, dtype })
export const coord = (dim: number, dtype: DType): CoordExpr => ({ _tag: 'coord', dim, dtype })
export const op = (name: ScalarOp, args: readonly ScalarExpr[], dtype: DType, attr = 0): OpExpr => ({ _tag: 'op', op: name, args, dtype, attr })

/** The operands and result avals a lowering sees. */
export interface LowerAvals {
  readonly ins: readonly { readonly dtype: DType; readonly shape: readonly number[] }[]
  readonly out: { readonly dtype: DType; readonly shape: readonly number[] }
}

/** The common lowering: one op applied to all operands, with the result's dtype. */
export const lowerOp =
  (name: ScalarOp) =>
  (args: readonly ScalarExpr[], _params: unknown, avals: LowerAvals): ScalarExpr =>
    op(name, args, avals.out.dtype)
