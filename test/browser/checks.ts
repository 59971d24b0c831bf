/**
 * Computations the browser test runs twice: in Node (by the test) and in headless Chromium (in
 * a page, from the ESM bundle). Results are plain JSON so the two can be compared; the test
 * checks them against closed forms too.
 */
import { type Array as Arr, config, grad, jacfwd, jit, lax, makeJaxpr, np, toMermaid, vmap } from '../../src'
import { stats } from '../../src/backend'

export const WASM_N = 100_000
export const FORI_STEPS = 50
export const FORI_H = 0.1

/** Each element's i-th input of the wasm check (float32 values in [-2, 2]). */
export const wasmInput = (i: number): number => 2 * Math.sin(i * 0.37)
export const PICKS = [0, 1, 12_345, 54_321, WASM_N - 1]

/** A float32 map of WASM_N elements: its ops are in the WebAssembly kernels' vocabulary. */
const wasmMap = jit((x: Arr) => np.tanh(x.mul(1.5).add(0.5)).mul(x))

/** u ← u·(1 − h·a), v ← v + h·b·u for FORI_STEPS steps from (1, 0): u_N = (1 − h·a)^N. */
const decay = (p: { a: Arr; b: Arr }): Arr => {
  const [u, v] = lax.foriLoop(0, FORI_STEPS, (_i: Arr, [u, v]: [Arr, Arr]): [Arr, Arr] => [u.mul(p.a.mul(-FORI_H).add(1)), v.add(p.b.mul(u).mul(FORI_H))], [np.array(1), np.array(0)] as [Arr, Arr])
  return np.stack([u, v])
}

export interface CheckResults {
  readonly evaluator: string
  /** grad of Σ sin(x)·x at GRAD_X */
  readonly grad: number[]
  readonly wasm: { readonly calls: number; readonly sum: number; readonly picks: number[] }
  /** per-row gradients of Σ sin(x)·x over VMAP_X */
  readonly vmap: number[][]
  /** d[u, v]/d(a, b) at a = 0.5, b = 2 */
  readonly jacFori: { readonly a: number[]; readonly b: number[] }
  readonly mermaid: string
}

export const GRAD_X = [0.3, -1.2, 2.5]
export const VMAP_X = [[0.1, 0.2, 0.3], [-1, 0, 1]]

export const runChecks = (): CheckResults => {
  const f = (x: Arr) => np.sum(np.sin(x).mul(x))
  const g = grad(f)(np.array(GRAD_X)).tolist() as number[]

  const x32 = np.array(Float32Array.from({ length: WASM_N }, (_, i) => wasmInput(i)), { dtype: 'float32' })
  const before = stats.wasmKernelCalls
  const y = wasmMap(x32)
  const calls = stats.wasmKernelCalls - before
  const ys = y.tolist() as number[]

  const v = vmap(grad(f))(np.array(VMAP_X)).tolist() as number[][]
  const jac: { a: Arr; b: Arr } = jit(jacfwd(decay))({ a: np.array(0.5), b: np.array(2) })
  const mermaid = toMermaid(makeJaxpr((x: Arr) => np.sin(x).mul(2).add(x))(np.array([1, 2])))
  return {
    evaluator: config.get().evaluator,
    grad: g,
    wasm: { calls, sum: ys.reduce((s, t) => s + t, 0), picks: PICKS.map((i) => ys[i]) },
    vmap: v,
    jacFori: { a: jac.a.tolist() as number[], b: jac.b.tolist() as number[] },
    mermaid,
  }
}
