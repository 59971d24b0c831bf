/**
 * Backend layer (wasm): strided map kernels. One exported function
 *   run(n0, n1, n, base₀…, s0(base₀), s1(base₀), …)   (all i32)
 * computes every output expression over the box [n0, n1, n]: at point (i0, i1, i) an array
 * operand is read or written at base + delta + i0·s0 + i1·s1 + i·size (strides s0, s1 in
 * bytes, any sign), a `scalar` operand at base + delta + i0·s0 + i1·s1 (one element per row,
 * broadcast along it).
 *
 * Operands are grouped by base pointer: operand q of base b is at b + delta_q (bytes, ≥ 0).
 *
 * This is the elementwise kernel (elementwise.ts) with two outer loops around it, so that a
 * loop kernel over a box of a larger array — the interior of a periodic stencil, an edge
 * column, one tangent plane of a batch — runs as one call on buffers that already live in the
 * kernel's memory, whatever the row length. The inner loop is the same: vectors of lanes
 * (2 float64 / 4 float32), unrolled twice for short expressions, then single elements.
 */
import type { Local } from './encode'
import { type Expr, type FloatDType, canonicalize, checkExprs, exprKey } from './expr'
import { type InputKind, loopIO } from './elementwise'
import { lowerExprs } from './lower'
import { type Arg, Kernel, Simd } from './simd'

/** An operand read or written at a constant byte distance `delta` (≥ 0) from a base pointer. */
export interface StridedAccess {
  readonly base: number
  readonly delta: number
}

export interface StridedSpec {
  readonly dtype: FloatDType
  /** number of base pointers (each with its own outer strides) */
  readonly bases: number
  readonly inputs: readonly (StridedAccess & { readonly kind: InputKind })[]
  readonly outputs: readonly Expr[]
  /** where each output is stored */
  readonly stores: readonly StridedAccess[]
}

export const stridedKey = (spec: StridedSpec): string =>
  `st:${spec.dtype}:${spec.bases}:${spec.inputs.map((i) => `${i.kind === 'array' ? 'a' : 's'}${i.base}+${i.delta}`).join(',')}:` +
  `${spec.stores.map((o) => `${o.base}+${o.delta}`).join(',')}:${exprKey(spec.outputs)}`

/** As elementwise.ts, two copies of a short expression per step give the CPU more to overlap;
 *  but a stencil reads many operands, and above ~32 nodes the second copy costs registers
 *  (measured on W9's Gray–Scott kernels of 40 and 50 nodes: unrolled, 5–30 % slower). */
const UNROLL = 2
const UNROLL_MAX_NODES = 32

/** The module's bytes (export `run`). Operands of one buffer share a base pointer, so a
 *  stencil's shifted loads cost one address computation, not one each. */
export const buildStrided = (spec: StridedSpec, opts: { shared?: boolean } = {}): Uint8Array => {
  checkExprs(spec.outputs, spec.inputs.length, spec.dtype)
  const io = loopIO(spec.dtype)
  const k = new Kernel(opts)
  const B = spec.bases
  const f = k.func('run', Array(3 + 3 * B).fill('i32'))
  const s = new Simd(f, k)
  const [n0, n1, n] = f.params
  const base = f.params.slice(3, 3 + B)
  const st0 = base.map((_, j) => f.params[3 + B + 2 * j])
  const st1 = base.map((_, j) => f.params[3 + B + 2 * j + 1])
  const row = base.map(() => f.local('i32'))
  const i0 = f.local('i32'), i1 = f.local('i32'), off = f.local('i32'), end = f.local('i32'), tail = f.local('i32')
  const scalars = new Map<number, Local>()
  spec.inputs.forEach((x, i) => x.kind === 'scalar' && scalars.set(i, f.local('v128')))
  // byte ends of the vector part and of the row
  f.get(n).i32(-io.lanes).op('i32.and').i32(io.size).op('i32.mul').set(end)
  f.get(n).i32(io.size).op('i32.mul').set(tail)

  // a row's address of each base, plus the offset in the row, computed once per vector
  const at = base.map(() => f.local('i32'))
  const canon = canonicalize(spec.outputs)
  const body = (vector: boolean, unroll: number): void => {
    const used = new Set([...spec.inputs.filter((x) => x.kind === 'array').map((x) => x.base), ...spec.stores.map((o) => o.base)])
    for (const b of used) f.get(row[b]).get(off).op('i32.add').set(at[b])
    const vals: Arg[][] = []
    for (let u = 0; u < unroll; u++) {
      const args: Arg[] = spec.inputs.map((x, i) => {
        if (x.kind === 'scalar') return scalars.get(i) as Local
        f.get(at[x.base]).mem(vector ? 'v128.load' : io.load, x.delta + u * 16)
        return s.pop()
      })
      vals.push(lowerExprs(s, spec.dtype, spec.outputs, args, canon))
    }
    for (let u = 0; u < unroll; u++) {
      vals[u].forEach((v, j) => {
        const o = spec.stores[j]
        f.get(at[o.base])
        s.push(v)
        if (vector) f.mem('v128.store', o.delta + u * 16)
        else f.memLane(io.storeLane, 0, o.delta)
      })
    }
  }
  const inner = (step: number, limit: Local, vector: boolean, unroll = 1): void => {
    f.block().loop()
    f.get(off).i32(step * (unroll - 1)).op('i32.add').get(limit).op('i32.ge_u').brIf(1)
    body(vector, unroll)
    f.get(off).i32(step * unroll).op('i32.add').set(off)
    f.br(0).end().end()
  }
  /** for (i = 0; i < count; i++) { emit() } */
  const counted = (i: Local, count: Local, emit: () => void): void => {
    f.i32(0).set(i)
    f.block().loop()
    f.get(i).get(count).op('i32.ge_s').brIf(1)
    emit()
    f.get(i).i32(1).op('i32.add').set(i)
    f.br(0).end().end()
  }
  counted(i0, n0, () => counted(i1, n1, () => {
    // row pointers: base + i0·s0 + i1·s1
    base.forEach((b, j) => {
      f.get(b).get(i0).get(st0[j]).op('i32.mul').op('i32.add').get(i1).get(st1[j]).op('i32.mul').op('i32.add').set(row[j])
    })
    for (const [i, l] of scalars) { f.get(row[spec.inputs[i].base]).mem(io.splat, spec.inputs[i].delta); f.set(l) }
    f.i32(0).set(off)
    if (canon.unique.length > UNROLL_MAX_NODES) inner(16, end, true)
    else {
      inner(16, end, true, UNROLL)
      inner(16, end, true)
    }
    inner(io.size, tail, false)
  }))
  return k.bytes()
}
