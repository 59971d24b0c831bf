/**
 * Backend layer (wasm): large reductions as a fixed tree of chunks, the same on one thread and
 * on many, so that a threaded reduction gives the one-thread bits.
 *
 * A reduction [outer, red, inner] whose slab `red·inner` is large is cut along `red` into
 * `count` chunks of `rows` rows (the last one shorter). The cut depends on `red` and `inner`
 * only — never on the thread count. Each chunk runs the kernel's `partial` form (reduce.ts:
 * float64 accumulators for sums, the dtype for max/min) into a scratch row, and the chunks of
 * each output are combined here, left to right in chunk order:
 *
 *   out[o, j] = epilogue( ((acc[o,0,j] ⊕ acc[o,1,j]) ⊕ acc[o,2,j]) ⊕ … )
 *
 * where ⊕ is float64 `+` (then one rounding to float32 for a float32 sum), or `Math.max` /
 * `Math.min` (NaN wins, −0 < +0: wasm's f32x4/f64x2 max/min). Who computed which chunk does
 * not enter, so 1 and N threads agree bit for bit.
 *
 * Accuracy: within a chunk the kernel's bound holds (reduce.ts header, with `rows` for `red`);
 * the combination adds `count − 1 ≤ MAX_CHUNKS` sequential float64 additions, so a float64 sum
 * along the lanes obeys |err| ≤ (BLOCK/4 + red/BLOCK + MAX_CHUNKS + 2)·2⁻⁵³·Σ|vᵢ|, and a column
 * sum (inner > 1) |err| ≤ (rows + count)·2⁻⁵³·Σ|vᵢ| — both at most the unsplit bounds plus 66.
 */
import type { Arena } from './arena'
import { BLOCK, type ReduceSpec } from './reduce'

/** Slab size (red·inner elements) from which a reduction is cut into chunks (2·CHUNK_WORK). */
export const CHUNK_WORK = 2 ** 16
/** At most this many chunks per output row: bounds the scratch and the combination. */
export const MAX_CHUNKS = 64

export interface ReduceChunks {
  /** Chunks along `red` (1: the reduction runs whole). */
  readonly count: number
  /** Rows of `red` per chunk (the last chunk has `red − (count − 1)·rows`). */
  readonly rows: number
}

/**
 * The cut of a reduction with `red` reduced rows of `inner` columns. Chunks hold at least
 * CHUNK_WORK elements and 16 rows (so the combination costs at most 1/16 of the reduction);
 * along the lanes (inner = 1) they are whole blocks of BLOCK elements.
 */
export const reduceChunks = (red: number, inner: number): ReduceChunks => {
  const n = Math.min(MAX_CHUNKS, Math.floor((red * inner) / CHUNK_WORK), Math.floor(red / 16))
  if (n < 2) return { count: 1, rows: red }
  const rows = inner === 1 ? Math.ceil(red / n / BLOCK) * BLOCK : Math.ceil(red / n)
  return { count: Math.ceil(red / rows), rows }
}

/** Byte size of one partial accumulator. */
export const accBytes = (spec: ReduceSpec): number => (spec.op === 'sum' || spec.dtype === 'float64' ? 8 : 4)

/**
 * The partial-kernel calls of a chunked reduction, in chunk order, each
 * `[1, rows, inner, ...inputs, acc]` with acc at `scratch + ((o·count + c)·inner)·accBytes`.
 */
export const chunkCalls = (spec: ReduceSpec, chunks: ReduceChunks, outer: number, red: number, inner: number,
  inputs: readonly number[], scratch: number): number[][] => {
  const size = spec.dtype === 'float32' ? 4 : 8
  const acc = accBytes(spec)
  const calls: number[][] = []
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < chunks.count; c++) {
      const lo = c * chunks.rows, rows = Math.min(chunks.rows, red - lo)
      const at = (o * red + lo) * inner * size
      calls.push([1, rows, inner, ...inputs.map((p, i) => (spec.inputs[i] === 'array' ? p + at : p)), scratch + (o * chunks.count + c) * inner * acc])
    }
  }
  return calls
}

/** Combines the chunk accumulators in `scratch` into `out` ([outer, inner], the dtype), in chunk
 *  order (the header's formula, without the epilogue). */
export const combineChunks = (arena: Arena, spec: ReduceSpec, count: number, outer: number, inner: number, scratch: number, out: number): void => {
  const m = outer * inner
  const acc = accBytes(spec) === 8 ? arena.f64(scratch, m * count) : arena.f32(scratch, m * count)
  const dst = spec.dtype === 'float32' ? arena.f32(out, m) : arena.f64(out, m)
  const op = spec.op
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = o * count * inner + j
      let v = acc[at]
      for (let c = 1; c < count; c++) {
        const w = acc[at + c * inner]
        v = op === 'sum' ? v + w : op === 'max' ? Math.max(v, w) : Math.min(v, w)
      }
      dst[o * inner + j] = v // a Float32Array store rounds once
    }
  }
}
