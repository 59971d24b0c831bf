/**
 * The memory/time picture of docs/simulation-sensitivity.md from the measurements of
 * bench/memory/checkpoint.ts: `npx tsx bench/memory/checkpoint.ts 1000000 --json
 * bench/memory/checkpoint-results.json`, then `npx tsx bench/memory/plot-checkpoint.ts`, which
 * writes docs/img/checkpoint-policies.svg. Every label is a policy name from a fixed list.
 * ({ binomial: 2000 } is left out: on 10⁶ steps it runs the same schedule as 'sqrt'.)
 */
import { readFileSync, writeFileSync } from 'node:fs'

interface Row { policy: string; steps: number; ms: number; overMiB: number; timeRatio: number }
const data = JSON.parse(readFileSync(new URL('./checkpoint-results.json', import.meta.url), 'utf8')) as { n: number; width: number; rows: Row[] }
const NAMES: Record<string, string> = {
  '"store"': "'store'",
  '"sqrt"': "'sqrt'",
  '{"binomial":300}': '{ binomial: 300 }',
  '{"binomial":100}': '{ binomial: 100 }',
  '{"binomial":20}': '{ binomial: 20 }',
}
const pts = data.rows.filter((r) => r.steps === data.n && r.policy in NAMES)
const [W, H, L, R, T, B] = [640, 400, 70, 30, 40, 60]
const xMax = Math.ceil(Math.max(...pts.map((p) => p.timeRatio)) / 10) * 10
const yMin = 1
const yMax = Math.pow(10, Math.ceil(Math.log10(Math.max(...pts.map((p) => p.overMiB)))))
const sx = (v: number) => L + (v / xMax) * (W - L - R)
const sy = (v: number) => H - B - ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (H - T - B)
const n = (v: number) => v.toFixed(1)
const parts: string[] = []
parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
parts.push(`<rect width="${W}" height="${H}" fill="white"/>`)
parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">grad through a ${data.n.toExponential(0).replace('e+', '·10^')}-step foriLoop, f64[${data.width}] carry</text>`)
for (let x = 0; x <= xMax; x += xMax / 5) {
  parts.push(`<line x1="${n(sx(x))}" y1="${T}" x2="${n(sx(x))}" y2="${H - B}" stroke="#ddd"/>`)
  parts.push(`<text x="${n(sx(x))}" y="${H - B + 16}" text-anchor="middle">${x}×</text>`)
}
for (let y = yMin; y <= yMax; y *= 10) {
  parts.push(`<line x1="${L}" y1="${n(sy(y))}" x2="${W - R}" y2="${n(sy(y))}" stroke="#ddd"/>`)
  parts.push(`<text x="${L - 6}" y="${n(sy(y) + 4)}" text-anchor="end">${y}</text>`)
}
parts.push(`<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">CPU time of jit(grad(f)) / CPU time of jit(f), first calls</text>`)
parts.push(`<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">peak memory above the forward pass (MiB, log)</text>`)
// the target: reverse mode within 4× the forward pass
if (4 <= xMax) parts.push(`<line x1="${n(sx(4))}" y1="${T}" x2="${n(sx(4))}" y2="${H - B}" stroke="#d62728" stroke-dasharray="4 4"/>`)
// labels of points in the right half go to their left, so they stay inside the picture; a label
// that would overlap one already placed moves down a line
const placed: { x0: number; x1: number; y: number }[] = []
for (const p of pts) {
  const [cx, cy] = [sx(p.timeRatio), sy(p.overMiB)]
  parts.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="5" fill="#1f77b4"/>`)
  const text = `${NAMES[p.policy]}: ${p.overMiB.toFixed(0)} MiB, ${p.timeRatio.toFixed(1)}×`
  const right = cx > W / 2
  const x = cx + (right ? -8 : 8)
  const [x0, x1] = right ? [x - 6.5 * text.length, x] : [x, x + 6.5 * text.length]
  let y = cy - 6
  while (placed.some((q) => Math.abs(q.y - y) < 14 && q.x0 < x1 && x0 < q.x1)) y += 14
  placed.push({ x0, x1, y })
  parts.push(`<text x="${n(x)}" y="${n(y)}" text-anchor="${right ? 'end' : 'start'}">${text}</text>`)
}
parts.push('</svg>')
writeFileSync(new URL('../../docs/img/checkpoint-policies.svg', import.meta.url), parts.join('\n') + '\n')
