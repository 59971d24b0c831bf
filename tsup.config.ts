import { defineConfig, type Options } from 'tsup'

type Plugin = NonNullable<Options['plugins']>[number]

/**
 * esbuild writes a namespace re-export (`export * as nn from './nn'`) as
 * `var nn_exports = {}; __export(nn_exports, { relu: () => relu, … })`. A user's bundler must
 * keep that call (it cannot know `__export` only defines getters), and with it every function
 * of the namespace: importing `{ np, grad }` would still bundle `lax`, `nn`, `random` and `tree`.
 * The same object written as a literal with getters is side-effect free, so a bundler drops it
 * when it is unused. Same semantics (enumerable getters, read lazily), same line count (the
 * source maps stay aligned). ESM only: CommonJS is not tree-shaken.
 */
const pureNamespaces: Plugin = {
  name: 'pure-namespace-objects',
  renderChunk(code, chunk) {
    if (this.format !== 'esm' || !chunk.path.endsWith('.js')) return
    const entry = /^(\s+)([\w$]+|"[^"\\]*"): \(\) => ([\w$]+),?$/
    const out = code.replace(/^var ([\w$]+) = \{\};\n__export\(\1, \{\n((?:[^\n]*\n)*?)\}\);$/gm, (_m, name: string, body: string) => {
      const lines = body.split('\n').slice(0, -1).map((line) => {
        const m = entry.exec(line)
        if (m === null) throw new Error(`pure-namespace-objects: unexpected line in ${name}: ${line}`)
        return `${m[1]}get ${m[2]}() { return ${m[3]}; },`
      })
      return [`var ${name} = {`, '  // a namespace object: getters only, so a bundler can drop it when unused', ...lines, '};'].join('\n')
    })
    if (/^__export\(/m.test(out)) throw new Error(`pure-namespace-objects: an __export call was left in ${chunk.path}`)
    return { code: out }
  },
}

export default defineConfig({
  entry: { index: 'src/index.ts', laws: 'laws/index.ts', export: 'src/export/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // One shared chunk for src/, so 'leibniz' and 'leibniz/laws' see the same trace stack and classes.
  splitting: true,
  target: 'node20',
  external: ['fast-check', 'onnxruntime-node', 'onnxruntime-web', 'protobufjs'],
  // fp-ts 2's subpath modules do not resolve under Node's native ESM; bundle the little we use
  // (fp-ts is therefore a devDependency: nothing of it is imported at run time or by the types).
  noExternal: ['fp-ts'],
  plugins: [pureNamespaces],
})
