/**
 * Primitives layer: `cumsum`, the inclusive prefix sum along one axis (`reverse`: the suffix
 * sum). Linear; its transpose is the cumsum running the other way.
 */
import { AxisError, DTypeError } from '../core/errors'
import type { RuleTable } from '../core/rules'
import { isZero } from '../core/rules'
import { type Tracer, bind1 } from '../core/tracer'
import { type ShapedArray, avalStr, shaped, sizeOf } from '../ir/aval'
import { allocate, isBool, isInt } from '../ir/dtypes'
import { linearJvp, makeArray, normAxis } from './util'

type CumsumParams = { readonly axis: number; readonly reverse: boolean }

// ---- wrappers ----------------------------------------------------------------------------

/** Inclusive prefix sums of `x` along `axis` (negative counts from the end); `reverse`: suffix sums. */
export const cumsum = (x: Tracer, axis: number, reverse = false): Tracer =>
  bind1('cumsum', [x], { axis: normAxis(axis, x.ndim, 'cumsum'), reverse })

// ---- abstract eval -----------------------------------------------------------------------

const cumsumAval = (a: ShapedArray, p: CumsumParams): ShapedArray => {
  const ax = normAxis(p.axis, a.shape.length, 'cumsum')
  if (ax !== p.axis) throw new AxisError(`cumsum: axis must be normalized, got ${p.axis} for ${avalStr(a)} (use ${ax})`)
  if (isBool(a.dtype)) throw new DTypeError(`cumsum needs a numeric array, got ${avalStr(a)}; convert bools first (x.astype('int32'))`)
  return shaped(a.shape, a.dtype, a.weakType)
}

// ---- impl --------------------------------------------------------------------------------

/** Running sums along `axis`, viewing x as [outer, n, inner]; float64 accumulation (int32 wraps). */
const cumsumImpl: RuleTable['cumsum']['impl'] = ([x], p) => {
  const out = cumsumAval(x.aval, p)
  const n = x.shape[p.axis]
  const outer = sizeOf(x.shape.slice(0, p.axis))
  const inner = sizeOf(x.shape.slice(p.axis + 1))
  const src = x.data
  const dst = allocate(out.dtype, src.length)
  const int = isInt(x.dtype)
  const acc = int ? new Int32Array(inner) : new Float64Array(inner)
  const [k0, step] = p.reverse ? [n - 1, -1] : [0, 1]
  for (let o = 0; o < outer; o++) {
    acc.fill(0)
    for (let t = 0, k = k0; t < n; t++, k += step) {
      const base = (o * n + k) * inner
      if (int) for (let i = 0; i < inner; i++) dst[base + i] = acc[i] = (acc[i] + src[base + i]) | 0
      else for (let i = 0; i < inner; i++) dst[base + i] = acc[i] += src[base + i]
    }
  }
  return [makeArray(dst, out)]
}

// ---- the rules ---------------------------------------------------------------------------

export const cumsumRules: Pick<RuleTable, 'cumsum'> = {
  cumsum: {
    abstractEval: ([a], p) => [cumsumAval(a, p)],
    impl: cumsumImpl,
    // d cumsum(x) = cumsum(dx)
    jvp: linearJvp('cumsum'),
    // ct_x[i] = Σ_{j ≥ i} ct[j]: the cumsum in the other direction.
    transpose: ([ct], _x, p) => [isZero(ct) ? ct : bind1('cumsum', [ct], { axis: p.axis, reverse: !p.reverse })],
    // The batch axis passes through; the scanned axis shifts past it.
    batch: (_n, [x], [b], p) => {
      const bd = b as number
      return [[bind1('cumsum', [x], { axis: p.axis >= bd ? p.axis + 1 : p.axis, reverse: p.reverse })], [bd]]
    },
  },
}
