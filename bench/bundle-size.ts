/**
 * `npm run bundle-size` — what the package costs in a user's bundle.
 *
 * Bundles small consumer programs against the built package (dist/, as `npm pack` ships it,
 * resolved through package.json `exports` and `sideEffects` exactly as a user's bundler would)
 * with esbuild, minified, for the browser, and prints the minified and gzipped sizes. The
 * first rows import a few names, the last one everything: the difference is what
 * tree-shaking drops. Build first (`npm run bundle-size` does).
 */
import { build } from 'esbuild'
import { existsSync, mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

interface Case {
  readonly name: string
  readonly source: string
}

// Each program uses what it imports, so that nothing it asks for is dropped as unused.
const CASES: readonly Case[] = [
  {
    name: 'np + grad',
    source: `import { np, grad } from 'leibniz'
console.log(grad((x) => np.sin(x).mul(x).sum())(np.array([0.5, 1])).tolist())`,
  },
  {
    name: 'np + grad + jit',
    source: `import { np, grad, jit } from 'leibniz'
console.log(jit(grad((x) => np.sin(x).mul(x).sum()))(np.array([0.5, 1])).tolist())`,
  },
  {
    name: 'whole package',
    source: `import * as leibniz from 'leibniz'
console.log(leibniz)`,
  },
  {
    name: 'whole package + leibniz/laws',
    source: `import * as leibniz from 'leibniz'
import * as laws from 'leibniz/laws'
console.log(leibniz, laws)`,
  },
]

const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`

const main = async (): Promise<void> => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (or `npm run bundle-size`, which builds)')
  }
  // A consumer directory whose node_modules/leibniz is this package, so 'leibniz' resolves
  // as it does for a user (exports, sideEffects); fast-check stays external (a peer).
  const dir = mkdtempSync(join(tmpdir(), 'leibniz-bundle-'))
  try {
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(ROOT, join(dir, 'node_modules', 'leibniz'), 'dir')
    const rows: string[][] = [['imports', 'minified', 'gzipped']]
    for (const c of CASES) {
      const result = await build({
        stdin: { contents: c.source, resolveDir: dir, sourcefile: 'consumer.js', loader: 'js' },
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        external: ['fast-check'],
        write: false,
        logLevel: 'error',
        preserveSymlinks: true,
      })
      const bytes = result.outputFiles[0].contents
      rows.push([c.name, kB(bytes.length), kB(gzipSync(bytes, { level: 9 }).length)])
    }
    const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)))
    for (const r of rows) console.log(r.map((s, j) => (j === 0 ? s.padEnd(widths[j]) : s.padStart(widths[j]))).join('   '))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
