/**
 * leibniz — composable function transformations over arrays.
 * The public entry point: namespaces, transformations, types and errors.
 *
 * @module leibniz
 */
import './rules'

export * as np from './numpy'
export * as lax from './lax'
export * as nn from './nn'
export * as special from './special'
export * as random from './random'
export * as tree from './tree'
export * as config from './config'
export * as debug from './debug'
export * as ode from './ode'
export { StepSizeUnderflowError, NonFiniteStateError } from './ode/errors'

export { grad, valueAndGrad, vjp, jvp, linearize, linearTranspose, hvp } from './transforms/autodiff'
export type { GradOptions } from './transforms/autodiff'
export { jacfwd, jacrev, jacobian, hessian } from './transforms/jacobian'
export type { JacOptions, HessianOptions } from './transforms/jacobian'
export { jet, derivatives, taylorCoefficients } from './transforms/jet'
export { vmap } from './transforms/vmap'
export type { VmapOptions, AxisSpec } from './transforms/vmap'
export { jit, makeJaxpr, evalShape } from './transforms/jit'
export type { JitOptions, JitFunction } from './transforms/jit'
export { stopGradient, customJvp, customVjp, checkpoint } from './transforms/custom'
export { customGradient } from './transforms/customgradient'
export type { WithGradient } from './transforms/customgradient'
export { toDot, toMermaid } from './graph'
export type { GraphOptions, ValuesSpec } from './graph'

// The array type. `NDArray` is the name to import in user code: `import type { NDArray }`
// leaves the global `Array` usable. `Array` is JAX's name for the same class.
export { Tracer as NDArray, Tracer as Array } from './core/tracer'
export type { ArrayLike } from './core/methods'
export { Jaxpr, ClosedJaxpr, Var, Lit } from './ir/jaxpr'
export type { Eqn, Atom } from './ir/jaxpr'
export type { ShapedArray, Shape } from './ir/aval'
export type { DType } from './ir/dtypes'
export type { PrimName, ParamsMap } from './ir/params'
export {
  ShapeError, DTypeError, ConcretizationError, TracerLeakError, NonDifferentiableError,
  TreeMismatchError, AxisError, ValueError, ResourceError, ArgumentTypeError, AsyncFunctionError, NonLinearError,
  MaxStepsExceededError, ExportError, DonatedArrayError,
} from './core/errors'
