/**
 * The staged gradient of a small MLP: the backward pass is built from the primal's own
 * primitives and linear (transposable) ones, with symbolic zeros never materialized.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, grad, makeJaxpr, np, stopGradient } from '../../src'
import { rulesOf } from '../../src/core/rules'
import type { PrimName } from '../../src/ir/params'

interface Params {
  w1: Arr
  b1: Arr
  w2: Arr
  b2: Arr
}

const mlp = (p: Params, x: Arr) => np.matmul(np.tanh(np.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2)
const loss = (p: Params, x: Arr, y: Arr) => np.mean(np.square(mlp(p, x).sub(y)))

const params: Params = {
  w1: np.array([[0.1, -0.2, 0.3, 0.4], [0.5, 0.6, -0.7, 0.8], [0.9, -1, 1.1, 0.2]]),
  b1: np.array([0.1, 0, -0.1, 0.2]),
  w2: np.array([[1, -1], [0.5, 0.25], [-0.3, 0.7], [0.2, 0.1]]),
  b2: np.array([0, 0.5]),
}
const x = np.array([[1, 2, 3], [0.5, -1, 0], [0, 0.3, -2], [1, 1, 1], [-0.5, 0.2, 0.1]])
const y = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [0.5, 0.5]])

/** The primitive of every equation line of a jaxpr's text (sub-jaxprs included). */
const primsOf = (text: string): PrimName[] =>
  [...text.matchAll(/^\s*(?:let\s+)?(?:[a-z]+:[a-z0-9]+\[[0-9,]*\]\s+)+=\s+([a-z_]+)/gm)].map((m) => m[1] as PrimName)

/** `broadcast_in_dim` of the literal 0.0: a materialized zero. */
const ZERO_BROADCAST = /= broadcast_in_dim\[[^\]]*\] (?:-?0\.0|0)\s*$/m

describe('the jaxpr of grad(MLP loss)', () => {
  const primalText = String(makeJaxpr(loss)(params, x, y))
  const gradText = String(makeJaxpr(grad(loss))(params, x, y))

  it('parses (sanity of the helpers)', () => {
    expect(primsOf(primalText)).toContain('dot_general')
    expect(primsOf(primalText)).toContain('tanh')
    expect(ZERO_BROADCAST.test('  d:f64[3] = broadcast_in_dim[shape=(3,) broadcastDimensions=()] 0.0')).toBe(true)
    expect(ZERO_BROADCAST.test('  d:f64[3] = broadcast_in_dim[shape=(3,) broadcastDimensions=()] a')).toBe(false)
  })

  it('contains only primitives of the primal function or linear (transposable) ones', () => {
    const primal = new Set(primsOf(primalText))
    const bad = primsOf(gradText).filter((p) => !primal.has(p) && rulesOf(p).transpose === undefined)
    expect(bad, gradText).toEqual([])
  })

  it('has no materialized zeros', () => {
    expect(gradText).not.toMatch(ZERO_BROADCAST)
  })

  it('computes no cotangent for the data x: 2 forward contractions + 3 backward (dW2, dh, dW1)', () => {
    expect(primsOf(gradText).filter((p) => p === 'dot_general').length).toBe(5)
  })

  it('stopGradient and an unused branch cost nothing: still no zeros, no extra contractions', () => {
    const withStop = (p: Params, xx: Arr, yy: Arr) =>
      loss(p, xx, yy).add(np.sum(stopGradient(mlp(p, xx))).mul(0.01)).add(np.sum(stopGradient(p.w1).mul(p.w1)))
    const text = String(makeJaxpr(grad(withStop))(params, x, y))
    expect(text).not.toMatch(ZERO_BROADCAST)
    // forward: 2 (the stopped mlp is the loss's own forward pass, staged once); backward: 3
    expect(primsOf(text).filter((p) => p === 'dot_general').length).toBe(5)
    const primal = new Set(primsOf(String(makeJaxpr(withStop)(params, x, y))))
    expect(primsOf(text).filter((p) => !primal.has(p) && rulesOf(p).transpose === undefined)).toEqual([])
  })
})
