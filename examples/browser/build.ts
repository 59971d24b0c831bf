/**
 * Builds the library's ESM bundle for browsers, with the example's app (and any other page
 * modules) as further entry points of the same build: they share the library's chunk, so a page
 * runs one copy of it. No DOM shims or Node builtins are involved — the library needs none.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..')

/** Writes `index.js` (the library), `app.js` (the example) and `extra` entries into `outDir`. */
export const buildBrowserBundle = async (outDir: string, extra: Readonly<Record<string, string>> = {}): Promise<void> => {
  await build({
    config: false,
    entry: { index: join(repoRoot, 'src/index.ts'), app: join(repoRoot, 'examples/browser/app.ts'), ...extra },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    splitting: true,
    // a page has no node_modules: everything the library imports goes into the bundle
    noExternal: [/./],
    dts: false,
    sourcemap: true,
    clean: true,
    silent: true,
    outDir,
  })
}
