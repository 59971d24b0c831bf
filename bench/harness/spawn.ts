/**
 * Running one measurement child (bench/child.ts) to completion, and reading its answer back:
 * shared by the workload tables (bench/run.ts) and the scaling table (bench/scaling/run.ts).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildResult, ChildSpec } from '../child'
import type { Parts } from './compare'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const CHILD = join(HERE, '..', 'child.ts')
export const TIMEOUT_MS = 240_000

export type ChildOutcome = ChildResult | { status: 'timeout'; reason: string }

/** Run one child to completion (or kill it, by its own pid, after TIMEOUT_MS). */
export const runChild = (spec: ChildSpec): Promise<ChildOutcome> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(spec)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, TIMEOUT_MS)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (timedOut) return resolve({ status: 'timeout', reason: `killed after ${TIMEOUT_MS / 1000} s` })
      try {
        resolve(JSON.parse(readFileSync(`${spec.out}.json`, 'utf8')) as ChildResult)
      } catch {
        const last = stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ')
        resolve({ status: 'error', reason: `child exited with code ${code}: ${last}` })
      }
    })
  })

/** The answer's parts a child wrote to `file` (float64, in the order of its `parts`). */
export const readParts = (r: ChildOutcome, file: string): Parts | undefined => {
  if (r.status !== 'ok') return undefined
  const bytes = readFileSync(file)
  const all = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)
  const parts: Record<string, Float64Array> = {}
  let o = 0
  for (const p of r.parts) {
    parts[p.name] = all.subarray(o, o + p.length)
    o += p.length
  }
  return parts
}
