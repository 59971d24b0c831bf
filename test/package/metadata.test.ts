// What a user sees of the package before running it: the license, the metadata that points
// to the repository, and a README whose links work where it is read (on the repository's
// page, on a registry's page, in node_modules/leibniz/README.md) — so they are absolute.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const REPO = 'https://github.com/leibniz-js/leibniz'

describe('package metadata', () => {
  it('ships an MIT LICENSE, as package.json says', () => {
    expect(pkg.license).toBe('MIT')
    const text = readFileSync(join(root, 'LICENSE'), 'utf8')
    expect(text).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the leibniz authors\n/)
    expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS"')
    expect(pkg.files).toContain('LICENSE')
  })
  it('repository, homepage and bugs point to the same repository', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPO}.git` })
    expect(pkg.homepage).toBe(`${REPO}#readme`)
    expect(pkg.bugs).toEqual({ url: `${REPO}/issues` })
    expect(pkg.keywords.length).toBeGreaterThan(3)
  })
  it('declares as side-effectful exactly the modules whose import installs something', () => {
    // src/rules.ts registers the rule table, src/numpy/methods.ts installs the Array methods;
    // both are imported for their effect only (`import './rules'`), which a bundler would drop
    // if they were not listed. The built files (dist/) are all free of side effects.
    expect(pkg.sideEffects).toEqual(['./src/rules.ts', './src/numpy/methods.ts'])
    for (const f of pkg.sideEffects as string[]) expect(existsSync(join(root, f)), f).toBe(true)
  })
  it('the README quick start installs no benchmark peer', () => {
    const deps = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies }
    expect(Object.keys(deps).filter((d) => /^@tensorflow\/|^@jax-js\//.test(d))).toEqual([])
    const bench = JSON.parse(readFileSync(join(root, 'bench', 'package.json'), 'utf8'))
    expect(Object.keys(bench.dependencies)).toContain('@jax-js/jax')
    expect(Object.keys(bench.dependencies)).toContain('@tensorflow/tfjs-core')
  })
})

describe('README links', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1])
  it('are absolute (a relative link breaks outside the repository)', () => {
    expect(links.length).toBeGreaterThan(5)
    expect(links.filter((l) => !/^(https?:\/\/|#)/.test(l))).toEqual([])
  })
  it('to the repository name files that exist', () => {
    const prefix = `${REPO}/blob/main/`
    const local = links.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).replace(/#.*$/, ''))
    expect(local.length).toBeGreaterThan(5)
    for (const f of local) expect(existsSync(join(root, f)), f).toBe(true)
  })
})
