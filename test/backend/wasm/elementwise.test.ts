/**
 * Elementwise kernels against the reference semantics (`evalExpr`): bitwise equal for the
 * exactly rounded operations (random expression DAGs over arrays and 0-d inputs, every
 * length mod the vector width), within tolerance for compositions with transcendentals;
 * pow's special cases; generated modules validate.
 */
import { describe, expect, it } from 'vitest'
import { type Expr, type FloatDType, type InputKind, type Pred, buildElementwise, compiledModuleCount, evalExpr, ex, wasm } from '../../../src/backend/wasm'
import { SPECIAL, kernels, rng, runElementwise, ulp32, uniform } from './helpers'

const k = kernels()

/** A random expression of exactly rounded operations. */
const randomExpr = (r: () => number, arity: number, depth: number): Expr => {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
  const leaf = (): Expr => (r() < 0.75 ? ex.input(Math.floor(r() * arity)) : ex.c(pick([0, -0, 0.5, -3, 1e-3, 7.25, 1e30])))
  const pred = (d: number): Pred => {
    const c = ex.compare(pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const), go(d - 1), go(d - 1))
    const v = r()
    return v < 0.15 ? ex.not(c) : v < 0.3 ? ex.and(c, ex.compare('lt', go(d - 1), go(d - 1))) : v < 0.4 ? ex.or(c, ex.compare('ge', go(d - 1), go(d - 1))) : c
  }
  const go = (d: number): Expr => {
    if (d <= 0 || r() < 0.2) return leaf()
    const v = r()
    if (v < 0.4) return ex.binary(pick(['add', 'sub', 'mul', 'div', 'min', 'max'] as const), go(d - 1), go(d - 1))
    if (v < 0.65) return ex.unary(pick(['neg', 'abs', 'sqrt', 'floor', 'ceil', 'round', 'sign'] as const), go(d - 1))
    if (v < 0.75) return ex.ipow(go(d - 1), pick([-3, -2, -1, 0, 1, 2, 3, 4, 7]))
    if (v < 0.9) return ex.select(pred(d), go(d - 1), go(d - 1))
    return ex.fromPred(pred(d))
  }
  return go(depth)
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))

/** Runs a spec on random data and compares with evalExpr; `ok` decides per element. */
const check = (dtype: FloatDType, kinds: InputKind[], outputs: Expr[], n: number, seed: number, ok: (got: number, want: number) => boolean): void => {
  const r = rng(seed)
  const pool = [...SPECIAL, ...uniform(64, -4, 4, seed)]
  const inputs = kinds.map((kind) => Array.from({ length: kind === 'scalar' ? 1 : n }, () => pool[Math.floor(r() * pool.length)]))
  const rounded = inputs.map((d) => (dtype === 'float32' ? d.map(Math.fround) : d))
  const got = runElementwise(k, { dtype, inputs: kinds, outputs }, n, inputs)
  for (let i = 0; i < n; i++) {
    const want = evalExpr(outputs, rounded.map((d, j) => (kinds[j] === 'scalar' ? d[0] : d[i])), dtype)
    want.forEach((w, j) => {
      if (!ok(got[j][i], w)) expect({ output: j, i, inputs: rounded.map((d, q) => (kinds[q] === 'scalar' ? d[0] : d[i])), got: got[j][i] }).toEqual({ output: j, i, inputs: expect.anything(), got: w })
    })
  }
}

describe('elementwise kernels', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`random exact-operation DAGs are bitwise equal to the reference (${dtype})`, () => {
      const r = rng(dtype === 'float32' ? 1 : 2)
      for (let t = 0; t < 40; t++) {
        const arity = 1 + Math.floor(r() * 3)
        const kinds: InputKind[] = Array.from({ length: arity }, (_, i) => (i > 0 && r() < 0.3 ? 'scalar' : 'array'))
        const shared = randomExpr(r, arity, 3)
        const outputs = [ex.add(shared, randomExpr(r, arity, 3)), ex.mul(shared, shared)].slice(0, 1 + (t % 2))
        check(dtype, kinds, outputs, 1 + Math.floor(r() * 37), 100 + t, same)
      }
    })

    it(`every length mod the vector width, including 0 (${dtype})`, () => {
      const e = ex.sub(ex.mul(ex.input(0), ex.input(1)), ex.c(0.25))
      for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 1001]) check(dtype, ['array', 'array'], [e], n, n, same)
    })

    it(`only a 0-d input: the broadcast value everywhere (${dtype})`, () => {
      const [out] = runElementwise(k, { dtype, inputs: ['scalar'], outputs: [ex.add(ex.input(0), ex.c(1))] }, 7, [[2.5]])
      expect(Array.from(out)).toEqual(Array(7).fill(3.5))
    })

    it(`transcendental chains stay close to the reference (${dtype})`, () => {
      const x = ex.input(0)
      const t = ex.tanh(ex.add(ex.mul(x, ex.c(1.5)), ex.c(0.5)))
      const e = ex.exp(ex.neg(ex.mul(x, x)))
      const outs = [
        ex.mul(t, e),
        ex.add(ex.mul(ex.mul(e, ex.sub(ex.c(1), ex.mul(t, t))), ex.c(1.5)), ex.mul(ex.mul(t, e), ex.mul(x, ex.c(-2)))),
        ex.mul(ex.logistic(ex.sin(x)), ex.log1p(ex.expm1(ex.cos(ex.abs(x))))),
        ex.log(ex.add(ex.exp(x), ex.exp(ex.neg(x)))),
      ]
      const tol = dtype === 'float32' ? 1e-6 : 1e-14
      check(dtype, ['array'], outs, 500, 7, (g, w) => same(g, w) || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)))
    })

    it(`long chains call their transcendentals and are not unrolled, with the same results (${dtype})`, () => {
      // 5 rounds of BENCH W7's chain: 20 transcendentals, > the inlining limit, > 48 nodes
      const x = ex.input(0)
      let y = x
      for (let r = 0; r < 5; r++) {
        y = ex.tanh(ex.add(ex.mul(ex.sin(y), ex.c(1.3)), ex.c(0.2)))
        y = ex.cos(ex.exp(ex.neg(ex.mul(y, y))))
        y = ex.mul(ex.add(y, x), ex.c(0.5))
      }
      const tol = dtype === 'float32' ? 1e-5 : 1e-13
      for (const n of [0, 3, 4, 9, 300]) check(dtype, ['array'], [y], n, 40 + n, (g, w) => same(g, w) || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)))
      // one copy of the chain per loop instead of four, each function one helper: smaller than
      // two transcendentals inlined in the unrolled loops
      const bytes = buildElementwise({ dtype, inputs: ['array'], outputs: [y] })
      const short = buildElementwise({ dtype, inputs: ['array'], outputs: [ex.tanh(ex.sin(x))] })
      expect(wasm.validate(bytes)).toBe(true)
      expect(bytes.length).toBeLessThan(short.length)
    })

    it(`max/min propagate NaN and keep the reference's choice between ±0 (${dtype})`, () => {
      const xs = [0, -0, NaN, 1, -0, 0, NaN, 2]
      const ys = [-0, 0, 1, NaN, -0, 0, NaN, -2]
      const [mx, mn] = runElementwise(k, { dtype, inputs: ['array', 'array'], outputs: [ex.max(ex.input(0), ex.input(1)), ex.min(ex.input(0), ex.input(1))] }, 8, [xs, ys])
      expect(Array.from(mx)).toEqual([-0, 0, NaN, NaN, -0, 0, NaN, 2])
      expect(Array.from(mn)).toEqual([-0, 0, NaN, NaN, -0, 0, NaN, -2])
    })
  }

  it('float32 pow: within 1 ulp of Math.pow, with its special cases', () => {
    const xs: number[] = [], ys: number[] = []
    const specials = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, Infinity, -Infinity, NaN, 1e-40, 1e30]
    for (const a of specials) for (const b of specials) { xs.push(a); ys.push(b) }
    const r = rng(9)
    for (let i = 0; i < 20000; i++) {
      xs.push(i % 4 === 0 ? -Math.floor(r() * 20) : r() * 10)
      ys.push(i % 4 === 0 ? Math.floor(r() * 21) - 10 : (r() - 0.5) * 60)
    }
    const n = xs.length
    const [out] = runElementwise(k, { dtype: 'float32', inputs: ['array', 'array'], outputs: [ex.pow(ex.input(0), ex.input(1))] }, n, [xs, ys])
    let worst = 0
    for (let i = 0; i < n; i++) {
      const want = Math.fround(Math.pow(Math.fround(xs[i]), Math.fround(ys[i])))
      const d = ulp32(out[i], want)
      if (d > 1) expect({ x: xs[i], y: ys[i], got: out[i] }).toEqual({ x: xs[i], y: ys[i], got: want })
      worst = Math.max(worst, d)
    }
    expect(worst).toBeLessThanOrEqual(1)
  })

  it('modules are cached by structure, and in-place runs (output = input) are safe', () => {
    const make = () => ({ dtype: 'float32' as const, inputs: ['array' as const], outputs: [ex.mul(ex.sqrt(ex.input(0)), ex.c(3))] })
    const before = compiledModuleCount()
    k.wk.elementwise(make())
    const after = compiledModuleCount()
    k.wk.elementwise(make()) // equal structure, new objects: no new module
    expect(compiledModuleCount()).toBe(after)
    expect(after - before).toBeLessThanOrEqual(1)
    k.arena.reset()
    const p = k.arena.put(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
    k.wk.elementwise(make()).run(11, [p], [p])
    expect(Array.from(k.arena.f32(p, 11))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => Math.fround(Math.fround(Math.sqrt(v)) * 3)))
  })

  it('float64 pow is refused at build time (the JS backend runs it)', () => {
    expect(() => buildElementwise({ dtype: 'float64', inputs: ['array', 'array'], outputs: [ex.pow(ex.input(0), ex.input(1))] })).toThrow(/pow is not available in float64/)
  })

  it('every module generated for the operation vocabulary validates', () => {
    const x = ex.input(0)
    const ops = ['neg', 'abs', 'sqrt', 'rsqrt', 'floor', 'ceil', 'round', 'sign', 'exp', 'expm1', 'log', 'log1p', 'tanh', 'logistic', 'sin', 'cos'] as const
    for (const dtype of ['float32', 'float64'] as const) {
      const all = buildElementwise({ dtype, inputs: ['array', 'scalar'], outputs: ops.map((op) => ex.add(ex.unary(op, x), ex.input(1))) })
      expect(wasm.validate(all)).toBe(true)
    }
    expect(wasm.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1]))).toBe(false) // validate does reject garbage
  })
})
