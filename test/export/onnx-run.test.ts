// exportOnnx / runOnnx at the boundary: names that follow the pytrees, the output tree rebuilt,
// opsets, float64 exactness of the pinned optimization level, and clear errors.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-node'
import { DTypeError, ExportError, ShapeError, TreeMismatchError, ValueError, grad, jit, lax, np, random } from '../../src'
import type { Array } from '../../src'
import { exportOnnx, onnxSession, runOnnx } from '../../src/export'
import { onnx } from '../../src/export/onnx/proto/onnx.pb.js'

const decode = (m: Uint8Array) => onnx.ModelProto.decode(m)

describe('exportOnnx: the model', () => {
  const f = (p: { w: Array; b: Array }, x: Array) => ({ loss: np.tanh(np.matmul(x, p.w).add(p.b)).sum(), parts: [x.sum(), p.b.mul(2)] })
  const p = { w: np.ones([3, 2]), b: np.array([0.5, -0.5]) }
  const x = np.array([[1, 2, 3], [4, 5, 6]])

  it('names inputs and outputs after their pytree paths and states opset and IR version', () => {
    const m = decode(exportOnnx(f)(p, x))
    expect(m.graph?.input?.map((v) => v.name)).toEqual(['arg0.b', 'arg0.w', 'arg1'])
    expect(m.graph?.output?.map((v) => v.name)).toEqual(['out.loss', 'out.parts[0]', 'out.parts[1]'])
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 18]])
    expect(Number(m.irVersion)).toBe(8)
    expect(m.producerName).toBe('leibniz')
    const dims = m.graph?.input?.[1].type?.tensorType?.shape?.dim?.map((d) => Number(d.dimValue))
    expect(dims).toEqual([3, 2])
    expect(m.graph?.input?.[1].type?.tensorType?.elemType).toBe(11) // DOUBLE
  })

  it('runOnnx returns the output tree of f, equal to f in float64', async () => {
    const got = await runOnnx(exportOnnx(f)(p, x), p, x)
    const want = f(p, x)
    expect(got.loss.item()).toBeCloseTo(want.loss.item(), 14)
    expect(got.parts[0].item()).toBe(21)
    expect(got.parts[1].tolist()).toEqual([1, -1])
    expect(got.parts[1].dtype).toBe('float64')
  })

  it('opsets 17 to 21: the same values; others are a ValueError', async () => {
    const g = (x: Array) => x.max(0).add(x.min(1).sum()).mul(x.prod())
    const a = np.array([[1, -2], [3, 0.5]])
    for (const opset of [17, 19, 21]) {
      const m = exportOnnx(g, { opset })(a)
      expect(Number(decode(m).opsetImport[0].version)).toBe(opset)
      expect((await runOnnx(m, a)).tolist()).toEqual(g(a).tolist())
    }
    expect(() => exportOnnx(g, { opset: 13 })(a)).toThrow(ValueError)
    expect(() => exportOnnx(g, { opset: 13 })(a)).toThrow(/opset must be one of 17, 18, 19, 20, 21, got 13/)
  })

  it('int32 bitwise operations need opset 18: refused by name at opset 17', () => {
    const h = (k: Array) => random.normal(k, [3])
    const k = random.key(0)
    expect(() => exportOnnx(h, { opset: 17 })(k)).toThrow(ExportError)
    expect(() => exportOnnx(h, { opset: 17 })(k)).toThrow(/primitive '(xor|shift_left|shift_right_logical)'/)
  })

  it('random numbers: the Threefry hash exports bit for bit; normals to 1e-12', async () => {
    const h = (k: Array) => ({ u: random.uniform(k, [5]), n: random.normal(k, [5]) })
    const k = random.key(42)
    const got = await runOnnx(exportOnnx(h)(k), k)
    expect(got.u.tolist()).toEqual(h(k).u.tolist())
    const want = h(k).n.toTypedArray()
    got.n.toTypedArray().forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-12 * Math.abs(want[i])))
  })
})

describe('runOnnx: float64 exactness', () => {
  it("a matmul followed by a scale is exact at the pinned level (ORT's extended level would fold the scale into float32)", async () => {
    const f = (A: Array, x: Array) => np.matmul(A, x).mul(0.001).add(x)
    const A = np.array([[1.1, 2.3, 0.7], [0.3, 1.9, 4.1], [2.2, 0.5, 1.3]])
    const x = np.array([[1.1], [0.123456789], [3.3]])
    const got = (await runOnnx(exportOnnx(f)(A, x), A, x)).toTypedArray()
    const want = f(A, x).toTypedArray()
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-15 * Math.abs(want[i])))
  })

  it('a jacfwd through 1000 Euler steps of Lorenz matches to 1e-12', async () => {
    const sim = (p: Array) => {
      const [s, r, b] = [0, 1, 2].map((i) => lax.reshape(lax.slice(p, [i], [i + 1]), []))
      const out = lax.foriLoop(0, 1000, (_i: unknown, [x, y, z]: Array[]) => [
        x.add(s.mul(y.sub(x)).mul(0.001)),
        y.add(x.mul(r.sub(z)).sub(y).mul(0.001)),
        z.add(x.mul(y).sub(b.mul(z)).mul(0.001)),
      ], [np.array(1), np.array(1), np.array(1)])
      return np.stack(out)
    }
    const f = jit((p: Array) => grad((q: Array) => sim(q).sum())(p))
    const p = np.array([10, 28, 8 / 3])
    const got = (await runOnnx(exportOnnx(f)(p), p)).toTypedArray()
    const want = f(p).toTypedArray()
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-12 * Math.abs(want[i])))
  })
})

describe('runOnnx and onnxSession: errors and options', () => {
  const f = (x: Array, y: Array) => x.mul(y)
  const m = exportOnnx(f)(np.ones([2]), np.ones([2]))

  it('a different shape is a ShapeError that says to export again', async () => {
    await expect(runOnnx(m, np.ones([3]), np.ones([2]))).rejects.toThrow(ShapeError)
    await expect(runOnnx(m, np.ones([3]), np.ones([2]))).rejects.toThrow(/input arg0 was exported as f64\[2\], got f64\[3\]/)
  })
  it('a different argument structure is a TreeMismatchError', async () => {
    await expect((runOnnx as any)(m, np.ones([2]))).rejects.toThrow(TreeMismatchError)
  })
  it('a different dtype is a DTypeError; JS numbers take the model dtype', async () => {
    await expect((runOnnx as any)(m, np.ones([2], { dtype: 'float32' }), np.ones([2]))).rejects.toThrow(DTypeError)
    const s = exportOnnx((x: Array, y: Array) => x.mul(y))(np.ones([]), np.ones([]))
    expect((await runOnnx(s, 3 as any, np.array(2))).item()).toBe(6)
  })
  it('bytes that are not an exported model are a ValueError', async () => {
    await expect(runOnnx(new Uint8Array([1, 2, 3, 255]) as any)).rejects.toThrow(ValueError)
    const plain = onnx.ModelProto.encode({ irVersion: 8, graph: { name: 'g' } }).finish()
    await expect(runOnnx(plain as any)).rejects.toThrow(/carries no leibniz signature/)
  })
  it('onnxSession takes the onnxruntime module and options, and runs many times', async () => {
    const run = await onnxSession(m, { ort: ort as never, executionProviders: ['cpu'], intraOpNumThreads: 1 })
    expect((await run(np.array([1, 2]), np.array([3, 4]))).tolist()).toEqual([3, 8])
    expect((await run(np.array([5, 6]), np.array([7, 8]))).tolist()).toEqual([35, 48])
  })
})
