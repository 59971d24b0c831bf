/**
 * leibniz/laws: `arb.program` — random well-typed programs over the primitive families, with
 * domain-safe inputs (log of positives, asin inside (−1, 1), no division near zero, bounded
 * exponentials), for fuzzing the transformations themselves. Every value in a program has
 * the same shape, so any op can take any earlier value. With `smooth` (the default) only
 * ops that are differentiable everywhere are drawn, so finite differences apply; otherwise
 * kinked ops (abs, max, where, sort, reduce_max, …) join in.
 */
import fc from 'fast-check'
import { lax, np } from '../src'
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
  /** dtype of the inputs (default float64). */
  readonly dtype?: 'float64' | 'float32'
}

/** A random program: the function, inputs inside its domain, and its text. */
export interface Program {
  /** The program as a function of its inputs. */
  readonly fn: (...xs: Array[]) => Array
  /** Inputs drawn inside every operation's domain. */
  readonly args: Array[]
  /** The program as text, e.g. `v2 = tanh(v0); v3 = mul(v2, v1); out = sum(v3)`. */
  readonly text: string
}

interface OpSpec {
  readonly arity: 1 | 2
  readonly smooth: boolean
  /** Apply to values of shape `s`; `k` is a per-occurrence integer for indices/axes. */
  readonly apply: (xs: Array[], s: readonly number[], k: number) => Array
}

const flat = (x: Array) => x.reshape([x.size])
const sq1 = (x: Array) => x.mul(x).add(1)

const OPS: Readonly<Record<string, OpSpec>> = {
  sin: { arity: 1, smooth: true, apply: ([a]) => np.sin(a) },
  cos: { arity: 1, smooth: true, apply: ([a]) => np.cos(a) },
  tanh: { arity: 1, smooth: true, apply: ([a]) => np.tanh(a) },
  exp_tanh: { arity: 1, smooth: true, apply: ([a]) => np.exp(np.tanh(a)) },
  log_sq1: { arity: 1, smooth: true, apply: ([a]) => np.log(sq1(a)) },
  log1p_sq: { arity: 1, smooth: true, apply: ([a]) => np.log1p(a.mul(a)) },
  sqrt_sq: { arity: 1, smooth: true, apply: ([a]) => np.sqrt(a.mul(a).add(0.5)) },
  rsqrt_sq1: { arity: 1, smooth: true, apply: ([a]) => lax.rsqrt(sq1(a)) },
  expm1_tanh: { arity: 1, smooth: true, apply: ([a]) => np.expm1(np.tanh(a)) },
  asin_tanh: { arity: 1, smooth: true, apply: ([a]) => np.arcsin(np.tanh(a).mul(0.9)) },
  acos_tanh: { arity: 1, smooth: true, apply: ([a]) => np.arccos(np.tanh(a).mul(0.9)) },
  atan: { arity: 1, smooth: true, apply: ([a]) => np.arctan(a) },
  sinh_tanh: { arity: 1, smooth: true, apply: ([a]) => np.sinh(np.tanh(a)) },
  cosh_tanh: { arity: 1, smooth: true, apply: ([a]) => np.cosh(np.tanh(a)) },
  tan_tanh: { arity: 1, smooth: true, apply: ([a]) => np.tan(np.tanh(a)) },
  logistic: { arity: 1, smooth: true, apply: ([a]) => lax.logistic(a) },
  square: { arity: 1, smooth: true, apply: ([a]) => lax.integerPow(a, 2) },
  cube_tanh: { arity: 1, smooth: true, apply: ([a]) => lax.integerPow(np.tanh(a), 3) },
  neg: { arity: 1, smooth: true, apply: ([a]) => np.negative(a) },
  add: { arity: 2, smooth: true, apply: ([a, b]) => np.add(a, b) },
  sub: { arity: 2, smooth: true, apply: ([a, b]) => np.subtract(a, b) },
  mul: { arity: 2, smooth: true, apply: ([a, b]) => np.multiply(a, b) },
  div: { arity: 2, smooth: true, apply: ([a, b]) => np.divide(a, sq1(b)) },
  pow: { arity: 2, smooth: true, apply: ([a, b]) => np.power(sq1(a), np.tanh(b)) },
  atan2: { arity: 2, smooth: true, apply: ([a, b]) => np.arctan2(a, sq1(b)) },
  scale_shift: { arity: 1, smooth: true, apply: ([a], _s, k) => a.mul(0.5 + (k % 3)).add(0.25 * (k % 5)) },
  // shape and data movement: every op maps shape s to shape s
  transpose_reshape: { arity: 1, smooth: true, apply: ([a], s) => np.transpose(a).reshape([...s]) },
  sum_broadcast: { arity: 1, smooth: true, apply: ([a], s) => np.broadcastTo(np.sum(a, -1, { keepdims: true }), [...s]) },
  mean_all: { arity: 2, smooth: true, apply: ([a, b]) => a.add(np.mean(b)) },
  prod_broadcast: { arity: 1, smooth: true, apply: ([a], s) => np.broadcastTo(np.prod(np.tanh(a).add(1.5), -1, { keepdims: true }), [...s]) },
  cumsum: { arity: 1, smooth: true, apply: ([a]) => np.cumsum(a, -1) },
  shift_pad_slice: { arity: 1, smooth: true, apply: ([a], s) => { const f = flat(a); return lax.slice(lax.pad(f, 0, [[1, 1, 0]]), [0], [f.size]).reshape([...s]) } },
  concat_slice: { arity: 2, smooth: true, apply: ([a, b], s) => { const n = a.size; const c = lax.concatenate([flat(a), flat(b)], 0); const o = Math.floor(n / 2); return lax.slice(c, [o], [o + n]).reshape([...s]) } },
  outer_matvec: { arity: 2, smooth: true, apply: ([a, b], s) => np.matmul(np.outer(flat(a), flat(b)), flat(a)).mul(1 / a.size).reshape([...s]) },
  take_perm: { arity: 1, smooth: true, apply: ([a], s, k) => { const n = a.size; const idx = np.array(globalThis.Array.from({ length: n }, (_, i) => (i * (2 * (k % 3) + 1) + k) % n), { dtype: 'int32' }); return np.take(flat(a), idx).reshape([...s]) } },
  dynamic_update: { arity: 2, smooth: true, apply: ([a, b], s, k) => { const n = a.size; const m = Math.max(1, Math.floor(n / 2)); return lax.dynamicUpdateSlice(flat(a), lax.slice(flat(b), [0], [m]), [k % (n - m + 1)]).reshape([...s]) } },
  // kinked: fine for eval/jit/vmap laws, not for finite differences
  abs: { arity: 1, smooth: false, apply: ([a]) => np.abs(a) },
  maximum: { arity: 2, smooth: false, apply: ([a, b]) => np.maximum(a, b) },
  minimum: { arity: 2, smooth: false, apply: ([a, b]) => np.minimum(a, b) },
  where: { arity: 2, smooth: false, apply: ([a, b]) => np.where(np.greater(a, 0), a, b) },
  sort: { arity: 1, smooth: false, apply: ([a], s) => np.sort(flat(a)).reshape([...s]) },
  max_broadcast: { arity: 1, smooth: false, apply: ([a], s) => np.broadcastTo(np.max(a, -1, { keepdims: true }), [...s]) },
  floor_mix: { arity: 2, smooth: false, apply: ([a, b]) => np.floor(a).add(b) },
}

export const programOps = (smooth: boolean): string[] => Object.keys(OPS).filter((k) => !smooth || OPS[k].smooth)

/** Random programs; see the module comment. */
export const program = (opts: ProgramOptions = {}): fc.Arbitrary<Program> => {
  const numInputs = opts.numInputs ?? 2
  const smooth = opts.smooth ?? true
  const names = programOps(smooth)
  const shapeArb = opts.shape ? fc.constant(opts.shape) : fc.constantFrom<readonly number[]>([4], [2, 3], [3, 3])
  const step = fc.record({ op: fc.constantFrom(...names), i: fc.nat(), j: fc.nat(), k: fc.nat({ max: 1000 }) })
  return shapeArb.chain((s) =>
    fc
      .record({
        args: fc.tuple(...globalThis.Array.from({ length: numInputs }, () => array({ shape: s, dtype: opts.dtype ?? 'float64', min: -1.5, max: 1.5 }))),
        steps: fc.array(step, { minLength: 1, maxLength: opts.maxOps ?? 5 }),
      })
      .map(({ args, steps }) => {
        const lines: string[] = []
        let n = numInputs
        for (const st of steps) {
          const spec = OPS[st.op]
          const ins = spec.arity === 1 ? [st.i % n] : [st.i % n, st.j % n]
          lines.push(`v${n} = ${st.op}(${ins.map((i) => `v${i}`).join(', ')})`)
          n++
        }
        const fn = (...xs: Array[]): Array => {
          const vals = [...xs]
          for (const st of steps) {
            const spec = OPS[st.op]
            const m = vals.length
            const ins = spec.arity === 1 ? [vals[st.i % m]] : [vals[st.i % m], vals[st.j % m]]
            vals.push(spec.apply(ins, s, st.k))
          }
          const last = vals[vals.length - 1]
          return opts.output === 'array' ? last : np.sum(last)
        }
        const text = `${lines.join('; ')}; out = ${opts.output === 'array' ? `v${n - 1}` : `sum(v${n - 1})`}`
        return { fn, args: [...args] as Array[], text }
      }),
  )
}
