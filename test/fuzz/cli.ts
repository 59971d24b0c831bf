/**
 * `npm run fuzz -- --minutes N --seed S` — the differential fuzzer from the command line
 * (see test/fuzz/README.md). Other flags: `--runs R` cases per batch, `--batches B`,
 * `--path P` to replay the case of a report, `--routes a,b` to run only some routes,
 * `--sizes small,medium,large`. Exits 1 on a disagreement, after printing its report.
 */
import { SHAPES, type SizeClass } from './cases'
import { fuzz } from './run'
import { setThreads } from '../../src/backend'

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const num = (name: string, dflt: number | undefined): number | undefined => {
  const v = flag(name)
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isFinite(n)) throw new RangeError(`--${name}: expected a number, got '${v}'`)
  return n
}

const seed = num('seed', Date.now() % 1_000_000_007)!
const minutes = num('minutes', undefined)
const sizes = flag('sizes')?.split(',').reduce<Partial<Record<SizeClass, number>>>((acc, s) => {
  if (!(s in SHAPES)) throw new RangeError(`--sizes: unknown size class '${s}'; expected small, medium or large`)
  acc[s as SizeClass] = { small: 6, medium: 4, large: 1 }[s as SizeClass]
  return acc
}, {})

const main = async (): Promise<number> => {
  const started = Date.now()
  console.log(`fuzz: seed ${seed}${minutes !== undefined ? `, ${minutes} min` : ''}`)
  const res = await fuzz({
    seed,
    runsPerBatch: num('runs', 25),
    batches: num('batches', minutes === undefined ? 1 : undefined),
    timeLimitMs: minutes === undefined ? undefined : minutes * 60_000,
    path: flag('path'),
    routes: flag('routes')?.split(','),
    sizes,
    log: (l) => console.log(l),
  })
  const secs = ((Date.now() - started) / 1000).toFixed(0)
  if (res.failure !== null) {
    console.log(res.failure.report)
    console.log(`fuzz: ${res.clean} cases clean before the disagreement (${res.batches} batches, ${secs} s)`)
    return 1
  }
  console.log(`fuzz: ${res.clean} cases clean in ${res.batches} batches (seeds ${seed}…${seed + res.batches - 1}, ${secs} s)`)
  return 0
}

main()
  .then(async (code) => {
    await setThreads(1) // let the worker threads go, so the process can exit
    process.exit(code)
  })
  .catch((e: unknown) => {
    console.error(e)
    process.exit(2)
  })
