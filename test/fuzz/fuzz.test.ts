/**
 * The differential fuzzer on fixed seeds (a bounded number of cases), and proof that it can
 * fail: a wrong derivative rule and a wrong kernel, injected by replacing a primitive's rules,
 * are each reported with a shrunk program whose replay fails the same way.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { isZero, registerRules, rulesOf } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { fuzz } from './run'

describe('differential fuzzer', () => {
  // Fixed work, no time limit (a count that depends on the machine's load would make the test
  // flaky); a generous timeout for a loaded machine.
  it('fixed seeds: every route, vmap and the derivative identities agree', { timeout: 180_000 }, async () => {
    const res = await fuzz({ seed: 20261207, batches: 2, runsPerBatch: 12, sizes: { small: 6, medium: 4 } })
    expect(res.failure?.report ?? null).toBeNull()
    expect(res.clean).toBe(24)
  })

  it('an oscillation finer than the step: sin of a 40-factor product is checked at a step that resolves it', { timeout: 120_000 }, async () => {
    // seed 91298's second case: sin(Π(1.5 + tanh x)) over rows of 40, whose jvp reaches 1e8; at
    // h = 1e-3 its central differences are aliased samples and disagree with the exact jvp
    const res = await fuzz({ seed: 91298, batches: 1, runsPerBatch: 2, routes: [] })
    expect(res.failure?.report ?? null).toBeNull()
    expect(res.clean).toBe(2)
  })

  it('a large case: two threads agree with one bit for bit', { timeout: 180_000 }, async () => {
    const res = await fuzz({ seed: 20261208, batches: 1, runsPerBatch: 1, sizes: { large: 1 }, routes: ['jit-wasm', 'jit-wasm-threads'] })
    expect(res.failure?.report ?? null).toBeNull()
    expect(res.clean).toBe(1)
  })

  describe('reports injected bugs with a shrunk, replayable case', () => {
    const sinRules = rulesOf('sin')
    const tanhRules = rulesOf('tanh')
    afterEach(() => registerRules({ sin: sinRules, tanh: tanhRules }))

    it('a wrong jvp rule (d sin x = 1.001 cos x dx) fails the finite-difference check', { timeout: 120_000 }, async () => {
      // the rule multiplies cos x by 1.001: a 0.1 % error, far above the float64 tolerance
      registerRules({ sin: { ...sinRules, jvp: (xs, dxs, params) => sinRules.jvp(xs, dxs.map((t) => (isZero(t) ? t : (t as Tracer).mul(1.001))), params) } })
      const opts = { seed: 7, runsPerBatch: 60, sizes: { small: 1 }, routes: [] as string[] }
      const res = await fuzz(opts)
      expect(res.failure).not.toBeNull()
      const f = res.failure!
      expect(f.error).toMatch(/jvp vs finite differences/)
      expect(f.case.program.ops.length).toBeLessThanOrEqual(2)
      expect(f.report).toContain(`npm run fuzz -- --seed ${f.seed} --path ${f.path}`)
      expect(f.report).toMatch(/sin/)
      // the replay reproduces it, and runs clean once the rule is right again
      const again = await fuzz({ ...opts, seed: f.seed, path: f.path })
      expect(again.failure?.error).toBe(f.error)
      registerRules({ sin: sinRules })
      expect((await fuzz({ ...opts, seed: f.seed, path: f.path })).failure).toBeNull()
    })

    it('a wrong kernel (tanh lowered as sin) fails the comparison with the reference', { timeout: 120_000 }, async () => {
      registerRules({ tanh: { ...tanhRules, lower: rulesOf('sin').lower as unknown as typeof tanhRules.lower } })
      const opts = { seed: 11, runsPerBatch: 60, sizes: { small: 1 }, routes: ['jit-js'] }
      const res = await fuzz(opts)
      expect(res.failure).not.toBeNull()
      const f = res.failure!
      expect(f.error).toMatch(/on route jit-js: .*bit for bit/)
      expect(f.case.program.ops.length).toBeLessThanOrEqual(2)
      expect(f.report).toMatch(/tanh/)
      const again = await fuzz({ ...opts, seed: f.seed, path: f.path })
      expect(again.failure?.error).toBe(f.error)
    })
  })
})
