// debug.callback and debug.print: host calls from eager code, jit (compiled JS, WebAssembly
// kernels, the reference interpreter), scan and vmap, in program order; effects that the
// optimizer keeps and differentiation passes by.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Array as Arr, ValueError, checkpoint, debug, grad, jit, jvp, lax, makeJaxpr, np, vmap } from '../../src'
import { compileJaxpr, describeProgram, setBackend } from '../../src/backend'

/** Every host call, as [tag, ...values as JS lists]. */
let log: unknown[][] = []
const record = (tag: string) => (...xs: Arr[]) => {
  log.push([tag, ...xs.map((x) => x.tolist())])
}
let printed: string[] = []
let spy: ReturnType<typeof vi.spyOn>
beforeEach(() => {
  log = []
  printed = []
  spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    printed.push(a.map(String).join(' '))
  })
})
afterEach(() => {
  spy.mockRestore()
  setBackend('compiled')
})

/** sin, with two callbacks around it; the result does not depend on them. */
const f = (x: Arr): Arr => {
  debug.callback(record('in'), x)
  const y = np.sin(x)
  debug.callback(record('out'), x, y)
  return y.sum()
}

describe('debug.callback', () => {
  it('runs eagerly, and inside jit on every call (never at trace time), in program order', () => {
    const x = np.array([0.5, 1])
    f(x)
    const s = [Math.sin(0.5), Math.sin(1)]
    const once = [['in', [0.5, 1]], ['out', [0.5, 1], s]]
    expect(log).toEqual(once)
    log = []
    const jf = jit(f)
    jf(x)
    jf(x)
    expect(log).toEqual([...once, ...once])
  })

  it('runs in the reference interpreter, and after the kernel that computes its operands', () => {
    setBackend('reference')
    jit(f)(np.array([0.5, 1]))
    expect(log.map((e) => e[0])).toEqual(['in', 'out'])
    setBackend('compiled')
    log = []
    // a large program: the callback reads the buffer its kernel wrote
    const g = (x: Arr) => {
      const y = np.exp(x).mul(2)
      debug.callback(record('w'), y)
      return y.mul(3)
    }
    const big = np.linspace(0, 1, 20000)
    expect(describeProgram(compileJaxpr(makeJaxpr(g)(big).jaxpr))).toMatch(/loop \[20000\].*\n1: debug_callback/)
    jit(g)(big)
    expect(log.map((e) => e[0])).toEqual(['w'])
    expect((log[0][1] as number[])[19999]).toBeCloseTo(2 * Math.E, 12)
  })

  it('is kept by DCE, CSE and constant folding: unused, repeated, and on literals', () => {
    const g = (x: Arr) => {
      debug.callback(record('a'), x)
      debug.callback(record('a'), x) // the same equation twice: two calls
      debug.callback(record('lit'), 3) // only a literal: still a call at run time
      return x.mul(2)
    }
    const jg = jit(g)
    jg(np.array(1))
    jg(np.array(2))
    expect(log).toEqual([['a', 1], ['a', 1], ['lit', 3], ['a', 2], ['a', 2], ['lit', 3]])
  })

  it('is not differentiated: it sees primal values, and derivatives are those without it', () => {
    const x = np.array([0.5, 1])
    const plain = (v: Arr) => np.sin(v).sum()
    expect(grad(f)(x).tolist()).toEqual(grad(plain)(x).tolist())
    expect(log.map((e) => e[0])).toEqual(['in', 'out'])
    expect(log[0][1]).toEqual([0.5, 1])
    log = []
    const [, t] = jvp(f, [x], [np.array([1, 1])])
    expect(t.item()).toBe(jvp(plain, [x], [np.array([1, 1])])[1].item())
    expect(log[0][1]).toEqual([0.5, 1]) // the primal, not the tangent
    log = []
    expect(jit(grad(f))(x).tolist()).toEqual(grad(plain)(x).tolist())
    expect(log.map((e) => e[0])).toEqual(['in', 'out'])
    log = []
    // grad of grad: the forward pass of each level calls it once more, never with tangents
    grad((v: Arr) => grad(f)(v).sum())(x)
    expect(log.every((e) => (e[1] as number[]).join() === '0.5,1')).toBe(true)
  })

  it('runs in every step of a scan, with that step’s values, under jit and grad', () => {
    const g = (xs: Arr) =>
      lax.scan((c: Arr, x: Arr): [Arr, Arr] => {
        debug.callback(record('step'), c, x)
        return [c.add(x), c.mul(x)]
      }, np.array(0), xs)[0]
    const steps = [['step', 0, 1], ['step', 1, 2], ['step', 3, 3]]
    for (const h of [g, jit(g), grad(g), jit(grad(g))]) {
      log = []
      h(np.array([1, 2, 3]))
      expect(log).toEqual(steps)
    }
  })

  it('under vmap: once per batch member, with that member’s values, in order (nested vmaps row-major)', () => {
    const g = (x: Arr, w: Arr) => {
      debug.callback(record('v'), x, w)
      return x.mul(w)
    }
    vmap(g, { inAxes: [0, null] })(np.array([1, 2, 3]), np.array(10))
    expect(log).toEqual([['v', 1, 10], ['v', 2, 10], ['v', 3, 10]])
    log = []
    jit(vmap(vmap(g), { inAxes: [1, null] }))(np.array([[1, 2], [3, 4]]), np.array([5, 6]))
    // outer axis = columns of x; inner axis pairs x's rows with w
    expect(log).toEqual([['v', 1, 5], ['v', 3, 6], ['v', 2, 5], ['v', 4, 6]])
  })

  it('runs again in the recomputation of a checkpointed function (as JAX)', () => {
    const g = checkpoint((x: Arr) => {
      debug.callback(record('c'), x)
      return np.sin(x)
    })
    grad((x: Arr) => g(x).sum())(np.array([1]))
    expect(log.length).toBeGreaterThanOrEqual(1)
    expect(log.every((e) => e[0] === 'c')).toBe(true)
  })

  it('in a loop with a checkpoint policy: once per step, in the forward pass only, as with the default policy', () => {
    // The policy changes only what reverse mode stores; its recomputation of residuals must
    // not call back (nor keep a second primal sweep alive because it would).
    const policies: lax.CheckpointPolicy[] = ['store', 'sqrt', 'recompute', { binomial: 2 }]
    for (const checkpoint of policies) {
      log = []
      const f = (c0: Arr) => lax.scan((c: Arr, x: Arr): [Arr, null] => {
        debug.callback(record('x'), x)
        return [c.mul(x), null]
      }, c0, np.array([1, 2, 3, 4]), { checkpoint })[0]
      expect(grad(f)(np.array(1)).item()).toBe(24)
      expect(log).toEqual([['x', 1], ['x', 2], ['x', 3], ['x', 4]])
      log = []
      expect(jit(grad(f))(np.array(1)).item()).toBe(24)
      expect(log).toEqual([['x', 1], ['x', 2], ['x', 3], ['x', 4]])
      const scans = String(makeJaxpr(grad(f))(np.array(1))).match(/debug_callback/g) ?? []
      expect(scans.length).toBe(1)
    }
  })

  it('hands the host function its own copies: Arrays kept past the call keep their values (JS and WebAssembly kernels, scan)', () => {
    // Inside a compiled program the operands live in buffers that later kernels, later loop
    // steps and later calls overwrite; a kept Array must still hold the values it was given.
    const n = 4096
    const data = Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3)
    for (const dtype of ['float32', 'float64'] as const) {
      const kept: Arr[] = []
      const keep = (v: Arr) => {
        kept.push(v)
      }
      const g = jit((x: Arr) => {
        const a = np.tanh(x).mul(2)
        debug.callback(keep, a)
        const m = np.dot(a.reshape([64, 64]), a.reshape([64, 64]))
        debug.callback(keep, m)
        return np.sin(m).mul(3)
      })
      const x = np.array(data, { dtype })
      g(x)
      const a = kept[0].toTypedArray().slice()
      const m = kept[1].toTypedArray().slice()
      g(x.mul(0.5))
      expect(kept[0].toTypedArray()).toEqual(a)
      expect(kept[1].toTypedArray()).toEqual(m)
      // and they are the values the program computed: a = 2 tanh x
      const xd = x.toTypedArray()
      expect(Math.abs(a[5] - 2 * Math.tanh(xd[5]))).toBeLessThan(dtype === 'float32' ? 1e-6 : 1e-15)
      const steps: Arr[] = []
      jit((c0: Arr) => lax.scan((c: Arr, _: Arr) => {
        const c2 = np.tanh(c).mul(1.5)
        debug.callback((v: Arr) => {
          steps.push(v)
        }, c2)
        return [c2, np.sum(c2)]
      }, c0, np.zeros([4])))(x)
      let ref = Array.from(xd)
      for (let k = 0; k < 4; k++) {
        ref = ref.map((v) => Math.tanh(v) * 1.5)
        if (dtype === 'float32') ref = Array.from(Float32Array.from(ref))
        const got = steps[k].toTypedArray()
        expect(Math.max(...ref.map((r, i) => Math.abs(got[i] - r)))).toBeLessThan(dtype === 'float32' ? 1e-5 : 1e-14)
      }
    }
  })

  it('rejects a non-function', () => {
    expect(() => debug.callback(3 as never, np.array(1))).toThrow(/must be a function/)
  })
})

describe('debug.print', () => {
  it('formats {} / {0} / {name} fields, digits and escaped braces', () => {
    const x = np.array([1.5, -2])
    debug.print('x = {} and {{literal}}', x)
    debug.print('{1} before {0}', np.array(1), np.array(2))
    debug.print('t = {t:.3f}, e = {e:.2e}, b = {b}', { t: np.array(Math.PI), e: np.array(12345.678), b: np.array(true) })
    debug.print('tree {}', { a: np.array([1, 2]), b: [np.array(3)] })
    expect(printed).toEqual([
      'x = [1.5, -2] and {literal}',
      '2 before 1',
      't = 3.142, e = 1.23e+4, b = True',
      'tree {a: [1, 2], b: [3]}',
    ])
  })

  it('prints from jit, scan and vmap with the run-time values', () => {
    const g = jit((xs: Arr) => lax.scan((c: Arr, x: Arr): [Arr, null] => {
      debug.print('c={} x={}', c, x)
      return [c.add(x), null]
    }, np.array(0), xs)[0])
    g(np.array([1, 2]))
    vmap((x: Arr) => {
      debug.print('member {}', x)
      return x
    })(np.array([7, 8]))
    expect(printed).toEqual(['c=0 x=1', 'c=1 x=2', 'member 7', 'member 8'])
  })

  it('bad formats are a ValueError at the call, before anything is traced', () => {
    expect(() => debug.print('{', np.array(1))).toThrow(ValueError)
    expect(() => debug.print('}', np.array(1))).toThrow(/'}}'/)
    expect(() => debug.print('{} {}', np.array(1))).toThrow(/positional argument 1/)
    expect(() => debug.print('{x}', np.array(1))).toThrow(/object of named values/)
    expect(() => debug.print('{y}', { x: np.array(1) })).toThrow(/names \{y\}/)
    expect(() => debug.print('{:>10}', np.array(1))).toThrow(/not supported/)
    expect(() => debug.print('{} {0}', np.array(1))).toThrow(/cannot mix/)
    expect(() => debug.print('{a.b}', np.array(1))).toThrow(/is not/)
  })

  it('the format string never reaches the program: only a function number does', () => {
    const secret = 'console.log("pwned") {}'
    const g = (x: Arr) => {
      debug.print(secret, x)
      return np.exp(x).mul(2)
    }
    const j = makeJaxpr(g)(np.array([1, 2]))
    expect(String(j)).not.toContain('pwned')
    expect(String(j)).toMatch(/debug_callback\[callback=\d+ batchSizes=\(\)\]/)
    expect(describeProgram(compileJaxpr(j.jaxpr), { source: true })).not.toContain('pwned')
    jit(g)(np.array([1, 2]))
    expect(printed).toEqual(['console.log("pwned") [1, 2]'])
  })
})

describe('the progress option of scan, foriLoop and whileLoop', () => {
  const reports: [number, number | null][] = []
  const report = (s: number, t: number | null) => {
    reports.push([s, t])
  }
  beforeEach(() => {
    reports.length = 0
  })
  const body = (_i: Arr, c: Arr) => c.mul(1.1).add(np.sin(c))

  it('foriLoop: every k steps and at the end, under jit, grad and vmap, with the derivatives of the plain loop', () => {
    const withP = (x: Arr) => lax.foriLoop(0, 10, body, x, { progress: { report, every: 4 } }).sum()
    const plain = (x: Arr) => lax.foriLoop(0, 10, body, x).sum()
    const x = np.array([0.3, 0.7])
    expect(withP(x).item()).toBe(plain(x).item())
    expect(reports).toEqual([[4, 10], [8, 10], [10, 10]])
    reports.length = 0
    expect(jit(grad(withP))(x).tolist()).toEqual(grad(plain)(x).tolist())
    expect(reports).toEqual([[4, 10], [8, 10], [10, 10]])
    reports.length = 0
    expect(jvp(withP, [x], [x])[1].item()).toBe(jvp(plain, [x], [x])[1].item())
    reports.length = 0
    // under vmap the counter is shared: one report per step, not per member
    vmap(withP)(np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]))
    expect(reports).toEqual([[4, 10], [8, 10], [10, 10]])
  })

  it('scan: about 100 reports by default; the ys and carry are unchanged', () => {
    const step = (c: Arr, x: Arr): [Arr, Arr] => [c.add(x), c]
    const xs = np.arange(1000).astype('float64')
    const [c1, ys1] = jit((v: Arr) => lax.scan(step, np.array(0), v, { progress: report }))(xs)
    const [c2, ys2] = lax.scan(step, np.array(0), xs)
    expect(c1.item()).toBe(c2.item())
    expect(ys1.tolist()).toEqual(ys2.tolist())
    expect(reports.length).toBe(100)
    expect(reports[0]).toEqual([10, 1000])
    expect(reports[99]).toEqual([1000, 1000])
  })

  it('scan with a remainder, reversed, with ys: the same carry and ys as without, reports after each chunk', () => {
    const step = (c: Arr, x: Arr): [Arr, { y: Arr; z: Arr }] => [c.mul(0.5).add(x.sum()), { y: c, z: x.mul(c) }]
    const xs = np.arange(22).astype('float64').reshape([11, 2])
    for (const reverse of [false, true]) {
      reports.length = 0
      const run = (progress: typeof report | undefined) => (v: Arr) => lax.scan(step, np.array(1), v, { reverse, progress: progress && { report: progress, every: 4 } })
      const [c1, ys1] = jit(run(report))(xs)
      const [c2, ys2] = run(undefined)(xs)
      expect(c1.item()).toBe(c2.item())
      expect(ys1.y.tolist()).toEqual(ys2.y.tolist())
      expect(ys1.z.tolist()).toEqual(ys2.z.tolist())
      expect(reports).toEqual(reverse ? [[3, 11], [7, 11], [11, 11]] : [[4, 11], [8, 11], [11, 11]])
      const g1 = grad((v: Arr) => run(report)(v)[0])(xs)
      expect(g1.tolist()).toEqual(grad((v: Arr) => run(undefined)(v)[0])(xs).tolist())
    }
  })

  it('whileLoop and foriLoop with traced bounds: every step, total unknown / traced', () => {
    lax.whileLoop((c: Arr) => c.lt(20), (c: Arr) => c.mul(2), np.array(1), { progress: report })
    expect(reports).toEqual([[1, null], [2, null], [3, null], [4, null], [5, null]])
    reports.length = 0
    jit((n: Arr) => lax.foriLoop(0, n, body, np.array(0.5), { progress: report }))(np.array(3, { dtype: 'int32' }))
    expect(reports).toEqual([[1, 3], [2, 3], [3, 3]])
  })

  it('with a checkpoint policy: reports come from the forward pass only, once, in order', () => {
    const loop = (checkpoint: lax.CheckpointPolicy) => (c0: Arr) =>
      lax.foriLoop(0, 50, (_i: Arr, c: Arr) => c.add(np.sin(c).mul(0.1)), c0, { checkpoint, progress: { report, every: 10 } })
    const plain = grad((c0: Arr) => lax.foriLoop(0, 50, (_i: Arr, c: Arr) => c.add(np.sin(c).mul(0.1)), c0))(np.array(0.3)).item()
    for (const checkpoint of ['sqrt', 'recompute', { binomial: 3 }] as lax.CheckpointPolicy[]) {
      reports.length = 0
      expect(jit(grad(loop(checkpoint)))(np.array(0.3)).item()).toBeCloseTo(plain, 14)
      expect(reports).toEqual([[10, 50], [20, 50], [30, 50], [40, 50], [50, 50]])
    }
  })

  it('bad progress options are a ValueError', () => {
    expect(() => lax.foriLoop(0, 3, body, np.array(1), { progress: 5 as never })).toThrow(ValueError)
    expect(() => lax.foriLoop(0, 3, body, np.array(1), { progress: { report, every: 0 } })).toThrow(/positive integer/)
  })
})
