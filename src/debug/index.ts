/**
 * The `debug` namespace: host callbacks from inside transformed code, as JAX's `jax.debug`.
 * `callback(fn, ...args)` calls `fn` with the values of `args` when the program runs — eagerly,
 * inside jit (compiled JS and WebAssembly programs, or the interpreter), in every step of a
 * scan or loop, and once per batch member under vmap — in program order. Callbacks are
 * effects: never removed, merged or folded by the optimizer, and not differentiated (under
 * jvp/grad they see the primal values; tangents and cotangents pass by untouched).
 */
import type { ConcreteArray } from '../core/array'
import { newCallbackParams } from '../core/callbacks'
import { ArgumentTypeError, ValueError } from '../core/errors'
import { show } from '../core/validate'
import { bind } from '../core/tracer'
import { isTracerLike } from '../primitives/util'
import { flattenArrays } from '../transforms/flat'
import { unflatten } from '../tree/treedef'
import type { ArgArrays } from '../tree/types'
import { checkFields, parseFormat, render } from './format'

/**
 * Call `fn(...args)` on the host when the program runs, with `args` as Arrays (same pytree
 * structure). Returns nothing; `fn`'s result is ignored.
 */
export const callback = <A extends unknown[]>(fn: (...args: ArgArrays<A>) => unknown, ...args: A): void => {
  if (typeof fn !== 'function') throw new ArgumentTypeError(`debug.callback: the first argument must be a function, got ${show(fn)}`)
  const [leaves, tree] = flattenArrays(args, 'debug.callback arguments')
  const host = (xs: readonly ConcreteArray[]): void => {
    fn(...unflatten<ArgArrays<A>>(tree, xs))
  }
  bind('debug_callback', leaves, newCallbackParams(host))
}

const isNamedValues = (x: unknown): x is Readonly<Record<string, unknown>> =>
  x !== null && typeof x === 'object' && !Array.isArray(x) && !isTracerLike(x)

/**
 * Print `format` with the values of `args` when the program runs (console.log). Fields are
 * JAX's: `{}` (next positional), `{0}` (by number), `{name}` (named: the last argument is then
 * an object of named values, `debug.print('{x} at {t}', { x, t })`), with an optional `:.3f`,
 * `:.3e` or `:.3g` for the digits. Arrays print as nested lists of numbers.
 */
export const print = (format: string, ...args: readonly unknown[]): void => {
  if (typeof format !== 'string') throw new ArgumentTypeError(`debug.print: the format must be a string, got ${show(format)}`)
  const pieces = parseFormat(format)
  const wantsNames = pieces.some((p) => p.kind === 'field' && typeof p.key === 'string')
  const last = args[args.length - 1]
  if (wantsNames && !isNamedValues(last)) {
    throw new ValueError(`debug.print: the format has named fields, so the last argument must be an object of named values such as { x }, got ${show(last)}`)
  }
  const positional = wantsNames ? args.slice(0, -1) : args
  const named = wantsNames ? (last as Readonly<Record<string, unknown>>) : {}
  checkFields(pieces, positional.length, Object.keys(named))
  callback((pos: readonly unknown[], nm: Readonly<Record<string, unknown>>) => {
    console.log(render(pieces, pos, nm))
  }, positional, named)
}
