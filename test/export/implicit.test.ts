// Implicit differentiation exports as its solvers: customRoot and customLinearSolve (and the
// gradient of a root, which solves the transposed tangent system) run on ONNX Runtime with
// leibniz's values; a host callback is refused by name.
import { describe, expect, it } from 'vitest'
import { ExportError, debug, grad, lax, np } from '../../src'
import type { NDArray } from '../../src'
import { exportOnnx, exportStableHlo, runOnnx } from '../../src/export'

/** x(θ) with x = cos(θx), by 30 Newton steps; derivatives by the implicit-function theorem. */
const root = (theta: NDArray): NDArray =>
  lax.customRoot(
    (x: NDArray) => x.sub(np.cos(theta.mul(x))),
    np.array(0.5),
    (f, x0) => lax.foriLoop(0, 30, (_i: NDArray, x: NDArray) => x.sub(f(x).div(np.array(1).add(theta.mul(np.sin(theta.mul(x)))))), x0),
    (g, y) => y.div(g(np.array(1))),
  )
const solve = (s: NDArray): NDArray =>
  lax.customLinearSolve((x: NDArray) => x.mul(s), np.array([1, 2, 3]), (_m, b) => b.div(s), (_m, b) => b.div(s))

describe('export of implicit differentiation', () => {
  it('customRoot, its gradient and customLinearSolve run on ONNX Runtime with our values', async () => {
    const t = np.array(0.7)
    for (const f of [root, grad(root), solve]) {
      const got = (await runOnnx(exportOnnx(f)(t), t)).tolist()
      expect(got).toEqual(f(t).tolist())
    }
    // x = cos(θx) at θ = 0.7, and dx/dθ = −x sin θx / (1 + θ sin θx)
    const x = root(t).item()
    expect(Math.abs(x - Math.cos(0.7 * x))).toBeLessThan(1e-15)
    expect(grad(root)(t).item()).toBeCloseTo((-x * Math.sin(0.7 * x)) / (1 + 0.7 * Math.sin(0.7 * x)), 14)
    expect(exportStableHlo(root)(t)).toContain('stablehlo.')
  })
  it('a host callback is an ExportError naming debug_callback', () => {
    const f = (x: NDArray) => {
      debug.print('x = {}', x)
      return x.mul(2)
    }
    expect(() => exportOnnx(f)(np.array(1))).toThrow(ExportError)
    expect(() => exportOnnx(f)(np.array(1))).toThrow(/debug_callback/)
  })
})
