/**
 * Backend layer (wasm): elementwise kernels. One exported function
 *   run(n, in₀, …, in_{I−1}, out₀, …, out_{O−1})      (all i32: a count and byte offsets)
 * computes every output expression at each of n positions. An input is either an array of n
 * elements or a 0-d operand (one element, broadcast). The main loop handles a vector of lanes
 * per step (4 float32 / 2 float64); the last n mod lanes elements run through the same code
 * one at a time (lane 0 of a zero-filled vector), so there is one implementation of each
 * operation, not a scalar twin. The main loop is unrolled (`UNROLL` vectors per step), then
 * single vectors, then single elements.
 */
import type { Local } from './encode'
import { type Expr, type FloatDType, canonicalize, checkExprs, exprKey } from './expr'
import { lowerExprs } from './lower'
import { type Arg, Kernel, Simd } from './simd'

export type InputKind = 'array' | 'scalar'

/** Vectors per main-loop step: two independent copies of the expression per iteration give
 *  the CPU more to overlap (W1-like chains: 5.5 → 4.1 ms per 1e6 float32; 3 gained little more). */
const UNROLL = 2
/** Expressions with more distinct nodes than this are not unrolled (module size: BENCH W7's
 *  gradient, 128 nodes, would be emitted four times instead of twice). */
const UNROLL_MAX_NODES = 48

export interface ElementwiseSpec {
  readonly dtype: FloatDType
  /** One entry per input: `array` (n contiguous elements) or `scalar` (0-d, broadcast). */
  readonly inputs: readonly InputKind[]
  /** One expression per output array (n contiguous elements each). */
  readonly outputs: readonly Expr[]
}

export const elementwiseKey = (spec: ElementwiseSpec): string =>
  `ew:${spec.dtype}:${spec.inputs.map((k) => (k === 'array' ? 'a' : 's')).join('')}:${exprKey(spec.outputs)}`

export interface LoopIO {
  readonly size: 4 | 8
  readonly lanes: 4 | 2
  readonly load: 'v128.load32_zero' | 'v128.load64_zero'
  readonly splat: 'v128.load32_splat' | 'v128.load64_splat'
  readonly storeLane: 'v128.store32_lane' | 'v128.store64_lane'
}

export const loopIO = (dtype: FloatDType): LoopIO =>
  dtype === 'float32'
    ? { size: 4, lanes: 4, load: 'v128.load32_zero', splat: 'v128.load32_splat', storeLane: 'v128.store32_lane' }
    : { size: 8, lanes: 2, load: 'v128.load64_zero', splat: 'v128.load64_splat', storeLane: 'v128.store64_lane' }

/** The module's bytes (export `run`). */
export const buildElementwise = (spec: ElementwiseSpec, opts: { shared?: boolean } = {}): Uint8Array => {
  checkExprs(spec.outputs, spec.inputs.length, spec.dtype)
  const io = loopIO(spec.dtype)
  const k = new Kernel(opts)
  const nIn = spec.inputs.length
  const f = k.func('run', Array(1 + nIn + spec.outputs.length).fill('i32'))
  const s = new Simd(f, k)
  const [n, ...ptrs] = f.params
  const ins = ptrs.slice(0, nIn)
  const outs = ptrs.slice(nIn)
  // 0-d inputs: loaded once
  const scalars = new Map<number, Local>()
  spec.inputs.forEach((kind, i) => {
    if (kind === 'scalar') { f.get(ins[i]).mem(io.splat); scalars.set(i, s.pop()) }
  })
  const off = f.local('i32'), end = f.local('i32')
  const canon = canonicalize(spec.outputs)
  // main loop: off over [0, (n − n mod lanes)·size) in steps of 16 bytes
  f.get(n).i32(-io.lanes).op('i32.and').i32(io.size).op('i32.mul').set(end)
  const body = (vector: boolean, unroll = 1): void => {
    const vals: Arg[][] = []
    for (let u = 0; u < unroll; u++) {
      const args: Arg[] = spec.inputs.map((kind, i) => {
        if (kind === 'scalar') return scalars.get(i) as Local
        f.get(ins[i]).get(off).op('i32.add').mem(vector ? 'v128.load' : io.load, u * 16)
        return s.pop()
      })
      vals.push(lowerExprs(s, spec.dtype, spec.outputs, args, canon))
    }
    for (let u = 0; u < unroll; u++) {
      vals[u].forEach((v, j) => {
        f.get(outs[j]).get(off).op('i32.add')
        s.push(v)
        if (vector) f.mem('v128.store', u * 16)
        else f.memLane(io.storeLane, 0)
      })
    }
  }
  const loop = (step: number, vector: boolean, unroll = 1): void => {
    f.block().loop()
    f.get(off).i32(step * (unroll - 1)).op('i32.add').get(end).op('i32.ge_u').brIf(1)
    body(vector, unroll)
    f.get(off).i32(step * unroll).op('i32.add').set(off)
    f.br(0).end().end()
  }
  // a long expression is already plenty of independent work per vector: one copy of it
  if (canon.unique.length > UNROLL_MAX_NODES) loop(16, true)
  else {
    loop(16, true, UNROLL)
    loop(16, true)
  }
  // tail: the remaining n mod lanes elements, one at a time
  f.get(n).i32(io.size).op('i32.mul').set(end)
  loop(io.size, false)
  return k.bytes()
}
