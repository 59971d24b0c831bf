/**
 * Backend layer (wasm): strided map kernels. One exported function
 *   run(n0, n1, n, in₀…, out₀…, s0(in₀), s1(in₀), …, s0(out₀), s1(out₀), …)   (all i32)
 * computes every output expression over the box [n0, n1, n]: at point (i0, i1, i) an array
 * operand is read or written at ptr + i0·s0 + i1·s1 + i·size (strides s0, s1 in bytes, any
 * sign), a `scalar` operand at ptr + i0·s0 + i1·s1 (one element per row, broadcast along it).
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

export interface StridedSpec {
  readonly dtype: FloatDType
  readonly inputs: readonly InputKind[]
  readonly outputs: readonly Expr[]
}

export const stridedKey = (spec: StridedSpec): string =>
  `st:${spec.dtype}:${spec.inputs.map((k) => (k === 'array' ? 'a' : 's')).join('')}:${exprKey(spec.outputs)}`

/** As elementwise.ts: two copies of a short expression per step give the CPU more to overlap. */
const UNROLL = 2
const UNROLL_MAX_NODES = 48

/** The module's bytes (export `run`). */
export const buildStrided = (spec: StridedSpec, opts: { shared?: boolean } = {}): Uint8Array => {
  checkExprs(spec.outputs, spec.inputs.length, spec.dtype)
  const io = loopIO(spec.dtype)
  const k = new Kernel(opts)
  const nIn = spec.inputs.length
  const nOut = spec.outputs.length
  const nPtr = nIn + nOut
  const f = k.func('run', Array(3 + 3 * nPtr).fill('i32'))
  const s = new Simd(f, k)
  const [n0, n1, n] = f.params
  const base = f.params.slice(3, 3 + nPtr)
  const st0 = base.map((_, j) => f.params[3 + nPtr + 2 * j])
  const st1 = base.map((_, j) => f.params[3 + nPtr + 2 * j + 1])
  const row = base.map(() => f.local('i32'))
  const i0 = f.local('i32'), i1 = f.local('i32'), off = f.local('i32'), end = f.local('i32'), tail = f.local('i32')
  const scalars = new Map<number, Local>()
  spec.inputs.forEach((kind, i) => kind === 'scalar' && scalars.set(i, f.local('v128')))
  // byte ends of the vector part and of the row
  f.get(n).i32(-io.lanes).op('i32.and').i32(io.size).op('i32.mul').set(end)
  f.get(n).i32(io.size).op('i32.mul').set(tail)

  const body = (vector: boolean, unroll: number): void => {
    const vals: Arg[][] = []
    for (let u = 0; u < unroll; u++) {
      const args: Arg[] = spec.inputs.map((kind, i) => {
        if (kind === 'scalar') return scalars.get(i) as Local
        f.get(row[i]).get(off).op('i32.add').mem(vector ? 'v128.load' : io.load, u * 16)
        return s.pop()
      })
      vals.push(lowerExprs(s, spec.dtype, spec.outputs, args))
    }
    for (let u = 0; u < unroll; u++) {
      vals[u].forEach((v, j) => {
        f.get(row[nIn + j]).get(off).op('i32.add')
        s.push(v)
        if (vector) f.mem('v128.store', u * 16)
        else f.memLane(io.storeLane, 0)
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
    for (const [i, l] of scalars) { f.get(row[i]).mem(io.splat); f.set(l) }
    f.i32(0).set(off)
    if (canonicalize(spec.outputs).unique.length > UNROLL_MAX_NODES) inner(16, end, true)
    else {
      inner(16, end, true, UNROLL)
      inner(16, end, true)
    }
    inner(io.size, tail, false)
  }))
  return k.bytes()
}
