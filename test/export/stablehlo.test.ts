// exportStableHlo: the text of a curated set of programs (elementwise math, MLP gradients,
// jit(vmap(grad)), jacfwd through a loop, scans, cond/switch, gathers and scatters,
// Cholesky solves, the Threefry hash), compiled and run by XLA's CPU client through jaxlib
// when a Python with jax is available, and compared with leibniz (laws.exportsLike, float64 to
// 1e-12). Without such a Python the run is skipped with a message saying why; the checks of
// the text itself always run.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ExportError, customJvp, grad, jacfwd, jit, lax, nn, np, random, tree, vmap } from '../../src'
import type { Array } from '../../src'
import { ConcreteArray } from '../../src/core/array'
import { registeredPrimitives } from '../../src/core/rules'
import type { DType } from '../../src/ir/dtypes'
import { exportStableHlo, stablehloCoverage } from '../../src/export'
import { laws } from '../../laws'

const SCRIPT = fileURLToPath(new URL('./run_stablehlo.py', import.meta.url))

/** A Python that imports jax and jaxlib: $LEIBNIZ_JAX_PYTHON if set, else /tmp/jaxenv/bin/python or python3. */
const findPython = (): { python: string | null; why: string } => {
  const env = process.env.LEIBNIZ_JAX_PYTHON
  const cands = env !== undefined && env !== '' ? [env] : ['/tmp/jaxenv/bin/python', 'python3']
  for (const c of cands) {
    if (c.includes('/') && !existsSync(c)) continue
    const r = spawnSync(c, ['-c', 'import jax, jaxlib'], { timeout: 60_000 })
    if (r.status === 0) return { python: c, why: '' }
  }
  return { python: null, why: `no Python with jax and jaxlib among ${cands.join(', ')} (set LEIBNIZ_JAX_PYTHON, or: python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax)` }
}

const mlp = (p: { w1: Array; b1: Array; w2: Array }, x: Array, y: Array) => {
  const h = np.tanh(np.matmul(x, p.w1).add(p.b1))
  return np.matmul(h, p.w2).sub(y).mul(np.matmul(h, p.w2).sub(y)).mean()
}
const lorenz = (p: Array) => {
  const [s, r, b] = [0, 1, 2].map((i) => lax.reshape(lax.slice(p, [i], [i + 1]), []))
  return np.stack(lax.foriLoop(0, 100, (_i: unknown, [x, y, z]: Array[]) => [
    x.add(s.mul(y.sub(x)).mul(0.01)),
    y.add(x.mul(r.sub(z)).sub(y).mul(0.01)),
    z.add(x.mul(y).sub(b.mul(z)).mul(0.01)),
  ], [np.array(1), np.array(1), np.array(1)]))
}
const softclip = customJvp((x: Array) => np.tanh(x), ([x]: Array[], [t]: Array[]) => [np.tanh(x), t.mul(np.tanh(x).mul(np.tanh(x)).neg().add(1))])

/** a⁻¹ b by Cholesky: L Lᵀ x = b, two triangular solves. */
const choSolve = (a: Array, b: Array) => {
  const l = lax.cholesky(a)
  const y = lax.triangularSolve(l, b, { leftSide: true, lower: true, transposeA: false, unitDiagonal: false })
  return lax.triangularSolve(l, y, { leftSide: true, lower: true, transposeA: true, unitDiagonal: false })
}
const spd = np.array([[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]])

interface Case { readonly name: string; readonly f: (...a: any[]) => unknown; readonly args: unknown[] }
const CASES: Case[] = [
  { name: 'elementwise math', f: (x: Array) => [np.sin(x), np.arctan(x), np.arcsin(x.div(3)), np.sinh(x), np.expm1(x), np.log1p(x.abs()), np.arctan2(x, x.add(0.5)), nn.sigmoid(x), np.round(x.mul(3)), x.pow(3)], args: [np.array([-2.5, -0.7, 0, 1e-9, 0.4, 1.3, 2.5])] },
  { name: 'MLP value and grad', f: (p: any, x: Array, y: Array) => [mlp(p, x, y), grad(mlp)(p, x, y)], args: [{ w1: np.linspace(-1, 1, 12).reshape([4, 3]), b1: np.array([0.1, -0.2, 0.3]), w2: np.linspace(0.5, -0.5, 6).reshape([3, 2]) }, np.linspace(-1, 2, 20).reshape([5, 4]), np.linspace(0, 1, 10).reshape([5, 2])] },
  { name: 'jit(vmap(grad)) per-example gradients', f: jit(vmap(grad((w: Array, x: Array) => nn.softplus(np.dot(w, x))), { inAxes: [null, 0] })), args: [np.array([0.3, -0.2, 0.5]), np.linspace(-1, 1, 12).reshape([4, 3])] },
  { name: 'jacfwd of a simulation (foriLoop)', f: jacfwd(lorenz), args: [np.array([10, 28, 8 / 3])] },
  { name: 'grad through a reverse scan', f: grad((x: Array) => lax.scan((c: Array, xi: Array) => [c.mul(0.9).add(xi.sin()), c.mul(xi)], np.array(0.5), x, { reverse: true })[1].sum()), args: [np.array([0.3, -1, 2, 0.7])] },
  { name: 'cond and switch', f: (x: Array) => [lax.cond(x.sum().gt(0), (y: Array) => y.mul(2), (y: Array) => y.sin(), x), lax.switch(x.sum().astype('int32'), [(y: Array) => y.neg(), (y: Array) => y.cos(), (y: Array) => y.exp()], x)], args: [np.array([0.5, 1.2])] },
  { name: 'whileLoop', f: (x: Array) => lax.whileLoop((c: Array) => c.lt(100), (c: Array) => c.mul(1.7), x), args: [np.array(1.5)] },
  { name: 'take, at.add and their gradients', f: (x: Array, i: Array) => [np.take(x, i, 0), grad((z: Array) => np.take(z, i, 0).sin().sum())(x)], args: [np.array([[1, 2], [3, 4], [5, 6]]), np.array([2, 0, 2], { dtype: 'int32' })] },
  { name: 'Cholesky solve and its gradient', f: grad((a: Array, b: Array) => choSolve(a, b).sin().sum(), { argnums: [0, 1] }), args: [spd, np.array([[1], [2], [3]])] },
  { name: 'cholesky and its gradient', f: (a: Array) => [np.linalg.cholesky(a), grad((m: Array) => np.linalg.cholesky(m).sum())(a)], args: [spd] },
  { name: 'customJvp and dynamic slices', f: (x: Array) => grad((y: Array) => softclip(lax.dynamicSlice(y, [1], [2])).sum())(x), args: [np.array([0.1, 0.5, -0.4, 2])] },
  { name: 'Threefry random bits (int32 shifts and xor)', f: (k: Array) => random.uniform(k, [4]), args: [random.key(7)] },
  { name: 'float32 and pads', f: (x: Array) => lax.pad(x.mul(2), np.array(0, { dtype: 'float32' }), [[1, 2, 1]]).exp(), args: [np.array([1, 2, 3], { dtype: 'float32' })] },
]

type Wire = { data: (number | string)[]; shape: number[]; dtype: DType }
const toWire = (x: Array): Wire => ({ data: globalThis.Array.from(x.toTypedArray(), (v: number) => (Number.isFinite(v) ? v : String(v).toLowerCase().replace('infinity', 'inf'))), shape: [...x.shape], dtype: x.dtype as DType })
const fromWire = (w: Wire): Array => {
  const vals = w.data.map((v) => (typeof v === 'string' ? Number(v.replace('inf', 'Infinity')) : v))
  const Ctor = w.dtype === 'float64' ? Float64Array : w.dtype === 'float32' ? Float32Array : w.dtype === 'int32' ? Int32Array : Uint8Array
  return new ConcreteArray(Ctor.from(vals), w.shape, w.dtype) as unknown as Array
}

describe('exportStableHlo: the text', () => {
  it('every registry primitive is exported or refused; the refused ones are these', () => {
    const { exported, refused } = stablehloCoverage()
    expect([...exported, ...refused.keys()].sort()).toEqual([...registeredPrimitives()].sort())
    expect([...refused.keys()].sort()).toEqual(['argmax', 'argmin', 'conv_general_dilated', 'cumsum', 'custom_vjp_lin', 'debug_callback', 'eigh', 'lu', 'qr', 'reduce_window_max', 'reduce_window_min', 'reduce_window_sum', 'sort', 'svd'])
  })

  it('a refused primitive is an ExportError naming it', () => {
    expect(() => exportStableHlo((x: Array) => np.sort(x))(np.ones([3]))).toThrow(ExportError)
    expect(() => exportStableHlo((x: Array) => np.sort(x))(np.ones([3]))).toThrow(/primitive 'sort'/)
  })

  it('a small program, as text', () => {
    expect(exportStableHlo((x: Array, y: Array) => np.sin(x).mul(y).add(1))(np.ones([2]), np.array(3))).toMatchInlineSnapshot(`
      "// StableHLO exported by leibniz
      // arguments: arg0, arg1
      // results: out
      module @leibniz {
        func.func public @main(%arg0: tensor<2xf64>, %arg1: tensor<f64>) -> (tensor<2xf64>) {
          %v0 = "stablehlo.sine"(%arg0) : (tensor<2xf64>) -> tensor<2xf64>
          %v1 = "stablehlo.broadcast_in_dim"(%arg1) {broadcast_dimensions = array<i64>} : (tensor<f64>) -> tensor<2xf64>
          %v2 = "stablehlo.multiply"(%v0, %v1) : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
          %v3 = "stablehlo.constant"() {value = dense<"0x000000000000F03F"> : tensor<f64>} : () -> tensor<f64>
          %v4 = "stablehlo.broadcast_in_dim"(%v3) {broadcast_dimensions = array<i64>} : (tensor<f64>) -> tensor<2xf64>
          %v5 = "stablehlo.add"(%v2, %v4) : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
          "func.return"(%v5) : (tensor<2xf64>) -> ()
        }
      }
      "
    `)
  })

  it('pytree keys never reach the text unescaped; floats are written by their bits', () => {
    const key = 'a"b}\n// {evil'
    const text = exportStableHlo((p: Record<string, Array>) => ({ [key]: p[key].mul(Math.PI) }))({ [key]: np.ones([2]) })
    expect(text).not.toContain('"b}')
    expect(text).toMatch(/\/\/ arguments: arg0\.a_b_+evil\n/)
    expect(text).toContain('0x182D4454FB210940') // π, little endian
    expect(text.split('\n').filter((l) => l.includes('evil'))).toHaveLength(2) // the two comment lines only
  })
})

const { python, why } = findPython()

describe('exportStableHlo: run by XLA (jaxlib), compared with leibniz', () => {
  if (python === null) {
    console.warn(`StableHLO execution check skipped: ${why}`)
    it.skip(`skipped: ${why}`, () => {})
    return
  }

  it('every curated program runs in XLA and matches leibniz to 1e-12', async () => {
    const input = CASES.map((c) => ({
      text: exportStableHlo(c.f)(...c.args),
      inputs: tree.leaves(c.args).map((a) => toWire(a as Array)),
    }))
    const out = JSON.parse(execFileSync(python as string, [SCRIPT], { input: JSON.stringify(input), maxBuffer: 64 << 20, timeout: 300_000 }).toString()) as ({ outputs: Wire[] } | { error: string })[]
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[i]
      const r = out[i]
      if ('error' in r) throw new Error(`${c.name}: XLA rejected the module: ${r.error}\n${input[i].text}`)
      const structure = tree.structure(c.f(...c.args))
      const xla = (_f: unknown, _a: unknown[]) => tree.unflatten(structure, r.outputs.map(fromWire))
      await laws.exportsLike(c.f, fc.constant(c.args), xla, { numRuns: 1 }).catch((e: Error) => {
        throw new Error(`${c.name}: ${e.message}`)
      })
    }
  }, 300_000)
})
