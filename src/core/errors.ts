/**
 * Core layer: the named errors of the public API. Messages say what was expected, what was
 * got, and where; most suggest what to do instead.
 */

/** Shapes that do not fit an operation (broadcasting, matmul, reshape, …). */
export class ShapeError extends TypeError {
  override readonly name = 'ShapeError'
}

/** A dtype an operation does not accept (an integer where a float is needed, …). */
export class DTypeError extends TypeError {
  override readonly name = 'DTypeError'
}

/** A traced value was used where a concrete JS value is needed (`item()`, `Number(x)`, `if (x > 0)`). */
export class ConcretizationError extends TypeError {
  override readonly name = 'ConcretizationError'
}

/** A tracer escaped the transformation that created it and was used after it ended. */
export class TracerLeakError extends Error {
  override readonly name = 'TracerLeakError'
}

/** Differentiation of something that has no derivative (an integer input, an unbounded loop). */
export class NonDifferentiableError extends TypeError {
  override readonly name = 'NonDifferentiableError'
}

/** Two pytrees (arguments, `inAxes`, cotangents) that should have the same structure do not. */
export class TreeMismatchError extends TypeError {
  override readonly name = 'TreeMismatchError'
}

/** An axis out of range, or mapped axes of different sizes. */
export class AxisError extends RangeError {
  override readonly name = 'AxisError'
}

/** Bad values for an operation that are neither shape nor dtype problems (a NaN size, a
 *  non-integer where an integer is required). */
export class ValueError extends TypeError {
  override readonly name = 'ValueError'
}

/** The runtime could not provide the memory an operation needs (an array too large for the
 *  engine or the process's limits). The message names the dtype, shape and bytes requested. */
export class ResourceError extends RangeError {
  override readonly name = 'ResourceError'
}

/** A JS value of the wrong kind where the API needs an array or a list of arguments: a
 *  string operand, a bare Array where `jvp` wants a list of primals, a JS array passed where
 *  the function treats it as an Array. */
export class ArgumentTypeError extends TypeError {
  override readonly name = 'ArgumentTypeError'
}

/** A function given to a transformation returned a Promise: tracing is synchronous, so the
 *  function must compute its result without awaiting. */
export class AsyncFunctionError extends TypeError {
  override readonly name = 'AsyncFunctionError'
}

/** `linearTranspose` of a function that is not linear in its input (a product of two
 *  input-dependent values, a `sin` of the input, …). */
export class NonLinearError extends TypeError {
  override readonly name = 'NonLinearError'
}

/** A `lax.whileLoop` given `{ maxSteps }` needed more steps than that bound at run time. The
 *  bound is what makes the loop reverse-differentiable, so the loop is never cut short. */
export class MaxStepsExceededError extends RangeError {
  override readonly name = 'MaxStepsExceededError'
}

/** An Array used after it was donated to a jitted call (`jit(f, { donateArgnums })`): its
 *  memory may hold a result of that function now, so reading it would give wrong values. */
export class DonatedArrayError extends TypeError {
  override readonly name = 'DonatedArrayError'
}

/** A program that cannot be exported to another engine (leibniz/export): a primitive the
 *  target has no faithful lowering for, or an engine that is not installed. `primitive` names
 *  the refused primitive (null when the problem is not one primitive); `target` is 'onnx' or
 *  'stablehlo'. */
export class ExportError extends TypeError {
  override readonly name = 'ExportError'
  constructor(
    message: string,
    readonly target: 'onnx' | 'stablehlo',
    readonly primitive: string | null = null,
  ) {
    super(message)
  }
}
