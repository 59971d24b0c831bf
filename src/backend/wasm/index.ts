/**
 * Backend layer (wasm): the public face of the WebAssembly SIMD kernels.
 *
 *   const arena = new Arena()                 // one WebAssembly.Memory + allocator
 *   const wk = new WasmKernels(arena)         // compiled kernels, cached by structure
 *   const k = wk.elementwise({ dtype: 'float32', inputs: ['array'], outputs: [ex.exp(ex.input(0))] })
 *   const x = arena.allocF32(n), y = arena.allocF32(n)
 *   arena.f32(x, n).set(data); k.run(n, [x], [y]); arena.f32(y, n)   // the result
 *
 * Modules are compiled once per structure and shared by every arena (`moduleCache`);
 * instances are per arena (they import its memory). Both caches keep their most recently used
 * entries (`cacheLimits.wasmModules`); an evicted kernel is compiled again when next used. See README.md for the API and the
 * accuracy table.
 */
import { Lru } from '../../core/lru'
import { timed } from '../../core/phases'
import { cacheLimits } from '../cachelimits'
import { Arena } from './arena'
import { type ElementwiseSpec, buildElementwise, elementwiseKey } from './elementwise'
import { type MatmulSpec, buildMatmul, matmulKey, matmulScratch } from './matmul'
import { type ReduceSpec, buildReduce, reduceKey } from './reduce'
import { type RowReduceSpec, buildRowReduce, rowReduceKey } from './rowreduce'
import { accBytes, chunkCalls, combineChunks, reduceChunks } from './reducechunks'
import { HOST_IMPORTS } from './simd'
import { type WasmInstance, type WasmModule, wasm } from './webassembly'

export { Arena, MemoryRefusedError, PAGE, RESERVED, type ArenaOptions } from './arena'
export { wasm } from './webassembly'
export { type BinaryOp, type CompareOp, type Expr, type FloatDType, type Pred, type UnaryOp, BINARY_REF, UNARY_REF, UNSUPPORTED, canonicalize, evalExpr, ex, exprKey } from './expr'
export { type ElementwiseSpec, type InputKind, buildElementwise, elementwiseKey } from './elementwise'
export { type ReduceOp, type ReduceSpec, buildReduce, reduceKey } from './reduce'
export { type MatmulSpec, buildMatmul, matmulKey, matmulScratch } from './matmul'
export { type RowInputKind, type RowReduceSpec, buildRowReduce, rowReduceKey } from './rowreduce'

/** Compiled modules by structure, the most recently used kept (bounded: cachelimits.ts). */
export const moduleCache = new Lru<string, WasmModule>(() => cacheLimits.wasmModules)

/** The compiled module for `key` (built and compiled on first use). */
export const compileModule = (key: string, build: () => Uint8Array): WasmModule => {
  const have = moduleCache.get(key)
  if (have !== undefined) return have
  const bytes = timed('wasm gen', build)
  const m = timed('wasm compile', () => new wasm.Module(bytes))
  moduleCache.set(key, m)
  return m
}

/** Number of modules held by the module cache (for tests and diagnostics). */
export const compiledModuleCount = (): number => moduleCache.size

export type Run = (...args: number[]) => void

export interface ElementwiseKernel {
  readonly spec: ElementwiseSpec
  /** outputs[j][i] = spec.outputs[j] at inputs[·][i] for i < n (a 0-d input is read at 0). */
  run(n: number, inputs: readonly number[], outputs: readonly number[]): void
  /** `run(n, …)` on `rows` rows: row r reads input i at `inputs[i] + r·inputStrides[i]` and writes
   *  output j at `outputs[j] + r·outputStrides[j]` (strides in bytes; 0: every row reads the same
   *  row, e.g. a bias broadcast along rows). Each row is one `run`, so any cut into row ranges
   *  gives the same bits. */
  runRows(rows: number, n: number, inputs: readonly number[], inputStrides: readonly number[], outputs: readonly number[], outputStrides: readonly number[]): void
}

/** Runs `run(...args)` `reps` times, adding `strides[i]` to `args[i]` after each (`args` is
 *  changed). One row run on one thread: the calling thread and the workers both loop this way. */
export const runRepeated = (run: Run, reps: number, args: number[], strides: readonly number[]): void => {
  for (let r = 0; r < reps; r++) {
    run(...args)
    for (let i = 0; i < args.length; i++) args[i] += strides[i]
  }
}

export interface ReduceKernel {
  readonly spec: ReduceSpec
  /** out[o·inner + j] = ⊕_{r < red} prologue(inputs at [o, r, j]) for o < outer, j < inner. */
  run(outer: number, red: number, inner: number, inputs: readonly number[], out: number): void
}

export interface RowReduceKernel {
  readonly spec: RowReduceSpec
  /** For each of `rows` rows of `n` elements: acc[o] = Σ of the factors' product, then every
   *  output's row (rowreduce.ts). `inputs` has one pointer per input (ignored for `acc`). */
  run(rows: number, n: number, inputs: readonly number[], acc: number, outputs: readonly number[]): void
}

export interface MatmulKernel {
  readonly spec: MatmulSpec
  /** C[m×n] = op(A)·op(B) with op(A) m×k, op(B) k×n, all row-major, C overwritten
   *  (borrows `matmulScratch` elements from the arena for the call: a panel of B, and Bᵀ). */
  run(m: number, k: number, n: number, a: number, b: number, c: number): void
  /** The same on blocks of larger row-major matrices: lda, ldb, ldc are the row strides of
   *  the stored A, B, C in elements (rows of storage: Aᵀ's rows are op(A)'s columns). */
  runStrided(m: number, k: number, n: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number): void
}

/** A compiled module and its `run` export instantiated on one arena's memory. */
export interface BoundKernel {
  readonly module: WasmModule
  readonly run: Run
}

/** Kernels bound to one arena's memory. */
export class WasmKernels {
  private readonly instances = new Lru<string, BoundKernel>(() => cacheLimits.wasmModules)

  constructor(readonly arena: Arena) {}

  /** Instances bound to this arena (for tests and diagnostics). */
  get instanceCount(): number { return this.instances.size }

  /** The module for `key` (compiled once per process) instantiated on this arena's memory. */
  bound(key: string, build: (opts: { shared: boolean }) => Uint8Array): BoundKernel {
    const shared = this.arena.shared
    const fullKey = `${key}|${shared ? 'shared' : 'own'}`
    let b = this.instances.get(fullKey)
    if (b === undefined) {
      const module = compileModule(fullKey, () => build({ shared }))
      const inst = new wasm.Instance(module, { env: { memory: this.arena.memory }, host: HOST_IMPORTS })
      b = { module, run: inst.exports.run as Run }
      this.instances.set(fullKey, b)
    }
    return b
  }

  private run(key: string, build: (opts: { shared: boolean }) => Uint8Array): Run {
    return this.bound(key, build).run
  }

  elementwise(spec: ElementwiseSpec): ElementwiseKernel {
    const run = this.run(elementwiseKey(spec), (o) => buildElementwise(spec, o))
    const arity = spec.inputs.length, outs = spec.outputs.length
    return {
      spec,
      run: (n, inputs, outputs) => {
        if (inputs.length !== arity || outputs.length !== outs) {
          throw new RangeError(`elementwise kernel: expected ${arity} inputs and ${outs} outputs, got ${inputs.length} and ${outputs.length}`)
        }
        run(n, ...inputs, ...outputs)
      },
      runRows: (rows, n, inputs, inputStrides, outputs, outputStrides) => {
        if (inputs.length !== arity || outputs.length !== outs || inputStrides.length !== arity || outputStrides.length !== outs) {
          throw new RangeError(`elementwise kernel: expected ${arity} inputs and ${outs} outputs with a stride each, got ${inputs.length} and ${outputs.length}`)
        }
        runRepeated(run, rows, [n, ...inputs, ...outputs], [0, ...inputStrides, ...outputStrides])
      },
    }
  }

  /** A large reduction is cut into the chunks of `reduceChunks` (the same cut on every thread
   *  count: reducechunks.ts); a small one runs whole. */
  reduce(spec: ReduceSpec): ReduceKernel {
    const run = this.run(reduceKey(spec), (o) => buildReduce(spec, o))
    const arity = spec.inputs.length
    return {
      spec,
      run: (outer, red, inner, inputs, out) => {
        if (inputs.length !== arity) throw new RangeError(`reduce kernel: expected ${arity} inputs, got ${inputs.length}`)
        if (reduceChunks(red, inner).count > 1) this.reduceChunked(spec, outer, red, inner, inputs, out, (part, calls) => { for (const c of calls) part(...c) })
        else run(outer, red, inner, ...inputs, out)
      },
    }
  }

  /** Runs a reduction as its chunks (`reduceChunks(red, inner)`): `exec` runs the partial
   *  kernel's calls — in any order, on any threads —, then the chunks are combined in chunk
   *  order and the epilogue applied. */
  reduceChunked(spec: ReduceSpec, outer: number, red: number, inner: number, inputs: readonly number[], out: number,
    exec: (part: Run, calls: readonly (readonly number[])[], module: WasmModule) => void): void {
    const chunks = reduceChunks(red, inner)
    const pspec: ReduceSpec = { ...spec, partial: true, epilogue: undefined }
    const part = this.bound(reduceKey(pspec), (o) => buildReduce(pspec, o))
    const scratch = this.arena.alloc(outer * chunks.count * inner * accBytes(spec))
    try {
      exec(part.run, chunkCalls(spec, chunks, outer, red, inner, inputs, scratch), part.module)
      combineChunks(this.arena, spec, chunks.count, outer, inner, scratch, out)
    } finally {
      this.arena.free(scratch)
    }
    if (spec.epilogue !== undefined) this.elementwise({ dtype: spec.dtype, inputs: ['array'], outputs: [spec.epilogue] }).run(outer * inner, [out], [out])
  }

  rowReduce(spec: RowReduceSpec): RowReduceKernel {
    const run = this.run(rowReduceKey(spec), (o) => buildRowReduce(spec, o))
    const arity = spec.inputs.length, outs = spec.outputs.length
    return {
      spec,
      run: (rows, n, inputs, acc, outputs) => {
        if (inputs.length !== arity || outputs.length !== outs) {
          throw new RangeError(`row reduce kernel: expected ${arity} inputs and ${outs} outputs, got ${inputs.length} and ${outputs.length}`)
        }
        run(rows, n, ...inputs, acc, ...outputs)
      },
    }
  }

  matmul(spec: MatmulSpec): MatmulKernel {
    const run = this.run(matmulKey(spec), (o) => buildMatmul(spec, o))
    const size = spec.dtype === 'float32' ? 4 : 8
    const strided = (m: number, k: number, n: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number): void => {
      const scratch = this.arena.alloc(matmulScratch(spec, k, n) * size)
      try { run(m, k, n, a, lda, b, ldb, c, ldc, scratch) } finally { this.arena.free(scratch) }
    }
    return {
      spec,
      run: (m, k, n, a, b, c) => strided(m, k, n, a, spec.transA ? m : k, b, spec.transB ? k : n, c, n),
      runStrided: strided,
    }
  }
}
