/**
 * Backend layer (wasm): register-blocked matrix multiply.
 *
 *   run(m, k, n, a, lda, b, ldb, c, ldc, scratch)    C[m×n] = op(A)·op(B), C overwritten
 *     op(A) = A [m×k], or Aᵀ with A stored [k×m] (transA);
 *     op(B) = B [k×n], or Bᵀ with B stored [n×k] (transB: first copied transposed into
 *     scratch, so the inner loop always reads rows of a [k×n] matrix).
 *   All row-major; lda, ldb, ldc are the row strides of the stored matrices in elements
 *   (k or m, n or k, n when contiguous), so a kernel can work on a block of rows.
 *
 * The micro-kernel keeps an MR × (NV·lanes) tile of C in registers: per step of the k loop it
 * loads NV vectors of a row of B and MR elements of A (each splat across lanes) and does
 * MR·NV multiply-adds (wasm has no fused multiply-add, so a multiply and an add, each
 * rounded: the result is the sequential Σₚ a·b in the kernel's precision, p = 0, 1, …).
 * The driver walks column panels of NV·lanes: each k × panel slice of B is first copied to
 * contiguous scratch (`packB`), so it stays in L1 — one TLB page for many rows — while every
 * row block of A passes over it; then the leftover whole vectors, then the last n mod lanes
 * columns with lane loads and stores (never touching memory past a matrix). Edge tiles use
 * smaller generated micro-kernels, one wasm function each.
 * `scratch` must hold `matmulScratch(spec, k, n)` elements (WasmKernels.matmul lends it).
 */
import type { FuncRef, FunctionBuilder, Local } from './encode'
import type { FloatDType } from './expr'
import { Kernel, Simd } from './simd'

export interface MatmulSpec {
  readonly dtype: FloatDType
  readonly transA?: boolean
  readonly transB?: boolean
  /** Rows of the register tile (default 5). */
  readonly mr?: number
  /** Vectors per row of the register tile (default 2). */
  readonly nv?: number
  /** Copy each k × nv·lanes panel of B to contiguous scratch before using it (default true). */
  readonly packB?: boolean
}

/** Default tile: 5 rows × 2 vectors = 10 accumulators, which with the B vectors, the A splat
 *  and a product stays within the 15 SIMD registers V8 allocates on x64 (measured best of
 *  4×2, 5×2, 3×3, 2×4, 6×2 on BENCH W3's shapes with bench/tune_matmul.ts, by a small margin). */
const DEFAULT_MR = 5, DEFAULT_NV = 2

export const matmulKey = (spec: MatmulSpec): string =>
  `mm:${spec.dtype}:${spec.transA ? 't' : 'n'}${spec.transB ? 't' : 'n'}:${spec.mr ?? DEFAULT_MR}x${spec.nv ?? DEFAULT_NV}${spec.packB === false ? ':direct' : ''}`

interface Tile { readonly mr: number; readonly nv: number; readonly tail: number } // tail: columns in a partial vector (then nv = 0)

/**
 * micro(aPtr, bPtr, cPtr, k, sA, ldb, ldc): C tile = Σₚ A[·, p]·B[p, ·].
 * A element (i, p) at aPtr + i·sA + p·size (rows apart by sA) — or, with transA, at
 * aPtr + p·sA + i·size. B row p at bPtr + p·ldb; C row i at cPtr + i·ldc.
 */
const micro = (kern: Kernel, dtype: FloatDType, transA: boolean, t: Tile): FuncRef => {
  const [ref, f] = kern.module.func(['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [])
  const s = new Simd(f, kern)
  const [aPtr, bPtr, cPtr, k, sA, ldb, ldc] = f.params
  const f32 = dtype === 'float32'
  const size = f32 ? 4 : 8
  const V = f32 ? 'f32x4' : 'f64x2'
  const splat = f32 ? 'v128.load32_splat' : 'v128.load64_splat'
  const nvec = t.tail > 0 ? 1 : t.nv
  const acc: Local[][] = Array.from({ length: t.mr }, () => Array.from({ length: nvec }, () => s.copy({ kind: V, v: 0 })))
  // row pointers of A (normal layout), or one pointer walking p (transA)
  const rows: Local[] = transA ? [f.local('i32')] : Array.from({ length: t.mr }, () => f.local('i32'))
  if (transA) f.get(aPtr).set(rows[0])
  else rows.forEach((r, i) => { f.get(aPtr).get(sA).i32(i).op('i32.mul').op('i32.add').set(r) })
  const pb = f.local('i32'), p = f.local('i32')
  f.get(bPtr).set(pb)
  f.get(k).set(p)
  f.block().get(p).op('i32.eqz').brIf(0).loop()
  // B vectors of row p
  const bv: Local[] = []
  if (t.tail > 0) {
    f.get(pb).mem(f32 ? 'v128.load32_zero' : 'v128.load64_zero')
    const v = s.pop()
    for (let l = 1; l < t.tail; l++) { f.get(pb).get(v).memLane('v128.load32_lane', l, l * size).set(v) }
    bv.push(v)
  } else {
    for (let v = 0; v < nvec; v++) { f.get(pb).mem('v128.load', v * 16); bv.push(s.pop()) }
  }
  for (let i = 0; i < t.mr; i++) {
    if (transA) f.get(rows[0]).mem(splat, i * size)
    else f.get(rows[i]).mem(splat)
    const a = s.pop()
    for (let v = 0; v < nvec; v++) s.assign(acc[i][v], s.op(`${V}.add`, acc[i][v], s.op(`${V}.mul`, a, bv[v])))
  }
  if (transA) f.get(rows[0]).get(sA).op('i32.add').set(rows[0])
  else for (const r of rows) f.get(r).i32(size).op('i32.add').set(r)
  f.get(pb).get(ldb).op('i32.add').set(pb)
  f.get(p).i32(1).op('i32.sub').tee(p).brIf(0)
  f.end().end()
  // store the tile
  for (let i = 0; i < t.mr; i++) {
    const row = (): FunctionBuilder => f.get(cPtr).get(ldc).i32(i).op('i32.mul').op('i32.add')
    if (t.tail > 0) {
      for (let l = 0; l < t.tail; l++) { row(); f.get(acc[i][0]).memLane(f32 ? 'v128.store32_lane' : 'v128.store64_lane', l, l * size) }
    } else {
      for (let v = 0; v < nvec; v++) { row(); f.get(acc[i][v]).mem('v128.store', v * 16) }
    }
  }
  return ref
}

export const buildMatmul = (spec: MatmulSpec, opts: { shared?: boolean } = {}): Uint8Array => {
  const { dtype } = spec
  const transA = spec.transA ?? false
  const MR = spec.mr ?? DEFAULT_MR, NV = spec.nv ?? DEFAULT_NV
  const packB = spec.packB ?? true
  if (!(Number.isInteger(MR) && MR >= 1 && MR <= 8 && Number.isInteger(NV) && NV >= 1 && NV <= 4)) {
    throw new RangeError(`matmul kernel: tile ${MR}×${NV} out of range (mr 1..8, nv 1..4)`)
  }
  const f32 = dtype === 'float32'
  const size = f32 ? 4 : 8
  const L = f32 ? 4 : 2
  const kern = new Kernel(opts)
  const f = kern.func('run', Array(10).fill('i32'))
  const [m, k, n, a, lda, b0, ldb0, c, ldc0, scratch] = f.params
  // strides in bytes
  const sA = f.local('i32'), ldb = f.local('i32'), ldc = f.local('i32'), b = f.local('i32')
  f.get(lda).i32(size).op('i32.mul').set(sA)
  f.get(ldc0).i32(size).op('i32.mul').set(ldc)
  f.get(ldb0).i32(size).op('i32.mul').set(ldb)
  f.get(b0).set(b)
  if (spec.transB) {
    // scratch[p, j] = B[j, p]  (B is n×k, rows ldb apart); then B is scratch, rows n apart
    const j = f.local('i32'), p = f.local('i32'), src = f.local('i32'), dst = f.local('i32')
    f.i32(0).set(j).block().loop().get(j).get(n).op('i32.ge_u').brIf(1)
    f.get(b0).get(j).get(ldb).op('i32.mul').op('i32.add').set(src)
    f.get(scratch).get(j).i32(size).op('i32.mul').op('i32.add').set(dst)
    f.i32(0).set(p).block().loop().get(p).get(k).op('i32.ge_u').brIf(1)
    f.get(dst).get(src).mem(f32 ? 'f32.load' : 'f64.load').mem(f32 ? 'f32.store' : 'f64.store')
    f.get(src).i32(size).op('i32.add').set(src)
    f.get(dst).get(n).i32(size).op('i32.mul').op('i32.add').set(dst)
    f.get(p).i32(1).op('i32.add').set(p).br(0).end().end()
    f.get(j).i32(1).op('i32.add').set(j).br(0).end().end()
    f.get(scratch).set(b)
    f.get(n).i32(size).op('i32.mul').set(ldb)
  }
  const panel = f.local('i32')
  f.get(scratch)
  if (spec.transB) f.get(k).get(n).op('i32.mul').i32(size).op('i32.mul').op('i32.add')
  f.set(panel)
  const kernels = new Map<string, FuncRef>()
  const tile = (t: Tile): FuncRef => {
    const key = `${t.mr}/${t.nv}/${t.tail}`
    let r = kernels.get(key)
    if (r === undefined) { r = micro(kern, dtype, transA, t); kernels.set(key, r) }
    return r
  }
  const i0 = f.local('i32'), j0 = f.local('i32')
  /** For each row block, call the tile kernel of width (nv, tail) at column j0. */
  const rowBlocks = (nv: number, tail: number, packed = false): void => {
    f.i32(0).set(i0)
    f.block().loop()
    f.get(i0).get(m).op('i32.ge_u').brIf(1)
    const call = (mr: number): void => {
      // a + i0·(row stride) ; with transA the rows are columns of storage: a + i0·size
      f.get(a).get(i0)
      if (transA) f.i32(size).op('i32.mul')
      else f.get(sA).op('i32.mul')
      f.op('i32.add')
      if (packed) f.get(panel)
      else f.get(b).get(j0).i32(size).op('i32.mul').op('i32.add')
      f.get(c).get(i0).get(ldc).op('i32.mul').op('i32.add').get(j0).i32(size).op('i32.mul').op('i32.add')
      f.get(k).get(sA)
      if (packed) f.i32(NV * 16)
      else f.get(ldb)
      f.get(ldc).call(tile({ mr, nv, tail }))
    }
    // full row blocks, then one call for the leftover rows
    f.get(m).get(i0).op('i32.sub').i32(MR).op('i32.ge_u').if()
    call(MR)
    f.get(i0).i32(MR).op('i32.add').set(i0)
    f.br(1)
    f.end()
    for (let mr = 1; mr < MR; mr++) {
      f.get(m).get(i0).op('i32.sub').i32(mr).op('i32.eq').if()
      call(mr)
      f.end()
    }
    f.end().end()
  }
  // column panels of NV vectors
  f.i32(0).set(j0)
  f.block().loop()
  f.get(j0).i32(NV * L).op('i32.add').get(n).op('i32.gt_u').brIf(1)
  // copy the k × NV·L panel of B to contiguous scratch: every row block then streams it
  // from L1 without a TLB miss per row
  if (packB) {
    const pp = f.local('i32'), src = f.local('i32'), dst = f.local('i32')
    f.get(b).get(j0).i32(size).op('i32.mul').op('i32.add').set(src)
    f.get(panel).set(dst)
    f.i32(0).set(pp).block().loop().get(pp).get(k).op('i32.ge_u').brIf(1)
    for (let v = 0; v < NV; v++) f.get(dst).get(src).mem('v128.load', v * 16).mem('v128.store', v * 16)
    f.get(src).get(ldb).op('i32.add').set(src)
    f.get(dst).i32(NV * 16).op('i32.add').set(dst)
    f.get(pp).i32(1).op('i32.add').set(pp).br(0).end().end()
  }
  rowBlocks(NV, 0, packB)
  f.get(j0).i32(NV * L).op('i32.add').set(j0)
  f.br(0).end().end()
  // leftover whole vectors (fewer than NV), then the last n mod L columns
  for (let nv = NV - 1; nv >= 1; nv--) {
    f.get(n).get(j0).op('i32.sub').i32(nv * L).op('i32.ge_u').if()
    rowBlocks(nv, 0)
    f.get(j0).i32(nv * L).op('i32.add').set(j0)
    f.end()
  }
  for (let tail = 1; tail < L; tail++) {
    f.get(n).get(j0).op('i32.sub').i32(tail).op('i32.eq').if()
    rowBlocks(0, tail)
    f.end()
  }
  return kern.bytes()
}

/** Elements of scratch one call needs: Bᵀ copied row-major (transB), and one panel of B. */
export const matmulScratch = (spec: MatmulSpec, k: number, n: number): number =>
  (spec.transB ? k * n : 0) + k * (spec.nv ?? DEFAULT_NV) * (spec.dtype === 'float32' ? 4 : 2)
