/**
 * Constants folded while scalar code is generated (codegen/fold.ts): an op of literal operands
 * is its template's value, identities hold for every IEEE value (−0, NaN, ±Infinity), and
 * programs with folded code give the reference interpreter's results bit for bit.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, jacfwd, lax, makeJaxpr, np } from '../../src'
import { compileJaxpr, describeProgram } from '../../src/backend'
import { evaluate, foldOp, foldStore, literalValue } from '../../src/backend/codegen/fold'
import { emitOp } from '../../src/backend/codegen/ops'
import type { DType } from '../../src/ir/dtypes'
import { genScalarProgram } from '../../src/backend/codegen/scalarloop'
import type { ConcreteArray } from '../../src/core/array'
import { sizeOf } from '../../src/ir/aval'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'
import { bitwiseDiff, runReference } from './helpers'

describe('literal atoms', () => {
  it('are read back as the numbers the formatter wrote; locals and array elements are not literals', () => {
    expect(Object.is(literalValue('(-0)'), -0)).toBe(true)
    expect(literalValue('0')).toBe(0)
    expect(literalValue('1e-7')).toBe(1e-7)
    expect(literalValue('(-2.5e+21)')).toBe(-2.5e21)
    expect(literalValue('NaN')).toBeNaN()
    expect(literalValue('(-Infinity)')).toBe(-Infinity)
    expect(literalValue('Infinity')).toBe(Infinity)
    for (const a of ['z12', 'a0_1', 'c1_0', 'B0[3]', 'u0_0']) expect(literalValue(a)).toBeUndefined()
  })

  it('are stored as a typed array of their dtype stores them', () => {
    expect(foldStore('(-1)', 'bool')).toBe('255')
    expect(foldStore('256', 'bool')).toBe('0')
    expect(foldStore('(-1.5)', 'int32')).toBe('(-1)')
    expect(foldStore('4294967297', 'int32')).toBe('1')
    expect(foldStore('0.1', 'float32')).toBe(String(Math.fround(0.1)))
    expect(foldStore('z3', 'float32')).toBeNull()
  })
})

describe('ops of literal operands', () => {
  it('are their templates\' values: comparisons, integer wrapping, float32 rounding, −0', () => {
    expect(foldOp('eq', 'bool', ['0', '0'], ['int32', 'int32'], 0, true)).toBe('1')
    expect(foldOp('lt', 'bool', ['NaN', '1'], ['float64', 'float64'], 0, true)).toBe('0')
    expect(foldOp('add', 'int32', ['2147483647', '1'], ['int32', 'int32'], 0, true)).toBe('(-2147483648)')
    expect(foldOp('mul', 'float32', ['0.1', '3'], ['float32', 'float32'], 0, true)).toBe(String(Math.fround(0.1 * 3)))
    expect(foldOp('add', 'float64', ['(-0)', '(-0)'], ['float64', 'float64'], 0, true)).toBe('(-0)')
    expect(foldOp('add', 'float64', ['0', '(-0)'], ['float64', 'float64'], 0, true)).toBe('0')
    expect(foldOp('div', 'float64', ['1', '(-0)'], ['float64', 'float64'], 0, true)).toBe('(-Infinity)')
    expect(foldOp('sin', 'float64', ['0.5'], ['float64'], 0, true)).toBe(String(Math.sin(0.5)))
    // (a template with statements before it is left to run time)
    expect(foldOp('ipow', 'float64', ['3'], ['float64'], 5, true)).toBeNull()
  })

  it('comparisons and casts, evaluated without compiling their templates, equal the templates at −0, NaN, ±Infinity, fractions and int32 edges', () => {
    const xs = [-0, 0, 1, -1, 0.5, -1.5, 255, 256, 2 ** 31, -(2 ** 31) - 1, 1e300, NaN, Infinity, -Infinity]
    const dtypes: DType[] = ['float64', 'float32', 'int32', 'bool']
    const template = (op: Parameters<typeof emitOp>[0], dtype: DType, ad: DType[]) =>
      new Function('p0', 'p1', `return ${emitOp(op, dtype, ['p0', 'p1'].slice(0, ad.length), ad, 0, 't', true).expr}`) as (...v: number[]) => number
    for (const ad of dtypes) {
      for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
        const t = template(op, 'bool', [ad, ad])
        for (const x of xs) for (const y of xs) expect(evaluate(op, 'bool', [ad, ad], 0, true, [x, y])).toBe(t(x, y))
      }
      for (const to of dtypes) {
        const t = template('cast', to, [ad])
        for (const x of xs) expect(Object.is(evaluate('cast', to, [ad], 0, true, [x]), t(x))).toBe(true)
      }
    }
  })

  it('a select on a literal predicate is the chosen case', () => {
    expect(foldOp('select', 'float64', ['1', 'z1', 'z2'], ['bool', 'float64', 'float64'], 0, true)).toBe('z2')
    expect(foldOp('select', 'float64', ['0', 'z1', 'z2'], ['bool', 'float64', 'float64'], 0, true)).toBe('z1')
    expect(foldOp('select', 'float64', ['(-3)', 'z1', 'z2', 'z3'], ['int32', 'float64', 'float64', 'float64'], 0, true)).toBe('z1')
    expect(foldOp('select', 'float64', ['1', 'z1', 'z2', 'z3'], ['int32', 'float64', 'float64', 'float64'], 0, true)).toBe('z2')
    expect(foldOp('select', 'float64', ['7', 'z1', 'z2', 'z3'], ['int32', 'float64', 'float64', 'float64'], 0, true)).toBe('z3')
    expect(foldOp('select', 'float64', ['z0', 'z1', 'z2'], ['bool', 'float64', 'float64'], 0, true)).toBeNull()
  })
})

describe('identities of one literal operand', () => {
  const f64 = ['float64', 'float64'] as const
  it('x·1, 1·x, x/1, x + (−0), (−0) + x and x − 0 are x', () => {
    expect(foldOp('mul', 'float64', ['z1', '1'], f64, 0, true)).toBe('z1')
    expect(foldOp('mul', 'float64', ['1', 'z1'], f64, 0, true)).toBe('z1')
    expect(foldOp('div', 'float64', ['z1', '1'], f64, 0, true)).toBe('z1')
    expect(foldOp('add', 'float64', ['z1', '(-0)'], f64, 0, true)).toBe('z1')
    expect(foldOp('add', 'float64', ['(-0)', 'z1'], f64, 0, true)).toBe('z1')
    expect(foldOp('sub', 'float64', ['z1', '0'], f64, 0, true)).toBe('z1')
    expect(foldOp('mul', 'float32', ['z1', '1'], ['float32', 'float32'], 0, true)).toBe('z1')
  })

  it('not x·0 (NaN, ±Infinity, −0), x + 0 (−0 + 0 = 0), x − (−0), 1/x; not for integers or relaxed float32', () => {
    expect(foldOp('mul', 'float64', ['z1', '0'], f64, 0, true)).toBeNull()
    expect(foldOp('add', 'float64', ['z1', '0'], f64, 0, true)).toBeNull()
    expect(foldOp('sub', 'float64', ['z1', '(-0)'], f64, 0, true)).toBeNull()
    expect(foldOp('div', 'float64', ['1', 'z1'], f64, 0, true)).toBeNull()
    expect(foldOp('mul', 'int32', ['z1', '1'], ['int32', 'int32'], 0, true)).toBeNull()
    expect(foldOp('mul', 'float32', ['z1', '1'], ['float32', 'float32'], 0, false)).toBeNull()
    // (an operand of another dtype: the product is a conversion, not the operand)
    expect(foldOp('mul', 'float64', ['z1', '1'], ['float32', 'float64'], 0, true)).toBeNull()
  })

  it('hold for −0, NaN and ±Infinity as the templates compute them', () => {
    for (const x of [-0, 0, NaN, Infinity, -Infinity, 1.5, -3e-310]) {
      expect(Object.is(x * 1, x) && Object.is(1 * x, x) && Object.is(x / 1, x)).toBe(true)
      expect(Object.is(x + -0, x) && Object.is(-0 + x, x) && Object.is(x - 0, x)).toBe(true)
    }
    expect(Object.is(-0 + 0, -0)).toBe(false)
    expect(Object.is(NaN * 0, 0) || Object.is(-1 * 0, 0)).toBe(false)
  })
})

describe('programs compiled whole with folded constants', () => {
  const compiled = (f: (x: Arr) => Arr, x: Arr) => {
    const closed = makeJaxpr(f)(x)
    const j = optimize(hoistConsts(closed.jaxpr), { all: true })
    const xs = [...closed.consts, x] as ConcreteArray[]
    const p = compileJaxpr(j)
    expect(describeProgram(p)).toMatch(/^program, compiled whole/)
    const got = p.run(xs.map((a) => a.data))
    runReference(j, xs).forEach((want, i) => expect(bitwiseDiff(got[i], want)).toBeNull())
    const part = (a: { aval: { shape: readonly number[]; dtype: 'float64' | 'float32' | 'int32' | 'bool' } }) => ({ size: sizeOf(a.aval.shape), dtype: a.aval.dtype })
    // (a program generated directly keeps its source; a planned one's is generated again)
    const step = p.spec.steps[0]
    const src = step.kind === 'fn' && step.source !== undefined ? step.source : genScalarProgram(p.spec, j.inVars.map(part), j.outs.map(part))
    if (src === null) throw new Error('the program has no scalar code')
    return { got, src }
  }

  it('jacfwd\'s one-hot basis costs no statement, and the Jacobian is the closed form', () => {
    // f(p) = [p0·p1, sin(p2)·p0, p3²]: J = [[p1, p0, 0, 0], [sin p2, 0, p0 cos p2, 0], [0, 0, 0, 2 p3]]
    const f = (p: Arr): Arr => {
      const [a, b, c, d] = [0, 1, 2, 3].map((i) => lax.slice(p, [i], [i + 1]))
      return np.concatenate([a.mul(b), np.sin(c).mul(a), d.mul(d)])
    }
    const p = [0.7, -1.3, 0.4, 2.5]
    const { got, src } = compiled((x) => jacfwd(f)(x) as Arr, np.array(p))
    expect(src).not.toMatch(/\(\d+ \| 0\)/)
    expect(src).not.toMatch(/= \(\d+ === \d+ \? 1 : 0\)/)
    expect(src).not.toMatch(/ \* 1\)/)
    const want = [p[1], p[0], 0, 0, Math.sin(p[2]), 0, p[0] * Math.cos(p[2]), 0, 0, 0, 0, 2 * p[3]]
    got[0].forEach((g, i) => expect(g).toBeCloseTo(want[i], 14))
  })

  it('−0, NaN and ±Infinity literals through folded arithmetic: the reference\'s values', () => {
    const f = (x: Arr): Arr => {
      const z = np.full([3], -0).add(-0)
      const q = np.array([NaN, Infinity, -Infinity]).mul(1)
      // (and enough equations to be compiled as one program)
      const w = np.cos(np.sin(x).mul(z)).add(np.exp(x).sub(-0))
      return np.concatenate([x.mul(z), np.divide(1, z).add(q), x.add(z).mul(1), x.sub(0).div(1), w])
    }
    const { got } = compiled(f, np.array([0.5, -0, NaN]))
    expect(Array.from(got[0].subarray(0, 3)).map((v) => Object.is(v, -0))).toEqual([true, false, false])
    expect(got[0][3]).toBeNaN()
    // (1/(−0) = −Infinity, plus Infinity is NaN)
    expect(got[0][4]).toBeNaN()
    expect(got[0][5]).toBe(-Infinity)
    expect(Object.is(got[0][7], -0)).toBe(true)
    expect(Object.is(got[0][10], -0)).toBe(true)
  })

  it('comparisons, casts to bool and their and / or are stored as they are (0 or 1): no byte conversion', () => {
    const f = (x: Arr): Arr => {
      const inside = np.logicalAnd(x.gt(-1), x.lt(1))
      const edge = np.logicalOr(x.eq(-1), x.eq(1))
      const nz = np.logicalOr(inside, edge)
      return np.concatenate([np.where(nz, x.mul(2), x.sub(3)), inside.astype('float64'), edge.astype('float64'), nz.astype('float64')])
    }
    const x = [-2, -1, -0.5, 0, 1, 3]
    const { got, src } = compiled(f, np.array(x))
    expect(src).not.toMatch(/& 255/)
    const inside = x.map((v) => (v > -1 && v < 1 ? 1 : 0))
    const edge = x.map((v) => (v === -1 || v === 1 ? 1 : 0))
    const nz = x.map((_, i) => inside[i] | edge[i])
    expect(Array.from(got[0])).toEqual([...x.map((v, i) => (nz[i] ? v * 2 : v - 3)), ...inside, ...edge, ...nz])
  })
})
