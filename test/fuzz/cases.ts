/**
 * Differential fuzzer: the random cases — a program from laws' `arb.program` (broadcasting
 * inputs, control flow, int32 steps, float64 or float32), in one of three size classes, with
 * vmap axes for its inputs and a seed for the random directions of its derivative checks.
 *
 * Size classes: 'small' arrays run generated JavaScript kernels; 'medium' ones (≥ 256
 * elements) run WebAssembly kernels where they fit; 'large' ones (2¹⁶ elements) are split
 * across threads on the threaded route.
 */
import fc from 'fast-check'
import { type Program, program, programOps } from '../../laws/program'

export type SizeClass = 'small' | 'medium' | 'large'

export interface FuzzCase {
  readonly program: Program
  readonly size: SizeClass
  readonly dtype: 'float64' | 'float32'
  /** Only smooth steps: derivatives are checked against finite differences. */
  readonly smooth: boolean
  /** Per input: the axis vmap maps over (null: not mapped). */
  readonly inAxes: readonly (number | null)[]
  /** Seed of the tangent and cotangent directions. */
  readonly dirSeed: number
}

export const SHAPES: Readonly<Record<SizeClass, readonly (readonly number[])[]>> = {
  small: [[4], [2, 3], [3, 3], [2, 3, 2]],
  medium: [[16, 16], [300], [8, 40], [4, 8, 9]],
  large: [[256, 256]],
}

/** Steps whose cost grows with the square of the size (an outer product). */
const QUADRATIC = new Set(['outer_matvec'])
/** A product of (1.5 + tanh) along the last axis overflows float32 beyond ~90 factors. */
const LONG_PRODUCT = new Set(['prod_broadcast'])

export interface CaseOptions {
  /** Which size classes to draw, with weights (default small 6, medium 4, large 1). */
  readonly sizes?: Readonly<Partial<Record<SizeClass, number>>>
  /** Most steps per program (default 6). */
  readonly maxOps?: number
}

const DEFAULT_SIZES: Readonly<Record<SizeClass, number>> = { small: 6, medium: 4, large: 1 }

export const fuzzCase = (opts: CaseOptions = {}): fc.Arbitrary<FuzzCase> => {
  const sizes = opts.sizes ?? DEFAULT_SIZES
  const classes = (Object.keys(sizes) as SizeClass[]).filter((k) => (sizes[k] ?? 0) > 0)
  const config = fc.record({
    size: fc.oneof(...classes.map((c) => ({ arbitrary: fc.constant(c), weight: sizes[c] ?? 0 }))),
    shapeIndex: fc.nat(),
    dtype: fc.oneof({ arbitrary: fc.constant('float64' as const), weight: 2 }, { arbitrary: fc.constant('float32' as const), weight: 1 }),
    smooth: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
    broadcast: fc.boolean(),
    control: fc.boolean(),
    numInputs: fc.integer({ min: 1, max: 3 }),
  })
  return config.chain((c) => {
    const shapes = SHAPES[c.size]
    const shape = shapes[c.shapeIndex % shapes.length]
    const n = shape.reduce((a, b) => a * b, 1)
    const ops = programOps(c.smooth, { control: c.control, integer: true }).filter((o) => (n <= 1024 || !QUADRATIC.has(o)) && (shape[shape.length - 1] <= 64 || !LONG_PRODUCT.has(o)))
    const prog = program({ shape, dtype: c.dtype, smooth: c.smooth, broadcast: c.broadcast, numInputs: c.numInputs, ops, maxOps: opts.maxOps ?? 6, output: 'array' })
    return fc.record({ program: prog, axes: fc.array(fc.nat(), { minLength: c.numInputs, maxLength: c.numInputs }), dirSeed: fc.nat() }).map(
      ({ program: p, axes, dirSeed }): FuzzCase => ({
        program: p,
        size: c.size,
        dtype: c.dtype,
        smooth: c.smooth,
        // axis k % (rank + 2): rank + 1 means "not mapped"
        inAxes: p.args.map((a, i) => (axes[i] % (a.ndim + 2) === a.ndim + 1 ? null : axes[i] % (a.ndim + 2))),
        dirSeed,
      }),
    )
  })
}
