// The package as its users get it. Build with tsup, `npm pack`, install the tarball into a
// fresh project outside the repository (npm install of the .tgz, as a user would), then run
// tsc — strict, skipLibCheck false — over test/package/consumer/types.ts (whose
// `@ts-expect-error` lines prove that results are typed and misuse is rejected) and over
// every ```ts block of README.md and docs/*.md (importing 'leibniz', 'leibniz/laws' and
// 'leibniz/export'), in four setups: ESM with NodeNext resolution,
// ESM with Bundler resolution, CommonJS with NodeNext (the .d.cts declarations) and CommonJS
// with node10 resolution (no `exports` map: the `typesVersions` field). One build and one
// install serve all of them.
//
// Errors count when they are in the consumer's files or in the package's declarations;
// errors inside other libraries' declarations (vitest's, used by two doc blocks) are theirs.
import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect } from '../docs/blocks'

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
const FIXTURES = join(ROOT, 'test', 'package', 'consumer')
const WORK = mkdtempSync(join(tmpdir(), 'leibniz-consumer-'))
const STAGE = join(WORK, 'stage') // the package directory that is packed
const PROJECT = join(WORK, 'project') // the consumer
// Libraries the consumer brings itself: Node's types, vitest (two doc blocks are vitest
// tests) and fast-check (the peer dependency of leibniz/laws). Linked from this repository's
// install instead of downloaded.
const LINKED = ['@types/node', 'vitest', 'fast-check']

interface Setup {
  readonly name: string
  readonly type: 'module' | 'commonjs'
  readonly compilerOptions: Record<string, unknown>
}
const SETUPS: readonly Setup[] = [
  { name: 'esm-nodenext', type: 'module', compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  { name: 'esm-bundler', type: 'module', compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' } },
  { name: 'cjs-nodenext', type: 'commonjs', compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  { name: 'cjs-node10', type: 'commonjs', compilerOptions: { module: 'CommonJS', moduleResolution: 'node10' } },
]

const run = (cmd: string, args: readonly string[], cwd: string, timeout = 300_000) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, [...args], { cwd, maxBuffer: 64 << 20, timeout, env: { ...process.env, npm_config_update_notifier: 'false' } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })

const must = async (what: string, p: ReturnType<typeof run>) => {
  const r = await p
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`)
  return r
}

const blocks = collect(ROOT)
/** generated module name → where it came from, for messages */
const origin = new Map<string, string>([['types.ts', relative(ROOT, join(FIXTURES, 'types.ts'))]])
for (const b of blocks) origin.set(b.module, `${b.file}:${b.line}`)

const errors = new Map<string, string[]>()

/** Copy what `npm pack` would take from the repository (package.json, its `files`, README and
 *  LICENSE files) into the stage, with the build in place of dist/. */
const stagePackage = (): void => {
  mkdirSync(STAGE, { recursive: true })
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files?: string[] }
  copyFileSync(join(ROOT, 'package.json'), join(STAGE, 'package.json'))
  const always = readdirSync(ROOT).filter((f) => /^(readme|license|licence|notice)(\..*)?$/i.test(f))
  for (const f of new Set([...(pkg.files ?? []), ...always])) {
    if (f === 'dist' || f.startsWith('dist/') || !existsSync(join(ROOT, f))) continue
    cpSync(join(ROOT, f), join(STAGE, f), { recursive: true })
  }
}

describe('the packed package, as a TypeScript consumer compiles against it', () => {
  beforeAll(async () => {
    stagePackage()
    await must('tsup', run(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(STAGE, 'dist'), '--silent'], ROOT))
    const packed = await must('npm pack', run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', WORK], STAGE))
    const tarball = join(WORK, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename)

    mkdirSync(PROJECT, { recursive: true })
    writeFileSync(join(PROJECT, 'package.json'), JSON.stringify({ name: 'leibniz-consumer', version: '0.0.0', private: true }, null, 2))
    await must(
      'npm install of the tarball',
      run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], PROJECT),
    )
    for (const name of LINKED) {
      const to = join(PROJECT, 'node_modules', name)
      if (existsSync(to) || !existsSync(join(ROOT, 'node_modules', name))) continue
      mkdirSync(dirname(to), { recursive: true })
      symlinkSync(join(ROOT, 'node_modules', name), to, 'dir')
    }

    for (const s of SETUPS) {
      const dir = join(PROJECT, s.name)
      mkdirSync(dir)
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: s.type }))
      copyFileSync(join(FIXTURES, 'types.ts'), join(dir, 'types.ts'))
      for (const b of blocks) writeFileSync(join(dir, b.module), `${b.code}\n`)
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, skipLibCheck: false, noEmit: true,
            ...s.compilerOptions,
          },
          include: ['*.ts'],
        }, null, 2),
      )
    }
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    const results = await Promise.all(SETUPS.map((s) => run(process.execPath, [tsc, '-p', join(PROJECT, s.name), '--pretty', 'false'], PROJECT)))
    SETUPS.forEach((s, k) => {
      const list: string[] = []
      for (const line of results[k].stdout.split('\n')) {
        const m = /^(.*?)\((\d+),(\d+)\): error (.*)$/.exec(line)
        if (!m) {
          if (/error TS/.test(line)) list.push(line) // a global error (a missing type library, a bad option)
          continue
        }
        const file = m[1].startsWith('/') ? m[1] : join(PROJECT, m[1])
        const rel = relative(join(PROJECT, s.name), file)
        if (!rel.includes('/')) list.push(`${origin.get(rel) ?? rel} (line ${m[2]} of ${rel}): ${m[4]}`)
        else if (relative(PROJECT, file).startsWith('node_modules/leibniz/')) list.push(`${relative(PROJECT, file)}(${m[2]}): ${m[4]}`)
      }
      if (results[k].code !== 0 && list.length === 0 && !/error TS/.test(results[k].stdout)) {
        list.push(`tsc exited with ${results[k].code}: ${results[k].stderr}`)
      }
      errors.set(s.name, list)
    })
  }, 600_000)

  afterAll(() => {
    if (process.env.LEIBNIZ_KEEP_CONSUMER === undefined) rmSync(WORK, { recursive: true, force: true })
  })

  it('the types test has @ts-expect-error lines and the docs have ts blocks', () => {
    const fixture = readFileSync(join(FIXTURES, 'types.ts'), 'utf8')
    expect(fixture.match(/@ts-expect-error/g)?.length ?? 0).toBeGreaterThanOrEqual(15)
    expect(blocks.length).toBeGreaterThan(50)
  })

  it('the tarball ships declarations for every entry point', () => {
    for (const f of ['index.d.ts', 'index.d.cts', 'laws.d.ts', 'laws.d.cts', 'export.d.ts', 'export.d.cts']) {
      expect(existsSync(join(PROJECT, 'node_modules', 'leibniz', 'dist', f)), f).toBe(true)
    }
  })

  it.each([['esm', 'mjs'], ['cjs', 'cjs']])('leibniz/export loads and exports a model from the installed package (%s)', async (_kind, ext) => {
    // protobufjs (the encoder) must resolve from the package's own dependencies.
    const src = ext === 'mjs'
      ? "import { np } from 'leibniz'\nimport { exportOnnx, exportStableHlo } from 'leibniz/export'\n"
      : "const { np } = require('leibniz')\nconst { exportOnnx, exportStableHlo } = require('leibniz/export')\n"
    const body = "const m = exportOnnx((x) => x.sin().sum())(np.ones([3]))\nconst t = exportStableHlo((x) => x.sin().sum())(np.ones([3]))\nconsole.log(m instanceof Uint8Array, m.length > 50, t.includes('stablehlo.sine'))\n"
    const file = join(PROJECT, `export-smoke.${ext}`)
    writeFileSync(file, src + body)
    const r = await must(`node export-smoke.${ext}`, run(process.execPath, [file], PROJECT))
    expect(r.stdout.trim()).toBe('true true true')
  })

  it.each(SETUPS.map((s) => [s.name]))('%s: the types test and every doc block compile (strict, skipLibCheck false)', (name) => {
    const list = errors.get(name)
    expect(list, `no tsc result for ${name}`).toBeDefined()
    expect(list, `${list?.length} error(s):\n${list?.join('\n')}`).toEqual([])
  })
})
