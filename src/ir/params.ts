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
/** How reverse mode through a loop obtains each step's residuals: `'store'` keeps every
 *  step's (memory O(N)); `'recompute'` keeps only the initial carry and recomputes forward
 *  from it (memory O(1), time O(N²)); `'sqrt'` keeps √N segment starts; `{ binomial: s }`
 *  keeps at most `s` carries, in nested segments (see src/higher/remat.ts). */
export type CheckpointPolicy = 'store' | 'recompute' | 'sqrt' | { readonly binomial: number }

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
  /** Symmetric eigendecomposition of the last two axes, reading the lower (`lower`) or upper
   *  triangle: outputs (v, w), a = v·diag(w)·vᵀ, w ascending. */
  eigh: { readonly lower: boolean }
  /** Singular value decomposition of the last two axes: outputs (s, u, vt) with
   *  a = u·diag(s)·vt, s descending, or (s) alone without `computeUv`; u is m×m and vt n×n
   *  with `fullMatrices`, else m×k and k×n, k = min(m, n). */
  svd: { readonly fullMatrices: boolean; readonly computeUv: boolean }
  /** QR decomposition of the last two axes: outputs (q, r), a = q·r, diag(r) ≥ 0; q is m×m
   *  with `fullMatrices`, else m×min(m, n). */
  qr: { readonly fullMatrices: boolean }
  /** `jit`: evaluate `jaxpr` (compiled by the fused evaluator). */
  jit: CallParams
  /** `customJvp`: evaluate `jaxpr`; differentiate with `jvpJaxpr`, which maps
   *  (consts, primals, tangents) to (outs, tangentOuts) — or, for the library's own
   *  elementwise functions (special.*), with the registered rule named `jvpRule` (no jaxpr, no
   *  jvp consts): a program in primitives run when the call is differentiated, so a rule may
   *  call functions whose rules call it again (erfinv′ = √π/2·e^{erfinv²}, ψ⁽ⁿ⁾′ = ψ⁽ⁿ⁺¹⁾). */
  custom_jvp_call: CallParams & { readonly jvpJaxpr?: Jaxpr; readonly jvpNumConsts: number; readonly jvpRule?: string }
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
  /** `customLinearSolve`: inputs (matvecConsts, vecmatConsts, solveConsts, transposeSolveConsts, b).
   *  Evaluates x = solveJaxpr(solveConsts, b), a solution of matvecJaxpr(matvecConsts, x) = b.
   *  `vecmatJaxpr` is the transpose of matvec and `transposeSolveJaxpr` solves the transposed
   *  system; both are null when no transpose solve was given (then reverse mode is an error). */
  custom_linear_solve: {
    readonly matvecJaxpr: Jaxpr
    readonly vecmatJaxpr: Jaxpr | null
    readonly solveJaxpr: Jaxpr
    readonly transposeSolveJaxpr: Jaxpr | null
    /** consts of matvec, vecmat, solve and transposeSolve, in input order */
    readonly numConsts: readonly [number, number, number, number]
    readonly name: string
  }
  /** `customRoot`: inputs (fConsts, solveConsts, matvecConsts, vecmatConsts, tangentSolveConsts,
   *  transposeTangentSolveConsts, x0). Evaluates x = solveJaxpr(solveConsts, x0), a root of
   *  fJaxpr(fConsts, ·). The linear algebra of its derivative, each with its own constants (f's
   *  among them): matvecJaxpr (consts, x, v) ↦ ∂f/∂x·v at x, vecmatJaxpr its transpose,
   *  tangentSolveJaxpr (consts, x, y) ↦ the v with ∂f/∂x·v = y, transposeTangentSolveJaxpr the
   *  same for the transposed map. */
  custom_root: {
    readonly fJaxpr: Jaxpr
    readonly solveJaxpr: Jaxpr
    readonly matvecJaxpr: Jaxpr
    readonly vecmatJaxpr: Jaxpr
    readonly tangentSolveJaxpr: Jaxpr
    readonly transposeTangentSolveJaxpr: Jaxpr
    /** consts of f, solve, matvec, vecmat, tangentSolve, transposeTangentSolve, in input order */
    readonly numConsts: readonly [number, number, number, number, number, number]
    readonly name: string
  }
  /** `debug.callback` / `debug.print`: call host function number `callback` (see
   *  src/core/callbacks.ts) on the inputs; no outputs. An effect: never removed, merged or
   *  folded by a pass, never differentiated. Under vmap the inputs carry leading axes of sizes
   *  `batchSizes` and the function is called once per batch member, in row-major order. */
  debug_callback: { readonly callback: number; readonly batchSizes: readonly number[] }
  /** `checkpoint`: evaluate `jaxpr`; in reverse mode, recompute it instead of storing residuals. */
  checkpoint: CallParams
  /** `cond`: inputs (index, ...operands); evaluates `branches[clamp(index)]` on the operands.
   *  Every branch takes the same operands (each branch's constants are among them) and
   *  returns the same avals. */
  cond: { readonly branches: readonly Jaxpr[] }
  /** `while`: inputs (condConsts, bodyConsts, ...carry); while condJaxpr(condConsts, carry)
   *  is true, carry = bodyJaxpr(bodyConsts, carry). With `maxSteps`, a loop still running
   *  after that many steps is an error (MaxStepsExceededError), and reverse mode treats the
   *  loop as a scan of `maxSteps` guarded steps; `checkpoint` is that scan's policy. */
  while: {
    readonly condJaxpr: Jaxpr
    readonly bodyJaxpr: Jaxpr
    readonly condNumConsts: number
    readonly bodyNumConsts: number
    readonly maxSteps?: number
    readonly checkpoint?: CheckpointPolicy
  }
  /** `scan`: inputs (consts, carry, xs); for i in 0…length−1 (reversed if `reverse`):
   *  (carry, ys[i]) = jaxpr(consts, carry, xs[i]). Outputs (carry, ys), ys stacked on axis 0. */
  scan: {
    readonly jaxpr: Jaxpr
    readonly numConsts: number
    readonly numCarry: number
    readonly length: number
    readonly reverse: boolean
    /** Reverse mode's residual policy (absent: `'store'`); no effect on evaluation. */
    readonly checkpoint?: CheckpointPolicy
    /** A bounded while loop as a scan: carry `whileFlag` is the loop's "still running" bool
     *  (scalar, or one per lane under vmap). Once it is false everywhere the remaining steps
     *  are identities with zero ys, so evaluation stops there; true after the last step means
     *  the loop needed more than `length` steps (MaxStepsExceededError). */
    readonly whileFlag?: number
  }
}

export type PrimName = keyof ParamsMap
