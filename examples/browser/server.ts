/**
 * A static file server for the browser example and the browser test: 127.0.0.1 only, a random
 * free port unless one is given, files under `root` only, and an optional lifetime after which
 * it closes by itself (a test that dies early leaves no server behind).
 */
import { readFile } from 'node:fs/promises'
import { type Server, createServer } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  readonly url: string
  close(): Promise<void>
}

export interface StaticOptions {
  /** 0 (the default): any free port. */
  readonly port?: number
  /** Extra response headers for a request path (a Content-Security-Policy, …). */
  readonly headers?: (path: string) => Readonly<Record<string, string>>
  /** Close after this many milliseconds (default: never). */
  readonly lifetimeMs?: number
}

export const serveStatic = async (root: string, opts: StaticOptions = {}): Promise<StaticServer> => {
  const base = resolve(root)
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path))
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end()
      return
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...opts.headers?.(path) })
        res.end(body)
      },
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'),
    )
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok())
  })
  const close = (): Promise<void> =>
    new Promise((ok) => {
      server.close(() => ok())
      server.closeAllConnections()
    })
  if (opts.lifetimeMs !== undefined) setTimeout(() => void close(), opts.lifetimeMs).unref()
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, close }
}
