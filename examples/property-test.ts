/**
 * `npm run example -- property-test` — property-test a model's derivatives with leibniz/laws:
 * a layer with a hand-written (customVjp) gradient passes, and a subtly wrong one is caught.
 */
import fc from 'fast-check'
import { customVjp, nn, np } from '../src'
import type { NDArray } from '../src'
import { arb, checkGrads } from '../laws'

// The user's model: a normalizing layer y = (x − mean) / sqrt(var + ε), scaled and summed
// through softplus, with a hand-derived backward pass (the usual batch-norm gradient).
const EPS = 1e-3
const normalize = (x: NDArray): NDArray => {
  const mu = np.mean(x)
  return x.sub(mu).div(np.sqrt(np.mean(np.square(x.sub(mu))).add(EPS)))
}
const makeLayer = (bug: boolean) =>
  customVjp(
    normalize,
    (x: NDArray) => {
      const y = normalize(x)
      const inv = np.divide(1, np.sqrt(np.var(x).add(EPS)))
      return [y, [y, inv]]
    },
    ([y, inv]: [NDArray, NDArray], g: NDArray) => {
      // dx = inv · (g − mean(g) − y · mean(g·y)); the bug forgets the mean(g) term.
      const centered = bug ? g : g.sub(np.mean(g))
      return [inv.mul(centered.sub(y.mul(np.mean(g.mul(y)))))]
    },
  )
const model = (layer: (x: NDArray) => NDArray) => (x: NDArray, w: NDArray) => np.sum(nn.softplus(layer(x).mul(w)))

const args = fc.tuple(arb.array({ shape: [5], min: -2, max: 2 }), arb.array({ shape: [5], min: -1, max: 1 }))
const good = model(makeLayer(false))
const bad = model(makeLayer(true))

// The vjp of a customVjp function is defined, its jvp is not: check reverse mode against
// finite differences of the function itself.
checkGrads(good, [np.array([0.3, -1.2, 0.8, 2.0, -0.4]), np.array([0.5, -0.3, 0.9, 0.1, -0.7])], { order: 1, modes: ['rev'] })
console.log('checkGrads: the hand-written gradient agrees with finite differences')

// A property over random inputs: for every (x, w), reverse mode agrees with finite differences.
const gradientIsRight = (f: (x: NDArray, w: NDArray) => NDArray) =>
  fc.property(args, ([x, w]) => {
    checkGrads(f, [x, w], { order: 1, modes: ['rev'], seed: 1 })
  })
fc.assert(gradientIsRight(good), { numRuns: 25, seed: 3 })
console.log('fast-check: 25 random (x, w) pairs, the gradient is right at every one')
const r = fc.check(gradientIsRight(bad), { numRuns: 25, seed: 3 })
console.log(`fast-check on the buggy layer: ${r.failed ? `fails after ${r.numRuns} run(s); shrunk counterexample x = ${fc.stringify(r.counterexample?.[0]?.[0])}` : 'passes (this should not print)'}`)

try {
  checkGrads(bad, [np.array([0.3, -1.2, 0.8, 2.0, -0.4]), np.array([0.5, -0.3, 0.9, 0.1, -0.7])], { order: 1, modes: ['rev'] })
  console.log('the bug went unnoticed (this should not print)')
} catch (e) {
  console.log('checkGrads catches the forgotten mean(g) term:\n  ' + (e as Error).message)
}
