/**
 * Export layer: the pytree types of leibniz/export's public signatures — the same types as
 * src/tree/types.ts's `Like`, `ArgsLike` and `Arrays` (type aliases are structural, so they are
 * interchangeable), declared here so that the declaration bundler does not move those of
 * src/tree/types.ts into a chunk shared by two entry points: its namespace re-export of `tree`
 * in the main entry's declarations then mistakes them for values.
 */
import type { Tracer } from '../core/tracer'

type IsAny<T> = 0 extends 1 & T ? true : false
type IsUnknown<T> = IsAny<T> extends true ? false : unknown extends T ? true : false
type Leaf = Tracer | number | boolean

/** A function of pytrees. */
export type ExportableFn = (...args: any[]) => any

/** `T` with a JS number allowed wherever it has an Array (as every transformation accepts). */
export type ExampleLike<T> =
  IsAny<T> extends true ? any
  : T extends Tracer ? Tracer | number
  : T extends (...args: never[]) => unknown ? T
  : T extends readonly unknown[] ? { readonly [K in keyof T]: ExampleLike<T[K]> }
  : T extends object ? { readonly [K in keyof T]: ExampleLike<T[K]> }
  : T

/** The example arguments of a function: each argument `ExampleLike` its parameter. */
export type ExampleArgs<F extends ExportableFn> = { [K in keyof Parameters<F>]: ExampleLike<Parameters<F>[K]> }

/** `T` with every leaf an Array: what an engine returns for a function returning `T`. */
export type ArraysOf<T> =
  IsAny<T> extends true ? any
  : IsUnknown<T> extends true ? unknown
  : T extends Leaf ? Tracer
  : T extends null | undefined ? T
  : T extends (...args: never[]) => unknown ? never
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: ArraysOf<T[K]> }
  : T extends object ? { -readonly [K in keyof T]: ArraysOf<T[K]> }
  : never
