/**
 * Backend: reductions and matmuls through the WebAssembly kernels, for the 'wasm-kernels'
 * evaluator (evaluator.ts: a page whose Content-Security-Policy allows WebAssembly but not
 * generated JavaScript). There jit runs the reference interpreter, and these large operations
 * run the wasm reduce and matmul kernels a compiled program would run for them:
 *
 *   reduce_sum / reduce_max / reduce_min of a float array over one contiguous block of axes —
 *     the input viewed as [outer, red, inner] (row-major), out[o, j] = ⊕_r x[o, r, j];
 *   dot_general of two 2-D float matrices of one dtype, no batch axes, either operand possibly
 *     transposed (read in place).
 *
 * Anything else, or anything below the kernels' size thresholds, returns null: the impl runs.
 */
import { ConcreteArray } from '../core/array'
import { rulesOf } from '../core/rules'
import { type Shape, type ShapedArray, sizeOf } from '../ir/aval'
import { type TypedArray, allocate } from '../ir/dtypes'
import type { ParamsMap, PrimName } from '../ir/params'
import type { KernelFn } from './compile'
import type { DotKernel } from './kernel'
import { ex } from './wasm'
import { WASM_MIN_ELEMENTS, type WasmPlan, wasmPlan } from './wasmlower'
import { wasmKernelFn } from './wasmrun'

const REDUCE_OP = { reduce_sum: 'sum', reduce_max: 'max', reduce_min: 'min' } as const

/** A wasm call that cannot be staged (the arena is full) has no generated-JS kernel to fall
 *  back to here: the impl runs instead. */
class NotStaged extends Error {}
const notStaged = (): KernelFn => {
  throw new NotStaged('the WebAssembly arena is full')
}

const fns = new Map<string, KernelFn>()
const kernelOf = (key: string, plan: WasmPlan, nIn: number): KernelFn => {
  let fn = fns.get(key)
  if (fn === undefined) {
    fn = wasmKernelFn(plan, nIn, notStaged)
    if (fns.size >= 256) fns.clear() // one entry per shape: keep the table bounded
    fns.set(key, fn)
  }
  return fn
}

const run = (fn: KernelFn, ins: readonly TypedArray[], out: TypedArray): boolean => {
  try {
    fn(...ins, out)
    return true
  } catch (e) {
    if (e instanceof NotStaged) return false
    throw e
  }
}

/** The output array with the aval the primitive's rule gives (shape, dtype, weak type). */
const result = (prim: PrimName, xs: readonly ConcreteArray[], params: unknown, data: TypedArray): ConcreteArray => {
  const [o]: ShapedArray[] = rulesOf(prim).abstractEval(xs.map((x) => x.aval), params as never)
  return new ConcreteArray(data, o.shape, o.dtype, o.weakType)
}

const isFloat = (x: ConcreteArray): x is ConcreteArray & { dtype: 'float32' | 'float64' } => x.dtype === 'float32' || x.dtype === 'float64'

/** [outer, red, inner] of reducing `axes` of `shape`, when the axes are one contiguous block. */
const reduceLayout = (shape: Shape, axes: readonly number[]): { outer: number; red: number; inner: number } | null => {
  if (axes.length === 0) return null
  const s = [...axes].sort((a, b) => a - b)
  if (s.some((a, i) => a !== s[0] + i)) return null
  const last = s[s.length - 1]
  return { outer: sizeOf(shape.slice(0, s[0])), red: sizeOf(shape.slice(s[0], last + 1)), inner: sizeOf(shape.slice(last + 1)) }
}

const reduction = (prim: keyof typeof REDUCE_OP, x: ConcreteArray, params: ParamsMap['reduce_sum']): ConcreteArray[] | null => {
  if (!isFloat(x) || x.data.length < WASM_MIN_ELEMENTS) return null
  const L = reduceLayout(x.aval.shape, params.axes)
  if (L === null || L.red === 0) return null
  const op = REDUCE_OP[prim]
  const plan: WasmPlan = { kind: 'reduce', dtype: x.dtype, op, ...L, ins: [{ input: 0, off: 0, kind: 'array', rowStride: 0 }], prologue: ex.input(0) }
  const out = allocate(x.dtype, L.outer * L.inner)
  if (!run(kernelOf(`${op}|${x.dtype}|${L.outer}|${L.red}|${L.inner}`, plan, 1), [x.data], out)) return null
  return [result(prim, [x], params, out)]
}

const matmul = (a: ConcreteArray, b: ConcreteArray, params: ParamsMap['dot_general']): ConcreteArray[] | null => {
  const dn = params.dimensionNumbers
  if (!isFloat(a) || b.dtype !== a.dtype || a.ndim !== 2 || b.ndim !== 2) return null
  if (dn.lhsBatch.length > 0 || dn.rhsBatch.length > 0 || dn.lhsContracting.length !== 1 || dn.rhsContracting.length !== 1) return null
  if (params.preferredElementType !== null && params.preferredElementType !== a.dtype) return null
  const [ca, cb] = [dn.lhsContracting[0], dn.rhsContracting[0]]
  const [M, K, N] = [a.shape[1 - ca], a.shape[ca], b.shape[1 - cb]]
  // element (m, p) of A and (p, n) of B, as offsets m·sr + p·sc and p·sr + n·sc
  const lhs = ca === 1 ? { sr: K, sc: 1 } : { sr: 1, sc: M }
  const rhs = cb === 0 ? { sr: N, sc: 1 } : { sr: 1, sc: K }
  const kernel: DotKernel = {
    kind: 'dot', B: 1, M, K, N,
    lhs: { input: 0, off: 0, sb: 0, ...lhs },
    rhs: { input: 1, off: 0, sb: 0, ...rhs },
    inputs: [a.dtype, b.dtype], out: a.dtype, acc: 'float64',
  }
  const plan = wasmPlan(kernel)
  if (plan === null) return null
  const out = allocate(a.dtype, M * N)
  if (!run(kernelOf(`dot|${a.dtype}|${M}|${K}|${N}|${ca}|${cb}`, plan, 2), [a.data, b.data], out)) return null
  return [result('dot_general', [a, b], params, out)]
}

/** The result of a large reduction or matmul by its WebAssembly kernel, or null (the impl). */
export const wasmOnlyOp = (prim: PrimName, xs: readonly ConcreteArray[], params: unknown): ConcreteArray[] | null => {
  if (prim === 'reduce_sum' || prim === 'reduce_max' || prim === 'reduce_min') return reduction(prim, xs[0], params as ParamsMap['reduce_sum'])
  if (prim === 'dot_general') return matmul(xs[0], xs[1], params as ParamsMap['dot_general'])
  return null
}
