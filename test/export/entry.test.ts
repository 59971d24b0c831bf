// The export entry point is separate: nothing the main entry imports reaches src/export or
// protobufjs (so `import 'leibniz'` never loads the ONNX encoder), and leibniz/laws loads
// without any engine installed.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Every module reachable from `entry` by static imports (relative ones resolved, bare ones listed). */
const reach = (entry: string): { files: Set<string>; bare: Set<string> } => {
  const files = new Set<string>()
  const bare = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    const src = readFileSync(file, 'utf8')
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)) {
      const spec = m[1] ?? m[2]
      if (!spec.startsWith('.')) {
        bare.add(spec)
        continue
      }
      const base = resolve(dirname(file), spec)
      const cands = [`${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts'), base]
      const hit = cands.find((c) => { try { readFileSync(c); return true } catch { return false } })
      if (hit === undefined) throw new Error(`cannot resolve ${spec} from ${file}`)
      if (hit.endsWith('.ts')) visit(hit)
      else files.add(hit)
    }
  }
  visit(entry)
  return { files, bare }
}

describe('entry points', () => {
  it('the main entry does not import leibniz/export or its encoder', () => {
    const { files, bare } = reach(join(ROOT, 'src/index.ts'))
    expect([...files].filter((f) => f.includes('/src/export/'))).toEqual([])
    expect([...bare].filter((b) => /protobufjs|onnxruntime/.test(b))).toEqual([])
    expect(files.size).toBeGreaterThan(50)
  })
  it('leibniz/laws imports no engine and not leibniz/export', () => {
    const { files, bare } = reach(join(ROOT, 'laws/index.ts'))
    expect([...files].filter((f) => f.includes('/src/export/'))).toEqual([])
    expect([...bare].filter((b) => /protobufjs|onnxruntime/.test(b))).toEqual([])
  })
  it('leibniz/export imports onnxruntime only dynamically', () => {
    const { files, bare } = reach(join(ROOT, 'src/export/index.ts'))
    expect([...files].some((f) => f.endsWith('onnx.pb.js'))).toBe(true)
    expect([...bare].filter((b) => /onnxruntime/.test(b))).toEqual([])
  })
})
