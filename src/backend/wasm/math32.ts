/**
 * Backend layer (wasm): float32 transcendentals on f32x4 lanes, accurate to ≤ 2 ulp of
 * Math.fround(Math.f(x)) over the whole float32 range (measured in test/backend/wasm/math32).
 *
 *   exp, expm1, log, log1p, tanh, logistic: float32 arithmetic, Cephes-style range reduction
 *     (x = n·ln2 + r with ln2 split in two, x = 2ᵉ·m with m ∈ [√½, √2)) and polynomials;
 *     2ⁿ applied as two exponent-field factors so results that underflow to subnormals round once.
 *   sin, cos, rsqrt, pow: through float64 lanes (two f64x2 halves), where float32 accuracy
 *     is cheap: sin/cos reduce x mod π/2 with a 25+53-bit π/2 (|x| < 4.2e8) or, for larger
 *     lanes, glibc's exact 4/π table reduction in integer arithmetic; pow is exp(y·log x)
 *     with the float64 kernels of math64.ts and JS Math.pow's special cases.
 *
 * Every function takes and returns a v128 local; NaN, ±inf, ±0 and subnormals are handled.
 */
import type { FuncRef, Local } from './encode'
import { type Arg, type Kernel, type Simd, arith, f64c, i32c, sh } from './simd'
import { exp64, log64 } from './math64'

const LOG2E = 1.4426950408889634
// ln2 = C1 − C2 with C1 exact in 9 bits, so n·C1 is exact for |n| < 2^15 (Cephes)
const C1 = 0.693359375
const C2 = -2.12194440e-4

/**
 * Rounding to an integer and the integer itself in two float operations: t = v + 1.5·2²³
 * rounds v (|v| < 2²²) to the nearest integer n, ties to even (as `nearest`), and t's bit
 * pattern is MAGIC_BITS + n. V8 lowers `nearest` + `i32x4.trunc_sat_f32x4_s` to about eight
 * instructions, and the NaN-exact `f32x4.min/max` to seven each (below: `pmin/pmax` with x
 * first, one instruction, which keep a NaN x as well).
 */
const MAGIC = 12582912
const MAGIC_BITS = 0x4b400000

/** n = round(x / ln2) as float lanes, its bits t = MAGIC_BITS + n, and r = x − n·ln2
 *  (extra-precise), for |x| ≲ 128. */
const reduceLn2 = (s: Simd, x: Arg): { n: Local; t: Local; r: Local } => {
  const a = arith(s, 'f32x4')
  const t = a.add(a.mul(x, a.c(LOG2E)), a.c(MAGIC))
  const n = a.sub(t, a.c(MAGIC))
  const r = a.sub(a.sub(x, a.mul(n, a.c(C1))), a.mul(n, a.c(C2)))
  return { n, t, r }
}

/**
 * y·2ⁿ for n ∈ [−252, 254] given t = MAGIC_BITS + n, as two exact factors 2^⌊n/2⌋·2^⌈n/2⌉
 * (one rounding if the result is subnormal). MAGIC_BITS is even and its lowest set bit is
 * bit 22, so (t >> 1) = MAGIC_BITS/2 + ⌊n/2⌋ and t − (t >> 1) = MAGIC_BITS/2 + ⌈n/2⌉, and the
 * MAGIC_BITS/2 part (lowest bit 21) leaves the exponent field when shifted left by 23.
 */
const scale = (s: Simd, y: Arg, t: Arg): Local => {
  const lo = s.op('i32x4.shr_s', t, sh(1))
  const hi = s.op('i32x4.sub', t, lo)
  const f1 = s.op('i32x4.shl', s.op('i32x4.add', lo, i32c(127)), sh(23))
  const f2 = s.op('i32x4.shl', s.op('i32x4.add', hi, i32c(127)), sh(23))
  return s.op('f32x4.mul', s.op('f32x4.mul', y, f1), f2)
}

// eʳ − 1 − r − r²/2 on |r| ≤ ln2/2 (Cephes expf coefficients, minimax, ≈ 1 ulp)
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]

/** eˣ for x ∈ [0, 87] or NaN: one exponent factor, no clamping (tanh's large branch). */
const expSmall = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  const { t, r } = reduceLn2(s, x)
  const p = a.add(a.add(a.mul(a.horner(r, EXP_P), a.mul(r, r)), r), a.c(1))
  return a.mul(p, s.op('i32x4.shl', s.op('i32x4.add', t, i32c(127)), sh(23)))
}

/** eˣ: overflow to +inf above 88.72, subnormal results below −87.34, 0 below −103.97. */
export const exp32 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  const xc = a.pmin(a.pmax(x, a.c(-104)), a.c(89)) // x first: a NaN x stays NaN
  const { t, r } = reduceLn2(s, xc)
  const p = a.add(a.add(a.mul(a.horner(r, EXP_P), a.mul(r, r)), r), a.c(1))
  return scale(s, p, t)
}

// (eʳ − 1 − r)/r² as a Taylor polynomial to r⁸/8! (truncation < 2⁻²⁸ relative on |r| ≤ ln2/2)
const EXPM1_Q = [1 / 40320, 1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2]

/** eˣ − 1 = 2ⁿ·(expm1(r) + 1 − 2⁻ⁿ); +0 at x = −0 (the caller keeps x there). */
const expm1Core = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  const xc = a.pmin(a.pmax(x, a.c(-18)), a.c(89)) // below −17.4 the answer rounds to −1; a NaN x stays
  const { t, r } = reduceLn2(s, xc)
  const y = a.add(r, a.mul(a.mul(r, r), a.horner(r, EXPM1_Q)))
  // eˣ − 1 = 2ⁿ·(expm1(r) + 1 − 2⁻ⁿ); 1 − 2⁻ⁿ is exact for −26 ≤ n ≤ 30 and rounds to 1 above.
  // 2^−min(n, 30) has the exponent field 127 − min(n, 30) = (127 + MAGIC_BITS) − min(t, MAGIC_BITS + 30)
  const e = s.op('i32x4.sub', i32c(127 + MAGIC_BITS), s.op('i32x4.min_s', t, i32c(MAGIC_BITS + 30)))
  const c = a.sub(a.c(1), s.op('i32x4.shl', e, sh(23)))
  return scale(s, a.add(y, c), t)
}

/** eˣ − 1, accurate near 0 (keeps −0). */
export const expm1_32 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  return a.sel(a.eq(x, a.c(0)), x, expm1Core(s, x))
}

// log(1+f) − f + f²/2 = f³·P(f) on f ∈ [√½−1, √2−1] (Cephes logf coefficients)
const LOG_P = [
  7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
]

/**
 * log of positive normal float32 lanes: x = m·2ᵉ with m ∈ [√½, √2) by integer arithmetic on
 * the bits (musl's shift: adding 1 − √½'s bit distance moves m < √½ into the next binade, so
 * m is 2·mantissa there and e one less), then log(1 + f) with f = m − 1. `eAdjust`: integer
 * lanes subtracted from e (the 2²³ rescaling of subnormal inputs).
 */
const logCore = (s: Simd, x: Arg, eAdjust: Arg | null): Local => {
  const a = arith(s, 'f32x4')
  const ix = s.op('i32x4.add', x, i32c(0x3f800000 - 0x3f3504f3))
  let e = s.op('i32x4.sub', s.op('i32x4.shr_s', ix, sh(23)), i32c(127))
  if (eAdjust !== null) e = s.op('i32x4.sub', e, eAdjust)
  const m = s.op('i32x4.add', a.and(ix, i32c(0x007fffff)), i32c(0x3f3504f3))
  const f = a.sub(m, a.c(1))
  const z = a.mul(f, f)
  let y = a.mul(a.mul(a.horner(f, LOG_P), f), z)
  const fe = s.op('f32x4.convert_i32x4_s', e)
  y = a.add(y, a.mul(fe, a.c(C2)))
  y = a.sub(y, a.mul(z, a.c(0.5)))
  return a.add(a.add(f, y), a.mul(fe, a.c(C1)))
}

/** log x: −inf at ±0, NaN below 0, subnormal inputs rescaled by 2²³. Vectors whose lanes are
 *  all positive normal finite numbers (as good as all of them in practice) skip the special
 *  cases: a branch on the vector instead of rescaling and three selects on every one. */
export const log32 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  const r = s.copy(logCore(s, x, null))
  // positive normal finite ⟺ 0x00800000 ≤ bits ≤ 0x7f7fffff as signed integers
  const special = a.or(s.op('i32x4.lt_s', x, i32c(0x00800000)), s.op('i32x4.gt_s', x, i32c(0x7f7fffff)))
  s.f.get(special).op('v128.any_true').if()
  const den = a.lt(x, a.c(1.1754943508222875e-38)) // subnormal (also 0 and negatives: fixed below)
  let q = logCore(s, a.sel(den, a.mul(x, a.c(8388608)), x), a.and(den, i32c(23)))
  q = a.sel(a.ge(x, a.c(0)), q, a.c(NaN)) // negatives and NaN
  q = a.sel(a.eq(x, a.c(0)), a.c(-Infinity), q)
  s.assign(r, a.sel(a.eq(x, a.c(Infinity)), x, q))
  s.f.end()
  return r
}

/** log(1 + x) = log u + (x − (u − 1))/u with u = fl(1 + x): the quotient is the rounding
 *  error of u, to first order. Keeps −0. */
export const log1p32 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  const u = a.add(x, a.c(1))
  const lg = log32(s, u)
  const corr = a.div(a.sub(x, a.sub(u, a.c(1))), u)
  const r = a.sel(a.eq(a.abs(lg), a.c(Infinity)), lg, a.add(lg, corr))
  return a.sel(a.eq(x, a.c(0)), x, r)
}

// (tanh x − x)/x³ = P(x²) on |x| < 0.625 (Cephes tanhf)
const TANH_P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]

/** tanh x: odd polynomial below 0.625, else 1 − 2/(e^{2|x|} + 1) (with e^{2|x|} ≥ 3.49 the
 *  subtraction loses nothing: measured ≤ 1 ulp on every float32, as with the expm1 form
 *  t/(t + 2), which costs more); sign copied. 2|x| is capped at 20: tanh rounds to 1 beyond 9. */
export const tanh32 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  const ax = a.abs(x)
  const z = a.mul(ax, ax)
  const small = a.add(a.mul(a.mul(a.horner(z, TANH_P), z), ax), ax)
  const large = a.sub(a.c(1), a.div(a.c(2), a.add(expSmall(s, a.pmin(a.add(ax, ax), a.c(20))), a.c(1))))
  const r = a.sel(a.lt(ax, a.c(0.625)), small, large)
  return a.or(r, a.and(x, i32c(0x80000000 | 0)))
}

/** σ(x) = 1/(1 + e^{−x}) for x ≥ 0, e^{x}/(1 + e^{x}) below: never overflows. */
export const logistic32 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f32x4')
  const e = exp32(s, a.neg(a.abs(x)))
  return a.div(a.sel(a.ge(x, a.c(0)), a.c(1), e), a.add(e, a.c(1)))
}

// ---- through float64 lanes ---------------------------------------------------------------

/** The low and high halves of f32x4 lanes as f64x2. */
const widen = (s: Simd, x: Arg): [Local, Local] => [
  s.op('f64x2.promote_low_f32x4', x),
  s.op('f64x2.promote_low_f32x4', s.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15], x, x)),
]
/** Two f64x2 rounded back to one f32x4. */
const narrow = (s: Simd, lo: Arg, hi: Arg): Local =>
  s.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23], s.op('f32x4.demote_f64x2_zero', lo), s.op('f32x4.demote_f64x2_zero', hi))

const through64 = (s: Simd, x: Arg, f: (d: Local) => Local): Local => {
  const [lo, hi] = widen(s, x)
  return narrow(s, f(lo), f(hi))
}

/** 1/√x computed in float64, so the float32 result is the correctly rounded 1/√x. */
export const rsqrt32 = (s: Simd, x: Arg): Local =>
  through64(s, x, (d) => s.op('f64x2.div', f64c(1), s.op('f64x2.sqrt', d)))

/** xʸ = e^{y·log|x|} in float64 (relative error ~2⁻⁴⁵ for float32 operands, far below a
 *  float32 ulp), with Math.pow's special cases: y = 0 → 1; finite x < 0 → NaN unless y is
 *  an integer; a negative x (also −0, −inf) to an odd power is negative; |x| = 1 with
 *  y = ±inf → NaN (as JS, unlike C). */
export const pow32 = (s: Simd, x: Arg, y: Arg): Local => {
  const [xl, xh] = widen(s, x)
  const [yl, yh] = widen(s, y)
  return narrow(s, powD(s, xl, yl), powD(s, xh, yh))
}

/** The float64 lanes of pow32 (accurate to ~1e-13 relative, not to double precision). */
const powD = (s: Simd, x: Local, y: Local): Local => {
  const a = arith(s, 'f64x2')
  const mag = exp64(s, a.mul(y, log64(s, a.abs(x))))
  const isInt = a.eq(a.trunc(y), y)
  const half = a.mul(y, a.c(0.5))
  const odd = a.and(isInt, a.ne(a.trunc(half), half))
  const signX = s.op('i64x2.shr_s', x, sh(63)) // −0 and −inf count: (−0)³ = −0, (−inf)³ = −inf
  let r = a.sel(a.and(signX, odd), a.neg(mag), mag)
  const finiteNeg = a.and(a.lt(x, a.c(0)), a.gt(x, a.c(-Infinity)))
  r = a.sel(a.and(finiteNeg, s.op('v128.not', isInt)), a.c(NaN), r)
  return a.sel(a.eq(y, a.c(0)), a.c(1), r)
}

// sin r − r = r³·(S1 + r²S2 + r⁴S3 + r⁶S4) on |r| ≤ π/4, error < 2⁻³⁷ (musl __sindf)
const S1 = -0.166666666416265235595, S2 = 0.0083333293858894631756
const S3 = -0.000198393348360966317347, S4 = 0.0000027183114939898219064
// cos r ≈ 1 + C0 r² + C1 r⁴ + C2 r⁶ + C3 r⁸ on |r| ≤ π/4, error < 2⁻³⁴ (musl __cosdf)
const K0 = -0.499999997251031003120, K1 = 0.0416666233237390631894
const K2 = -0.00138867637746099294692, K3 = 0.0000243904487962774090654

const INVPIO2 = 6.36619772367581382433e-1
const PIO2_1 = 1.57079631090164184570 // the first 25 bits of π/2 (n·PIO2_1 exact for n < 2²⁸)
const PIO2_1T = 1.58932547735281966916e-8 // π/2 − PIO2_1
const LARGE = 4.2e8 // above this the 25+53-bit reduction is not accurate enough (musl)

/**
 * The bits of 2/π (equivalently 4/π shifted one bit), hex, enough for glibc's table: entry i
 * is the 32-bit window ending at byte i + 1 of (three zero bytes, then these bytes).
 */
const TWO_OVER_PI_BYTES = [0xa2, 0xf9, 0x83, 0x6e, 0x4e, 0x44, 0x15, 0x29, 0xfc, 0x27, 0x57, 0xd1, 0xf5, 0x34, 0xdd, 0xc0, 0xdb, 0x62, 0x95, 0x99, 0x3c, 0x43, 0x90, 0x41]
export const invPio4Table = (): number[] => {
  const b = [0, 0, 0, ...TWO_OVER_PI_BYTES]
  const out: number[] = []
  for (let i = 0; i < 24; i++) out.push(((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0)
  return out
}

/**
 * A scalar helper (i32 bits of |x| as float32, |x| ≥ 2) → (r, n) with |x| = n·π/2 + r mod 2π,
 * |r| ≤ π/4: glibc's reduce_large. A 32×96-bit product with the 4/π window picked by the
 * exponent gives the exact fraction in 2.62 fixed point.
 */
const reduceLargeF32 = (k: Kernel): FuncRef => {
  const table = k.table('invPio4', invPio4Table().flatMap((w) => [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24]))
  const [index, f] = k.module.func(['i32'], ['f64', 'i32'])
  const [xi] = f.params
  const p = f.local('i32'), m = f.local('i32'), res0 = f.local('i64'), n = f.local('i64')
  // p = &table[(xi >> 26) & 15]
  f.get(xi).i32(26).op('i32.shr_u').i32(15).op('i32.and').i32(2).op('i32.shl').i32(table).op('i32.add').set(p)
  // m = (mantissa | implicit bit) << ((xi >> 23) & 7)
  f.get(xi).i32(0xffffff).op('i32.and').i32(0x800000).op('i32.or')
  f.get(xi).i32(23).op('i32.shr_u').i32(7).op('i32.and').op('i32.shl').set(m)
  const wide = (offset: number): void => { f.get(m).op('i64.extend_i32_u').get(p).mem('i32.load', offset).op('i64.extend_i32_u').op('i64.mul') }
  // res0 = ((m·t[8]) >> 32 | (m·t[0] mod 2³²) << 32) + m·t[4]
  wide(32)
  f.i64(32n).op('i64.shr_u')
  f.get(m).get(p).mem('i32.load', 0).op('i32.mul').op('i64.extend_i32_u').i64(32n).op('i64.shl').op('i64.or')
  wide(16)
  f.op('i64.add').set(res0)
  // n = (res0 + 2⁶¹) >> 62;  res0 −= n << 62
  f.get(res0).i64(1n << 61n).op('i64.add').i64(62n).op('i64.shr_u').set(n)
  f.get(res0).get(n).i64(62n).op('i64.shl').op('i64.sub').set(res0)
  f.get(res0).op('f64.convert_i64_s').f64(Math.PI * 2 ** -63).op('f64.mul')
  f.get(n).op('i32.wrap_i64')
  return index
}

/** Replaces j and r in the lanes of x with |x| ≥ LARGE by the exact integer reduction. */
const reduceLargeLanes = (s: Simd, x: Local, j: Local, r: Local): void => {
  const a = arith(s, 'f64x2')
  const f = s.f
  const helper = s.kernel.helper('reduceLargeF32', reduceLargeF32)
  const big = a.ge(a.abs(x), a.c(LARGE))
  const xl = f.local('f64'), rl = f.local('f64'), nl = f.local('i32')
  f.get(big).op('v128.any_true').if()
  for (const lane of [0, 1]) {
    f.get(x).lane('f64x2.extract_lane', lane).tee(xl).op('f64.abs').f64(LARGE).op('f64.ge').if()
    f.get(xl).op('f64.abs').op('f32.demote_f64').op('i32.reinterpret_f32').call(helper).set(nl).set(rl)
    // x < 0: x = −(n·π/2 + r) = (−n)·π/2 + (−r)
    f.get(xl).f64(0).op('f64.lt').if()
    f.get(rl).op('f64.neg').set(rl).i32(0).get(nl).op('i32.sub').set(nl)
    f.end()
    f.get(r).get(rl).lane('f64x2.replace_lane', lane).set(r)
    f.get(j).get(nl).op('f64.convert_i32_s').lane('f64x2.replace_lane', lane).set(j)
    f.end()
  }
  f.end()
}

/** sin (q = 0) or cos (q = 1) of float64 lanes holding float32 values, to float32 accuracy. */
const sinCosD = (s: Simd, x: Local, q: 0 | 1, large: boolean): Local => {
  const a = arith(s, 'f64x2')
  const j = a.nearest(a.mul(x, a.c(INVPIO2)))
  const r = a.sub(a.sub(x, a.mul(j, a.c(PIO2_1))), a.mul(j, a.c(PIO2_1T)))
  // rare: lanes beyond LARGE (and ±inf, fixed by the caller) take the exact integer reduction
  if (large) reduceLargeLanes(s, x, j, r)
  const z = a.mul(r, r)
  const w = a.mul(z, z)
  const sz = a.mul(z, r)
  const sinR = a.add(a.add(r, a.mul(sz, a.add(a.c(S1), a.mul(z, a.c(S2))))), a.mul(a.mul(sz, w), a.add(a.c(S3), a.mul(z, a.c(S4)))))
  const cosR = a.add(a.add(a.add(a.c(1), a.mul(z, a.c(K0))), a.mul(w, a.c(K1))), a.mul(a.mul(w, z), a.add(a.c(K2), a.mul(z, a.c(K3)))))
  // quadrant k = j + q: odd k swaps sin and cos; k & 2 flips the sign. The integer j sits
  // in the low mantissa bits of j + 1.5·2⁵².
  const bits = a.add(q === 0 ? j : a.add(j, a.c(1)), a.c(6755399441055744))
  const odd = s.op('i64x2.shr_s', s.op('i64x2.shl', bits, sh(63)), sh(63))
  const sign = s.op('i64x2.shl', s.op('i64x2.shr_u', bits, sh(1)), sh(63))
  return a.xor(a.sel(odd, cosR, sinR), sign)
}

/** Vectors with a lane that is huge, infinite or (for sin) tiny take a second pass that
 *  handles them; the common vector skips those checks and selects (one branch instead). */
const sinCos32 = (s: Simd, x: Arg, q: 0 | 1): Local => {
  const a = arith(s, 'f32x4')
  const r = through64(s, x, (d) => sinCosD(s, d, q, false))
  const ax = a.abs(x)
  const huge = a.ge(ax, a.c(LARGE)) // also ±inf; NaN lanes come out NaN either way
  s.f.get(q === 0 ? a.or(huge, a.lt(ax, a.c(2 ** -12))) : huge).op('v128.any_true').if()
  let v = through64(s, x, (d) => sinCosD(s, d, q, true))
  if (q === 0) v = a.sel(a.lt(ax, a.c(2 ** -12)), x, v) // sin x rounds to x (keeps −0)
  s.assign(r, a.sel(a.eq(ax, a.c(Infinity)), a.c(NaN), v))
  s.f.end()
  return r
}

export const sin32 = (s: Simd, x: Arg): Local => sinCos32(s, x, 0)
export const cos32 = (s: Simd, x: Arg): Local => sinCos32(s, x, 1)
