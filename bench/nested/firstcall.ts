/**
 * Nested reverse mode: size and first-call cost of `jit(grad⁽ᵏ⁾(f))`, k = 1…10.
 *
 *   npx tsx bench/nested/firstcall.ts            # f = sin(x)·exp(−x²/2) and tanh
 *
 * Each (f, k) runs in a fresh Node process, so "first call" includes everything a user's first
 * call pays: tracing k levels of differentiation, the optimizer, planning and code generation
 * (module loading is excluded: the timer starts after the import). The equation count is that
 * of `makeJaxpr(grad⁽ᵏ⁾(f))` — what staging records, before the optimizer.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const FUNCTIONS = ['sin_gauss', 'tanh'] as const
type Name = (typeof FUNCTIONS)[number]

const child = async (name: Name, k: number): Promise<void> => {
  const { grad, jit, makeJaxpr, np } = await import('../../src/index')
  type F = (x: ReturnType<typeof np.array>) => ReturnType<typeof np.array>
  const base: Record<Name, F> = {
    sin_gauss: (x) => np.sin(x).mul(np.exp(x.neg().mul(x).div(2))),
    tanh: (x) => np.tanh(x),
  }
  let g = base[name]
  for (let i = 0; i < k; i++) g = grad(g) as F
  const t0 = performance.now()
  const value = jit(g)(np.array(0.5)).item()
  const firstMs = performance.now() - t0
  const eqns = makeJaxpr(g)(np.array(0.5)).jaxpr.eqns.length
  console.log(JSON.stringify({ eqns, firstMs, value }))
}

const main = (): void => {
  const self = fileURLToPath(import.meta.url)
  for (const name of FUNCTIONS) {
    console.log(`\n${name}: jit(grad^k(f))(0.5), fresh process per k`)
    console.log('  k   equations   first call (ms)   value')
    for (let k = 1; k <= 10; k++) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', self, 'child', name, String(k)], { encoding: 'utf8' })
      const r = JSON.parse(out.trim().split('\n').pop() as string) as { eqns: number; firstMs: number; value: number }
      console.log(`  ${String(k).padStart(2)}  ${String(r.eqns).padStart(10)}  ${r.firstMs.toFixed(1).padStart(16)}   ${r.value}`)
    }
  }
}

if (process.argv[2] === 'child') await child(process.argv[3] as Name, Number(process.argv[4]))
else main()
