/**
 * leibniz/laws: approximate equality of pytrees of arrays — |a − b| ≤ atol + rtol·|b| leafwise,
 * with NaN equal to NaN (a law comparing two NaNs compares two identical answers) — and an
 * fp-ts `Eq` built on it. Never exact float equality.
 */
import { tree } from '../src'
import { asArray } from './treeMath'

/** Tolerances of approximate equality: |actual − expected| ≤ atol + rtol·|expected|. */
export interface Tolerance {
  /** Relative tolerance (default 1e-5). */
  readonly rtol?: number
  /** Absolute tolerance (default 1e-8). */
  readonly atol?: number
}

/** The first difference found by `findMismatch`. */
export interface Mismatch {
  /** Index of the leaf in the flattened pytree (−1: the structures differ). */
  readonly leaf: number
  /** Flat index of the element in that leaf (−1: the shapes differ). */
  readonly index: number
  readonly actual: number
  readonly expected: number
  /** A readable description, as the laws print it. */
  readonly reason: string
}

/** The first mismatch between two trees, or null when they are close. */
export const findMismatch = (actual: unknown, expected: unknown, tol: Tolerance = {}): Mismatch | null => {
  const rtol = tol.rtol ?? 1e-5
  const atol = tol.atol ?? 1e-8
  const [la, da] = tree.flatten(actual)
  const [lb, db] = tree.flatten(expected)
  if (!tree.treedefEq(da, db)) {
    return { leaf: -1, index: -1, actual: NaN, expected: NaN, reason: `structures differ: ${tree.treedefStr(da)} vs ${tree.treedefStr(db)}` }
  }
  for (let i = 0; i < la.length; i++) {
    const a = asArray(la[i])
    const b = asArray(lb[i])
    if (a.shape.join() !== b.shape.join()) {
      return { leaf: i, index: -1, actual: NaN, expected: NaN, reason: `leaf ${i}: shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]` }
    }
    const xs = a.toTypedArray()
    const ys = b.toTypedArray()
    for (let k = 0; k < xs.length; k++) {
      const x = xs[k]
      const y = ys[k]
      if (Number.isNaN(x) && Number.isNaN(y)) continue
      if (x === y) continue
      if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
        return { leaf: i, index: k, actual: x, expected: y, reason: `leaf ${i}, element ${k}: got ${x}, expected ${y} (|diff| ${Math.abs(x - y).toExponential(3)} > atol ${Number(atol.toPrecision(3))} + rtol ${rtol}·|expected|)` }
      }
    }
  }
  return null
}

/** `allclose(a, b, { rtol, atol })` over pytrees: |a − b| ≤ atol + rtol·|b| everywhere. */
export const allclose = (a: unknown, b: unknown, tol: Tolerance = {}): boolean => findMismatch(a, b, tol) === null

/**
 * An equality, in the shape of fp-ts's `Eq` (declared here, so that using leibniz/laws does not
 * require fp-ts; a value of this type is an fp-ts `Eq` as it is).
 */
export interface Eq<A> {
  readonly equals: (x: A, y: A) => boolean
}

/** An fp-ts `Eq` for pytrees of arrays, by `allclose`. (Approximate, so not transitive.) */
export const approxEq = (tol: Tolerance = {}): Eq<unknown> => ({ equals: (a, b) => allclose(a, b, tol) })
