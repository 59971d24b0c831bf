/**
 * The peers (jax-js, TensorFlow.js: about 300 MB) are not installed by the project's
 * `npm install`: they are bench/package.json's dependencies, installed into bench/node_modules
 * the first time `npm run bench` needs them (`npm ci --prefix bench`, exact versions from
 * bench/package-lock.json). Runs only for the columns asked for: `--impls baseline,leibniz`
 * never installs anything.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ImplId } from './types'

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..')

const PACKAGES: Readonly<Record<ImplId, readonly string[]>> = {
  baseline: [],
  leibniz: [],
  'jax-js': ['@jax-js/jax'],
  'tfjs-wasm': ['@tensorflow/tfjs-core', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'],
  'tfjs-cpu': ['@tensorflow/tfjs-core', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-cpu'],
  // a Python with jax, found at run time (bench/harness/python.ts), not installed
  jax: [],
  'jax-all': [],
  // onnxruntime-node is the project's own devDependency (the column is skipped without it)
  onnxruntime: [],
  // a Python with jax and diffrax, found at run time (bench/harness/diffrax.ts), not installed
  diffrax: [],
}

/** The installed version of a peer, or 'not installed'. */
export const peerVersion = (pkg: string): string => {
  try {
    return (JSON.parse(readFileSync(join(BENCH, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'not installed'
  }
}

/** Install the peers these columns need, if any is missing. Throws, saying what to run, if npm fails. */
export const ensurePeers = (impls: readonly ImplId[]): void => {
  const missing = [...new Set(impls.flatMap((i) => PACKAGES[i]))].filter((p) => !existsSync(join(BENCH, 'node_modules', p, 'package.json')))
  if (missing.length === 0) return
  const command = ['ci', '--prefix', BENCH, '--no-audit', '--no-fund']
  process.stderr.write(`The benchmark peers are not installed (${missing.join(', ')}): running npm ${command.join(' ')}\n`)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(npm, command, { stdio: ['ignore', 'inherit', 'inherit'] })
  if (r.status !== 0) {
    throw new Error(
      `installing the benchmark peers failed (${r.error?.message ?? `npm exited with ${r.status}`}).\n` +
        'Install them by hand with `npm ci --prefix bench`, or run without them: npm run bench -- --impls baseline,leibniz',
    )
  }
}
