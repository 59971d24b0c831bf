/**
 * Writes the compile hints of the build (tsup.eager.json, read by tsup.eager.ts): the library
 * functions that V8 compiles during the first calls of representative jitted programs, which
 * the build then has compiled at import instead.
 *
 *   npx tsx bench/first/hints.ts            # writes tsup.eager.json
 *   npx tsx bench/first/hints.ts --check    # prints what would change, writes nothing
 *
 * It builds the package without the hints (ESM only, no declarations) into a temporary
 * directory, runs each workload's first call in a fresh process (child.ts) with V8's
 * function-event log, and names every function compiled during the call by its module and
 * name path (tsup.eager.ts `functionSites`), with the names around it: a function is compiled
 * at import only if the ones around it are.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { build as esbuild } from 'esbuild'
import config from '../../tsup.config'
import { buildWithoutHints, type EagerHints, functionSites } from '../../tsup.eager'
import { firstCallFunctions } from './compilelog'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../..')
const HINTS = join(ROOT, 'tsup.eager.json')

/** The programs whose first calls define the hot code: the first-call targets of the bench
 *  (W7, W12, jet at order 10) and the common shapes of a first call besides them (a scan
 *  under jacfwd, a small jitted network's gradient, per-example gradients under vmap). */
const WORKLOADS = ['JET10', 'W7', 'W12', 'W5', 'W11', 'W6']

const main = async (): Promise<void> => {
  const check = process.argv.includes('--check')
  const dir = mkdtempSync(join(tmpdir(), 'leibniz-hints-'))
  try {
    await buildWithoutHints(config, dir)
    const entry = join(dir, 'index.js')
    // The child runs as plain JavaScript: under tsx's hooks V8 would log positions in tsx's
    // transform of the library's chunks, not in the chunks themselves.
    const child = join(dir, 'child.mjs')
    await esbuild({ entryPoints: [join(HERE, 'child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: child, packages: 'external', logLevel: 'warning' })
    // `module path` of every function a first call compiled
    const compiled = new Set<string>()
    for (const w of WORKLOADS) {
      const log = join(dir, `${w}.log`)
      execFileSync(process.execPath, ['--log-function-events', `--logfile=${log}`, '--no-logfile-per-isolate', child, entry, w], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
      const mine = new Set<string>()
      for (const [url, starts] of firstCallFunctions(log)) {
        if (!url.startsWith('file:') || !fileURLToPath(url).startsWith(dir)) continue
        const path = fileURLToPath(url)
        const code = readFileSync(path, 'utf8')
        const sf = ts.createSourceFile(path, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
        // every function assumed eager: `topChain` then says whether one could be
        for (const site of functionSites(sf, code, () => true)) {
          if (site.module === undefined || !site.topChain || !starts.has(site.node.getStart(sf))) continue
          const names = site.path.split('.')
          for (let k = 1; k <= names.length; k++) mine.add(`${site.module} ${names.slice(0, k).join('.')}`)
        }
      }
      for (const h of mine) compiled.add(h)
      process.stderr.write(`${w}: ${mine.size} names\n`)
    }
    const hints = new Map<string, Set<string>>()
    for (const h of compiled) {
      const [module, path] = h.split(' ')
      let paths = hints.get(module)
      if (paths === undefined) hints.set(module, (paths = new Set()))
      paths.add(path)
    }
    const out: EagerHints = Object.fromEntries([...hints].sort(([a], [b]) => a.localeCompare(b)).map(([m, p]) => [m, [...p].sort()]))
    const text = `${JSON.stringify(out, null, 2)}\n`
    const count = Object.values(out).reduce((n, p) => n + p.length, 0)
    if (check) {
      const old = readFileSync(HINTS, 'utf8')
      process.stdout.write(old === text ? `tsup.eager.json is current (${count} hints)\n` : `tsup.eager.json would change: ${count} hints now\n`)
    } else {
      writeFileSync(HINTS, text)
      process.stdout.write(`wrote ${count} hints in ${Object.keys(out).length} modules to tsup.eager.json\n`)
    }
  } finally {
    if (process.env.KEEP !== "1") rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e)
  process.exit(1)
})
