/**
 * Programs of 10⁴–10⁵ equations (unrolled loops) through jit: the planner, the code generators
 * and the passes walk them without recursing once per equation (a browser's stack cannot be
 * raised), and fused kernels stay bounded in size (MAX_FUSED_DEPTH).
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { jit, np } from '../../src'
import { compileJaxpr } from '../../src/backend'
import { MAX_FUSED_DEPTH } from '../../src/backend/plan'
import { ex, evalExpr } from '../../src/backend/wasm'
import type { Expr } from '../../src/backend/wasm'
import { topoOrder } from '../../src/backend/wasm/expr'
import { wasmLoopPlan } from '../../src/backend/wasmlower'
import type { KNode, LoopKernel } from '../../src/backend/kernel'
import { type Eqn, Lit, Var, makeEqn } from '../../src/ir/jaxpr'
import { shaped } from '../../src/ir/aval'
import { constValue } from '../../src/passes/util'
import { chainJaxpr, springAndDk } from './deep/chains'

const N = 100_000

/** y = 2 sin y has the attracting fixed point y* ≈ 1.8955 (|2 cos y*| < 1): Newton's method. */
const fixedPoint = (): number => {
  let y = 2
  for (let i = 0; i < 50; i++) y -= (2 * Math.sin(y) - y) / (2 * Math.cos(y) - 1)
  return y
}

describe('jit of 10⁵ chained equations', () => {
  it('add: x + 1 repeated 10⁵ times is x + 10⁵ (a float64 map long enough for wasm kernels)', () => {
    const xs = Float64Array.from({ length: 1024 }, (_, i) => i / 8 - 3)
    const program = compileJaxpr(chainJaxpr(N, [1024], 'float64', [['add', 1]]))
    const [y] = program.run([xs])
    expect(y).toEqual(xs.map((x) => x + N))
    // the chain is cut into kernels of bounded depth
    expect(program.spec.steps.length).toBeGreaterThanOrEqual(Math.floor(N / MAX_FUSED_DEPTH))
    for (const s of program.spec.steps) {
      if (s.kind === 'kernel' && s.kernel.kind === 'loop') expect(s.kernel.nodes.length).toBeLessThanOrEqual(MAX_FUSED_DEPTH + 3)
    }
  })

  it('sin: equals the same iteration of Math.sin', () => {
    const xs = Float64Array.of(0.5, 1, 2, -3)
    const [y] = compileJaxpr(chainJaxpr(N, [4], 'float64', [['sin', null]])).run([xs])
    const want = xs.map((x) => {
      for (let i = 0; i < N; i++) x = Math.sin(x)
      return x
    })
    expect([...y]).toEqual([...want])
    // sin iterated n times ~ sqrt(3/n) for large n
    expect(y[0]).toBeCloseTo(Math.sqrt(3 / N), 4)
  })

  it('sin(y)·c in float32 (wasm transcendentals) converges to the fixed point of y = 2 sin y', () => {
    const xs = Float32Array.from({ length: 512 }, (_, i) => 0.5 + (i % 7) / 4)
    const [y] = compileJaxpr(chainJaxpr(N / 2, [512], 'float32', [['sin', null], ['mul', 2]])).run([xs])
    const yStar = fixedPoint()
    for (const v of y) expect(Math.abs(v - yStar)).toBeLessThan(1e-6)
  })
})

describe('public jit on deep traced programs', () => {
  it('jit(f) of 2·10⁴ operations equals the iteration in plain JS', () => {
    const f = (x: ReturnType<typeof np.array>) => {
      let y = x
      for (let i = 0; i < 10_000; i++) y = y.sin().mul(2)
      return y
    }
    const got = jit(f)(np.array([0.3, 1.0, 2.5])).toTypedArray()
    const want = [0.3, 1.0, 2.5].map((x) => {
      for (let i = 0; i < 10_000; i++) x = Math.sin(x) * 2
      return x
    })
    expect([...got]).toEqual(want)
    expect(got[0]).toBeCloseTo(fixedPoint(), 12)
  })
})

describe('walks over deep structures use explicit stacks', () => {
  it('wasm expressions 10⁵ deep: topoOrder lists children first, evalExpr computes them', () => {
    let e: Expr = ex.input(0)
    for (let i = 0; i < N; i++) e = ex.add(e, ex.c(0.5))
    const order = topoOrder([e])
    expect(order.length).toBe(2 * N + 1)
    expect(order[0]).toEqual(ex.input(0))
    expect(order[order.length - 1]).toBe(e)
    expect(evalExpr([e], [1], 'float64')).toEqual([1 + N / 2])
  })

  it('the wasm translation of a kernel of 10⁵ chained nodes', () => {
    const nodes: KNode[] = [{ k: 'load', input: 0, idx: { off: 0, st: [1] }, dtype: 'float64', clamp: -1 }, { k: 'lit', value: 3, dtype: 'float64' }]
    for (let i = 0; i < N; i++) nodes.push({ k: 'op', op: 'add', args: [nodes.length - 1 === 1 ? 0 : nodes.length - 1, 1], dtype: 'float64', attr: 0 })
    const k: LoopKernel = { kind: 'loop', f32: 'exact', domain: [1024], nReduced: 0, inputs: ['float64'], outputs: ['float64'], nodes, stores: [{ node: nodes.length - 1, out: 0, idx: { off: 0, st: [1] } }], reductions: [], epilogue: [] }
    const plan = wasmLoopPlan(k)
    expect(plan?.kind).toBe('map')
    if (plan?.kind !== 'map') return
    expect(plan.ins).toHaveLength(1)
    expect(evalExpr(plan.outs, [2], 'float64')).toEqual([2 + 3 * N])
  })

  it('constValue sees through a chain of 10⁵ broadcasts', () => {
    const producers = new Map<Var, Eqn>()
    let a: Var | Lit = new Lit(7, 'float64', false)
    for (let i = 0; i < N; i++) {
      const v = new Var(shaped([1], 'float64', false))
      producers.set(v, makeEqn('broadcast_in_dim', [a], { shape: [1], broadcastDimensions: i === 0 ? [] : [0] }, [v]))
      a = v
    }
    expect(constValue(a, (x) => (x._tag === 'Var' ? producers.get(x) : undefined))).toBe(7)
  })
})

describe('in a separate node process', () => {
  const child = fileURLToPath(new URL('./deep/child.ts', import.meta.url))
  const run = (nodeArgs: readonly string[], mode: string): unknown => {
    const r = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', child, mode], { encoding: 'utf8', timeout: 120_000 })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return JSON.parse(r.stdout)
  }

  it("with the default stack: jit(grad) of the README's spring simulation at 2,000 steps matches forward mode by hand", () => {
    const out = run([], 'spring') as { dk: number }
    const [, dk] = springAndDk(2000, 4)
    expect(Math.abs(out.dk - dk)).toBeLessThan(1e-9 * Math.abs(dk))
  }, 180_000)

  it('with a 150 KB stack: jit of 10⁵ equations, and jit(grad) of a 500-step simulation', () => {
    const out = run(['--stack-size=150'], 'small') as { add: number[]; dk: number }
    expect(out.add).toEqual(Array.from({ length: 512 }, (_, i) => i / 4 + N))
    const [, dk] = springAndDk(500, 4)
    expect(Math.abs(out.dk - dk)).toBeLessThan(1e-9 * Math.abs(dk))
  }, 180_000)
})
