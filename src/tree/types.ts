/**
 * Pytree types: what the transformations return, computed from the types of their inputs.
 *
 * The math they mirror. A function f: X → Y between pytrees of arrays has
 *   - tangents (jvp, linearize) in T_x X ≅ X and T_y Y ≅ Y: a tangent has the structure of
 *     its primal, every leaf an Array (a JS number leaf is a weakly typed 0-d Array);
 *   - cotangents (vjp, grad) in the dual spaces X*, Y*, which for arrays are again X, Y: the
 *     gradient of a scalar f has the structure of the differentiated argument;
 *   - a Jacobian ∂f/∂x ∈ L(X, Y): per (output leaf j, input leaf i) a block of shape
 *     `out_j.shape ++ in_i.shape`, nested as the output's tree of input trees (JAX's layout);
 *     the Hessian is the Jacobian of the Jacobian: Y's tree of X's tree of X's tree.
 * `Arrays<T>` is "T with every leaf an Array"; `Jacobian<Y, X>` puts a copy of `Arrays<X>` at
 * every leaf of Y. Types a pytree cannot have (functions, strings as differentiable leaves)
 * map to `never`, so misuse surfaces where it is written. An `any` tree stays `any` and an
 * `unknown` tree stays `unknown` (its leaves, which could be anything, are `any`).
 */
import type { ShapedArray } from '../ir/aval'
import type { Tracer } from '../core/tracer'

/** `true` when T is `any`: `1 & T` is `1` or `never` for every other T, so `0` fits it only then. */
type IsAny<T> = 0 extends 1 & T ? true : false

/** `true` when T is `unknown` (an untyped tree: its transforms are untyped too). */
type IsUnknown<T> = IsAny<T> extends true ? false : unknown extends T ? true : false

/** A leaf of a pytree as transformations read it: an Array, or a JS number or boolean. */
export type ArrayLeaf = Tracer | number | boolean

/**
 * A pytree with every leaf an Array: what a transformation returns for a tree `T` (its
 * output, a tangent or cotangent of it). Keys, tuple positions and `null` / `undefined`
 * nodes are kept; number and boolean leaves become Arrays.
 */
export type Arrays<T> =
  IsAny<T> extends true ? any
  : IsUnknown<T> extends true ? unknown
  : T extends ArrayLeaf ? Tracer
  : T extends null | undefined ? T
  : T extends (...args: never[]) => unknown ? never
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Arrays<T[K]> }
  : T extends object ? { -readonly [K in keyof T]: Arrays<T[K]> }
  : never

/**
 * What a transformation accepts where `T` is expected: the same tree, with a JS number
 * allowed wherever `T` has an Array (it becomes a weakly typed 0-d Array).
 */
export type Like<T> =
  IsAny<T> extends true ? any
  : T extends Tracer ? Tracer | number
  : T extends (...args: never[]) => unknown ? T
  : T extends readonly unknown[] ? { readonly [K in keyof T]: Like<T[K]> }
  : T extends object ? { readonly [K in keyof T]: Like<T[K]> }
  : T

/** An argument list (a tuple) as `Like` accepts it: each argument `Like` its parameter. */
export type ArgsLike<P extends readonly unknown[]> = { [K in keyof P]: Like<P[K]> }

/** An argument list with every leaf an Array (the cotangents `vjp`'s pullback returns). */
export type ArgArrays<P extends readonly unknown[]> = { -readonly [K in keyof P]: Arrays<P[K]> }

/** Tangents (or cotangents) for an argument list: each argument's structure, leaves Arrays or numbers. */
export type TangentsLike<P extends readonly unknown[]> = { [K in keyof P]: Like<Arrays<P[K]>> }

/** Taylor series for an argument list (`jet`): per argument, a list of K terms, each with
 *  that argument's structure (leaves Arrays or numbers). */
export type SeriesLike<P extends readonly unknown[]> = { [K in keyof P]: ReadonlyArray<Like<Arrays<P[K]>>> }

/** The argument(s) selected by `argnums` from the parameter list `P`: `P[0]` by default,
 *  `P[n]` for a number, the tuple of them for a tuple of numbers. */
export type Selected<P extends readonly unknown[], A> =
  A extends undefined ? P[0]
  : A extends number ? P[A]
  : A extends readonly number[] ? { -readonly [K in keyof A]: P[A[K] & number] }
  : never

/** The gradient (cotangent) of `f`'s differentiated argument(s): `Arrays` of the selection. */
export type GradOf<P extends readonly unknown[], A> = Arrays<Selected<P, A>>

/**
 * The Jacobian of an output tree `Y` with respect to an input tree `X`: `Y`'s structure with,
 * at each leaf, `X`'s structure of Arrays (block shapes `out.shape ++ in.shape`).
 */
export type Jacobian<Y, X> =
  IsAny<Y> extends true ? any
  : IsUnknown<Y> extends true ? unknown
  : Y extends ArrayLeaf ? Arrays<X>
  : Y extends null | undefined ? Y
  : Y extends (...args: never[]) => unknown ? never
  : Y extends readonly unknown[] ? { -readonly [K in keyof Y]: Jacobian<Y[K], X> }
  : Y extends object ? { -readonly [K in keyof Y]: Jacobian<Y[K], X> }
  : never

/** A tree of output shapes and dtypes (`evalShape`): `T` with every leaf a `ShapedArray`. */
export type Shapes<T> =
  IsAny<T> extends true ? any
  : IsUnknown<T> extends true ? unknown
  : T extends ArrayLeaf ? ShapedArray
  : T extends null | undefined ? T
  : T extends (...args: never[]) => unknown ? never
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Shapes<T[K]> }
  : T extends object ? { -readonly [K in keyof T]: Shapes<T[K]> }
  : never

/** A JS value the pytree functions treat as a leaf (anything but arrays, plain objects and null / undefined). */
type TreeLeaf = Tracer | number | boolean | string | bigint | symbol | ((...args: never[]) => unknown)

/** The union of the leaf types of a pytree `T`. */
export type LeafOf<T> =
  IsAny<T> extends true ? any
  : IsUnknown<T> extends true ? any
  : T extends null | undefined ? never
  : T extends TreeLeaf ? T
  : T extends readonly (infer E)[] ? LeafOf<E>
  : T extends object ? LeafOf<T[keyof T]>
  : T

/** `T` with every leaf replaced by `R` (`tree.map`'s result). */
export type MapLeaves<T, R> =
  IsAny<T> extends true ? any
  : IsUnknown<T> extends true ? unknown
  : T extends null | undefined ? T
  : T extends TreeLeaf ? R
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: MapLeaves<T[K], R> }
  : T extends object ? { -readonly [K in keyof T]: MapLeaves<T[K], R> }
  : R

/** A function of pytrees (the argument of every transformation). */
export type AnyFn = (...args: any[]) => any

/** A scalar-valued function (what `grad` differentiates): it returns an Array or a number. */
export type ScalarFn = (...args: any[]) => Tracer | number

/** A function returning `[output, aux]` (the `hasAux` form). */
export type AuxFn<Out = unknown> = (...args: any[]) => readonly [Out, unknown]
