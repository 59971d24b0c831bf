/**
 * Core layer: the shape of a primitive's rules, and the runtime table interpreters read.
 *
 * Rule signatures are uniform, lists in and lists out (names: x, dx tangent, ct cotangent,
 * bdim batch dimension):
 *   abstractEval(avals, params) → avals
 *   impl(xs, params) → xs                              (concrete arrays)
 *   jvp(primals, tangents, params) → [outs, outTangents]
 *   transpose(cts, args, params) → one cotangent (or null) per arg; linear args are UndefPrimal
 *   batch(axisSize, xs, bdims, params) → [outs, outBdims]
 * Rules are written with primitive wrappers (never raw numbers), so every rule is traceable
 * and every derivative differentiable again.
 *
 * The full table is a mapped type over `PrimName` (see src/rules.ts): a primitive missing a
 * rule — or a linear primitive missing its transpose — does not compile.
 */
import type { LowerAvals, ScalarExpr } from '../ir/scalar'
import type { ShapedArray } from '../ir/aval'
import type { ParamsMap, PrimName } from '../ir/params'
import type { ConcreteArray } from './array'
import type { Trace, Tracer } from './tracer'

/** A symbolic zero tangent or cotangent: costs nothing, materialized only when needed. */
// (fields declared and assigned in the constructor: a class field would define each one twice
// per object, to undefined and then to its value, and every symbolic zero is one)
export class Zero {
  declare readonly aval: ShapedArray
  declare readonly _tag: 'Zero'
  constructor(aval: ShapedArray) {
    this.aval = aval
    this._tag = 'Zero'
  }
}
export type Tangent = Tracer | Zero
export const isZero = (t: unknown): t is Zero => t instanceof Zero

/** A linear input of an equation being transposed: its value is unknown, only its aval is. */
export class UndefPrimal {
  readonly _tag = 'UndefPrimal' as const
  constructor(readonly aval: ShapedArray) {}
}
export const isUndef = (x: unknown): x is UndefPrimal => x instanceof UndefPrimal

/** `null`: not mapped. */
export type BDim = number | null

export type AbstractEvalRule<P extends PrimName> = (avals: readonly ShapedArray[], params: ParamsMap[P]) => ShapedArray[]
export type ImplRule<P extends PrimName> = (xs: readonly ConcreteArray[], params: ParamsMap[P]) => ConcreteArray[]
export type JvpRule<P extends PrimName> = (
  primals: readonly Tracer[],
  tangents: readonly Tangent[],
  params: ParamsMap[P],
) => [Tracer[], Tangent[]]
export type TransposeRule<P extends PrimName> = (
  cts: readonly Tangent[],
  args: readonly (Tracer | UndefPrimal)[],
  params: ParamsMap[P],
) => (Tangent | null)[]
export type BatchRule<P extends PrimName> = (
  axisSize: number,
  xs: readonly Tracer[],
  bdims: readonly BDim[],
  params: ParamsMap[P],
) => [Tracer[], BDim[]]
/** A custom partial-evaluation rule (higher-order primitives whose known/unknown split is
 *  special, like `jit` and `checkpoint`). `trace` is the partial-evaluation trace. */
export type PartialEvalRule<P extends PrimName> = (trace: Trace, tracers: readonly Tracer[], params: ParamsMap[P]) => Tracer[]

/** Lowering of an elementwise primitive to the backend's scalar-expression vocabulary
 *  (src/backend/scalar.ts): `args` stand for the operands at the current element; the result
 *  is the expression of the output element. Structural primitives (broadcasts, transposes,
 *  slices, …) have no lowering: the fusion planner turns them into index arithmetic. */
export type LowerRule<P extends PrimName> = (args: readonly ScalarExpr[], params: ParamsMap[P], avals: LowerAvals) => ScalarExpr

/** Primitives that are linear in (some of) their inputs, and so need a transpose rule. */
export type LinearPrim =
  | 'add' | 'sub' | 'neg' | 'mul' | 'div' | 'convert_element_type' | 'reduce_sum'
  | 'broadcast_in_dim' | 'reshape' | 'transpose' | 'squeeze' | 'select_n' | 'slice' | 'pad'
  | 'concatenate' | 'gather' | 'scatter_add' | 'dynamic_slice' | 'dynamic_update_slice'
  | 'cumsum' | 'dot_general' | 'conv_general_dilated' | 'reduce_window_sum' | 'jit' | 'custom_vjp_lin' | 'checkpoint' | 'triangular_solve'
  | 'cond' | 'scan' | 'custom_linear_solve'

/** The rules every primitive has; linear primitives add `transpose`. */
export interface BaseRules<P extends PrimName> {
  readonly abstractEval: AbstractEvalRule<P>
  readonly impl: ImplRule<P>
  readonly jvp: JvpRule<P>
  readonly batch: BatchRule<P>
  readonly partialEval?: PartialEvalRule<P>
  /** Elementwise primitives only: how the fused-kernel evaluator computes one element. */
  readonly lower?: LowerRule<P>
}

export type PrimitiveRules<P extends PrimName> = BaseRules<P> &
  (P extends LinearPrim ? { readonly transpose: TransposeRule<P> } : { readonly transpose?: TransposeRule<P> })

export type RuleTable = { readonly [P in PrimName]: PrimitiveRules<P> }

const table = new Map<PrimName, PrimitiveRules<PrimName>>()

/** Install rules (the complete table is checked by its type in src/rules.ts). */
export const registerRules = (rules: Partial<RuleTable>): void => {
  for (const [name, r] of Object.entries(rules)) table.set(name as PrimName, r as unknown as PrimitiveRules<PrimName>)
}

export const rulesOf = <P extends PrimName>(prim: P): PrimitiveRules<P> => {
  const r = table.get(prim)
  if (r === undefined) throw new Error(`no rules registered for primitive '${prim}' (is src/rules.ts loaded?)`)
  return r as unknown as PrimitiveRules<P>
}

export const registeredPrimitives = (): PrimName[] => [...table.keys()]
