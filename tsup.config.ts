import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', laws: 'laws/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // One shared chunk for src/, so 'leibniz' and 'leibniz/laws' see the same trace stack and classes.
  splitting: true,
  target: 'node20',
  external: ['fast-check'],
  // fp-ts 2's subpath modules do not resolve under Node's native ESM; bundle the little we use.
  noExternal: ['fp-ts'],
})
