/**
 * A log-log line chart as hand-written SVG (no dependency): one panel per workload, time per
 * call against the problem size, one line per implementation. Every piece of text that reaches
 * the document goes through `escapeXml`, and every number through `num` (finite, fixed digits),
 * so names from anywhere cannot break the markup.
 */

export interface Series {
  /** the line's label (an implementation) */
  readonly label: string
  /** (size, milliseconds) points; non-finite or non-positive values are skipped */
  readonly points: readonly (readonly [number, number])[]
}

export interface Panel {
  readonly title: string
  /** the x axis: what the size counts ("n (elements)", "steps") */
  readonly xLabel: string
  readonly series: readonly Series[]
}

/** The five characters XML gives a meaning to, as entities. */
export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'))

const num = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0')

/** A fixed palette (colour-blind friendly); lines beyond it repeat with a dash pattern. */
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000']

const PW = 340 // panel width and height, px
const PH = 260
const M = { left: 58, right: 14, top: 30, bottom: 44 }

const decades = (lo: number, hi: number): number[] => {
  const out: number[] = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e)
  return out
}

const fmtTick = (v: number): string => {
  const e = Math.round(Math.log10(v))
  return e >= -2 && e <= 3 ? String(v) : `1e${e}`
}

const panelSvg = (p: Panel, x0: number, labels: readonly string[]): string => {
  const pts = p.series.flatMap((s) => s.points.filter(([n, t]) => n > 0 && t > 0 && Number.isFinite(n) && Number.isFinite(t)))
  const out: string[] = [`<g transform="translate(${num(x0)},0)">`, `<text x="${num(PW / 2)}" y="18" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>`]
  if (pts.length === 0) {
    out.push(`<text x="${num(PW / 2)}" y="${num(PH / 2)}" text-anchor="middle">no data</text>`, '</g>')
    return out.join('\n')
  }
  const xs = decades(Math.min(...pts.map((q) => q[0])), Math.max(...pts.map((q) => q[0])))
  const ys = decades(Math.min(...pts.map((q) => q[1])), Math.max(...pts.map((q) => q[1])))
  const [lx0, lx1] = [Math.log10(xs[0]), Math.log10(xs[xs.length - 1])]
  const [ly0, ly1] = [Math.log10(ys[0]), Math.log10(ys[ys.length - 1])]
  const w = PW - M.left - M.right
  const h = PH - M.top - M.bottom
  const X = (v: number) => M.left + ((Math.log10(v) - lx0) / Math.max(lx1 - lx0, 1e-9)) * w
  const Y = (v: number) => M.top + h - ((Math.log10(v) - ly0) / Math.max(ly1 - ly0, 1e-9)) * h
  for (const v of xs) {
    out.push(`<line x1="${num(X(v))}" y1="${num(M.top)}" x2="${num(X(v))}" y2="${num(M.top + h)}" stroke="#ddd"/>`)
    out.push(`<text x="${num(X(v))}" y="${num(M.top + h + 14)}" text-anchor="middle" font-size="10">${escapeXml(fmtTick(v))}</text>`)
  }
  for (const v of ys) {
    out.push(`<line x1="${num(M.left)}" y1="${num(Y(v))}" x2="${num(M.left + w)}" y2="${num(Y(v))}" stroke="#ddd"/>`)
    out.push(`<text x="${num(M.left - 4)}" y="${num(Y(v) + 3)}" text-anchor="end" font-size="10">${escapeXml(fmtTick(v))}</text>`)
  }
  out.push(`<rect x="${num(M.left)}" y="${num(M.top)}" width="${num(w)}" height="${num(h)}" fill="none" stroke="#888"/>`)
  out.push(`<text x="${num(M.left + w / 2)}" y="${num(PH - 8)}" text-anchor="middle" font-size="11">${escapeXml(p.xLabel)}</text>`)
  out.push(`<text transform="translate(12,${num(M.top + h / 2)}) rotate(-90)" text-anchor="middle" font-size="11">ms per call</text>`)
  for (const s of p.series) {
    const k = labels.indexOf(s.label)
    const colour = COLOURS[k % COLOURS.length]
    const dash = k >= COLOURS.length ? ' stroke-dasharray="4 3"' : ''
    const ok = s.points.filter(([n, t]) => n > 0 && t > 0 && Number.isFinite(n) && Number.isFinite(t))
    if (ok.length === 0) continue
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${ok.map(([n, t]) => `${num(X(n))},${num(Y(t))}`).join(' ')}"/>`)
    for (const [n, t] of ok) out.push(`<circle cx="${num(X(n))}" cy="${num(Y(t))}" r="2.5" fill="${colour}"/>`)
  }
  out.push('</g>')
  return out.join('\n')
}

/** The whole chart: panels side by side, a shared legend, a title and a caption line. */
export const scalingSvg = (title: string, caption: string, panels: readonly Panel[]): string => {
  const labels = [...new Set(panels.flatMap((p) => p.series.map((s) => s.label)))]
  const width = Math.max(1, panels.length) * PW
  const legendY = PH + 40
  const height = legendY + 20 + 18
  const body = panels.map((p, i) => panelSvg(p, i * PW, labels))
  const legend = labels.map((l, k) => {
    const x = 20 + k * 130
    const colour = COLOURS[k % COLOURS.length]
    return `<line x1="${x}" y1="${legendY}" x2="${x + 24}" y2="${legendY}" stroke="${colour}" stroke-width="2"${k >= COLOURS.length ? ' stroke-dasharray="4 3"' : ''}/>` +
      `<text x="${x + 30}" y="${legendY + 4}" font-size="12">${escapeXml(l)}</text>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    '<rect width="100%" height="100%" fill="#fff"/>',
    `<g transform="translate(0,12)">`,
    ...body,
    '</g>',
    ...legend,
    `<text x="10" y="${num(height - 6)}" font-size="10" fill="#555">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n')
}
