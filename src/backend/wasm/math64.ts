/**
 * Backend layer (wasm): float64 transcendentals on f64x2 lanes, accurate to double precision
 * (≤ 1–2 ulp of JS Math.*; measured in test/backend/wasm/math64). The algorithms are
 * fdlibm's (as in musl and in V8's own Math.*), made branch-free: every lane computes the
 * same formula and special cases are chosen with masks.
 *
 *   exp      x = k·ln2 + r (ln2 in two parts), e^r by fdlibm's rational form, 2^k as two factors
 *   log      x = 2^k·(1 + f) with 1 + f ∈ [√½, √2), s = f/(2 + f), polynomial in s²
 *   expm1    the same reduction, fdlibm's expm1(r) kernel, then 2^k·expm1(r) + (2^k − 1)
 *   log1p    log(u) + (x − (u − 1))/u with u = fl(1 + x)
 *   tanh     fdlibm: −t/(t + 2), t = expm1(−2|x|) below 1; 1 − 2/(t + 2), t = expm1(2|x|) above
 *   logistic 1/(1 + e^{−x}) for x ≥ 0, e^{x}/(1 + e^{x}) below
 *   sin cos  x = j·π/2 + (y0 + y1), π/2 in three 33-bit parts with exact error terms
 *            (valid for |x| < 2^20·π/2 ≈ 1.6e6); the rare lanes beyond call the host's
 *            Math.sin/Math.cos (imported), which reduce large arguments exactly.
 * pow is not provided in float64 (exp(y·log x) loses up to ~10 bits for large |y·log x|).
 */
import type { FuncRef, Local } from './encode'
import { type Arg, type Simd, arith, i64c, sh } from './simd'

const INVLN2 = 1.44269504088896338700
const LN2_HI = 6.93147180369123816490e-1 // 32 significant bits: k·LN2_HI exact for |k| < 2^21
const LN2_LO = 1.90821492927058770002e-10
const MAGIC = 6755399441055744 // 1.5·2^52: x + MAGIC holds round(x) in its low mantissa bits

/** Integer-valued lanes k (|k| < 2^51) → i64x2 lanes holding the bits of k + 1.5·2^52. */
const intBits = (s: Simd, k: Arg): Local => s.op('f64x2.add', k, { kind: 'f64x2', v: MAGIC })

/** 2^k for integer-valued float lanes k ∈ [−1022, 1023]. */
const pow2 = (s: Simd, k: Arg): Local => s.op('i64x2.shl', s.op('i64x2.add', intBits(s, k), i64c(1023n)), sh(52))

/** y·2^k for integer-valued lanes k ∈ [−2044, 2046], as two exact factors. */
const scale = (s: Simd, y: Arg, k: Arg): Local => {
  const a = arith(s, 'f64x2')
  const k1 = a.trunc(a.mul(k, a.c(0.5)))
  return a.mul(a.mul(y, pow2(s, k1)), pow2(s, a.sub(k, k1)))
}

/** k = round(x/ln2), hi = x − k·LN2_HI (exact), lo = k·LN2_LO, r = hi − lo. */
const reduceLn2 = (s: Simd, x: Arg): { k: Local; hi: Local; lo: Local; r: Local } => {
  const a = arith(s, 'f64x2')
  const k = a.nearest(a.mul(x, a.c(INVLN2)))
  const hi = a.sub(x, a.mul(k, a.c(LN2_HI)))
  const lo = a.mul(k, a.c(LN2_LO))
  return { k, hi, lo, r: a.sub(hi, lo) }
}

// r − r²·P(r²) ≈ r·(e^r + 1)/(e^r − 1) − 2 on |r| ≤ ln2/2 (fdlibm e_exp.c)
const EXP_P = [4.13813679705723846039e-8, -1.65339022054652515390e-6, 6.61375632143793436117e-5, -2.77777777770155933842e-3, 1.66666666666666019037e-1]

/** eˣ: +inf above 709.78, subnormal results below −708.4, 0 below −745.13. */
export const exp64 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f64x2')
  const xc = a.pmin(a.pmax(x, a.c(-746)), a.c(710)) // x first: a NaN x stays NaN (one instruction each, unlike min/max)
  const { k, hi, lo, r } = reduceLn2(s, xc)
  const t = a.mul(r, r)
  const c = a.sub(r, a.mul(t, a.horner(t, EXP_P)))
  // e^r = 1 − ((lo − r·c/(2 − c)) − hi)
  const y = a.sub(a.c(1), a.sub(a.sub(lo, a.div(a.mul(r, c), a.sub(a.c(2), c))), hi))
  return scale(s, y, k)
}

// log(1+f) = f − f²/2 + s·(f²/2 + R(s²)), R = s²·(Lg1 + Lg2 s² + …) (fdlibm e_log.c)
const LG_ODD = [1.479819860511658591e-1, 1.818357216161805012e-1, 2.857142874366239149e-1, 6.666666666666735130e-1] // Lg7 Lg5 Lg3 Lg1
const LG_EVEN = [1.531383769920937332e-1, 2.222219843214978396e-1, 3.999999999940941908e-1] // Lg6 Lg4 Lg2

/** log x: −inf at ±0, NaN below 0, subnormals rescaled by 2^54. */
export const log64 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f64x2')
  const den = a.lt(x, a.c(2.2250738585072014e-308))
  const xs = a.sel(den, a.mul(x, a.c(18014398509481984)), x)
  // shift so that the exponent field of 1 + f counts from √½ (musl)
  const hx = s.op('i64x2.add', xs, i64c(BigInt(0x3ff00000 - 0x3fe6a09e) << 32n))
  let k = s.op('i64x2.sub', s.op('i64x2.shr_s', hx, sh(52)), i64c(1023n))
  k = s.op('i64x2.sub', k, a.and(den, i64c(54n)))
  const m = s.op('i64x2.add', a.and(hx, i64c(0x000fffffffffffffn)), i64c(BigInt(0x3fe6a09e) << 32n))
  const f = a.sub(m, a.c(1))
  const dk = a.sub(s.op('i64x2.add', k, i64c(0x4338000000000000n)), a.c(MAGIC))
  const hfsq = a.mul(a.mul(f, f), a.c(0.5))
  const sq = a.div(f, a.add(f, a.c(2)))
  const z = a.mul(sq, sq)
  const w = a.mul(z, z)
  const t1 = a.mul(w, a.horner(w, LG_EVEN))
  const t2 = a.mul(z, a.horner(w, LG_ODD))
  const R = a.add(t2, t1)
  let r = a.add(a.add(a.sub(a.add(a.mul(sq, a.add(hfsq, R)), a.mul(dk, a.c(LN2_LO))), hfsq), f), a.mul(dk, a.c(LN2_HI)))
  r = a.sel(a.ge(x, a.c(0)), r, a.c(NaN))
  r = a.sel(a.eq(x, a.c(0)), a.c(-Infinity), r)
  return a.sel(a.eq(x, a.c(Infinity)), x, r)
}

/** log(1 + x) = log u + (x − (u − 1))/u, u = fl(1 + x); keeps −0. */
export const log1p64 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f64x2')
  const u = a.add(x, a.c(1))
  const lg = log64(s, u)
  const corr = a.div(a.sub(x, a.sub(u, a.c(1))), u)
  const r = a.sel(a.eq(a.abs(lg), a.c(Infinity)), lg, a.add(lg, corr))
  return a.sel(a.eq(x, a.c(0)), x, r)
}

// fdlibm s_expm1.c: Q1..Q5
const EXPM1_Q = [-2.01099218183624371326e-7, 4.00821782732936239552e-6, -7.93650757867487942473e-5, 1.58730158725481460165e-3, -3.33333333333331316428e-2]

/** eˣ − 1 (keeps −0). fdlibm s_expm1.c, all of its cases computed and selected by k. */
export const expm1_64 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f64x2')
  const xc = a.pmin(a.pmax(x, a.c(-40)), a.c(710)) // below −37.4 the answer rounds to −1; a NaN x stays
  const { k, hi, lo, r } = reduceLn2(s, xc)
  const c = a.sub(a.sub(hi, r), lo) // r + c = hi − lo more exactly (0 when k = 0)
  // expm1(r + c) = r − E with E = r·(e − c) − c − r²/2, e from fdlibm's rational approximation
  const hfx = a.mul(r, a.c(0.5))
  const hxs = a.mul(r, hfx)
  const r1 = a.add(a.c(1), a.mul(hxs, a.horner(hxs, EXPM1_Q)))
  const t = a.sub(a.c(3), a.mul(r1, hfx))
  const e0 = a.mul(hxs, a.div(a.sub(r1, t), a.sub(a.c(6), a.mul(r, t))))
  const E = a.sub(a.sub(a.mul(r, a.sub(e0, c)), c), hxs)
  // 2^k·(1 + r − E) − 1, arranged per range of k so that the constant meets r − E exactly
  const one = a.c(1)
  const eMinusR = a.sub(E, r)
  const kIs = (v: number): Local => a.eq(k, a.c(v))
  const cases: [Local, Local][] = [
    [kIs(0), a.sub(r, E)],
    [kIs(-1), a.sub(a.mul(a.sub(r, E), a.c(0.5)), a.c(0.5))],
    [a.and(kIs(1), a.lt(r, a.c(-0.25))), a.mul(a.sub(E, a.add(r, a.c(0.5))), a.c(-2))],
    [kIs(1), a.add(one, a.mul(a.sub(r, E), a.c(2)))],
    [a.or(a.le(k, a.c(-2)), a.gt(k, a.c(56))), a.sub(scale(s, a.sub(one, eMinusR), k), one)],
  ]
  const kMid = a.pmin(a.pmax(k, a.c(2)), a.c(56))
  const twoK = pow2(s, kMid), twoMinusK = pow2(s, a.neg(kMid))
  // 2 ≤ k < 20: ((1 − 2^−k) − (E − r))·2^k;  20 ≤ k ≤ 56: ((r − (E + 2^−k)) + 1)·2^k
  let res = a.sel(a.lt(k, a.c(20)), a.mul(a.sub(a.sub(one, twoMinusK), eMinusR), twoK), a.mul(a.add(a.sub(r, a.add(E, twoMinusK)), one), twoK))
  for (let i = cases.length - 1; i >= 0; i--) res = a.sel(cases[i][0], cases[i][1], res)
  return a.sel(a.eq(x, a.c(0)), x, a.sel(a.ne(x, x), x, res))
}

/** tanh x (fdlibm s_tanh.c), one expm1 for both ranges; sign copied, so −0 stays −0. */
export const tanh64 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f64x2')
  const ax = a.abs(x)
  const below1 = a.lt(ax, a.c(1))
  const arg = a.sel(below1, a.mul(ax, a.c(-2)), a.mul(a.pmin(ax, a.c(22)), a.c(2))) // tanh = 1 beyond 22
  const t = expm1_64(s, arg)
  const r = a.sel(below1, a.div(a.neg(t), a.add(t, a.c(2))), a.sub(a.c(1), a.div(a.c(2), a.add(t, a.c(2)))))
  return a.or(r, a.and(x, i64c(-0x8000000000000000n)))
}

/** σ(x) = 1/(1 + e^{−x}) for x ≥ 0, e^{x}/(1 + e^{x}) below. */
export const logistic64 = (s: Simd, x: Arg): Local => {
  const a = arith(s, 'f64x2')
  const e = exp64(s, a.neg(a.abs(x)))
  return a.div(a.sel(a.ge(x, a.c(0)), a.c(1), e), a.add(e, a.c(1)))
}

// π/2 in three 33-bit parts with tails (fdlibm e_rem_pio2.c)
const INVPIO2 = 6.36619772367581382433e-1
const PIO2_1 = 1.57079632673412561417, PIO2_2 = 6.07710050630396597660e-11
const PIO2_3 = 2.02226624871116645580e-21, PIO2_3T = 8.47842766036889956997e-32
const MEDIUM = 1647099.3291652855 // 2^20·π/2: j·PIO2_1 exact below
// fdlibm k_sin.c / k_cos.c
const S1 = -1.66666666666666324348e-1, S2 = 8.33333333332248946124e-3, S3 = -1.98412698298579493134e-4
const S4 = 2.75573137070700676789e-6, S5 = -2.50507602534068634195e-8, S6 = 1.58969099521155010221e-10
const C1 = 4.16666666666666019037e-2, C2 = -1.38888888888741095749e-3, C3 = 2.48015872894767294178e-5
const C4 = -2.75573143513906633035e-7, C5 = 2.08757232129817482790e-9, C6 = -1.13596475577881948265e-11

const hostFn = (s: Simd, name: 'sin' | 'cos'): FuncRef =>
  s.kernel.helper(name, (k) => k.module.importFunc('host', name, ['f64'], ['f64']))

const sinCos64 = (s: Simd, x: Local, q: 0 | 1): Local => {
  const a = arith(s, 'f64x2')
  const j = a.nearest(a.mul(x, a.c(INVPIO2)))
  // x − j·π/2 = r3 − w exactly enough: each step subtracts an exact product j·Pᵢ and
  // carries its rounding error (TwoSum) into the tail w.
  const twoDiff = (u: Local, v: Local): [Local, Local] => {
    const d = a.sub(u, v)
    const vv = a.sub(u, d)
    return [d, a.add(a.sub(u, a.add(d, vv)), a.sub(vv, v))] // u − v = d + err
  }
  const r1 = a.sub(x, a.mul(j, a.c(PIO2_1)))
  const [r2, e2] = twoDiff(r1, a.mul(j, a.c(PIO2_2)))
  const [r3, e3] = twoDiff(r2, a.mul(j, a.c(PIO2_3)))
  const w = a.sub(a.sub(a.mul(j, a.c(PIO2_3T)), e3), e2)
  const y0 = a.sub(r3, w)
  const y1 = a.sub(a.sub(r3, y0), w)
  // kernels on y0 + y1, |y0| ≤ π/4
  const z = a.mul(y0, y0)
  const zw = a.mul(z, z)
  const rs = a.add(a.add(a.c(S2), a.mul(z, a.add(a.c(S3), a.mul(z, a.c(S4))))), a.mul(a.mul(z, zw), a.add(a.c(S5), a.mul(z, a.c(S6)))))
  const v = a.mul(z, y0)
  const sinR = a.sub(y0, a.sub(a.sub(a.mul(z, a.sub(a.mul(y1, a.c(0.5)), a.mul(v, rs))), y1), a.mul(v, a.c(S1))))
  const rc = a.add(a.mul(z, a.add(a.c(C1), a.mul(z, a.add(a.c(C2), a.mul(z, a.c(C3)))))), a.mul(a.mul(zw, zw), a.add(a.c(C4), a.mul(z, a.add(a.c(C5), a.mul(z, a.c(C6)))))))
  const hz = a.mul(z, a.c(0.5))
  const wc = a.sub(a.c(1), hz)
  const cosR = a.add(wc, a.add(a.sub(a.sub(a.c(1), wc), hz), a.sub(a.mul(z, rc), a.mul(y0, y1))))
  // quadrant j + q: odd swaps sin and cos, bit 1 flips the sign
  const bits = intBits(s, q === 0 ? j : a.add(j, a.c(1)))
  const odd = s.op('i64x2.shr_s', s.op('i64x2.shl', bits, sh(63)), sh(63))
  const sign = s.op('i64x2.shl', s.op('i64x2.shr_u', bits, sh(1)), sh(63))
  let res = a.xor(a.sel(odd, cosR, sinR), sign)
  if (q === 0) res = a.sel(a.lt(a.abs(x), a.c(2 ** -26)), x, res) // sin x rounds to x; keeps −0
  // rare: lanes beyond MEDIUM (and ±inf) go to the host, lane by lane
  const f = s.f
  const host = hostFn(s, q === 0 ? 'sin' : 'cos')
  const xl = f.local('f64')
  f.get(a.ge(a.abs(x), a.c(MEDIUM))).op('v128.any_true').if()
  for (const lane of [0, 1]) {
    f.get(x).lane('f64x2.extract_lane', lane).tee(xl).op('f64.abs').f64(MEDIUM).op('f64.ge').if()
    f.get(res).get(xl).call(host).lane('f64x2.replace_lane', lane).set(res)
    f.end()
  }
  f.end()
  return res
}

export const sin64 = (s: Simd, x: Local): Local => sinCos64(s, x, 0)
export const cos64 = (s: Simd, x: Local): Local => sinCos64(s, x, 1)
