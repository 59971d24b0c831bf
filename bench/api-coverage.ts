/**
 * How much of JAX's public function surface leibniz has, namespace by namespace.
 *
 *   npx tsx bench/api-coverage.ts            # counts; --missing lists the absent names
 *
 * JAX's names come from test/fixtures/api/jax_names.json (made by make_jax_names.py beside
 * it: public, callable, not a class or module, inspected at run time). A JAX name counts as
 * present when its camelCase spelling (`fori_loop` → `foriLoop`) is a function in the matching
 * leibniz namespace.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as leibniz from '../src/index'

const HERE = dirname(fileURLToPath(import.meta.url))
const names = JSON.parse(readFileSync(join(HERE, '../test/fixtures/api/jax_names.json'), 'utf8')) as {
  jax: string
  namespaces: Record<string, string[]>
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())

type Namespace = Record<string, unknown> | undefined
const lib = leibniz as unknown as Record<string, Namespace>
const TARGETS: Record<string, Namespace[]> = {
  jax: [leibniz as unknown as Namespace],
  'jax.numpy': [lib.np],
  'jax.numpy.linalg': [lib.np?.linalg as Namespace],
  'jax.lax': [lib.lax],
  'jax.lax.linalg': [lib.lax?.linalg as Namespace, lib.lax],
  'jax.nn': [lib.nn],
  'jax.random': [lib.random],
  'jax.scipy.special': [lib.special],
}

const missingOnly = process.argv.includes('--missing')
let [have, all] = [0, 0]
console.log(`JAX ${names.jax} public functions present in leibniz (camelCase, matching namespace):\n`)
for (const [ns, fns] of Object.entries(names.namespaces)) {
  const targets = TARGETS[ns] ?? []
  const present = fns.filter((f) => targets.some((t) => t !== undefined && typeof t[camel(f)] === 'function'))
  have += present.length
  all += fns.length
  console.log(`  ${ns.padEnd(20)} ${String(present.length).padStart(4)} / ${String(fns.length).padEnd(4)} ${((100 * present.length) / fns.length).toFixed(0).padStart(3)} %`)
  if (missingOnly) console.log(`    missing: ${fns.filter((f) => !present.includes(f)).join(', ')}\n`)
}
console.log(`\n  ${'all'.padEnd(20)} ${String(have).padStart(4)} / ${String(all).padEnd(4)} ${((100 * have) / all).toFixed(0).padStart(3)} %`)
