// @ts-nocheck -- on purpose: this script passes async functions, which the published types
// reject, to show what a JavaScript caller (no type checker) gets at run time.
// Run by async.test.ts in a child process: each transformation gets an async function whose
// body uses its tracers after an await. The process must catch one AsyncFunctionError per
// case and then stay alive (no unhandled rejection from the orphaned promises).
import {
  checkpoint, customJvp, customVjp, derivatives, evalShape, grad, hessian, hvp, jacfwd, jacrev, jet, jit, jvp, lax,
  linearize, linearTranspose, makeJaxpr, np, taylorCoefficients, valueAndGrad, vjp, vmap,
} from '../../src/index'

type A = ReturnType<typeof np.array>
const late = async (x: A): Promise<A> => {
  await null
  return x.mul(x).sum()
}
const x = np.array([1, 2, 3])
const s = np.array(2)
const id = (v: A) => v
const cases: Record<string, () => unknown> = {
  grad: () => grad(late)(x),
  valueAndGrad: () => valueAndGrad(late)(x),
  vjp: () => vjp(late, [x]),
  jvp: () => jvp(late, [x], [x]),
  linearize: () => linearize(late, [x]),
  hvp: () => hvp(late, [x], [x]),
  jet: () => jet(late, [x], [[x, x]]),
  derivatives: () => derivatives(late, 2)(x, x),
  taylorCoefficients: () => taylorCoefficients(late, 2)(x, x),
  jacfwd: () => jacfwd(late)(x),
  jacrev: () => jacrev(late)(x),
  hessian: () => hessian(late)(x),
  vmap: () => vmap(late)(x),
  jit: () => jit(late)(x),
  makeJaxpr: () => makeJaxpr(late)(x),
  evalShape: () => evalShape(late)(x),
  linearTranspose: () => linearTranspose(late, x)(s),
  checkpoint: () => checkpoint(late)(x),
  customJvpFunction: () => customJvp(late, (p, t) => [p[0].sum(), t[0].sum()])(x),
  customJvpRule: () => grad(customJvp((v: A) => v.sum(), (async (p: A[], t: A[]) => { await null; return [p[0].sum(), t[0].sum()] }) as never))(x),
  customVjpFwd: () => grad(customVjp((v: A) => v.sum(), (async (v: A) => { await null; return [v.sum(), v] }) as never, (_r, ct) => [ct]))(x),
  customVjpBwd: () => grad(customVjp((v: A) => v.sum(), (v: A) => [v.sum(), v], (async (r: A, ct: A) => { await null; return [r.mul(ct)] }) as never))(x),
  cond: () => lax.cond(true, late, late, x),
  switch: () => lax.switch(0, [late, late], x),
  whileCond: () => lax.whileLoop((async (c: A) => { await null; return c.lt(3) }) as never, (c: A) => c.add(1), s),
  whileBody: () => lax.whileLoop((c: A) => c.lt(3), (async (c: A) => { await null; return c.add(1) }) as never, s),
  foriLoop: () => lax.foriLoop(0, 3, (async (_i: A, c: A) => { await null; return c.add(1) }) as never, s),
  scan: () => lax.scan((async (c: A, v: A) => { await null; return [c.add(v), v] }) as never, s, x),
  gradOfJit: () => grad(jit(late))(x),
  vmapOfGrad: () => vmap(grad(late))(np.ones([2, 3])),
  identityStillWorks: () => grad((v: A) => id(v).sum())(x),
}
const got: Record<string, string> = {}
for (const [name, run] of Object.entries(cases)) {
  try {
    run()
    got[name] = 'no error'
  } catch (e) {
    got[name] = `${(e as Error).name}: ${(e as Error).message}`
  }
}
// Give the orphaned promises time to reject before reporting.
setTimeout(() => process.stdout.write(JSON.stringify(got)), 100)
