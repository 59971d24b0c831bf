/**
 * The timing loop of the phase scripts (bench/phases/*.ts): cases run interleaved, round after
 * round, a block of `BLOCK` calls of each, so that the load of a shared machine falls on every
 * case alike; the report gives medians and 10th percentiles of the blocks, and the garbage
 * collections that began while each case ran (a collection is charged to the block that ran
 * when it began: every fresh large array counts towards the external memory that makes V8
 * collect).
 */
import { loadavg } from 'node:os'
import { PerformanceObserver } from 'node:perf_hooks'
import { stats } from '../../src/backend'

const BLOCK = 4

/** Runs `cases` interleaved for `rounds` rounds (after 200 warm-up calls each) and prints the
 *  table under `title`, then `after()`'s lines. The report comes on a later turn, when the GC
 *  observer has delivered its entries. */
export const runInterleaved = (title: string, cases: Record<string, () => unknown>, rounds: number, after: () => readonly string[] = () => []): void => {
  const names = Object.keys(cases)
  const blocks = new Map<string, number[]>(names.map((k) => [k, []]))
  const spans: { name: string; t0: number; t1: number }[] = []
  const gcs: { start: number; ms: number }[] = []
  const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => gcs.push({ start: e.startTime, ms: e.duration })))
  obs.observe({ entryTypes: ['gc'] })

  for (const k of names) for (let i = 0; i < 200; i++) cases[k]()
  for (let r = 0; r < rounds; r++) {
    for (const k of names) {
      const call = cases[k]
      const t0 = performance.now()
      for (let i = 0; i < BLOCK; i++) call()
      const t1 = performance.now()
      ;(blocks.get(k) as number[]).push((t1 - t0) / BLOCK)
      spans.push({ name: k, t0, t1 })
    }
  }
  const extra = after()

  const report = (): void => {
    obs.disconnect()
    const gcOf = new Map<string, { count: number; ms: number }>(names.map((k) => [k, { count: 0, ms: 0 }]))
    let s = 0
    for (const g of gcs.sort((a, b) => a.start - b.start)) {
      while (s < spans.length && spans[s].t1 < g.start) s++
      if (s < spans.length && spans[s].t0 <= g.start) {
        const c = gcOf.get(spans[s].name) as { count: number; ms: number }
        c.count++
        c.ms += g.ms
      }
    }
    const q = (a: readonly number[], p: number): number => [...a].sort((u, w) => u - w)[Math.floor(p * (a.length - 1))]
    const calls = rounds * BLOCK
    console.log(`${title}: ${rounds} rounds × ${BLOCK} calls per case, interleaved; 1-minute load average ${loadavg()[0].toFixed(1)} on 2 CPUs`)
    console.log(`${'case'.padEnd(42)} ${'median ms'.padStart(10)} ${'p10 ms'.padStart(8)} ${'GCs/1000'.padStart(9)} ${'GC ms/call'.padStart(11)}`)
    for (const k of names) {
      const b = blocks.get(k) as number[]
      const g = gcOf.get(k) as { count: number; ms: number }
      console.log(`${k.padEnd(42)} ${q(b, 0.5).toFixed(4).padStart(10)} ${q(b, 0.1).toFixed(4).padStart(8)} ${((g.count * 1000) / calls).toFixed(1).padStart(9)} ${(g.ms / calls).toFixed(4).padStart(11)}`)
    }
    for (const line of extra) console.log(line)
  }
  // the observer delivers its entries after the loop, on a later turn
  setTimeout(report, 50)
}

/** What one more call of each of `names` moves (bytes) and runs, by the backend's counters. */
export const movedBy = (cases: Record<string, () => unknown>, names: readonly string[]): string[] => {
  const counted = ['wasmKernelCalls', 'kernelsRun', 'outputBytes', 'arenaBytesIn', 'arenaBytesOut', 'arenaBytesKept'] as const
  return names.map((k) => {
    const s0 = { ...stats }
    cases[k]()
    return `${k}: ${counted.map((c) => `${c} ${stats[c] - s0[c]}`).join(', ')}`
  })
}
