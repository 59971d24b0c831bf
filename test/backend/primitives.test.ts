/**
 * Every primitive of the registry, compiled as a one-equation jaxpr, against its reference
 * impl: bit for bit (float64, float32, int32, bool), since each generated loop performs the
 * impl's operations in the impl's order. Cases come from the autodiff suite's generators
 * (domain-safe operands, several shapes, 0-d operands that broadcast), plus float32 versions
 * of the float64 ones and values that stress the semantics (NaN, ±0, ±Infinity, int32 overflow).
 */
import { describe, expect, it } from 'vitest'
import { ConcreteArray } from '../../src/core/array'
import { registeredPrimitives, rulesOf } from '../../src/core/rules'
import type { PrimName } from '../../src/ir/params'
import { HIGHER_ORDER, extraBatchCases, nonDifferentiableCases, primitiveCases } from '../autodiff/cases'
import { makeRng } from '../autodiff/check'
import { compileJaxpr, setWasmKernels } from '../../src/backend'
import { bitwiseDiff, oneEqn, runCompiled, runReference, toF32 } from './helpers'

const ALL = [...primitiveCases(), ...nonDifferentiableCases(), ...extraBatchCases()]

const check = (prim: PrimName, label: string, xs: ConcreteArray[], params: unknown): void => {
  const j = oneEqn(prim, xs, params as never)
  const want = runReference(j, xs)
  const got = runCompiled(j, xs)
  got.forEach((g, i) => {
    const d = bitwiseDiff(g, want[i])
    if (d !== null) expect.fail(`${prim} ${label}, output ${i}: ${d}`)
  })
}

describe('compiled primitive == reference impl, bit for bit', () => {
  it('covers every first-order primitive of the registry', () => {
    const covered = new Set(ALL.map((c) => c.prim))
    const missing = registeredPrimitives().filter((p) => !HIGHER_ORDER.includes(p) && !covered.has(p) && p !== 'custom_vjp_lin')
    expect(missing).toEqual([])
  })
  for (const c of ALL) {
    it(`${c.prim} ${c.label}`, () => {
      const rnd = makeRng(11)
      for (let rep = 0; rep < 3; rep++) {
        const xs = c.make(rnd)
        check(c.prim, c.label, xs, c.params)
        const f32 = toF32(xs)
        let ok = true
        try {
          rulesOf(c.prim).abstractEval(f32.map((x) => x.aval), c.params as never)
        } catch {
          ok = false
        }
        if (ok && f32.some((x, i) => x !== xs[i])) check(c.prim, `${c.label} (float32)`, f32, c.params)
      }
    })
  }
})

const f64 = (v: number[], shape = [v.length]) => new ConcreteArray(Float64Array.from(v), shape, 'float64')
const f32 = (v: number[], shape = [v.length]) => new ConcreteArray(Float32Array.from(v), shape, 'float32')
const i32 = (v: number[], shape = [v.length]) => new ConcreteArray(Int32Array.from(v), shape, 'int32')

const SPECIAL = [NaN, -0, 0, Infinity, -Infinity, 1e-310, -2.5, 0.5, 1.5, 2.5, -0.5, 1e308, -1e-7, 3]
const INTS = [0, 1, -1, 2147483647, -2147483648, 7, -7, 46341, 3]

describe('special values', () => {
  const unaryF = ['neg', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'sign', 'floor', 'ceil', 'round', 'logistic', 'stop_gradient'] as const
  for (const p of unaryF) {
    it(`${p} on NaN, ±0, ±inf, halves (f64, f32)`, () => {
      check(p, 'special f64', [f64(SPECIAL)], {})
      check(p, 'special f32', [f32(SPECIAL)], {})
    })
  }
  const binaryF = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'atan2', 'rem', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const
  for (const p of binaryF) {
    it(`${p} on all pairs of special values`, () => {
      const a = SPECIAL.flatMap((x) => SPECIAL.map(() => x))
      const b = SPECIAL.flatMap(() => SPECIAL)
      check(p, 'special f64', [f64(a), f64(b)], {})
      check(p, 'special f32', [f32(a), f32(b)], {})
    })
  }
  for (const p of ['add', 'sub', 'mul', 'div', 'rem', 'max', 'min', 'and', 'or', 'eq', 'lt'] as const) {
    it(`${p} on int32 extremes (wrapping)`, () => {
      const a = INTS.flatMap((x) => INTS.map(() => x))
      const b = INTS.flatMap(() => INTS)
      check(p, 'int32', [i32(a), i32(b)], {})
    })
  }
  for (const p of ['neg', 'abs', 'sign', 'not'] as const) it(`${p} on int32 extremes`, () => check(p, 'int32', [i32(INTS)], {}))
  it('integer_pow on int32 overflow and float specials', () => {
    for (const y of [0, 1, 2, 3, 5, 13]) check('integer_pow', `int32 y=${y}`, [i32(INTS)], { y })
    for (const y of [-3, -1, 0, 2, 7]) check('integer_pow', `f64 y=${y}`, [f64(SPECIAL)], { y })
    for (const y of [-3, 2, 7]) check('integer_pow', `f32 y=${y}`, [f32(SPECIAL)], { y })
  })
  it('convert_element_type between every pair of dtypes', () => {
    const srcs = [f64(SPECIAL), f32(SPECIAL), i32(INTS), new ConcreteArray(Uint8Array.from([0, 1, 1, 0]), [4], 'bool')]
    for (const x of srcs) for (const d of ['float64', 'float32', 'int32', 'bool'] as const) check('convert_element_type', `${x.dtype}→${d}`, [x], { newDtype: d, weakType: false })
  })
  it('reductions propagate NaN and keep −0 as the impl does', () => {
    const x = f64([1, NaN, 3, -0, 0, -Infinity, 2, 5], [2, 4])
    for (const p of ['reduce_sum', 'reduce_max', 'reduce_min', 'reduce_prod'] as const) {
      for (const axes of [[0], [1], [0, 1], []]) check(p, `axes ${axes}`, [x], { axes })
    }
    for (const p of ['argmax', 'argmin'] as const) for (const axis of [0, 1]) check(p, `axis ${axis}`, [x], { axis, indexDtype: 'int32' })
  })
  it('pad without interior padding (guarded loads), cropping and growing', () => {
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3])
    for (const cfg of [[[1, 0, 0], [0, 2, 0]], [[-1, 1, 0], [2, -1, 0]], [[0, 0, 0], [-3, 0, 0]]] as [number, number, number][][]) {
      check('pad', JSON.stringify(cfg), [x, f64([-7], [])], { paddingConfig: cfg })
    }
  })
  it('empty arrays', () => {
    const e = f64([], [0, 3])
    check('sin', 'empty', [e], {})
    check('reduce_sum', 'empty axis', [e], { axes: [0] })
    check('reduce_max', 'empty all', [e], { axes: [0, 1] })
    check('dot_general', 'empty contraction', [f64([], [2, 0]), f64([], [0, 3])], { dimensionNumbers: { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }, preferredElementType: null })
  })
})

describe('large contractions (the matmul kernel), bit for bit', () => {
  const rnd = makeRng(3)
  const mat = (shape: number[], dtype: 'float64' | 'float32' | 'int32' = 'float64') => {
    const n = shape.reduce((a, b) => a * b, 1)
    const v = Array.from({ length: n }, () => (dtype === 'int32' ? Math.floor(rnd() * 2000 - 1000) * 1000 : rnd() * 2 - 1))
    return dtype === 'float64' ? f64(v, shape) : dtype === 'float32' ? f32(v, shape) : i32(v, shape)
  }
  const dn = (lc: number[], rc: number[], lb: number[] = [], rb: number[] = []) => ({ dimensionNumbers: { lhsContracting: lc, rhsContracting: rc, lhsBatch: lb, rhsBatch: rb }, preferredElementType: null })
  const cases: [string, ConcreteArray, ConcreteArray, ReturnType<typeof dn>][] = [
    ['[37,50]·[50,29]', mat([37, 50]), mat([50, 29]), dn([1], [0])],
    ['aᵀ·b [50,37]·[50,29]', mat([50, 37]), mat([50, 29]), dn([0], [0])],
    ['a·bᵀ [37,50]·[29,50]', mat([37, 50]), mat([29, 50]), dn([1], [1])],
    ['batched [3,21,30]·[3,30,22]', mat([3, 21, 30]), mat([3, 30, 22]), dn([2], [1], [0], [0])],
    ['batch axis last [21,30,3]·[30,22,3]', mat([21, 30, 3]), mat([30, 22, 3]), dn([1], [0], [2], [2])],
    ['two contracting axes [8,6,40]·[6,40,9]', mat([8, 6, 40]), mat([6, 40, 9]), dn([1, 2], [0, 1])],
    ['int32 wrapping [40,40]·[40,41]', mat([40, 40], 'int32'), mat([40, 41], 'int32'), dn([1], [0])],
  ]
  for (const [label, x, y, p] of cases) {
    it(label, () => {
      const j = oneEqn('dot_general', [x, y], p)
      const want = runReference(j, [x, y])[0]
      const prog = compileJaxpr(j)
      expect(prog.spec.steps.some((s) => s.kind === 'kernel' && s.kernel.kind === 'dot')).toBe(true)
      const d = bitwiseDiff(prog.run([x.data, y.data])[0], want)
      if (d !== null) expect.fail(`${label}: ${d}`)
    })
  }

  // float32: generated JS accumulates in float64 as the impl does (bit for bit); the wasm
  // kernel accumulates in float32 as sgemm does: |error| ≤ K·2⁻²⁴·Σₖ|a||b| per element
  const [x, y] = [mat([64, 70], 'float32'), mat([70, 33], 'float32')]
  const j = oneEqn('dot_general', [x, y], dn([1], [0]))
  const want = runReference(j, [x, y])[0]
  it('float32 [64,70]·[70,33] in generated JS, bit for bit', () => {
    setWasmKernels(false)
    try {
      const d = bitwiseDiff(compileJaxpr(j).run([x.data, y.data])[0], want)
      if (d !== null) expect.fail(d)
    } finally {
      setWasmKernels(true)
    }
  })
  it('float32 [64,70]·[70,33] in wasm, within the float32 accumulation bound', () => {
    const prog = compileJaxpr(j)
    expect(prog.spec.steps.map((s) => s.kind === 'kernel' && s.engine)).toEqual(['wasm'])
    const got = prog.run([x.data, y.data])[0]
    const [a, b] = [x.data, y.data]
    for (let m = 0; m < 64; m++) {
      for (let n = 0; n < 33; n++) {
        let mag = 0
        for (let k = 0; k < 70; k++) mag += Math.abs(a[m * 70 + k] * b[k * 33 + n])
        expect(Math.abs(got[m * 33 + n] - want[m * 33 + n])).toBeLessThanOrEqual(70 * 2 ** -24 * mag)
      }
    }
  })
})
