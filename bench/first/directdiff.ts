/**
 * Differential check of small programs compiled as one function: each workload's program
 * generated directly from its equations (codegen/direct.ts) against the same program planned
 * one step per equation (scalarmode.ts), and against the reference interpreter, bit for bit.
 *
 *   npx tsx bench/first/directdiff.ts [W5 W11 …]
 *
 * Prints, per workload, how many programs each mode compiled whole and whether every output
 * agrees; exits with 1 on a difference.
 */
import * as L from '../../src/index'
import { setBackend } from '../../src/backend'
import { WHOLE_MODE, scalarStats } from '../../src/backend/scalarmode'
import { workloadById } from '../workloads/index'
import { jet10 } from './jet10'
import type { AnyWorkload, LeibnizModule, Output } from '../harness/types'

/** One call of a fresh leibniz column (a fresh `jit`: programs are cached per jaxpr), and the
 *  sources of the whole programs it generated (every `Function` made during the call). */
const run = (w: AnyWorkload): { out: Output; sources: string[] } => {
  const sources: string[] = []
  const F = globalThis.Function
  globalThis.Function = new Proxy(F, { construct: (t, args: string[]) => (sources.push(args[args.length - 1]), Reflect.construct(t, args)) })
  try {
    const p = w.leibniz(L as unknown as LeibnizModule, w.makeInputs() as never)
    if (!('call' in p)) throw new Error(`${w.id}: no synchronous leibniz column`)
    return { out: p.call(), sources: sources.filter((s) => s.includes('(ins, outs, warm)')) }
  } finally {
    globalThis.Function = F
  }
}

/** The first bitwise difference between two answers, or null. */
const diff = (a: Output, b: Output): string | null => {
  for (const k of Object.keys(a)) {
    const x = Float64Array.from(a[k])
    const y = Float64Array.from(b[k] ?? [])
    if (x.length !== y.length) return `${k}: ${x.length} vs ${y.length} elements`
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return `${k}[${i}]: ${x[i]} vs ${y[i]}`
  }
  return null
}

const ids = process.argv.slice(2)
let bad = false
for (const id of ids.length > 0 ? ids : ['W5', 'W11', 'W11R', 'W12', 'W13', 'JET10']) {
  const w = id.toUpperCase() === 'JET10' ? jet10 : workloadById(id)
  if (w === undefined) throw new Error(`unknown workload ${id}`)
  const before = { ...scalarStats }
  WHOLE_MODE.direct = true
  const direct = run(w)
  const nDirect = scalarStats.direct - before.direct
  const nWhole = scalarStats.wholePrograms - before.wholePrograms
  WHOLE_MODE.direct = false
  const planned = run(w)
  const nPlanned = scalarStats.wholePrograms - before.wholePrograms - nWhole
  WHOLE_MODE.direct = true
  setBackend('reference')
  const reference = run(w)
  setBackend('compiled')
  const d1 = diff(direct.out, planned.out)
  const d2 = diff(direct.out, reference.out)
  bad ||= d1 !== null || d2 !== null
  // (the same source is a stronger check than the same answers, though a different one is
  // allowed: compileDriver caches functions by source, so a planned program whose source the
  // direct path generated already makes no new function)
  const src = nPlanned > 0 && planned.sources.length === 0 ? 'same source' : `${planned.sources.length} other sources`
  console.log(`${id}: whole programs ${nWhole} (direct ${nDirect}), planned ${nPlanned}, ${src}; vs planned: ${d1 ?? 'same bits'}; vs reference: ${d2 ?? 'same bits'}`)
}
process.exit(bad ? 1 : 0)
