/**
 * ODE layer: Butcher tableaus of the explicit Runge–Kutta methods and their dense-output
 * weights. A method with stages k_i = f(t + c_i h, y + h Σ_j a_ij k_j) advances
 * y₁ = y + h Σ_i b_i k_i; the embedded pair gives the error estimate h Σ_i e_i k_i
 * (e = b − b̂). Dense output writes y(t + θh) = y + h Σ_i b_i(θ) k_i with polynomial weights
 * b_i(θ), b_i(1) = b_i. Coefficients are from the methods' papers:
 *   Dormand & Prince, J. Comp. Appl. Math. 6 (1980), dense output of Hairer–Nørsett–Wanner I, §II.6;
 *   Tsitouras, Comput. Math. Appl. 62 (2011), with its own continuous extension.
 */

/** An explicit RK method. `fsal`: the last stage is f(t + h, y₁) (its `a` row equals `b`). */
export interface ExplicitTableau {
  readonly c: readonly number[]
  /** strictly lower-triangular rows: a[i] has i entries */
  readonly a: readonly (readonly number[])[]
  readonly b: readonly number[]
  /** b − b̂ (error weights), absent for fixed-step methods */
  readonly e?: readonly number[]
  readonly fsal: boolean
  /** dense-output weights b_i(θ) as polynomial coefficients in θ (lowest power first) */
  readonly dense?: readonly (readonly number[])[]
}

export const euler: ExplicitTableau = { c: [0], a: [[]], b: [1], fsal: false }

/** Heun's method (explicit trapezoidal rule), order 2. */
export const heun: ExplicitTableau = { c: [0, 1], a: [[], [1]], b: [0.5, 0.5], fsal: false }

/** The classical fourth-order method. */
export const rk4: ExplicitTableau = {
  c: [0, 0.5, 0.5, 1],
  a: [[], [0.5], [0, 0.5], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  fsal: false,
}

// ---- Dormand–Prince 5(4) -------------------------------------------------------------------

const dpB = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0]
const dpBhat = [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40]
/** The fourth-order continuous extension's extra weights (Hairer's d_i). */
const dpD = [-12715105075 / 11282082432, 0, 87487479700 / 32700410799, -10690763975 / 1880347072, 701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423]

/**
 * Dopri5's dense output y(θ) = y₀ + θΔ + θ(1−θ)[(hk₁ − Δ) + θ(2Δ − hk₁ − hk₇ + (1−θ) h Σ d_i k_i)]
 * with Δ = h Σ b_i k_i, rewritten as weights: b_i(θ) = θ b_i + θ(1−θ)(δ_i1 − b_i)
 *   + θ²(1−θ)(2b_i − δ_i1 − δ_i7) + θ²(1−θ)² d_i. Expanded to powers of θ below.
 */
const dpDense = dpB.map((b, i) => {
  const d1 = i === 0 ? 1 : 0
  const d7 = i === 6 ? 1 : 0
  const p = (d1 - b) // θ(1−θ) p      = p θ − p θ²
  const q = 2 * b - d1 - d7 // θ²(1−θ) q = q θ² − q θ³
  const r = dpD[i] // θ²(1−θ)² r        = r θ² − 2r θ³ + r θ⁴
  return [0, b + p, -p + q + r, -q - 2 * r, r]
})

export const dopri5: ExplicitTableau = {
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    dpB.slice(0, 6),
  ],
  b: dpB,
  e: dpB.map((b, i) => b - dpBhat[i]),
  fsal: true,
  dense: dpDense,
}

// ---- Tsitouras 5(4) ------------------------------------------------------------------------

const tsB = [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0]

/** Expand c·θ²·Π(θ − r) (a product of linear/quadratic factors) into power coefficients. */
const polyMul = (p: readonly number[], q: readonly number[]): readonly number[] => {
  const r = new Array<number>(p.length + q.length - 1).fill(0)
  p.forEach((x, i) => q.forEach((y, j) => (r[i + j] += x * y)))
  return r
}
const poly = (scale: number, ...factors: (readonly number[])[]): readonly number[] => factors.reduce(polyMul, [scale] as readonly number[])

/** Tsitouras's continuous extension, b_i(θ) in factored form (θ² factors on stages 2–7). */
const tsDense = [
  poly(-1.0530884977290216, [0, 1], [-1.3299890189751412, 1], [0.7139816917074209, -1.4364028541716351, 1]),
  poly(0.1017, [0, 0, 1], [1.2949852507374631, -2.1966568338249754, 1]),
  poly(2.490627285651252793, [0, 0, 1], [1.57803468208092486, -2.38535645472061657, 1]),
  poly(-16.54810288924490272, [0, 0, 1], [-1.21712927295533244, 1], [-0.61620406037800089, 1]),
  poly(47.37952196281928122, [0, 0, 1], [-1.203071208372362603, 1], [-0.658047292653547382, 1]),
  poly(-34.87065786149660974, [0, 0, 1], [-1.2, 1], [-0.666666666666666667, 1]),
  poly(2.5, [0, 0, 1], [-1, 1], [-0.6, 1]),
]

export const tsit5: ExplicitTableau = {
  c: [0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1],
  a: [
    [],
    [0.161],
    [-0.008480655492356989, 0.335480655492357],
    [2.897153057105493, -6.359448489975075, 4.3622954328695815],
    [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
    [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
    tsB.slice(0, 6),
  ],
  b: tsB,
  e: [-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995, -0.1447110071732629, 0.5823571654525552, -0.45808210592918697, 1 / 66],
  fsal: true,
  dense: tsDense,
}

// ---- Rodas4 (a Rosenbrock method) -------------------------------------------------------------

/**
 * Rodas4 of Hairer & Wanner (Solving ODEs II, §VI.4), a stiffly accurate, L-stable Rosenbrock
 * method of order 4 with an embedded order-3 solution, in the W-form
 *   (I/(hγ) − J) K_i = f(t + α_i h, y + Σ_j a_ij K_j) + Σ_j (c_ij / h) K_j + h γ_i ∂f/∂t,
 *   y₁ = y + Σ_i m_i K_i, error = K₆ (the difference of the two stiffly accurate solutions).
 */
export interface RosenbrockTableau {
  readonly gamma: number
  readonly alpha: readonly number[]
  readonly gammas: readonly number[]
  readonly a: readonly (readonly number[])[]
  readonly c: readonly (readonly number[])[]
  readonly m: readonly number[]
  readonly e: readonly number[]
}

const r5 = [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895]

export const rodas4: RosenbrockTableau = {
  gamma: 0.25,
  alpha: [0, 0.386, 0.21, 0.63, 1, 1],
  gammas: [0.25, -0.1043, 0.1035, -0.0362000000000000023, 0, 0],
  a: [
    [],
    [1.544],
    [0.9466785280815826, 0.2557011698983284],
    [3.314825187068521, 2.896124015972201, 0.9986419139977817],
    r5,
    [...r5, 1],
  ],
  c: [
    [],
    [-5.6688],
    [-2.430093356833875, -0.2063599157091915],
    [-0.1073529058151375, -9.594562251023355, -20.47028614809616],
    [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.7089089320616],
    [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054],
  ],
  m: [...r5, 1, 1],
  e: [0, 0, 0, 0, 0, 1],
}
