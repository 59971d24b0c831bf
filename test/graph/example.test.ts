import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { graphDot, graphMermaid, writeGraphPicture } from '../../examples/graph'

const ROOT = join(__dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'leibniz-graph-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('examples/graph.ts', () => {
  it('the picture carries the values and gradients of (x + y)·z', () => {
    for (const text of [graphDot(), graphMermaid()]) {
      for (const label of ['-2 / -4', '5 / -4', '-4 / 3', '3 / -4', '-12 / 1']) expect(text).toContain(label)
    }
  })

  it('writes Mermaid text when dot is not on the PATH', () => {
    const path = process.env.PATH
    process.env.PATH = ''
    try {
      const wrote = writeGraphPicture(join(dir, 'nodot.svg'))
      expect(wrote).toEqual({ format: 'mermaid', path: join(dir, 'nodot.mmd') })
      expect(readFileSync(wrote.path, 'utf8')).toBe(graphMermaid())
      expect(existsSync(join(dir, 'nodot.svg'))).toBe(false)
    } finally {
      process.env.PATH = path
    }
  })

  it('writes an SVG when dot is installed, else the Mermaid text', () => {
    const hasDot = spawnSync('dot', ['-V'], { stdio: 'ignore' }).status === 0
    const wrote = writeGraphPicture(join(dir, 'graph.svg'))
    const text = readFileSync(wrote.path, 'utf8').replace(/&#45;/g, '-') // Graphviz writes - as &#45;
    if (hasDot) {
      expect(wrote).toEqual({ format: 'svg', path: join(dir, 'graph.svg') })
      expect(text).toMatch(/<svg[\s\S]*-12 \/ 1[\s\S]*<\/svg>/)
    } else {
      expect(wrote.format).toBe('mermaid')
      expect(text).toBe(graphMermaid())
    }
  })

  it('docs/img/graph.mmd and the Mermaid block of docs/graphs.md are the current picture', () => {
    expect(readFileSync(join(ROOT, 'docs', 'img', 'graph.mmd'), 'utf8')).toBe(graphMermaid())
    const doc = readFileSync(join(ROOT, 'docs', 'graphs.md'), 'utf8')
    const block = /```mermaid\n([\s\S]*?)```/.exec(doc)
    expect(block?.[1]).toBe(graphMermaid())
    expect(doc).toContain('](img/graph.svg)')
    expect(readFileSync(join(ROOT, 'docs', 'img', 'graph.svg'), 'utf8').replace(/&#45;/g, '-')).toMatch(/<svg[\s\S]*d:f64\[\][\s\S]*3 \/ -4[\s\S]*<\/svg>/)
  })
})
