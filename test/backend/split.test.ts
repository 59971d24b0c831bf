/**
 * Pads and concatenates of computed values are split into boxes (src/backend/split.ts): the
 * Hessian-vector product of Rosenbrock (W4) is one pass over its output — a thin JS box at each
 * end and one WebAssembly map in between — and every split program computes what the
 * reference interpreter computes (bit for bit in float64 and with the JS kernels; float32
 * WebAssembly boxes within the documented transcendental bounds).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Array as Arr, hvp, lax, makeJaxpr, np } from '../../src'
import { ConcreteArray } from '../../src/core/array'
import { compileJaxpr, describeProgram, setWasmKernels } from '../../src/backend'
import { optimize } from '../../src/passes'
import { hoistConsts } from '../../src/interpret/jvp'
import { type LoopKernel, normalizeLoops } from '../../src/backend/kernel'
import { wasmLoopPlan } from '../../src/backend/wasmlower'
import { canonicalize } from '../../src/backend/wasm/expr'
import { splitPicks } from '../../src/backend/split'
import { bitwiseDiff, closeDiff, runCompiled, runReference, seq } from './helpers'

afterEach(() => setWasmKernels(true))

const jaxprOf = (f: (...xs: Arr[]) => Arr, ...args: Arr[]) => optimize(hoistConsts(makeJaxpr(f)(...args).jaxpr), { all: true })

const rosenbrock = (n: number) => (x: Arr) => {
  const a = lax.slice(x, [0], [n - 1])
  const b = lax.slice(x, [1], [n])
  return np.sum(np.square(b.sub(np.square(a))).mul(100).add(np.square(np.subtract(1, a))))
}

/** H v for Rosenbrock, from its tridiagonal Hessian (independent of the library). */
const hvpClosedForm = (x: Float64Array, v: Float64Array): Float64Array => {
  const n = x.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = (i > 0 ? 200 : 0) * v[i]
    if (i + 1 < n) s += (1200 * x[i] * x[i] - 400 * x[i + 1] + 2) * v[i] - 400 * x[i] * v[i + 1]
    if (i > 0) s -= 400 * x[i - 1] * v[i - 1]
    out[i] = s
  }
  return out
}


describe('W4: the Hessian-vector product of Rosenbrock', () => {
  const n = 1000
  const x = seq(n, 1, -1.5, 1.5)
  const v = seq(n, 2, -1, 1)
  const j = jaxprOf((x, v) => hvp(rosenbrock(n), [x], [v]) as Arr, np.array(x), np.array(v))
  const xs = [np.array(x), np.array(v)] as unknown as ConcreteArray[]

  it('is one pass over the output: an edge box, a WebAssembly map, an edge box — no stored intermediates', () => {
    const text = describeProgram(compileJaxpr(j))
    expect(text).not.toMatch(/temp/)
    expect(text.split('\n').map((l) => l.replace(/, \d+ nodes/, ''))).toEqual([
      '0: loop [], 1 store(s) (input1, input0) → (output2)',
      '1: wasm float64 map of 998 elements, 6 input(s), 1 output(s) (input1, input0) → (output2)',
      '2: loop [], 1 store(s) (input1, input0) → (output2)',
    ])
  })

  it('folds the negations and the constant arithmetic of its WebAssembly map (exactly: the next test)', () => {
    const step = compileJaxpr(j).spec.steps[1]
    if (step.kind !== 'kernel' || step.kernel.kind !== 'loop') throw new Error('expected the map kernel')
    const k = normalizeLoops(step.kernel)
    // the derivative rules negate: d(a − b) = da + (−db)
    expect(k.nodes.filter((nd) => nd.k === 'op' && nd.op === 'neg').length).toBe(4)
    const plan = wasmLoopPlan(k)
    if (plan === null || plan.kind !== 'map') throw new Error('expected a WebAssembly map')
    // one is left: (−p) − q, which is not −(p + q) when p and q are zeros (+0 against −0)
    expect(canonicalize(plan.outs).unique.filter((e) => e._tag === 'unary' && e.op === 'neg').length).toBe(1)
    // and its constant arithmetic is done once: 1·100 is 100, (u·2)·100 is u·200
    const constArith = canonicalize(plan.outs).unique.filter((e) => e._tag === 'binary' && e.x._tag === 'const' && e.y._tag === 'const')
    expect(constArith).toEqual([])
    expect(canonicalize(plan.outs).unique.some((e) => e._tag === 'const' && e.value === 200)).toBe(true)
  })

  it('equals the reference interpreter bit for bit, with and without WebAssembly, and the closed form', () => {
    const want = runReference(j, xs)[0]
    expect(bitwiseDiff(runCompiled(j, xs)[0], want)).toBeNull()
    setWasmKernels(false)
    expect(bitwiseDiff(runCompiled(jaxprOf((x, v) => hvp(rosenbrock(n), [x], [v]) as Arr, np.array(x), np.array(v)), xs)[0], want)).toBeNull()
    expect(closeDiff(want, hvpClosedForm(x, v), 1e-12, 1e-9)).toBeNull()
  })

  it('is right at the smallest sizes (boxes of one element, or none in between)', () => {
    for (const m of [2, 3, 4]) {
      const xm = seq(m, 3, -1, 1)
      const vm = seq(m, 4, -1, 1)
      const jm = jaxprOf((x, v) => hvp(rosenbrock(m), [x], [v]) as Arr, np.array(xm), np.array(vm))
      const ins = [np.array(xm), np.array(vm)] as unknown as ConcreteArray[]
      expect(bitwiseDiff(runCompiled(jm, ins)[0], runReference(jm, ins)[0])).toBeNull()
      expect(closeDiff(runCompiled(jm, ins)[0], hvpClosedForm(xm, vm), 1e-12, 1e-12)).toBeNull()
    }
  })
})

describe('split programs equal the reference interpreter', () => {
  const cases: [string, (x: Arr) => Arr, number[]][] = [
    ['a roll of a computed value (concatenate of two slices)', (x) => { const y = x.sin().mul(x); return np.concatenate([lax.slice(y, [299], [300]), lax.slice(y, [0], [299])]).add(y.exp()) }, [300]],
    ['a pad on both sides', (x) => np.pad(x.mul(x).add(x.cos()), [[3, 5]]).mul(2), [400]],
    ['a 2-D pad of a computed value, read at two shifts', (x) => { const p = np.pad(x.tanh().mul(x), [[1, 1], [2, 0]]); return lax.slice(p, [0, 0], [30, 200]).add(lax.slice(p, [2, 2], [32, 202])).mul(x) }, [30, 200]],
    ['a three-piece concatenate', (x) => np.concatenate([x.mul(3), x.exp().sub(1), x.neg().sqrt()]), [500]],
  ]
  for (const [name, f, shape] of cases) {
    it(name, () => {
      const size = shape.reduce((a, b) => a * b, 1)
      const x = np.array(seq(size, 7, -2, 2)).reshape(shape)
      const xs = [x] as unknown as ConcreteArray[]
      const j = jaxprOf(f, x)
      const want = runReference(j, xs)[0]
      // float64 WebAssembly kernels run only correctly rounded ops: bit for bit
      expect(bitwiseDiff(runCompiled(j, xs)[0], want)).toBeNull()
      setWasmKernels(false)
      expect(bitwiseDiff(runCompiled(jaxprOf(f, x), xs)[0], want)).toBeNull()
      setWasmKernels(true)
      // float32: JS kernels bit for bit; WebAssembly transcendentals within their ulp bounds
      // (the reference's eager calls of large ops would run WebAssembly kernels too: off here)
      const x32 = x.astype('float32')
      const xs32 = [x32] as unknown as ConcreteArray[]
      setWasmKernels(false)
      const want32 = runReference(jaxprOf(f, x32), xs32)[0]
      expect(bitwiseDiff(runCompiled(jaxprOf(f, x32), xs32)[0], want32)).toBeNull()
      setWasmKernels(true)
      // (≤ 1 ulp of exp, which `exp(x) − 1` keeps as an absolute error)
      expect(closeDiff(runCompiled(jaxprOf(f, x32), xs32)[0], want32, 4e-7, 2e-6)).toBeNull()
    })
  }
})

describe('pads and rolls of computed values at every offset', () => {
  // each program reads a padded computed value at two shifts, or rolls one by k: the boxes
  // (and the pieces they take) change with every (lo, hi, k); all must equal the reference
  const N = 400 // (the inner boxes are large enough for the WebAssembly kernels)
  const x1 = np.array(seq(N, 11, -1, 1))
  const x2 = np.array(seq(6 * 300, 12, -1, 1)).reshape([6, 300])
  const check = (f: (x: Arr) => Arr, x: Arr, what: string) => {
    const xs = [x] as unknown as ConcreteArray[]
    const want = runReference(jaxprOf(f, x), xs)[0]
    const j = jaxprOf(f, x)
    expect(bitwiseDiff(runCompiled(j, xs)[0], want), what).toBeNull()
    return describeProgram(compileJaxpr(j))
  }
  it('1-D and 2-D pads (lo, hi in 0…3) read at two shifts', () => {
    for (const wasm of [true, false]) {
      setWasmKernels(wasm)
      for (let lo = 0; lo <= 3; lo++) {
        for (let hi = 0; hi <= 3; hi++) {
          const f1 = (x: Arr) => {
            const p = np.pad(x.mul(x).sub(x.mul(3)).add(1), [[lo, hi]])
            return lax.slice(p, [0], [N]).add(lax.slice(p, [lo + hi], [N + lo + hi]).mul(x))
          }
          check(f1, x1, `1-D pad (${lo}, ${hi}), wasm ${wasm}`)
          const f2 = (x: Arr) => {
            const p = np.pad(x.mul(x).add(x), [[hi, lo], [lo, hi]])
            return lax.slice(p, [0, 0], [6, 300]).sub(lax.slice(p, [lo + hi, lo + hi], [6 + lo + hi, 300 + lo + hi]))
          }
          const text = check(f2, x2, `2-D pad (${lo}, ${hi}), wasm ${wasm}`)
          // one kernel per box, the inner one a WebAssembly map of rows when allowed
          if (lo + hi > 0) expect(text.split('\n').length, text).toBeGreaterThan(1)
          if (wasm && lo + hi > 0) expect(text).toMatch(/wasm float64 map of \d+ rows/)
        }
      }
    }
  })
  it('rolls by k = 1…399 of a computed value', () => {
    for (let k = 1; k < N; k += 37) {
      const roll = (x: Arr) => { const y = x.mul(x).sub(x.mul(2)); return np.concatenate([lax.slice(y, [N - k], [N]), lax.slice(y, [0], [N - k])]).mul(x) }
      check(roll, x1, `roll ${k}`)
    }
  })
})

describe('splitPicks', () => {
  // out[i] = (i ≥ 2 ? a[i − 2] : 7) over 10 points: boxes [0, 2) and [2, 10)
  const k: LoopKernel = {
    kind: 'loop', f32: 'exact', domain: [10], nReduced: 0, inputs: ['float64'], outputs: ['float64'],
    nodes: [
      { k: 'lit', value: 7, dtype: 'float64' },
      { k: 'pick', dtype: 'float64', fallback: 0, pieces: [{ input: 0, idx: { off: -2, st: [1] }, node: -1, conds: [{ c: { off: 0, st: [1] }, lo: 2, n: 8 }] }] },
    ],
    stores: [{ node: 1, out: 0, idx: { off: 0, st: [1] } }],
    reductions: [],
    epilogue: [],
  }

  it('cuts the loop where a condition changes; each box keeps only the piece it takes', () => {
    const boxes = splitPicks(k)
    expect(boxes?.map((b) => ({ domain: b.domain, nodes: b.nodes, store: b.stores[0].idx }))).toEqual([
      { domain: [2], nodes: [{ k: 'lit', value: 7, dtype: 'float64' }], store: { off: 0, st: [1] } },
      { domain: [8], nodes: [{ k: 'load', input: 0, idx: { off: 0, st: [1] }, dtype: 'float64', clamp: -1 }], store: { off: 2, st: [1] } },
    ])
  })

  it('keeps a kernel whole when it reduces, or when a condition follows two loops', () => {
    expect(splitPicks({ ...k, reductions: [{ node: 1, op: 'sum', out: 0, idx: { off: 0, st: [0] }, acc: 'float64' }], stores: [] })).toBeNull()
    const diagonal: LoopKernel = {
      ...k,
      domain: [4, 4],
      nodes: [k.nodes[0], { ...(k.nodes[1] as Extract<LoopKernel['nodes'][number], { k: 'pick' }>), pieces: [{ input: 0, idx: { off: 0, st: [4, 1] }, node: -1, conds: [{ c: { off: 0, st: [1, 1] }, lo: 2, n: 8 }] }] }],
      stores: [{ node: 1, out: 0, idx: { off: 0, st: [4, 1] } }],
    }
    expect(splitPicks(diagonal)).toBeNull()
  })
})
