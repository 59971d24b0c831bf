/**
 * Backend: running a `WasmPlan` as a kernel function over the program's typed arrays.
 *
 * The program's buffers are ordinary typed arrays, so a call stages them through one
 * process-wide arena: each input is copied in (a memcpy, ~0.1 ms per 4 MB, against several
 * milliseconds of work that the wasm kernel saves on the sizes that reach it), the kernel runs,
 * the outputs are copied out, and the arena space is returned. Views of the arena's memory are
 * taken after the allocations of a call (growing the memory detaches older views). The
 * arena and kernels come from `wasmengine.ts` (one thread, or several sharing the arena).
 */
import type { TypedArray } from '../ir/dtypes'
import type { KernelFn } from './compile'
import type { WasmPlan } from './wasmlower'
import { type Arena, buildElementwise, ex, wasm } from './wasm'
import { type Engine, engine } from './wasmengine'

/** The kernel `make` builds on the current engine, rebuilt when the engine changes. */
const onEngine = <K>(make: (e: Engine) => K): (() => K) => {
  let at: Engine | null = null
  let k: K | null = null
  return () => {
    const e = engine()
    if (e !== at || k === null) {
      k = make(e)
      at = e
    }
    return k
  }
}

/** Whether this runtime runs WebAssembly with SIMD (checked once, on a one-op kernel). */
let available: boolean | null = null
export const wasmAvailable = (): boolean => {
  if (available === null) {
    try {
      available = typeof wasm !== 'undefined' && wasm.validate(buildElementwise({ dtype: 'float32', inputs: ['array'], outputs: [ex.neg(ex.input(0))] }))
    } catch {
      available = false
    }
  }
  return available
}

const SIZE = { float32: 4, float64: 8 } as const

/** Copies `a` into the arena; returns its byte offset. */
const stageIn = (arena: Arena, a: TypedArray): number => {
  const ptr = arena.alloc(a.byteLength)
  new Uint8Array(arena.memory.buffer, ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  return ptr
}

const copyOut = (arena: Arena, ptr: number, out: TypedArray): void => {
  out.set(new (out.constructor as Float64ArrayConstructor)(arena.memory.buffer, ptr, out.length) as never)
}

/** The kernel function of a plan: (inputs…, outputs…) as the generated JS kernels take. */
export const wasmKernelFn = (p: WasmPlan, nIn: number): KernelFn => {
  const size = SIZE[p.dtype]
  if (p.kind === 'matmul') {
    const mm = onEngine((e) => e.matmul({ dtype: p.dtype, transA: p.transA, transB: p.transB }))
    return (a: TypedArray, b: TypedArray, c: TypedArray) => {
      const k = mm()
      const arena = engine().arena
      const pa = stageIn(arena, a)
      const pb = stageIn(arena, b)
      const pc = arena.alloc(c.byteLength)
      try {
        for (let i = 0; i < p.B; i++) {
          const ai = pa + (p.a.off + i * p.a.sb) * size
          const bi = pb + (p.b.off + i * p.b.sb) * size
          k.runStrided(p.M, p.K, p.N, ai, p.a.ld, bi, p.b.ld, pc + i * p.M * p.N * size, p.N)
        }
        copyOut(arena, pc, c)
      } finally {
        arena.free(pc)
        arena.free(pb)
        arena.free(pa)
      }
    }
  }
  const ptrs = new Array<number>(p.ins.length)
  const staged = new Array<number>(nIn)
  const run =
    p.kind === 'map'
      ? (() => {
          const kern = onEngine((e) => e.elementwise({ dtype: p.dtype, inputs: p.ins.map((i) => i.kind), outputs: p.outs }))
          const outPtrs = new Array<number>(p.outs.length)
          const rowPtrs = new Array<number>(p.ins.length)
          const rowOuts = new Array<number>(p.outs.length)
          return (arena: Arena, outs: TypedArray[]) => {
            const k = kern()
            for (let j = 0; j < outPtrs.length; j++) outPtrs[j] = arena.alloc(p.rows * p.n * size)
            try {
              if (p.rows === 1) k.run(p.n, ptrs, outPtrs)
              for (let r = 0; p.rows > 1 && r < p.rows; r++) {
                for (let j = 0; j < ptrs.length; j++) rowPtrs[j] = ptrs[j] + r * p.ins[j].rowStride * size
                for (let j = 0; j < outPtrs.length; j++) rowOuts[j] = outPtrs[j] + r * p.n * size
                k.run(p.n, rowPtrs, rowOuts)
              }
              for (let j = 0; j < outPtrs.length; j++) copyOut(arena, outPtrs[j], outs[p.outOf[j]])
            } finally {
              for (let j = outPtrs.length - 1; j >= 0; j--) arena.free(outPtrs[j])
            }
          }
        })()
      : (() => {
          const kern = onEngine((e) => e.reduce({ dtype: p.dtype, op: p.op, inputs: p.ins.map((i) => i.kind), prologue: p.prologue }))
          return (arena: Arena, outs: TypedArray[]) => {
            const k = kern()
            const po = arena.alloc(p.outer * p.inner * size)
            try {
              k.run(p.outer, p.red, p.inner, ptrs, po)
              copyOut(arena, po, outs[0])
            } finally {
              arena.free(po)
            }
          }
        })()
  const used = [...new Set(p.ins.map((i) => i.input))]
  return (...bufs: TypedArray[]) => {
    const arena = engine().arena
    for (const i of used) staged[i] = stageIn(arena, bufs[i])
    try {
      for (let j = 0; j < ptrs.length; j++) ptrs[j] = staged[p.ins[j].input] + p.ins[j].off * size
      run(arena, bufs.slice(nIn))
    } finally {
      for (let q = used.length - 1; q >= 0; q--) arena.free(staged[used[q]])
    }
  }
}
