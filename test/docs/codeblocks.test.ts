// The documentation runs. Every ```ts block of README.md and docs/*.md is written to its own
// module (its `leibniz` / `leibniz/laws` / `leibniz/export` imports pointed at src/ and laws/), type-checked with
// the project's strict settings, and run; a block followed by an ```output block must print
// exactly that. Blocks that import from 'vitest' are vitest test files: they run in a child
// vitest. A block fenced ```ts no-run is only type-checked. Blocks do not share state.
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { collect, docFiles, fences } from './blocks'

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
// Under node_modules, so it is ignored by git, by the project's tsconfig and by vitest's include;
// one directory per test process, so that two test runs at the same time do not collide.
const BASE = join(ROOT, 'node_modules', '.cache', 'leibniz-docs')
const WORK = join(BASE, String(process.pid))
// tsc's incremental build info, shared between runs (src/ and laws/ are re-checked only when
// they change); each run works on a copy and moves it back atomically.
const BUILD_INFO = join(BASE, 'tsbuildinfo')

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Remove the directories of earlier runs whose process has ended (the latest stays for inspection). */
const removeStaleRuns = (): void => {
  if (!existsSync(BASE)) return
  for (const d of readdirSync(BASE)) {
    if (/^\d+$/.test(d) && Number(d) !== process.pid && !alive(Number(d))) rmSync(join(BASE, d), { recursive: true, force: true })
  }
}

const rewriteImports = (code: string): string =>
  code
    .replace(/(from\s+|import\s+)(['"])leibniz\/laws\2/g, `$1$2${ROOT}/laws/index$2`)
    .replace(/(from\s+|import\s+)(['"])leibniz\/export\2/g, `$1$2${ROOT}/src/export/index$2`)
    .replace(/(from\s+|import\s+)(['"])leibniz\2/g, `$1$2${ROOT}/src/index$2`)

const normalize = (s: string): string => s.split('\n').map((l) => l.trimEnd()).join('\n').trim()

// Generous limits: tsc, the runner and the vitest child run side by side, and on a busy machine
// each can take minutes; the limits only stop a hang.
const CHILD_TIMEOUT = 280_000

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: CHILD_TIMEOUT }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr })
    })
  })

// The runner imports each plain block in turn, capturing what it prints.
const RUNNER = `
import { readFileSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
const [list, out] = process.argv.slice(2)
const files: string[] = JSON.parse(readFileSync(list, 'utf8'))
const results: Record<string, { ok: boolean; stdout: string; error?: string }> = {}
const write = process.stdout.write.bind(process.stdout)
for (const f of files) {
  let buf = ''
  process.stdout.write = ((chunk: string | Uint8Array) => { buf += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true }) as typeof process.stdout.write
  try {
    await import(pathToFileURL(f).href)
    results[f] = { ok: true, stdout: buf }
  } catch (e) {
    results[f] = { ok: false, stdout: buf, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }
  } finally {
    process.stdout.write = write
  }
}
writeFileSync(out, JSON.stringify(results))
`

const blocks = collect(ROOT)
const runResults: Record<string, { ok: boolean; stdout: string; error?: string }> = {}
const typeErrors = new Map<string, string[]>()
const vitestResults = new Map<string, { status: string; messages: string[] }>()

describe('documentation code blocks', () => {
  beforeAll(async () => {
    removeStaleRuns()
    rmSync(WORK, { recursive: true, force: true })
    mkdirSync(WORK, { recursive: true })
    if (existsSync(BUILD_INFO)) copyFileSync(BUILD_INFO, join(WORK, 'tsbuildinfo'))
    writeFileSync(join(WORK, 'package.json'), '{ "type": "module" }\n')
    for (const b of blocks) writeFileSync(join(WORK, b.module), `${rewriteImports(b.code)}\n`)
    writeFileSync(join(WORK, 'runner.ts'), RUNNER)
    const plain = blocks.filter((b) => b.run && !b.vitest).map((b) => join(WORK, b.module))
    writeFileSync(join(WORK, 'list.json'), JSON.stringify(plain))
    writeFileSync(
      join(WORK, 'tsconfig.json'),
      JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { noEmit: true }, include: [join(WORK, '*.ts')], exclude: [join(WORK, 'runner.ts')] }),
    )
    writeFileSync(
      join(WORK, 'vitest.config.ts'),
      `import { defineConfig } from 'vitest/config'\nexport default defineConfig({ test: { include: ['*.test.ts'], exclude: [], testTimeout: 250000, server: { deps: { inline: [/leibniz-docs/] } } } })\n`,
    )
    const bin = (p: string) => join(ROOT, 'node_modules', p)
    const hasVitestBlocks = blocks.some((b) => b.run && b.vitest)
    const [tsc, runner, vt] = await Promise.all([
      run(process.execPath, [bin('typescript/bin/tsc'), '-p', join(WORK, 'tsconfig.json'), '--pretty', 'false', '--incremental', '--tsBuildInfoFile', join(WORK, 'tsbuildinfo')]),
      run(process.execPath, [bin('tsx/dist/cli.mjs'), join(WORK, 'runner.ts'), join(WORK, 'list.json'), join(WORK, 'results.json')], { LEIBNIZ_CHECK_JAXPRS: '1' }),
      hasVitestBlocks
        ? run(process.execPath, [bin('vitest/vitest.mjs'), 'run', '--root', WORK, '--reporter=json', `--outputFile=${join(WORK, 'vitest.json')}`], { LEIBNIZ_CHECK_JAXPRS: '1' })
        : Promise.resolve({ code: 0, stdout: '', stderr: '' }),
    ])
    if (existsSync(join(WORK, 'tsbuildinfo'))) renameSync(join(WORK, 'tsbuildinfo'), BUILD_INFO)
    // tsc: keep only errors located in the generated modules (others' files are not our business)
    for (const line of tsc.stdout.split('\n')) {
      const m = /^(.*?)\((\d+),(\d+)\): error (.*)$/.exec(line)
      if (!m || dirname(resolve(ROOT, m[1])) !== WORK) continue
      const mod = m[1].split('/').pop() as string
      typeErrors.set(mod, [...(typeErrors.get(mod) ?? []), `line ${m[2]}: ${m[4]}`])
    }
    if (!existsSync(join(WORK, 'results.json'))) throw new Error(`the block runner failed (exit ${runner.code}):\n${runner.stderr}`)
    Object.assign(runResults, JSON.parse(readFileSync(join(WORK, 'results.json'), 'utf8')))
    if (hasVitestBlocks) {
      if (!existsSync(join(WORK, 'vitest.json'))) throw new Error(`the vitest child failed:\n${vt.stderr}\n${vt.stdout}`)
      const report = JSON.parse(readFileSync(join(WORK, 'vitest.json'), 'utf8')) as {
        testResults: { name: string; status: string; message: string; assertionResults: { status: string; failureMessages: string[] }[] }[]
      }
      for (const r of report.testResults) {
        const failed = r.assertionResults.filter((a) => a.status !== 'passed')
        const status = r.status === 'passed' && r.assertionResults.length > 0 && failed.length === 0 ? 'passed' : 'failed'
        vitestResults.set(r.name.split('/').pop() as string, { status, messages: [r.message, ...failed.flatMap((a) => a.failureMessages)].filter(Boolean) })
      }
    }
  }, CHILD_TIMEOUT + 20_000)

  it('finds the documentation and its code blocks', () => {
    expect(blocks.length).toBeGreaterThan(20)
    for (const f of ['README.md', 'docs/index.md', 'docs/autodiff.md', 'docs/vmap.md', 'docs/laws.md', 'docs/jaxpr.md', 'docs/sharp-edges.md']) {
      expect(blocks.some((b) => b.file === f), `${f} has ts blocks`).toBe(true)
    }
  })

  it('no ts block is empty, and no block is left unrun without saying so', () => {
    for (const b of blocks) expect(b.code.trim(), `${b.file}:${b.line} is an empty ts block`).not.toBe('')
    const skipped = blocks.filter((b) => !b.run)
    expect(skipped.length, `no-run blocks: ${skipped.map((b) => `${b.file}:${b.line}`).join(', ')}`).toBeLessThanOrEqual(Math.ceil(blocks.length / 10))
  })

  it('README keeps the quick start: npm install, npm run demo, npm test', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const sh = fences(readme).filter((f) => f.lang === 'sh' || f.lang === 'bash' || f.lang === 'console')
    const commands = sh.flatMap((f) => f.body.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean))
    const i = commands.indexOf('npm install')
    expect(i, 'a sh block with `npm install`').toBeGreaterThanOrEqual(0)
    expect(commands.slice(i, i + 3)).toEqual(['npm install', 'npm run demo', 'npm test'])
  })

  it('relative links between the documents point at files that exist', () => {
    for (const file of docFiles(ROOT)) {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '')
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0]
        if (target === '' || /^[a-z]+:/.test(target)) continue
        expect(existsSync(join(ROOT, dirname(file), target)), `${file} links to ${m[1]}`).toBe(true)
      }
    }
  })

  describe.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s', (_name, b) => {
    it('type-checks', () => {
      expect(typeErrors.get(b.module) ?? [], `${b.file}:${b.line} (generated ${relative(ROOT, join(WORK, b.module))})`).toEqual([])
    })
    if (!b.run) return
    if (b.vitest) {
      it('passes as a vitest test file', () => {
        const r = vitestResults.get(b.module)
        expect(r, `no vitest result for ${b.module}`).toBeDefined()
        expect(r?.status, (r?.messages ?? []).join('\n')).toBe('passed')
      })
      return
    }
    it(b.expected === null ? 'runs' : 'runs and prints the output shown', () => {
      const r = runResults[join(WORK, b.module)]
      expect(r, `no result for ${b.module}`).toBeDefined()
      expect(r.ok, r.error).toBe(true)
      if (b.expected !== null) expect(normalize(r.stdout)).toBe(normalize(b.expected))
    })
  })
})
