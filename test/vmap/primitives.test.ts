/**
 * The batching law for every primitive of the registry: vmap(op)(stacked xs) equals stacking
 * op over the slices, for random inAxes (including null and negative axes) and random outAxes,
 * with batch sizes 3, 1 and 0.
 */
import { describe, expect, it } from 'vitest'
import '../../src'
import { ConcreteArray } from '../../src/core/array'
import { registerRules, registeredPrimitives, rulesOf } from '../../src/core/rules'
import { type Tracer, bind } from '../../src/core/tracer'
import { allocate } from '../../src/ir/dtypes'
import { elementwiseBatch } from '../../src/primitives/util'
import type { PrimName } from '../../src/ir/params'
import { vmap } from '../../src'
import { makeRng, sizeOfShape } from '../autodiff/check'
import { HIGHER_ORDER, type PrimCase, extraBatchCases, nonDifferentiableCases, primitiveCases } from '../autodiff/cases'

const CASES: PrimCase[] = [...primitiveCases(), ...nonDifferentiableCases(), ...extraBatchCases()]

/** Stack examples (all shaped like `like`) along a new axis `axis` — plain loops, no library ops. */
const stackAt = (xs: readonly ConcreteArray[], axis: number, like: ConcreteArray): ConcreteArray => {
  const B = xs.length
  const s = like.shape
  const shape = [...s.slice(0, axis), B, ...s.slice(axis)]
  const inner = sizeOfShape(s.slice(axis))
  const outer = sizeOfShape(s.slice(0, axis))
  const data = allocate(like.dtype, sizeOfShape(shape))
  xs.forEach((x, b) => {
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) data[(o * B + b) * inner + i] = x.data[o * inner + i]
  })
  return new ConcreteArray(data, shape, like.dtype, like.weakType)
}

const expectSame = (got: Tracer, want: ConcreteArray, what: string): void => {
  expect(got.shape, `${what}: shape`).toEqual(want.shape)
  expect(got.dtype, `${what}: dtype`).toBe(want.dtype)
  expect(got.weakType, `${what}: weakType`).toBe(want.weakType)
  const g = (got as ConcreteArray).data
  for (let i = 0; i < want.size; i++) {
    const [a, b] = [g[i], want.data[i]]
    const ok = Object.is(a, b) || Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b))
    if (!ok) expect.fail(`${what}: element ${i} is ${a}, expected ${b}`)
  }
}

/** One batching-law check: random axes, batch size B. */
const checkLaw = (k: PrimCase, B: number, rnd: () => number, allUnmapped: boolean, mapped?: readonly boolean[]): void => {
  const template = k.make(rnd)
  const n = template.length
  // in axes: null or a position in 0 … ndim of the batched operand, sometimes written negatively
  const inAxes: (number | null)[] = template.map((x, i) => {
    if (mapped !== undefined && !mapped[i]) return null
    if (allUnmapped || (mapped === undefined && n > 1 && rnd() < 0.25)) return null
    const a = Math.floor(rnd() * (x.ndim + 1))
    return rnd() < 0.3 ? a - (x.ndim + 1) : a
  })
  if (!allUnmapped && n > 0 && !inAxes.some((a) => a !== null)) inAxes[0] = 0
  const examples = Array.from({ length: B }, () => k.make(rnd))
  const argsOf = (b: number): ConcreteArray[] => template.map((t, i) => (inAxes[i] === null ? t : examples[b][i]))
  const batched = template.map((t, i) => {
    const a = inAxes[i]
    if (a === null) return t
    return stackAt(examples.map((e) => e[i]), a < 0 ? a + t.ndim + 1 : a, t)
  })
  const op = (...xs: Tracer[]): Tracer[] => bind(k.prim, xs, k.params as never)
  const outTemplate = op(...template) as ConcreteArray[]
  const outAxes: (number | null)[] = outTemplate.map((o) => {
    if (allUnmapped && rnd() < 0.5) return null
    const a = Math.floor(rnd() * (o.ndim + 1))
    return rnd() < 0.3 ? a - (o.ndim + 1) : a
  })
  const perExample = Array.from({ length: B }, (_, b) => op(...argsOf(b)) as ConcreteArray[])
  const got = vmap(op, { inAxes, outAxes, ...(allUnmapped || n === 0 ? { axisSize: B } : {}) })(...batched) as Tracer[]
  const what = `${k.label} B=${B} inAxes=${JSON.stringify(inAxes)} outAxes=${JSON.stringify(outAxes)}`
  expect(got.length, what).toBe(outTemplate.length)
  outTemplate.forEach((o, j) => {
    const a = outAxes[j]
    const want = a === null ? o : stackAt(perExample.map((p) => p[j]), a < 0 ? a + o.ndim + 1 : a, o)
    expectSame(got[j], want, `${what} output ${j}`)
  })
}

describe('the batching law covers the registry', () => {
  it('every registered primitive has batching cases (higher-order ones are tested by composition)', () => {
    const covered = new Set<PrimName>([...CASES.map((k) => k.prim), ...HIGHER_ORDER])
    expect(registeredPrimitives().filter((p) => !covered.has(p))).toEqual([])
  })
})

describe('the law check is not vacuous', () => {
  it('rejects a batch rule that forgets to shift the scanned axis past the batch axis', () => {
    const good = rulesOf('cumsum')
    const k = CASES.find((c) => c.label === 'cumsum [3,4] axis 1 reverse') as PrimCase
    const run = () => {
      const rnd = makeRng(3)
      for (let rep = 0; rep < 6; rep++) checkLaw(k, 3, rnd, false)
    }
    expect(run).not.toThrow()
    try {
      registerRules({ cumsum: { ...good, batch: (_n, [x], [b], p) => [[bind('cumsum', [x], p)[0]], [b]] } })
      expect(run).toThrow()
    } finally {
      registerRules({ cumsum: good })
    }
  })
})

describe('the mapped / unmapped combinations catch a batch rule that leaves an unbatched 0-d case unbroadcast', () => {
  it('select_n with the generic elementwise batcher fails (its cases must keep equal shapes)', () => {
    const good = rulesOf('select_n')
    const k = CASES.find((c) => c.label === 'select_n 0-d pred, 0-d cases') as PrimCase
    const run = () => {
      const rnd = makeRng(8)
      for (let bits = 1; bits < 7; bits++) checkLaw(k, 2, rnd, false, [0, 1, 2].map((i) => ((bits >> i) & 1) === 1))
    }
    expect(run).not.toThrow()
    try {
      registerRules({ select_n: { ...good, batch: elementwiseBatch('select_n') } })
      expect(run).toThrow(/select_n/)
    } finally {
      registerRules({ select_n: good })
    }
  })
})

describe('vmap(op)(xs) equals stacking op over slices', () => {
  const byPrim = new Map<PrimName, PrimCase[]>()
  for (const k of CASES) byPrim.set(k.prim, [...(byPrim.get(k.prim) ?? []), k])
  for (const [prim, cases] of byPrim) {
    it(prim, () => {
      cases.forEach((k, c) => {
        const rnd = makeRng(4242 + 17 * c)
        for (let rep = 0; rep < 5; rep++) checkLaw(k, 3, rnd, false)
        checkLaw(k, 1, rnd, false)
        checkLaw(k, 0, rnd, false)
        checkLaw(k, 2, rnd, true)
        // every mapped / unmapped combination of the operands (small arities)
        const n = k.make(rnd).length
        if (n >= 2 && n <= 4) {
          for (let bits = 1; bits < 2 ** n - 1; bits++) checkLaw(k, 2, rnd, false, [...Array(n).keys()].map((i) => ((bits >> i) & 1) === 1))
        }
      })
    })
  }
})
