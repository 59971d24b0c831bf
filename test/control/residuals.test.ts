/**
 * Reverse mode through scan stores each step's residuals once: a residual that is just a row of
 * xs is read from xs (not re-stacked into a copy), and transposing the linear scan does not copy
 * the stacked residuals again. Checked on the gradient's jaxpr, plain and with checkpoint.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, checkpoint, grad, lax, makeJaxpr, np, vjp } from '../../src'
import { expectClose } from './agree'

const T = 5
/** The top-level equations' outputs of shape [T, …] (the arrays with one row per step). */
const stacked = (text: string) => text.split('\n').filter((l) => /^ {2}let |^ {6}\S/.test(l)).join('\n').match(new RegExp(`:f64\\[${T},2\\]`, 'g'))?.length ?? 0

describe('scan residuals in reverse mode', () => {
  const body = (c: Arr, x: Arr): [Arr, Arr] => [np.sin(c.mul(x)), c.mul(2)]
  const f = (remat: boolean) => (c: Arr, xs: Arr) => {
    const [cT, ys] = lax.scan(remat ? checkpoint(body) : body, c, xs)
    return cT.sum().add(ys.sum())
  }
  const c0 = np.array([0.3, -0.7])
  const xs = np.array(Array.from({ length: T * 2 }, (_, i) => Math.cos(i))).reshape([T, 2])

  // Stacked arrays a correct gradient needs: the ys of the forward scan, the residuals, the
  // (broadcast) cotangent of ys and the cotangent of xs. No copies of xs or of residuals.
  it('plain: the residuals are the carries and cos(c·x); x is read from xs', () => {
    const text = String(makeJaxpr(grad(f(false), { argnums: [0, 1] }))(c0, xs))
    expect(stacked(text), text).toBe(2 + 3)
  })
  it('checkpoint: the only stacked residual is the carries; x is read from xs', () => {
    const text = String(makeJaxpr(grad(f(true), { argnums: [0, 1] }))(c0, xs))
    expect(stacked(text), text).toBe(2 + 2)
  })
  it('the gradients are unchanged', () => {
    const unrolled = (c: Arr, x: Arr) => {
      let h = c
      let s = np.array(0)
      for (let i = 0; i < T; i++) {
        const xi = np.take(x, np.array(i, { dtype: 'int32' }), 0)
        s = s.add(h.mul(2).sum())
        h = np.sin(h.mul(xi))
      }
      return h.sum().add(s)
    }
    const want = grad(unrolled, { argnums: [0, 1] })(c0, xs)
    for (const remat of [false, true]) {
      expectClose(grad(f(remat), { argnums: [0, 1] })(c0, xs), want, `grad remat=${remat}`)
      expectClose(vjp(f(remat), [c0, xs])[1](np.array(1)), want, `vjp remat=${remat}`)
    }
  })
})
