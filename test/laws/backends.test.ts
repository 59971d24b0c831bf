// Differential fuzzing: random programs (with control flow, customJvp nodes, broadcasting)
// run on the reference interpreter, the JS kernels and the WebAssembly kernels, eagerly and
// under jit, in value and derivatives — all must agree.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { np } from '../../src'
import type { Array } from '../../src'
import { arb, backendsAgree, checkGrads, programOps } from '../../laws'
import { makeRng } from '../../laws/treeMath'

const tol = { rtol: 1e-9, atol: 1e-10, eps: 1e-5 }
const runs = Number(process.env.LAWS_RUNS ?? 3)

describe('every backend and mode agrees with the reference interpreter', () => {
  it('random programs with control flow and customJvp nodes, large enough for WebAssembly kernels', () => {
    const ops = programOps(true, { control: true, custom: true }).filter((n) => n !== 'while_loop')
    fc.assert(
      fc.property(arb.program({ ops, shape: [16, 20], output: 'scalar', maxOps: 4, broadcast: true }), fc.nat(), (p, seed) => {
        const msg = backendsAgree(p.fn, p.args, tol, makeRng(seed))
        if (msg) throw new Error(`${msg}\nprogram: ${p.text}`)
      }),
      { numRuns: runs, seed: 21 },
    )
  })
  it('customJvp nodes in programs: derivatives through the rules match differences', () => {
    fc.assert(
      fc.property(arb.program({ ops: ['custom_softplus', 'custom_sin_mul', 'tanh', 'mul'], output: 'scalar', maxOps: 4 }), (p) => {
        checkGrads(p.fn, p.args, { order: 2 })
        return p.ops.length > 0
      }),
      { numRuns: runs, seed: 22 },
    )
  })
  it('a function that computes differently when traced is caught, naming backend and mode', () => {
    // reads its input only when it is concrete: under jit (traced) it takes the other branch
    const f = (x: Array) => {
      let concrete = true
      try {
        x.toTypedArray()
      } catch {
        concrete = false
      }
      return np.sum(concrete ? np.sin(x) : np.sin(x).mul(1.001))
    }
    expect(backendsAgree(f, [np.array([0.3, 0.4])], tol, makeRng(0))).toMatch(/backend, jit vs the reference interpreter|reference interpreter: jit vs eager/)
  })
})
