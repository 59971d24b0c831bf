// Fuzzing the transformations themselves: random well-typed programs (arb.program) checked
// against finite differences (grad, jvp, to order 2), and jit/vmap against plain evaluation.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { jit } from '../../src'
import { arb, checkGrads, defaultTolerances, predicates } from '../../laws'
import { makeRng } from '../../laws/treeMath'

const runs = Number(process.env.LAWS_RUNS ?? 12)
const tol = { rtol: 1e-5, atol: 1e-6, eps: 1e-5 }

const describeProgram = (p: { text: string }) => `program: ${p.text}`

describe('random programs', () => {
  it('smooth scalar programs: derivatives of order 1 and 2 match finite differences, both modes', () => {
    fc.assert(
      fc.property(arb.program({ output: 'scalar', maxOps: 6 }), (p) => {
        try {
          checkGrads(p.fn, p.args, { order: 2, ...tol })
        } catch (e) {
          throw new Error(`${describeProgram(p)}\n${(e as Error).message}`)
        }
      }),
      { numRuns: runs, seed: 11 },
    )
  })
  it('smooth array programs: the first-order laws (jvp, vjp adjointness, linearize, jit, vmap)', () => {
    fc.assert(
      fc.property(arb.program({ output: 'array', maxOps: 5 }), arb.program({ output: 'array', maxOps: 1 }), fc.nat(), (p, _q, seed) => {
        const rng = makeRng(seed)
        for (const [name, law] of Object.entries({
          fd: predicates.jvpMatchesFiniteDifferences,
          linear: predicates.jvpLinearInTangent,
          adjoint: predicates.vjpAdjointToJvp,
          linearize: predicates.linearizeMatchesJvp,
          jit: predicates.jitMatches,
        })) {
          const msg = law(p.fn, p.args, tol, rng)
          if (msg) throw new Error(`${name}: ${msg}\n${describeProgram(p)}`)
        }
      }),
      { numRuns: runs, seed: 12 },
    )
  })
  it('mixed float32/float64 programs (with control flow and custom rules): the first-order laws, jit and vmap', () => {
    const mixed = fc.oneof(
      arb.program({ output: 'array', maxOps: 5, dtype: 'mixed' }),
      arb.program({ output: 'array', maxOps: 4, dtype: 'mixed', control: true, custom: true }),
    )
    let sawMixed = 0
    fc.assert(
      fc.property(mixed, fc.nat(), (p, seed) => {
        if (new Set(p.args.map((a) => a.dtype)).size > 1) sawMixed++
        const t = defaultTolerances('float32')
        for (const [name, law] of Object.entries({
          fd: predicates.jvpMatchesFiniteDifferences,
          adjoint: predicates.vjpAdjointToJvp,
          jit: predicates.jitMatches,
        })) {
          if (name === 'adjoint' && !p.reverse) continue
          const msg = law(p.fn, p.args, t, makeRng(seed))
          if (msg) throw new Error(`${name}: ${msg}\n${describeProgram(p)}`)
        }
        const v = predicates.vmapMatchesStack(p.fn, p.args, p.args.map((a) => a.mul(0.5)), t, predicates.vmapAxesOf(seed, p.args.length))
        if (v) throw new Error(`${v}\n${describeProgram(p)}`)
      }),
      { numRuns: runs, seed: 14 },
    )
    expect(sawMixed).toBeGreaterThan(0)
  })
  it('vmapAxesOf draws every batch-axis placement, and always batches something', () => {
    const seen = new Set<string>()
    for (let seed = 0; seed < 64; seed++) {
      const { inAxes, outAxes } = predicates.vmapAxesOf((seed & 15) | ((seed >> 4) << 24), 2)
      expect(inAxes.some((x) => x !== null)).toBe(true)
      seen.add(`${inAxes.join()}|${outAxes}`)
    }
    for (const k of ['0,0|0', '-1,0|0', ',0|0', '0,|0', '-1,-1|-1', '0,-1|-1']) expect(seen.has(k), k).toBe(true)
  })
  it('programs with kinks (abs, max, where, sort, floor): jit and vmap agree with evaluation', () => {
    fc.assert(
      fc.property(arb.program({ output: 'array', smooth: false, maxOps: 6, shape: [2, 3] }), arb.array({ shape: [2, 3] }), arb.array({ shape: [2, 3] }), (p, a, b) => {
        const e = predicates.jitMatches(p.fn, p.args, tol, makeRng(0))
        if (e) throw new Error(`${e}\n${describeProgram(p)}`)
        const v = predicates.vmapMatchesStack(p.fn, p.args, [a, b].slice(0, p.args.length), tol)
        if (v) throw new Error(`${v}\n${describeProgram(p)}`)
        // batch axes first, last or absent per argument, outputs batched first or last
        for (const seed of [0x1000001, 0x6, 0x9, 0xe]) {
          const w = predicates.vmapMatchesStack(p.fn, p.args, [a, b].slice(0, p.args.length), tol, predicates.vmapAxesOf(seed, p.args.length))
          if (w) throw new Error(`${w}\n${describeProgram(p)}`)
        }
        // jit of the whole program once more, now that it is cached: same answer
        if (predicates.jitMatches(jit(p.fn), p.args, tol, makeRng(0))) throw new Error('jit(jit(f)) differs')
      }),
      { numRuns: runs, seed: 13 },
    )
  })
  it('programs (smooth, with control flow, with kinks and int32 steps): jet ≡ nested jvp, term by term to order 3', () => {
    fc.assert(
      fc.property(fc.oneof(arb.program({ output: 'array', maxOps: 6 }), arb.program({ output: 'array', maxOps: 4, control: true }), arb.program({ output: 'array', maxOps: 5, smooth: false, integer: true })), fc.nat(), (p, seed) => {
        const msg = predicates.jetMatchesNestedJvp(3)(p.fn, p.args, { ...tol, rtol: 1e-7, atol: 1e-8 }, makeRng(seed))
        if (msg) throw new Error(`${msg}\n${describeProgram(p)}`)
      }),
      { numRuns: runs, seed: 14 },
    )
  })
})
