/**
 * `npm run demo` — a short tour of leibniz: arrays, jaxprs, derivatives of any order,
 * forward-over-reverse Hessian-vector products, per-example gradients, and jit.
 */
import { np, nn, lax, grad, hessian, hvp, jit, jvp, makeJaxpr, valueAndGrad, vmap } from '../src'
import type { Array } from '../src'

const section = (title: string) => console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 68 - title.length))}`)
const fmt = (x: Array) => JSON.stringify(x.tolist(), (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v))

section('Arrays (float64 by default; methods read left to right)')
const x = np.array([[1, 2, 3], [4, 5, 6]])
console.log('x            =', fmt(x), x.dtype, x.shape)
console.log('x.T @ x      =', fmt(np.matmul(x.T, x)))
console.log('tanh(x).sum  =', x.mul(0.1).tanh().sum().item())

section('A function and its jaxpr')
const f = (a: Array, b: Array) => np.sum(np.sin(np.multiply(a, b)))
console.log(String(makeJaxpr(f)(np.zeros([3]), np.array(2.0))))

section('Its gradient, as a jaxpr too')
console.log(String(makeJaxpr(grad(f))(np.zeros([3]), np.array(2.0))))

section('Derivatives of any order: d⁶/dx⁶ sin(x) = −sin(x)')
let d: (x: Array) => Array = np.sin
for (let n = 0; n < 6; n++) d = grad(d)
console.log(`grad⁶(sin)(0.5) = ${d(np.array(0.5)).item()}   −sin(0.5) = ${-Math.sin(0.5)}`)
const tanh2 = grad(grad(np.tanh))(np.array(0.3)).item() as number
const t = Math.tanh(0.3)
console.log(`grad(grad(tanh))(0.3) = ${tanh2}   closed form −2 tanh (1 − tanh²) = ${-2 * t * (1 - t * t)}`)

section('Hessian-vector product of Rosenbrock (forward-over-reverse)')
const rosen = (v: Array) => {
  const n = v.shape[0]
  const head = lax.slice(v, [0], [n - 1])
  const tail = lax.slice(v, [1], [n])
  return np.sum(np.square(np.subtract(1, head)).add(np.square(tail.sub(head.mul(head))).mul(100)))
}
const p = np.array([0.5, 1.5, -0.3, 2.0])
console.log('hvp(rosen, p, e₀)  =', fmt(hvp(rosen, [p], [np.array([1, 0, 0, 0])])))
console.log('hessian(rosen)(p)₀ =', JSON.stringify((hessian(rosen)(p).tolist() as number[][])[0]), '(analytic: [−298, −200, 0, 0])')

section('Forward-mode sensitivity: jvp of a damped oscillator step')
const step = (k: Array) => {
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

section('Per-example gradients: vmap(grad(loss)) for logistic regression')
const loss = (w: Array, xi: Array, yi: Array) => nn.binaryCrossEntropyWithLogits(np.dot(xi, w), yi)
const w = np.array([0.5, -0.25, 0.1])
const xs = np.array([[1, 2, 3], [0, 1, 0], [-1, 0.5, 2], [2, 2, -1]])
const ys = np.array([1, 0, 1, 0])
console.log('per-example grads =', fmt(vmap(grad(loss), { inAxes: [null, 0, 0] })(w, xs, ys)))

section('jit: trace once, reuse')
const train = jit((w: Array, xs: Array, ys: Array) => {
  const batchLoss = (w: Array) => np.mean(nn.binaryCrossEntropyWithLogits(np.matmul(xs, w), ys))
  const [l, g] = valueAndGrad(batchLoss)(w)
  return [l, w.sub(g.mul(0.5))]
})
let wt = w
let l0 = 0
for (let i = 0; i < 100; i++) {
  const [l, w1] = train(wt, xs, ys) as [Array, Array]
  if (i === 0) l0 = l.item() as number
  wt = w1
  if (i === 99) console.log(`loss ${l0.toFixed(4)} → ${(l.item() as number).toFixed(4)} after 100 jitted steps (traced ${train.traceCount}×)`)
}
