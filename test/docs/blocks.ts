// The code blocks of the documentation (README.md and docs/*.md), as the documentation tests
// read them: test/docs/codeblocks.test.ts type-checks and runs them against the sources,
// test/package/consumer.test.ts type-checks them against the packed package.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export interface Block {
  readonly file: string // relative to the documentation root
  readonly line: number // of the opening fence, 1-based
  readonly code: string
  readonly run: boolean
  readonly vitest: boolean
  readonly expected: string | null // the ```output block after it, if any
  readonly module: string // file name of the generated module
}

/** README.md and docs/*.md, relative to `root`. */
export const docFiles = (root: string): string[] => {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)
    : []
  return ['README.md', ...docs]
}

export interface Fence {
  readonly lang: string
  readonly flags: readonly string[]
  readonly line: number
  readonly body: string
  readonly endLine: number
}

/** Fenced code blocks (``` at the start of a line, optionally indented up to 3 spaces). */
export const fences = (text: string): Fence[] => {
  const lines = text.split('\n')
  const out: Fence[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})```([^`\s]*)\s*(.*)$/.exec(lines[i])
    if (!open) continue
    const indent = open[1].length
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !/^ {0,3}```\s*$/.test(lines[j])) body.push(lines[j++].slice(indent))
    if (j >= lines.length) throw new Error(`unclosed code fence at line ${i + 1}`)
    out.push({ lang: open[2], flags: open[3].split(/\s+/).filter(Boolean), line: i + 1, body: body.join('\n'), endLine: j + 1 })
    i = j
  }
  return out
}

/** Every ```ts block of the documentation under `root`, in document order. */
export const collect = (root: string): Block[] => {
  const blocks: Block[] = []
  for (const file of docFiles(root)) {
    const text = readFileSync(join(root, file), 'utf8')
    const fs = fences(text)
    const lines = text.split('\n')
    fs.forEach((f, k) => {
      if (f.lang !== 'ts' && f.lang !== 'typescript') return
      const next = fs[k + 1]
      // an ```output block counts when only blank lines separate it from this block
      const adjacent = next !== undefined && next.lang === 'output' && lines.slice(f.endLine, next.line - 1).every((l) => l.trim() === '')
      const vitest = /from\s+['"]vitest['"]/.test(f.body)
      const base = `${file.replace(/[^A-Za-z0-9]+/g, '_')}_L${f.line}`
      blocks.push({
        file,
        line: f.line,
        code: f.body,
        run: !f.flags.includes('no-run'),
        vitest,
        expected: adjacent ? next.body : null,
        module: vitest ? `${base}.test.ts` : `${base}.ts`,
      })
    })
  }
  return blocks
}

