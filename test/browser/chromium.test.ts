/**
 * The library in a real browser: the ESM bundle (tsup, as for the package, plus this test's
 * page module and the browser example as entries of the same build) served from 127.0.0.1 and
 * loaded into headless Chromium (Debian's `chromium`, driven by playwright-core; nothing is
 * downloaded). The page computes grad, a 1e5-element jit that runs as WebAssembly, vmap,
 * jit(jacfwd(…foriLoop…)) and toMermaid; the results must equal Node's and the closed forms.
 * Under a Content-Security-Policy:
 *   'wasm-unsafe-eval' without 'unsafe-eval' → the WebAssembly kernels still run, no warning;
 *   neither → same results, and exactly one console warning saying what to allow.
 * The example page (examples/browser) is screenshot-tested: its curves are drawn and its values
 * are Node's.
 *
 * Chromium is looked for at $LEIBNIZ_CHROMIUM or /usr/bin/chromium (.ci/run installs it). Without
 * it the test fails under CI=true and is skipped, with a message, elsewhere.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBrowserBundle, repoRoot } from '../../examples/browser/build'
import { type StaticServer, serveStatic } from '../../examples/browser/server'
import { springCurves } from '../../examples/browser/spring'
import { type CheckResults, FORI_H, FORI_STEPS, GRAD_X, VMAP_X, runChecks } from './checks'

const CHROMIUM = process.env.LEIBNIZ_CHROMIUM ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
const inCI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false'
const missing = `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does) or set LEIBNIZ_CHROMIUM to a Chromium executable`

const CSP = {
  plain: undefined,
  'csp-wasm': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
  'csp-none': "default-src 'self'; script-src 'self'",
} as const
type PageKind = keyof typeof CSP

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>leibniz checks</title></head>
<body><script type="module" src="./page.js"></script></body></html>`

if (!haveChromium && !inCI) console.warn(`[browser test skipped] ${missing}`)

describe.runIf(!haveChromium && inCI)('Chromium (required in CI)', () => {
  it('is installed', () => {
    throw new Error(missing)
  })
})

describe.runIf(haveChromium)('in headless Chromium', () => {
  let root: string
  let server: StaticServer
  let browser: Browser
  let node: CheckResults

  beforeAll(async () => {
    const cache = join(repoRoot, 'node_modules/.cache')
    mkdirSync(cache, { recursive: true })
    root = mkdtempSync(join(cache, 'leibniz-browser-'))
    await buildBrowserBundle(root, { page: join(repoRoot, 'test/browser/page.ts') })
    for (const kind of Object.keys(CSP)) writeFileSync(join(root, `${kind}.html`), PAGE_HTML)
    copyFileSync(join(repoRoot, 'examples/browser/index.html'), join(root, 'example.html'))
    server = await serveStatic(root, {
      lifetimeMs: 300_000,
      headers: (path) => {
        const csp = CSP[path.replace(/^\/|\.html$/g, '') as PageKind]
        return csp === undefined ? {} : ({ 'content-security-policy': csp } as Record<string, string>)
      },
    })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 })
    node = runChecks()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (root !== undefined) rmSync(root, { recursive: true, force: true })
  })

  interface Loaded {
    readonly page: Page
    readonly results: CheckResults
    readonly warnings: string[]
    readonly errors: string[]
  }

  /** Opens a page, waits for its checks, and collects what the console got meanwhile. */
  const load = async (kind: PageKind): Promise<Loaded> => {
    const page = await browser.newPage()
    const warnings: string[] = []
    const errors: string[] = []
    page.on('console', (m) => (m.type() === 'warning' ? warnings : m.type() === 'error' ? errors : []).push(m.text()))
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`))
    await page.goto(`${server.url}/${kind}.html`)
    await page.waitForFunction(() => (globalThis as { leibnizChecks?: unknown }).leibnizChecks !== undefined, null, { timeout: 60_000 })
    const r = (await page.evaluate(() => (globalThis as { leibnizChecks?: unknown }).leibnizChecks)) as { ok: boolean; results?: CheckResults; error?: string }
    expect(r.error, `the page's checks threw (console errors: ${errors.join(' | ')})`).toBeUndefined()
    return { page, results: r.results as CheckResults, warnings, errors }
  }

  /** The browser's numbers against Node's and against closed forms. */
  const expectSameValues = (b: CheckResults): void => {
    // grad Σ sin(x)·x = cos(x)·x + sin(x)
    GRAD_X.forEach((x, i) => expect(b.grad[i]).toBeCloseTo(Math.cos(x) * x + Math.sin(x), 14))
    // (the last bits may differ: engines' sin/cos, and fused vs interpreted evaluation)
    b.grad.forEach((v, i) => expect(v).toBeCloseTo(node.grad[i], 15))
    VMAP_X.forEach((row, r) => row.forEach((x, i) => expect(b.vmap[r][i]).toBeCloseTo(Math.cos(x) * x + Math.sin(x), 14)))
    b.vmap.forEach((row, r) => row.forEach((v, i) => expect(v).toBeCloseTo(node.vmap[r][i], 15)))
    // u_N = (1 − h·a)^N: ∂u/∂a = −h·N·(1 − h·a)^(N−1), ∂u/∂b = 0
    expect(b.jacFori.a[0]).toBeCloseTo(-FORI_H * FORI_STEPS * (1 - FORI_H * 0.5) ** (FORI_STEPS - 1), 12)
    expect(b.jacFori.b[0]).toBe(0)
    for (const k of ['a', 'b'] as const) b.jacFori[k].forEach((v, i) => expect(v).toBeCloseTo(node.jacFori[k][i], 12))
    expect(b.mermaid).toBe(node.mermaid)
    expect(b.mermaid).toMatch(/^(flowchart|graph) /)
    // float32 map (≤ 1 ulp transcendentals): against Node's run of the same kernels
    b.wasm.picks.forEach((v, i) => expect(Math.abs(v - node.wasm.picks[i])).toBeLessThanOrEqual(Math.abs(node.wasm.picks[i]) * 2 ** -22 + 1e-30))
    expect(Math.abs(b.wasm.sum - node.wasm.sum)).toBeLessThanOrEqual(1e-6 * Math.abs(node.wasm.sum))
  }

  it('Node itself: compiled, the 1e5-element map ran as WebAssembly', () => {
    expect(node.evaluator).toBe('compiled')
    expect(node.wasm.calls).toBeGreaterThan(0)
    expectSameValues(node)
  })

  it('no CSP: compiled kernels, the map runs as WebAssembly, values equal Node’s, a quiet console', async () => {
    const { page, results, warnings, errors } = await load('plain')
    expect(results.evaluator).toBe('compiled')
    expect(results.wasm.calls).toBeGreaterThan(0)
    expectSameValues(results)
    expect(warnings).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it("CSP with 'wasm-unsafe-eval' only: WebAssembly kernels still run, values equal Node’s, no warning", async () => {
    const { page, results, warnings, errors } = await load('csp-wasm')
    expect(results.evaluator).toBe('wasm-kernels')
    expect(results.wasm.calls).toBeGreaterThanOrEqual(3) // mul, add, tanh, mul: each a wasm map
    expectSameValues(results)
    expect(warnings).toEqual([])
    // at most the one refused probe of `new Function` is reported by the browser
    expect(errors.length).toBeLessThanOrEqual(1)
    await page.close()
  }, 120_000)

  it('CSP allowing neither: values equal Node’s, exactly one warning saying what to allow', async () => {
    const { page, results, warnings, errors } = await load('csp-none')
    expect(results.evaluator).toBe('interpreter')
    expect(results.wasm.calls).toBe(0)
    expectSameValues(results)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^leibniz: /)
    expect(warnings[0]).toMatch(/'wasm-unsafe-eval'/)
    expect(warnings[0]).toMatch(/'unsafe-eval'/)
    // the two refused probes at most (one for JavaScript, one for WebAssembly)
    expect(errors.length).toBeLessThanOrEqual(2)
    await page.close()
  }, 120_000)

  it('the example page draws the spring and its sensitivities with Node’s values (screenshot)', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 780 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    await page.goto(`${server.url}/example.html`)
    await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.ready === '1', null, { timeout: 60_000 })
    expect(errors).toEqual([])
    const want = springCurves(4, 0.3)
    const last = want.x.length - 1
    // Node's sensitivities against central differences of the simulation (float64)
    const h = 1e-6
    expect(want.dk[last]).toBeCloseTo((springCurves(4 + h, 0.3).x[last] - springCurves(4 - h, 0.3).x[last]) / (2 * h), 7)
    expect(want.dc[last]).toBeCloseTo((springCurves(4, 0.3 + h).x[last] - springCurves(4, 0.3 - h).x[last]) / (2 * h), 7)
    const final = JSON.parse((await page.getAttribute('body', 'data-final')) ?? '{}')
    expect(final.x).toBeCloseTo(want.x[last], 12)
    expect(final.dk).toBeCloseTo(want.dk[last], 12)
    expect(final.dc).toBeCloseTo(want.dc[last], 12)
    for (const s of ['x', 'dk', 'dc']) {
      const points = (await page.getAttribute(`polyline[data-series="${s}"]`, 'points')) ?? ''
      expect(points.trim().split(/\s+/), s).toHaveLength(want.x.length)
    }
    expect(await page.textContent('#summary')).toMatch(/evaluator: compiled/)

    const png = await page.screenshot()
    const shots = join(repoRoot, 'node_modules/.cache/leibniz-browser-shots')
    mkdirSync(shots, { recursive: true })
    writeFileSync(join(shots, 'example.png'), png)
    // decode the screenshot in the browser and count the pixels of each curve's colour
    const counts = await page.evaluate(async (src: string) => {
      const g = globalThis as unknown as {
        Image: new () => { src: string; decode(): Promise<void>; width: number; height: number }
        document: { createElement(t: 'canvas'): { width: number; height: number; getContext(k: '2d'): { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } }
      }
      const img = new g.Image()
      img.src = src
      await img.decode()
      const canvas = g.document.createElement('canvas')
      canvas.width = img.width
      canvas.height = img.height
      const ctx = canvas.getContext('2d')
      ctx.drawImage(img, 0, 0)
      const d = ctx.getImageData(0, 0, img.width, img.height).data
      const colours = { x: [0x1f, 0x6f, 0xb2], dk: [0xd1, 0x49, 0x5b], dc: [0x2a, 0x9d, 0x8f] }
      const out: Record<string, number> = { x: 0, dk: 0, dc: 0, nonWhite: 0 }
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) out.nonWhite++
        for (const [k, c] of Object.entries(colours)) if (Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) < 40) out[k]++
      }
      return out
    }, `data:image/png;base64,${png.toString('base64')}`)
    for (const s of ['x', 'dk', 'dc']) expect(counts[s], `${s} pixels`).toBeGreaterThan(500)
    expect(counts.nonWhite).toBeGreaterThan(10_000)
    await page.close()
  }, 120_000)
})
