// exported ≡ reference over random programs (arb.program): kinked and smooth ops, control
// flow (cond, scan, fori_loop, while_loop), int32 steps, broadcasting inputs, float32 — and
// over transformed programs: grad, vmap, jacfwd, hessian of random programs.
import { describe, it } from 'vitest'
import fc from 'fast-check'
import { grad, hessian, jacfwd, jit, vmap } from '../../src'
import { exportOnnx, runOnnx } from '../../src/export'
import { arb, laws } from '../../laws'
import type { Program } from '../../laws'

const runs = Number(process.env.LAWS_RUNS ?? 8)
const onnx = (f: (...a: any[]) => unknown, args: unknown[]) => runOnnx(exportOnnx(f)(...args), ...args)

/** One program per draw: the law over that program at its own inputs. */
const overPrograms = async (programs: fc.Arbitrary<Program>, transform: (p: Program) => (...a: any[]) => unknown, seed: number): Promise<void> => {
  await fc.assert(
    fc.asyncProperty(programs, async (p) => {
      try {
        await laws.exportsLike(transform(p), fc.constant(p.args as unknown[]), onnx, { numRuns: 1 })
      } catch (e) {
        throw new Error(`${(e as Error).message}\nprogram: ${p.text}`)
      }
    }),
    { numRuns: runs, seed },
  )
}

describe('ONNX export of random programs', () => {
  it('kinked and integer programs with control flow and broadcasting', async () => {
    await overPrograms(arb.program({ smooth: false, control: true, integer: true, broadcast: true, maxOps: 6 }), (p) => p.fn, 21)
  })
  it('float32 programs', async () => {
    await overPrograms(arb.program({ dtype: 'float32', control: true, maxOps: 5 }), (p) => p.fn, 22)
  })
  it('grad and hessian of scalar programs (with control flow)', async () => {
    await overPrograms(arb.program({ output: 'scalar', control: true, maxOps: 5 }), (p) => (p.reverse ? grad(p.fn) : jacfwd(p.fn)), 23)
    await overPrograms(arb.program({ output: 'scalar', maxOps: 4 }), (p) => hessian(p.fn), 24)
  })
  it('jit(vmap(jacfwd)) of array programs', async () => {
    await overPrograms(arb.program({ output: 'array', shape: [3], numInputs: 1, maxOps: 4 }), (p) => jit(vmap(jacfwd(p.fn))), 25)
  })
})
