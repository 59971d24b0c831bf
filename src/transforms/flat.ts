/**
 * Transforms: pytree plumbing shared by every public transformation — flatten arguments to a
 * list of arrays, run a function on flat lists, and rebuild the output tree.
 */
import { scalar } from '../core/array'
import { ArgumentTypeError, DTypeError, ShapeError, TreeMismatchError, ValueError } from '../core/errors'
import { requireSync } from '../core/validate'
import type { Tracer } from '../core/tracer'
import { type ShapedArray, avalStr } from '../ir/aval'
import { isFloat } from '../ir/dtypes'
import { describe, isTracerLike } from '../primitives/util'
import { type TreeDef, flatten, treedefEq, treedefStr, unflatten } from '../tree/treedef'

/** A leaf at a transformation boundary: an Array, or a JS number (a weakly typed float64). */
export const leafToArray = (x: unknown, where: string): Tracer => {
  if (isTracerLike(x)) return x
  if (typeof x === 'number') return scalar(x, 'float64', true)
  if (typeof x === 'boolean') return scalar(x)
  requireSync(x, where)
  throw new ArgumentTypeError(`${where}: expected an Array or a JS number as a leaf, got ${describe(x)}. Wrap data with np.array(...).`)
}

export const flattenArrays = (tree: unknown, where: string): [Tracer[], TreeDef] => {
  const [leaves, def] = flatten(tree)
  return [leaves.map((l) => leafToArray(l, where)), def]
}

/** A function on pytrees as a function on flat lists; `outTree()` is known after a call. */
export const flattenFun = (
  f: (...args: any[]) => unknown,
  inTree: TreeDef,
  where: string,
): { flat: (...xs: Tracer[]) => Tracer[]; outTree: () => TreeDef } => {
  let out: TreeDef | undefined
  return {
    flat: (...xs) => {
      const args = unflatten<unknown[]>(inTree, xs)
      const [leaves, def] = flattenArrays(requireSync(callUser(f, args, where), where), `${where} (output)`)
      out = def
      return leaves
    },
    outTree: () => {
      if (out === undefined) throw new Error('internal: output tree requested before the function ran')
      return out
    },
  }
}

/**
 * A JS array of numbers is a pytree (a list of scalars), as a Python list is in JAX, so
 * `grad(f)([1, 2, 3])` calls `f` with a JS array of three 0-d Arrays. When `f` then treats it as
 * one Array (`x.mul is not a function`), say so and how to pass one array instead.
 */
export const callUser = (f: (...args: any[]) => unknown, args: readonly unknown[], where: string): unknown => {
  try {
    return f(...args)
  } catch (e) {
    if (!(e instanceof TypeError) || e.constructor !== TypeError) throw e
    const i = args.findIndex(isListOfScalars)
    if (i < 0) throw e
    throw new ArgumentTypeError(
      `${where}: argument ${i} is a JS array of ${(args[i] as unknown[]).length} number(s), which transformations ` +
        `treat as a pytree (a list of separate scalars), not as one Array; the function then failed with ` +
        `"${e.message}". To pass one array, wrap the data with np.array([...]).`,
      { cause: e },
    )
  }
}

const isListOfScalars = (x: unknown): boolean =>
  Array.isArray(x) && x.length > 0 && x.every((y) => (isTracerLike(y) && y.ndim === 0) || isListOfScalars(y))

export const checkSameTree = (a: TreeDef, b: TreeDef, what: string): void => {
  if (!treedefEq(a, b)) throw new TreeMismatchError(`${what}: expected structure ${treedefStr(a)}, got ${treedefStr(b)}`)
}

/** Tangents and cotangents must have their primal's shape and dtype. */
export const checkTangentAvals = (primals: readonly ShapedArray[], tangents: readonly ShapedArray[], what: string): void => {
  primals.forEach((p, i) => {
    const t = tangents[i]
    if (p.shape.join() === t.shape.join() && isFloat(p.dtype) && p.dtype !== t.dtype) {
      throw new DTypeError(`${what}: leaf ${i} is ${avalStr(t)} but its primal is ${avalStr(p)}; give it the primal's dtype (.astype('${p.dtype}'))`)
    }
    if (p.shape.join() !== t.shape.join()) {
      throw new ShapeError(`${what}: leaf ${i} is ${avalStr(t)} but its primal is ${avalStr(p)}; they must match`)
    }
  })
}

/** Normalize `argnums` and check the chosen arguments are float arrays. */
export const selectArgnums = (argnums: number | readonly number[], nargs: number, where: string): number[] => {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums]
  for (const a of list) {
    if (!Number.isInteger(a) || a < -nargs || a >= nargs) {
      throw new TypeError(`${where}: argnums ${JSON.stringify(argnums)} out of range for a call with ${nargs} argument(s)`)
    }
  }
  const out = list.map((a) => (a < 0 ? a + nargs : a))
  // As in JAX: one argument listed twice would get its gradient once and zeros the other time.
  const dup = out.find((a, k) => out.indexOf(a) !== k)
  if (dup !== undefined) {
    throw new ValueError(`${where}: argnums ${JSON.stringify(argnums)} names argument ${dup} more than once; list each argument once`)
  }
  return out
}

export const requireFloatInputs = (xs: readonly Tracer[], argIndex: number, where: string): void => {
  for (const x of xs) {
    if (!isFloat(x.dtype)) {
      throw new DTypeError(
        `${where}: argument ${argIndex} is ${avalStr(x.aval)}; differentiation needs float inputs. ` +
          `Convert it (x.astype('float64')), or move it out of argnums.`,
      )
    }
  }
}

/**
 * `jvp(f, primals, tangents)` and friends take argument lists (JAX's tuples): `[x]` for one
 * argument. A bare Array or number there is the usual slip; name it and show the fix.
 */
export const requireArgList = (x: unknown, name: string, where: string): void => {
  if (Array.isArray(x)) return
  const got = isTracerLike(x) ? `an Array ${avalStr(x.aval)}` : describe(x)
  throw new ArgumentTypeError(
    `${where}: ${name} must be a list (a JS array) with one entry per argument of the function, got ${got}. ` +
      `Wrap it: ${where}(f, [x]${where === 'jvp' || where === 'hvp' ? ', [t]' : ''}) for a function of one argument.`,
  )
}

/** Transformations take a function first; say so plainly when they get something else. */
export const requireFunction = (f: unknown, where: string): void => {
  if (typeof f !== 'function') {
    throw new TypeError(`${where}: expected a function as the first argument, got ${describe(f)}. Usage: ${where}(f)(...args)`)
  }
}
