/**
 * First calls of programs with loops, Taylor mode and ODE solvers, each in a fresh Node process:
 * trace + simplify + plan + code generation + one run, the time a user's first call pays
 * (module loading excluded: the timer starts after the import).
 *
 *   npx tsx bench/firstcall/loops.ts [runs=5] [case ...]     # the sources of this checkout
 *   LEIBNIZ_FIRSTCALL_LIB=/abs/path/index.js npx tsx bench/firstcall/loops.ts   # a build (dist/, or another checkout's bundle)
 *
 * Cases: W11 (jit(jacfwd) of RK4 in a 1,000-step foriLoop, the program of bench/workloads/w11.ts), W11R (its
 * jit(jacrev)), W12 (jit(jacfwd(ode.solve)), Tsit5, bench/workloads/w12.ts), W10 (jit of
 * `derivatives(f, 10)`, f = sin(x)·exp(−x²/2)), G6 / G8 (jit of grad nested 6 / 8 times of f).
 * Prints, per case, the median over `runs` fresh processes of the wall time and of the process's
 * CPU time (user + system; steadier than wall time on a loaded machine), and the number of
 * equations `makeJaxpr` stages (loop bodies included).
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Jaxpr } from '../../src/index'
import type { LeibnizModule } from '../harness/types'
import { LOTKA, lotkaFinal } from '../workloads/w11'

const CASES = ['W11', 'W11R', 'W12', 'W10', 'G6', 'G8'] as const
type Case = (typeof CASES)[number]
type L = typeof import('../../src/index')
type A = ReturnType<L['np']['array']>

interface Row {
  readonly wallMs: number
  readonly cpuMs: number
  readonly eqns: number
}

/** Equations of a jaxpr and of every jaxpr in its equations' params. */
const countEqns = (j: Jaxpr): number => {
  let n = 0
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return
    if (Array.isArray(x)) return x.forEach(visit)
    if ('eqns' in x && Array.isArray((x as Jaxpr).eqns)) {
      for (const e of (x as Jaxpr).eqns) {
        n++
        Object.values(e.params as object).forEach(visit)
      }
    }
  }
  visit(j)
  return n
}

const program = (L: L, which: Case): { f: (x: A) => A; x: A } => {
  const { np, lax, ode, grad, jacfwd, jacrev, derivatives } = L
  const sinGauss = (x: A): A => np.sin(x).mul(np.exp(x.mul(x).mul(-0.5)))
  if (which === 'W11' || which === 'W11R') {
    const final = lotkaFinal(L as unknown as LeibnizModule, LOTKA) as (p: A) => A
    return { f: (which === 'W11' ? jacfwd : jacrev)(final) as (x: A) => A, x: np.array([LOTKA.alpha, LOTKA.beta, LOTKA.gamma, LOTKA.delta]) }
  }
  if (which === 'W12') {
    const lv = (_t: A, y: A, p: A): A => {
      const [x, z] = [lax.slice(y, [0], [1]), lax.slice(y, [1], [2])]
      const [a, b, c, d] = [0, 1, 2, 3].map((i) => lax.slice(p, [i], [i + 1]))
      const xz = x.mul(z)
      return np.concatenate([a.mul(x).sub(b.mul(xz)), d.mul(xz).sub(c.mul(z))])
    }
    const y0 = np.array([1, 1])
    const solve = (p: A): A => ode.solve({ f: lv, y0, t0: 0, t1: 10, args: p, solver: 'tsit5', rtol: 1e-7, atol: 1e-5 }).ys
    return { f: jacfwd(solve) as (x: A) => A, x: np.array([1.5, 1, 3, 1]) }
  }
  if (which === 'W10') return { f: (x: A) => derivatives(sinGauss, 10)(x), x: np.array(0.7) }
  let g = sinGauss
  for (let i = 0; i < (which === 'G6' ? 6 : 8); i++) g = grad(g) as (x: A) => A
  return { f: g, x: np.array(0.7) }
}

const child = async (which: Case): Promise<void> => {
  const env = process.env.LEIBNIZ_FIRSTCALL_LIB
  const L = (env ? await import(env) : await import('../../src/index')) as L
  const { f, x } = program(L, which)
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  L.jit(f)(x).toTypedArray()
  const wallMs = performance.now() - t0
  const cu = process.cpuUsage(c0)
  const eqns = countEqns(L.makeJaxpr(f)(x).jaxpr)
  const row: Row = { wallMs, cpuMs: (cu.user + cu.system) / 1000, eqns }
  process.stdout.write(`${JSON.stringify(row)}\n`)
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const main = (): void => {
  const self = fileURLToPath(import.meta.url)
  const runs = Number(process.argv[2] ?? 5)
  const cases = (process.argv.length > 3 ? process.argv.slice(3) : CASES) as Case[]
  const rows = new Map<Case, Row[]>(cases.map((c) => [c, []]))
  // rounds over the cases, so that a change of the machine's load spreads over all of them
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', self, 'child', c], { encoding: 'utf8' })
      rows.get(c)?.push(JSON.parse(out.trim().split('\n').pop() as string) as Row)
    }
  }
  console.log(`first calls, median of ${runs} fresh processes`)
  console.log('case    wall (ms)   cpu (ms)   equations')
  for (const [c, rs] of rows) {
    const m = (k: keyof Row) => median(rs.map((x) => x[k]))
    console.log(`${c.padEnd(6)} ${m('wallMs').toFixed(1).padStart(10)} ${m('cpuMs').toFixed(1).padStart(10)} ${String(m('eqns')).padStart(11)}`)
  }
}

if (process.argv[2] === 'child') await child(process.argv[3] as Case)
else main()
