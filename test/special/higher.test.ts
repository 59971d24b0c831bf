/**
 * Derivatives of order 4, 5 and 6 of special.* against mpmath (test/fixtures/special/
 * make_higher.py): every derivative rule is a closed form in primitives and special functions
 * with rules of their own, so derivatives of any order are closed forms too — not derivatives
 * of the approximations — in nested grad and in Taylor mode alike.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { derivatives, grad, np, special, vmap } from '../../src/index'
import type { Tracer } from '../../src/core/tracer'

type Fn = (x: Tracer) => Tracer
interface Row {
  x: string[]
  d4: string[]
  d5: string[]
  d6: string[]
}
const table = JSON.parse(readFileSync(join(__dirname, '../fixtures/special/higher.json'), 'utf8')) as Record<string, Row>
const fns: Record<string, Fn> = {
  erf: special.erf, erfc: special.erfc, erfinv: special.erfinv, ndtr: special.ndtr, ndtri: special.ndtri,
  logNdtr: special.logNdtr, gammaln: special.gammaln, digamma: special.digamma, gamma: special.gamma,
  i0e: special.i0e, i1e: special.i1e, logit: special.logit, entr: special.entr,
}
/**
 * Relative tolerance, against max(|f⁽ⁿ⁾|, 1e-6) (logit⁽⁴⁾(½) = 0). i0e, i1e at |x| ≥ 25 and
 * logNdtr at −5 are differences of nearly equal terms (i1e − i0e, φ/Φ − x): their conditioning
 * costs about a factor 50 there.
 */
const TOL: Record<string, number> = { i0e: 5e-9, i1e: 5e-9, logNdtr: 5e-9 }
const nth = (f: Fn, n: number): Fn => {
  let g: Fn = f
  for (let i = 0; i < n; i++) g = grad(g) as Fn
  return g
}

describe('special: 4th to 6th derivatives against mpmath (relative 1e-10 unless noted)', () => {
  for (const [name, row] of Object.entries(table)) {
    it(name, () => {
      const x = np.array(row.x.map(Number))
      for (const n of [4, 5, 6] as const) {
        const got = (vmap(nth(fns[name], n))(x) as Tracer).tolist() as number[]
        const want = row[`d${n}`].map(Number)
        got.forEach((g, i) => {
          const err = Math.abs(g - want[i]) / Math.max(Math.abs(want[i]), 1e-6)
          expect(err, `${name}⁽${n}⁾(${row.x[i]}) = ${g}, want ${want[i]}`).toBeLessThanOrEqual(TOL[name] ?? 1e-10)
        })
      }
    })
  }
})

describe('special: Taylor mode (jet) follows the same rules — derivatives(f, 6) against mpmath', () => {
  for (const name of ['erf', 'erfinv', 'gammaln', 'i1e', 'logNdtr']) {
    it(name, () => {
      const row = table[name]
      row.x.forEach((xs, i) => {
        const d = derivatives(fns[name], 6)(np.array(Number(xs))).tolist() as number[]
        for (const n of [4, 5, 6] as const) {
          const want = Number(row[`d${n}`][i])
          const err = Math.abs(d[n] - want) / Math.max(Math.abs(want), 1e-6)
          expect(err, `${name}⁽${n}⁾(${xs}) = ${d[n]} by jet, want ${want}`).toBeLessThanOrEqual(TOL[name] ?? 1e-10)
        }
      })
    })
  }
})
