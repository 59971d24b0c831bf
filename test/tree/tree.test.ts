import { describe, expect, it } from 'vitest'
import { tree, TreeMismatchError } from '../../src'

describe('pytrees', () => {
  it('flatten / unflatten round-trip with sorted object keys and None nodes', () => {
    const t = { b: [1, 2], a: { c: 3, d: null }, e: undefined }
    const [leaves, def] = tree.flatten(t)
    expect(leaves).toEqual([3, 1, 2])
    expect(tree.unflatten(def, [30, 10, 20])).toEqual({ a: { c: 30, d: null }, b: [10, 20], e: undefined })
    expect(tree.treedefStr(def)).toBe('{a: {c: *, d: null}, b: [*, *], e: undefined}')
  })
  it('map over several trees', () => {
    expect(tree.map((x: number, y: number) => x + y, [1, { a: 2 }], [10, { a: 20 }])).toEqual([11, { a: 22 }])
  })
  it('structure mismatches are TreeMismatchErrors naming both structures', () => {
    expect(() => tree.map((x: number) => x, [1, 2], [1])).toThrow(TreeMismatchError)
    expect(() => tree.map((x: number) => x, [1, 2], [1])).toThrow(/\[\*\].*expected \[\*, \*\]/)
    const [, def] = tree.flatten([1, 2])
    expect(() => tree.unflatten(def, [1])).toThrow(/needs 2 leaves, got 1/)
  })
  it('leaves and structure', () => {
    expect(tree.leaves({ x: [1, [2, 3]] })).toEqual([1, 2, 3])
    expect(tree.treedefEq(tree.structure([1, { a: 2 }]), tree.structure([5, { a: 6 }]))).toBe(true)
    expect(tree.treedefEq(tree.structure([1, { a: 2 }]), tree.structure([5, { b: 6 }]))).toBe(false)
  })
})
