/**
 * `npm run example -- <name>` runs examples/<name>.ts; without a name, or with an unknown one,
 * it lists the examples (with the first line of each one's header comment).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort()

/** The first prose line of a file's header comment, without the `npm run …` prefix. */
const summary = (name: string): string => {
  const text = readFileSync(join(here, `${name}.ts`), 'utf8')
  const line = text.split('\n').find((l) => /^\s*\*\s+\S/.test(l)) ?? ''
  return line.replace(/^\s*\*\s+/, '').replace(/^`npm run [^`]*`\s*[—-]\s*/, '')
}

const name = process.argv[2]
if (name !== undefined && names.includes(name)) {
  await import(pathToFileURL(join(here, `${name}.ts`)).href)
} else {
  if (name !== undefined) console.error(`Unknown example '${name}'.`)
  console.log('Usage: npm run example -- <name>\n\nExamples:')
  const width = Math.max(...names.map((n) => n.length))
  for (const n of names) console.log(`  ${n.padEnd(width)}  ${summary(n)}`)
  process.exitCode = name === undefined ? 0 : 1
}
