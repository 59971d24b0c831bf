/**
 * IR layer: the typed parameters of every primitive. `PrimName` is the closed set of primitive
 * names; the rule registry is a mapped type over it, so a primitive without a rule does not
 * compile. Params are plain data (numbers, arrays of numbers, dtypes, jaxprs): complete enough
 * to lower to any backend without looking inside a JavaScript closure.
 */
import type { Shape, ShapedArray } from './aval'
import type { DType } from './dtypes'
import type { Jaxpr } from './jaxpr'

type NoParams = Readonly<Record<string, never>>

export const UNARY_PRIMS = [
  'neg', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh',
  'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'sign', 'floor', 'ceil', 'round',
  'logistic', 'not', 'stop_gradient',
] as const
export type UnaryPrim = (typeof UNARY_PRIMS)[number]

export const BINARY_PRIMS = [
  'add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'atan2', 'rem',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or',
] as const
export type BinaryPrim = (typeof BINARY_PRIMS)[number]

/** Bitwise primitives on int32 words (src/primitives/bitwise.ts). */
export const BITWISE_PRIMS = ['xor', 'shift_left', 'shift_right_logical', 'shift_right_arithmetic'] as const
export type BitwisePrim = (typeof BITWISE_PRIMS)[number]

export const REDUCE_PRIMS = ['reduce_sum', 'reduce_max', 'reduce_min', 'reduce_prod'] as const
export type ReducePrim = (typeof REDUCE_PRIMS)[number]

/** `dot_general`: contract `lhsContracting` with `rhsContracting`, batch over `*Batch`.
 *  Output layout (as XLA): batch dims, then lhs free dims, then rhs free dims. */
export interface DotDimensionNumbers {
  readonly lhsContracting: readonly number[]
  readonly rhsContracting: readonly number[]
  readonly lhsBatch: readonly number[]
  readonly rhsBatch: readonly number[]
}

/** XLA gather dimension numbers; the index vector is always the last axis of `indices`. */
export interface GatherDimensionNumbers {
  readonly offsetDims: readonly number[]
  readonly collapsedSliceDims: readonly number[]
  readonly startIndexMap: readonly number[]
  readonly operandBatchingDims: readonly number[]
  readonly startIndicesBatchingDims: readonly number[]
}

/** XLA scatter dimension numbers; the index vector is always the last axis of `indices`. */
export interface ScatterDimensionNumbers {
  readonly updateWindowDims: readonly number[]
  readonly insertedWindowDims: readonly number[]
  readonly scatterDimsToOperandDims: readonly number[]
  readonly operandBatchingDims: readonly number[]
  readonly scatterIndicesBatchingDims: readonly number[]
}

/** Out-of-bounds indices: gather clamps (`clip`) or returns `fillValue` (`fill`);
 *  scatter clamps (`clip`) or drops the update (`drop`). */
export type GatherMode = 'clip' | 'fill'
export type ScatterMode = 'clip' | 'drop'

/** Convolution dimension numbers, as XLA's ConvDimensionNumbers: `lhsSpec` lists the lhs axes
 *  (batch, feature, spatial…), `rhsSpec` the kernel axes (output feature, input feature,
 *  spatial…), `outSpec` the output axes (batch, feature, spatial…). Spatial axes correspond in
 *  order. */
export interface ConvDimensionNumbers {
  readonly lhsSpec: readonly number[]
  readonly rhsSpec: readonly number[]
  readonly outSpec: readonly number[]
}

/** `conv_general_dilated` (XLA's ConvGeneralDilated): per spatial axis, the window strides, the
 *  explicit (lo, hi) padding of the lhs (negative: crop), the lhs (base) dilation and the rhs
 *  (kernel) dilation. */
export interface ConvParams {
  readonly windowStrides: readonly number[]
  readonly padding: ReadonlyArray<readonly [number, number]>
  readonly lhsDilation: readonly number[]
  readonly rhsDilation: readonly number[]
  readonly dimensionNumbers: ConvDimensionNumbers
  readonly featureGroupCount: number
  readonly batchGroupCount: number
  readonly preferredElementType: DType | null
}

/** `reduce_window_*` (XLA's ReduceWindow with a monoid): per axis, the window size, stride,
 *  (lo, hi) padding (with the monoid's identity), base (operand) dilation and window dilation. */
export interface ReduceWindowParams {
  readonly windowDimensions: readonly number[]
  readonly windowStrides: readonly number[]
  readonly padding: ReadonlyArray<readonly [number, number]>
  readonly baseDilation: readonly number[]
  readonly windowDilation: readonly number[]
}

export const REDUCE_WINDOW_PRIMS = ['reduce_window_sum', 'reduce_window_max', 'reduce_window_min'] as const
export type ReduceWindowPrim = (typeof REDUCE_WINDOW_PRIMS)[number]

/** A sub-computation carried by a higher-order primitive. Its constants are passed as the
 *  first `numConsts` inputs of the equation, so the jaxpr itself has no constVars. */
export interface CallParams {
  readonly jaxpr: Jaxpr
  readonly numConsts: number
  readonly name: string
}

export interface ParamsMap extends Record<UnaryPrim | BinaryPrim | BitwisePrim, NoParams>, Record<ReduceWindowPrim, ReduceWindowParams> {
  integer_pow: { readonly y: number }
  select_n: NoParams
  convert_element_type: { readonly newDtype: DType; readonly weakType: boolean }
  broadcast_in_dim: { readonly shape: Shape; readonly broadcastDimensions: readonly number[] }
  reshape: { readonly newSizes: Shape }
  transpose: { readonly permutation: readonly number[] }
  squeeze: { readonly dimensions: readonly number[] }
  reduce_sum: { readonly axes: readonly number[] }
  reduce_max: { readonly axes: readonly number[] }
  reduce_min: { readonly axes: readonly number[] }
  reduce_prod: { readonly axes: readonly number[] }
  argmax: { readonly axis: number; readonly indexDtype: 'int32' }
  argmin: { readonly axis: number; readonly indexDtype: 'int32' }
  dot_general: { readonly dimensionNumbers: DotDimensionNumbers; readonly preferredElementType: DType | null }
  slice: {
    readonly startIndices: readonly number[]
    readonly limitIndices: readonly number[]
    readonly strides: readonly number[] | null
  }
  dynamic_slice: { readonly sliceSizes: Shape }
  dynamic_update_slice: NoParams
  pad: { readonly paddingConfig: ReadonlyArray<readonly [number, number, number]> }
  concatenate: { readonly dimension: number }
  gather: {
    readonly dimensionNumbers: GatherDimensionNumbers
    readonly sliceSizes: Shape
    readonly mode: GatherMode
    readonly fillValue: number | null
  }
  scatter_add: { readonly dimensionNumbers: ScatterDimensionNumbers; readonly mode: ScatterMode }
  conv_general_dilated: ConvParams
  iota: { readonly dtype: DType; readonly shape: Shape; readonly dimension: number }
  cumsum: { readonly axis: number; readonly reverse: boolean }
  sort: { readonly dimension: number; readonly numKeys: number }
  /** Cholesky factor L (lower) of symmetric positive-definite matrices in the last two axes. */
  cholesky: NoParams
  /** Solve a·x = b (leftSide) or x·a = b for x with triangular `a`; leading axes are batch axes. */
  triangular_solve: {
    readonly leftSide: boolean
    readonly lower: boolean
    readonly transposeA: boolean
    readonly unitDiagonal: boolean
  }
  /** LU with partial pivoting of the last two axes: outputs (lu, pivots, permutation);
   *  `lu` packs L (unit diagonal, below) and U (on and above the diagonal), so that
   *  a[permutation] = L·U. pivots and permutation are int32. */
  lu: NoParams
  /** `jit`: evaluate `jaxpr` (compiled by the fused evaluator). */
  jit: CallParams
  /** `customJvp`: evaluate `jaxpr`; differentiate with `jvpJaxpr`, which maps
   *  (consts, primals, tangents) to (outs, tangentOuts). */
  custom_jvp_call: CallParams & { readonly jvpJaxpr: Jaxpr; readonly jvpNumConsts: number }
  /** `customVjp`: inputs (consts, fwdConsts, bwdConsts, primals). Evaluate `jaxpr` on
   *  (consts, primals); `fwdJaxpr` maps (fwdConsts, primals) to (outs, residuals); `bwdJaxpr`
   *  maps (bwdConsts, residuals, cts) to one cotangent per primal. */
  custom_vjp_call: CallParams & {
    readonly fwdJaxpr: Jaxpr
    readonly fwdNumConsts: number
    readonly bwdJaxpr: Jaxpr
    readonly bwdNumConsts: number
    readonly numResiduals: number
  }
  /** The linear map of a `customVjp` function at a point: inputs (bwdConsts, residuals,
   *  tangents); it exists only to be transposed (its transpose runs `bwdJaxpr`). */
  custom_vjp_lin: {
    readonly bwdJaxpr: Jaxpr
    readonly bwdNumConsts: number
    readonly numResiduals: number
    readonly outAvals: readonly ShapedArray[]
    readonly name: string
  }
  /** `checkpoint`: evaluate `jaxpr`; in reverse mode, recompute it instead of storing residuals. */
  checkpoint: CallParams
  /** `cond`: inputs (index, ...operands); evaluates `branches[clamp(index)]` on the operands.
   *  Every branch takes the same operands (each branch's constants are among them) and
   *  returns the same avals. */
  cond: { readonly branches: readonly Jaxpr[] }
  /** `while`: inputs (condConsts, bodyConsts, ...carry); while condJaxpr(condConsts, carry)
   *  is true, carry = bodyJaxpr(bodyConsts, carry). */
  while: { readonly condJaxpr: Jaxpr; readonly bodyJaxpr: Jaxpr; readonly condNumConsts: number; readonly bodyNumConsts: number }
  /** `scan`: inputs (consts, carry, xs); for i in 0…length−1 (reversed if `reverse`):
   *  (carry, ys[i]) = jaxpr(consts, carry, xs[i]). Outputs (carry, ys), ys stacked on axis 0. */
  scan: {
    readonly jaxpr: Jaxpr
    readonly numConsts: number
    readonly numCarry: number
    readonly length: number
    readonly reverse: boolean
  }
}

export type PrimName = keyof ParamsMap
