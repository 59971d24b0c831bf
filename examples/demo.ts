/**
 * `npm run demo` — a short tour of leibniz: arrays, jaxprs, derivatives of any order,
 * forward-over-reverse Hessian-vector products, per-example gradients, and jit.
 */
import fc from 'fast-check'
import { np, nn, lax, tree, grad, hessian, hvp, jacfwd, jit, jvp, makeJaxpr, valueAndGrad, vmap, customJvp, stopGradient } from '../src'
import { laws, arb } from '../laws'
import { join, relative } from 'node:path'
import { writeGraphPicture } from './graph'
import type { NDArray } from '../src'

const section = (title: string) => console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 68 - title.length))}`)
const fmt = (x: NDArray) => JSON.stringify(x.tolist(), (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v))

section('Arrays (float64 by default; methods read left to right)')
const x = np.array([[1, 2, 3], [4, 5, 6]])
console.log('x            =', fmt(x), x.dtype, x.shape)
console.log('x.T @ x      =', fmt(np.matmul(x.T, x)))
console.log('tanh(x).sum  =', x.mul(0.1).tanh().sum().item())

section('A function and its jaxpr')
const f = (a: NDArray, b: NDArray) => np.sum(np.sin(np.multiply(a, b)))
console.log(String(makeJaxpr(f)(np.zeros([3]), np.array(2.0))))

section('Its gradient, as a jaxpr too')
console.log(String(makeJaxpr(grad(f))(np.zeros([3]), np.array(2.0))))

section('The computation graph of f = (x + y) · z, with values and gradients')
const picture = writeGraphPicture(join(process.cwd(), 'demo-output', 'graph.svg'))
const fxyz = (x: NDArray, y: NDArray, z: NDArray) => x.add(y).mul(z)
const [fv, [gx, gy, gz]] = valueAndGrad(fxyz, { argnums: [0, 1, 2] })(np.array(-2.0), np.array(5.0), np.array(-4.0))
console.log(`at x = −2, y = 5, z = −4: f = ${fv.item()}, df/dx = ${gx.item()}, df/dy = ${gy.item()}, df/dz = ${gz.item()} (the picture labels every edge with value / gradient)`)
console.log(`wrote ${picture.format === 'svg' ? 'an SVG (Graphviz)' : 'Mermaid text (install graphviz for an SVG)'}: ${relative(process.cwd(), picture.path)}`)

section('Derivatives of any order: d⁶/dx⁶ sin(x) = −sin(x)')
let d: (x: NDArray) => NDArray = np.sin
for (let n = 0; n < 6; n++) d = grad(d)
console.log(`grad⁶(sin)(0.5) = ${d(np.array(0.5)).item()}   −sin(0.5) = ${-Math.sin(0.5)}`)
const tanh2 = grad(grad(np.tanh))(np.array(0.3)).item() as number
const t = Math.tanh(0.3)
console.log(`grad(grad(tanh))(0.3) = ${tanh2}   closed form −2 tanh (1 − tanh²) = ${-2 * t * (1 - t * t)}`)

section('Hessian-vector product of Rosenbrock (forward-over-reverse)')
const rosen = (v: NDArray) => {
  const n = v.shape[0]
  const head = lax.slice(v, [0], [n - 1])
  const tail = lax.slice(v, [1], [n])
  return np.sum(np.square(np.subtract(1, head)).add(np.square(tail.sub(head.mul(head))).mul(100)))
}
const p = np.array([0.5, 1.5, -0.3, 2.0])
console.log('hvp(rosen, p, e₀)  =', fmt(hvp(rosen, [p], [np.array([1, 0, 0, 0])])))
console.log('hessian(rosen)(p)₀ =', JSON.stringify((hessian(rosen)(p).tolist() as number[][])[0]), '(analytic: [−298, −200, 0, 0])')

section('Forward-mode sensitivity: jvp of a damped oscillator step')
const step = (k: NDArray) => {
  let pos = np.array(1.0)
  let vel = np.array(0.0)
  for (let i = 0; i < 100; i++) {
    const acc = pos.mul(k).neg().sub(vel.mul(0.1))
    vel = vel.add(acc.mul(0.01))
    pos = pos.add(vel.mul(0.01))
  }
  return pos
}
const [pos, dpos] = jvp(step, [np.array(4.0)], [np.array(1.0)])
console.log(`x(T; k=4) = ${pos.item()}, ∂x(T)/∂k = ${dpos.item()}`)

section('Lorenz: d(final state)/d(σ, ρ, β) through 10,000 Euler steps (lax.foriLoop, staged, not unrolled)')
const lorenz = (params: NDArray) => {
  const [sigma, rho, beta] = [0, 1, 2].map((i) => lax.slice(params, [i], [i + 1]).reshape([]))
  const step = (_i: NDArray, s: NDArray) => {
    const [x, y, z] = [0, 1, 2].map((i) => lax.slice(s, [i], [i + 1]).reshape([]))
    const ds = np.stack([sigma.mul(y.sub(x)), x.mul(rho.sub(z)).sub(y), x.mul(y).sub(beta.mul(z))])
    return s.add(ds.mul(0.001))
  }
  return lax.foriLoop(0, 10000, step, np.array([1.0, 1.0, 1.0]))
}
const p0 = np.array([10, 28, 8 / 3])
const t0 = performance.now()
const J = jit(jacfwd(lorenz))(p0)
const tJ = performance.now() - t0
console.log('final state      =', fmt(jit(lorenz)(p0)))
console.log('∂state/∂(σ,ρ,β)  =', fmt(J), `(jit(jacfwd), ${tJ.toFixed(0)} ms incl. tracing)`)
console.log('grad of Σ state  =', fmt(grad((q: NDArray) => lorenz(q).sum())(p0)), '(reverse mode agrees with the column sums)')

section('Per-example gradients: vmap(grad(loss)) for logistic regression')
const loss = (w: NDArray, xi: NDArray, yi: NDArray) => nn.binaryCrossEntropyWithLogits(np.dot(xi, w), yi)
const w = np.array([0.5, -0.25, 0.1])
const xs = np.array([[1, 2, 3], [0, 1, 0], [-1, 0.5, 2], [2, 2, -1]])
const ys = np.array([1, 0, 1, 0])
console.log('per-example grads =', fmt(vmap(grad(loss), { inAxes: [null, 0, 0] })(w, xs, ys)))

section('Property-based laws (leibniz/laws): a correct rule passes, a wrong one is caught')
const x3 = fc.tuple(arb.array({ shape: [3], min: -1.5, max: 1.5 }))
const goodSin = customJvp((x: NDArray) => np.sin(x), ([x], [t]) => [np.sin(x), np.cos(x).mul(t)])
laws.twiceDifferentiable((x: NDArray) => np.sum(goodSin(x)), x3, { numRuns: 5, seed: 1 })
console.log('customJvp(sin) with d sin = cos·dx: all first- and second-order laws hold')
// Right first derivative, but cos(x) is under stopGradient, so the second derivative is wrong.
const badSin = customJvp(function badSin(x: NDArray) { return np.sin(x) }, ([x], [t]: NDArray[]) => [np.sin(x), stopGradient(np.cos(x)).mul(t)])
try {
  laws.twiceDifferentiable((x: NDArray) => np.sum(badSin(x)), x3, { numRuns: 5, seed: 1 })
} catch (e) {
  const lines = (e as Error).message.split('\n')
  const named = lines.filter((l) => l.includes('first equation') || l.includes('-mode, order'))
  console.log('a rule whose second derivative is wrong is caught, and named:\n  ' + [lines[0], ...named.map((l) => l.trim())].join('\n  '))
}

section('A tiny MLP trained with jit: 2 → 16 → 1, tanh, 100 SGD steps')
const rand = (shape: number[], seed: number) => {
  let s = seed
  const n = shape.reduce((a, b) => a * b, 1)
  const data = Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2)
  return np.array(data).reshape(shape)
}
// Points in [−1, 1]²; label 1 inside the circle of radius 0.6.
const pts = rand([64, 2], 7)
const labels = np.less(np.sum(pts.mul(pts), 1), 0.36).astype('float64')
type Params = { w1: NDArray; b1: NDArray; w2: NDArray; b2: NDArray }
const predict = (p: Params, x: NDArray) => np.matmul(np.tanh(np.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2).reshape([-1])
const mlpLoss = (p: Params) => np.mean(nn.binaryCrossEntropyWithLogits(predict(p, pts), labels))
const sgd = jit((p: Params) => {
  const [l, g] = valueAndGrad(mlpLoss)(p)
  return [l, tree.map((w: NDArray, gw: NDArray) => w.sub(gw.mul(1.0)), p, g)] as [NDArray, Params]
})
let params: Params = { w1: rand([2, 16], 1), b1: np.zeros([16]), w2: rand([16, 1], 2).mul(0.5), b2: np.zeros([1]) }
const losses: number[] = []
for (let i = 0; i < 100; i++) {
  const [l, p] = sgd(params)
  losses.push(l.item() as number)
  params = p
}
const acc = np.mean(np.equal(np.greater(predict(params, pts), 0), np.greater(labels, 0.5)).astype('float64')).item() as number
console.log(`loss ${losses[0].toFixed(4)} → ${losses[99].toFixed(4)} (step 50: ${losses[50].toFixed(4)}), training accuracy ${(acc * 100).toFixed(0)}%, traced ${sgd.traceCount}×`)
