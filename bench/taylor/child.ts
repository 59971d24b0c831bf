/**
 * W10, one measurement in a fresh process: `tsx bench/taylor/child.ts '<json W10Spec>'`.
 * The k-th derivative of f(x) = sin(x)·exp(−x²/2) at x = 0.7 by nested `grad` or by `jet`
 * (`derivatives(f, k)`, which gives every order up to k), or f itself (`plain`, order 0: what
 * a first call of `jit` costs before any derivative): the staged equation count, the
 * first call of the jitted function (trace + simplify + compile + run, in this fresh process)
 * and the median of later calls. Prints one JSON line.
 */
import { existsSync } from 'node:fs'
import { asPlainNode } from '../harness/plainnode'

export type W10Method = 'grad' | 'jet' | 'plain'

export interface W10Spec {
  readonly method: W10Method
  readonly order: number
  readonly runs: number
}

export interface W10Result {
  readonly method: W10Method
  readonly order: number
  readonly eqns: number
  readonly firstMs: number
  readonly steadyMs: number
  readonly value: number
}

const main = async (): Promise<void> => {
  asPlainNode()
  const spec = JSON.parse(process.argv[2]) as W10Spec
  // The built package, as users run it (as bench/child.ts).
  const built = new URL('../../dist/index.js', import.meta.url)
  const L = existsSync(built) ? ((await import(built.href)) as typeof import('../../src/index')) : await import('../../src/index')
  const { np, grad, jit, derivatives, makeJaxpr } = L
  type A = InstanceType<typeof L.Array>
  const f = (x: A): A => np.sin(x).mul(np.exp(x.mul(x).mul(-0.5)))
  let g: (x: A) => A
  if (spec.method === 'grad') {
    g = f
    for (let i = 0; i < spec.order; i++) g = grad(g) as (x: A) => A
  } else if (spec.method === 'jet') {
    const d = derivatives(f, spec.order)
    g = (x: A) => d(x)
  } else {
    g = f
  }
  const x = np.array(0.7)
  const t0 = performance.now()
  const gj = jit(g)
  const out = gj(x)
  const value = (out.toTypedArray() as Float64Array).at(-1) as number
  const firstMs = performance.now() - t0
  const times: number[] = []
  for (let i = 0; i < spec.runs; i++) {
    const t = performance.now()
    gj(x).toTypedArray()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const eqns = makeJaxpr(g)(x).jaxpr.eqns.length
  const r: W10Result = { method: spec.method, order: spec.order, eqns, firstMs, steadyMs: times[times.length >> 1], value }
  process.stdout.write(`${JSON.stringify(r)}\n`)
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e)
  process.exit(1)
})
