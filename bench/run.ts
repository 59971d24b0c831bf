/**
 * `npm run bench [-- W3 W5 ...] [-- --json FILE] [-- --impls leibniz,baseline]`
 *
 * Runs the workloads (bench/README.md) for leibniz, the plain-JS baseline and the peers, side by side
 * in one run, and prints a table per workload (see bench/README.md for the columns).
 * Every measurement is a fresh child process (bench/child.ts), run one after another (never
 * in parallel: the machine has 2 cores): that gives each implementation its own peak RSS
 * and a real "first call in a fresh process". The baseline runs first; its answer is the
 * reference every other answer is checked against.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildResult } from './child'
import type { Parts } from './harness/compare'
import { readParts, runChild } from './harness/spawn'
import { block, implReport, judge, overall, summary, type ImplReport, type WorkloadReport } from './harness/report'
import { ensurePeers, peerVersion } from './harness/install-peers'
import { IMPLS, type AnyWorkload, type ImplId } from './harness/types'
import { WORKLOADS, workloadById } from './workloads/index'
import { runW10 } from './taylor/run'
import { runThreads } from './threads'
import { runScaling } from './scaling/run'
import { markdownTable } from './harness/markdown'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..')

interface Args {
  readonly ids: readonly string[]
  readonly json?: string
  readonly impls: readonly ImplId[]
  readonly quick: boolean
  /** run the scaling table (default: only in a run of all workloads) */
  readonly scaling: boolean
  /** print the table rows of docs/performance.md at the end */
  readonly markdown: boolean
}

const usage =
  'usage: npm run bench -- [W1 ... W14 W10 W4V W11R] [--json FILE] [--impls baseline,leibniz,jax-js,tfjs-wasm,tfjs-cpu,jax,jax-all,onnxruntime,diffrax]\n' +
  '                        [--quick] [--scaling | --no-scaling] [--markdown]\n' +
  '       npm run bench -- --threads [--quick]'

const parseArgs = (argv: readonly string[]): Args => {
  const ids: string[] = []
  let json: string | undefined
  let impls: ImplId[] = [...IMPLS]
  let quick = false
  let scaling: boolean | undefined
  let markdown = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--json') {
      json = argv[++i]
      if (json === undefined) throw new Error(`--json needs a file name\n${usage}`)
    } else if (a === '--impls') {
      const list = (argv[++i] ?? '').split(',').filter((s) => s !== '')
      const bad = list.filter((s) => !(IMPLS as readonly string[]).includes(s))
      if (list.length === 0 || bad.length > 0) throw new Error(`--impls: unknown ${bad.join(', ') || '(empty)'}\n${usage}`)
      // the baseline is the reference for every check
      impls = IMPLS.filter((x) => x === 'baseline' || list.includes(x))
    } else if (a === '--quick') {
      quick = true
    } else if (a === '--scaling') {
      scaling = true
    } else if (a === '--no-scaling') {
      scaling = false
    } else if (a === '--markdown') {
      markdown = true
    } else if (a === '--help' || a === '-h') {
      console.log(usage)
      process.exit(0)
    } else if (workloadById(a) !== undefined || a.toUpperCase() === 'W10') ids.push(a.toUpperCase())
    else throw new Error(`unknown argument ${a}\n${usage}`)
  }
  // `--scaling` alone runs only the scaling table; a run of everything includes it
  const all = ids.length === 0 && scaling !== true
  return {
    ids: ids.length > 0 || scaling === true ? ids : [...WORKLOADS.map((w) => w.id), 'W10'],
    impls,
    quick,
    scaling: scaling ?? all,
    markdown,
    ...(json !== undefined ? { json } : {}),
  }
}

/** onnxruntime-node, the project's devDependency (not a bench/ peer). */
const onnxVersion = (): string => {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'not installed'
  }
}

const machine = () => {
  const cs = cpus()
  return {
    cpus: cs.length,
    cpuModel: cs[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    memGiB: +(totalmem() / 2 ** 30).toFixed(1),
    freeMemGiB: +(freemem() / 2 ** 30).toFixed(1),
    date: new Date().toISOString(),
    loadAvgAtStart: loadavg(),
    peers: {
      '@jax-js/jax': peerVersion('@jax-js/jax'),
      '@tensorflow/tfjs-core': peerVersion('@tensorflow/tfjs-core'),
      '@tensorflow/tfjs-backend-wasm': peerVersion('@tensorflow/tfjs-backend-wasm'),
      '@tensorflow/tfjs-backend-cpu': peerVersion('@tensorflow/tfjs-backend-cpu'),
      'onnxruntime-node': onnxVersion(),
    },
  }
}

const runWorkload = async (w: AnyWorkload, impls: readonly ImplId[], dir: string, quick: boolean): Promise<WorkloadReport> => {
  const results = new Map<ImplId, { r: ChildResult | { status: 'timeout'; reason: string }; parts?: Parts; extraFirst: number[] }>()
  const loads: number[] = []
  for (const impl of impls) {
    const out = join(dir, `${w.id}-${impl}`)
    loads.push(loadavg()[0])
    const t0 = performance.now()
    const r = await runChild({ workload: w.id, impl, mode: 'full', out, quick })
    const parts = readParts(r as ChildResult, `${out}.bin`)
    process.stderr.write(`  ${w.id} ${impl.padEnd(10)} ${r.status === 'ok' ? 'done' : `${r.status}: ${r.reason}`} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`)
    results.set(impl, { r, ...(parts !== undefined ? { parts } : {}), extraFirst: [] })
  }
  loads.push(loadavg()[0])
  // more fresh processes for the first call, where a target is about it
  const nFirst = w.firstCallProcesses ?? 1
  for (let k = 1; k < nFirst; k++) {
    for (const impl of impls) {
      const entry = results.get(impl)!
      if (entry.r.status !== 'ok') continue
      const out = join(dir, `${w.id}-${impl}-first${k}`)
      const r = await runChild({ workload: w.id, impl, mode: 'first', out })
      if (r.status === 'ok') entry.extraFirst.push(r.firstMs)
    }
  }
  const ref = results.get('baseline')?.parts
  const reports: ImplReport[] = impls.map((impl) => {
    const e = results.get(impl)!
    return implReport(w, impl, e.r, e.parts, ref, e.extraFirst)
  })
  const lb = reports.find((r) => r.impl === 'leibniz')
  const withRatios = reports.map((r) =>
    lb?.median !== undefined && r.median !== undefined && r.impl !== 'leibniz' ? { ...r, leibnizRatio: lb.median / r.median } : r,
  )
  const targets = judge(w, withRatios)
  return {
    id: w.id,
    title: w.title,
    dtype: w.dtype,
    target: w.targetText,
    impls: withRatios,
    targets,
    met: overall(targets),
    loadAvg: { min: Math.min(...loads), max: Math.max(...loads) },
  }
}

const main = async (): Promise<void> => {
  // `--threads [--quick]`: the one-vs-two-threads report of bench/threads.ts instead
  if (process.argv.includes('--threads')) return void console.log(await runThreads(process.argv.includes('--quick') ? 1 : 3))
  const args = parseArgs(process.argv.slice(2))
  ensurePeers(args.impls)
  const m = machine()
  console.log(`leibniz bench — ${m.date}`)
  console.log(`machine: ${m.cpus} cpus (${m.cpuModel}), ${m.memGiB} GiB, node ${m.node}, ${m.platform}`)
  console.log(`peers: ${Object.entries(m.peers).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  console.log(`load average (1, 5, 15 min) at start: ${loadavg().map((x) => x.toFixed(2)).join(', ')} — the benchmark itself adds about 1`)
  console.log('times in ms (median/min/max of the timed runs, after warm-up); lbz÷this = leibniz median / this median;')
  console.log('errors: vs the plain-JS baseline, rel = worst part\'s max|a−b| / max|baseline|; RSS: peak of the process (+Δ over after import)')
  if (args.quick) console.log('--quick: a smoke run with 3 timed runs each; the times are NOT benchmark figures')
  console.log('')
  const dir = mkdtempSync(join(tmpdir(), 'leibniz-bench-'))
  const reports: WorkloadReport[] = []
  let w10: unknown
  let scaling: { points: unknown; text: string; svg: string } | undefined
  const t0 = performance.now()
  try {
    for (const id of args.ids) {
      // W10 (Taylor mode vs nested grad) is a table over derivative orders, with its own runner.
      if (id === 'W10') {
        process.stderr.write('W10: derivatives of orders 1…10, nested grad vs jet\n')
        const r = runW10(args.quick)
        w10 = r.rows
        console.log(r.text)
        console.log('')
        continue
      }
      const w = workloadById(id)!
      process.stderr.write(`${w.id}: ${w.title}\n`)
      const rep = await runWorkload(w, args.impls, dir, args.quick)
      reports.push(rep)
      console.log(block(rep, w.firstCallProcesses ?? 1, m.cpus))
      console.log('')
    }
    if (args.scaling) {
      process.stderr.write('scaling: W1, W2 at n = 1e3 … 1e7, W5 at 1e2 … 1e6 steps\n')
      scaling = await runScaling(args.impls, dir, args.quick)
      console.log(scaling.text)
      console.log('')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  if (reports.length > 0) console.log(summary(reports))
  console.log(`load average (1, 5, 15 min) at end: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`)
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  if (args.json !== undefined) {
    const doc = { machine: m, workloads: reports, ...(w10 !== undefined ? { w10 } : {}), ...(scaling !== undefined ? { scaling: scaling.points } : {}) }
    writeFileSync(args.json, JSON.stringify(doc, null, 2))
    console.log(`wrote ${args.json}`)
  }
  if (args.markdown) {
    console.log('\nRows of the table in docs/performance.md (regenerate from a saved run: npx tsx bench/markdown.ts FILE.json):\n')
    console.log(markdownTable({ machine: m, workloads: reports }))
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
