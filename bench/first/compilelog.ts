/**
 * What V8 compiled during a first call, read from its function-event log
 * (`node --log-function-events --logfile=F --no-logfile-per-isolate`).
 *
 * V8 compiles a function lazily, when it first runs: it parses the function's source in full
 * (the event `parse-function`) and generates its bytecode (`interpreter`), each event with its
 * duration. (Code made with `new Function`, such as the code the library generates, is not
 * in this log: the phase clock's `js compile` times it.) The log's lines are
 *
 *   function,<event>,<script id>,<start>,<end>,<ms>,<µs since start>,<name>
 *   script-details,<script id>,<url>,…
 *
 * The first call is the span between the first executions of the two marker functions of
 * child.ts; the events counted are those of the library's bundle.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/** The library's functions V8 compiled during the first call. */
export interface CompileCounts {
  /** functions that got bytecode */
  readonly functions: number
  /** their source, KiB */
  readonly kib: number
  /** parsing and bytecode generation, ms */
  readonly ms: number
}

interface Event {
  readonly event: string
  readonly script: string
  readonly start: number
  readonly end: number
  readonly ms: number
  readonly at: number
  readonly name: string
}

const eventOf = (line: string): Event => {
  const f = line.split(',')
  return { event: f[1], script: f[2], start: Number(f[3]), end: Number(f[4]), ms: Number(f[5]), at: Number(f[6]), name: f.slice(7).join(',') }
}

/** What the first call compiled of the library, from the log at `logPath` of a child that ran
 *  the bundle `bundlePath`. */
export const readCompileLog = (logPath: string, bundlePath: string): CompileCounts => {
  const lines = readFileSync(logPath, 'utf8').split('\n')
  const bundleUrl = pathToFileURL(bundlePath).href
  let bundleScript: string | undefined
  const events: Event[] = []
  for (const line of lines) {
    if (line.startsWith('function,')) events.push(eventOf(line))
    else if (line.startsWith(`script-details,`) && line.split(',')[2] === bundleUrl) bundleScript = line.split(',')[1]
  }
  if (bundleScript === undefined) throw new Error(`compile log ${logPath}: no script ${bundleUrl}`)
  const markAt = (name: string): number => {
    const e = events.find((x) => x.event === 'first-execution' && x.name === name)
    if (e === undefined) throw new Error(`compile log ${logPath}: no first execution of ${name}`)
    return e.at
  }
  const from = markAt('leibnizFirstCallBegins')
  const to = markAt('leibnizFirstCallEnds')
  let functions = 0
  let bytes = 0
  let ms = 0
  for (const e of events) {
    if (e.at < from || e.at > to || e.script !== bundleScript) continue
    if (e.event === 'parse-function') ms += e.ms
    else if (e.event === 'interpreter') {
      ms += e.ms
      functions++
      bytes += e.end - e.start
    }
  }
  return { functions, kib: bytes / 1024, ms }
}
