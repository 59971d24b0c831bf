/**
 * ODE problems shared by the W12/W13 workloads and the ODE tests: Lotka–Volterra and POLLU
 * (the air-pollution model of Verwer, 1994, from the Hairer–Wanner / IVPtestset collection:
 * 20 species, 25 reactions), written with leibniz ops over a vector state.
 */
import type * as Leibniz from '../../src/index'

type L = Pick<typeof Leibniz, 'np' | 'lax'>
type Arr = Leibniz.NDArray

/** α, β, γ, δ and the initial state of W12. */
export const LV_PARAMS = [1.5, 1, 3, 1] as const
export const LV_Y0 = [1, 1] as const

/** dx = αx − βxy, dy = −γy + δxy; p = [α, β, γ, δ]. */
export const lotkaVolterra = ({ np, lax }: L) => (_t: Arr, y: Arr, p: Arr): Arr => {
  const x = lax.slice(y, [0], [1])
  const z = lax.slice(y, [1], [2])
  const [a, b, c, d] = [0, 1, 2, 3].map((i) => lax.slice(p, [i], [i + 1]))
  const xz = x.mul(z)
  return np.concatenate([a.mul(x).sub(b.mul(xz)), d.mul(xz).sub(c.mul(z))])
}

/** The 25 rate constants k1…k25 of POLLU. */
export const POLLU_K = [
  0.35, 26.6, 12300, 8.6e-4, 8.2e-4, 15000, 1.3e-4, 24000, 16500, 9000, 0.022, 12000, 1.88, 16300, 4.8e6, 3.5e-4, 0.0175,
  1e8, 4.44e11, 1240, 2.1, 5.78, 0.0474, 1780, 3.12,
] as const

export const POLLU_Y0 = [0, 0.2, 0, 0.04, 0, 0, 0.1, 0.3, 0.01, 0, 0, 0, 0, 0, 0, 0, 0.007, 0, 0, 0] as const

/** The published reference solution at t = 60 (IVPtestset, RADAU5 in quadruple precision). */
export const POLLU_REF = [
  0.5646255480022769e-1, 0.1342484130422339, 0.4139734331099427e-8, 0.5523140207484359e-2, 0.2018977262302196e-6,
  0.1464541863493966e-6, 0.7784249118997964e-1, 0.3245075353396018, 0.7494013383880406e-2, 0.1622293157301561e-7,
  0.1135863833257075e-7, 0.2230505975721359e-2, 0.2087162882798630e-3, 0.1396921016840158e-4, 0.8964884856898295e-2,
  0.4352846369330103e-17, 0.6899219696263405e-2, 0.1007803037365946e-3, 0.1772146513969984e-5, 0.5682943292316392e-4,
] as const

/** Reactant species (1-based) of each reaction: r_i = k_i Π y_s. */
export const REACTANTS: readonly (readonly number[])[] = [
  [1], [2, 4], [5, 2], [7], [7], [7, 6], [9], [9, 6], [11, 2], [11, 1], [13], [10, 2], [14], [1, 6], [3], [4], [4],
  [16], [16], [17, 6], [19], [19], [1, 4], [19, 1], [20],
]

/** dy_s/dt = Σ_i ν_si r_i: per species, the reactions (1-based) it gains from (+) and loses to (−). */
export const BALANCE: readonly (readonly number[])[] = [
  [-1, -10, -14, -23, -24, 2, 3, 9, 11, 12, 22, 25],
  [-2, -3, -9, -12, 1, 21],
  [-15, 1, 17, 19, 22],
  [-2, -16, -17, -23, 15],
  [-3, 4, 4, 6, 7, 13, 20],
  [-6, -8, -14, -20, 3, 18, 18],
  [-4, -5, -6, 13],
  [4, 5, 6, 7],
  [-7, -8],
  [-12, 7, 9],
  [-9, -10, 8, 11],
  [9],
  [-11, 10],
  [-13, 12],
  [14],
  [-18, -19, 16],
  [-20],
  [20],
  [-21, -22, -24, 23, 25],
  [-25, 24],
]

/** POLLU's right-hand side f(t, y, k) for the state y [20] and rate constants k [25]. */
export const pollu = ({ np, lax }: L) => (_t: Arr, y: Arr, k: Arr): Arr => {
  const s = (i: number) => lax.slice(y, [i - 1], [i])
  const r = REACTANTS.map((sp, i) => sp.reduce((acc: Arr, j) => acc.mul(s(j)), lax.slice(k, [i], [i + 1])))
  return np.concatenate(BALANCE.map((terms) => terms.reduce((acc: Arr | null, j) => {
    const v = r[Math.abs(j) - 1]
    return acc === null ? (j > 0 ? v : v.neg()) : j > 0 ? acc.add(v) : acc.sub(v)
  }, null) as Arr))
}

/** The same right-hand side on plain numbers (for baselines and fixtures). */
export const polluPlain = (y: ArrayLike<number>, k: ArrayLike<number>): number[] => {
  const r = REACTANTS.map((sp, i) => sp.reduce((acc, j) => acc * y[j - 1], k[i]))
  return BALANCE.map((terms) => terms.reduce((acc, j) => acc + Math.sign(j) * r[Math.abs(j) - 1], 0))
}
