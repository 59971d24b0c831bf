/**
 * leibniz/laws: differential testing across evaluators. The reference interpreter defines
 * every value; the generated-JS kernels and the WebAssembly kernels (used for large arrays)
 * must agree with it, eagerly and under jit, in value and in derivatives.
 *
 *   for backend in (reference, JS kernels, JS + WebAssembly kernels):
 *     for mode in (eager, jit, jvp, jit∘grad or jit∘vjp):   result ≈ the reference's eager result
 */
import { grad, jit, jvp, tree, vjp } from '../src'
import { setBackend, setWasmKernels, wasmKernelsEnabled } from '../src/backend'
import { requestedBackend } from '../src/backend/compile'
import { findMismatch } from './allclose'
import type { LawTolerance } from './predicates'
import { type Rng, asArray, randomLike } from './treeMath'

type F = (...args: any[]) => any
/** The evaluators compared: the reference interpreter, JS kernels, JS and WebAssembly kernels. */
export const BACKENDS = ['reference', 'js', 'wasm'] as const
export type Backend = (typeof BACKENDS)[number]

const withBackend = <T>(b: Backend, run: () => T): T => {
  const wasBackend = requestedBackend()
  const wasWasm = wasmKernelsEnabled()
  try {
    setBackend(b === 'reference' ? 'reference' : 'compiled')
    setWasmKernels(b === 'wasm')
    return run()
  } finally {
    setBackend(wasBackend)
    setWasmKernels(wasWasm)
  }
}

/**
 * `f` at `args` on every backend and in every mode agrees with the reference interpreter's
 * eager result; null when it does, else the backend, the mode and the mismatch.
 */
export const backendsAgree = (f: F, args: unknown[], tol: LawTolerance, rng: Rng, opts: { readonly reverse?: boolean } = {}): string | null => {
  const v = randomLike(args, rng) as unknown[]
  const out0 = withBackend('reference', () => f(...args))
  const u = randomLike(out0, rng)
  const scalar = tree.leaves(out0).length === 1 && asArray(tree.leaves(out0)[0]).ndim === 0
  const modes: Record<string, () => unknown> = {
    eager: () => f(...args),
    jit: () => jit(f)(...args),
    jvp: () => jvp(f, args, v),
    'jit∘jvp': () => jit((...xs: unknown[]) => jvp(f, xs, v))(...args),
  }
  if (opts.reverse !== false) {
    modes.vjp = () => vjp(f, args)[1](u)
    if (scalar) modes['jit∘grad'] = () => jit(grad(f, { argnums: args.map((_, i) => i) }))(...args)
  }
  const reference: Record<string, unknown> = {}
  for (const b of BACKENDS) {
    for (const [mode, run] of Object.entries(modes)) {
      let got: unknown
      try {
        got = withBackend(b, run)
      } catch (e) {
        return `${b} backend, ${mode}: threw ${(e as Error).name}: ${(e as Error).message}`
      }
      if (b === 'reference') {
        reference[mode] = got
        continue
      }
      const m = findMismatch(got, reference[mode], tol)
      if (m) return `${b} backend, ${mode} vs the reference interpreter: ${m.reason}`
    }
  }
  // and the reference's jit agrees with its eager value
  const m = findMismatch(reference.jit, reference.eager, tol)
  return m ? `reference interpreter: jit vs eager: ${m.reason}` : null
}

