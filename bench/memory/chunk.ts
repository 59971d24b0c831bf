/**
 * Peak memory of jacfwd / jacrev (vmap over a basis) with and without `chunkSize`, each configuration in a
 * fresh process (peak RSS from process.resourceUsage().maxRSS). Run: `npx tsx bench/memory/chunk.ts`.
 *
 * Workload: the Jacobian of f(x) = tanh(W·x) ⊙ sin(x) for x ∈ R^n (n = 1500): jacfwd pushes
 * n basis vectors through f at once — every intermediate is n × n — unless chunked.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { np, jacfwd, jacrev } from '../../src'
import type { Array } from '../../src'

const N = 1500
const setup = () => {
  const w = np.sin(np.arange(0, N * N).reshape([N, N]).mul(0.001)).mul(1 / Math.sqrt(N))
  const x = np.cos(np.arange(0, N).mul(0.01))
  const f = (v: Array) => np.tanh(np.matmul(w, v)).mul(np.sin(v))
  return { f, x }
}

const run = (kind: string, chunk: number | undefined): number[] => {
  const { f, x } = setup()
  const opts = chunk === undefined ? {} : { chunkSize: chunk }
  const out = kind === 'jacfwd' ? jacfwd(f, opts)(x) : jacrev(f, opts)(x)
  const d = out.toTypedArray()
  // a checksum, so configurations can be compared for identical results
  let s = 0
  for (let i = 0; i < d.length; i++) s += d[i] * ((i % 97) + 1)
  return [s, process.resourceUsage().maxRSS / 1024]
}

const child = process.argv[2]
if (child) {
  const chunk = process.argv[3] === 'none' ? undefined : Number(process.argv[3])
  console.log(JSON.stringify(run(child, chunk)))
} else {
  const self = fileURLToPath(import.meta.url)
  const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname
  console.log(`Jacobian of tanh(W·x)⊙sin(x), n = ${N}; peak RSS per configuration (fresh process)\n`)
  console.log('transform  chunkSize  peak RSS (MiB)  checksum')
  for (const kind of ['jacfwd', 'jacrev']) {
    for (const chunk of ['none', '100', '10']) {
      const [sum, rss] = JSON.parse(execFileSync(tsx, [self, kind, chunk], { encoding: 'utf8' }).trim().split('\n').pop() as string)
      console.log(`${kind.padEnd(9)}  ${chunk.padStart(9)}  ${rss.toFixed(0).padStart(14)}  ${sum.toPrecision(15)}`)
    }
  }
}
