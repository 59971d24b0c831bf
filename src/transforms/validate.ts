/**
 * Transforms: the option objects of the public transformations, as checks. A known key with a
 * wrong type is an error (a ValueError naming the option), unknown keys are ignored.
 */
import { ConcretizationError } from '../core/errors'
import { type OptionCheck, checkOptions, opt } from '../core/validate'
import { avalStr } from '../ir/aval'
import { isTracerLike } from '../primitives/util'

const positiveInt: OptionCheck = { ok: (x) => opt.nonNegInt.ok(x) && (x as number) > 0, expected: 'a positive integer' }

const SPECS = {
  grad: { argnums: opt.intOrInts, hasAux: opt.boolean },
  vjp: { hasAux: opt.boolean },
  jac: { argnums: opt.intOrInts, hasAux: opt.boolean, chunkSize: positiveInt },
  vmap: { axisSize: opt.nonNegInt, chunkSize: positiveInt },
  jit: { staticArgnums: opt.intOrInts, donateArgnums: opt.intOrInts },
} satisfies Record<string, Record<string, OptionCheck>>

/** Check `opts` of the transformation `kind`, called `where` in messages. */
export const checkTransformOptions = (kind: keyof typeof SPECS, opts: unknown, where: string): void =>
  checkOptions(opts, SPECS[kind], where)

/**
 * Run a jit trace; a ConcretizationError raised in it gets the hint JAX users look for: mark
 * configuration arguments as static (`staticArgnums`), besides `lax.cond` / `np.where`.
 */
export const withStaticHint = <T>(trace: () => T, name: string, args: readonly unknown[], statics: ReadonlySet<number>): T => {
  try {
    return trace()
  } catch (e) {
    if (!(e instanceof ConcretizationError) || e.message.includes('staticArgnums')) throw e
    const traced = args.flatMap((a, i) => (statics.has(i) ? [] : [`${i} (${describeArg(a)})`]))
    const err = new ConcretizationError(
      `${e.message} Under jit(${name}), every argument not listed in staticArgnums is traced` +
        `${traced.length > 0 ? ` (here: argument${traced.length > 1 ? 's' : ''} ${traced.join(', ')})` : ''}. ` +
        `If the value is configuration (a loop count, a flag, a shape), pass it as a JS value and mark it static: ` +
        `jit(f, { staticArgnums: [i] }) (each new value traces again); if it is data, use lax.cond / np.where.`,
      { cause: e },
    )
    err.stack = e.stack
    throw err
  }
}

const describeArg = (a: unknown): string =>
  isTracerLike(a) ? avalStr(a.aval) : typeof a === 'number' ? `the number ${a}` : Array.isArray(a) ? 'a list' : typeof a
