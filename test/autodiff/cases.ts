/**
 * Test helper: for every primitive of the registry, generators of valid random operands and
 * params (domain-safe: logs of positives, asin in (−1, 1), no division near 0, pow with a
 * positive base, SPD matrices for cholesky, well-conditioned triangular and LU inputs, no ties
 * where a kink would sit), in several shapes, including 0-d operands that broadcast.
 *
 * Shared by the autodiff suite (finite differences at orders 1 and 2) and the vmap suite (the
 * batching law). `make(rnd)` draws fresh operands of fixed shapes, so the vmap suite can stack
 * independent examples.
 */
import { ConcreteArray } from '../../src/core/array'
import { type Tracer, bind } from '../../src/core/tracer'
import type { Shape } from '../../src/ir/aval'
import type { GatherDimensionNumbers, ParamsMap, PrimName, ScatterDimensionNumbers } from '../../src/ir/params'
import { add, mul } from '../../src/primitives/binary'
import { transpose } from '../../src/primitives/shape'
import { bools, f64, i32, randArray, sizeOfShape } from './check'

export type Rnd = () => number

export interface PrimCase<P extends PrimName = PrimName> {
  readonly prim: P
  readonly label: string
  readonly params: ParamsMap[P]
  /** Fresh operands (all of them, including integer ones), of fixed shapes. */
  readonly make: (rnd: Rnd) => ConcreteArray[]
  /** Operands that are differentiated (float64). */
  readonly diff: readonly number[]
  /** Float outputs that are checked (default: all). */
  readonly outs?: readonly number[]
  /** Applied to the differentiated operands before the primitive (autodiff only): restricts the
   *  directions of differentiation to the primitive's documented domain (e.g. symmetric). */
  readonly pre?: (xs: Tracer[]) => Tracer[]
  /** Applied to the checked outputs (autodiff only): gauge-invariant functions of outputs that
   *  are unique only up to a sign (eigenvectors, singular vectors). */
  readonly post?: (outs: Tracer[]) => Tracer[]
}

/** The differentiated operands → the checked outputs of the primitive, everything else closed over. */
export const caseFn = (k: PrimCase, args: readonly ConcreteArray[]) => (...xs: Tracer[]): Tracer[] => {
  const ins: Tracer[] = [...args]
  const ys = k.pre ? k.pre(xs) : xs
  k.diff.forEach((a, i) => (ins[a] = ys[i]))
  const outs = bind(k.prim, ins, k.params as never)
  const kept = k.outs ? k.outs.map((j) => outs[j]) : outs
  return k.post ? k.post(kept) : kept
}

/** Primitives with no derivative: their jvp must give zero tangents (checked separately). */
export const NON_DIFFERENTIABLE: readonly PrimName[] = [
  'sign', 'floor', 'ceil', 'round', 'not', 'stop_gradient',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or',
  'argmax', 'argmin', 'iota',
  'xor', 'shift_left', 'shift_right_logical', 'shift_right_arithmetic',
]

/** Higher-order primitives: they carry jaxprs and are tested by composition (jit.test.ts,
 *  custom.test.ts, control.test.ts here, test/control/*, test/control/implicit.test.ts for the
 *  implicit solves, and test/vmap/compose.test.ts). */
export const HIGHER_ORDER: readonly PrimName[] = ['jit', 'custom_jvp_call', 'custom_vjp_call', 'custom_vjp_lin', 'checkpoint', 'cond', 'while', 'scan', 'custom_linear_solve', 'custom_root', 'debug_callback']

// ---- draws ---------------------------------------------------------------------------------

const uni = (rnd: Rnd, a: number, b: number) => (): number => a + (b - a) * rnd()
/** |x| in [a, b] with a random sign. */
const away = (rnd: Rnd, a: number, b: number) => (): number => (rnd() < 0.5 ? -1 : 1) * (a + (b - a) * rnd())
const arr = (shape: Shape, draw: () => number): ConcreteArray => randArray(shape, draw)
const ints = (shape: Shape, rnd: Rnd, lo: number, hi: number): ConcreteArray =>
  i32(Array.from({ length: sizeOfShape(shape) }, () => lo + Math.floor(rnd() * (hi - lo + 1))), shape)
const randBools = (shape: Shape, rnd: Rnd): ConcreteArray => bools(Array.from({ length: sizeOfShape(shape) }, () => rnd() < 0.5), shape)
const scalarI = (v: number): ConcreteArray => i32([v], [])

/** Distinct values (gaps ≥ 0.2) in random order: no ties for max/min/sort. */
const distinct = (shape: Shape, rnd: Rnd): ConcreteArray => {
  const n = sizeOfShape(shape)
  const vals = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.3 + 0.1 * rnd())
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[vals[i], vals[j]] = [vals[j], vals[i]]
  }
  return f64(vals, shape)
}

/** conv_general_dilated params: identity layouts, no dilation, unless overridden. */
const conv = (o: Partial<ParamsMap['conv_general_dilated']>, ns = (o.windowStrides ?? o.lhsDilation ?? o.padding ?? [[0, 0]]).length): ParamsMap['conv_general_dilated'] => ({
  windowStrides: Array(ns).fill(1), padding: Array(ns).fill([0, 0]), lhsDilation: Array(ns).fill(1), rhsDilation: Array(ns).fill(1),
  dimensionNumbers: { lhsSpec: [...Array(ns + 2).keys()], rhsSpec: [...Array(ns + 2).keys()], outSpec: [...Array(ns + 2).keys()] },
  featureGroupCount: 1, batchGroupCount: 1, preferredElementType: null, ...o,
})
/** reduce_window params. */
const win = (w: number[], s: number[], padding: [number, number][], base = w.map(() => 1), wd = w.map(() => 1)): ParamsMap['reduce_window_sum'] =>
  ({ windowDimensions: w, windowStrides: s, padding, baseDilation: base, windowDilation: wd })

/** Element i of an operand of shape `s` broadcast to the output. */
const at = (x: ConcreteArray, i: number): number => (x.size === 1 ? x.data[0] : x.data[i])

// ---- elementwise ---------------------------------------------------------------------------

const UNARY_SHAPES: Shape[] = [[], [4], [2, 3]]
const BINARY_SHAPES: [Shape, Shape][] = [[[3], [3]], [[], [2, 3]], [[2, 3], []], [[], []], [[2, 2], [2, 2]]]

type UnaryDomain = (rnd: Rnd) => () => number
const UNARY_DOMAINS: Partial<Record<PrimName, UnaryDomain>> = {
  neg: (r) => uni(r, -2, 2),
  sin: (r) => uni(r, -2, 2),
  cos: (r) => uni(r, -2, 2),
  tan: (r) => uni(r, -1.2, 1.2),
  asin: (r) => uni(r, -0.9, 0.9),
  acos: (r) => uni(r, -0.9, 0.9),
  atan: (r) => uni(r, -2, 2),
  sinh: (r) => uni(r, -2, 2),
  cosh: (r) => uni(r, -2, 2),
  tanh: (r) => uni(r, -2, 2),
  exp: (r) => uni(r, -2, 2),
  expm1: (r) => uni(r, -2, 2),
  log: (r) => uni(r, 0.5, 3),
  log1p: (r) => uni(r, -0.5, 2),
  sqrt: (r) => uni(r, 0.5, 3),
  rsqrt: (r) => uni(r, 0.5, 3),
  abs: (r) => away(r, 0.2, 2),
  logistic: (r) => uni(r, -3, 3),
}

const unaryCases = (): PrimCase[] =>
  Object.entries(UNARY_DOMAINS).flatMap(([prim, dom]) =>
    UNARY_SHAPES.map((s) => ({
      prim: prim as PrimName,
      label: `${prim} f64[${s}]`,
      params: {} as never,
      make: (rnd: Rnd) => [arr(s, (dom as UnaryDomain)(rnd))],
      diff: [0],
    })),
  )

/** Operands for a binary primitive; `pair` draws both given the shapes. */
type PairDraw = (rnd: Rnd, sx: Shape, sy: Shape) => [ConcreteArray, ConcreteArray]
const independent = (dx: (r: Rnd) => () => number, dy: (r: Rnd) => () => number): PairDraw => (rnd, sx, sy) => [arr(sx, dx(rnd)), arr(sy, dy(rnd))]

/** y = x ± [0.1, 1] elementwise (after broadcasting): no ties, no near-ties. */
const separated: PairDraw = (rnd, sx, sy) => {
  const gap = away(rnd, 0.1, 1)
  if (sy.length === 0) {
    const y = arr(sy, uni(rnd, -2, 2))
    return [f64(Array.from({ length: sizeOfShape(sx) }, () => y.data[0] + gap()), sx), y]
  }
  const x = arr(sx, uni(rnd, -2, 2))
  return [x, f64(Array.from({ length: sizeOfShape(sy) }, (_, i) => at(x, i) + gap()), sy)]
}

/** x / y = ±(k + f), k ∈ {0, 1, 2}, f ∈ [0.2, 0.8]: far from rem's jumps. */
const remPair: PairDraw = (rnd, sx, sy) => {
  const q = () => (rnd() < 0.5 ? -1 : 1) * (Math.floor(rnd() * 3) + 0.2 + 0.6 * rnd())
  if (sx.length === 0 && sy.length > 0) {
    const x = arr(sx, away(rnd, 0.5, 2))
    return [x, f64(Array.from({ length: sizeOfShape(sy) }, () => x.data[0] / q()), sy)]
  }
  const y = arr(sy, away(rnd, 0.5, 1.5))
  return [f64(Array.from({ length: sizeOfShape(sx) }, (_, i) => at(y, i) * q()), sx), y]
}

const BINARY_DOMAINS: Partial<Record<PrimName, PairDraw>> = {
  add: independent((r) => uni(r, -2, 2), (r) => uni(r, -2, 2)),
  sub: independent((r) => uni(r, -2, 2), (r) => uni(r, -2, 2)),
  mul: independent((r) => uni(r, -2, 2), (r) => uni(r, -2, 2)),
  div: independent((r) => uni(r, -2, 2), (r) => away(r, 0.5, 2)),
  pow: independent((r) => uni(r, 0.5, 2), (r) => uni(r, -2, 2)),
  max: separated,
  min: separated,
  // x away from 0, so the branch cut of atan2 (x = 0, y < 0) is never crossed
  atan2: independent((r) => away(r, 0.3, 2), (r) => uni(r, -2, 2)),
  rem: remPair,
}

const binaryCases = (): PrimCase[] =>
  Object.entries(BINARY_DOMAINS).flatMap(([prim, draw]) =>
    BINARY_SHAPES.map(([sx, sy]) => ({
      prim: prim as PrimName,
      label: `${prim} f64[${sx}], f64[${sy}]`,
      params: {} as never,
      make: (rnd: Rnd) => (draw as PairDraw)(rnd, sx, sy),
      diff: [0, 1],
    })),
  )

// ---- the table -----------------------------------------------------------------------------

const c = <P extends PrimName>(prim: P, label: string, params: ParamsMap[P], make: (rnd: Rnd) => ConcreteArray[], diff: readonly number[], extra: Partial<PrimCase<P>> = {}): PrimCase =>
  ({ prim, label: `${prim} ${label}`, params, make, diff, ...extra }) as unknown as PrimCase

const u2 = (r: Rnd) => uni(r, -2, 2)

/** Strongly diagonal matrices (|diag| in [1.5, 2.5], off-diagonal in [−0.5, 0.5]). */
const diagDominant = (shape: Shape, rnd: Rnd): ConcreteArray => {
  const n = shape[shape.length - 1]
  const d = new Float64Array(sizeOfShape(shape))
  for (let k = 0; k < d.length; k++) {
    const i = Math.floor(k / n) % n
    const j = k % n
    d[k] = i === j ? 1.5 + rnd() : rnd() - 0.5
  }
  return new ConcreteArray(d, shape, 'float64')
}

/** Symmetric positive definite: M Mᵀ + n I for each matrix of the batch. */
const spd = (shape: Shape, rnd: Rnd): ConcreteArray => {
  const n = shape[shape.length - 1]
  const count = sizeOfShape(shape) / (n * n)
  const d = new Float64Array(sizeOfShape(shape))
  for (let b = 0; b < count; b++) {
    const m = Array.from({ length: n * n }, () => 2 * rnd() - 1)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = i === j ? n : 0
        for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k]
        d[b * n * n + i * n + j] = s
      }
    }
  }
  return new ConcreteArray(d, shape, 'float64')
}

/** A matrix whose partial pivoting is unambiguous: in column j of the elimination the pivot
 *  row dominates (entries of a fixed row permutation are 3–4, others in [−1, 1]). */
const pivoted = (shape: Shape, rnd: Rnd): ConcreteArray => {
  const n = shape[shape.length - 1]
  const count = sizeOfShape(shape) / (n * n)
  const d = new Float64Array(sizeOfShape(shape))
  for (let b = 0; b < count; b++) {
    const perm = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1))
      ;[perm[i], perm[j]] = [perm[j], perm[i]]
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[b * n * n + i * n + j] = perm[i] === j ? (rnd() < 0.5 ? -1 : 1) * (3 + rnd()) : 2 * rnd() - 1
  }
  return new ConcreteArray(d, shape, 'float64')
}

/**
 * Matrices with well-separated singular values (and, `symmetric`, eigenvalues): entry
 * (π(i), σ(i)) is ±(2 + 3i) for i < min(m, n) (random permutations π, σ, random signs; equal
 * and positive on the diagonal when symmetric), the rest in [−0.3, 0.3]. When symmetric only
 * the lower triangle is symmetric data (eigh reads it); the upper one is independent noise.
 */
const separatedSpectrum = (shape: Shape, rnd: Rnd, symmetric = false): ConcreteArray => {
  const [m, n] = shape.slice(-2)
  const count = sizeOfShape(shape) / (m * n)
  const d = new Float64Array(sizeOfShape(shape))
  const shuffled = (len: number): number[] => {
    const p = Array.from({ length: len }, (_, i) => i)
    for (let i = len - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1))
      ;[p[i], p[j]] = [p[j], p[i]]
    }
    return p
  }
  for (let b = 0; b < count; b++) {
    const o = b * m * n
    for (let i = 0; i < m * n; i++) d[o + i] = 0.6 * rnd() - 0.3
    const [pr, pc] = symmetric ? [shuffled(n), null] : [shuffled(m), shuffled(n)]
    for (let i = 0; i < Math.min(m, n); i++) {
      const v = (symmetric ? 1 : rnd() < 0.5 ? -1 : 1) * (2 + 3 * i + rnd())
      d[o + pr[i] * n + (pc === null ? pr[i] : pc[i])] = v
    }
  }
  return new ConcreteArray(d, shape, 'float64')
}

const squares = (outs: Tracer[]): Tracer[] => outs.map((o) => mul(o, o))

const decompCases = (): PrimCase[] => [
  // eigenvectors enter as v ∘ v (|v_ij|², the same for either sign of a column)
  ...([[[3, 3], true], [[3, 3], false], [[2, 3, 3], true], [[1, 1], true], [[4, 4], false]] as const).map(([s, lower]) =>
    c('eigh', `f64[${s}] lower=${lower}`, { lower }, (r) => [separatedSpectrum(s, r, true)], [0], { post: ([v, w]) => [mul(v, v), w] })),
  ...([[[3, 3], false], [[4, 2], false], [[2, 4], false], [[2, 3, 2], false], [[3, 3], true]] as const).map(([s, full]) =>
    c('svd', `f64[${s}] fullMatrices=${full}`, { fullMatrices: full, computeUv: true }, (r) => [separatedSpectrum(s, r)], [0], { post: squares })),
  ...([[3, 2], [2, 4], [2, 2, 3]] as const).map((s) =>
    c('svd', `f64[${s}] values only`, { fullMatrices: false, computeUv: false }, (r) => [separatedSpectrum(s, r)], [0])),
  c('svd', 'f64[4,2] full matrices, values only', { fullMatrices: true, computeUv: false }, (r) => [separatedSpectrum([4, 2], r)], [0]),
  // diag(r) ≥ 0 makes the QR of a full-rank matrix unique: q and r are checked as they are
  ...([[[3, 3], false], [[4, 2], false], [[2, 4], false], [[2, 3, 2], false], [[3, 3], true], [[2, 3], true]] as const).map(([s, full]) =>
    c('qr', `f64[${s}] fullMatrices=${full}`, { fullMatrices: full }, (r) => [separatedSpectrum(s, r)], [0])),
]

const mT = (x: Tracer): Tracer => {
  const p = [...Array(x.ndim).keys()]
  ;[p[x.ndim - 2], p[x.ndim - 1]] = [p[x.ndim - 1], p[x.ndim - 2]]
  return transpose(x, p)
}

const gdn = (offsetDims: number[], collapsedSliceDims: number[], startIndexMap: number[], operandBatchingDims: number[] = [], startIndicesBatchingDims: number[] = []): GatherDimensionNumbers =>
  ({ offsetDims, collapsedSliceDims, startIndexMap, operandBatchingDims, startIndicesBatchingDims })
const sdn = (updateWindowDims: number[], insertedWindowDims: number[], scatterDimsToOperandDims: number[], operandBatchingDims: number[] = [], scatterIndicesBatchingDims: number[] = []): ScatterDimensionNumbers =>
  ({ updateWindowDims, insertedWindowDims, scatterDimsToOperandDims, operandBatchingDims, scatterIndicesBatchingDims })

const dn = (lc: number[], rc: number[], lb: number[] = [], rb: number[] = []) => ({
  dimensionNumbers: { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb },
  preferredElementType: null,
})

const reduceCases = (prim: 'reduce_sum' | 'reduce_max' | 'reduce_min' | 'reduce_prod'): PrimCase[] => {
  const draw = prim === 'reduce_max' || prim === 'reduce_min' ? distinct : (s: Shape, r: Rnd) => arr(s, uni(r, -1.5, 1.5))
  const shapes: [Shape, number[]][] = [[[2, 3], [0]], [[2, 3], [1]], [[2, 3], [0, 1]], [[4], [0]], [[], []], [[2, 3, 2], [0, 2]]]
  return shapes.map(([s, axes]) => c(prim, `f64[${s}] axes (${axes})`, { axes }, (r) => [draw(s, r)], [0]))
}

const solveCases = (): PrimCase[] => {
  const out: PrimCase[] = []
  for (const leftSide of [true, false]) {
    for (const lower of [true, false]) {
      for (const transposeA of [true, false]) {
        for (const unitDiagonal of [true, false]) {
          const bs: Shape = leftSide ? [3, 2] : [2, 3]
          out.push(c('triangular_solve', `left=${leftSide} lower=${lower} T=${transposeA} unit=${unitDiagonal}`, { leftSide, lower, transposeA, unitDiagonal }, (r) => [diagDominant([3, 3], r), arr(bs, u2(r))], [0, 1]))
        }
      }
    }
  }
  out.push(c('triangular_solve', 'batched f64[2,3,3] f64[2,3,2]', { leftSide: true, lower: true, transposeA: false, unitDiagonal: false }, (r) => [diagDominant([2, 3, 3], r), arr([2, 3, 2], u2(r))], [0, 1]))
  return out
}

export const primitiveCases = (): PrimCase[] => [
  ...unaryCases(),
  ...binaryCases(),

  ...[2, 3, 1, 0, -2].flatMap((y) =>
    ([[], [3]] as Shape[]).map((s) => c('integer_pow', `y=${y} f64[${s}]`, { y }, (r) => [arr(s, away(r, 0.5, 2))], [0])),
  ),

  c('select_n', 'bool[4] pred, 2 cases', {}, (r) => [randBools([4], r), arr([4], u2(r)), arr([4], u2(r))], [1, 2]),
  c('select_n', 'i32[2,3] pred, 3 cases', {}, (r) => [ints([2, 3], r, 0, 2), arr([2, 3], u2(r)), arr([2, 3], u2(r)), arr([2, 3], u2(r))], [1, 2, 3]),
  c('select_n', '0-d pred, f64[3] cases', {}, (r) => [bools([r() < 0.5], []), arr([3], u2(r)), arr([3], u2(r))], [1, 2]),
  c('select_n', '0-d pred, 0-d cases', {}, (r) => [bools([r() < 0.5], []), arr([], u2(r)), arr([], u2(r))], [1, 2]),

  c('convert_element_type', 'f64 → weak f64', { newDtype: 'float64', weakType: true }, (r) => [arr([3], u2(r))], [0]),
  c('convert_element_type', '0-d f64 → f64', { newDtype: 'float64', weakType: false }, (r) => [arr([], u2(r))], [0]),

  c('broadcast_in_dim', '[3] → [2,3]', { shape: [2, 3], broadcastDimensions: [1] }, (r) => [arr([3], u2(r))], [0]),
  c('broadcast_in_dim', '[] → [2,2]', { shape: [2, 2], broadcastDimensions: [] }, (r) => [arr([], u2(r))], [0]),
  c('broadcast_in_dim', '[3,1] → [3,4]', { shape: [3, 4], broadcastDimensions: [0, 1] }, (r) => [arr([3, 1], u2(r))], [0]),
  c('broadcast_in_dim', '[2] → [2,3,2]', { shape: [2, 3, 2], broadcastDimensions: [0] }, (r) => [arr([2], u2(r))], [0]),

  c('reshape', '[2,3] → [3,2]', { newSizes: [3, 2] }, (r) => [arr([2, 3], u2(r))], [0]),
  c('reshape', '[6] → [1,2,3]', { newSizes: [1, 2, 3] }, (r) => [arr([6], u2(r))], [0]),
  c('reshape', '[] → [1,1]', { newSizes: [1, 1] }, (r) => [arr([], u2(r))], [0]),

  c('transpose', '[2,3,4] (2,0,1)', { permutation: [2, 0, 1] }, (r) => [arr([2, 3, 4], u2(r))], [0]),
  c('transpose', '[2,3] (1,0)', { permutation: [1, 0] }, (r) => [arr([2, 3], u2(r))], [0]),

  c('squeeze', '[1,3,1] (0,2)', { dimensions: [0, 2] }, (r) => [arr([1, 3, 1], u2(r))], [0]),
  c('squeeze', '[1] (0)', { dimensions: [0] }, (r) => [arr([1], u2(r))], [0]),

  ...reduceCases('reduce_sum'),
  ...reduceCases('reduce_max'),
  ...reduceCases('reduce_min'),
  ...reduceCases('reduce_prod'),
  // zeros in the product: one zero in row 0, two in row 1 (the derivative is still exact)
  c('reduce_prod', 'with zeros', { axes: [1] }, (r) => [f64([0, 1 + r(), -1.2, 0.7, 0, 0, 1.3, r() - 2], [2, 4])], [0]),

  c('dot_general', 'matmul [2,3]·[3,4]', dn([1], [0]), (r) => [arr([2, 3], u2(r)), arr([3, 4], u2(r))], [0, 1]),
  c('dot_general', 'inner [3]·[3]', dn([0], [0]), (r) => [arr([3], u2(r)), arr([3], u2(r))], [0, 1]),
  c('dot_general', 'outer [2]·[3]', dn([], []), (r) => [arr([2], u2(r)), arr([3], u2(r))], [0, 1]),
  c('dot_general', 'batched [2,3,4]·[2,4,5]', dn([2], [1], [0], [0]), (r) => [arr([2, 3, 4], u2(r)), arr([2, 4, 5], u2(r))], [0, 1]),
  c('dot_general', 'aᵀ·bᵀ [3,2]·[4,3]', dn([0], [1]), (r) => [arr([3, 2], u2(r)), arr([4, 3], u2(r))], [0, 1]),
  c('dot_general', 'inner batch axes [3,2,4]·[4,2,5]', dn([2], [0], [1], [1]), (r) => [arr([3, 2, 4], u2(r)), arr([4, 2, 5], u2(r))], [0, 1]),

  c('slice', '[5,4] strided', { startIndices: [1, 0], limitIndices: [4, 3], strides: [2, 1] }, (r) => [arr([5, 4], u2(r))], [0]),
  c('slice', '[6] stride 3', { startIndices: [0], limitIndices: [6], strides: [3] }, (r) => [arr([6], u2(r))], [0]),
  c('slice', '[3,3] unit strides', { startIndices: [1, 1], limitIndices: [3, 3], strides: null }, (r) => [arr([3, 3], u2(r))], [0]),

  c('dynamic_slice', '[5,4] at (1,2)', { sliceSizes: [3, 2] }, (r) => [arr([5, 4], u2(r)), scalarI(1), scalarI(2)], [0]),
  c('dynamic_slice', '[5,4] clamped (4,−1)', { sliceSizes: [2, 2] }, (r) => [arr([5, 4], u2(r)), scalarI(4), scalarI(-1)], [0]),
  c('dynamic_slice', '[6] random start', { sliceSizes: [3] }, (r) => [arr([6], u2(r)), ints([], r, 0, 3)], [0]),

  c('dynamic_update_slice', '[4,5] ← [2,3] at (1,1)', {}, (r) => [arr([4, 5], u2(r)), arr([2, 3], u2(r)), scalarI(1), scalarI(1)], [0, 1]),
  c('dynamic_update_slice', '[4,5] ← [2,3] clamped (3,4)', {}, (r) => [arr([4, 5], u2(r)), arr([2, 3], u2(r)), scalarI(3), scalarI(4)], [0, 1]),
  c('dynamic_update_slice', '[6] ← [2] random start', {}, (r) => [arr([6], u2(r)), arr([2], u2(r)), ints([], r, 0, 4)], [0, 1]),

  c('pad', '[3] lo 1 hi 2 interior 1', { paddingConfig: [[1, 2, 1]] }, (r) => [arr([3], u2(r)), arr([], u2(r))], [0, 1]),
  c('pad', '[2,3] crop and interior', { paddingConfig: [[-1, 1, 0], [0, 2, 1]] }, (r) => [arr([2, 3], u2(r)), arr([], u2(r))], [0, 1]),

  c('concatenate', 'three along 0', { dimension: 0 }, (r) => [arr([2, 3], u2(r)), arr([1, 3], u2(r)), arr([3, 3], u2(r))], [0, 1, 2]),
  c('concatenate', 'two along 1', { dimension: 1 }, (r) => [arr([2, 1], u2(r)), arr([2, 2], u2(r))], [0, 1]),
  c('concatenate', 'vectors', { dimension: 0 }, (r) => [arr([2], u2(r)), arr([2], u2(r))], [0, 1]),

  c('gather', 'rows with repeats', { dimensionNumbers: gdn([1], [0], [0]), sliceSizes: [1, 3], mode: 'clip', fillValue: null },
    (r) => [arr([5, 3], u2(r)), i32([0, 3, 3, Math.floor(r() * 5)], [4, 1])], [0]),
  c('gather', 'points', { dimensionNumbers: gdn([], [0, 1], [0, 1]), sliceSizes: [1, 1], mode: 'clip', fillValue: null },
    (r) => [arr([4, 4], u2(r)), ints([3, 2], r, 0, 3)], [0]),
  c('gather', 'windows, clamped', { dimensionNumbers: gdn([1], [], [0]), sliceSizes: [3], mode: 'clip', fillValue: null },
    (r) => [arr([6], u2(r)), i32([5, Math.floor(r() * 4)], [2, 1])], [0]),
  c('gather', 'fill mode, out of bounds', { dimensionNumbers: gdn([1], [0], [0]), sliceSizes: [1, 3], mode: 'fill', fillValue: 0 },
    (r) => [arr([5, 3], u2(r)), i32([7, 1, Math.floor(r() * 5)], [3, 1])], [0]),
  c('gather', 'batching dims', { dimensionNumbers: gdn([], [1], [1], [0], [0]), sliceSizes: [1, 1], mode: 'clip', fillValue: null },
    (r) => [arr([2, 5], u2(r)), ints([2, 3, 1], r, 0, 4)], [0]),

  c('scatter_add', 'rows with repeats', { dimensionNumbers: sdn([1], [0], [0]), mode: 'drop' },
    (r) => [arr([5, 3], u2(r)), i32([0, 3, 3, Math.floor(r() * 5)], [4, 1]), arr([4, 3], u2(r))], [0, 2]),
  c('scatter_add', 'points', { dimensionNumbers: sdn([], [0, 1], [0, 1]), mode: 'drop' },
    (r) => [arr([4, 4], u2(r)), ints([3, 2], r, 0, 3), arr([3], u2(r))], [0, 2]),
  c('scatter_add', 'dropped out of bounds', { dimensionNumbers: sdn([1], [0], [0]), mode: 'drop' },
    (r) => [arr([5, 3], u2(r)), i32([9, 2, Math.floor(r() * 5)], [3, 1]), arr([3, 3], u2(r))], [0, 2]),
  c('scatter_add', 'clip mode', { dimensionNumbers: sdn([1], [0], [0]), mode: 'clip' },
    (r) => [arr([5, 3], u2(r)), i32([9, 2], [2, 1]), arr([2, 3], u2(r))], [0, 2]),

  c('cumsum', '[4] axis 0', { axis: 0, reverse: false }, (r) => [arr([4], u2(r))], [0]),
  c('cumsum', '[3,4] axis 1 reverse', { axis: 1, reverse: true }, (r) => [arr([3, 4], u2(r))], [0]),
  c('cumsum', '[3,4] axis 0', { axis: 0, reverse: false }, (r) => [arr([3, 4], u2(r))], [0]),

  c('conv_general_dilated', '1-d [2,2,5]⊛[3,2,3] pad (1,0)', conv({ padding: [[1, 0]] }), (r) => [arr([2, 2, 5], u2(r)), arr([3, 2, 3], u2(r))], [0, 1]),
  c('conv_general_dilated', 'NHWC/HWIO stride 2, rhs dilation', conv({
    windowStrides: [2, 1], padding: [[1, 1], [0, 1]], rhsDilation: [1, 2],
    dimensionNumbers: { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] },
  }), (r) => [arr([1, 4, 4, 2], u2(r)), arr([2, 2, 2, 3], u2(r))], [0, 1]),
  c('conv_general_dilated', 'feature groups 2', conv({ featureGroupCount: 2 }), (r) => [arr([1, 4, 5], u2(r)), arr([4, 2, 2], u2(r))], [0, 1]),
  c('conv_general_dilated', 'batch groups 2', conv({ batchGroupCount: 2 }), (r) => [arr([4, 2, 4], u2(r)), arr([4, 2, 2], u2(r))], [0, 1]),
  c('conv_general_dilated', 'lhs dilation 2, negative padding', conv({ lhsDilation: [2], padding: [[-1, 2]] }), (r) => [arr([1, 2, 4], u2(r)), arr([2, 2, 2], u2(r))], [0, 1]),
  c('reduce_window_sum', '[3,4] 2x2 strides (1,2) padded', win([2, 2], [1, 2], [[0, 1], [1, 0]]), (r) => [arr([3, 4], u2(r))], [0]),
  c('reduce_window_sum', '[5] base and window dilation', win([2], [1], [[1, 1]], [2], [2]), (r) => [arr([5], u2(r))], [0]),
  c('reduce_window_max', '[3,4] 2x2 strides (1,2) padded', win([2, 2], [1, 2], [[0, 1], [1, 0]]), (r) => [distinct([3, 4], r)], [0]),
  c('reduce_window_max', '[6] window 3 dilation 2', win([3], [1], [[0, 0]], [1], [2]), (r) => [distinct([6], r)], [0]),
  c('reduce_window_min', '[3,4] 2x2 strides (1,2) padded', win([2, 2], [1, 2], [[0, 1], [1, 0]]), (r) => [distinct([3, 4], r)], [0]),

  c('sort', '[5]', { dimension: 0, numKeys: 1 }, (r) => [distinct([5], r)], [0]),
  c('sort', '[3,4] dim 0', { dimension: 0, numKeys: 1 }, (r) => [distinct([3, 4], r)], [0]),
  c('sort', 'keys and values', { dimension: 0, numKeys: 1 }, (r) => [distinct([5], r), arr([5], u2(r))], [0, 1]),
  c('sort', 'with int32 values', { dimension: 1, numKeys: 1 }, (r) => [distinct([2, 4], r), ints([2, 4], r, 0, 9)], [0], { outs: [0] }),

  // cholesky reads the lower triangle and its jvp symmetrizes the tangent (as JAX): it is
  // differentiated along symmetric directions, x ↦ cholesky((x + xᵀ)/2).
  c('cholesky', 'f64[3,3]', {}, (r) => [spd([3, 3], r)], [0], { pre: ([x]) => [mul(add(x, mT(x)), 0.5)] }),
  c('cholesky', 'f64[2,3,3]', {}, (r) => [spd([2, 3, 3], r)], [0], { pre: ([x]) => [mul(add(x, mT(x)), 0.5)] }),
  c('cholesky', 'f64[1,1]', {}, (r) => [spd([1, 1], r)], [0], { pre: ([x]) => [mul(add(x, mT(x)), 0.5)] }),

  ...solveCases(),

  c('lu', 'f64[3,3]', {}, (r) => [pivoted([3, 3], r)], [0], { outs: [0] }),
  c('lu', 'f64[2,4,4]', {}, (r) => [pivoted([2, 4, 4], r)], [0], { outs: [0] }),

  ...decompCases(),
]

// ---- non-differentiable primitives (for the zero-tangent check and the vmap suite) -----------

const floatsFor = (s: Shape) => (r: Rnd) => arr(s, uni(r, -3, 3))
export const nonDifferentiableCases = (): PrimCase[] => [
  ...(['sign', 'floor', 'ceil', 'round', 'stop_gradient'] as const).flatMap((p) => [
    c(p, 'f64[2,3]', {}, (r) => [floatsFor([2, 3])(r)], [0]),
    c(p, 'f64[]', {}, (r) => [floatsFor([])(r)], [0]),
  ]),
  c('sign', 'i32[4]', {}, (r) => [ints([4], r, -3, 3)], []),
  c('not', 'bool[4]', {}, (r) => [randBools([4], r)], []),
  c('not', 'i32[2,2]', {}, (r) => [ints([2, 2], r, -5, 5)], []),
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).flatMap((p) => [
    c(p, 'f64[3], f64[3]', {}, (r) => [arr([3], () => Math.round(4 * r()) / 2), arr([3], () => Math.round(4 * r()) / 2)], [0, 1]),
    c(p, 'i32[], i32[2,2]', {}, (r) => [ints([], r, 0, 2), ints([2, 2], r, 0, 2)], []),
  ]),
  ...(['and', 'or'] as const).flatMap((p) => [
    c(p, 'bool[4], bool[4]', {}, (r) => [randBools([4], r), randBools([4], r)], []),
    c(p, 'i32[3], i32[]', {}, (r) => [ints([3], r, 0, 15), ints([], r, 0, 15)], []),
  ]),
  c('argmax', 'f64[3,4] axis 1', { axis: 1, indexDtype: 'int32' }, (r) => [distinct([3, 4], r)], [0]),
  c('argmax', 'f64[3,4] axis 0', { axis: 0, indexDtype: 'int32' }, (r) => [distinct([3, 4], r)], [0]),
  c('argmin', 'f64[5] axis 0', { axis: 0, indexDtype: 'int32' }, (r) => [distinct([5], r)], [0]),
  c('argmin', 'i32[2,3] axis 1', { axis: 1, indexDtype: 'int32' }, (r) => [ints([2, 3], r, -9, 9)], []),
  c('iota', 'i32[2,3] dim 1', { dtype: 'int32', shape: [2, 3], dimension: 1 }, () => [], []),
  c('iota', 'f64[4] dim 0', { dtype: 'float64', shape: [4], dimension: 0 }, () => [], []),
  // bitwise: any 32-bit words; shift amounts partly outside [0, 31] (XLA: shifted out)
  ...(['xor', 'shift_left', 'shift_right_logical', 'shift_right_arithmetic'] as const).flatMap((p) => [
    c(p, 'i32[4], i32[4]', {}, (r) => [ints([4], r, -(2 ** 31), 2 ** 31 - 1), ints([4], r, -3, 40)], []),
    c(p, 'i32[], i32[2,3]', {}, (r) => [ints([], r, -(2 ** 31), 2 ** 31 - 1), ints([2, 3], r, 0, 31)], []),
  ]),
]

/** float32 data (values rounded by the Float32Array store). */
const f32 = (shape: Shape, draw: () => number): ConcreteArray => {
  const d = new Float32Array(sizeOfShape(shape))
  for (let i = 0; i < d.length; i++) d[i] = draw()
  return new ConcreteArray(d, shape, 'float32')
}

/** Extra cases for the vmap suite: integer and float32 operands. */
export const extraBatchCases = (): PrimCase[] => [
  c('sin', 'f32[2,3]', {}, (r) => [f32([2, 3], u2(r))], []),
  c('mul', 'f32[3], f32[]', {}, (r) => [f32([3], u2(r)), f32([], u2(r))], []),
  c('dot_general', 'f32 matmul', dn([1], [0]), (r) => [f32([2, 3], u2(r)), f32([3, 2], u2(r))], []),
  c('reduce_sum', 'f32[3,2] axes (1)', { axes: [1] }, (r) => [f32([3, 2], u2(r))], []),
  c('convert_element_type', 'f64 → f32', { newDtype: 'float32', weakType: false }, (r) => [arr([3], u2(r))], []),
  c('add', 'i32[3], i32[]', {}, (r) => [ints([3], r, -9, 9), ints([], r, -9, 9)], []),
  c('mul', 'i32[2,2], i32[2,2]', {}, (r) => [ints([2, 2], r, -9, 9), ints([2, 2], r, -9, 9)], []),
  c('max', 'i32[4], i32[4]', {}, (r) => [ints([4], r, -9, 9), ints([4], r, -9, 9)], []),
  c('select_n', 'bool[3] pred, i32 cases', {}, (r) => [randBools([3], r), ints([3], r, 0, 9), ints([3], r, 0, 9)], []),
  c('convert_element_type', 'f64 → i32', { newDtype: 'int32', weakType: false }, (r) => [arr([3], uni(r, -5, 5))], []),
  c('convert_element_type', 'i32 → f64', { newDtype: 'float64', weakType: false }, (r) => [ints([2, 2], r, -5, 5)], []),
  c('reduce_max', 'i32[3,2] axes (0)', { axes: [0] }, (r) => [ints([3, 2], r, -9, 9)], []),
  c('cumsum', 'i32[5]', { axis: 0, reverse: false }, (r) => [ints([5], r, -9, 9)], []),
  c('sort', 'two keys', { dimension: 0, numKeys: 2 }, (r) => [ints([6], r, 0, 2), distinct([6], r)], []),
  c('eigh', 'f32[3,3]', { lower: true }, (r) => [toF32(separatedSpectrum([3, 3], r, true))], []),
  c('svd', 'f32[3,2]', { fullMatrices: true, computeUv: true }, (r) => [toF32(separatedSpectrum([3, 2], r))], []),
  c('qr', 'f32[2,3]', { fullMatrices: false }, (r) => [toF32(separatedSpectrum([2, 3], r))], []),
]

const toF32 = (x: ConcreteArray): ConcreteArray => new ConcreteArray(Float32Array.from(x.data), x.shape, 'float32')
