/**
 * Constant arithmetic folded out of kernel expressions (src/backend/wasm/foldconst.ts): what
 * is folded, what must not be, and that every result stays bit for bit the same — signed
 * zeros, subnormals, values at the edge of overflow, infinities and NaN, in both dtypes.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Expr, type FloatDType, canonicalize, evalExpr, ex } from '../../../src/backend/wasm/expr'
import { foldConstants } from '../../../src/backend/wasm/foldconst'

const x = ex.input(0)
const y = ex.input(1)
const nodes = (es: readonly Expr[]) => canonicalize(es).unique.length
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))

const expectExact = (roots: readonly Expr[], inputs: readonly number[], dtype: FloatDType) => {
  const want = evalExpr(roots, inputs, dtype)
  const got = evalExpr(foldConstants(roots, dtype), inputs, dtype)
  got.forEach((g, i) => expect(same(g, want[i]), `${dtype} root ${i} at ${inputs.join(', ')}: ${g} against ${want[i]}`).toBe(true))
}

// the shapes derivative rules produce, and the ones that must stay as they are
const ROOTS: readonly Expr[] = [
  ex.mul(ex.c(1), ex.c(100)), // → 100
  ex.mul(ex.mul(x, ex.c(2)), ex.mul(ex.c(1), ex.c(100))), // → x·200
  ex.mul(ex.c(100), ex.mul(ex.c(2), x)), // → x·200
  ex.mul(ex.mul(x, ex.c(-4)), ex.c(3)), // → x·(−12)
  ex.add(ex.c(0.1), ex.c(0.2)), // rounded as the kernel rounds it
  ex.div(ex.c(1), ex.c(3)),
  ex.sub(ex.c(-0), ex.c(0)),
  ex.mul(ex.mul(x, ex.c(0.5)), ex.c(3)), // kept: scaling by ½ may lose a subnormal's bit
  ex.mul(ex.mul(x, ex.c(2)), ex.c(0.25)), // kept: x·2 may overflow where x·0.5 does not
  ex.mul(ex.mul(x, ex.c(2)), ex.c(0)), // kept: ∞·0 is NaN, x·0 is not
  ex.mul(ex.mul(x, ex.c(3)), ex.c(100)), // kept: x·3 rounds
  ex.mul(ex.mul(x, ex.c(2)), ex.c(1e308)), // kept: 2e308 overflows
  ex.add(ex.mul(ex.mul(x, ex.c(2)), ex.c(100)), ex.neg(ex.mul(ex.c(1), y))),
]

const EDGES = [0, -0, 1, -1.5, 0.1, 1e-310, -5e-324, 1e-45, 1.5e-39, 8.98846567431158e307, 1.7976931348623157e308, 1.7e38, 3.4028234663852886e38, Infinity, -Infinity, NaN]

describe('foldConstants', () => {
  it('folds an operation of two constants and a power-of-two scaling followed by a constant', () => {
    const folded = foldConstants(ROOTS.slice(0, 4), 'float64')
    expect(folded[0]).toEqual(ex.c(100))
    expect(folded[1]).toEqual(ex.mul(x, ex.c(200)))
    expect(folded[2]).toEqual(ex.mul(x, ex.c(200)))
    expect(folded[3]).toEqual(ex.mul(x, ex.c(-12)))
    expect(nodes(folded)).toBeLessThan(nodes(ROOTS.slice(0, 4)))
  })

  it('rounds a folded constant as a float32 kernel computes it', () => {
    const [sum] = foldConstants([ex.add(ex.c(0.1), ex.c(0.2))], 'float32')
    expect(sum).toEqual(ex.c(Math.fround(Math.fround(0.1) + Math.fround(0.2))))
    const [p] = foldConstants([ex.mul(ex.mul(x, ex.c(2)), ex.c(3e38))], 'float32') // 6e38 is no float32
    expect(p).toEqual(ex.mul(ex.mul(x, ex.c(2)), ex.c(3e38)))
  })

  it('leaves the scalings that are not exact', () => {
    const kept = ROOTS.slice(7, 12)
    expect(foldConstants(kept, 'float64')).toEqual(kept)
  })

  it('keeps every result bit for bit: edge values, both dtypes', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const a of EDGES) for (const b of [0, -0, 3, -Infinity, NaN]) expectExact(ROOTS, [a, b], dtype)
    }
  })

  it('keeps every result bit for bit: random doubles', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), (a, b) => {
        expectExact(ROOTS, [a, b], 'float64')
        expectExact(ROOTS, [a, b], 'float32')
      }),
      { numRuns: 300 },
    )
  })
})
