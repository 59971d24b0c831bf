/**
 * `npx tsx bench/markdown.ts FILE.json`: the rows of the results table in docs/performance.md,
 * from a run saved with `npm run bench -- --json FILE.json` (bench/harness/markdown.ts).
 */
import { readFileSync } from 'node:fs'
import { markdownTable, type MarkdownInput } from './harness/markdown'

const file = process.argv[2]
if (file === undefined) {
  console.error('usage: npx tsx bench/markdown.ts FILE.json   (a run saved by npm run bench -- --json FILE.json)')
  process.exit(1)
}
console.log(markdownTable(JSON.parse(readFileSync(file, 'utf8')) as MarkdownInput))
