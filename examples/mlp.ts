/**
 * `npm run example -- mlp` — train a small MLP with plain SGD on a synthetic dataset (two
 * interleaved spirals), with jit(valueAndGrad) over a pytree of parameters.
 */
import { jit, nn, np, random, tree, valueAndGrad } from '../src'
import type { NDArray } from '../src'

type Params = { w1: NDArray; b1: NDArray; w2: NDArray; b2: NDArray; w3: NDArray; b3: NDArray }

// Two spirals of 200 points each, labels 0 and 1 (deterministic: built from closed forms).
const N = 200
const xs: number[][] = []
const ys: number[] = []
for (let c = 0; c < 2; c++) {
  for (let i = 0; i < N; i++) {
    const r = (i / N) * 2.5 + 0.2
    const t = (i / N) * 3.5 * Math.PI + c * Math.PI
    xs.push([r * Math.cos(t) + 0.05 * Math.sin(37 * i), r * Math.sin(t) + 0.05 * Math.cos(53 * i)])
    ys.push(c)
  }
}
const X = np.array(xs)
const Y = np.array(ys)

const init = (key: NDArray, sizes: number[]): Params => {
  const keys = random.split(key, 3)
  const layer = (k: number, n: number, m: number) => random.normal(np.take(keys, np.array([k], { dtype: 'int32' }), 0).reshape([2]), [n, m]).mul(Math.sqrt(1 / n))
  return {
    w1: layer(0, sizes[0], sizes[1]), b1: np.zeros([sizes[1]]),
    w2: layer(1, sizes[1], sizes[2]), b2: np.zeros([sizes[2]]),
    w3: layer(2, sizes[2], 1), b3: np.zeros([1]),
  }
}

const logits = (p: Params, x: NDArray): NDArray => {
  const h1 = np.tanh(np.matmul(x, p.w1).add(p.b1))
  const h2 = np.tanh(np.matmul(h1, p.w2).add(p.b2))
  return np.matmul(h2, p.w3).add(p.b3).reshape([-1])
}
const loss = (p: Params): NDArray => np.mean(nn.binaryCrossEntropyWithLogits(logits(p, X), Y))

const step = jit((p: Params, lr: number) => {
  const [l, g] = valueAndGrad(loss)(p)
  return [l, tree.map((w: NDArray, gw: NDArray) => w.sub(gw.mul(lr)), p, g)] as [NDArray, Params]
}, { staticArgnums: 1 })

let params = init(random.key(0), [2, 32, 32])
const t0 = performance.now()
for (let epoch = 0; epoch <= 2000; epoch++) {
  const [l, p] = step(params, 0.5)
  if (epoch % 400 === 0) {
    const acc = np.mean(np.equal(np.greater(logits(params, X), 0), np.greater(Y, 0.5)).astype('float64')).item()
    console.log(`step ${String(epoch).padStart(4)}  loss ${l.item().toFixed(4)}  accuracy ${(acc * 100).toFixed(1)}%`)
  }
  params = p
}
console.log(`2,000 full-batch SGD steps in ${((performance.now() - t0) / 1000).toFixed(1)} s (traced ${step.traceCount}×)`)
