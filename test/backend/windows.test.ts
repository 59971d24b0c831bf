// Convolutions and window reductions in every evaluator: the reference interpreter (the
// impls' direct loops), compiled with and without the WebAssembly kernels (im2col + matmul,
// folds of window slices), eagerly and under jit, against JAX's values (float64); and the
// im2col rewrite's two enumerations (by kernel offset, by output position).
import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { type Array as LArray, grad, jit, lax, nn, np, random, vmap } from '../../src'
import { setBackend, setWasmKernels } from '../../src/backend'
import { expandWindows } from '../../src/backend/windows'
import { makeJaxpr } from '../../src'

type Nested = number | Nested[]
const text = readFileSync(new URL('../fixtures/conv/conv.json', import.meta.url), 'utf8').replace(/(-?)Infinity/g, '"$1Infinity"')
const F = JSON.parse(text, (_k, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as Record<string, { args: Nested[]; out: Nested[]; ct: Nested[]; grads: Nested[]; config: Record<string, unknown> }[]>
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x])
const close = (got: LArray, want: Nested | number[], tol: number): void => {
  const g = flat(got.tolist() as Nested)
  const w = Array.isArray(want) ? (want as Nested[]).flatMap(flat) : [want]
  expect(g.length).toBe(w.length)
  const scale = Math.max(1, ...w.filter(Number.isFinite).map(Math.abs))
  g.forEach((v, i) => (Number.isFinite(w[i]) ? expect(Math.abs(v - w[i])).toBeLessThanOrEqual(tol * scale) : expect(v).toBe(w[i])))
}

afterEach(() => {
  setBackend('compiled')
  setWasmKernels(true)
})

const MODES: [string, () => void][] = [
  ['reference interpreter', () => setBackend('reference')],
  ['compiled, JS kernels only', () => setWasmKernels(false)],
  ['compiled with WebAssembly', () => undefined],
]

describe('convolution in every evaluator agrees with JAX (float64)', () => {
  for (const [mode, set] of MODES) {
    it(`${mode}: values and both gradients, eager and jit`, () => {
      set()
      for (const k of F.conv) {
        const c = k.config
        const f = (l: LArray, r: LArray) => lax.convGeneralDilated(l, r, c.strides as number[], c.padding as 'SAME', {
          lhsDilation: (c.lhs_dilation as number[] | undefined) ?? null, rhsDilation: (c.rhs_dilation as number[] | undefined) ?? null,
          dimensionNumbers: (c.dn as [string, string, string] | undefined) ?? null,
          featureGroupCount: (c.fgc as number | undefined) ?? 1, batchGroupCount: (c.bgc as number | undefined) ?? 1,
        }) as LArray
        const [l, r] = k.args.map((a) => np.array(a as number[]))
        const ct = np.array(k.ct[0] as number[])
        close(f(l, r), k.out[0], 1e-12)
        close(jit(f)(l, r), k.out[0], 1e-12)
        const g = jit(grad((p: LArray, q: LArray) => np.sum(np.multiply(f(p, q), ct)), { argnums: [0, 1] }))(l, r)
        close(g[0], k.grads[0], 1e-11)
        close(g[1], k.grads[1], 1e-11)
      }
    })
  }
})

describe('window reductions in every evaluator agree with JAX (float64)', () => {
  for (const [mode, set] of MODES) {
    it(`${mode}`, () => {
      set()
      for (const k of F.window) {
        if (k.grads === undefined || !('window' in k.config) || 'init' in k.config) continue
        const c = k.config
        const op = (k as unknown as { op: string }).op
        const comp = op === 'max' ? lax.max : op === 'min' ? lax.min : lax.add
        const init = op === 'max' ? -Infinity : op === 'min' ? Infinity : 0
        const f = (x: LArray) => lax.reduceWindow(x, init, comp, c.window as number[], c.strides as number[], c.padding as 'SAME',
          (c.base_dilation as number[] | undefined) ?? null, (c.window_dilation as number[] | undefined) ?? null) as LArray
        const x = np.array(k.args[0] as number[])
        close(jit(f)(x), k.out[0], 1e-12)
        const ct = np.array(k.ct[0] as number[])
        close(jit(grad((y: LArray) => np.sum(np.multiply(f(y), ct))))(x), k.grads[0], 1e-12)
      }
    })
  }
})

describe('the im2col rewrite', () => {
  const conv = (x: LArray, w: LArray) => lax.convGeneralDilated(x, w, [1, 1], 'SAME', { dimensionNumbers: ['NHWC', 'HWIO', 'NHWC'] }) as LArray
  const x = random.normal(random.key(1), [4, 6, 5, 3])
  const w = random.normal(random.key(2), [3, 3, 3, 4])
  it('is a single contraction fed by slices and concatenations', () => {
    const j = expandWindows(makeJaxpr(conv)(x, w).jaxpr)
    const prims = j.eqns.map((e) => e.prim)
    expect(prims.filter((p) => p === 'dot_general')).toHaveLength(1)
    expect(prims).not.toContain('conv_general_dilated')
    expect(new Set(prims)).toEqual(new Set(['transpose', 'pad', 'slice', 'reshape', 'concatenate', 'dot_general']))
    // by kernel offset: 9 slices for a 3x3 kernel
    expect(prims.filter((p) => p === 'slice')).toHaveLength(9)
  })
  it('enumerates output positions when they are fewer (the kernel gradient)', () => {
    const kernelGrad = (w0: LArray) => np.sum(np.sin(conv(x, w0)))
    const j = expandWindows(makeJaxpr(grad(kernelGrad))(w).jaxpr)
    // the gradient's convolution has the 6x5 cotangent as kernel and 3x3 outputs: 9 slices
    const slices = j.eqns.filter((e) => e.prim === 'slice').length
    expect(slices).toBeLessThanOrEqual(2 * 9)
    setBackend('reference')
    const want = grad(kernelGrad)(w)
    setBackend('compiled')
    close(jit(grad(kernelGrad))(w), flat(want.tolist() as Nested), 1e-12)
  })
  it('float32: jit, eager and the reference agree to float32 rounding', () => {
    const x32 = x.astype('float32')
    const w32 = w.astype('float32')
    setBackend('reference')
    const want = flat(conv(x32, w32).tolist() as Nested)
    setBackend('compiled')
    close(jit(conv)(x32, w32), want, 1e-5)
    close(conv(x32, w32), want, 1e-5)
  })
  it('vmap over both operands equals a loop of convolutions, under jit', () => {
    const xs = random.normal(random.key(3), [3, 2, 5, 5, 2])
    const ws = random.normal(random.key(4), [3, 2, 3, 2, 4])
    const got = jit(vmap(conv))(xs, ws)
    for (let i = 0; i < 3; i++) {
      const one = conv(np.take(xs, i, 0), np.take(ws, i, 0))
      close(np.take(got, i, 0), flat(one.tolist() as Nested), 1e-12)
    }
  })
  it('maxPool gradient routes each window to its first maximum (select-and-scatter-add)', () => {
    const v = np.array([[[[1], [3], [3], [0]], [[2], [3], [5], [5]]]]) // [1,2,4,1]
    const g = jit(grad((y: LArray) => np.sum(nn.maxPool(y, [2, 2], [2, 2]) as LArray)))(v)
    expect(flat(g.tolist() as Nested)).toEqual([0, 1, 0, 0, 0, 0, 1, 0])
  })
})
