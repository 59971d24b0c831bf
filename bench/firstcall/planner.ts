/**
 * The planner's work on the workloads' first calls: per workload, the plans made (one per
 * compiled jaxpr, loop bodies included), the rounds of growing the materialized set, the roots
 * placed by the scheduler and the root regions expanded (in all, and in the first round of each
 * plan: what one pass would expand; counts, independent of the load), the
 * kernels planned, and a fingerprint of every plan (steps, roots, materialized values, named
 * by position in the jaxpr) to check that a change to the planner leaves the plans unchanged.
 *
 *   npx tsx bench/firstcall/planner.ts [W1 W12 ...]    # default: every workload
 */
import { createHash } from 'node:crypto'
import * as L from '../../src/index'
import type { Jaxpr, Var } from '../../src/ir/jaxpr'
import { type Plan, type Root, planStats } from '../../src/backend/plan'
import { WORKLOADS } from '../workloads/index'

/** Names values by position: `i3` (input), `e12.0` (output 0 of equation 12). */
const namer = (j: Jaxpr): ((v: Var) => string) => {
  const names = new Map<Var, string>()
  j.inVars.forEach((v, i) => names.set(v, `i${i}`))
  j.eqns.forEach((e, k) => e.outVars.forEach((v, o) => names.set(v, `e${k}.${o}`)))
  return (v) => names.get(v) ?? '?'
}

const fingerprint = (p: Plan): string => {
  const name = namer(p.jaxpr)
  const root = (r: Root) => (r.kind === 'store' ? `s:${name(r.v)}` : `${r.kind}:${name(r.eqn.outVars[0])}`)
  const steps = p.steps.map((s) =>
    s.kind === 'loop' ? `L[${s.extents}|${s.nReduced}|${s.roots.map(root)}|${s.epilogue.map(root)}]` : `${s.kind}:${name(s.eqn.outVars[0])}`)
  return `${steps.join(' ')} M{${[...p.M].map(name).sort()}}`
}

const ids = process.argv.slice(2).map((a) => a.toUpperCase())
for (const w of WORKLOADS) {
  if (ids.length > 0 && !ids.includes(w.id)) continue
  const prints: string[] = []
  let kernels = 0
  planStats.onPlan = (p) => {
    prints.push(fingerprint(p))
    kernels += p.steps.filter((s) => s.kind === 'loop').length
  }
  const before = { ...planStats }
  const t0 = process.cpuUsage()
  const impl = w.leibniz(L, w.makeInputs())
  if ('unavailable' in impl) continue
  if ('call' in impl) impl.call()
  else await impl.callAsync()
  const cpu = process.cpuUsage(t0)
  planStats.onPlan = null
  const hash = createHash('sha256').update(prints.join('\n')).digest('hex').slice(0, 12)
  console.log(
    `${w.id.padEnd(5)} plans ${String(planStats.plans - before.plans).padStart(3)}  rounds ${String(planStats.rounds - before.rounds).padStart(4)}  ` +
      `placements ${String(planStats.placements - before.placements).padStart(6)}  expansions ${String(planStats.expansions - before.expansions).padStart(6)} ` +
      `(first rounds ${String(planStats.firstExpansions - before.firstExpansions).padStart(5)})  ` +
      `loop kernels ${String(kernels).padStart(4)}  plans ${hash}  (first call ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU)`,
  )
}
