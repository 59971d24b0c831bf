/**
 * Transforms: the option objects of the public transformations, as checks. A known key with a
 * wrong type is an error (a ValueError naming the option), unknown keys are ignored.
 */
import { type OptionCheck, checkOptions, opt } from '../core/validate'

const positiveInt: OptionCheck = { ok: (x) => opt.nonNegInt.ok(x) && (x as number) > 0, expected: 'a positive integer' }

const SPECS = {
  grad: { argnums: opt.intOrInts, hasAux: opt.boolean },
  vjp: { hasAux: opt.boolean },
  jac: { argnums: opt.intOrInts, hasAux: opt.boolean, chunkSize: positiveInt },
  vmap: { axisSize: opt.nonNegInt, chunkSize: positiveInt },
  jit: { staticArgnums: opt.intOrInts },
} satisfies Record<string, Record<string, OptionCheck>>

/** Check `opts` of the transformation `kind`, called `where` in messages. */
export const checkTransformOptions = (kind: keyof typeof SPECS, opts: unknown, where: string): void =>
  checkOptions(opts, SPECS[kind], where)
