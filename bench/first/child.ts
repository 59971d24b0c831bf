/**
 * One fresh process of bench/first/run.ts: `tsx bench/first/child.ts <bundle.mjs> <workload>`.
 * Imports the bundle (timed), prepares the workload's leibniz column as `npm run bench` does,
 * times its first call and prints one JSON line with the phase clock's reading.
 */
import { Session } from 'node:inspector/promises'
import { pathToFileURL } from 'node:url'
import type { LeibnizModule } from '../harness/types'
import { workloadById } from '../workloads/index'
import { jet10 } from './jet10'

const cpu = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const [bundlePath, id] = process.argv.slice(2)
const w = id.toUpperCase() === 'JET10' ? jet10 : workloadById(id)
if (w === undefined) throw new Error(`unknown workload ${id}`)
const inputs = w.makeInputs()
const t0 = performance.now()
const c0 = cpu()
const L = (await import(pathToFileURL(bundlePath).href)) as LeibnizModule & { __phases: () => Record<string, number> }
const importMs = performance.now() - t0
const importCpu = cpu() - c0
const p = w.leibniz(L, inputs)
if (!('call' in p)) throw new Error(`${id}: no synchronous leibniz column`)
// With LEIBNIZ_FIRST_ALLOC=1, V8's sampling heap profiler counts what the first call allocates,
// garbage included (a sample every 1 KiB on average): slower, so only for that count.
const session = process.env.LEIBNIZ_FIRST_ALLOC === '1' ? new Session() : null
if (session !== null) {
  session.connect()
  await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
}
// With V8's function-event log on (run.ts `--compile`), these two calls mark where the first
// call begins and ends in the log: each function's first execution is an event of its own.
function leibnizFirstCallBegins(): number {
  return 1
}
function leibnizFirstCallEnds(): number {
  return 2
}
// (what preparing ran — np.array of the inputs — is not part of the first call)
const before = L.__phases()
const faults0 = process.resourceUsage().minorPageFault
leibnizFirstCallBegins()
const t1 = performance.now()
const c1 = cpu()
p.call()
const firstMs = performance.now() - t1
const firstCpu = cpu() - c1
leibnizFirstCallEnds()
// pages the process touched for the first time (the heap growing, code, buffers): on a virtual
// machine each can cost 10 µs or more
const faults = process.resourceUsage().minorPageFault - faults0
const after = L.__phases()
const phases = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]))
let allocKiB: number | undefined
if (session !== null) {
  interface Node { readonly selfSize: number; readonly children: readonly Node[] }
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: Node } }
  const sum = (n: Node): number => n.children.reduce((s, c) => s + sum(c), n.selfSize)
  allocKiB = sum(profile.head) / 1024
}
console.log(JSON.stringify({ importMs, importCpu, firstMs, firstCpu, faults, allocKiB, phases }))
