/**
 * The fixed points of the loop rules (which carries get a tangent, a Taylor series, a batch
 * axis, or are unknown) and the helpers that let the rules transform a body once: `loopMaskStart` (a start read off
 * the equations) must never pass the fixed point, so that the fixed point reached from it — and
 * the transformed body — is the one reached from the initial mask; `permuteJaxpr` must compute
 * the permuted function.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, jvp, lax, makeJaxpr, np, vmap } from '../../src'
import { evalJaxpr } from '../../src/interpret/eval'
import { jvpJaxpr } from '../../src/interpret/jvp'
import { batchJaxpr } from '../../src/interpret/batch'
import { jetJaxpr } from '../../src/interpret/jet'
import { partialEvalJaxpr } from '../../src/interpret/partial'
import { fixedPoint, fixedPointWith, loopMaskStart, permuteJaxpr, segments } from '../../src/higher/util'
import type { Jaxpr } from '../../src/ir/jaxpr'

// body(p; a, b, c, n, d, e, f): every carry is fed by another one, through the primitives the
// start follows and through some it does not (stop_gradient, floor, a comparison, a cond)
// (partial evaluation splits a cond on a known index only: its body has a select instead)
const body = (withCond: boolean) => (p: Arr, a: Arr, b: Arr, c: Arr, n: Arr, d: Arr, e: Arr, f: Arr): Arr[] => [
  a.mul(p),
  np.sin(a).add(b.mul(0.5)),
  b.sum().mul(c),
  n.add(1),
  lax.stopGradient(b).mul(2).add(d.mul(0)),
  np.where(a.gt(0), e, a.mul(3)),
  withCond ? lax.cond(c.gt(0), () => np.floor(e), () => f) : np.where(f.gt(0), f, 1),
]
const v3 = np.array([0.5, -1, 2])
const args = [v3, v3, v3, np.array(0.3), np.array(1, { dtype: 'int32' }), v3, v3, v3] as const
const j: Jaxpr = makeJaxpr(body(true))(...args).jaxpr
const jPE: Jaxpr = makeJaxpr(body(false))(...args).jaxpr
const NC = 7

const masks = (k: number): boolean[][] => Array.from({ length: 1 << k }, (_, m) => Array.from({ length: k }, (_, i) => ((m >> i) & 1) === 1))

type Step = (m: boolean[]) => { mask: boolean[]; result: Jaxpr }
const modes: { name: string; mode: 'tangent' | 'flow'; j: Jaxpr; step: (consts: boolean) => Step; ok: (m: boolean[]) => boolean[] }[] = [
  {
    name: 'jvp',
    j,
    mode: 'tangent',
    step: (c) => (m) => {
      const r = jvpJaxpr(j, 0, [c, ...m], m)
      return { mask: r.outNonzeros, result: r.jaxpr }
    },
    ok: (m) => m.map((x, i) => x && i !== 3), // the int32 counter has no tangent
  },
  {
    name: 'jet (order 2)',
    j,
    mode: 'tangent',
    step: (c) => (m) => {
      const r = jetJaxpr(j, 2, [c, ...m], null)
      return { mask: r.outSeries, result: r.jaxpr }
    },
    ok: (m) => m.map((x, i) => x && i !== 3), // the int32 counter has no series
  },
  {
    name: 'vmap',
    mode: 'flow',
    j,
    step: (c) => (m) => {
      const r = batchJaxpr(j, 2, [c ? 0 : null, ...m.map((x) => (x ? 0 : null))], m)
      return { mask: r.outDims.map((d) => d !== null), result: r.jaxpr }
    },
    ok: (m) => m,
  },
  {
    name: 'partial evaluation',
    mode: 'flow',
    j: jPE,
    step: (c) => (m) => {
      const r = partialEvalJaxpr(jPE, [c, ...m], m)
      return { mask: r.outUnknowns, result: r.unknown }
    },
    ok: (m) => m,
  },
]

describe('loop fixed points', () => {
  for (const { name, mode, j, step, ok } of modes) {
    it(`${name}: the start never passes the fixed point, which is the same from it as from the initial mask`, () => {
      for (const c of [true, false]) {
        // a quarter of the initial masks (every carry in and out of them), to keep the test fast
        for (const init0 of masks(NC).filter((_, k) => k % 4 === 1 || k === 0)) {
          const init = ok(init0)
          const plain = fixedPoint(init, (m) => step(c)(m).mask)
          const start = loopMaskStart(j, init, (m) => [c, ...m], mode)
          expect(start.every((s, i) => !s || plain[i])).toBe(true)
          expect(init.every((s, i) => !s || start[i])).toBe(true)
          const fix = fixedPointWith(start, step(c))
          expect(fix.mask).toEqual(plain)
          // the last step is the transform at the fixed point: the one a rule would trace after it
          expect(String(fix.result)).toBe(String(step(c)(plain).result))
        }
      }
    })
  }

  it('the start follows tangents round the loop, but not through stop_gradient, floor or a cond', () => {
    // a tangent on p reaches a, then b and e (through sin and select_n), then c; d, f and the counter never
    expect(loopMaskStart(j, [false, false, false, false, false, false, false], (m) => [true, ...m], 'tangent')).toEqual([true, true, true, false, false, true, false])
    // which is where jvp's fixed point ends: its rule transforms the body once. jet's cond rule
    // gives every float output of a cond a series, so f joins there after one more step.
    const none = [false, false, false, false, false, false, false]
    expect(fixedPoint(none, (m) => jvpJaxpr(j, 0, [true, ...m], m).outNonzeros)).toEqual([true, true, true, false, false, true, false])
    expect(fixedPoint(none, (m) => jetJaxpr(j, 3, [true, ...m], null).outSeries)).toEqual([true, true, true, false, false, true, true])
    // a batch axis also goes through stop_gradient (d); the cond is left to the transform (f)
    expect(loopMaskStart(j, [false, true, false, false, false, false, false], (m) => [false, ...m], 'flow')).toEqual([false, true, true, false, true, false, false])
  })

  it('a scan whose carries get tangents and batch axes only after a step: values against closed forms', () => {
    // x_{k+1} = x_k + p·y_k, y_{k+1} = y_k + p, from (0, 0): y_k = k p, x_k = p² k(k−1)/2
    const final = (p: Arr): Arr => {
      const [x, y] = lax.foriLoop(0, 10, (_i: Arr, [x, y]: [Arr, Arr]): [Arr, Arr] => [x.add(p.mul(y)), y.add(p)], [np.array(0), np.array(0)])
      return np.stack([x, y])
    }
    const [out, dout] = jvp(final, [np.array(1.5)], [np.array(1)])
    expect(Array.from(out.toTypedArray())).toEqual([1.5 * 1.5 * 45, 15])
    expect(Array.from(dout.toTypedArray())).toEqual([2 * 1.5 * 45, 10])
    const b = vmap(final)(np.array([1, 2]))
    expect(Array.from(b.toTypedArray())).toEqual([45, 10, 180, 20])
  })
})

describe('permuteJaxpr', () => {
  it('computes the function with its inputs and outputs reordered', () => {
    const g = makeJaxpr((x: Arr, y: Arr, z: Arr) => [x.sub(y), y.mul(z), z])(np.array(2), np.array(3), np.array(5)).jaxpr
    // new inputs (z, x, y), new outputs (z, x − y, y·z)
    const ins = segments([1, 1, 1], [2, 0, 1])
    const pj = permuteJaxpr(g, ins, [2, 0, 1])
    const outs = evalJaxpr(pj, [], [np.array(5), np.array(2), np.array(3)]) as Arr[]
    expect(outs.map((o) => o.item())).toEqual([5, -1, 15])
  })

  it('segments lists the indices of sized segments in the order asked', () => {
    expect(segments([2, 0, 3, 1], [3, 0, 2, 1])).toEqual([5, 0, 1, 2, 3, 4])
  })
})
