import { describe, expect, it } from 'vitest'
import { ConcreteArray } from '../../src/core/array'
import { ShapeError, ValueError } from '../../src/core/errors'
import type { Tracer } from '../../src/core/tracer'
import { dot, einsum, inner, matmul, outer, tensordot } from '../../src/numpy/contract'
import { sum } from '../../src/numpy/reductions'
import { grad, jvp } from '../../src/transforms/autodiff'
import { vmap } from '../../src/transforms/vmap'
import { arr, at, jaxprText, expectClose, ints, multiIndices, rand, sizeOf, vals } from './dense'

/**
 * Brute-force einsum for letter-only explicit specs: loop over every assignment of every
 * label, multiply the operands' entries, accumulate into the output entry.
 */
const bruteEinsum = (spec: string, ...xs: Tracer[]): { shape: number[]; data: number[] } => {
  const [lhs, out] = spec.split('->')
  const terms = lhs.split(',')
  const size = new Map<string, number>()
  terms.forEach((t, i) => [...t].forEach((l, ax) => size.set(l, xs[i].shape[ax])))
  const labels = [...size.keys()]
  const outShape = [...out].map((l) => size.get(l) as number)
  const data = new Array<number>(sizeOf(outShape)).fill(0)
  for (const assign of multiIndices(labels.map((l) => size.get(l) as number))) {
    const v = new Map(labels.map((l, i) => [l, assign[i]]))
    let p = 1
    terms.forEach((t, i) => (p *= at(xs[i], [...t].map((l) => v.get(l) as number))))
    let o = 0
    for (const l of out) o = o * (size.get(l) as number) + (v.get(l) as number)
    data[o] += p
  }
  return { shape: outShape, data }
}

/** out[b..., i, j] = Σ_k a[b..., i, k] c[b..., k, j] with explicit broadcast of the batch. */
const bruteMatmul = (a: Tracer, b: Tracer): { shape: number[]; data: number[] } => {
  const av = a.ndim === 1 ? [1, ...a.shape] : [...a.shape]
  const bv = b.ndim === 1 ? [...b.shape, 1] : [...b.shape]
  const ab = av.slice(0, -2)
  const bb = bv.slice(0, -2)
  const nb = Math.max(ab.length, bb.length)
  const pa = [...Array(nb - ab.length).fill(1), ...ab]
  const pb = [...Array(nb - bb.length).fill(1), ...bb]
  const batch = pa.map((d, i) => Math.max(d, pb[i]))
  const [m, k] = av.slice(-2)
  const n = bv[bv.length - 1]
  const data: number[] = []
  for (const bi of multiIndices(batch)) {
    const ia = bi.slice(nb - ab.length).map((v, d) => (ab[d] === 1 ? 0 : v))
    const ib = bi.slice(nb - bb.length).map((v, d) => (bb[d] === 1 ? 0 : v))
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0
        for (let q = 0; q < k; q++) {
          const x = at(a, a.ndim === 1 ? [q] : [...ia, i, q])
          const y = at(b, b.ndim === 1 ? [q] : [...ib, q, j])
          s += x * y
        }
        data.push(s)
      }
    }
  }
  const shape = [...batch, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])]
  return { shape, data }
}

describe('matmul', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 5]],
    [[4], [4, 5]],
    [[3, 4], [4]],
    [[4], [4]],
    [[2, 3, 4], [4, 5]],
    [[3, 4], [2, 4, 5]],
    [[2, 3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [5, 4, 2]],
    [[1, 3, 4], [2, 4, 5]],
    [[6], [2, 6, 3]],
    [[2, 3, 6], [6]],
    [[0, 3], [3, 2]],
    [[2, 0], [0, 3]],
  ]
  it.each(cases)('%j @ %j matches triple loops (float64)', (sa, sb) => {
    const a = rand(sa)
    const b = rand(sb)
    const ref = bruteMatmul(a, b)
    expectClose(matmul(a, b), ref.shape, ref.data)
  })
  it('int32 and float32 operands keep their dtype', () => {
    const a = rand([2, 3], 'int32')
    const b = rand([3, 2], 'int32')
    const r = matmul(a, b)
    expect(r.dtype).toBe('int32')
    expectClose(r, [2, 2], bruteMatmul(a, b).data, 0)
    const c = arr(vals(rand([2, 3])), [2, 3], 'float32')
    const d = arr(vals(rand([3, 4])), [3, 4], 'float32')
    const r32 = matmul(c, d)
    expect(r32.dtype).toBe('float32')
    expectClose(r32, [2, 4], bruteMatmul(c, d).data.map(Math.fround), 1e-6)
  })
  it('promotes mixed dtypes and contracts bools as an OR of ANDs', () => {
    const a = rand([2, 3], 'int32')
    const b = rand([3, 2])
    expect(matmul(a, b).dtype).toBe('float64')
    const p = arr([1, 0, 1, 0, 0, 0], [2, 3], 'bool')
    const q = arr([0, 1, 1, 0], [2, 2], 'bool')
    const q3 = arr([0, 1, 0, 0, 1, 0], [3, 2], 'bool')
    const r = matmul(p, q3)
    expect(r.dtype).toBe('bool')
    expect(r.tolist()).toEqual([[true, true], [false, false]])
    expect(() => matmul(p, q)).toThrow(ShapeError)
  })
  it('rejects scalars and mismatched shapes with the shapes in the message', () => {
    expect(() => matmul(rand([]), rand([3]))).toThrow(ValueError)
    expect(() => matmul(rand([2, 3]), rand([4, 5]))).toThrow(/matmul: \[2, 3\] @ \[4, 5\].*3 columns.*4 rows/)
    expect(() => matmul(rand([2, 2, 3]), rand([3, 3, 4]))).toThrow(ShapeError)
    expect(() => matmul(rand([2, 2, 3]), rand([3, 3, 4]))).toThrow(/batch axes.*\[2\].*\[3\]/)
  })
  it('gradients: d/da Σ w∘(a b) = w bᵀ, d/db = aᵀ w', () => {
    const a = rand([3, 4])
    const b = rand([4, 2])
    const w = rand([3, 2])
    const f = (x: Tracer, y: Tracer) => sum(matmul(x, y).mul(w))
    const [ga, gb] = grad(f, { argnums: [0, 1] })(a, b) as Tracer[]
    const gaRef = multiIndices([3, 4]).map(([i, k]) => [0, 1].reduce((s, j) => s + at(w, [i, j]) * at(b, [k, j]), 0))
    const gbRef = multiIndices([4, 2]).map(([k, j]) => [0, 1, 2].reduce((s, i) => s + at(a, [i, k]) * at(w, [i, j]), 0))
    expectClose(ga, [3, 4], gaRef)
    expectClose(gb, [4, 2], gbRef)
  })
  it('vmap over a batch of left operands is one batched contraction', () => {
    const a = rand([5, 3, 4])
    const b = rand([4, 2])
    const out = vmap((x: Tracer) => matmul(x, b))(a)
    const ref = bruteMatmul(a, b)
    expectClose(out, ref.shape, ref.data)
    expect(jaxprText((x: Tracer) => vmap((y: Tracer) => matmul(y, b))(x), a)).toMatch(/dot_general/)
    expect(jaxprText((x: Tracer) => vmap((y: Tracer) => matmul(y, b))(x), a)).not.toMatch(/concatenate/)
  })
})

describe('dot', () => {
  it('scalar operands multiply elementwise', () => {
    const x = rand([2, 3])
    expectClose(dot(x, 2), [2, 3], vals(x).map((v) => v * 2))
    expectClose(dot(arr([3], []), x), [2, 3], vals(x).map((v) => v * 3))
  })
  it('1-D · 1-D is the inner product; N-D · 1-D contracts the last axis', () => {
    const u = rand([5])
    const v = rand([5])
    expectClose(dot(u, v), [], [vals(u).reduce((s, x, i) => s + x * vals(v)[i], 0)])
    const a = rand([2, 3, 5])
    const ref = bruteEinsum('ijk,k->ij', a, v)
    expectClose(dot(a, v), ref.shape, ref.data)
  })
  it('N-D · M-D contracts a[..., k] with b[..., k, :]', () => {
    const a = rand([2, 3, 4])
    const b = rand([5, 4, 6])
    const ref = bruteEinsum('ijk,lkm->ijlm', a, b)
    expectClose(dot(a, b), ref.shape, ref.data)
    const c = rand([4])
    const ref2 = bruteEinsum('k,lkm->lm', c, b)
    expectClose(dot(c, b), ref2.shape, ref2.data)
  })
  it('misaligned shapes: ShapeError naming both shapes and axes', () => {
    expect(() => dot(rand([2, 3]), rand([4, 5]))).toThrow(ShapeError)
    expect(() => dot(rand([2, 3]), rand([4, 5]))).toThrow(/dot: shapes \[2, 3\] and \[4, 5\] not aligned: 3 \(axis 1 of a\) != 4 \(axis 0 of b\)/)
  })
})

describe('inner, outer, tensordot', () => {
  it('inner contracts the last axes', () => {
    const a = rand([2, 3])
    const b = rand([4, 3])
    const ref = bruteEinsum('ik,jk->ij', a, b)
    expectClose(inner(a, b), ref.shape, ref.data)
    expectClose(inner(a, 2), [2, 3], vals(a).map((v) => 2 * v))
    expect(() => inner(rand([2, 3]), rand([3, 2]))).toThrow(/inner: the last axes of \[2, 3\] and \[3, 2\] differ/)
  })
  it('outer flattens both operands', () => {
    const a = rand([2, 2])
    const b = rand([3])
    const r = outer(a, b)
    expectClose(r, [4, 3], vals(a).flatMap((x) => vals(b).map((y) => x * y)))
  })
  it('tensordot with axes = n, pairs, and single axes', () => {
    const a = rand([2, 3, 4])
    const b = rand([3, 4, 5])
    const r2 = bruteEinsum('ijk,jkl->il', a, b)
    expectClose(tensordot(a, b), r2.shape, r2.data)
    const c = rand([4, 5])
    const r1 = bruteEinsum('ijk,kl->ijl', a, c)
    expectClose(tensordot(a, c, 1), r1.shape, r1.data)
    const r0 = bruteEinsum('ij,kl->ijkl', rand([2, 2]).mul(0).add(1), c)
    expectClose(tensordot(arr([1, 1, 1, 1], [2, 2]), c, 0), r0.shape, r0.data)
    const d = rand([4, 3, 6])
    const rp = bruteEinsum('ijk,kjl->il', a, d)
    expectClose(tensordot(a, d, [[1, 2], [1, 0]]), rp.shape, rp.data)
    const rs = bruteEinsum('ijk,kml->ijml', a, rand([4, 1, 2]).mul(0))
    expectClose(tensordot(a, rand([4, 1, 2]).mul(0), [2, 0]), rs.shape, rs.data)
    expectClose(tensordot(a, d, [[-1], [0]]), [2, 3, 3, 6], bruteEinsum('ijk,klm->ijlm', a, d).data)
  })
  it('tensordot errors name the axes and sizes', () => {
    expect(() => tensordot(rand([2, 3]), rand([4, 3]), [[1], [0]])).toThrow(ShapeError)
    expect(() => tensordot(rand([2, 3]), rand([4, 3]), [[1], [0]])).toThrow(/axis 1 of a \[2, 3\] \(size 3\) does not match axis 0 of b \[4, 3\] \(size 4\)/)
    expect(() => tensordot(rand([2, 3]), rand([3]), 3)).toThrow(ValueError)
    expect(() => tensordot(rand([2, 3]), rand([3, 3]), [[0, 1], [1]])).toThrow(/equal lengths/)
  })
})

describe('einsum', () => {
  const cases: [string, number[][]][] = [
    ['ij,jk->ik', [[3, 4], [4, 5]]],
    ['ij->ji', [[3, 4]]],
    ['ij->', [[3, 4]]],
    ['ii->i', [[4, 4]]],
    ['ii->', [[4, 4]]],
    ['iij->ij', [[3, 3, 2]]],
    ['iji->j', [[3, 2, 3]]],
    ['i,i->', [[5], [5]]],
    ['i,j->ij', [[2], [3]]],
    ['ij,ij->ij', [[2, 3], [2, 3]]],
    ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]],
    ['bij,bjk,bkl->bil', [[2, 3, 4], [2, 4, 2], [2, 2, 3]]],
    ['ab,bc,cd->ad', [[2, 3], [3, 4], [4, 2]]],
    ['ij,jk,ki->', [[2, 3], [3, 4], [4, 2]]],
    ['ii,ij->j', [[3, 3], [3, 2]]],
    ['abc,cd,a->bd', [[2, 3, 4], [4, 5], [2]]],
    ['ij,k->', [[2, 3], [4]]],
    [',ij->ij', [[], [2, 3]]],
    ['Aa,aB->AB', [[2, 3], [3, 2]]],
  ]
  it.each(cases)('%s matches explicit nested sums', (spec, shapes) => {
    const xs = shapes.map((s) => rand(s))
    const ref = bruteEinsum(spec, ...xs)
    expectClose(einsum(spec, ...xs), ref.shape, ref.data)
  })
  it('implicit output: labels used once, in alphabetical order (uppercase first)', () => {
    const a = rand([3, 4])
    const b = rand([4, 5])
    const ref = bruteEinsum('ij,jk->ik', a, b)
    expectClose(einsum('ij,jk', a, b), ref.shape, ref.data)
    const refT = bruteEinsum('ba->ab', a)
    expectClose(einsum('ba', a), refT.shape, refT.data)
    expectClose(einsum('ii', rand([3, 3]).mul(0).add(1)), [], [3])
    const c = rand([2, 3])
    expectClose(einsum('bA', c), [3, 2], bruteEinsum('bA->Ab', c).data)
  })
  it('ellipsis broadcasts leading axes (explicit and implicit output)', () => {
    const a = rand([2, 1, 3, 4])
    const b = rand([5, 4, 2])
    const ref = bruteMatmul(a, b)
    expectClose(einsum('...ij,...jk->...ik', a, b), ref.shape, ref.data)
    expectClose(einsum('...ij,...jk', a, b), ref.shape, ref.data)
    const x = rand([2, 3, 4])
    expectClose(einsum('...i->...', x), [2, 3], bruteEinsum('abi->ab', x).data)
    expectClose(einsum('i...->...i', x), [3, 4, 2], bruteEinsum('iab->abi', x).data)
    expectClose(einsum('...i->i', x), [4], bruteEinsum('abi->i', x).data)
    expectClose(einsum('i...j,j->...i', x, rand([4]).mul(0).add(1)), [3, 2], bruteEinsum('iaj->ai', x).data)
  })
  it('int32 operands stay int32', () => {
    const a = rand([2, 3], 'int32')
    const b = rand([3], 'int32')
    const r = einsum('ij,j->i', a, b)
    expect(r.dtype).toBe('int32')
    expectClose(r, [2], bruteEinsum('ij,j->i', a, b).data, 0)
  })
  it('gradient of the trace is the identity; of a bilinear form is the other operand', () => {
    const x = rand([3, 3])
    expectClose(grad((m: Tracer) => einsum('ii->', m))(x), [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])
    const u = rand([3])
    const v = rand([4])
    const A = rand([3, 4])
    const g = grad((m: Tracer) => einsum('i,ij,j->', u, m, v))(A)
    expectClose(g, [3, 4], multiIndices([3, 4]).map(([i, j]) => at(u, [i]) * at(v, [j])))
    const [, t] = jvp((m: Tracer) => einsum('ij,jk->ik', m, A), [x], [x])
    const ref = bruteEinsum('ij,jk->ik', x, A)
    expectClose(t as Tracer, ref.shape, ref.data)
  })
  it('one dot_general per pair of operands, no loops', () => {
    const text = jaxprText((a: Tracer, b: Tracer, c: Tracer) => einsum('bij,bjk,bkl->bil', a, b, c), rand([2, 3, 4]), rand([2, 4, 2]), rand([2, 2, 3]))
    expect(text.match(/dot_general/g)?.length).toBe(2)
  })
  it('validates subscripts and shapes, naming both', () => {
    expect(() => einsum('ij,jk->ik', rand([2, 3]))).toThrow(ValueError)
    expect(() => einsum('ij,jk->ik', rand([2, 3]))).toThrow(/name 2 operand\(s\) but 1 were given/)
    expect(() => einsum('ijk,jk->ik', rand([2, 3]), rand([3, 4]))).toThrow(ShapeError)
    expect(() => einsum('ijk,jk->ik', rand([2, 3]), rand([3, 4]))).toThrow(/operand 0 has rank 2 but its subscripts name 3 axes \(subscripts 'ijk,jk->ik', shapes \[2, 3\], \[3, 4\]\)/)
    expect(() => einsum('ij,jk->ik', rand([2, 3]), rand([4, 5]))).toThrow(/label 'j' has sizes 3 and 4 \(subscripts 'ij,jk->ik', shapes \[2, 3\], \[4, 5\]\)/)
    expect(() => einsum('ij->iq', rand([2, 3]))).toThrow(/output label 'q' does not appear/)
    expect(() => einsum('ij->ii', rand([2, 3]))).toThrow(/output label 'i' repeats/)
    expect(() => einsum('i1->i', rand([2, 3]))).toThrow(/invalid character '1'/)
    expect(() => einsum('i->j->k', rand([2]))).toThrow(/'->' more than once/)
    expect(() => einsum('...i,...i', rand([2, 3]), rand([4, 3]))).toThrow(/'\.\.\.' axes do not broadcast/)
    expect(() => einsum('..i', rand([2]))).toThrow(/invalid ellipsis/)
    expect(() => einsum('ii->i', rand([2, 3]))).toThrow(ShapeError)
  })
})

describe('contractions on concrete arrays are ConcreteArrays', () => {
  it('returns concrete results eagerly', () => {
    expect(matmul(rand([2, 2]), rand([2, 2]))).toBeInstanceOf(ConcreteArray)
    expect(einsum('i->', ints([1, 2, 3])).item()).toBe(6)
  })
})
