/**
 * The browser example's page script: reads k and c from the sliders, computes the spring's
 * path and its sensitivities (spring.ts) and draws them as SVG polylines. Runs in the page;
 * `npm run example:browser` builds and serves it.
 */
import { config } from '../../src'
import { DT, STEPS, springCurves } from './spring'

/** The few DOM calls used here (the project compiles without the DOM library). */
interface Elem {
  setAttribute(name: string, value: string): void
  appendChild(child: Elem): Elem
  replaceChildren(...children: Elem[]): void
  addEventListener(type: string, listener: () => void): void
  textContent: string | null
  readonly value: string
}
interface Doc {
  getElementById(id: string): Elem | null
  createElementNS(ns: string, tag: string): Elem
  readonly body: { readonly dataset: Record<string, string | undefined> }
}
const doc = (globalThis as unknown as { document: Doc }).document
const SVG = 'http://www.w3.org/2000/svg'

const byId = (id: string): Elem => {
  const e = doc.getElementById(id)
  if (e === null) throw new Error(`the page has no #${id}`)
  return e
}

const svgEl = (tag: string, attrs: Record<string, string | number>, text?: string): Elem => {
  const e = doc.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

const W = 840, PANEL = 230, LEFT = 60, RIGHT = 20, TOP = 20, GAP = 40
const COLORS = { x: '#1f6fb2', dk: '#d1495b', dc: '#2a9d8f' } as const
const LABELS = { x: 'x(t)', dk: '∂x/∂k', dc: '∂x/∂c' } as const

/** One panel: a frame, a zero line, y ticks, and one polyline per series. */
const panel = (y0: number, series: readonly (keyof typeof COLORS)[], data: Record<string, number[]>, t: number[]): Elem[] => {
  const vals = series.flatMap((s) => data[s])
  const hi = Math.max(...vals.map(Math.abs)) * 1.05 || 1
  const sx = (v: number) => LEFT + ((W - LEFT - RIGHT) * v) / t[t.length - 1]
  const sy = (v: number) => y0 + PANEL / 2 - (PANEL / 2) * (v / hi)
  const out: Elem[] = [svgEl('rect', { x: LEFT, y: y0, width: W - LEFT - RIGHT, height: PANEL, fill: 'none', class: 'axis' })]
  for (const v of [-hi, -hi / 2, 0, hi / 2, hi]) {
    out.push(svgEl('line', { x1: LEFT, x2: W - RIGHT, y1: sy(v), y2: sy(v), class: v === 0 ? 'axis' : 'grid' }))
    out.push(svgEl('text', { x: LEFT - 6, y: sy(v) + 4, 'text-anchor': 'end' }, v.toPrecision(2)))
  }
  series.forEach((s, q) => {
    const points = data[s].map((v, i) => `${sx(t[i]).toFixed(1)},${sy(v).toFixed(1)}`).join(' ')
    out.push(svgEl('polyline', { class: 'curve', 'data-series': s, stroke: COLORS[s], points }))
    out.push(svgEl('text', { x: W - RIGHT - 10 - (series.length - q) * 70, y: y0 + 16, fill: COLORS[s], style: `fill: ${COLORS[s]}` }, LABELS[s]))
  })
  return out
}

const render = (): void => {
  const k = Number(byId('k').value)
  const c = Number(byId('c').value)
  byId('k-value').textContent = k.toFixed(1)
  byId('c-value').textContent = c.toFixed(2)
  const start = performance.now()
  const r = springCurves(k, c)
  const ms = performance.now() - start
  const t = r.t
  const axis: Elem[] = []
  for (let s = 0; s <= STEPS * DT; s += 1) {
    const x = LEFT + ((W - LEFT - RIGHT) * s) / t[t.length - 1]
    axis.push(svgEl('text', { x, y: TOP + 2 * PANEL + GAP + 16, 'text-anchor': 'middle' }, `${s} s`))
  }
  byId('plot').replaceChildren(...panel(TOP, ['x'], r, t), ...panel(TOP + PANEL + GAP, ['dk', 'dc'], r, t), ...axis)
  const last = STEPS - 1
  byId('summary').textContent =
    `x(10 s) = ${r.x[last].toPrecision(6)}, ∂x/∂k = ${r.dk[last].toPrecision(6)}, ∂x/∂c = ${r.dc[last].toPrecision(6)}` +
    ` — ${ms.toFixed(0)} ms, evaluator: ${config.get().evaluator}`
  doc.body.dataset.final = JSON.stringify({ k, c, x: r.x[last], dk: r.dk[last], dc: r.dc[last] })
}

byId('k').addEventListener('input', render)
byId('c').addEventListener('input', render)
render()
doc.body.dataset.ready = '1'
