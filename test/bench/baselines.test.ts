/**
 * The plain-JS baselines of bench/ are the reference every benchmarked answer is checked
 * against, so they are checked here against independent computations on tiny inputs:
 * hand-computed values, op-by-op evaluation of the workload's definition, and central
 * finite differences (float64) of the plain function for every hand-written derivative.
 * (No timing here: benchmarks are not tests.)
 */
import { describe, expect, it } from 'vitest'
import { w1Value } from '../../bench/baselines/w1'
import { w2Grad } from '../../bench/baselines/w2'
import { mlpLoss, mlpValueAndGrad, type MlpDims, type MlpParams } from '../../bench/baselines/w3'
import { rosenbrock, rosenbrockHvp, rosenbrockHvpBranchy } from '../../bench/baselines/w4'
import { tanhViaExp } from '../../bench/baselines/fastmath'
import { lorenzFinal, lorenzSensitivity } from '../../bench/baselines/w5'
import { logisticLoss, perExampleGrads } from '../../bench/baselines/w6'
import { chainGrad, chainValue } from '../../bench/baselines/w7'
import { smallGrad, smallValue } from '../../bench/baselines/w8'
import { lotkaSensitivity } from '../../bench/baselines/w11'
import { grayScottJacobian, grayScottSums } from '../../bench/baselines/w9'
import { grayScottSetup } from '../../bench/workloads/w9'
import { compareParts } from '../../bench/harness/compare'
import { stats } from '../../bench/harness/measure'
import { uniform64 } from '../../bench/harness/rng'

/** ∂f/∂xᵢ by central differences, for every i. */
const fdGrad = (f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-6): Float64Array => {
  const g = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const xp = Float64Array.from(x)
    const xm = Float64Array.from(x)
    xp[i] += h
    xm[i] -= h
    g[i] = (f(xp) - f(xm)) / (2 * h)
  }
  return g
}

/** max|a − b| / max|b| */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let d = 0
  let s = 0
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]))
    s = Math.max(s, Math.abs(b[i]))
  }
  return d / s
}

describe('W1/W2: sum(tanh(1.5x + 0.5) · exp(−x²)) and its fused gradient', () => {
  it('W1 matches hand-computed values', () => {
    expect(w1Value([0])).toBeCloseTo(Math.tanh(0.5), 14)
    expect(w1Value([0, 1, -1])).toBeCloseTo(Math.tanh(0.5) + Math.tanh(2) / Math.E + Math.tanh(-1) / Math.E, 14)
    expect(w1Value(new Float32Array(0))).toBe(0)
  })
  it('tanh by one exp: within 4e-16 of Math.tanh, saturating without NaN', () => {
    let worst = 0
    for (let u = -30; u <= 30; u += 0.001) worst = Math.max(worst, Math.abs(tanhViaExp(u) - Math.tanh(u)))
    expect(worst).toBeLessThan(4e-16)
    expect(tanhViaExp(800)).toBe(1)
    expect(tanhViaExp(-800)).toBe(-1)
    expect(tanhViaExp(0)).toBe(0)
  })
  it('W2 fused analytic gradient = finite differences of W1', () => {
    const x = uniform64(5, 12, -2, 2)
    expect(relErr(w2Grad(x), fdGrad(w1Value, x))).toBeLessThan(1e-6)
  })
})

describe('W3: MLP value and gradient', () => {
  const d: MlpDims = { batch: 3, nIn: 4, nHid: 5, nOut: 3 }
  const p: MlpParams = {
    W1: uniform64(1, d.nIn * d.nHid, -0.8, 0.8),
    b1: uniform64(2, d.nHid, -0.3, 0.3),
    W2: uniform64(3, d.nHid * d.nOut, -0.8, 0.8),
    b2: uniform64(4, d.nOut, -0.3, 0.3),
  }
  const X = uniform64(5, d.batch * d.nIn, -1, 1)
  // one-hot rows, plus a row of soft labels (the gradient uses Σ_c Y_ic, not 1)
  const Y = Float64Array.from([0, 1, 0, 1, 0, 0, 0.2, 0.3, 0.4])

  /** the forward pass op by op, with explicit softmax probabilities */
  const naiveLoss = (q: MlpParams): number => {
    let loss = 0
    for (let i = 0; i < d.batch; i++) {
      const h = Array.from({ length: d.nHid }, (_, j) => {
        let a = q.b1[j]
        for (let k = 0; k < d.nIn; k++) a += X[i * d.nIn + k] * q.W1[k * d.nHid + j]
        return Math.tanh(a)
      })
      const z = Array.from({ length: d.nOut }, (_, c) => {
        let a = q.b2[c]
        for (let j = 0; j < d.nHid; j++) a += h[j] * q.W2[j * d.nOut + c]
        return a
      })
      const total = z.reduce((s, v) => s + Math.exp(v), 0)
      for (let c = 0; c < d.nOut; c++) loss -= Y[i * d.nOut + c] * Math.log(Math.exp(z[c]) / total)
    }
    return loss / d.batch
  }

  it('the loss matches an op-by-op forward pass', () => {
    const r = mlpValueAndGrad(p, X, Y, d)
    expect(r.loss).toBeCloseTo(naiveLoss(p), 13)
    expect(mlpLoss(p, X, Y, d)).toBeCloseTo(naiveLoss(p), 13)
  })

  it('each gradient = finite differences of the loss w.r.t. that weight', () => {
    const r = mlpValueAndGrad(p, X, Y, d)
    const names = ['W1', 'b1', 'W2', 'b2'] as const
    const grads = { W1: r.dW1, b1: r.db1, W2: r.dW2, b2: r.db2 }
    for (const name of names) {
      const fd = fdGrad((w) => naiveLoss({ ...p, [name]: w }), p[name])
      expect(relErr(grads[name], fd), name).toBeLessThan(1e-6)
    }
  })
})

describe('W4: Rosenbrock and its analytic Hessian-vector product', () => {
  it('matches hand-computed values', () => {
    expect(rosenbrock([1, 1, 1])).toBe(0)
    expect(rosenbrock([0, 0])).toBe(1)
    expect(rosenbrock([-1.2, 1])).toBeCloseTo(24.2, 12)
    // n = 2 at x = (a, b): H = [[1200a² − 400b + 2, −400a], [−400a, 200]]
    const [a, b] = [0.5, -0.3]
    const hv = rosenbrockHvp(Float64Array.of(a, b), Float64Array.of(1, 2))
    expect(hv[0]).toBeCloseTo(1200 * a * a - 400 * b + 2 - 400 * a * 2, 10)
    expect(hv[1]).toBeCloseTo(-400 * a + 200 * 2, 10)
  })
  it('Hv = mixed second differences of f along v and eᵢ', () => {
    const n = 7
    const x = uniform64(6, n, -1.5, 1.5)
    const v = uniform64(7, n, -1, 1)
    const e = 1e-4
    const fd = new Float64Array(n)
    const at = (sv: number, i: number, si: number): number =>
      rosenbrock(Float64Array.from(x, (xj, j) => xj + sv * e * v[j] + (j === i ? si * e : 0)))
    for (let i = 0; i < n; i++) fd[i] = (at(1, i, 1) - at(1, i, -1) - at(-1, i, 1) + at(-1, i, -1)) / (4 * e * e)
    expect(relErr(rosenbrockHvp(x, v), fd)).toBeLessThan(1e-5)
  })
  it('the fused branch-free pass = the textbook loop with a branch per element, for every small n', () => {
    for (let n = 0; n <= 6; n++) {
      const x = uniform64(20 + n, n, -1.5, 1.5)
      const v = uniform64(30 + n, n, -1, 1)
      const a = rosenbrockHvp(x, v)
      const b = rosenbrockHvpBranchy(x, v)
      expect(a.length).toBe(n)
      for (let i = 0; i < n; i++) expect(a[i]).toBeCloseTo(b[i], 11)
    }
  })
})

describe('W5: Lorenz sensitivities by tangent recurrences in scalar locals', () => {
  const setup = { sigma: 10, rho: 28, beta: 8 / 3, x0: [1, 1, 1] as const, dt: 0.001, steps: 500 }
  it('the primal part is the plain Euler loop', () => {
    const { state } = lorenzSensitivity(setup)
    expect(relErr(state, lorenzFinal(setup))).toBeLessThan(1e-13)
  })
  it('the tangents = dual numbers carried through the same Euler steps', () => {
    // d = [value, ∂/∂σ, ∂/∂ρ, ∂/∂β]; product rule (a + a'ε)(b + b'ε) = ab + (a'b + ab')ε
    type D = readonly [number, number, number, number]
    const add = (a: D, b: D): D => [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
    const sub = (a: D, b: D): D => [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
    const mul = (a: D, b: D): D => [a[0] * b[0], a[1] * b[0] + a[0] * b[1], a[2] * b[0] + a[0] * b[2], a[3] * b[0] + a[0] * b[3]]
    const sc = (a: D, c: number): D => [a[0] * c, a[1] * c, a[2] * c, a[3] * c]
    const sg: D = [setup.sigma, 1, 0, 0]
    const rh: D = [setup.rho, 0, 1, 0]
    const be: D = [setup.beta, 0, 0, 1]
    let [x, y, z]: D[] = setup.x0.map((v): D => [v, 0, 0, 0])
    for (let k = 0; k < setup.steps; k++) {
      ;[x, y, z] = [
        add(x, sc(mul(sg, sub(y, x)), setup.dt)),
        add(y, sc(sub(mul(x, sub(rh, z)), y), setup.dt)),
        add(z, sc(sub(mul(x, y), mul(be, z)), setup.dt)),
      ]
    }
    const dual = [x, y, z].flatMap((d) => [d[1], d[2], d[3]])
    expect(relErr(lorenzSensitivity(setup).jac, dual)).toBeLessThan(1e-12)
  })
  it('J[i][j] = ∂stateᵢ/∂paramⱼ = finite differences of the plain Euler loop (JAX layout)', () => {
    const { jac } = lorenzSensitivity(setup)
    const fd = new Float64Array(9)
    const keys = ['sigma', 'rho', 'beta'] as const
    keys.forEach((k, j) => {
      const h = 1e-6 * setup[k]
      const up = lorenzFinal({ ...setup, [k]: setup[k] + h })
      const dn = lorenzFinal({ ...setup, [k]: setup[k] - h })
      for (let i = 0; i < 3; i++) fd[i * 3 + j] = (up[i] - dn[i]) / (2 * h)
    })
    expect(relErr(jac, fd)).toBeLessThan(1e-6)
  })
})

describe('W11: Lotka–Volterra RK4 sensitivities by hand', () => {
  const setup = { alpha: 1.1, beta: 0.4, gamma: 0.4, delta: 0.1, x0: [10, 5] as const, dt: 0.01, steps: 1000 }
  /** A plain RK4 loop of ẋ = αx − βxy, ẏ = δxy − γy, written independently of the baseline. */
  const rk4 = (p: typeof setup): number[] => {
    const F = ([x, y]: number[]) => [p.alpha * x - p.beta * x * y, p.delta * x * y - p.gamma * y]
    let u: number[] = [...p.x0]
    const h = p.dt
    for (let n = 0; n < p.steps; n++) {
      const k1 = F(u)
      const k2 = F(u.map((v, i) => v + (h / 2) * k1[i]))
      const k3 = F(u.map((v, i) => v + (h / 2) * k2[i]))
      const k4 = F(u.map((v, i) => v + h * k3[i]))
      u = u.map((v, i) => v + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]))
    }
    return u
  }
  it('the primal part is the plain RK4 loop', () => {
    expect(relErr(lotkaSensitivity(setup).state, rk4(setup))).toBeLessThan(1e-13)
  })
  it('J[i][j] = ∂stateᵢ/∂paramⱼ = finite differences of the plain RK4 loop (JAX layout)', () => {
    const { jac } = lotkaSensitivity(setup)
    const fd = new Float64Array(8)
    const keys = ['alpha', 'beta', 'gamma', 'delta'] as const
    keys.forEach((k, j) => {
      const h = 1e-6 * setup[k]
      const up = rk4({ ...setup, [k]: setup[k] + h })
      const dn = rk4({ ...setup, [k]: setup[k] - h })
      for (let i = 0; i < 2; i++) fd[i * 4 + j] = (up[i] - dn[i]) / (2 * h)
    })
    expect(relErr(jac, fd)).toBeLessThan(1e-7)
  })
})

describe('W9: Gray–Scott sensitivities by one fused stencil pass', () => {
  // a cheap size: 10×10 (a 2×2 square in the middle), 40 steps
  const setup = grayScottSetup(10, 40)
  it('the initial state is u = 1, v = 0 with a centred square u = 0.5, v = 0.25, perturbed by at most 0.01', () => {
    const big = grayScottSetup(128, 1)
    let inSquare = 0
    let worst = 0
    for (let i = 0; i < 128; i++) {
      for (let j = 0; j < 128; j++) {
        const c = i * 128 + j
        const sq = i >= 54 && i < 74 && j >= 54 && j < 74
        if (sq) inSquare++
        worst = Math.max(worst, Math.abs(big.u0[c] - (sq ? 0.5 : 1)), Math.abs(big.v0[c] - (sq ? 0.25 : 0)))
      }
    }
    expect(inSquare).toBe(400)
    expect(worst).toBeLessThanOrEqual(0.01)
    expect(worst).toBeGreaterThan(0.009)
    expect(big.u0[64 * 128 + 64]).toBeCloseTo(0.5, 1)
    expect(big.u0[0]).toBeCloseTo(1, 1)
  })
  it('the primal sums are those of the op-by-op Euler loop with wrapped indices', () => {
    expect(relErr(grayScottJacobian(setup).sums, grayScottSums(setup))).toBeLessThan(1e-13)
  })
  it('J = ∂(Σu, Σv)/∂(F, k) = finite differences of the op-by-op loop (JAX layout)', () => {
    const { jac } = grayScottJacobian(setup)
    const fd = new Float64Array(4)
    const keys = ['F', 'k'] as const
    keys.forEach((key, j) => {
      const h = 1e-6
      const up = grayScottSums({ ...setup, [key]: setup[key] + h })
      const dn = grayScottSums({ ...setup, [key]: setup[key] - h })
      for (let i = 0; i < 2; i++) fd[i * 2 + j] = (up[i] - dn[i]) / (2 * h)
    })
    expect(relErr(jac, fd)).toBeLessThan(1e-7)
    // F feeds u and drains v: Σu rises and Σv falls with F; k only drains v
    expect(jac[0]).toBeGreaterThan(0)
    expect(jac[3]).toBeLessThan(0)
  })
})

describe('W6: per-example logistic-regression gradients', () => {
  it('the loss is softplus(w·x) − y w·x', () => {
    for (const z of [-3, -0.5, 0, 0.7, 4]) {
      for (const y of [0, 1]) expect(logisticLoss([z], [1], y)).toBeCloseTo(Math.log(1 + Math.exp(z)) - y * z, 14)
    }
  })
  it('row i = finite differences of example i\'s loss w.r.t. w', () => {
    const dim = 4
    const w = uniform64(8, dim, -1, 1)
    const X = uniform64(9, 3 * dim, -2, 2)
    const y = [0, 1, 1]
    const G = perExampleGrads(w, X, y)
    for (let i = 0; i < 3; i++) {
      const xi = X.subarray(i * dim, (i + 1) * dim)
      const fd = fdGrad((ww) => logisticLoss(ww, xi, y[i]), w)
      expect(relErr(G.subarray(i * dim, (i + 1) * dim), fd), `example ${i}`).toBeLessThan(1e-6)
    }
  })
})

describe('W7: the 50-op chain', () => {
  /** BENCH.md's definition, one op at a time */
  const ops: readonly ((y: number, x: number) => number)[] = [
    Math.sin,
    (y) => 1.3 * y, // scale
    (y) => y + 0.2, // shift
    Math.tanh,
    (y) => y * y, // square
    (y) => -y, // neg
    Math.exp,
    Math.cos,
    (y, x) => y + x, // add
    (y) => 0.5 * y, // halve
  ]
  const opByOp = (x: ArrayLike<number>): number => {
    let s = 0
    for (let i = 0; i < x.length; i++) {
      let y = x[i]
      for (let r = 0; r < 5; r++) for (const op of ops) y = op(y, x[i])
      s += y
    }
    return s
  }
  it('is 5 rounds of sin, scale, shift, tanh, square, neg, exp, cos, add, halve', () => {
    const x = uniform64(10, 9, -2, 2)
    expect(chainValue(x)).toBeCloseTo(opByOp(x), 13)
  })
  it('the fused reverse sweep = finite differences of the chain', () => {
    const x = uniform64(11, 9, -2, 2)
    expect(relErr(chainGrad(x), fdGrad(opByOp, x))).toBeLessThan(1e-6)
  })
})

describe('W8: a 5-op function', () => {
  it('the gradient = finite differences', () => {
    const x = uniform64(12, 16, -2, 2)
    expect(smallValue([0])).toBeCloseTo(Math.tanh(1), 15)
    expect(relErr(smallGrad(x), fdGrad(smallValue, x))).toBeLessThan(1e-6)
  })
})

describe('harness: the correctness check and the statistics', () => {
  it('flags a transposed Jacobian, a missing part, a NaN and a length mismatch', () => {
    const ref = { jac: [1, 2, 3, 4] }
    expect(compareParts({ jac: [1, 2, 3, 4] }, ref)).toEqual({ maxAbs: 0, rel: 0, worst: 'jac' })
    expect(compareParts({ jac: [1, 3, 2, 4] }, ref).rel).toBeCloseTo(0.25, 15)
    expect(compareParts({ other: [1, 2, 3, 4] }, ref).rel).toBe(Infinity)
    expect(compareParts({ jac: [1, NaN, 3, 4] }, ref).rel).toBe(Infinity)
    expect(compareParts({ jac: [1, 2, 3] }, ref).rel).toBe(Infinity)
  })
  it('reports the worst part by relative error', () => {
    const r = compareParts({ a: [100.5], b: [1.1] }, { a: [100], b: [1] })
    expect(r.worst).toBe('b')
    expect(r.rel).toBeCloseTo(0.1, 12)
    expect(r.maxAbs).toBeCloseTo(0.5, 12)
  })
  it('median, min and max', () => {
    expect(stats([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 })
    expect(stats([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 })
  })
})
