/**
 * One fresh process of bench/first/run.ts: `tsx bench/first/child.ts <bundle.mjs> <workload>`.
 * Imports the bundle (timed), prepares the workload's leibniz column as `npm run bench` does,
 * times its first call and prints one JSON line with the phase clock's reading.
 */
import { pathToFileURL } from 'node:url'
import type { LeibnizModule } from '../harness/types'
import { workloadById } from '../workloads/index'

const cpu = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const [bundlePath, id] = process.argv.slice(2)
const w = workloadById(id)
if (w === undefined) throw new Error(`unknown workload ${id}`)
const inputs = w.makeInputs()
const t0 = performance.now()
const c0 = cpu()
const L = (await import(pathToFileURL(bundlePath).href)) as LeibnizModule & { __phases: () => Record<string, number> }
const importMs = performance.now() - t0
const importCpu = cpu() - c0
const p = w.leibniz(L, inputs)
if (!('call' in p)) throw new Error(`${id}: no synchronous leibniz column`)
// (what preparing ran — np.array of the inputs — is not part of the first call)
const before = L.__phases()
const t1 = performance.now()
const c1 = cpu()
p.call()
const firstMs = performance.now() - t1
const firstCpu = cpu() - c1
const after = L.__phases()
const phases = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]))
console.log(JSON.stringify({ importMs, importCpu, firstMs, firstCpu, phases }))
