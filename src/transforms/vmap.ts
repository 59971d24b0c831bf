/**
 * Transforms: vmap — map a function over an axis of its arguments, by batching every
 * primitive (no loop over the batch). `chunkSize` evaluates the batch in chunks to bound memory.
 */
import { AxisError } from '../core/errors'
import type { BDim } from '../core/rules'
import type { Tracer } from '../core/tracer'
import { avalStr } from '../ir/aval'
import { vmapFlat } from '../interpret/batch'
import { bind1 } from '../core/tracer'
import { broadcastPrefix, flatten, unflatten } from '../tree/treedef'
import { flattenArrays, flattenFun, requireFunction } from './flat'
import { checkTransformOptions } from './validate'
import type { AnyFn, Arrays } from '../tree/types'

/**
 * Where the batch axis is: an axis number (negative counts from the end), `null` for "not
 * batched", or a pytree prefix of them (a JS array per argument / output, an object per field).
 */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [k: string]: AxisSpec }

/** Options of `vmap`. */
export interface VmapOptions {
  /** The batch axis of each argument (default 0 for every argument); `null` broadcasts it. */
  readonly inAxes?: AxisSpec
  /** Where the batch axis goes in each output (default 0). */
  readonly outAxes?: AxisSpec
  /** Needed when no argument is mapped. */
  readonly axisSize?: number
  /** Evaluate the batch in chunks of this many elements (bounds peak memory). */
  readonly chunkSize?: number
}

const checkAxisSpec = (a: unknown, where: string): void => {
  if (a !== null && (typeof a !== 'number' || !Number.isInteger(a))) {
    throw new AxisError(`${where}: axis entries must be integers or null, got ${JSON.stringify(a)}`)
  }
}

/** Resolve the mapped axis of every leaf, and the common axis size. */
const resolveInAxes = (args: unknown[], flat: readonly Tracer[], opts: VmapOptions): [BDim[], number] => {
  const spec = opts.inAxes === undefined ? 0 : opts.inAxes
  // inAxes is a prefix of the args tuple; a bare number/null applies to every argument.
  const axes = broadcastPrefix<number | null>(
    Array.isArray(spec) ? spec : args.map(() => spec),
    args,
    'vmap inAxes',
    (x) => x === null || typeof x === 'number',
  )
  axes.forEach((a) => checkAxisSpec(a, 'vmap inAxes'))
  // which argument each flat leaf belongs to, for messages
  const owner: number[] = []
  args.forEach((a, i) => flatten(a)[0].forEach(() => owner.push(i)))
  const sizes: [number, number, number][] = []
  const dims = flat.map((x, k) => {
    const a = axes[k]
    if (a === null) return null
    const d = a < 0 ? a + x.ndim : a
    if (d < 0 || d >= x.ndim) {
      throw new AxisError(`vmap: inAxes ${a} is out of range for argument ${owner[k]} of shape ${avalStr(x.aval)} (rank ${x.ndim})`)
    }
    sizes.push([owner[k], x.shape[d], d])
    return d
  })
  let size = opts.axisSize
  if (sizes.length > 0) {
    const s0 = sizes[0][1]
    if (sizes.some(([, s]) => s !== s0) || (size !== undefined && size !== s0)) {
      const desc = sizes.map(([arg, s, d]) => `argument ${arg} axis ${d} has size ${s}`).join('; ')
      throw new AxisError(`vmap: mapped axes must all have the same size${size !== undefined ? ` (axisSize ${size})` : ''}: ${desc}`)
    }
    size = s0
  }
  if (size === undefined) {
    throw new AxisError('vmap: no argument is mapped (all inAxes are null), so pass axisSize to say how many times to map')
  }
  if (!Number.isInteger(size) || size < 0) throw new AxisError(`vmap: axisSize must be a non-negative integer, got ${size}`)
  return [dims, size]
}

/** Slice [lo, hi) of axis `d` (chunking). */
const sliceAxis = (x: Tracer, d: number, lo: number, hi: number): Tracer =>
  bind1('slice', [x], {
    startIndices: x.shape.map((_, i) => (i === d ? lo : 0)),
    limitIndices: x.shape.map((s, i) => (i === d ? hi : s)),
    strides: null,
  })

/**
 * `vmapFlat` in chunks of `chunkSize` along the mapped axis (outputs concatenated back), so
 * peak memory is that of one chunk's intermediates.
 */
export const vmapFlatChunked = (
  f: (...xs: Tracer[]) => readonly Tracer[],
  size: number,
  xs: readonly Tracer[],
  dims: readonly BDim[],
  outDims: (numOuts: number) => readonly BDim[],
  chunkSize?: number,
): Tracer[] => {
  if (chunkSize === undefined || chunkSize >= size || size === 0) return vmapFlat(f, size, xs, dims, outDims)
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new AxisError(`chunkSize must be a positive integer, got ${chunkSize}`)
  const parts: Tracer[][] = []
  let od: readonly BDim[] = []
  for (let lo = 0; lo < size; lo += chunkSize) {
    const hi = Math.min(size, lo + chunkSize)
    const chunk = xs.map((x, k) => (dims[k] === null ? x : sliceAxis(x, dims[k] as number, lo, hi)))
    parts.push(vmapFlat(f, hi - lo, chunk, dims, (n) => (od = outDims(n))))
  }
  return parts[0].map((o, j) => {
    const a = od[j]
    if (a === null) return o
    return bind1('concatenate', parts.map((p) => p[j]), { dimension: a < 0 ? a + o.ndim : a })
  })
}

/**
 * `f` mapped over a batch axis of its arguments: every primitive inside `f` is rewritten to
 * work on the whole batch at once (no loop over the examples). All mapped axes must have the
 * same size; outputs are stacked along `outAxes`. Composes with every other transformation,
 * e.g. `vmap(grad(loss), { inAxes: [null, 0, 0] })` for per-example gradients.
 */
export const vmap =
  <F extends AnyFn>(f: F, opts: VmapOptions = {}) =>
  (...args: Parameters<F>): Arrays<ReturnType<F>> => {
    requireFunction(f, 'vmap')
    checkTransformOptions('vmap', opts, 'vmap')
    const [flat, inTree] = flattenArrays(args, 'vmap arguments')
    const [dims, size] = resolveInAxes(args, flat, opts)
    const { flat: ff, outTree } = flattenFun(f, inTree, 'vmap')
    const outDims = (numOuts: number): BDim[] => {
      const spec = opts.outAxes === undefined ? 0 : opts.outAxes
      const od = broadcastPrefix<number | null>(spec, unflatten(outTree(), Array(numOuts).fill(0)), 'vmap outAxes', (x) => x === null || typeof x === 'number')
      od.forEach((a) => checkAxisSpec(a, 'vmap outAxes'))
      return od
    }
    const outs = vmapFlatChunked(ff, size, flat, dims, outDims, opts.chunkSize)
    return unflatten(outTree(), outs)
  }
