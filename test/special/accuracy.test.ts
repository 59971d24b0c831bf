/**
 * special.* against mpmath references at 50 digits (test/fixtures/special/make_special.py),
 * with an error bound per function. ulp = the float64 spacing at the reference value; "absolute
 * near zeros" bounds use the spacing at max(|f|, 1).
 */
import { describe, expect, it } from 'vitest'
import { special } from '../../src/index'
import { array } from '../../src/numpy/creation'
import type { Tracer } from '../../src/core/tracer'
import { type Table, ulp, ulpErr, values } from './fixture'

type Fn = (...xs: Tracer[]) => Tracer
const run = (f: Fn, t: Table): number[] => {
  const args = t.y2 ? [array(t.x), array(t.y2)] : [array(t.x)]
  return f(...args).tolist() as number[]
}
const worst = (got: number[], t: Table, err: (g: number, w: number, i: number) => number): { e: number; at: number } => {
  let e = 0
  let at = -1
  got.forEach((g, i) => {
    const v = err(g, t.y[i], i)
    if (!(v <= e)) {
      e = v
      at = i
    }
  })
  return { e, at }
}

/** Relative bounds in ulp. */
const RELATIVE: Record<string, [Fn, number]> = {
  erf: [special.erf, 2],
  erfc: [special.erfc, 3],
  erfinv: [special.erfinv, 2],
  ndtri: [special.ndtri, 3],
  logNdtr: [special.logNdtr, 4],
  i0e: [special.i0e, 8],
  i1e: [special.i1e, 8],
  trigamma: [(x) => special.polygamma(1, x), 4],
  polygamma2: [(x) => special.polygamma(2, x), 6],
  polygamma3: [(x) => special.polygamma(3, x), 8],
  logit: [special.logit, 2],
  expit: [special.expit, 2],
  entr: [special.entr, 2],
  xlogy: [special.xlogy, 2],
  xlog1py: [special.xlog1py, 2],
}

describe('special: accuracy against mpmath (float64)', () => {
  for (const [name, [f, bound]] of Object.entries(RELATIVE)) {
    it(`${name}: within ${bound} ulp at ${values[name].x.length} points`, () => {
      const t = values[name]
      const { e, at } = worst(run(f, t), t, ulpErr)
      expect(e, `worst at x = ${t.x[at]}${t.y2 ? `, ${t.y2[at]}` : ''}`).toBeLessThanOrEqual(bound)
    })
  }

  it('gammaln: 4 ulp of max(|f|, 1) (relative away from the zeros; near the zeros at x < 0 absolute)', () => {
    const t = values.gammaln
    const { e, at } = worst(run(special.gammaln, t), t, (g, w) =>
      Number.isFinite(w) ? Math.abs(g - w) / ulp(Math.max(Math.abs(w), 1)) : ulpErr(g, w),
    )
    expect(e, `worst at ${t.x[at]}`).toBeLessThanOrEqual(4)
    // the zeros at 1 and 2 keep their relative accuracy
    const near = t.x.map((x, i) => [x, i] as const).filter(([x]) => Math.abs(x - 1) < 1e-3 || Math.abs(x - 2) < 1e-3)
    const got = run(special.gammaln, t)
    expect(near.length).toBeGreaterThan(10)
    for (const [, i] of near) expect(ulpErr(got[i], t.y[i])).toBeLessThanOrEqual(4)
  })

  it('digamma: 4 ulp of max(|f|, 1) (absolute near its zeros)', () => {
    const t = values.digamma
    const { e, at } = worst(run(special.digamma, t), t, (g, w) => Math.abs(g - w) / ulp(Math.max(Math.abs(w), 1)))
    expect(e, `worst at ${t.x[at]}`).toBeLessThanOrEqual(4)
  })

  it('gamma: 8 ulp for 0 < x < 10; elsewhere (12 + 1.5|x|(log(|x| + 1) + 1)) ulp, the conditioning of Γ', () => {
    const t = values.gamma
    const { e, at } = worst(run(special.gamma, t), t, (g, w, i) => {
      const x = Math.abs(t.x[i])
      const cond = t.x[i] > 0 && x < 10 ? 0 : x * (Math.log(x + 1) + 1)
      return ulpErr(g, w) / (cond === 0 ? 8 : 12 + 1.5 * cond)
    })
    expect(e, `worst at ${t.x[at]}`).toBeLessThanOrEqual(1)
  })

  it('ndtr: within 4 ulp, the left tail included', () => {
    const t = values.ndtr
    const { e, at } = worst(run(special.ndtr, t), t, ulpErr)
    expect(e, `worst at ${t.x[at]}`).toBeLessThanOrEqual(4)
  })

  it('betaln: 8 ε·(|gammaln a| + |gammaln b| + |gammaln(a + b)|) absolute, and 16 ulp where max(a, b) ≥ 10', () => {
    const t = values.betaln
    const got = run(special.betaln, t)
    const a = array(t.x)
    const b = array(t.y2!)
    const la = special.gammaln(a).tolist() as number[]
    const lb = special.gammaln(b).tolist() as number[]
    const lab = special.gammaln(a.add(b)).tolist() as number[]
    got.forEach((g, i) => {
      const scale = Math.abs(la[i]) + Math.abs(lb[i]) + Math.abs(lab[i])
      expect(Math.abs(g - t.y[i]), `at ${t.x[i]}, ${t.y2![i]}`).toBeLessThanOrEqual(8 * 2 ** -52 * scale)
      if (Math.max(t.x[i], t.y2![i]) >= 10) expect(ulpErr(g, t.y[i]), `at ${t.x[i]}, ${t.y2![i]}`).toBeLessThanOrEqual(16)
    })
  })
})
