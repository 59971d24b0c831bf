/**
 * Test helper: gradient checking against finite differences, as JAX's `check_grads`.
 *
 *   fwd: jvp(f, x, v) is compared with the central difference (f(x + εv) − f(x − εv)) / 2ε
 *        along a random tangent v (float64);
 *   rev: vjp is compared with jvp by the adjoint identity ⟨u, J v⟩ = ⟨Jᵀ u, v⟩ for random u, v.
 * With `order` > 1 the same checks run on the derivative functions: x ↦ jvp(f, x, v) (fwd) and
 * x ↦ vjp(f, x)(u) (rev), so order 2 covers fwd-over-fwd, rev-over-fwd, fwd-over-rev and
 * rev-over-rev.
 *
 * `f` takes float64 arrays and returns an array or a list of arrays (all float64); anything
 * else a primitive needs (integer indices, predicates) is closed over.
 */
import '../../src'
import { ConcreteArray } from '../../src/core/array'
import type { Tracer } from '../../src/core/tracer'
import type { Shape } from '../../src/ir/aval'
import { jvp, vjp } from '../../src/transforms/autodiff'
import { makeRng } from '../../laws/treeMath'

export type Mode = 'fwd' | 'rev'
export type FlatFn = (...xs: Tracer[]) => Tracer | readonly Tracer[]

export interface CheckOpts {
  readonly order?: number
  readonly modes?: readonly Mode[]
  readonly eps?: number
  readonly rtol?: number
  readonly atol?: number
  /** seed of the random tangents and cotangents */
  readonly seed?: number
  /** prefix of error messages */
  readonly label?: string
}

// ---- random numbers ------------------------------------------------------------------------

/** A seeded uniform generator on [0, 1) (mulberry32). */
export { makeRng }

export const sizeOfShape = (shape: Shape): number => shape.reduce((a, b) => a * b, 1)

/** A float64 array with entries drawn by `draw`. */
export const randArray = (shape: Shape, draw: () => number): ConcreteArray => {
  const d = new Float64Array(sizeOfShape(shape))
  for (let i = 0; i < d.length; i++) d[i] = draw()
  return new ConcreteArray(d, shape, 'float64')
}

export const f64 = (data: readonly number[], shape: Shape): ConcreteArray =>
  new ConcreteArray(Float64Array.from(data), shape, 'float64')

export const i32 = (data: readonly number[], shape: Shape): ConcreteArray =>
  new ConcreteArray(Int32Array.from(data), shape, 'int32')

export const bools = (data: readonly boolean[], shape: Shape): ConcreteArray =>
  new ConcreteArray(Uint8Array.from(data.map((b) => (b ? 1 : 0))), shape, 'bool')

// ---- plain arithmetic on concrete arrays (the oracle side: no library ops) -------------------

export const valuesOf = (x: unknown): Float64Array => {
  if (!(x instanceof ConcreteArray)) throw new Error(`check: expected a concrete array, got ${String(x)}`)
  return Float64Array.from(x.data)
}

const axpy = (x: ConcreteArray, v: ConcreteArray, e: number): ConcreteArray => {
  const d = new Float64Array(x.size)
  for (let i = 0; i < d.length; i++) d[i] = x.data[i] + e * v.data[i]
  return new ConcreteArray(d, x.shape, 'float64')
}

const dotAll = (a: Float64Array, b: Float64Array): [sum: number, absSum: number] => {
  let s = 0
  let m = 0
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i]
    m += Math.abs(a[i] * b[i])
  }
  return [s, m]
}

const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0)

/** The largest |aᵢ − bᵢ| relative to the scale of a and b; throws with details if above tol. */
export const expectClose = (got: Float64Array, want: Float64Array, rtol: number, atol: number, what: string): void => {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`)
  const scale = Math.max(maxAbs(got), maxAbs(want))
  let worst = 0
  let at = -1
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i])
    if (!(e <= worst) || Number.isNaN(e)) {
      worst = Number.isNaN(e) ? Infinity : e
      at = i
    }
  }
  if (!(worst <= atol + rtol * scale)) {
    throw new Error(
      `${what}: max error ${worst.toExponential(3)} at element ${at} (got ${got[at]}, want ${want[at]}), ` +
        `allowed ${(atol + rtol * scale).toExponential(3)} (scale ${scale.toExponential(3)})`,
    )
  }
}

// ---- the checks ----------------------------------------------------------------------------

const asList = (r: Tracer | readonly Tracer[]): Tracer[] => (Array.isArray(r) ? [...(r as Tracer[])] : [r as Tracer])
const listFn = (f: FlatFn) => (...xs: Tracer[]): Tracer[] => asList(f(...xs))

const checkFloat64 = (xs: readonly Tracer[], what: string): ConcreteArray[] =>
  xs.map((x, i) => {
    if (!(x instanceof ConcreteArray) || x.dtype !== 'float64') {
      throw new Error(`${what}: value ${i} must be a concrete float64 array, got ${String(x)}`)
    }
    return x
  })

/** Forward mode: jvp against central finite differences along one random tangent. */
export const checkJvp = (f: FlatFn, args: readonly ConcreteArray[], rnd: () => number, o: Required<CheckOpts>): ConcreteArray[] => {
  const g = listFn(f)
  const v = args.map((a) => randArray(a.shape, () => 2 * rnd() - 1))
  const [outs, touts] = jvp(g, [...args], v) as unknown as [Tracer[], Tracer[]]
  const ys = checkFloat64(g(...args), `${o.label} f(x)`)
  checkFloat64(outs, `${o.label} jvp primal out`).forEach((y, j) =>
    expectClose(valuesOf(y), valuesOf(ys[j]), 1e-13, 0, `${o.label}: jvp primal output ${j} vs f(x)`),
  )
  const plus = g(...args.map((a, i) => axpy(a, v[i], o.eps)))
  const minus = g(...args.map((a, i) => axpy(a, v[i], -o.eps)))
  checkFloat64(touts, `${o.label} jvp tangent out`).forEach((t, j) => {
    const p = valuesOf(plus[j])
    const m = valuesOf(minus[j])
    const fd = p.map((pv, k) => (pv - m[k]) / (2 * o.eps))
    expectClose(valuesOf(t), fd, o.rtol, o.atol, `${o.label}: jvp output ${j} vs finite differences`)
  })
  return v
}

/** Reverse mode: vjp against jvp by ⟨u, J v⟩ = ⟨Jᵀ u, v⟩. */
export const checkVjp = (f: FlatFn, args: readonly ConcreteArray[], rnd: () => number, o: Required<CheckOpts>): ConcreteArray[] => {
  const g = listFn(f)
  const [outs, pullback] = vjp(g, [...args]) as unknown as [Tracer[], (ct: unknown) => Tracer[]]
  const ys = checkFloat64(g(...args), `${o.label} f(x)`)
  checkFloat64(outs, `${o.label} vjp primal out`).forEach((y, j) =>
    expectClose(valuesOf(y), valuesOf(ys[j]), 1e-13, 0, `${o.label}: vjp primal output ${j} vs f(x)`),
  )
  const u = outs.map((y) => randArray(y.shape, () => 2 * rnd() - 1))
  const cts = checkFloat64(pullback(u), `${o.label} vjp cotangents`)
  cts.forEach((c, i) => {
    if (c.shape.join() !== args[i].shape.join()) throw new Error(`${o.label}: cotangent ${i} has shape [${c.shape}], its input [${args[i].shape}]`)
  })
  const v = args.map((a) => randArray(a.shape, () => 2 * rnd() - 1))
  const [, touts] = jvp(g, [...args], v) as unknown as [Tracer[], Tracer[]]
  let [lhs, lscale] = [0, 0]
  touts.forEach((t, j) => {
    const [s, m] = dotAll(valuesOf(u[j]), valuesOf(t))
    lhs += s
    lscale += m
  })
  let [rhs, rscale] = [0, 0]
  cts.forEach((c, i) => {
    const [s, m] = dotAll(valuesOf(c), valuesOf(v[i]))
    rhs += s
    rscale += m
  })
  const err = Math.abs(lhs - rhs)
  const allowed = o.atol + o.rtol * Math.max(lscale, rscale)
  if (!(err <= allowed)) {
    throw new Error(`${o.label}: ⟨u, Jv⟩ = ${lhs} but ⟨Jᵀu, v⟩ = ${rhs} (error ${err.toExponential(3)}, allowed ${allowed.toExponential(3)})`)
  }
  return u
}

/**
 * Check `f`'s derivatives at `args` (float64 concrete arrays) to `order`, in the given modes.
 * Throws an Error describing the first mismatch.
 */
export const checkGradsInternal = (f: FlatFn, args: readonly ConcreteArray[], opts: CheckOpts = {}): void => {
  const o: Required<CheckOpts> = {
    order: opts.order ?? 2,
    modes: opts.modes ?? ['fwd', 'rev'],
    eps: opts.eps ?? 1e-5,
    rtol: opts.rtol ?? 1e-6,
    atol: opts.atol ?? 1e-9,
    seed: opts.seed ?? 1234,
    label: opts.label ?? 'checkGrads',
  }
  checkFloat64(args, `${o.label} arguments`)
  const rnd = makeRng(o.seed)
  const g = listFn(f)
  if (o.modes.includes('fwd')) {
    const v = checkJvp(g, args, rnd, o)
    if (o.order > 1) {
      // x ↦ J(x) v: its derivatives are the second derivatives of f.
      const df = (...xs: Tracer[]): Tracer[] => (jvp(g, xs, v) as unknown as [Tracer[], Tracer[]])[1]
      checkGradsInternal(df, args, { ...o, order: o.order - 1, seed: o.seed + 1, label: `${o.label} ∘ jvp` })
    }
  }
  if (o.modes.includes('rev')) {
    const u = checkVjp(g, args, rnd, o)
    if (o.order > 1) {
      // x ↦ J(x)ᵀ u
      const df = (...xs: Tracer[]): Tracer[] => (vjp(g, xs) as unknown as [Tracer[], (ct: unknown) => Tracer[]])[1](u)
      checkGradsInternal(df, args, { ...o, order: o.order - 1, seed: o.seed + 2, label: `${o.label} ∘ vjp` })
    }
  }
}
