// The jax.nn activations, logmeanexp, standardize and dotProductAttention against JAX
// (test/fixtures/nn/activations.json, float64, made by make_activations.py beside it):
// values, first and second derivatives (kink conventions included), vmap and jit samples.
import { describe, expect, it } from 'vitest'
import { grad, jit, nn, np, vmap } from '../../src/index'
import type { Tracer } from '../../src/core/tracer'
import { dec, expectRef, loadFixture } from '../numpy/jaxfixture'

const fx = loadFixture('nn', 'activations.json')
const A = (v: unknown) => np.array(dec(v as never))
type F1 = (x: Tracer) => Tracer

const acts: Record<string, F1> = {
  silu: nn.silu, elu: (x) => nn.elu(x), celu: (x) => nn.celu(x), selu: nn.selu, leakyRelu: (x) => nn.leakyRelu(x),
  relu6: nn.relu6, hardTanh: nn.hardTanh, hardSigmoid: nn.hardSigmoid, hardSilu: nn.hardSilu, mish: nn.mish,
  softSign: nn.softSign, elu_a: (x) => nn.elu(x, 0.3), celu_a: (x) => nn.celu(x, 2.5), leakyRelu_a: (x) => nn.leakyRelu(x, 0.2),
}

describe('activations', () => {
  for (const [name, f] of Object.entries(acts)) {
    it(`${name}: values, f′ and f″ (at the kinks as JAX)`, () => {
      const c = fx[name]
      const x = A(c.x)
      expectRef(f(x), c.value, 1e-15, name)
      expectRef(vmap(grad(f))(x), c.d1, 1e-14, `${name}′`)
      const d2 = vmap(grad(grad(f)))(x)
      const want = dec(c.d2 as never) as number[]
      const xs = x.tolist() as number[]
      // f″ at 0 where f″ jumps there: celu″ (JAX's max/min tie gives ¼·(1/α), ours the
      // left-side limit 1/α) and softSign″ (JAX's abs′(0) = 1 gives −2; ours, abs′(0) = 0 as
      // sign(0), gives the mean 0 of the one-sided limits ∓2). First derivatives agree.
      const kinked = name.startsWith('celu') || name === 'softSign'
      const skip = xs.map((v) => kinked && v === 0)
      const got = d2.tolist() as number[]
      want.forEach((w, i) => {
        if (skip[i]) return
        expect(Math.abs(got[i] - w), `${name}″ at ${xs[i]}: got ${got[i]}, want ${w}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(w)))
      })
    })
  }
  it('swish and hardSwish are silu and hardSilu; jit agrees', () => {
    const x = A(fx.silu.x)
    expectRef(nn.swish(x), fx.silu.value, 1e-15)
    expectRef(nn.hardSwish(x), fx.hardSilu.value, 1e-15)
    expectRef(jit(nn.mish)(x), fx.mish.value, 1e-15)
  })
  it('glu splits an axis in halves: a·σ(b); odd sizes are an error', () => {
    const c = fx.glu
    const X = A(c.X)
    expectRef(nn.glu(X), c.v, 1e-15)
    const X2 = np.array((X.tolist() as number[][]).slice(0, 2))
    expectRef(nn.glu(X2, 0), c.v0, 1e-15)
    const W = np.array([[1, -2], [0.25, 1], [1, 1]])
    expectRef(grad((x: Tracer) => nn.glu(x).mul(W).sum())(X), c.g, 1e-14)
    expect(() => nn.glu(np.ones([2, 3]))).toThrow(/even/)
  })
  it('logmeanexp: logsumexp − log n, stable at −800', () => {
    const c = fx.logmeanexp
    const X = A(c.X)
    expectRef(nn.logmeanexp(X, 1), c.v, 1e-15)
    expectRef(nn.logmeanexp(X), c.vall, 1e-15)
    expectRef(nn.logmeanexp(X, 0, { keepdims: true }), c.v0k, 1e-15)
    expectRef(grad((x: Tracer) => nn.logmeanexp(x, 1).mul(np.array([1, -2, 3])).sum())(X), c.g, 1e-14)
  })
  it('standardize: default (JAX\'s one-pass variance), stable, given mean / variance', () => {
    const c = fx.standardize
    const X = A(c.X)
    expectRef(nn.standardize(X), c.v, 1e-14)
    expectRef(nn.standardize(X, 0), c.v0, 1e-14)
    expectRef(nn.standardize(X, -1, { algorithm: 'stable', epsilon: 1e-3 }), c.vs, 1e-14)
    expectRef(nn.standardize(X, -1, { mean: 0.5, variance: 2 }), c.vm, 1e-15)
    const W = np.array([[1, -2, 0.5, 3], [0.25, 1, -1, 2]])
    expectRef(grad((x: Tracer) => nn.standardize(x).mul(W).sum())(X), c.g, 1e-13)
  })
})

describe('dotProductAttention', () => {
  const c = fx.attention
  const [q, k, v, bias, Wo] = [A(c.q), A(c.k), A(c.v), A(c.bias), A(c.Wo)]
  const mask = A(c.mask).gt(0)
  const opts = { bias, mask, isCausal: true, scale: 0.7 }
  it('grouped-query heads, bias, mask (a fully masked row is uniform), causal, scale', () => {
    expectRef(nn.dotProductAttention(q, k, v, opts), c.out, 1e-14)
    expectRef(nn.dotProductAttention(q, k, v), c.plain, 1e-14)
  })
  it('derivatives in q, k, v and the bias', () => {
    const loss = (a: Tracer, b: Tracer, d: Tracer, e: Tracer) =>
      nn.dotProductAttention(a, b, d, { ...opts, bias: e }).mul(Wo).sum()
    expectRef(grad(loss)(q, k, v, bias), c.gq, 1e-13)
    expectRef(grad(loss, { argnums: 1 })(q, k, v, bias), c.gk, 1e-13)
    expectRef(grad(loss, { argnums: 2 })(q, k, v, bias), c.gv, 1e-13)
    expectRef(grad(loss, { argnums: 3 })(q, k, v, bias), c.gb, 1e-13)
  })
  it('unbatched [T, N, H] inputs, vmap over the batch, jit', () => {
    const plain = nn.dotProductAttention(q, k, v)
    const one = nn.dotProductAttention(np.take(q, 1, 0), np.take(k, 1, 0), np.take(v, 1, 0))
    expectRef(one, (plain.tolist() as unknown[])[1] as number[], 1e-15)
    expectRef(vmap((a: Tracer, b: Tracer, d: Tracer) => nn.dotProductAttention(a, b, d))(q, k, v), c.plain, 1e-14)
    expectRef(jit((a: Tracer, b: Tracer, d: Tracer) => nn.dotProductAttention(a, b, d))(q, k, v), c.plain, 1e-14)
  })
  it('sequence lengths and a local window are masks', () => {
    const lens = np.array([2, 4], { dtype: 'int32' })
    const viaLen = nn.dotProductAttention(q, k, v, { keyValueSeqLengths: lens })
    const m = np.arange(4).reshape([1, 1, 1, 4]).lt(lens.reshape([2, 1, 1, 1]))
    expectRef(viaLen, nn.dotProductAttention(q, k, v, { mask: m }).tolist() as number[], 1e-15)
    const win = nn.dotProductAttention(q, k, v, { localWindowSize: [1, 0] })
    const t = np.arange(3).reshape([3, 1])
    const s = np.arange(4).reshape([1, 4])
    const wm = np.logicalAnd(s.le(t), s.ge(t.sub(1)))
    expectRef(win, nn.dotProductAttention(q, k, v, { mask: wm }).tolist() as number[], 1e-15)
  })
  it('bad shapes and a non-bool mask are named errors', () => {
    expect(() => nn.dotProductAttention(np.ones([1, 2, 3, 4]), np.ones([1, 2, 2, 4]), np.ones([1, 2, 2, 4]))).toThrow(/multiple/)
    expect(() => nn.dotProductAttention(q, k, v, { mask: np.ones([1, 1, 3, 4]) })).toThrow(/bool/)
    expect(() => nn.dotProductAttention(q, np.ones([2, 4, 2, 3]), np.ones([2, 4, 2, 3]))).toThrow(/\[B, S, K, H\]/)
  })
})
