/**
 * `npm run example -- projectile` — range and apex of a projectile with quadratic drag, and their sensitivities.
 *
 * A ball leaves the ground at 50 m/s; drag decelerates it by k·|v|·v (k per unit mass, in 1/m),
 * gravity by 9.81 m/s². Midpoint (RK2) steps of 2 ms for up to 10 s, float64. The range (where
 * the path crosses y = 0, solved for within the step) and the apex (the highest point) are
 * differentiated w.r.t. the drag coefficient k and the launch angle θ: by forward mode (jacfwd
 * through lax.foriLoop), by reverse mode (jacrev, grad), and forward through a lax.whileLoop that
 * stops at landing. vmap over launch angles draws range(θ), and Newton's method on dR/dθ
 * (forward-over-forward through the while loop) finds the best angle. Writes docs/img/projectile.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { grad, jacfwd, jacrev, jit, jvp, lax, np, vmap } from '../src'
import type { NDArray } from '../src'
import { type Marker, type Series, svgPlots } from './lib/svg'

type Params = { k: NDArray; theta: NDArray }
interface Flight { x: NDArray; y: NDArray; vx: NDArray; vy: NDArray; landed: NDArray; range: NDArray; apex: NDArray }

const V0 = 50
const G = 9.81
const DT = 2e-3
const STEPS = 5_000

/** Acceleration from gravity and quadratic drag: a = −k |v| v − g ŷ. */
const accel = (k: NDArray, vx: NDArray, vy: NDArray): [NDArray, NDArray] => {
  const speed = np.sqrt(vx.mul(vx).add(vy.mul(vy)))
  return [k.mul(speed).mul(vx).neg(), k.mul(speed).mul(vy).neg().sub(G)]
}

/**
 * One midpoint step, then the bookkeeping. Landing: in the step where y changes sign, the
 * remaining time τ solves y + vy τ + ½ ay τ² = 0 (exact without drag), and x moves on by
 * vx τ + ½ ax τ². Apex: in the step where vy changes sign, y + vy² / (−2 ay). Both use the
 * acceleration at the start of the step.
 */
const step = (p: Params, f: Flight): Flight => {
  const [ax, ay] = accel(p.k, f.vx, f.vy)
  const [mx, my] = [f.vx.add(ax.mul(DT / 2)), f.vy.add(ay.mul(DT / 2))]
  const [bx, by] = accel(p.k, mx, my)
  const [x, y, vx, vy] = [f.x.add(mx.mul(DT)), f.y.add(my.mul(DT)), f.vx.add(bx.mul(DT)), f.vy.add(by.mul(DT))]
  const lands = np.logicalAnd(np.logicalNot(f.landed), y.lt(0))
  const tops = np.logicalAnd(f.vy.gt(0), vy.le(0))
  // The guards are a second `where`: in the steps that are not a landing (or the top), the
  // square root and the divisions could see a negative or a zero, and a NaN in the unselected
  // branch of np.where would still poison the gradient.
  const disc = np.where(lands, f.vy.mul(f.vy).sub(ay.mul(f.y).mul(2)), 1)
  const tau = f.y.mul(2).div(np.where(lands, np.sqrt(disc).sub(f.vy), 1))
  const xLand = f.x.add(f.vx.mul(tau)).add(ax.mul(tau).mul(tau).mul(0.5))
  const yTop = f.y.add(f.vy.mul(f.vy).div(np.where(tops, ay.mul(-2), 1)))
  return {
    x, y, vx, vy,
    landed: np.logicalOr(f.landed, lands),
    range: np.where(lands, xLand, f.range),
    apex: np.where(tops, yTop, f.apex),
  }
}

const launch = (p: Params): Flight => ({
  x: np.array(0), y: np.array(0),
  vx: np.cos(p.theta).mul(V0), vy: np.sin(p.theta).mul(V0),
  landed: np.array(false), range: np.array(0), apex: np.array(0),
})

/** [range, apex] after a fixed 10 s (the ball has landed by then): reverse-differentiable. */
const rangeApex = (p: Params): NDArray => {
  const f = lax.foriLoop(0, STEPS, (_i: NDArray, s: Flight) => step(p, s), launch(p))
  return np.stack([f.range, f.apex])
}

/** The same, stepping only until landing: a while loop, so forward mode only (and faster). */
const rangeApexWhile = (p: Params): NDArray => {
  const f = lax.whileLoop((s: Flight) => np.logicalNot(s.landed), (s: Flight) => step(p, s), launch(p))
  return np.stack([f.range, f.apex])
}

/** The path, f64[STEPS, 2] (a scan's ys), for plotting. */
const pathJit = jit((p: Params) =>
  lax.scan((s: Flight, _x: null): [Flight, NDArray] => {
    const n = step(p, s)
    return [n, np.stack([n.x, n.y])]
  }, launch(p), null, { length: STEPS })[1])
const path = (p: Params): number[][] => pathJit(p).tolist() as number[][]

const deg = (d: number) => (d * Math.PI) / 180
const timed = <T>(f: () => T): [T, string] => {
  const t0 = performance.now()
  const r = f()
  return [r, `${((performance.now() - t0) / 1000).toFixed(2)} s`]
}
const list = (x: NDArray) => x.tolist() as number[]
const f6 = (v: number) => (v >= 0 ? ' ' : '') + v.toFixed(6)
const rel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.max(Math.abs(b[i]), 1e-300)))

const params: Params = { k: np.array(0.002), theta: np.array(deg(45)) }
console.log(`Projectile, v0 = ${V0} m/s at θ = 45°, quadratic drag k = 0.002 /m, g = ${G}; RK2, dt = ${DT} s, ${STEPS} steps\n`)
// Every transformed function is wrapped in jit: compiled once per signature, run by fused kernels.
const rangeApexJit = jit(rangeApex)
const whileJit = jit(rangeApexWhile)
const [ra, tEval] = timed(() => list(rangeApexJit(params)))
console.log(`range ${ra[0].toFixed(6)} m, apex ${ra[1].toFixed(6)} m   [${tEval}]`)

const [Jf, tF] = timed(() => jit(jacfwd(rangeApex))(params) as Params)
const [Jr, tR] = timed(() => jit(jacrev(rangeApex))(params) as Params)
console.log('\n               ∂/∂k (m per 1/m)      ∂/∂θ (m per rad)')
console.log(`  forward  R  ${f6(list(Jf.k)[0]).padEnd(20)}  ${f6(list(Jf.theta)[0])}     jacfwd through lax.foriLoop [${tF}]`)
console.log(`           A  ${f6(list(Jf.k)[1]).padEnd(20)}  ${f6(list(Jf.theta)[1])}`)
console.log(`  reverse  R  ${f6(list(Jr.k)[0]).padEnd(20)}  ${f6(list(Jr.theta)[0])}     jacrev through lax.foriLoop [${tR}]`)
console.log(`           A  ${f6(list(Jr.k)[1]).padEnd(20)}  ${f6(list(Jr.theta)[1])}`)
const fwd = [...list(Jf.k), ...list(Jf.theta)]
const rev = [...list(Jr.k), ...list(Jr.theta)]
console.log(`  forward vs reverse: max relative difference ${rel(rev, fwd).toExponential(1)}`)
const gR = jit(grad((p: Params) => rangeApex(p).sum()))(params) as Params
console.log(`  grad(R + A) = { k: ${(gR.k.item() as number).toFixed(6)}, theta: ${(gR.theta.item() as number).toFixed(6)} }`)

const [Jw, tW] = timed(() => jit(jacfwd(rangeApexWhile))(params) as Params)
console.log(`  forward through lax.whileLoop (stops at landing): max relative difference ${rel([...list(Jw.k), ...list(Jw.theta)], fwd).toExponential(1)} [${tW}]`)
try {
  grad((p: Params) => rangeApexWhile(p).sum())(params)
} catch (e) {
  console.log(`  grad through lax.whileLoop: ${(e as Error).name}: ${(e as Error).message.split(':')[0]}`)
}

const h = 1e-6
const [kUp, kDown] = [h, -h].map((d) => list(rangeApexJit({ ...params, k: np.array(0.002 + d) })))
const fdK = kUp.map((v, i) => (v - kDown[i]) / (2 * h))
console.log(`  central differences in k (h = 1e-6): R ${f6(fdK[0])}, A ${f6(fdK[1])}`)

// Without drag the answers are known: R = v0² sin 2θ / g, A = v0² sin² θ / 2g.
const vac = { k: np.array(0), theta: np.array(deg(30)) }
const [vOut, vT] = jit((p: Params, dp: Params) => jvp(rangeApexWhile, [p], [dp]))(vac, { k: np.array(0), theta: np.array(1) }) as [NDArray, NDArray]
const s2 = Math.sin(deg(60))
console.log(`\nno drag, θ = 30°: R = ${(list(vOut)[0]).toFixed(6)} (exact ${((V0 * V0 * s2) / G).toFixed(6)}), ` +
  `dR/dθ = ${(list(vT)[0]).toFixed(6)} (exact ${((2 * V0 * V0 * Math.cos(deg(60))) / G).toFixed(6)}), ` +
  `A = ${(list(vOut)[1]).toFixed(6)} (exact ${((V0 * V0 * 0.25) / (2 * G)).toFixed(6)})`)

// vmap over launch angles: every lane flies until its own landing.
const angles = Array.from({ length: 15 }, (_, i) => 10 + 5 * i)
const sweepJit = jit((p: Params, dp: Params) => jvp(vmap(rangeApexWhile), [p], [dp]))
const sweep = (k: number) => {
  const dir = { k: np.zeros([angles.length]), theta: np.ones([angles.length]) }
  const [out, tan] = sweepJit({ k: np.full([angles.length], k), theta: np.array(angles.map(deg)) }, dir) as [NDArray, NDArray]
  return { R: (out.tolist() as number[][]).map((r) => r[0]), dR: (tan.tolist() as number[][]).map((r) => r[0]) }
}
const [sw, tS] = timed(() => sweep(0.002))
console.log(`\nvmap over ${angles.length} launch angles (k = 0.002), with dR/dθ by jvp   [${tS}]`)
console.log('  ' + angles.map((a, i) => `${a}°: ${sw.R[i].toFixed(1)}`).join(', '))

// Newton on dR/dθ = 0, with d²R/dθ² by forward-over-forward through the while loop.
const R = (th: NDArray) => np.take(rangeApexWhile({ k: params.k, theta: th }), np.array(0, { dtype: 'int32' }))
const dR = (th: NDArray) => jvp(R, [th], [np.array(1)])[1] as NDArray
const newtonStep = jit((th: NDArray) => jvp(dR, [th], [np.array(1)]))
let theta = deg(45)
for (let i = 0; i < 4; i++) {
  const [g1, g2] = newtonStep(np.array(theta)) as [NDArray, NDArray]
  theta -= (g1.item() as number) / (g2.item() as number)
}
const best = list(whileJit({ k: params.k, theta: np.array(theta) }))[0]
console.log(`  best angle with drag (Newton on dR/dθ, 4 steps): θ* = ${((theta * 180) / Math.PI).toFixed(4)}°, range ${best.toFixed(4)} m`)

// The picture: paths for several drag coefficients; range(θ) with the slopes dR/dθ.
const colors = ['#7f7f7f', '#1f77b4', '#2ca02c', '#d62728']
const ks = [0, 0.001, 0.002, 0.004]
const paths: Series[] = []
const marks: Marker[] = []
for (const [i, k] of ks.entries()) {
  const pts = path({ k: np.array(k), theta: np.array(deg(45)) })
  const land = pts.findIndex((r) => r[1] < 0)
  const fl = pts.slice(0, land).filter((_, j) => j % 20 === 0)
  paths.push({ xs: [0, ...fl.map((r) => r[0])], ys: [0, ...fl.map((r) => r[1])], color: colors[i], label: `k = ${k} /m`, width: 1.8 })
  const [rr, aa] = list(whileJit({ k: np.array(k), theta: np.array(deg(45)) }))
  marks.push({ x: rr, y: 0, color: colors[i] })
  marks.push({ x: pts.reduce((m, r) => (r[1] > m[1] ? r : m))[0], y: aa, color: colors[i] })
}
const sw0 = sweep(0)
const tangents: Series[] = [20, 35, 50, 65].map((a) => {
  const j = angles.indexOf(a)
  const half = 6
  return { xs: [a - half, a + half], ys: [-half, half].map((d) => sw.R[j] + sw.dR[j] * deg(d)), color: '#d62728', width: 2 }
})
tangents[0] = { ...tangents[0], label: 'slope dR/dθ (jvp), k = 0.002' }
const svg = svgPlots(
  [
    {
      title: 'Paths at θ = 45°: range and apex marked',
      xLabel: 'x (m)',
      yLabel: 'y (m)',
      series: paths,
      markers: marks,
      yDomain: [0, 70],
    },
    {
      title: 'Range vs launch angle (vmap over angles)',
      xLabel: 'launch angle θ (degrees)',
      yLabel: 'range (m)',
      series: [
        { xs: angles, ys: sw0.R, color: '#7f7f7f', label: 'k = 0 (no drag)', dash: '5 3' },
        { xs: angles, ys: sw.R, color: '#2ca02c', label: 'k = 0.002 /m', width: 1.8 },
        ...tangents,
      ],
      markers: [{ x: (theta * 180) / Math.PI, y: best, color: '#000', label: `best θ* = ${((theta * 180) / Math.PI).toFixed(2)}° (Newton)` }],
      yDomain: [0, 280],
    },
  ],
  { caption: `v0 = ${V0} m/s, g = ${G} m/s², RK2 with dt = 2 ms, float64 — generated by npm run example -- projectile` },
)
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'img', 'projectile.svg')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, svg)
console.log(`\nwrote ${out.slice(out.lastIndexOf('docs'))}`)
