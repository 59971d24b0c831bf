/**
 * leibniz/laws: `arb.program` — random well-typed programs over the primitive families, with
 * domain-safe inputs (log of positives, asin inside (−1, 1), no division near zero, bounded
 * exponentials), for fuzzing the transformations themselves. By default every value in a
 * program has the same shape, so any op can take any earlier value. With `smooth` (the default)
 * only ops that are differentiable everywhere are drawn, so finite differences apply; otherwise
 * kinked ops (abs, max, where, sort, reduce_max, …) join in.
 *
 * Opt-in extensions (each off by default, so existing seeds draw the same programs):
 * `broadcast` gives inputs shapes that broadcast to the program's shape (elementwise ops then
 * broadcast; the other ops broadcast their operands to the full shape first); `control` adds
 * `lax.cond`, `lax.scan`, `lax.foriLoop` and `lax.whileLoop` steps; `custom` adds steps that
 * call `customJvp` functions; `integer` (with
 * `smooth: false`) adds steps computing in int32; `ops` names the exact set of steps to draw.
 */
import fc from 'fast-check'
import { customJvp, lax, np } from '../src'
import type { Array } from '../src'
import { array } from './arbitraries'

/** Options of `arb.program`. */
export interface ProgramOptions {
  /** Number of input arrays (default 2). */
  readonly numInputs?: number
  /** Shape of every value; default: drawn from [4], [2, 3], [3, 3]. */
  readonly shape?: readonly number[]
  /** At most this many operations (default 5; at least one). */
  readonly maxOps?: number
  /** 'scalar' sums the last value (for grad, hessian); 'array' returns it. */
  readonly output?: 'scalar' | 'array'
  /** Only operations differentiable everywhere (default true); false adds abs, max, where, sort, floor, … */
  readonly smooth?: boolean
  /** dtype of the inputs (default float64); 'mixed' draws float32 or float64 per input, so
   *  steps promote (a float32 with a float64 computes in float64, as in JAX). */
  readonly dtype?: 'float64' | 'float32' | 'mixed'
  /** Inputs get shapes that broadcast to `shape` (e.g. [3] or [2, 1] for [2, 3]); default false. */
  readonly broadcast?: boolean
  /** Add control-flow steps: `cond`, `scan`, `fori_loop`, `while_loop` (default false). */
  readonly control?: boolean
  /** With `smooth: false`, add steps that compute in int32 and convert back (default false). */
  readonly integer?: boolean
  /** Add steps that call `customJvp` functions (with correct rules) (default false). */
  readonly custom?: boolean
  /** Draw exactly these steps (names from `programOps`); overrides `smooth`, `control`, `integer`. */
  readonly ops?: readonly string[]
}

/** A random program: the function, inputs inside its domain, and its text. */
export interface Program {
  /** The program as a function of its inputs. */
  readonly fn: (...xs: Array[]) => Array
  /** Inputs drawn inside every operation's domain. */
  readonly args: Array[]
  /** The program as text, e.g. `v2 = tanh(v0); v3 = mul(v2, v1); out = sum(v3)`; with
   *  `broadcast`, prefixed by the input shapes (`v0: [2, 3]; v1: [1, 3]; …`). */
  readonly text: string
  /** The names of the steps drawn, in order. */
  readonly ops: readonly string[]
  /** Whether reverse mode (vjp, grad) applies: false when a `while_loop` step was drawn, which
   *  is forward-differentiable only. */
  readonly reverse: boolean
}

interface OpSpec {
  readonly arity: 1 | 2
  readonly smooth: boolean
  /** Elementwise: applies to broadcastable operands as they are (others get full-shape operands). */
  readonly ew?: boolean
  /** Forward-differentiable only (no reverse mode). */
  readonly forwardOnly?: boolean
  /** Apply to values of shape `s`; `k` is a per-occurrence integer for indices/axes. */
  readonly apply: (xs: Array[], s: readonly number[], k: number) => Array
}

const flat = (x: Array) => x.reshape([x.size])
const sq1 = (x: Array) => x.mul(x).add(1)

const OPS: Readonly<Record<string, OpSpec>> = {
  sin: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.sin(a) },
  cos: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.cos(a) },
  tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.tanh(a) },
  exp_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.exp(np.tanh(a)) },
  log_sq1: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.log(sq1(a)) },
  log1p_sq: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.log1p(a.mul(a)) },
  sqrt_sq: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.sqrt(a.mul(a).add(0.5)) },
  rsqrt_sq1: { arity: 1, smooth: true, ew: true, apply: ([a]) => lax.rsqrt(sq1(a)) },
  expm1_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.expm1(np.tanh(a)) },
  asin_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.arcsin(np.tanh(a).mul(0.9)) },
  acos_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.arccos(np.tanh(a).mul(0.9)) },
  atan: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.arctan(a) },
  sinh_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.sinh(np.tanh(a)) },
  cosh_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.cosh(np.tanh(a)) },
  tan_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.tan(np.tanh(a)) },
  logistic: { arity: 1, smooth: true, ew: true, apply: ([a]) => lax.logistic(a) },
  square: { arity: 1, smooth: true, ew: true, apply: ([a]) => lax.integerPow(a, 2) },
  cube_tanh: { arity: 1, smooth: true, ew: true, apply: ([a]) => lax.integerPow(np.tanh(a), 3) },
  neg: { arity: 1, smooth: true, ew: true, apply: ([a]) => np.negative(a) },
  add: { arity: 2, smooth: true, ew: true, apply: ([a, b]) => np.add(a, b) },
  sub: { arity: 2, smooth: true, ew: true, apply: ([a, b]) => np.subtract(a, b) },
  mul: { arity: 2, smooth: true, ew: true, apply: ([a, b]) => np.multiply(a, b) },
  div: { arity: 2, smooth: true, ew: true, apply: ([a, b]) => np.divide(a, sq1(b)) },
  pow: { arity: 2, smooth: true, ew: true, apply: ([a, b]) => np.power(sq1(a), np.tanh(b)) },
  atan2: { arity: 2, smooth: true, ew: true, apply: ([a, b]) => np.arctan2(a, sq1(b)) },
  scale_shift: { arity: 1, smooth: true, ew: true, apply: ([a], _s, k) => a.mul(0.5 + (k % 3)).add(0.25 * (k % 5)) },
  // shape and data movement: every op maps shape s to shape s
  transpose_reshape: { arity: 1, smooth: true, apply: ([a], s) => np.transpose(a).reshape([...s]) },
  sum_broadcast: { arity: 1, smooth: true, apply: ([a], s) => np.broadcastTo(np.sum(a, -1, { keepdims: true }), [...s]) },
  mean_all: { arity: 2, smooth: true, ew: true, apply: ([a, b]) => a.add(np.mean(b)) },
  prod_broadcast: { arity: 1, smooth: true, apply: ([a], s) => np.broadcastTo(np.prod(np.tanh(a).add(1.5), -1, { keepdims: true }), [...s]) },
  cumsum: { arity: 1, smooth: true, apply: ([a]) => np.cumsum(a, -1) },
  shift_pad_slice: { arity: 1, smooth: true, apply: ([a], s) => { const f = flat(a); return lax.slice(lax.pad(f, 0, [[1, 1, 0]]), [0], [f.size]).reshape([...s]) } },
  concat_slice: { arity: 2, smooth: true, apply: ([a, b], s) => { const n = a.size; const c = np.concatenate([flat(a), flat(b)], 0); const o = Math.floor(n / 2); return lax.slice(c, [o], [o + n]).reshape([...s]) } },
  outer_matvec: { arity: 2, smooth: true, apply: ([a, b], s) => np.matmul(np.outer(flat(a), flat(b)), flat(a)).mul(1 / a.size).reshape([...s]) },
  take_perm: { arity: 1, smooth: true, apply: ([a], s, k) => { const n = a.size; const idx = np.array(globalThis.Array.from({ length: n }, (_, i) => (i * (2 * (k % 3) + 1) + k) % n), { dtype: 'int32' }); return np.take(flat(a), idx).reshape([...s]) } },
  dynamic_update: { arity: 2, smooth: true, apply: ([a, b], s, k) => { const n = a.size; const m = Math.max(1, Math.floor(n / 2)); return lax.dynamicUpdateSlice(flat(a), lax.slice(flat(b), [0], [m]).astype(a.dtype), [k % (n - m + 1)]).reshape([...s]) } },
  // kinked: fine for eval/jit/vmap laws, not for finite differences
  abs: { arity: 1, smooth: false, ew: true, apply: ([a]) => np.abs(a) },
  maximum: { arity: 2, smooth: false, ew: true, apply: ([a, b]) => np.maximum(a, b) },
  minimum: { arity: 2, smooth: false, ew: true, apply: ([a, b]) => np.minimum(a, b) },
  where: { arity: 2, smooth: false, ew: true, apply: ([a, b]) => np.where(np.greater(a, 0), a, b) },
  sort: { arity: 1, smooth: false, apply: ([a], s) => np.sort(flat(a)).reshape([...s]) },
  max_broadcast: { arity: 1, smooth: false, apply: ([a], s) => np.broadcastTo(np.max(a, -1, { keepdims: true }), [...s]) },
  floor_mix: { arity: 2, smooth: false, ew: true, apply: ([a, b]) => np.floor(a).add(b) },
}

/**
 * Opt-in steps. Control flow: both branches of `cond` are smooth (it switches where the mean
 * of an operand crosses −0.25, 0.05 or 0.35 — away from 0 and the range's ends, where shrunk
 * inputs sit — so a finite-difference step rarely crosses it); `scan` runs along the first
 * axis; `fori_loop` has a static trip count (reverse-differentiable); `while_loop` is
 * forward-differentiable only. Integer steps compute in int32 (floor, floor division, remainder,
 * integer sums) and convert back, so they are piecewise constant (not smooth).
 */
// customJvp nodes with correct rules: every transformation must go through the rule
const customSoftplus = customJvp(function softplus(x: Array) { return np.log1p(np.exp(x)) }, ([x], [t]) => [np.log1p(np.exp(x)), lax.logistic(x).mul(t)])
const customSinc = customJvp(function sinMul(x: Array, y: Array) { return np.sin(x).mul(y) }, ([x, y], [tx, ty]) => [np.sin(x).mul(y), np.cos(x).mul(y).mul(tx).add(np.sin(x).mul(ty))])

const EXTRA: Readonly<Record<string, OpSpec & { readonly group: 'control' | 'integer' | 'custom' }>> = {
  custom_softplus: { arity: 1, smooth: true, ew: true, group: 'custom', apply: ([a]) => customSoftplus(a) },
  custom_sin_mul: { arity: 2, smooth: true, group: 'custom', apply: ([a, b]) => customSinc(a, b) },
  cond: {
    arity: 2, smooth: true, group: 'control',
    apply: ([a, b], _s, k) => lax.cond(np.mean(b).gt(0.3 * (k % 3) - 0.25), (x: Array, y: Array) => np.sin(x).mul(y), (x: Array, y: Array) => np.tanh(x.add(y)), a, b),
  },
  scan: {
    arity: 2, smooth: true, group: 'control',
    apply: ([a, b], _s, k) => {
      // (the carry keeps its dtype when the inputs' dtypes differ)
      const step = (c: Array, x: Array): [Array, Array] => {
        const c2 = np.sin(c).mul(0.8).add(x.mul(0.5)).astype(c.dtype)
        return [c2, c2.mul(x)]
      }
      const [c, ys] = lax.scan(step, np.mean(a, 0), b, { reverse: k % 2 === 1 })
      return ys.add(c)
    },
  },
  fori_loop: {
    arity: 2, smooth: true, group: 'control',
    apply: ([a, b], _s, k) => lax.foriLoop(0, 1 + (k % 3), (i: Array, c: Array) => np.tanh(c).mul(0.9).add(b.mul(0.3)).add(i.astype(c.dtype).mul(0.1)).astype(c.dtype), a),
  },
  while_loop: {
    arity: 2, smooth: true, forwardOnly: true, group: 'control',
    apply: ([a, b], _s, k) => {
      const n = 1 + (k % 3)
      const init: [Array, Array] = [np.array(0, { dtype: 'int32' }), a]
      const [, c] = lax.whileLoop(([i]: [Array, Array]) => i.lt(n), ([i, c]: [Array, Array]): [Array, Array] => [i.add(1), np.sin(c).mul(0.9).add(b.mul(0.3)).astype(c.dtype)], init)
      return c
    },
  },
  int_mix: {
    arity: 2, smooth: false, ew: true, group: 'integer',
    apply: ([a, b]) => {
      const q = np.floor(a.mul(4)).astype('int32')
      return q.mul(q).sub(q.mul(3)).add(np.floorDivide(q, 3)).astype(b.dtype).mul(0.05).add(b)
    },
  },
  int_mod_sum: {
    arity: 1, smooth: false, group: 'integer',
    apply: ([a], s) => {
      const m = np.remainder(np.floor(a.mul(8)).astype('int32'), 5)
      return np.broadcastTo(np.sum(m, -1, { keepdims: true }), [...s]).astype(a.dtype).mul(0.1).add(a)
    },
  },
}

const specOf = (name: string): OpSpec => OPS[name] ?? EXTRA[name]

/** The names of the steps `arb.program` draws by default (`smooth`: only the smooth ones);
 *  `extra` adds the opt-in control-flow and integer steps (all names accepted by `ops`). */
export const programOps = (smooth: boolean, extra: { readonly control?: boolean; readonly integer?: boolean; readonly custom?: boolean } = {}): string[] => [
  ...Object.keys(OPS).filter((k) => !smooth || OPS[k].smooth),
  ...Object.keys(EXTRA).filter((k) => {
    const g = EXTRA[k].group
    return g === 'control' ? extra.control === true : g === 'custom' ? extra.custom === true : extra.integer === true && !smooth
  }),
]

/** Shapes that broadcast to `s`: a suffix of it, with some sizes replaced by 1. */
const broadcastShape = (s: readonly number[]): fc.Arbitrary<readonly number[]> =>
  fc.tuple(fc.nat({ max: s.length }), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length })).map(([drop, ones]) =>
    s.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)),
  )

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`

/** Random programs; see the module comment. */
export const program = (opts: ProgramOptions = {}): fc.Arbitrary<Program> => {
  const numInputs = opts.numInputs ?? 2
  const smooth = opts.smooth ?? true
  const names = opts.ops ? [...opts.ops] : programOps(smooth, opts)
  if (names.length === 0) throw new RangeError('arb.program: `ops` is empty; name at least one step (see programOps)')
  for (const n of names) {
    if (specOf(n) === undefined) throw new RangeError(`arb.program: unknown step '${n}'; expected one of ${programOps(false, { control: true, integer: true, custom: true }).join(', ')}`)
  }
  const dtypeArb: fc.Arbitrary<'float32' | 'float64'> = opts.dtype === 'mixed' ? fc.constantFrom('float32', 'float64') : fc.constant(opts.dtype ?? 'float64')
  const input = (shape: readonly number[]) => dtypeArb.chain((dtype) => array({ shape, dtype, min: -1.5, max: 1.5 }))
  const shapeArb = opts.shape ? fc.constant(opts.shape) : fc.constantFrom<readonly number[]>([4], [2, 3], [3, 3])
  const step = fc.record({ op: fc.constantFrom(...names), i: fc.nat(), j: fc.nat(), k: fc.nat({ max: 1000 }) })
  return shapeArb.chain((s) => {
    const inputShapes = fc.tuple(...globalThis.Array.from({ length: numInputs }, (_, i) => (opts.broadcast && i > 0 ? broadcastShape(s) : fc.constant(s))))
    const inputs = opts.broadcast
      ? inputShapes.chain((shapes) => fc.tuple(...shapes.map(input)))
      : fc.tuple(...globalThis.Array.from({ length: numInputs }, () => input(s)))
    return fc
      .record({ args: inputs, steps: fc.array(step, { minLength: 1, maxLength: opts.maxOps ?? 5 }) })
      .map(({ args, steps }) => {
        const lines: string[] = []
        let n = numInputs
        for (const st of steps) {
          const spec = specOf(st.op)
          const ins = spec.arity === 1 ? [st.i % n] : [st.i % n, st.j % n]
          lines.push(`v${n} = ${st.op}(${ins.map((i) => `v${i}`).join(', ')})`)
          n++
        }
        const full = (x: Array): Array => (x.shape.length === s.length && x.shape.every((d, i) => d === s[i]) ? x : np.broadcastTo(x, [...s]))
        const fn = (...xs: Array[]): Array => {
          const vals = [...xs]
          for (const st of steps) {
            const spec = specOf(st.op)
            const m = vals.length
            const ins = spec.arity === 1 ? [vals[st.i % m]] : [vals[st.i % m], vals[st.j % m]]
            vals.push(spec.apply(spec.ew ? ins : ins.map(full), s, st.k))
          }
          const last = vals[vals.length - 1]
          return opts.output === 'array' ? last : np.sum(last)
        }
        const typeOf = (a: Array) => (opts.dtype === 'mixed' ? `${a.dtype === 'float32' ? 'f32' : 'f64'}` : '')
        const head =
          opts.broadcast || opts.dtype === 'mixed'
            ? `${(args as Array[]).map((a, i) => `v${i}: ${typeOf(a)}${opts.broadcast ? fmtShape(a.shape) : ''}`).join('; ')}; `
            : ''
        const text = `${head}${lines.join('; ')}; out = ${opts.output === 'array' ? `v${n - 1}` : `sum(v${n - 1})`}`
        const ops = steps.map((st) => st.op)
        return { fn, args: [...args] as Array[], text, ops, reverse: ops.every((o) => !specOf(o).forwardOnly) }
      })
  })
}
