// Convolutions, window reductions, top-k and cumulative reductions against JAX (float64):
// values, VJPs with respect to every operand, and for convolutions a Hessian-vector product,
// from test/fixtures/conv/conv.json (made by make_conv.py).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { type Array as LArray, DTypeError, grad, jvp, lax, nn, np, vjp } from '../../src'
import type { Padding } from '../../src/lax'

type Nested = number | Nested[]
interface Case {
  args: Nested[]
  out: Nested[]
  ct?: Nested[]
  grads?: Nested[]
  tangent?: Nested
  jvp?: Nested
  config?: Record<string, unknown>
  direction?: Nested[]
  hvp?: Nested[]
  op?: string
  axis?: number
  reverse?: boolean
  k?: number
  mode?: 'full' | 'same' | 'valid'
}
// (Python's json writes ±Infinity bare: windows that see only padding hold the identity ±∞)
const text = readFileSync(new URL('../fixtures/conv/conv.json', import.meta.url), 'utf8').replace(/(-?)Infinity/g, '"$1Infinity"')
const F = JSON.parse(text, (_k, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as Record<string, Case[]>

const a = (x: Nested): LArray => np.array(x as number[])
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x])
const close = (got: LArray, want: Nested, tol = 1e-10): void => {
  const g = flat(got.tolist() as Nested)
  const w = flat(want)
  expect(g.length).toBe(w.length)
  const scale = Math.max(1, ...w.filter(Number.isFinite).map(Math.abs))
  g.forEach((v, i) => (Number.isFinite(w[i]) ? expect(Math.abs(v - w[i])).toBeLessThanOrEqual(tol * scale) : expect(v).toBe(w[i])))
}
const pads = (p: unknown): Padding => p as Padding
const two = (xs: Nested[]): [LArray, LArray] => [a(xs[0]), a(xs[1])]

const convOf = (c: Record<string, unknown>) => (l: LArray, r: LArray): LArray =>
  lax.convGeneralDilated(l, r, c.strides as number[], pads(c.padding), {
    lhsDilation: (c.lhs_dilation as number[] | undefined) ?? null,
    rhsDilation: (c.rhs_dilation as number[] | undefined) ?? null,
    dimensionNumbers: (c.dn as [string, string, string] | undefined) ?? null,
    featureGroupCount: (c.fgc as number | undefined) ?? 1,
    batchGroupCount: (c.bgc as number | undefined) ?? 1,
  }) as LArray

describe('lax.convGeneralDilated against JAX', () => {
  for (const k of F.conv) {
    const c = k.config as Record<string, unknown>
    it(`${c.name}: value, VJP in both operands, Hessian-vector product`, () => {
      const f = convOf(c)
      const [l, r] = k.args.map(a)
      const [out, pull] = vjp(f, [l, r])
      close(out, k.out[0])
      const [gl, gr] = pull(a((k.ct as Nested[])[0]))
      close(gl, (k.grads as Nested[])[0])
      close(gr, (k.grads as Nested[])[1])
      const loss = (p: LArray, q: LArray) => np.sum(np.sin(f(p, q)))
      const [, hv] = jvp((p: LArray, q: LArray) => grad(loss, { argnums: [0, 1] })(p, q), [l, r], two(k.direction as Nested[]))
      close(hv[0], (k.hvp as Nested[])[0], 1e-9)
      close(hv[1], (k.hvp as Nested[])[1], 1e-9)
    })
  }
})

describe('lax.convTranspose against JAX', () => {
  for (const k of F.convTranspose) {
    const c = k.config as Record<string, unknown>
    it(`${c.name}`, () => {
      const f = (l: LArray, r: LArray) => lax.convTranspose(l, r, c.strides as number[], pads(c.padding), {
        rhsDilation: (c.rhs_dilation as number[] | undefined) ?? null,
        transposeKernel: (c.transpose_kernel as boolean | undefined) ?? false,
      }) as LArray
      const [out, pull] = vjp(f, two(k.args))
      close(out, k.out[0])
      const g = pull(a((k.ct as Nested[])[0]))
      close(g[0], (k.grads as Nested[])[0])
      close(g[1], (k.grads as Nested[])[1])
    })
  }
})

describe('lax.reduceWindow against JAX', () => {
  for (const k of F.window) {
    const c = k.config as Record<string, unknown>
    it(`${k.op}: ${String(c.name ?? 'generic init 1.5')}`, () => {
      const comp = k.op === 'max' ? lax.max : k.op === 'min' ? lax.min : lax.add
      const init = k.op === 'max' ? -Infinity : k.op === 'min' ? Infinity : k.op === 'generic' ? (c.init as number) : 0
      const f = (x: LArray) => lax.reduceWindow(x, init, comp, (c.window as number[]), c.strides as number[], pads(c.padding),
        (c.base_dilation as number[] | undefined) ?? null, (c.window_dilation as number[] | undefined) ?? null) as LArray
      const x = a(k.args[0])
      if (k.jvp !== undefined) {
        const [y, ty] = jvp(f, [x], [a(k.tangent as Nested)])
        close(y, k.out[0])
        close(ty, k.jvp)
        return
      }
      const [y, pull] = vjp(f, [x])
      close(y, k.out[0])
      close(pull(a((k.ct as Nested[])[0]))[0], (k.grads as Nested[])[0])
    })
  }
})

describe('lax.reduceWindow on int32 operands', () => {
  const x = np.array([[1, -5, 3], [2, 7, -(2 ** 31)]], { dtype: 'int32' })
  it('±Infinity init means the smallest / largest int32 (JAX gives these values)', () => {
    expect(lax.reduceWindow(x, -Infinity, lax.max, [2, 2], [1, 1], 'SAME').tolist()).toEqual([[7, 7, 3], [7, 7, -(2 ** 31)]])
    expect(lax.reduceWindow(x, Infinity, lax.min, [1, 2], [1, 1], 'SAME').tolist()).toEqual([[-5, -5, 3], [2, -(2 ** 31), -(2 ** 31)]])
    expect(lax.reduceWindow(x, -Infinity, lax.max, [1, 2], [1, 1], 'VALID').dtype).toBe('int32')
  })
  it('an init value that is not an int32 is a DTypeError', () => {
    expect(() => lax.reduceWindow(x, 0.5, lax.add, [1, 2], [1, 1], 'VALID')).toThrow(DTypeError)
    expect(() => lax.reduceWindow(x, NaN, lax.max, [1, 2], [1, 1], 'VALID')).toThrow(/not an int32 value/)
  })
})

describe('cumulative reductions and associativeScan against JAX', () => {
  const fns: Record<string, (x: LArray, axis: number, reverse: boolean) => LArray> = {
    cumprod: (x, ax, r) => lax.cumprod(x, ax, r) as LArray,
    cummax: (x, ax, r) => lax.cummax(x, ax, r) as LArray,
    cummin: (x, ax, r) => lax.cummin(x, ax, r) as LArray,
    cumlogsumexp: (x, ax, r) => lax.cumlogsumexp(x, ax, r) as LArray,
    cumsum: (x, ax, r) => lax.cumsum(x, ax, r) as LArray,
  }
  for (const k of F.scan) {
    it(`${k.op} axis ${k.axis ?? 0}${k.reverse ? ' reverse' : ''}`, () => {
      if (k.op === 'associative_scan') {
        const comb = (p: [LArray, LArray], q: [LArray, LArray]): [LArray, LArray] => [np.multiply(p[0], q[0]), np.add(np.multiply(q[0], p[1]), q[1])]
        const f = (u: LArray, v: LArray) => lax.associativeScan(comb, [u, v] as [LArray, LArray], { reverse: k.reverse, axis: 0 })
        const [out, pull] = vjp(f, two(k.args))
        close(out[0], k.out[0])
        close(out[1], k.out[1])
        const g = pull((k.ct as Nested[]).map(a) as [LArray, LArray])
        close(g[0], (k.grads as Nested[])[0])
        close(g[1], (k.grads as Nested[])[1])
        return
      }
      const f = (x: LArray) => fns[k.op as string](x, k.axis as number, k.reverse as boolean)
      const [y, pull] = vjp(f, [a(k.args[0])])
      close(y, k.out[0])
      close(pull(a((k.ct as Nested[])[0]))[0], (k.grads as Nested[])[0])
    })
  }
})

describe('lax.topK against JAX', () => {
  it('int32 extremes: −2³¹ sorts last, 2³¹ − 1 first (JAX: [2³¹ − 1, 3, 0, −2³¹, −2³¹], indices [2, 0, 3, 1, 4])', () => {
    const [vals, idx] = lax.topK(np.array([3, -(2 ** 31), 2 ** 31 - 1, 0, -(2 ** 31)], { dtype: 'int32' }), 5)
    expect(vals.tolist()).toEqual([2 ** 31 - 1, 3, 0, -(2 ** 31), -(2 ** 31)])
    expect(idx.tolist()).toEqual([2, 0, 3, 1, 4])
  })
  for (const k of F.topK) {
    it(`k=${k.k} of shape ${JSON.stringify(np.array(k.args[0] as number[]).shape)}`, () => {
      const [vals, idx] = lax.topK(a(k.args[0]), k.k as number)
      close(vals as LArray, k.out[0])
      expect(idx.dtype).toBe('int32')
      expect(flat((idx as LArray).tolist() as Nested)).toEqual(flat(k.out[1]))
      const [, pull] = vjp((x: LArray) => lax.topK(x, k.k as number)[0] as LArray, [a(k.args[0])])
      close(pull(a((k.ct as Nested[])[0]))[0], (k.grads as Nested[])[0])
    })
  }
})

describe('np.convolve / np.correlate against JAX', () => {
  for (const k of F.convolve) {
    it(`${k.op} ${k.mode} lengths ${flat(k.args[0]).length}, ${flat(k.args[1]).length}`, () => {
      const fn = k.op === 'convolve' ? np.convolve : np.correlate
      const [y, pull] = vjp((p: LArray, q: LArray) => fn(p, q, k.mode) as LArray, two(k.args))
      close(y, k.out[0])
      const g = pull(a((k.ct as Nested[])[0]))
      close(g[0], (k.grads as Nested[])[0])
      close(g[1], (k.grads as Nested[])[1])
    })
  }
})

describe('nn pooling', () => {
  const k = F.window[0] // 2x2 stride 2, VALID, NHWC
  it('maxPool / avgPool are the NHWC window reductions of flax', () => {
    const x = a(k.args[0])
    close(nn.maxPool(x, [2, 2], [2, 2]) as LArray, F.window[1].out[0])
    close(nn.avgPool(x, [2, 2], [2, 2]) as LArray, flat(k.out[0]).map((v) => v / 4))
  })
})

describe('bad arguments are named errors that say what was expected', () => {
  const x = np.ones([1, 4, 5, 5])
  const w = np.ones([6, 2, 3, 3])
  it('convolutions', () => {
    expect(() => lax.conv(x, w, [1, 1], 'VALID')).toThrow(/feature size 4 must equal the kernel's input feature size 2 times featureGroupCount 1/)
    expect(() => lax.convGeneralDilated(x, w, [1, 1], 'SAME', { featureGroupCount: 2, batchGroupCount: 2 })).toThrow(/at most one/)
    expect(() => lax.conv(x, np.ones([6, 4, 3, 3]), [1], 'SAME')).toThrow(/windowStrides must list 2 integers/)
    expect(() => lax.conv(x, np.ones([6, 4, 3, 3]), [1, 1], 'FULL' as 'SAME')).toThrow(/'SAME', 'SAME_LOWER', 'VALID'/)
    expect(() => lax.convGeneralDilated(x, np.ones([6, 4, 3, 3]), [1, 1], 'SAME', { dimensionNumbers: ['NCHW', 'OIHW', 'NCXY'] })).toThrow(/spatial axes/)
    expect(() => lax.conv(x, np.ones([6, 4, 3]), [1, 1], 'SAME')).toThrow(/same rank/)
    expect(() => np.convolve(np.ones([2, 2]), np.ones([2]))).toThrow(/1-D/)
  })
  it('windows, topK, scans', () => {
    expect(() => lax.reduceWindow(x, 0, lax.add, [1, 1, 2], [1, 1, 1, 1], 'VALID')).toThrow(/one entry per axis/)
    expect(() => lax.reduceWindow(x, 0, lax.add, [1, 1, 2, 2], [1, 1], 'VALID')).toThrow(/windowStrides must have one entry per axis/)
    expect(() => nn.maxPool(np.ones([4]), [2, 2])).toThrow(/rank ≥ 3/)
    expect(() => lax.topK(np.ones([3]), 4)).toThrow(/k must be an integer in 0 … 3/)
    expect(() => lax.associativeScan((p: LArray[], q: LArray[]) => p.map((v, i) => np.add(v, q[i])), [np.ones([3]), np.ones([4])])).toThrow(/axis 0 of length 3/)
    expect(() => lax.map((v: LArray) => v, np.ones([4]), { batchSize: 0 })).toThrow(/batchSize must be a positive integer/)
  })
})
