/**
 * Every differentiable primitive of the registry, bound directly, checked against finite
 * differences (forward) and by the adjoint identity (reverse), at orders 1 and 2.
 */
import { describe, expect, it } from 'vitest'
import { ConcreteArray } from '../../src/core/array'
import { registerRules, registeredPrimitives, rulesOf } from '../../src/core/rules'
import { type Tracer, bind } from '../../src/core/tracer'
import type { PrimName } from '../../src/ir/params'
import { customJvp, jvp, stopGradient } from '../../src'
import { checkGradsInternal, f64, makeRng, valuesOf } from './check'
import { HIGHER_ORDER, NON_DIFFERENTIABLE, type PrimCase, caseFn, nonDifferentiableCases, primitiveCases } from './cases'

const CASES = primitiveCases()

describe('the primitive table covers the registry', () => {
  it('every registered primitive has gradient cases or is listed as non-differentiable / higher-order', () => {
    const covered = new Set<PrimName>([...CASES.map((k) => k.prim), ...NON_DIFFERENTIABLE, ...HIGHER_ORDER])
    const missing = registeredPrimitives().filter((p) => !covered.has(p))
    expect(missing).toEqual([])
    // and the lists name only real primitives
    const reg = new Set(registeredPrimitives())
    expect([...NON_DIFFERENTIABLE, ...HIGHER_ORDER].filter((p) => !reg.has(p))).toEqual([])
  })
})

describe('checkGradsInternal is not vacuous', () => {
  it('rejects a wrong first derivative and a wrong second derivative', () => {
    const wrong = customJvp((x: Tracer) => x.sin(), ([x]: Tracer[], [t]: Tracer[]) => [x.sin(), x.cos().mul(t).mul(1.0001)])
    const x = f64([0.3, -0.8], [2])
    expect(() => checkGradsInternal((y) => wrong(y), [x], { order: 1, modes: ['fwd'] })).toThrow(/finite differences/)
    expect(() => checkGradsInternal((y) => y.sin(), [x], { order: 1 })).not.toThrow()
    // a second derivative that is wrong while the first is right: the rule's cos x is under
    // stopGradient, so d/dx (cos x · t) comes out 0
    const flat = customJvp((y: Tracer) => y.sin(), ([y]: Tracer[], [t]: Tracer[]) => [y.sin(), t.mul(stopGradient(y).cos())])
    expect(() => checkGradsInternal((y) => flat(y), [f64([0.3], [1])], { order: 1 })).not.toThrow()
    expect(() => checkGradsInternal((y) => flat(y), [f64([0.3], [1])], { order: 2, modes: ['fwd'] })).toThrow(/∘ jvp/)
  })
  it('rejects a wrong transpose rule (rev) that forward mode cannot see', () => {
    const good = rulesOf('cumsum')
    const f = (y: Tracer) => bind('cumsum', [y], { axis: 0, reverse: false })
    const x = f64([0.3, -0.8, 1.1], [3])
    expect(() => checkGradsInternal(f, [x], { order: 1 })).not.toThrow()
    try {
      // transpose with the same direction instead of the opposite one
      registerRules({ cumsum: { ...good, transpose: ([ct], _x, p) => [bind('cumsum', [ct as Tracer], p)[0]] } })
      expect(() => checkGradsInternal(f, [x], { order: 1, modes: ['fwd'] })).not.toThrow()
      expect(() => checkGradsInternal(f, [x], { order: 1, modes: ['rev'] })).toThrow(/⟨u, Jv⟩/)
    } finally {
      registerRules({ cumsum: good })
    }
  })
})

describe('every differentiable primitive: jvp vs finite differences, vjp vs jvp, orders 1 and 2', () => {
  const byPrim = new Map<PrimName, PrimCase[]>()
  for (const k of CASES) byPrim.set(k.prim, [...(byPrim.get(k.prim) ?? []), k])
  for (const [prim, cases] of byPrim) {
    it(prim, () => {
      cases.forEach((k, n) => {
        // two independent draws of operands per case
        for (const draw of [0, 1]) {
          const rnd = makeRng(1000 + 31 * n + draw)
          const args = k.make(rnd)
          const diffArgs = k.diff.map((a) => args[a])
          checkGradsInternal(caseFn(k, args), diffArgs, { order: 2, modes: ['fwd', 'rev'], eps: 1e-5, rtol: 1e-6, seed: 7 + n + 100 * draw, label: `${k.label} (draw ${draw})` })
        }
      })
    })
  }
})

describe('non-differentiable primitives have zero tangents', () => {
  for (const k of nonDifferentiableCases()) {
    if (k.diff.length === 0) continue
    it(k.label, () => {
      const args = k.make(makeRng(5))
      const f = caseFn(k, args)
      const xs = k.diff.map((a) => args[a])
      const [, touts] = jvp(f, xs, xs.map((x) => f64(Array.from(x.data, () => 1), x.shape))) as unknown as [Tracer[], Tracer[]]
      for (const t of touts) expect(Array.from(valuesOf(t)).every((v) => v === 0)).toBe(true)
    })
  }
  it('sort: the int32 output of a multi-operand sort has a zero tangent; the float one is permuted', () => {
    const keys = f64([0.3, -1, 2], [3])
    const vals = new ConcreteArray(Int32Array.from([7, 8, 9]), [3], 'int32')
    const [[sk, sv], [tk, tv]] = jvp((k: Tracer) => bind('sort', [k, vals], { dimension: 0, numKeys: 1 }), [keys], [f64([1, 2, 3], [3])]) as unknown as [Tracer[], Tracer[]]
    expect(sk.tolist()).toEqual([-1, 0.3, 2])
    expect(sv.tolist()).toEqual([8, 7, 9])
    expect(tk.tolist()).toEqual([2, 1, 3])
    expect(tv.dtype).toBe('int32')
    expect(tv.tolist()).toEqual([0, 0, 0])
  })
})
