/**
 * Loops compiled whole (codegen/scalarloop.ts): small scan / foriLoop / whileLoop bodies run
 * as one generated function with the carry in locals. For each loop form the program must
 * take that path (its description says "compiled whole") and give the reference
 * interpreter's results and the kernel loop's (the same program compiled with the path off)
 * bit for bit, for float64, float32, int32 and bool carries.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, MaxStepsExceededError, debug, derivatives, grad, jacfwd, jit, lax, makeJaxpr, np } from '../../src'
import { compileJaxpr, describeProgram, setFloat32Mode, stats } from '../../src/backend'
import { planStats } from '../../src/backend/plan'
import { LIMITS } from '../../src/backend/codegen/scalarloop'
import { WHOLE_LIMITS } from '../../src/backend/scalarmode'
import type { ConcreteArray } from '../../src/core/array'
import type { TypedArray } from '../../src/ir/dtypes'
import { hoistConsts } from '../../src/interpret/jvp'
import { optimize } from '../../src/passes'
import { bitwiseDiff, closeDiff, expectSameBits, runReference } from './helpers'

/** a loop compiled whole, or a whole program compiled as one function (scalarmode.ts) */
const WHOLE = /(scan|while|program), compiled whole/
const LOOP_WHOLE = /(scan|while), compiled whole/

const prepare = (f: (...xs: Arr[]) => unknown, args: readonly Arr[]) => {
  const closed = makeJaxpr(f)(...args)
  return { j: optimize(hoistConsts(closed.jaxpr), { all: true }), xs: [...closed.consts, ...args] as ConcreteArray[] }
}

/** Run `f` with whole programs (`program`), loops compiled whole only (`loops`), or neither
 *  (`kernels`: the kernel loop). Programs are cached per jaxpr: compile a fresh one inside. */
const inMode = <T>(mode: 'program' | 'loops' | 'kernels', f: () => T): T => {
  const saved = [LIMITS.loopElements, WHOLE_LIMITS.elements]
  if (mode !== 'program') WHOLE_LIMITS.elements = -1
  if (mode === 'kernels') LIMITS.loopElements = -1
  try {
    return f()
  } finally {
    ;[LIMITS.loopElements, WHOLE_LIMITS.elements] = saved
  }
}

/** The compiled program in a mode (a fresh jaxpr: programs are cached per jaxpr). */
const compiledIn = (mode: 'program' | 'loops' | 'kernels', f: (...xs: Arr[]) => unknown, args: readonly Arr[]): { text: string; outs: TypedArray[] } =>
  inMode(mode, () => {
    const { j, xs } = prepare(f, args)
    const p = compileJaxpr(j)
    return { text: describeProgram(p), outs: p.run(xs.map((x) => x.data)) }
  })

/** The compiled program without loops compiled whole. */
const oldPath = (f: (...xs: Arr[]) => unknown, args: readonly Arr[]) => compiledIn('kernels', f, args)

const same = expectSameBits

/** Compiled whole (as one program where it is small enough, and as loops compiled whole alone)
 *  = reference = kernel loop, bit for bit; returns the outputs. */
const agree = (f: (...xs: Arr[]) => unknown, ...args: Arr[]): TypedArray[] => {
  const { j, xs } = prepare(f, args)
  const p = compileJaxpr(j)
  expect(describeProgram(p)).toMatch(WHOLE)
  const got = p.run(xs.map((x) => x.data))
  same(got, runReference(j, xs), 'against the reference interpreter')
  const loops = compiledIn('loops', f, args)
  expect(loops.text).toMatch(LOOP_WHOLE)
  same(got, loops.outs, 'against the loops compiled whole alone')
  const old = oldPath(f, args)
  expect(old.text).not.toMatch(WHOLE)
  same(got, old.outs, 'against the kernel loop')
  return got
}

const x3 = np.array([0.3, -1.2, 0.8])
const seq = np.array([[0.1, 0.2, 0.3], [0.5, -0.4, 0.2], [1.5, 0.25, -0.75], [0.0, 1.0, 2.0]])

const lorenz = (steps: number) => (p: Arr) => {
  const [s, r, b] = [0, 1, 2].map((i) => lax.reshape(lax.slice(p, [i], [i + 1]), []))
  const out = lax.foriLoop(0, steps, (_i: Arr, [x, y, z]: Arr[]) => [
    x.add(s.mul(y.sub(x)).mul(0.001)),
    y.add(x.mul(r.sub(z)).sub(y).mul(0.001)),
    z.add(x.mul(y).sub(b.mul(z)).mul(0.001)),
  ], [np.array(1), np.array(1), np.array(1)])
  return np.stack(out)
}

describe('scan and foriLoop compiled whole', () => {
  it('a body whose kernel is split into boxes (a roll and a pad of computed values) is compiled whole', () => {
    // np.roll and lax.pad of a computed value fuse as picks, and the builder splits such a
    // kernel into boxes that each write a part of the same output (split.ts)
    const f = (x: Arr) =>
      lax.foriLoop(0, 5, (_i: Arr, c: Arr) => {
        const s = np.sin(c).mul(0.5)
        const r = np.roll(s, 1)
        const p = lax.pad(lax.slice(s, [1], [3]), 0, [[1, 0, 0]])
        return c.add(r).sub(p.mul(0.25))
      }, x)
    const [out] = agree(f, x3)
    // the same recurrence by hand
    let c = Array.from(x3.toTypedArray())
    for (let t = 0; t < 5; t++) {
      const s = c.map((v) => Math.sin(v) * 0.5)
      const r = [s[2], s[0], s[1]]
      const p = [0, s[1], s[2]]
      c = c.map((v, i) => v + r[i] - p[i] * 0.25)
    }
    expect(Array.from(out)).toEqual(c)
  })

  it('jacfwd of a Lorenz integration (W5 at 300 steps), and its values against central differences', () => {
    const p = np.array([10, 28, 8 / 3])
    const [jac] = agree(jacfwd(lorenz(300)), p)
    // ∂state/∂p by central differences of the forward map (float64, h = 1e-6)
    const f = jit(lorenz(300))
    const base = [10, 28, 8 / 3]
    for (let j = 0; j < 3; j++) {
      const h = 1e-6
      const up = f(np.array(base.map((v, q) => (q === j ? v + h : v)))).toTypedArray()
      const dn = f(np.array(base.map((v, q) => (q === j ? v - h : v)))).toTypedArray()
      const col = Float64Array.from([0, 1, 2], (i) => jac[i * 3 + j])
      const fd = Float64Array.from([0, 1, 2], (i) => (up[i] - dn[i]) / (2 * h))
      const d = closeDiff(col, fd, 1e-6, 1e-9)
      if (d !== null) expect.fail(`column ${j}: ${d}`)
    }
  })
  it('carry, xs and ys; reverse', () => {
    agree((h, xs, w) => lax.scan((c: Arr, x: Arr) => {
      const n = np.tanh(c.mul(w).add(x))
      return [n, n.sum()]
    }, h, xs), x3, seq, x3.mul(0.5))
    agree((h, xs) => lax.scan((c: Arr, x: Arr) => [c.mul(0.9).add(x), c.prod()], h, xs, { reverse: true }), x3, seq)
  })
  it('reductions, argmax, a small matmul, transpose, concatenate and broadcasts in the body', () => {
    const m = np.array([[0.5, -0.25, 0.1], [0.2, 0.3, -0.4], [0.05, 0.6, 0.2]])
    agree((c0, a) => lax.foriLoop(0, 25, (i: Arr, [c, k]: Arr[]) => {
      const y = np.matmul(a, c).add(np.transpose(a).sum(1).mul(0.01))
      const z = np.concatenate([y, np.sin(i.astype('float64')).reshape([1])]).max().mul(0.001)
      return [np.tanh(y.add(z)), k.add(np.argmax(y))]
    }, [c0, np.array(0, { dtype: 'int32' })]), x3, m)
  })
  it('float32 carries with transcendentals, rounding and logistic', () => {
    const v = np.array([0.3, -1.7, 2.5], { dtype: 'float32' })
    agree((c0) => lax.foriLoop(0, 40, (_i: Arr, c: Arr) => np.sin(c).mul(1.1).add(np.exp(c.mul(-0.5))).sub(np.round(c.mul(2)).mul(0.1)).add(lax.logistic(c)).mul(0.5), c0), v)
  })
  it('relaxed float32 mode: the same values as the kernel loop in that mode', () => {
    const v = np.array([0.3, -1.7, 2.5], { dtype: 'float32' })
    const f = (c0: Arr) => lax.foriLoop(0, 40, (_i: Arr, c: Arr) => np.tanh(c.mul(1.1).add(np.exp(c.mul(-0.5))).sub(c.sum().mul(0.01))), c0)
    setFloat32Mode('relaxed')
    try {
      const { j, xs } = prepare(f, [v])
      const p = compileJaxpr(j)
      expect(describeProgram(p)).toMatch(WHOLE)
      same(p.run(xs.map((x) => x.data)), oldPath(f, [v]).outs, 'against the kernel loop')
    } finally {
      setFloat32Mode('exact')
    }
  })
  it('a body with a debug callback keeps the kernel loop, and the callback runs once per step, in order', () => {
    const seen: number[] = []
    const f = (c0: Arr) => lax.foriLoop(0, 4, (_i: Arr, c: Arr) => {
      debug.callback((x) => void seen.push(x.toTypedArray()[0]), c)
      return c.mul(2)
    }, c0)
    const { j, xs } = prepare(f, [x3])
    const p = compileJaxpr(j)
    expect(describeProgram(p)).not.toMatch(WHOLE)
    same(p.run(xs.map((x) => x.data)), [Float64Array.from([0.3, -1.2, 0.8], (x) => x * 16)], 'against 2⁴·x')
    expect(seen).toEqual([0.3, 0.6, 1.2, 2.4])
  })
  it('int32 and bool carries (wrapping arithmetic, integer division and remainder)', () => {
    agree((a) => lax.foriLoop(0, 60, (i: Arr, [x, b, s]: Arr[]) => {
      const nx = x.mul(1103515245).add(12345)
      const q = lax.div(nx, np.array(7, { dtype: 'int32' })).add(lax.rem(nx, np.array(-5, { dtype: 'int32' })))
      return [nx, np.logicalNot(b), np.where(b, s.add(q), s.sub(i))]
    }, [a, np.array(true), np.array(0, { dtype: 'int32' })]), np.array(42, { dtype: 'int32' }))
  })
  it('a nested cond and switch in the body', () => {
    agree((c0) => lax.foriLoop(0, 10, (_i: Arr, c: Arr) => lax.cond(c.sum().gt(0), (u: Arr) => u.mul(0.5), (u: Arr) => u.add(1), c), c0), x3)
    agree((c0) => lax.foriLoop(0, 12, (i: Arr, c: Arr) =>
      lax.switch(i.sub(2), [(u: Arr) => u.mul(0.5), (u: Arr) => np.cos(u), (u: Arr) => u.add(np.array([1, 2, 3]))], c), c0), x3)
  })
  it('nested loops: an inner loop (no xs, ys), an unrolled inner scan (xs, ys), an inner while', () => {
    agree((h) => lax.foriLoop(0, 30, (_i: Arr, c: Arr) => lax.foriLoop(0, 5, (_j: Arr, d: Arr) => np.sin(d).add(c.mul(0.1)), c), h), x3)
    agree((h, xs) => lax.scan((c: Arr, x: Arr) => {
      const [ci, ys] = lax.scan((d: Arr, y: Arr) => [d.mul(y).add(1), d.sum()], c, np.stack([x, x.mul(2)]))
      return [ci.mul(0.5), ys.add(c.sum())]
    }, h, xs), x3, seq)
    // an inner scan of 4 rows, reversed (its xs and ys through scratch arrays), whose ys feed a second one
    agree((h, xs) => lax.foriLoop(0, 6, (_i: Arr, c: Arr) => {
      const [ci, ys] = lax.scan((d: Arr, y: Arr) => [np.tanh(d.mul(y)).add(0.5), d.mul(y.sum())], c, xs, { reverse: true })
      const [cj] = lax.scan((d: Arr, y: Arr) => [d.add(y.mul(0.25)), d.sum()], ci, ys)
      return cj.mul(0.5)
    }, h), x3, seq)
    agree((h) => lax.foriLoop(0, 20, (_i: Arr, c: Arr) => lax.whileLoop((d: Arr) => d.sum().lt(10), (d: Arr) => d.mul(1.5).add(0.25), c.mul(0.5)), h), np.abs(x3))
  })
  it('an inner bounded while loop past its maxSteps raises MaxStepsExceededError', () => {
    const f = (h: Arr) => lax.foriLoop(0, 3, (_i: Arr, c: Arr) => lax.whileLoop((d: Arr) => d.sum().lt(1e6), (d: Arr) => d.mul(1.5).add(0.25), c, { maxSteps: 4 }), h)
    for (const mode of ['program', 'loops'] as const) {
      inMode(mode, () => {
        const { j, xs } = prepare(f, [np.abs(x3)])
        const p = compileJaxpr(j)
        expect(describeProgram(p)).toMatch(mode === 'program' ? /program, compiled whole/ : LOOP_WHOLE)
        expect(() => p.run(xs.map((x) => x.data))).toThrow(/maxSteps = 4 steps/)
      })
    }
  })
  it('checkpointed reverse loops (sqrt and binomial): forward re-computation segments inside the compiled loops', () => {
    for (const checkpoint of ['sqrt', { binomial: 4 }] as const) {
      const f = (x: Arr) => lax.foriLoop(0, 60, (_i: Arr, c: Arr) => c.mul(0.999).add(np.sin(c).mul(1e-3)), x, { checkpoint }).sum()
      const [g] = agree(grad(f), x3)
      const [want] = agree(grad((x: Arr) => lax.foriLoop(0, 60, (_i: Arr, c: Arr) => c.mul(0.999).add(np.sin(c).mul(1e-3)), x).sum()), x3)
      same([g], [want], `${JSON.stringify(checkpoint)} against storing every step`)
    }
  })
  it('grad through a scan: the forward and the reverse scans', () => {
    agree(grad((h: Arr, xs: Arr, w: Arr) => lax.scan((c: Arr, x: Arr) => {
      const n = np.tanh(c.mul(w).add(x))
      return [n, n.sum()]
    }, h, xs)[1].sum(), { argnums: [0, 1, 2] }), x3, seq, x3.mul(0.5))
  })
})

// Newton's iteration for x³ = a·x + b, until the step is below 1e-14
const newton = (a: Arr, b: Arr, maxSteps?: number) =>
  lax.whileLoop((c: Arr[]) => c[1].gt(1e-14), (c: Arr[]) => {
    const x = c[0]
    const dx = x.mul(x).mul(x).sub(a.mul(x)).sub(b).div(x.mul(x).mul(3).sub(a))
    return [x.sub(dx), np.abs(dx)]
  }, [np.array(2), np.array(1)], maxSteps === undefined ? {} : { maxSteps })[0]

describe('whileLoop compiled whole', () => {
  it('Newton with an early exit: the root, bit for bit', () => {
    const [x] = agree((a, b) => newton(a, b), np.array(2), np.array(5))
    expect(Math.abs(x[0] ** 3 - 2 * x[0] - 5)).toBeLessThan(1e-12)
  })
  it('an int32 counter loop that runs zero times', () => {
    agree((n) => lax.whileLoop((c: Arr[]) => c[0].lt(n), (c: Arr[]) => [c[0].add(1), c[1].mul(2)], [np.array(5, { dtype: 'int32' }), np.array(1.5)]), np.array(3, { dtype: 'int32' }))
  })
  it('maxSteps exceeded: the same MaxStepsExceededError', () => {
    const f = (a: Arr, b: Arr) => newton(a, b, 3)
    for (const mode of ['program', 'loops'] as const) {
      inMode(mode, () => {
        const { j, xs } = prepare(f, [np.array(2), np.array(5)])
        const p = compileJaxpr(j)
        expect(describeProgram(p)).toMatch(mode === 'program' ? /program, compiled whole/ : LOOP_WHOLE)
        expect(() => p.run(xs.map((x) => x.data))).toThrow(MaxStepsExceededError)
        expect(() => p.run(xs.map((x) => x.data))).toThrow(/maxSteps = 3 steps/)
      })
    }
  })
  it('reverse mode (a bounded scan with a while flag): gradient, and maxSteps exceeded', () => {
    const [g] = agree(grad((a: Arr, b: Arr) => newton(a, b, 40)), np.array(2), np.array(5))
    // implicit function theorem: x³ − a x − b = 0 ⇒ dx/da = x / (3x² − a)
    const x = jit((a: Arr, b: Arr) => newton(a, b))(np.array(2), np.array(5)).toTypedArray()[0]
    expect(Math.abs(g[0] - x / (3 * x * x - 2))).toBeLessThan(1e-12)
    for (const mode of ['program', 'loops'] as const) {
      inMode(mode, () => {
        const { j, xs } = prepare(grad((a: Arr, b: Arr) => newton(a, b, 3)), [np.array(2), np.array(5)])
        const p = compileJaxpr(j)
        expect(describeProgram(p)).toMatch(mode === 'program' ? /program, compiled whole/ : LOOP_WHOLE)
        expect(() => p.run(xs.map((x) => x.data))).toThrow(MaxStepsExceededError)
      })
    }
  })
})

describe('small programs compiled as one function (scalarmode.ts)', () => {
  /** Compiled as one program = reference = the fusion planner's kernels, bit for bit. */
  const agreeProgram = (f: (...xs: Arr[]) => unknown, ...args: Arr[]): TypedArray[] => {
    const { j, xs } = prepare(f, args)
    const p = compileJaxpr(j)
    expect(describeProgram(p)).toMatch(/^program, compiled whole/)
    const got = p.run(xs.map((x) => x.data))
    same(got, runReference(j, xs), 'against the reference interpreter')
    const old = oldPath(f, args)
    expect(old.text).not.toMatch(WHOLE)
    same(got, old.outs, 'against the kernels')
    return got
  }

  it('derivatives of orders 0…10 by Taylor mode and grad nested 4 times of sin(x)·exp(−x²/2)', () => {
    const f = (x: Arr) => np.sin(x).mul(np.exp(x.mul(x).mul(-0.5)))
    const [d] = agreeProgram((x) => derivatives(f, 10)(x), np.array(0.7))
    // the 10th derivative against float64 central differences of the 9th, the 4th against
    // nested grad (an independent program)
    const [d9] = agreeProgram((x) => derivatives(f, 9)(x), np.array(0.7))
    const h = 1e-3
    const [hi] = agreeProgram((x) => derivatives(f, 9)(x), np.array(0.7 + h))
    const [lo] = agreeProgram((x) => derivatives(f, 9)(x), np.array(0.7 - h))
    expect(Math.abs((hi[9] - lo[9]) / (2 * h) - d[10])).toBeLessThan(1e-4 * Math.abs(d[10]))
    expect(d9[9]).toBe(d[9])
    let g = f
    for (let i = 0; i < 4; i++) g = grad(g) as typeof f
    const [g4] = agreeProgram(g, np.array(0.7))
    expect(Math.abs(g4[0] - d[4])).toBeLessThan(1e-12 * Math.abs(d[4]))
  })
  it('float32 and int32 values, reductions, a small matmul, pads and concatenates', () => {
    const m = np.array([[0.5, -1, 2], [1.5, 0.25, -0.75], [0, 1, 3]], { dtype: 'float32' })
    agreeProgram((a, v) => {
      const y = np.tanh(np.matmul(a, v)).mul(1.5)
      const p = lax.pad(y, np.array(0, { dtype: 'float32' }), [[1, 2, 0]])
      const c = np.concatenate([p, np.exp(y.mul(-1)), y.max().reshape([1])])
      return [c, c.sum(), c.argmax(), c.mul(10).astype('int32').mul(7).sub(3)]
    }, m, np.array([0.3, -0.2, 1.1], { dtype: 'float32' }))
    agreeProgram((k) => {
      const q = k.mul(1103515245).add(12345)
      return [lax.div(q, np.array(7, { dtype: 'int32' })), lax.rem(q, np.array(-5, { dtype: 'int32' })), q.gt(0), q.sum(), np.where(q.gt(0), q, k).prod()]
    }, np.array([3, -40, 2 ** 30, 17], { dtype: 'int32' }))
  })
  it('structural equations (strided slices, transposes, reshapes, squeezes, broadcasts of values and literals), with their operands read in place', () => {
    const m = np.array([[0.5, -1, 2, 4], [1.5, 0.25, -0.75, -3], [0, 1, 3, -0]])
    const got = agreeProgram((a) => {
      const t = lax.transpose(a, [1, 0])
      const s = lax.slice(t, [1, 0], [4, 3], [2, 2])
      const r = lax.reshape(a, [2, 6])
      const q = lax.squeeze(lax.slice(a, [1, 0], [2, 4]), [0])
      const b = lax.broadcastInDim(q, [3, 4], [1])
      const k = lax.broadcastInDim(np.array(-0), [2, 2], [])
      return [s.mul(2), r.add(1), b.sub(a), k.add(s), np.sin(t)]
    }, m)
    const a = [[0.5, -1, 2, 4], [1.5, 0.25, -0.75, -3], [0, 1, 3, -0]]
    // t[i][j] = a[j][i]; rows 1, 3 and columns 0, 2 of t
    expect(Array.from(got[0])).toEqual([2 * a[0][1], 2 * a[2][1], 2 * a[0][3], 2 * a[2][3]])
    expect(Array.from(got[1])).toEqual(a.flat().map((x) => x + 1))
    expect(Array.from(got[2])).toEqual(a.flatMap((row) => row.map((x, j) => a[1][j] - x)))
    expect(Array.from(got[3])).toEqual([a[0][1], a[2][1], a[0][3], a[2][3]].map((x) => -0 + x))
  })
  it('a cond and a nested loop in the program, and a bounded while past maxSteps', () => {
    agreeProgram((x) => {
      const c = lax.cond(x.sum().gt(0), (u: Arr) => u.mul(2), (u: Arr) => u.sub(1), x)
      return lax.foriLoop(0, 7, (_i: Arr, d: Arr) => lax.foriLoop(0, 3, (_j: Arr, e: Arr) => np.sin(e).add(d.mul(0.1)), d), c)
    }, x3)
  })
  it('long loops of a program: the same values on every call, an early end, and maxSteps after 200 steps', () => {
    const run = (f: (...xs: Arr[]) => unknown, args: readonly Arr[]) => {
      const { j, xs } = prepare(f, args)
      const p = compileJaxpr(j)
      expect(describeProgram(p)).toMatch(/^program, compiled whole/)
      return { p, xs: xs.map((x) => x.data), want: () => runReference(j, xs) }
    }
    const cases: [(...xs: Arr[]) => unknown, Arr[]][] = [
      // 300 steps of a reversed scan with xs and ys
      [(h, w, xs) => lax.scan((c: Arr, x: Arr) => [np.tanh(c.mul(w).add(x)), c.sum().mul(x)], h, xs, { reverse: true }), [x3, x3.mul(0.5), np.sin(np.arange(300))]],
      // a while loop whose condition ends it at step 150, and one of 700 steps
      [(c0) => lax.whileLoop((c: Arr) => c.sum().lt(150), (c: Arr) => c.add(np.array([1, 0, 0])), c0), [np.zeros([3])]],
      [(c0) => lax.whileLoop((c: Arr) => c.lt(700), (c: Arr) => c.add(1), c0), [np.array(0, { dtype: 'int32' })]],
      // a bounded scan with a while flag (reverse mode through a bounded while) that ends at step ~100 of 400
      [grad((a: Arr) => lax.whileLoop((c: Arr) => c.lt(a.mul(100)), (c: Arr) => c.add(a.mul(0.99)), np.array(0), { maxSteps: 400 })), [np.array(1.5)]],
    ]
    for (const [f, args] of cases) {
      const { p, xs, want } = run(f, args)
      const ref = want()
      // (V8 optimizes the code during the first calls: each must give the same values)
      for (let call = 0; call < 3; call++) same(p.run(xs), ref, `call ${call}`)
    }
    // maxSteps exceeded, on every call
    const { p, xs } = run((c0) => lax.whileLoop((c: Arr) => c.lt(1e9), (c: Arr) => c.add(1), c0, { maxSteps: 200 }), [np.array(0)])
    for (let call = 0; call < 3; call++) expect(() => p.run(xs)).toThrow(/maxSteps = 200 steps/)
  })
  it('carries that swap and rotate, in the program\'s loop and in a loop nested in it', () => {
    // (x, y, z) ← (y, z, x + 1) three times is (x + 1, y + 1, z + 1); (a, b) ← (b, a) is the identity after an even count
    const rot = (v: Arr) => np.stack(lax.foriLoop(0, 9, (_i: Arr, [x, y, z]: Arr[]) => [y, z, x.add(1)], [v.sum(), v.max(), v.min()]))
    const [r] = agreeProgram(rot, x3)
    const plus3 = (t: number) => t + 1 + 1 + 1
    expect(Array.from(r)).toEqual([plus3(0 + 0.3 + -1.2 + 0.8), plus3(0.8), plus3(-1.2)])
    const swap = (v: Arr) => lax.foriLoop(0, 5, (_i: Arr, [a, b]: Arr[]) => {
      const [p, q] = lax.foriLoop(0, 4, (_j: Arr, [c, d]: Arr[]) => [d, c], [a, b])
      return [q, p.mul(2)]
    }, [v, v.mul(-1)])
    const [a, b] = agreeProgram(swap, x3)
    // the inner loop swaps an even number of times: each step is (a, b) ← (b, 2a)
    let [u, w] = [Array.from(x3.toTypedArray()), Array.from(x3.toTypedArray(), (t) => -t)]
    for (let t = 0; t < 5; t++) [u, w] = [w, u.map((e) => e * 2)]
    expect(Array.from(a)).toEqual(u)
    expect(Array.from(b)).toEqual(w)
  })
  it('an expression repeated in scope is computed once, and one local to a branch or a loop body is not used after it', () => {
    const sources: string[] = []
    const F = globalThis.Function
    globalThis.Function = new Proxy(F, { construct: (t, args: string[]) => (sources.push(args[args.length - 1]), Reflect.construct(t, args)) })
    try {
      // c·w before a cond whose branch computes it again (reused), then u·w only in a branch and
      // in an inner loop's body, and again after each (computed anew)
      agreeProgram((c, w) => {
        const before = c.mul(w)
        const b = lax.cond(c.sum().gt(0), (u: Arr) => u.mul(w).add(1), (u: Arr) => u.sub(1), c)
        const k = lax.cond(b.sum().gt(0), (u: Arr) => np.sin(u.mul(w)), (u: Arr) => u, b)
        const l = lax.foriLoop(0, 3, (_i: Arr, d: Arr) => d.add(np.cos(k.mul(w.add(d)))), k)
        return [before, k.mul(w), l, np.cos(k.mul(w.add(l)))]
      }, x3, np.array([0.5, 2, -1]))
    } finally {
      globalThis.Function = F
    }
    const src = sources.find((s) => s.includes('(ins, outs, warm)'))
    if (src === undefined) return expect.fail('no program compiled whole')
    // each product of two locals appears once per block it is computed in
    const products = src.split('\n').map((l) => /^const z\d+ = \((z\d+|a\d+_\d+) \* (z\d+|a\d+_\d+)\);$/.exec(l)?.slice(1).join('*')).filter((x) => x !== undefined)
    expect(products.length).toBeGreaterThan(0)
    expect(products.slice(0, 3)).toEqual(['a0_0*a1_0', 'a0_1*a1_1', 'a0_2*a1_2'])
    expect(products.filter((x) => x === 'a0_0*a1_0')).toHaveLength(1)
  })
  it('literal operands that only Object.is tells apart (−0 and 0, NaN and ±Infinity) stay apart', () => {
    const f = (x: Arr) => {
      const p = x.gt(0)
      const z = np.where(p, -0, 0)
      const n = np.where(p, NaN, Infinity)
      const m = np.where(p, -Infinity, NaN)
      return [np.divide(1, z).add(x), n.add(x), m.sub(x)]
    }
    // (0-d: the literals are operands of one select, not of broadcasts)
    for (const [x, want] of [[0.5, [-Infinity, NaN, -Infinity]], [-0.5, [Infinity, Infinity, NaN]]] as const) {
      const got = agreeProgram(f, np.array(x)).map((o) => o[0])
      expect(got).toEqual(want)
    }
  })
  it('a program with an equation without a scalar form, or of large values, keeps the fusion planner', () => {
    for (const [f, x] of [[(v: Arr) => np.sort(np.sin(v)).mul(2).add(np.cos(v)).sum(), x3], [(v: Arr) => np.sin(v).mul(2).add(np.cos(v)).sum().add(v), np.ones([2000])]] as const) {
      const { j, xs } = prepare(f, [x])
      const p = compileJaxpr(j)
      expect(describeProgram(p)).not.toMatch(WHOLE)
      same(p.run(xs.map((x) => x.data)), runReference(j, xs), 'against the reference interpreter')
    }
  })
  it('code over the statement budget falls back: the fusion planner, and the same values', () => {
    const f = (x: Arr) => lax.foriLoop(0, 20, (_i: Arr, c: Arr) => np.sin(c).mul(1.1).add(np.cos(c.mul(0.3))).mul(0.5), x)
    const want = compiledIn('kernels', f, [x3]).outs
    const saved = LIMITS.statements
    LIMITS.statements = 10
    try {
      const got = compiledIn('program', f, [x3])
      expect(got.text).not.toMatch(WHOLE)
      same(got.outs, want, 'against the kernel loop')
    } finally {
      LIMITS.statements = saved
    }
  })
  it('a loop compiled whole compiles no kernel, and its body needs no fusion plan', () => {
    const f = (x: Arr) => lax.foriLoop(0, 20, (_i: Arr, c: Arr) => np.sin(c).mul(1.1).add(np.cos(c.mul(0.3)).sum()).mul(0.5), x)
    for (const mode of ['program', 'loops'] as const) {
      const [kernels, plans] = [stats.kernelsCompiled, planStats.plans]
      const got = compiledIn(mode, f, [x3])
      expect(got.text).toMatch(mode === 'program' ? /^program, compiled whole/ : LOOP_WHOLE)
      expect(stats.kernelsCompiled - kernels).toBe(0)
      // (a program of loops compiled whole alone is planned, around its loop)
      expect(planStats.plans - plans).toBe(mode === 'program' ? 0 : 1)
    }
  })
})

describe('loops too large to be compiled whole', () => {
  it('run the fusion planner\'s body (fused kernels), also when the body alone has small values', () => {
    // a [100] carry is over LIMITS.loopElements: the kernel loop runs the body step by step
    const f = (c0: Arr) => lax.foriLoop(0, 5, (_i: Arr, c: Arr) => np.sin(c).mul(1.1).add(np.cos(c.mul(0.3))).mul(0.5).sub(np.tanh(c)).add(0.1), c0)
    const x = np.linspace(-1, 1, 100)
    const { j, xs } = prepare(f, [x])
    const p = compileJaxpr(j)
    const text = describeProgram(p)
    expect(text).not.toMatch(WHOLE)
    // (one loop for the counter, one fused loop for the carry: not one per equation)
    expect(text.match(/ {5}\d+: loop \[100\]/g)?.length).toBe(1)
    same(p.run(xs.map((x) => x.data)), runReference(j, xs), 'against the reference interpreter')
  })
})
