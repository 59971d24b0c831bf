/**
 * First calls, phase by phase: where a workload's first call in a fresh process spends its
 * time, and the same for another commit, measured in alternation.
 *
 *   npx tsx bench/first/run.ts                         # W7, 9 fresh processes
 *   npx tsx bench/first/run.ts W7 W1 W3 W14 --runs 9   # several workloads
 *   npx tsx bench/first/run.ts W7 --against HEAD~3     # A/B: that commit's src/ against this one
 *   npx tsx bench/first/run.ts W7 --clock cpu --single-threaded   # on a loaded machine
 *   npx tsx bench/first/run.ts JET10 --against HEAD~1    # jit of derivatives(f, 10) (bench/taylor's jet)
 *   npx tsx bench/first/run.ts W12 --alloc             # also: what the first call allocates
 *   npx tsx bench/first/run.ts W7 --compile            # also: what V8 compiles during it
 *   npx tsx bench/first/run.ts W7 --node-flags=--no-lazy   # flags for every child process
 *
 * Each side is bundled from its src/ with the phase clock on (src/core/phases.ts): trace
 * (linearize, transpose), passes, plan, build, JS code generation, wasm generation and
 * compilation, run. Phases are wall time, or with `--clock cpu` process CPU time (user +
 * system: descheduling on a loaded machine does not count, but V8's background compiler and
 * GC threads do, and they run during whatever phase follows the work that started them);
 * "first" is both wall and CPU time of the first call, "import" those of `import()` of the
 * bundle. `--single-threaded` runs V8 without background threads (compilation and GC then
 * run on the main thread, and process CPU time is the main thread's: the steadiest measure
 * when other work shares the cores). Processes alternate A, B, A, B, … and the table gives medians. Timing only: answers
 * are checked by `npm run bench`.
 *
 * Every run also counts the minor page faults of the first call: pages of memory the process
 * touches for the first time (the V8 heap growing, code, buffers). They are not free — on this
 * project's 2-vCPU virtual machines one costs 13–16 µs — so a first call that allocates less
 * also faults less. `--alloc` adds what the first call allocates, garbage included (V8's
 * sampling heap profiler, one sample per KiB; in separate processes, since sampling slows the
 * call down). `--compile` adds what V8 compiled of the library during the first call, read from
 * its function-event log (compilelog.ts): the functions compiled on their first use, their KiB
 * of source and the ms of parsing them and generating their bytecode. `--node-flags=…` passes flags to every child: with
 * `--no-lazy` V8 compiles the whole library at import, so the first call shows what it costs
 * once the library's code is compiled.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CompileCounts, readCompileLog } from './compilelog'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../..')

interface Sample {
  readonly importMs: number
  readonly importCpu: number
  readonly firstMs: number
  readonly firstCpu: number
  readonly faults: number
  readonly allocKiB?: number
  readonly compile?: CompileCounts
  readonly phases: Record<string, number>
}

/** A bundle of `srcRoot/src/index.ts` that turns the phase clock on and exports its reading. */
const bundle = async (srcRoot: string, out: string, cpuClock: boolean): Promise<void> => {
  const { build } = await import('esbuild')
  const entry = join(dirname(out), `entry-${Math.random().toString(36).slice(2)}.ts`)
  // (a commit older than the phase clock has no phases: only its totals are measured)
  const clock = existsSync(join(srcRoot, 'src/core/phases.ts'))
  writeFileSync(
    entry,
    [
      `export * from ${JSON.stringify(join(srcRoot, 'src/index'))}`,
      ...(clock
        ? [
            `import { phaseClock } from ${JSON.stringify(join(srcRoot, 'src/core/phases'))}`,
            `phaseClock.on = true`,
            ...(cpuClock ? [`phaseClock.now = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }`] : []),
            `export const __phases = () => ({ ...phaseClock.ms })`,
          ]
        : [`export const __phases = () => ({})`]),
    ].join('\n'),
  )
  await build({
    entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: out,
    external: ['fast-check', 'onnxruntime-node', 'onnxruntime-web', 'protobufjs'], logLevel: 'warning',
    nodePaths: [join(ROOT, 'node_modules')],
  })
  rmSync(entry)
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** One fresh process. `extra`: `alloc` counts what the first call allocates; `compileLog` (a file
 *  path) has V8 log its function events there, read back into `compile`. */
const sample = (bundlePath: string, workload: string, nodeFlags: readonly string[], extra: { alloc?: boolean; compileLog?: string } = {}): Sample => {
  const env = { ...process.env, LEIBNIZ_FIRST_ALLOC: extra.alloc === true ? '1' : '0' }
  const logFlags = extra.compileLog === undefined ? [] : ['--log-function-events', `--logfile=${extra.compileLog}`, '--no-logfile-per-isolate']
  const out = execFileSync(process.execPath, [...nodeFlags, ...logFlags, '--import', 'tsx', join(HERE, 'child.ts'), bundlePath, workload], { cwd: ROOT, encoding: 'utf8', env })
  const s = JSON.parse(out.trim().split('\n').pop() as string) as Sample
  if (extra.compileLog === undefined) return s
  const compile = readCompileLog(extra.compileLog, bundlePath)
  rmSync(extra.compileLog)
  return { ...s, compile }
}

const table = (workload: string, sides: readonly { name: string; samples: Sample[]; alloc: Sample[]; compile: Sample[] }[], clock: string): string => {
  const compiled = (s: { compile: Sample[] }): string => {
    const cs = s.compile.map((x) => x.compile as CompileCounts)
    return `${median(cs.map((c) => c.functions)).toFixed(0)} / ${median(cs.map((c) => c.kib)).toFixed(0)} / ${median(cs.map((c) => c.ms)).toFixed(1)}`
  }
  const keys = [...new Set(sides.flatMap((s) => s.samples.flatMap((x) => Object.keys(x.phases))))]
  const rows: [string, ...string[]][] = [
    ['import, wall / CPU ms', ...sides.map((s) => `${median(s.samples.map((x) => x.importMs)).toFixed(1)} / ${median(s.samples.map((x) => x.importCpu)).toFixed(1)}`)],
    ['first call, wall / CPU ms', ...sides.map((s) => `${median(s.samples.map((x) => x.firstMs)).toFixed(1)} / ${median(s.samples.map((x) => x.firstCpu)).toFixed(1)}`)],
    ['  minor page faults', ...sides.map((s) => median(s.samples.map((x) => x.faults ?? 0)).toFixed(0))],
    ...(sides[0].alloc.length > 0
      ? [['  allocated, KiB', ...sides.map((s) => median(s.alloc.map((x) => x.allocKiB ?? 0)).toFixed(0))] as [string, ...string[]]]
      : []),
    ...(sides[0].compile.length > 0
      ? [['  library code compiled: functions / KiB / ms', ...sides.map(compiled)] as [string, ...string[]]]
      : []),
    ...keys.map((k): [string, ...string[]] => [`  ${k}`, ...sides.map((s) => median(s.samples.map((x) => x.phases[k] ?? 0)).toFixed(2))]),
  ]
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const ws = sides.map((s, i) => Math.max(s.name.length, ...rows.map((r) => r[i + 1].length)))
  const line = (r: readonly string[]) => [r[0].padEnd(w0), ...r.slice(1).map((c, i) => c.padStart(ws[i]))].join('  ')
  return [`${workload} (medians of ${sides[0].samples.length} fresh processes; phases: ${clock} ms)`, line(['', ...sides.map((s) => s.name)]), ...rows.map(line)].join('\n')
}

const main = async (): Promise<void> => {
  const args = process.argv.slice(2)
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name)
    return i >= 0 ? args.splice(i, 2)[1] : undefined
  }
  const runs = Number(opt('--runs') ?? 9)
  const against = opt('--against')
  const cpuClock = opt('--clock') === 'cpu'
  // V8 without background threads: compilation and GC run on the main thread, so process CPU
  // time is the main thread's (steadier than wall time on a loaded machine)
  const single = args.includes('--single-threaded')
  if (single) args.splice(args.indexOf('--single-threaded'), 1)
  const alloc = args.includes('--alloc')
  if (alloc) args.splice(args.indexOf('--alloc'), 1)
  const compile = args.includes('--compile')
  if (compile) args.splice(args.indexOf('--compile'), 1)
  // `--node-flags=--no-lazy` (space-separated V8/Node flags for every child): e.g. the first
  // call with the library's code compiled at import instead of on first use
  const flagsArg = args.find((a) => a.startsWith('--node-flags='))
  if (flagsArg !== undefined) args.splice(args.indexOf(flagsArg), 1)
  const userFlags = flagsArg === undefined ? [] : flagsArg.slice('--node-flags='.length).split(' ').filter((f) => f !== '')
  const nodeFlags = [...(single ? ['--single-threaded'] : []), ...userFlags]
  const workloads = args.length > 0 ? args : ['W7']
  const dir = mkdtempSync(join(tmpdir(), 'leibniz-first-'))
  try {
    const sides: { name: string; path: string }[] = []
    if (against !== undefined) {
      const other = join(dir, 'other')
      mkdirSync(other)
      execFileSync('sh', ['-c', `git archive ${JSON.stringify(against)} src | tar -x -C ${JSON.stringify(other)}`], { cwd: ROOT })
      symlinkSync(join(ROOT, 'node_modules'), join(other, 'node_modules'))
      await bundle(other, join(dir, 'a.mjs'), cpuClock)
      sides.push({ name: against, path: join(dir, 'a.mjs') })
    }
    await bundle(ROOT, join(dir, 'b.mjs'), cpuClock)
    sides.push({ name: 'this tree', path: join(dir, 'b.mjs') })
    for (const w of workloads) {
      const samples = sides.map(() => [] as Sample[])
      const allocs = sides.map(() => [] as Sample[])
      const compiles = sides.map(() => [] as Sample[])
      for (let r = 0; r < runs; r++) sides.forEach((s, i) => samples[i].push(sample(s.path, w, nodeFlags)))
      // (allocation and compilation vary little between processes: three each, apart, since
      // sampling the heap or logging slows the call down)
      if (alloc) for (let r = 0; r < 3; r++) sides.forEach((s, i) => allocs[i].push(sample(s.path, w, nodeFlags, { alloc: true })))
      if (compile) for (let r = 0; r < 3; r++) sides.forEach((s, i) => compiles[i].push(sample(s.path, w, nodeFlags, { compileLog: join(dir, `v8-${i}-${r}.log`) })))
      console.log(table(w.toUpperCase(), sides.map((s, i) => ({ name: s.name, samples: samples[i], alloc: allocs[i], compile: compiles[i] })), cpuClock ? 'process CPU' : 'wall'))
      console.log()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
