/**
 * A few line plots as a hand-written SVG document (no dependencies): panels with axes, ticks,
 * polylines, point markers and a legend. Used by the examples that draw pictures for docs/img.
 */

export interface Series {
  readonly xs: readonly number[]
  readonly ys: readonly number[]
  readonly color: string
  readonly label?: string
  readonly width?: number
  readonly dash?: string
}

export interface Marker {
  readonly x: number
  readonly y: number
  readonly color: string
  readonly label?: string
}

export interface Panel {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly series: readonly Series[]
  readonly markers?: readonly Marker[]
  /** Data ranges; default: the extent of the series (and markers), padded by 4%. */
  readonly xDomain?: readonly [number, number]
  readonly yDomain?: readonly [number, number]
  /** Draw the line y = 0 when it is inside the panel. */
  readonly zeroLine?: boolean
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const num = (v: number) => (Math.abs(v) < 1e-9 ? '0' : Number(v.toPrecision(6)).toString())

/** Round tick positions covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about five of them. */
export const ticks = (lo: number, hi: number, target = 5): number[] => {
  const raw = (hi - lo) / target
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => raw <= s) ?? 10 * mag
  const out: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t)
  return out
}

const extent = (vals: readonly number[], pad = 0.04): [number, number] => {
  let lo = Infinity
  let hi = -Infinity
  for (const v of vals) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  const d = hi > lo ? (hi - lo) * pad : Math.abs(hi) * 0.1 || 1
  return [lo - d, hi + d]
}

/** One panel inside the box (x, y, w, h) of the document, as SVG elements. */
const panelSvg = (p: Panel, x: number, y: number, w: number, h: number): string => {
  const m = { left: 62, right: 14, top: 30, bottom: 44 }
  const [x0, x1] = p.xDomain ?? extent([...p.series.flatMap((s) => s.xs), ...(p.markers ?? []).map((k) => k.x)])
  const [y0, y1] = p.yDomain ?? extent([...p.series.flatMap((s) => s.ys), ...(p.markers ?? []).map((k) => k.y)])
  const pw = w - m.left - m.right
  const ph = h - m.top - m.bottom
  const sx = (v: number) => x + m.left + ((v - x0) / (x1 - x0)) * pw
  const sy = (v: number) => y + m.top + ph - ((v - y0) / (y1 - y0)) * ph
  const out: string[] = []
  out.push(`<text x="${x + m.left + pw / 2}" y="${y + 18}" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`)
  out.push(`<rect x="${x + m.left}" y="${y + m.top}" width="${pw}" height="${ph}" fill="#fcfcfc" stroke="#444"/>`)
  for (const t of ticks(x0, x1)) {
    const px = sx(t).toFixed(1)
    out.push(`<line x1="${px}" y1="${y + m.top}" x2="${px}" y2="${y + m.top + ph}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${px}" y="${y + m.top + ph + 15}" text-anchor="middle" font-size="11">${num(t)}</text>`)
  }
  for (const t of ticks(y0, y1)) {
    const py = sy(t).toFixed(1)
    out.push(`<line x1="${x + m.left}" y1="${py}" x2="${x + m.left + pw}" y2="${py}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${x + m.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle" font-size="11">${num(t)}</text>`)
  }
  if (p.zeroLine && y0 < 0 && y1 > 0) out.push(`<line x1="${x + m.left}" y1="${sy(0).toFixed(1)}" x2="${x + m.left + pw}" y2="${sy(0).toFixed(1)}" stroke="#888"/>`)
  out.push(`<text x="${x + m.left + pw / 2}" y="${y + h - 8}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`)
  out.push(`<text transform="translate(${x + 16} ${y + m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`)
  out.push(`<clipPath id="clip${x}_${y}"><rect x="${x + m.left}" y="${y + m.top}" width="${pw}" height="${ph}"/></clipPath>`)
  out.push(`<g clip-path="url(#clip${x}_${y})">`)
  for (const s of p.series) {
    const pts = s.xs.map((v, i) => `${sx(v).toFixed(1)},${sy(s.ys[i]).toFixed(1)}`).join(' ')
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} stroke-linejoin="round" points="${pts}"/>`)
  }
  for (const k of p.markers ?? []) out.push(`<circle cx="${sx(k.x).toFixed(1)}" cy="${sy(k.y).toFixed(1)}" r="3.5" fill="${k.color}"/>`)
  out.push('</g>')
  const legend = [...p.series.filter((s) => s.label), ...(p.markers ?? []).filter((k) => k.label)]
  legend.forEach((s, i) => {
    const ly = y + m.top + 14 + i * 16
    const lx = x + m.left + 10
    out.push('xs' in s
      ? `<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`
      : `<circle cx="${lx + 9}" cy="${ly}" r="3.5" fill="${s.color}"/>`)
    out.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle" font-size="11">${esc(s.label ?? '')}</text>`)
  })
  return out.join('\n')
}

/** A document of `panels` side by side (each `panelWidth` × `height`), with an optional caption line. */
export const svgPlots = (panels: readonly Panel[], opts: { panelWidth?: number; height?: number; caption?: string } = {}): string => {
  const pw = opts.panelWidth ?? 460
  const h = opts.height ?? 360
  const capH = opts.caption ? 22 : 0
  const w = pw * panels.length
  const body = panels.map((p, i) => panelSvg(p, i * pw, 0, pw, h)).join('\n')
  const cap = opts.caption ? `\n<text x="${w / 2}" y="${h + 14}" text-anchor="middle" font-size="11" fill="#555">${esc(opts.caption)}</text>` : ''
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + capH}" viewBox="0 0 ${w} ${h + capH}" font-family="Helvetica, Arial, sans-serif">
<rect width="${w}" height="${h + capH}" fill="white"/>
${body}${cap}
</svg>
`
}
