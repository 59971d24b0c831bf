/**
 * Backend layer (wasm): lowering an expression DAG to straight-line SIMD code on one vector
 * of lanes (f32x4 or f64x2). Each distinct subexpression is computed once, in topological order; the loops
 * around it (elementwise.ts, reduce.ts) decide where the input vectors come from.
 *
 * Exactness: add sub mul div sqrt neg abs floor ceil round sign min max select and integer
 * powers produce exactly what `evalExpr` does (float32 operations are IEEE single and equal
 * Math.fround of the double result; integer powers repeat the reference's squarings, in
 * float64 for float32 when a product of more than two factors is involved). Transcendentals
 * are the approximations of math32.ts / math64.ts.
 */
import type { FuncRef, Local } from './encode'
import { type Canonical, type Expr, type FloatDType, type Node, type Pred, type UnaryOp, canonicalize } from './expr'
import { cos32, exp32, expm1_32, log1p32, log32, logistic32, pow32, rsqrt32, sin32, tanh32 } from './math32'
import { cos64, exp64, expm1_64, log1p64, log64, logistic64, sin64, tanh64 } from './math64'
import { type Arg, type Arith, Simd, arith } from './simd'

type Math1 = (s: Simd, x: Local) => Local

const MATH: Readonly<Record<FloatDType, Partial<Record<UnaryOp, Math1>>>> = {
  float32: { exp: exp32, expm1: expm1_32, log: log32, log1p: log1p32, tanh: tanh32, logistic: logistic32, sin: sin32, cos: cos32, rsqrt: rsqrt32 },
  float64: { exp: exp64, expm1: expm1_64, log: log64, log1p: log1p64, tanh: tanh64, logistic: logistic64, sin: sin64, cos: cos64 },
}

/** x^y by the reference's squarings (r = 1; r *= b on each set bit; b *= b), 1/r for y < 0. */
const ipow = (a: Arith, x: Arg, y: number): Arg => {
  let e = Math.abs(y)
  let r: Arg | null = null
  let b: Arg = x
  while (e > 0) {
    if (e % 2 === 1) r = r === null ? b : a.mul(r, b)
    e = Math.floor(e / 2) // not e >>= 1: |y| may exceed 2^31
    if (e > 0) b = a.mul(b, b)
  }
  const one = a.c(1)
  if (r === null) return one
  return y < 0 ? a.div(one, r) : r
}

const materialize = (s: Simd, v: Arg): Local => ('index' in v ? v : s.copy(v))

/** The reference's max/min: NaN if either side is NaN, else `x > y ? x : y` (so which zero
 *  wins a ±0 tie depends on the order, as in the eager impl). */
const extremum = (a: Arith, op: 'max' | 'min', x: Arg, y: Arg): Local => {
  const pick = a.sel(op === 'max' ? a.gt(x, y) : a.lt(x, y), x, y)
  return a.sel(a.or(a.ne(x, x), a.ne(y, y)), a.c(NaN), pick)
}

/**
 * Emits code computing `roots` from per-iteration input vectors; returns one vector per root.
 * Inputs that are constants for the whole loop (0-d operands) may be passed as locals loaded
 * once before the loop. A kernel that lowers the same roots in several loops passes their
 * `canonicalize(roots)` (`canon`) rather than have it computed again for each.
 */
export const lowerExprs = (
  s: Simd, dtype: FloatDType, roots: readonly Expr[], inputs: readonly Arg[],
  canon: Canonical = canonicalize(roots),
): Arg[] => {
  const t = dtype === 'float32' ? 'f32x4' : 'f64x2'
  const a = arith(s, t)
  const { id, unique } = canon
  // (indexed loops: this runs in cold code on a first call, where a for-of or a filter allocates)
  let transcendentals = 0
  for (let i = 0; i < unique.length; i++) {
    const n = unique[i]
    if (n._tag === 'unary' && MATH[dtype][n.op] !== undefined) transcendentals++
  }
  const calls = transcendentals > INLINE_MATH
  const memo: Arg[] = []
  const v = (n: Expr): Arg => memo[id.get(n) as number]
  const p = (n: Pred): Arg => memo[id.get(n) as number]
  for (let i = 0; i < unique.length; i++) {
    const n = unique[i]
    let out: Arg
    switch (n._tag) {
      case 'input': out = inputs[n.index]; break
      case 'const': out = a.c(dtype === 'float32' ? Math.fround(n.value) : n.value); break
      case 'unary': out = unary(s, a, dtype, n.op, v(n.x), calls); break
      case 'binary': {
        const x = v(n.x), y = v(n.y)
        switch (n.op) {
          case 'add': out = a.add(x, y); break
          case 'sub': out = a.sub(x, y); break
          case 'mul': out = a.mul(x, y); break
          case 'div': out = a.div(x, y); break
          case 'max': case 'min': out = extremum(a, n.op, x, y); break
          case 'pow':
            if (dtype === 'float64') throw new RangeError('wasm kernel: pow is not available in float64')
            out = pow32(s, x, y)
            break
        }
        break
      }
      case 'ipow': {
        const y = n.y
        if (dtype === 'float32' && (y < 0 || y > 2)) {
          // repeat the reference's float64 squarings on the two float64 halves, round once
          const x = v(n.x)
          const ad = arith(s, 'f64x2')
          const lo = materialize(s, ipow(ad, s.op('f64x2.promote_low_f32x4', x), y))
          const hi = materialize(s, ipow(ad, s.op('f64x2.promote_low_f32x4', s.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15], x, x)), y))
          out = s.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23], s.op('f32x4.demote_f64x2_zero', lo), s.op('f32x4.demote_f64x2_zero', hi))
        } else {
          out = ipow(a, v(n.x), y)
        }
        break
      }
      case 'select': out = a.sel(p(n.pred), v(n.onTrue), v(n.onFalse)); break
      case 'fromPred': out = a.and(p(n.pred), a.c(1)); break
      case 'compare': out = a[n.op](v(n.x), v(n.y)); break
      case 'and': out = a.and(p(n.x), p(n.y)); break
      case 'or': out = a.or(p(n.x), p(n.y)); break
      case 'not': out = s.op('v128.not', p(n.x)); break
    }
    memo.push(out)
  }
  return roots.map(v)
}

/**
 * Transcendentals are inlined when an expression has at most this many of them; beyond, each
 * is one helper function per module, called per vector. Inlining saves a call per vector (W1,
 * two of them: ~10 % of its time); calling keeps long chains small — BENCH W7's gradient has
 * 30, which inlined in the unrolled loop made a 180 KB module that took ~50 ms to generate and
 * far longer for the engine's first compile.
 */
const INLINE_MATH = 6

const mathHelper = (s: Simd, dtype: FloatDType, op: UnaryOp, f: Math1): FuncRef =>
  s.kernel.helper(`math:${dtype}:${op}`, (k) => {
    const [ref, fb] = k.module.func(['v128'], ['v128'])
    fb.get(f(new Simd(fb, k), fb.params[0]))
    return ref
  })

const unary = (s: Simd, a: Arith, dtype: FloatDType, op: UnaryOp, x: Arg, calls: boolean): Arg => {
  switch (op) {
    case 'neg': return a.neg(x)
    case 'abs': return a.abs(x)
    case 'sqrt': return a.sqrt(x)
    case 'floor': return a.floor(x)
    case 'ceil': return a.ceil(x)
    case 'round': return a.nearest(x) // ties to even, as roundHalfEven
    case 'sign': return a.sel(a.gt(x, a.c(0)), a.c(1), a.sel(a.lt(x, a.c(0)), a.c(-1), a.sel(a.ne(x, x), x, a.c(0))))
    case 'rsqrt': if (dtype === 'float64') return a.div(a.c(1), a.sqrt(x))
  }
  const f = MATH[dtype][op]
  if (f === undefined) throw new RangeError(`wasm kernel: ${op} is not available in ${dtype}`)
  if (!calls) return f(s, materialize(s, x))
  s.push(x)
  s.f.call(mathHelper(s, dtype, op, f))
  return s.pop()
}
