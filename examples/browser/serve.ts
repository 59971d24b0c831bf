/**
 * `npm run example:browser` — builds the library's ESM bundle with the example page
 * (a damped spring and its sensitivities, plotted as SVG) and serves it on
 * http://127.0.0.1:8173/ until Ctrl-C (another port: `npm run example:browser -- 9000`).
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildBrowserBundle, repoRoot } from './build'
import { serveStatic } from './server'

const out = join(repoRoot, 'node_modules/.cache/leibniz-browser-example')
mkdirSync(out, { recursive: true })
await buildBrowserBundle(out)
copyFileSync(join(repoRoot, 'examples/browser/index.html'), join(out, 'index.html'))
const port = Number(process.argv[2] ?? 8173)
const server = await serveStatic(out, { port })
console.log(`The example is at ${server.url}/ (Ctrl-C to stop).`)
