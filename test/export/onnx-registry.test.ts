// Every primitive of the registry either exports to ONNX — and then the exported program,
// run on ONNX Runtime's CPU provider, computes what leibniz computes (laws.exportsLike, float64
// to 1e-12) on the operand generators of the other registry suites — or is refused with an
// ExportError naming it. Higher-order primitives are exercised by small programs, exported
// without simplification so that jit / checkpoint / custom calls reach the lowering as such.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ExportError, jvp, lax, makeJaxpr, np, customJvp, customVjp, checkpoint, jit, grad } from '../../src'
import type { Array } from '../../src'
import { registeredPrimitives } from '../../src/core/rules'
import { bind } from '../../src/core/tracer'
import type { PrimName } from '../../src/ir/params'
import { exportOnnx, onnxCoverage, runOnnx } from '../../src/export'
import { laws } from '../../laws'
import { HIGHER_ORDER, type PrimCase, extraBatchCases, nonDifferentiableCases, primitiveCases } from '../autodiff/cases'
import { makeRng } from '../autodiff/check'

const numRuns = Number(process.env.LAWS_RUNS ?? 2)
const onnx = (f: (...a: any[]) => unknown, args: unknown[]) => runOnnx(exportOnnx(f)(...args), ...args)
const onnxRaw = (f: (...a: any[]) => unknown, args: unknown[]) => runOnnx(exportOnnx(f, { simplify: false })(...args), ...args)

const CASES: PrimCase[] = [...primitiveCases(), ...nonDifferentiableCases(), ...extraBatchCases()]
const { exported, refused } = onnxCoverage()

const fOf = (k: PrimCase) => (...xs: Array[]) => bind(k.prim, xs, k.params as never)
const argsOf = (k: PrimCase) => fc.integer({ min: 1, max: 2 ** 30 }).map((seed) => k.make(makeRng(seed)) as unknown[])

describe('ONNX export over the primitive registry', () => {
  it('every registered primitive is exported or refused, and the lists are these', () => {
    const all = registeredPrimitives()
    expect([...exported, ...refused.keys()].sort()).toEqual([...all].sort())
    expect([...refused.keys()].sort()).toEqual(['cholesky', 'conv_general_dilated', 'custom_vjp_lin', 'debug_callback', 'eigh', 'lu', 'qr', 'reduce_window_max', 'reduce_window_min', 'reduce_window_sum', 'svd', 'triangular_solve'])
    expect(exported.length).toBe(all.length - refused.size)
  })

  it('every exported non-higher-order primitive has a case here', () => {
    const covered = new Set(CASES.map((c) => c.prim))
    expect(exported.filter((p) => !covered.has(p) && !HIGHER_ORDER.includes(p))).toEqual([])
  })

  for (const k of CASES) {
    it(`${k.prim}: ${k.label}`, async () => {
      if (refused.has(k.prim)) {
        const args = k.make(makeRng(1))
        let err: unknown
        try {
          exportOnnx(fOf(k))(...args)
        } catch (e) {
          err = e
        }
        expect(err).toBeInstanceOf(ExportError)
        expect((err as ExportError).primitive).toBe(k.prim)
        expect((err as Error).message).toContain(`'${k.prim}'`)
        return
      }
      await laws.exportsLike(fOf(k), argsOf(k), onnx, { numRuns, seed: 7 })
    })
  }
})

const vec = (n: number) => fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n }).map((a) => np.array(a))

const sq = customJvp((x: Array) => x.mul(x), ([x]: Array[], [t]: Array[]) => [x.mul(x), x.mul(t).mul(2)])
const cube = customVjp((x: Array) => x.mul(x).mul(x), (x: Array) => [x.mul(x).mul(x), x], (x: Array, ct: Array) => [x.mul(x).mul(3).mul(ct)])

const HIGHER: { readonly prim: PrimName; readonly f: (...a: Array[]) => unknown; readonly n: number }[] = [
  { prim: 'jit', f: (x) => jit((y: Array) => y.sin().mul(y))(x).add(1), n: 3 },
  { prim: 'checkpoint', f: (x) => checkpoint((y: Array) => y.sin().exp())(x), n: 3 },
  { prim: 'custom_jvp_call', f: (x) => sq(x).add(x), n: 3 },
  { prim: 'custom_vjp_call', f: (x) => cube(x).sum(), n: 3 },
  { prim: 'cond', f: (x) => lax.cond(x.sum().gt(0), (y: Array) => y.mul(2), (y: Array) => y.sin(), x), n: 3 },
  { prim: 'cond', f: (x) => lax.switch(x.sum().mul(2).astype('int32'), [(y: Array) => y.neg(), (y: Array) => y.cos(), (y: Array) => y.exp()], x), n: 2 },
  { prim: 'while', f: (x) => lax.whileLoop((c: [Array, Array]) => c[0].lt(5), (c: [Array, Array]): [Array, Array] => [c[0].add(1), c[1].mul(1.1).sin()], [np.array(0), x])[1], n: 3 },
  { prim: 'scan', f: (x) => lax.scan((c: Array, xi: Array) => [c.mul(0.9).add(xi), c.mul(xi)], np.array(0.5), x), n: 4 },
  { prim: 'scan', f: (x) => lax.scan((c: Array, xi: Array) => [c.sin().add(xi), [c, xi.exp()]], np.array(0.5), x, { reverse: true }), n: 4 },
  { prim: 'scan', f: (x) => grad((y: Array) => lax.foriLoop(0, 4, (_i: unknown, c: Array) => c.mul(y).sin(), y).sum())(x), n: 2 },
]

describe('ONNX export of higher-order primitives', () => {
  for (const h of HIGHER) {
    it(`${h.prim}: ${String(makeJaxpr(h.f)(np.zeros([h.n]))).split('\n').length} lines of jaxpr`, async () => {
      const prims = new Set(makeJaxpr(h.f)(np.zeros([h.n])).jaxpr.eqns.map((e) => e.prim))
      expect(prims.has(h.prim)).toBe(true)
      await laws.exportsLike(h.f, fc.tuple(vec(h.n)), onnxRaw, { numRuns, seed: 3 })
      await laws.exportsLike(h.f, fc.tuple(vec(h.n)), onnx, { numRuns, seed: 4 })
    })
  }

  it('custom_vjp_lin (the jvp of a customVjp function) is refused by name', () => {
    const f = (x: Array, t: Array) => jvp((y: Array) => cube(y), [x], [t])[1]
    expect(() => exportOnnx(f)(np.ones([2]), np.ones([2]))).toThrow(/'custom_vjp_lin'/)
  })
})
