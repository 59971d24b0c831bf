/**
 * leibniz/laws: arithmetic on pytrees of arrays — the vector-space operations the laws need
 * (axpy, inner products, random directions). Inner products are read back in float64.
 */
import { np, tree } from '../src'
import type { Array } from '../src'
import { isFloat } from '../src/ir/dtypes'
import { leafToArray } from '../src/transforms/flat'

export type Rng = () => number

/** mulberry32: a small seeded PRNG, so every law run can be replayed from its seed. */
export const makeRng = (seed: number): Rng => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal by Box–Muller. */
export const normal = (rng: Rng): number => {
  const u = Math.max(rng(), 1e-300)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

export const asArray = (x: unknown): Array => leafToArray(x, 'laws') as Array

/** A random direction with the structure of `t`: normal entries in float leaves, zeros elsewhere. */
export const randomLike = (t: unknown, rng: Rng): unknown =>
  tree.map((leaf: unknown) => {
    const x = asArray(leaf)
    if (!isFloat(x.dtype)) return np.zerosLike(x)
    const data = globalThis.Array.from({ length: x.size }, () => normal(rng))
    return np.array(data, { dtype: x.dtype }).reshape(x.shape as number[])
  }, t)

/** y + a·x, leafwise (int leaves are left as y). */
export const axpy = (a: number, x: unknown, y: unknown): unknown =>
  tree.map((xi: unknown, yi: unknown) => {
    const X = asArray(xi)
    const Y = asArray(yi)
    return isFloat(Y.dtype) ? Y.add(X.mul(a)) : Y
  }, x, y)

export const absTree = (x: unknown): unknown => tree.map((xi: unknown) => np.abs(asArray(xi)), x)
export const onesTree = (x: unknown): unknown => tree.map((xi: unknown) => np.onesLike(asArray(xi)), x)
export const scale = (a: number, x: unknown): unknown => tree.map((xi: unknown) => asArray(xi).mul(a), x)
export const sub = (x: unknown, y: unknown): unknown => tree.map((xi: unknown, yi: unknown) => asArray(xi).sub(asArray(yi)), x, y)

/** ⟨a, b⟩ = Σ over leaves of Σ aᵢ bᵢ, in float64 (int leaves contribute nothing). */
export const vdot = (a: unknown, b: unknown): number => {
  const la = tree.leaves(a).map(asArray)
  const lb = tree.leaves(b).map(asArray)
  let s = 0
  la.forEach((x, i) => {
    if (!isFloat(x.dtype)) return
    const xs = x.toTypedArray()
    const ys = lb[i].toTypedArray()
    for (let k = 0; k < xs.length; k++) s += xs[k] * ys[k]
  })
  return s
}

/** The lowest float precision among the leaves ('float32' if any leaf is float32). */
export const precisionOf = (...trees: unknown[]): 'float32' | 'float64' => {
  for (const t of trees) for (const l of tree.leaves(t)) if (asArray(l).dtype === 'float32') return 'float32'
  return 'float64'
}
