// Bad inputs at the edges of the API end in a named error that says what was expected, what
// was got, and what to do — never an internal error, a stack overflow, a generic TypeError
// from deep inside, or a silently different program.
import { describe, expect, it } from 'vitest'
import {
  ArgumentTypeError, ConcretizationError, NonLinearError, ShapeError, TreeMismatchError, ValueError,
  customVjp, grad, hvp, jacrev, jit, jvp, lax, linearize, linearTranspose, np, tree, valueAndGrad, vjp, vmap,
} from '../../src'
import type { Array } from '../../src'

/** The error `f` throws (fails the test when it throws nothing). */
const thrown = (f: () => unknown): Error => {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected an error, none was thrown')
}

describe('shapes', () => {
  it.each([
    [[NaN], /entry 0 is NaN/],
    [[1.5], /entry 0 is not an integer/],
    [[2, -1], /entry 1 is negative/],
    [[Infinity], /entry 0 is infinite/],
    [['3'], /got \["3"\] \(entry 0 is a string/],
    [[2 ** 31], /entry 0 is above 2\^31 - 1/],
  ])('np.zeros(%j) is a ValueError naming the bad entry', (shape, why) => {
    const e = thrown(() => np.zeros(shape as number[]))
    expect(e).toBeInstanceOf(ValueError)
    expect(e.message).toMatch(/shape entries must be non-negative integers/)
    expect(e.message).toMatch(why)
    expect(e.message).toMatch(/Compute sizes as JS integers/)
  })

  it('absurd sizes name the element count and the limit', () => {
    const e = thrown(() => np.ones([2 ** 16, 2 ** 16]))
    expect(e).toBeInstanceOf(ValueError)
    expect(e.message).toMatch(/has 4294967296 elements, more than 2\^31 - 1 elements/)
    expect(e.message).toMatch(/smaller shape/)
    expect(thrown(() => np.reshape(np.zeros([4]), 7 as never))).toBeInstanceOf(Error)
  })
})

describe('dimension numbers', () => {
  const x = np.arange(6).astype('float64').reshape([2, 3])
  const idx = np.array([[1]]).astype('int32')
  const good = { offsetDims: [0], collapsedSliceDims: [1], startIndexMap: [1] }

  it('lax.gather: missing or mistyped fields show the expected object; batching fields default to []', () => {
    // Missing batching fields are empty lists, as in JAX: x[:, 1].
    expect(lax.gather(x, idx, good as never, [2, 1]).tolist()).toEqual([[1], [4]])
    for (const [dn, got] of [
      [{}, /offsetDims must be a list of integer axes \(use \[\] for none\), it is missing/],
      [{ ...good, startIndexMap: 1 }, /startIndexMap must be a list of integer axes .*got number 1/],
      [{ ...good, collapsedSliceDims: ['1'] }, /collapsedSliceDims must be a list .*got \["1"\]/],
      [{ ...good, offsetDims: [0.5] }, /offsetDims must be a list .*got \[0\.5\]/],
      [null, /dimension numbers must be an object/],
    ] as const) {
      const e = thrown(() => lax.gather(x, idx, dn as never, [2, 1]))
      expect(e).toBeInstanceOf(ValueError)
      expect(e.message).toMatch(got)
      if (dn !== null) expect(e.message).toMatch(/Expected \{ offsetDims, collapsedSliceDims, startIndexMap/)
    }
    // In range is checked against the operand.
    expect(() => lax.gather(x, idx, { ...good, collapsedSliceDims: [7] } as never, [2, 1])).toThrow(/collapsedSliceDims \(7\) must be axes of the operand f64\[2,3\]/)
  })

  it('lax.dotGeneral: the same for its dimension numbers', () => {
    const a = np.array([1, 2, 3])
    expect(lax.dotGeneral(a, a, { lhsContracting: [0], rhsContracting: [0] } as never).item()).toBe(14)
    for (const [dn, got] of [
      [{}, /lhsContracting must be a list of integer axes .*it is missing/],
      [[[[0], [0]], [[], []]], /dimension numbers must be an object \{ lhsContracting, rhsContracting, lhsBatch\?, rhsBatch\? \}.*got a JS array/],
      [{ lhsContracting: [0], rhsContracting: 0 }, /rhsContracting must be a list .*got number 0/],
    ] as const) {
      const e = thrown(() => lax.dotGeneral(a, a, dn as never))
      expect(e).toBeInstanceOf(ValueError)
      expect(e.message).toMatch(got)
    }
    expect(() => lax.dotGeneral(a, a, { lhsContracting: [5], rhsContracting: [0], lhsBatch: [], rhsBatch: [] })).toThrow(/lhs axis 5 is out of range for f64\[3\]/)
  })
})

describe('operands of the wrong kind', () => {
  it('a string pad value, in np.pad and lax.pad', () => {
    const x = np.array([1, 2])
    for (const f of [() => np.pad(x, 1, { constantValues: 'a' as never }), () => lax.pad(x, 'a' as never, [[1, 1, 0]])]) {
      const e = thrown(f)
      expect(e).toBeInstanceOf(ArgumentTypeError)
      expect(e.message).toMatch(/pad: .*string.*Wrap data with np\.array/)
    }
  })

  it('string predicates, bounds and branches of lax.cond / switch / foriLoop', () => {
    const one = (v: Array) => v
    const cases: [() => unknown, RegExp][] = [
      [() => lax.cond('yes' as never, one, one, np.array(1)), /lax\.cond: the predicate\/index must be a JS boolean or integer, or a scalar bool\/int32 Array; got the string "yes"/],
      [() => lax.switch('1' as never, [one, one], np.array(1)), /lax\.switch: the predicate\/index .*got the string "1"/],
      [() => lax.foriLoop('0' as never, 3, (_i, c: Array) => c, np.array(1)), /lax\.foriLoop: the lower bound must be a JS integer or a scalar int32 Array, got the string "0"/],
      [() => lax.foriLoop(0, '3' as never, (_i, c: Array) => c, np.array(1)), /the upper bound .*got the string "3"/],
      [() => lax.cond(true, one, 'f' as never, np.array(1)), /branch 0 must be a function, got the string "f"/],
    ]
    for (const [f, message] of cases) {
      const e = thrown(f)
      expect(e).toBeInstanceOf(ArgumentTypeError)
      expect(e.message).toMatch(message)
    }
  })
})

describe('pytrees', () => {
  it('a cyclic pytree is a ValueError naming the back-reference, not a stack overflow', () => {
    const cyc: Record<string, unknown> = { a: np.array(1.0), b: [np.array(2.0)] }
    ;(cyc.b as unknown[]).push(cyc)
    for (const f of [() => tree.flatten(cyc), () => grad((p: typeof cyc) => (p.a as Array).mul(2))(cyc), () => jit((p: typeof cyc) => p.a)(cyc)]) {
      const e = thrown(f)
      expect(e).toBeInstanceOf(ValueError)
      // Under a transformation the root is the argument list: [0] is the first argument.
      expect(e.message).toMatch(/the value at (\[0\])?\.b\[1\] is its own ancestor (\(root\)|\[0\]) \(a cyclic structure\)/)
      expect(e.message).toMatch(/without the back-reference/)
    }
  })

  it('a shared subtree that is not a cycle is fine', () => {
    const shared = [np.array(1.0), np.array(2.0)]
    const [leaves] = tree.flatten({ p: shared, q: shared })
    expect(leaves).toHaveLength(4)
  })
})

describe('customVjp', () => {
  const x = np.array([1, 2])
  const y = np.array([3, 4])

  it('a bwd that returns the wrong number of cotangents names the arguments and what came back', () => {
    // @ts-expect-error -- one cotangent for two arguments: rejected by the types, checked at run time for JS callers
    const f = customVjp((a: Array, b: Array) => a.mul(b), (a: Array, b: Array) => [a.mul(b), [a, b]], (r: Array[], ct: Array) => [ct.mul(r[1])])
    const e = thrown(() => grad((a: Array, b: Array) => f(a, b).sum())(x, y))
    expect(e).toBeInstanceOf(TreeMismatchError)
    expect(e.message).toMatch(/bwd must return a JS array of 2 cotangent\(s\), one per argument of f, shaped like the arguments \[f64\[2\], f64\[2\]\]; got a JS array of 1: \[f64\[2\]\]/)
  })

  it('a bwd that returns a bare Array (not a list) says to wrap it', () => {
    const f = customVjp((a: Array) => a.sum(), (a: Array) => [a.sum(), a], (_r: Array, ct: Array) => ct as never)
    const e = thrown(() => grad(f)(x))
    expect(e).toBeInstanceOf(TreeMismatchError)
    expect(e.message).toMatch(/got one Array f64\[\] \(not in a list\)\. Wrap a single cotangent in a list \(\[ct\]\)/)
  })

  it('a nested cotangent for a leaf argument names both structures', () => {
    // @ts-expect-error -- a nested cotangent for a leaf argument: rejected by the types, checked at run time
    const f = customVjp((a: Array) => a.sin(), (a: Array) => [a.sin(), a], (_r: Array, ct: Array) => [[ct, ct]])
    const e = thrown(() => grad((a: Array) => f(a).sum())(x))
    expect(e).toBeInstanceOf(TreeMismatchError)
    expect(e.message).toMatch(/cotangent 0 has structure \[\*, \*\], but argument 0 is \*; .*arguments: \[f64\[2\]\]/)
  })
})

describe('linearTranspose', () => {
  it.each([
    ['a product of the input with itself', (v: Array) => v.mul(v), /mul of two values that both depend on the input/],
    ['sin', (v: Array) => v.sin(), /'sin'/],
    ['a division by the input', (v: Array) => np.divide(1, v), /div by a value that depends on the input/],
  ])('of %s is a NonLinearError saying the function is not linear in its input', (_name, f, detail) => {
    const e = thrown(() => linearTranspose(f, np.array([1, 2]))(np.array([1, 1])))
    expect(e).toBeInstanceOf(NonLinearError)
    expect(e.message).toMatch(/^linearTranspose: the function is not linear in its input/)
    expect(e.message).toMatch(detail)
    expect(e.message).toMatch(/vjp\(f, \[x\]\)/)
  })

  it('of a linear function still works', () => {
    const t = linearTranspose((v: Array) => v.mul(3).sum(), np.array([1, 2]))
    expect(t(np.array(2))[0].tolist()).toEqual([6, 6])
  })
})

describe('mistyped options are errors; unknown keys are ignored', () => {
  const xs = np.array([1, 2, 3])
  const step = (c: Array, v: Array): [Array, Array] => [c.add(v), c]

  it('lax.scan({ reverse: "yes" }) used to run forward silently', () => {
    const e = thrown(() => lax.scan(step, np.array(0), xs, { reverse: 'yes' as never }))
    expect(e).toBeInstanceOf(ValueError)
    expect(e.message).toBe('lax.scan: option reverse must be true or false, got the string "yes"')
    expect(() => lax.scan(step, np.array(0), xs, { length: 2.5 })).toThrow(/option length must be a non-negative integer, got 2\.5/)
    // An unknown key is ignored, as JS APIs do.
    const [c, ys] = lax.scan(step, np.array(0), xs, { reverse: true, unrolled: 3 } as never)
    expect(c.item()).toBe(6)
    expect(ys.tolist()).toEqual([5, 3, 0])
  })

  it('transformations and reductions', () => {
    const f = (v: Array) => v.mul(v).sum()
    const cases: [() => unknown, RegExp][] = [
      [() => grad(f, { hasAux: 'no' as never })(xs), /^grad: option hasAux must be true or false, got the string "no"/],
      [() => valueAndGrad(f, { argnums: '0' as never })(xs), /^valueAndGrad: option argnums must be an integer or a list of integers, got the string "0"/],
      [() => (vjp as (f: unknown, p: unknown[], o: unknown) => unknown)(f, [xs], { hasAux: 1 }), /^vjp: option hasAux must be true or false, got 1/],
      [() => jacrev(f, { chunkSize: 0 })(xs), /^jacrev: option chunkSize must be a positive integer, got 0/],
      [() => vmap(f, { axisSize: -1 })(np.ones([2, 3])), /^vmap: option axisSize must be a non-negative integer, got -1/],
      [() => jit(f, { staticArgnums: 'n' as never }), /^jit: option staticArgnums must be an integer or a list of integers/],
      [() => np.sum(xs, 0, { keepdims: 'true' as never }), /option keepdims must be true or false, got the string "true"/],
      [() => grad(f, 'fast' as never)(xs), /^grad: options must be an object/],
    ]
    for (const [run, message] of cases) {
      const e = thrown(run)
      expect(e).toBeInstanceOf(ValueError)
      expect(e.message).toMatch(message)
    }
  })
})

describe('JS arrays where an Array is meant', () => {
  it('grad(f)([1, 2, 3]) explains that a JS array is a pytree of scalars and to wrap it with np.array', () => {
    const f = (x: Array) => x.mul(x).sum()
    const e = thrown(() => grad(f)([1, 2, 3] as never))
    expect(e).toBeInstanceOf(ArgumentTypeError)
    expect(e.message).toMatch(/^grad: argument 0 is a JS array of 3 number\(s\), which transformations treat as a pytree \(a list of separate scalars\), not as one Array/)
    expect(e.message).toMatch(/failed with "x\.mul is not a function"/)
    expect(e.message).toMatch(/wrap the data with np\.array\(\[\.\.\.\]\)/)
    expect((e as Error & { cause: unknown }).cause).toBeInstanceOf(TypeError)
    expect(grad(f)(np.array([1, 2, 3])).tolist()).toEqual([2, 4, 6])
  })

  it('a JS array is a pytree, as a Python list is in JAX: a function written for lists works', () => {
    const g = grad((p: number[]) => np.multiply(p[0], p[1]))([3, 5] as never) as Array[]
    expect(g.map((a) => a.item())).toEqual([5, 3])
    // JS numbers are weakly typed float scalars.
    expect(grad((x: Array) => x.mul(x))(3).item()).toBe(6)
  })

  it('jvp / linearize / vjp / hvp with a bare Array instead of a list of arguments', () => {
    const f = (x: Array) => x.mul(x).sum()
    const x = np.array([1, 2])
    const cases: [() => unknown, RegExp][] = [
      [() => jvp(f, x as never, [x]), /^jvp: primals must be a list \(a JS array\) with one entry per argument of the function, got an Array f64\[2\]\. Wrap it: jvp\(f, \[x\], \[t\]\)/],
      [() => jvp(f, [x], x as never), /^jvp: tangents must be a list/],
      [() => linearize(f, x as never), /^linearize: primals must be a list .*linearize\(f, \[x\]\)/],
      [() => vjp(f, x as never), /^vjp: primals must be a list/],
      [() => hvp(f, x as never, [x]), /^hvp: primals must be a list .*hvp\(f, \[x\], \[t\]\)/],
      [() => jvp(f, 2 as never, [x]), /^jvp: primals must be a list .*got number 2/],
    ]
    for (const [run, message] of cases) {
      const e = thrown(run)
      expect(e).toBeInstanceOf(ArgumentTypeError)
      expect(e.message).toMatch(message)
    }
  })
})

describe('jit and staticArgnums', () => {
  it('a ConcretizationError while jit traces names staticArgnums and the traced arguments', () => {
    const repeat = (x: Array, n: number) => {
      let y = x
      for (let i = 0; i < n; i++) y = y.mul(2)
      return y
    }
    const e = thrown(() => jit(repeat)(np.array([1.0]), 3))
    expect(e).toBeInstanceOf(ConcretizationError)
    expect(e.message).toMatch(/staticArgnums/)
    expect(e.message).toMatch(/here: arguments 0 \(f64\[1\]\), 1 \(the number 3\)/)
    expect(e.message).toMatch(/jit\(f, \{ staticArgnums: \[i\] \}\)/)
    expect(e.message).toMatch(/lax\.cond \/ np\.where/)
    // The fix it suggests works.
    expect(jit(repeat, { staticArgnums: 1 })(np.array([1.0]), 3).tolist()).toEqual([8])
  })

  it('nested jits add the hint once', () => {
    const inner = jit((x: Array) => (x.item() > 0 ? x : x.neg()))
    const e = thrown(() => jit((x: Array) => inner(x))(np.array(1.0)))
    expect(e).toBeInstanceOf(ConcretizationError)
    expect(e.message.match(/staticArgnums/g)).toHaveLength(2) // "not listed in staticArgnums" + the fix
  })

  it('outside jit the message is unchanged (no staticArgnums to set)', () => {
    const e = thrown(() => grad((x: Array) => (x.item() > 0 ? x : x.neg()))(np.array(1.0)))
    expect(e).toBeInstanceOf(ConcretizationError)
    expect(e.message).not.toMatch(/staticArgnums/)
    expect(e).not.toBeInstanceOf(ShapeError)
  })
})
