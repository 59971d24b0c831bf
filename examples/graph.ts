/**
 * Computation-graph pictures: f(x, y, z) = (x + y)·z at x = −2, y = 5, z = −4, with the
 * forward value and the gradient ∂f/∂v of every variable v on its edge.
 *
 * `writeGraphPicture(path)` writes an SVG when Graphviz's `dot` is installed (Debian:
 * `apt-get install graphviz`), else the Mermaid text next to it (`path` with `.mmd`), and says
 * which it wrote. Run this file (`npx tsx examples/graph.ts`) to refresh docs/img/graph.svg and
 * docs/img/graph.mmd.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { makeJaxpr } from '../src'
import type { NDArray } from '../src'
import { type GraphOptions, toDot, toMermaid } from '../src'

const f = (x: NDArray, y: NDArray, z: NDArray) => x.add(y).mul(z)
const args = [-2, 5, -4] as const
const jaxpr = makeJaxpr(f)(...args)
const opts: GraphOptions = {
  title: 'f(x, y, z) = (x + y)·z at x = −2, y = 5, z = −4 (inputs a, b, c)',
  values: { args, grad: true },
}

/** The picture as Graphviz DOT text. */
export const graphDot = (): string => toDot(jaxpr, opts)
/** The picture as Mermaid flowchart text. */
export const graphMermaid = (): string => toMermaid(jaxpr, opts)

/** Is Graphviz's `dot` on the PATH? (what `which dot` tells, without needing `which`) */
const hasDot = (): boolean => {
  const r = spawnSync('dot', ['-V'], { stdio: 'ignore' })
  return r.error === undefined && r.status === 0
}

const write = (path: string, text: string): void => {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

/** Write the picture to `path` as SVG (with `dot`) or, without it, as Mermaid text (`.mmd`). */
export const writeGraphPicture = (path: string): { format: 'svg' | 'mermaid'; path: string } => {
  if (hasDot()) {
    const r = spawnSync('dot', ['-Tsvg'], { input: graphDot(), encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`dot -Tsvg failed: ${r.stderr}`)
    write(path, r.stdout)
    return { format: 'svg', path }
  }
  const mmd = path.replace(/\.[^./\\]*$/, '') + '.mmd'
  write(mmd, graphMermaid())
  return { format: 'mermaid', path: mmd }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const img = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'img')
  const wrote = writeGraphPicture(join(img, 'graph.svg'))
  console.log(`wrote ${wrote.path} (${wrote.format})`)
  write(join(img, 'graph.mmd'), graphMermaid())
  console.log(`wrote ${join(img, 'graph.mmd')} (mermaid)`)
}
