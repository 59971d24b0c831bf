import { describe, expect, it } from 'vitest'
import { simplify } from '../../src/passes'
import type { Jaxpr } from '../../src/ir/jaxpr'
import { Builder, bcast, expectSameResults, expectWellTyped, lit, randomInputs, rng } from './helpers'

/** Simplify alone; check it is well typed and computes the same; return its text. */
const run = (j: Jaxpr): string => {
  const s = simplify(j)
  expectWellTyped(s)
  expectSameResults(j, s, [], randomInputs(j, rng(7)))
  return String(s)
}

describe('simplify: multiplicative and additive identities', () => {
  it('x·1 and 1·x → x (literal or broadcast of 1)', () => {
    const b = new Builder()
    const x = b.input([3])
    const y = b.op('mul', [x, lit(1)])
    const z = b.op('mul', [lit(1), y])
    const w = b.op('mul', [bcast(b, lit(1), [3]), z])
    expect(run(b.done(w))).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] .
        let b:f64[3] = broadcast_in_dim[shape=(3,) broadcastDimensions=()] 1.0
        in ( a ) }"
    `)
  })
  it('keeps x·1 when the result aval is not x’s: broadcasting, or weak type', () => {
    const b = new Builder()
    const x = b.input([])
    const xw = b.input([3], 'float64', true)
    const y = b.op('mul', [x, bcast(b, lit(1), [3])]) // f64[3] ≠ f64[]
    const z = b.op('mul', [xw, lit(1, 'float64', false)]) // strong result, weak x
    expect(run(b.done(y, z))).toMatchInlineSnapshot(`
      "{ lambda a:f64[] b:f64[3] .
        let c:f64[3] = broadcast_in_dim[shape=(3,) broadcastDimensions=()] 1.0
            d:f64[3] = mul a c
            e:f64[3] = mul b 1.0
        in ( d e ) }"
    `)
  })
  it('never rewrites x·0 (NaN·0 and inf·0 are NaN)', () => {
    const b = new Builder()
    const x = b.input([2])
    const y = b.op('mul', [x, lit(0)])
    const z = b.op('mul', [bcast(b, lit(0), [2]), x])
    const j = b.done(y, z)
    expect(simplify(j)).toBe(j)
  })
  it('x+0, 0+x, x+broadcast(0), x−0 → x', () => {
    const b = new Builder()
    const x = b.input([2, 2])
    const y = b.op('add', [x, lit(0)])
    const z = b.op('add', [lit(0), y])
    const w = b.op('add', [z, bcast(b, lit(0), [2, 2])])
    const v = b.op('sub', [w, lit(0)])
    expect(run(b.done(v))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2,2] .
        let b:f64[2,2] = broadcast_in_dim[shape=(2, 2) broadcastDimensions=()] 0.0
        in ( a ) }"
    `)
  })
  it('0−x and 1/x stay', () => {
    const b = new Builder()
    const x = b.input([2])
    const j = b.done(b.op('sub', [lit(0), x]), b.op('div', [lit(1), x]))
    expect(simplify(j)).toBe(j)
  })
  it('x/1 → x, on int32 too', () => {
    const b = new Builder()
    const x = b.input([3], 'int32')
    const y = b.op('div', [x, lit(1, 'int32')])
    expect(run(b.done(y))).toMatchInlineSnapshot(`
      "{ lambda a:i32[3] .
        in ( a ) }"
    `)
  })
  it('neg(neg x) → x, a single neg stays', () => {
    const b = new Builder()
    const x = b.input([2])
    const n1 = b.op('neg', [x])
    const n2 = b.op('neg', [n1])
    expect(run(b.done(n2, n1))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2] .
        let b:f64[2] = neg a
        in ( a b ) }"
    `)
  })
})

describe('simplify: structural no-ops and compositions', () => {
  it('integer_pow with y = 1 → x; other powers stay', () => {
    const b = new Builder()
    const x = b.input([3])
    expect(run(b.done(b.op('integer_pow', [x], { y: 1 }), b.op('integer_pow', [x], { y: 2 })))).toMatchInlineSnapshot(`
      "{ lambda a:f64[3] .
        let b:f64[3] = integer_pow[y=2] a
        in ( a b ) }"
    `)
  })
  it('reshape to the same shape → x', () => {
    const b = new Builder()
    const x = b.input([2, 3])
    expect(run(b.done(b.op('reshape', [x], { newSizes: [2, 3] })))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2,3] .
        in ( a ) }"
    `)
  })
  it('reshape∘reshape → one reshape, or nothing when it comes back to the start', () => {
    const b = new Builder()
    const x = b.input([2, 3])
    const r1 = b.op('reshape', [x], { newSizes: [6] })
    const r2 = b.op('reshape', [r1], { newSizes: [3, 2] })
    const r3 = b.op('reshape', [r2], { newSizes: [2, 3] })
    expect(run(b.done(r2, r3))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2,3] .
        let b:f64[6] = reshape[newSizes=(6,)] a
            c:f64[3,2] = reshape[newSizes=(3, 2)] a
        in ( c a ) }"
    `)
  })
  it('transpose by the identity → x', () => {
    const b = new Builder()
    const x = b.input([2, 3])
    expect(run(b.done(b.op('transpose', [x], { permutation: [0, 1] })))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2,3] .
        in ( a ) }"
    `)
  })
  it('transpose∘transpose → one transpose with the composed permutation (checked on values)', () => {
    const b = new Builder()
    const x = b.input([2, 3, 4])
    const t1 = b.op('transpose', [x], { permutation: [1, 2, 0] })
    const t2 = b.op('transpose', [t1], { permutation: [0, 2, 1] })
    const t3 = b.op('transpose', [t2], { permutation: [1, 0, 2] })
    expect(run(b.done(t2, t3))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2,3,4] .
        let b:f64[3,4,2] = transpose[permutation=(1, 2, 0)] a
            c:f64[3,2,4] = transpose[permutation=(1, 0, 2)] a
        in ( c a ) }"
    `)
  })
  it('transpose∘transpose that cancels → x', () => {
    const b = new Builder()
    const x = b.input([2, 3, 4])
    const t1 = b.op('transpose', [x], { permutation: [2, 0, 1] })
    const t2 = b.op('transpose', [t1], { permutation: [1, 2, 0] })
    expect(run(b.done(t2))).toMatchInlineSnapshot(`
      "{ lambda a:f64[2,3,4] .
        let b:f64[4,2,3] = transpose[permutation=(2, 0, 1)] a
        in ( a ) }"
    `)
  })
  it('convert_element_type to the same dtype and weak type → x; a weak-type change stays', () => {
    const b = new Builder()
    const x = b.input([2], 'float32')
    const same = b.op('convert_element_type', [x], { newDtype: 'float32', weakType: false })
    const weak = b.op('convert_element_type', [x], { newDtype: 'float32', weakType: true })
    const f64 = b.op('convert_element_type', [x], { newDtype: 'float64', weakType: false })
    expect(run(b.done(same, weak, f64))).toMatchInlineSnapshot(`
      "{ lambda a:f32[2] .
        let b:f32[2] = convert_element_type[newDtype=float32 weakType=true] a
            c:f64[2] = convert_element_type[newDtype=float64 weakType=false] a
        in ( a b c ) }"
    `)
  })
  it('broadcast_in_dim to the same shape with identity dims → x; a real broadcast stays', () => {
    const b = new Builder()
    const x = b.input([1, 3])
    const same = b.op('broadcast_in_dim', [x], { shape: [1, 3], broadcastDimensions: [0, 1] })
    const grow = b.op('broadcast_in_dim', [x], { shape: [4, 3], broadcastDimensions: [0, 1] })
    expect(run(b.done(same, grow))).toMatchInlineSnapshot(`
      "{ lambda a:f64[1,3] .
        let b:f64[4,3] = broadcast_in_dim[shape=(4, 3) broadcastDimensions=(0, 1)] a
        in ( a b ) }"
    `)
  })
  it('squeeze of nothing → x; a real squeeze stays', () => {
    const b = new Builder()
    const x = b.input([1, 3])
    const none = b.op('squeeze', [x], { dimensions: [] })
    const real = b.op('squeeze', [x], { dimensions: [0] })
    expect(run(b.done(none, real))).toMatchInlineSnapshot(`
      "{ lambda a:f64[1,3] .
        let b:f64[3] = squeeze[dimensions=(0,)] a
        in ( a b ) }"
    `)
  })
  it('returns its input when nothing applies', () => {
    const b = new Builder()
    const x = b.input([3])
    const j = b.done(b.op('sin', [b.op('mul', [x, lit(2)])]))
    expect(simplify(j)).toBe(j)
  })
})
