/**
 * leibniz/laws: finite differences with an error estimate.
 *
 *   D(h) = (f(x + hv) − f(x − hv)) / 2h = f′(x)v + c₂h² + c₄h⁴ + …
 *   R    = (4 D(h/2) − D(h)) / 3           = f′(x)v + O(h⁴)          (Richardson extrapolation)
 *
 * The estimate of R's error is |R − D(h/2)| — the size of the h² term that extrapolation
 * removed, plus the rounding noise u·|f|/h that the two differences do not share. Where f is
 * smooth this is far below any tolerance; at a kink or a jump it is as large as the
 * difference itself, so a law that compares against R can tell "wrong" from "undecidable".
 * The step is relative: h = ε · max(1, max |x|), so large inputs are not differenced below
 * their own rounding.
 */
import { tree } from '../src'
import { isFloat } from '../src/ir/dtypes'
import { np } from '../src'
import { asArray, axpy } from './treeMath'

/** A directional derivative by differences: the value (float64 leaves), its error estimate and the step. */
export interface Difference {
  readonly value: unknown
  /** Estimated absolute error of `value` (max over elements). */
  readonly error: number
  /** The step h used (the second difference uses h/2). */
  readonly step: number
}

type F = (...args: any[]) => unknown

const maxAbs = (t: unknown): number => {
  let m = 0
  for (const l of tree.leaves(t)) {
    const a = asArray(l)
    if (!isFloat(a.dtype)) continue
    for (const x of a.toTypedArray()) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x))
  }
  return m
}

const central = (f: F, args: unknown[], v: unknown[], h: number): Float64Array[] => {
  const plus = tree.leaves(f(...(axpy(h, v, args) as unknown[]))).map(asArray)
  const minus = tree.leaves(f(...(axpy(-h, v, args) as unknown[]))).map(asArray)
  return plus.map((p, i) => {
    const a = p.toTypedArray()
    const b = minus[i].toTypedArray()
    const out = new Float64Array(a.length)
    for (let k = 0; k < a.length; k++) out[k] = (Number(a[k]) - Number(b[k])) / (2 * h)
    return out
  })
}

/** The derivative of `f` at `args` along `v` by Richardson-extrapolated central differences. */
export const centralDifference = (f: F, args: unknown[], v: unknown[], eps: number): Difference => {
  const h = eps * Math.max(1, maxAbs(args))
  const d1 = central(f, args, v, h)
  const d2 = central(f, args, v, h / 2)
  let error = 0
  const leaves = d1.map((a, i) => {
    const b = d2[i]
    const r = new Float64Array(a.length)
    for (let k = 0; k < a.length; k++) {
      r[k] = (4 * b[k] - a[k]) / 3
      const e = Math.abs(r[k] - b[k])
      error = Math.max(error, Number.isNaN(e) ? Infinity : e)
    }
    return r
  })
  const [outLeaves, def] = tree.flatten(f(...args))
  const value = tree.unflatten(def, leaves.map((r, i) => np.array(globalThis.Array.from(r)).reshape(asArray(outLeaves[i]).shape as number[])))
  return { value, error, step: h }
}
