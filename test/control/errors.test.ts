/**
 * Control-flow errors: a carry whose shape or dtype changes (ShapeError naming the leaf path),
 * a carry or branch whose structure changes (TreeMismatchError), bad predicates and indices,
 * bad scan lengths, and reverse mode through a while loop (NonDifferentiableError pointing to
 * foriLoop / scan). Eager and traced (jit) calls throw the same errors.
 */
import { describe, expect, it } from 'vitest'
import {
  type Array as Arr, DTypeError, NonDifferentiableError, ShapeError, TreeMismatchError, ValueError,
  grad, hvp, jacrev, jit, lax, linearize, np, valueAndGrad, vjp,
} from '../../src'

const i32 = (i: number) => np.array(i, { dtype: 'int32' })
/** Throws `cls` with a message matching every regex, eagerly and under jit. */
const expectThrows = (f: () => unknown, cls: new (...a: any[]) => Error, ...res: RegExp[]) => {
  for (const g of [f, () => jit(() => f())()]) {
    let err: unknown
    try {
      g()
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(cls)
    for (const re of res) expect((err as Error).message).toMatch(re)
  }
}

interface S { pos: Arr; vel: [Arr, Arr] }
const s0 = (): S => ({ pos: np.zeros([3]), vel: [np.zeros([3]), np.zeros([])] })

describe('a carry must keep its shapes, dtypes and structure', () => {
  it('scan: a leaf changing shape or dtype is a ShapeError naming its path', () => {
    expectThrows(() => lax.scan((c: S, x: Arr) => [{ ...c, vel: [c.vel[0], c.vel[1].add(x)] } as S, x], s0(), np.ones([4, 2])), ShapeError, /lax\.scan/, /\.vel\[1\]/, /f64\[\].*f64\[2\]/)
    expectThrows(() => lax.scan((c: S, x: Arr) => [{ ...c, pos: c.pos.astype('float32') }, x], s0(), np.ones([4])), ShapeError, /\.pos/, /f32\[3\]/)
  })
  it('foriLoop (static and traced bounds): the path is the carry\'s own, and the message names foriLoop', () => {
    const bad = (_i: Arr, c: S): S => ({ ...c, vel: [c.vel[0].sum(), c.vel[1]] as unknown as [Arr, Arr] })
    expectThrows(() => lax.foriLoop(0, 5, bad, s0()), ShapeError, /lax\.foriLoop/, /carry leaf \.vel\[0\] /, /f64\[3\].*f64\[\]/)
    expectThrows(() => lax.foriLoop(0, i32(5), bad, s0()), ShapeError, /lax\.foriLoop/, /carry leaf \.vel\[0\] /)
    expectThrows(() => lax.foriLoop(0, 5, (i: Arr, c: Arr) => c.add(i), i32(0).astype('bool')), ShapeError, /lax\.foriLoop/, /\(root\)/, /bool\[\]/)
    expectThrows(() => lax.foriLoop(0, 5, (_i: Arr, c: S) => [c.pos, c.vel] as unknown as S, s0()), TreeMismatchError, /lax\.foriLoop/, /\{pos: \*, vel: \[\*, \*\]\}/)
  })
  it('whileLoop: shape, dtype and structure', () => {
    expectThrows(() => lax.whileLoop((c: S) => c.vel[1].lt(3), (c: S) => ({ ...c, pos: c.pos.astype('int32') }), s0()), ShapeError, /lax\.whileLoop/, /\.pos/, /i32\[3\]/)
    expectThrows(() => lax.whileLoop((c: S) => c.vel[1].lt(3), (c: S) => ({ pos: c.pos, vel: [c.vel[0]] }) as unknown as S, s0()), TreeMismatchError, /lax\.whileLoop/)
  })
  it('scan: the body must return [carry, y] with the carry\'s structure', () => {
    expectThrows(() => lax.scan((c: S, x: Arr) => [[c.pos, c.vel], x] as unknown as [S, Arr], s0(), np.ones([2])), TreeMismatchError, /\{pos: \*, vel: \[\*, \*\]\}/, /\[\*, \[\*, \*\]\]/)
    expect(() => lax.scan((c: Arr) => c as unknown as [Arr, Arr], np.ones([2]), np.ones([2]))).toThrow(/\[carry, y\]/)
  })
  it('a JS-number init is weak, but the loop carry is strongly typed float64', () => {
    // (a JS number is a pytree leaf at runtime; the init's static type is the carry's)
    expect(lax.foriLoop(0, 3, (_i: Arr, c: Arr) => c.add(np.ones([], { dtype: 'float32' }).astype('float64')), 0 as unknown as Arr).dtype).toBe('float64')
    // a float32 carry stays float32 when the body adds JS numbers (weak)
    const c = lax.foriLoop(0, 3, (_i: Arr, v: Arr) => v.mul(0.5).add(1), np.ones([2], { dtype: 'float32' }))
    expect(c.dtype).toBe('float32')
  })
})

describe('branches', () => {
  it('different structures are a TreeMismatchError; different shapes a ShapeError', () => {
    const x = np.ones([2])
    expectThrows(() => lax.cond(np.array(true), (a: Arr) => [a, a], (a: Arr) => ({ a }), x), TreeMismatchError, /branch 1/, /\{a: \*\}/, /\[\*, \*\]/)
    expectThrows(() => lax.switch(i32(1), [(a: Arr) => a, (a: Arr) => a, (a: Arr) => [a]], x), TreeMismatchError, /branch 2/)
    expectThrows(() => lax.cond(np.array(false), (a: Arr) => a, (a: Arr) => a.sum(), x), ShapeError, /f64\[\]/, /f64\[2\]/)
    expectThrows(() => lax.cond(np.array(false), (a: Arr) => a, (a: Arr) => a.astype('float32'), x), ShapeError, /f32\[2\]/)
  })
  it('a predicate or index must be a scalar bool/int32', () => {
    const x = np.ones([2])
    expectThrows(() => lax.cond(np.array([true, false]), (a: Arr) => a, (a: Arr) => a, x), ShapeError, /scalar/, /bool\[2\]/)
    expectThrows(() => lax.switch(np.array([0, 1], { dtype: 'int32' }), [(a: Arr) => a], x), ShapeError, /scalar/, /i32\[2\]/)
    expectThrows(() => lax.cond(np.array(1.0), (a: Arr) => a, (a: Arr) => a, x), DTypeError, /bool or int32/, /f64\[\]/)
    expectThrows(() => lax.whileLoop((c: Arr) => c.lt(3), (c: Arr) => c.add(1), np.zeros([2])), DTypeError, /scalar bool/, /bool\[2\]/)
    // @ts-expect-error -- no branch to infer the operands from; the run-time check is tested here
    expect(() => lax.switch(0, [], x)).toThrow(ValueError)
  })
})

describe('scan lengths', () => {
  it('xs leaves of different lengths, no xs and no length, a bad length', () => {
    expectThrows(() => lax.scan((c: Arr, x: { a: Arr; b: Arr }) => [c, x.a], np.zeros([]), { a: np.ones([3]), b: np.ones([4, 2]) }), ShapeError, /\.b/, /\[4, 2\]/)
    expect(() => lax.scan((c: Arr) => [c, c], np.zeros([]), null)).toThrow(ValueError)
    expect(() => lax.scan((c: Arr) => [c, c], np.zeros([]), null, { length: -1 })).toThrow(/non-negative integer/)
    expect(() => lax.scan((c: Arr, x: Arr) => [c, x], np.zeros([]), np.ones([3]), { length: 4 })).toThrow(/leading axis of length 4; \(root\) has shape \[3\]/)
    expect(() => lax.foriLoop(0, 2.5, (_i: Arr, c: Arr) => c, np.zeros([]))).toThrow(/integers/)
  })
})

describe('loop options', () => {
  it('a misspelled option is a ValueError naming the closest one, not silently ignored', () => {
    // { reversed: true } would otherwise run the scan forwards, and a misspelled checkpoint
    // policy would store every step
    const step = (c: Arr, x: Arr): [Arr, Arr] => [c.add(x), c]
    expectThrows(() => lax.scan(step, np.array(0), np.ones([3]), { reversed: true } as never), ValueError, /unknown option 'reversed' \(did you mean 'reverse'\?\)/)
    expectThrows(() => lax.scan(step, np.array(0), np.ones([3]), { checkpiont: 'sqrt' } as never), ValueError, /did you mean 'checkpoint'/)
    expectThrows(() => lax.foriLoop(0, 3, (_i: Arr, c: Arr) => c, np.array(0), { chekpoint: 'sqrt' } as never), ValueError, /lax\.foriLoop: unknown option 'chekpoint'/)
    expectThrows(() => lax.whileLoop((c: Arr) => c.lt(3), (c: Arr) => c.add(1), np.array(0), { maxsteps: 5 } as never), ValueError, /did you mean 'maxSteps'/)
    expectThrows(() => lax.customLinearSolve((v: Arr) => v.mul(2), np.array(1), (_m, b: Arr) => b.div(2), null, { symetric: true } as never), ValueError, /did you mean 'symmetric'/)
    // a key that is not near any option is ignored, as JS APIs do
    expect(lax.scan(step, np.array(0), np.ones([3]), { reverse: true, unrolled: 3 } as never)[1].tolist()).toEqual([2, 1, 0])
  })
})

describe('reverse mode through a while loop', () => {
  const newton = (a: Arr) => lax.whileLoop((c: [Arr, Arr]) => c[0].lt(6), (c: [Arr, Arr]) => [c[0].add(1), c[1].add(a.div(c[1])).mul(0.5)] as [Arr, Arr], [i32(0), np.onesLike(a)] as [Arr, Arr])[1]
  const a = np.array([2, 3])
  it('grad, valueAndGrad, vjp, jacrev, hvp and linearize raise NonDifferentiableError pointing to foriLoop / scan', () => {
    const calls: (() => unknown)[] = [
      () => grad((v: Arr) => newton(v).sum())(a),
      () => valueAndGrad((v: Arr) => newton(v).sum())(a),
      () => vjp(newton, [a]),
      () => jacrev(newton)(a),
      () => hvp((v: Arr) => newton(v).sum(), [a], [a]),
      () => linearize(newton, [a]),
      () => grad((v: Arr) => lax.foriLoop(0, i32(3), (_i: Arr, c: Arr) => c.mul(v), v).sum())(a),
      () => grad((v: Arr) => jit(newton)(v).sum())(a),
    ]
    for (const call of calls) {
      let err: unknown
      try {
        call()
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(NonDifferentiableError)
      expect((err as Error).message).toMatch(/foriLoop/)
      expect((err as Error).message).toMatch(/scan/)
    }
  })
  it('while the same loop written with foriLoop (static bounds) is reverse-differentiable', () => {
    const fori = (v: Arr) => lax.foriLoop(0, 6, (_i: Arr, c: Arr) => c.add(v.div(c)).mul(0.5), np.onesLike(v))
    const g = grad((v: Arr) => fori(v).sum())(a).tolist() as number[]
    g.forEach((gi, i) => expect(gi).toBeCloseTo(0.5 / Math.sqrt([2, 3][i]), 10))
  })
})
