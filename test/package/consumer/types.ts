// The public types as a consumer of the packed package sees them (type-checked only, by
// test/package/consumer.test.ts, with strict settings and skipLibCheck false). `same<A, B>()`
// compiles only when A and B are the same type (so a result that is `any` fails it); every
// `@ts-expect-error` line must be an error, or tsc reports the directive as unused.
import {
  checkpoint, customJvp, customVjp, derivatives, evalShape, grad, hessian, hvp, jacfwd, jacrev, jet, jit, jvp, lax,
  linearize, linearTranspose, np, taylorCoefficients, tree, valueAndGrad, vjp, vmap,
} from 'leibniz'
import type { Array as JaxArray, NDArray, ShapedArray } from 'leibniz'
import fc from 'fast-check'
import { allclose, checkGrads, laws } from 'leibniz/laws'
import { ExportError, exportOnnx, exportStableHlo, onnxSession, runOnnx } from 'leibniz/export'
import type { OnnxModel } from 'leibniz/export'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const same = <A, B>(..._proof: Equal<A, B> extends true ? [] : [never]): void => undefined

// ---- the array type: every method, the global Array still usable -----------------------

const x = np.array([1, 2, 3])
const y = x.mul(2).add(1).tanh().sum()
same<typeof y, NDArray>()
same<JaxArray, NDArray>()
same<ReturnType<NDArray['item']>, number>()
same<typeof x.T, NDArray>()
const r = x.reshape(3, 1).mean(0, { keepdims: true })
same<typeof r, NDArray>()
// @ts-expect-error -- no such method
x.mull(2)
// @ts-expect-error -- reductions take an axis, not a string
x.sum('rows')
const indices = Array.from({ length: 3 }, (_, i) => i) // the global Array, not shadowed
const list: Array<number> = indices
same<typeof list, number[]>()

// ---- grad and valueAndGrad -------------------------------------------------------------

interface Params {
  readonly W: NDArray
  readonly b: NDArray
  readonly scale: number
}
const loss = (p: Params, xb: NDArray): NDArray => np.tanh(xb.mul(p.W).add(p.b)).mul(p.scale).sum()
const params: Params = { W: np.ones([3]), b: np.zeros([3]), scale: 2 }

const g = grad(loss)(params, x)
same<typeof g, { W: NDArray; b: NDArray; scale: NDArray }>() // JS numbers become Arrays
g.W.add(1)
// @ts-expect-error -- the gradient has no key W3
g.W3.add(1)
// @ts-expect-error -- one argument too few
grad(loss)(params)
// @ts-expect-error -- one argument too many
grad(loss)(params, x, x)
// @ts-expect-error -- the second argument is an Array, not a string
grad(loss)(params, 'x')
// @ts-expect-error -- grad needs a scalar function (an Array or a number), not a pair
grad((a: NDArray) => [a, a])

const gx = grad(loss, { argnums: 1 })(params, x)
same<typeof gx, NDArray>()
const gBoth = grad(loss, { argnums: [0, 1] })(params, x)
same<typeof gBoth, [{ W: NDArray; b: NDArray; scale: NDArray }, NDArray]>()
// @ts-expect-error -- a tuple of two gradients has no third
gBoth[2].add(1)

const lossAux = (p: Params, xb: NDArray) => [loss(p, xb), { pred: xb.mul(p.W), n: 3 }] as const
const [gA, aux] = grad(lossAux, { hasAux: true })(params, x)
same<typeof gA, { W: NDArray; b: NDArray; scale: NDArray }>()
same<typeof aux, { pred: NDArray; n: NDArray }>()
// @ts-expect-error -- hasAux needs a function returning [output, aux]
grad(loss, { hasAux: true })

const [v, gv] = valueAndGrad(loss)(params, x)
same<typeof v, NDArray>()
same<typeof gv, { W: NDArray; b: NDArray; scale: NDArray }>()
const [[v2, aux2], gv2] = valueAndGrad(lossAux, { hasAux: true, argnums: 1 })(params, x)
same<[typeof v2, typeof aux2, typeof gv2], [NDArray, { pred: NDArray; n: NDArray }, NDArray]>()

// ---- Jacobians, Hessians, hvp ---------------------------------------------------------

const f = (a: NDArray): NDArray => np.sin(a).mul(a)
same<ReturnType<ReturnType<typeof jacfwd<typeof f>>>, NDArray>()
const J = jacrev(f)(x)
same<typeof J, NDArray>()
const H = hessian((a: NDArray) => a.square().sum())(x)
same<typeof H, NDArray>()
const fTree = (p: { u: NDArray; w: NDArray }) => ({ s: p.u.mul(p.w).sum(), d: p.u.sub(p.w) })
const Jt = jacfwd(fTree)({ u: x, w: x })
same<typeof Jt, { s: { u: NDArray; w: NDArray }; d: { u: NDArray; w: NDArray } }>()
// @ts-expect-error -- the Jacobian of output s has no block for input z
Jt.s.z.add(1)
const Ht = hessian((p: { u: NDArray }) => p.u.square().sum())({ u: x })
same<typeof Ht, { u: { u: NDArray } }>()
const [Ja, jAux] = jacfwd((a: NDArray) => [a.exp(), 'label'] as const, { hasAux: true })(x)
same<[typeof Ja, typeof jAux], [NDArray, 'label']>()
const Jpair = jacrev((a: NDArray, b: NDArray) => a.mul(b), { argnums: [0, 1] })(x, x)
same<typeof Jpair, [NDArray, NDArray]>()
const hv = hvp(loss, [params, x], [{ W: x, b: x, scale: 0 }, x])
same<typeof hv, { W: NDArray; b: NDArray; scale: NDArray }>()
// @ts-expect-error -- tangents have the structure of the primals
hvp(loss, [params, x], [x, x])

// ---- jet, derivatives --------------------------------------------------------------------

const [jy, jterms] = jet(fTree, [{ u: x, w: x }], [[{ u: x, w: x }, { u: 0, w: x }]])
same<typeof jy, { s: NDArray; d: NDArray }>()
same<typeof jterms, { s: NDArray; d: NDArray }[]>()
// @ts-expect-error -- each term has the structure of its primal
jet(fTree, [{ u: x, w: x }], [[x]])
same<ReturnType<ReturnType<typeof derivatives>>, NDArray>()
same<ReturnType<ReturnType<typeof taylorCoefficients>>, NDArray>()

// ---- jvp, vjp, linearize, linearTranspose -------------------------------------------------

const [out, tan] = jvp(fTree, [{ u: x, w: x }], [{ u: x, w: np.zerosLike(x) }])
same<typeof out, { s: NDArray; d: NDArray }>()
same<typeof tan, { s: NDArray; d: NDArray }>()
const [o2, pullback] = vjp(fTree, [{ u: x, w: x }])
same<typeof o2, { s: NDArray; d: NDArray }>()
const cts = pullback({ s: 1, d: x })
same<typeof cts, [{ u: NDArray; w: NDArray }]>()
// @ts-expect-error -- the cotangent has the structure of the output
pullback({ s: 1 })
const [, pullAux, vAux] = vjp((a: NDArray) => [a.sum(), { m: a.max() }] as const, [x], { hasAux: true })
same<[ReturnType<typeof pullAux>, typeof vAux], [[NDArray], { m: NDArray }]>()
const [o3, fLin] = linearize(f, [x])
same<[typeof o3, ReturnType<typeof fLin>], [NDArray, NDArray]>()
// @ts-expect-error -- fLin takes one tangent per primal
fLin(x, x)
const fT = linearTranspose((a: NDArray) => a.mul(3), x)
same<ReturnType<typeof fT>, [NDArray]>()

// ---- vmap, jit, evalShape, tree.map, custom rules, checkpoint, lax -------------------------

const perExample = vmap(grad(loss), { inAxes: [null, 0] })(params, np.ones([4, 3]))
same<typeof perExample, { W: NDArray; b: NDArray; scale: NDArray }>()
// @ts-expect-error -- per-example gradients have the keys of Params only
perExample.bias.add(1)
const jf = jit((a: NDArray, n: number) => ({ y: a.mul(n) }), { staticArgnums: 1 })
same<ReturnType<typeof jf>, { y: NDArray }>()
jf.traceCount satisfies number
const shapes = evalShape(fTree)({ u: x, w: x })
same<typeof shapes, { s: ShapedArray; d: ShapedArray }>()
const shapesOf = shapes.d.shape
same<typeof shapesOf, readonly number[]>()
const stepped = tree.map((p, q) => p.sub(q.mul(0.1)), { W: x, b: x }, { W: x, b: x })
same<typeof stepped, { W: NDArray; b: NDArray }>()
const named = tree.map((leaf) => leaf.shape.length, { a: x, b: [x, x] as const })
same<typeof named, { a: number; b: [number, number] }>()
// @ts-expect-error -- the result of tree.map has the keys of the tree
named.c
const softplus = customJvp(
  (a: NDArray) => np.log1p(a.exp()),
  ([a], [t]) => [np.log1p(a.exp()), t.mul(np.tanh(a.mul(0.5)).add(1).mul(0.5))],
)
same<ReturnType<typeof softplus>, NDArray>()
const clipGrad = customVjp(
  (a: NDArray) => a.mul(1),
  (a: NDArray) => [a.mul(1), { scale: a.abs() }],
  (res, ct) => [ct.mul(res.scale).clip(-1, 1)],
)
same<ReturnType<typeof clipGrad>, NDArray>()
// @ts-expect-error -- bwd returns one cotangent per argument (here one)
customVjp((a: NDArray) => a, (a: NDArray) => [a, null], (_res, ct) => [ct, ct])
const ck = checkpoint((a: NDArray, b: NDArray) => [a.mul(b), 2] as const)(x, x)
same<typeof ck, [NDArray, NDArray]>()
const [carry, ys] = lax.scan((c: NDArray, xi: NDArray) => [c.add(xi), c.mul(xi)], np.zeros([3]), np.ones([4, 3]))
same<[typeof carry, typeof ys], [NDArray, NDArray]>()

// ---- leibniz/laws resolves and is typed -------------------------------------------------

checkGrads(f, [x])
const close: boolean = allclose(x, x)
void [close, jf, softplus, clipGrad]

// ---- leibniz/export resolves and is typed -----------------------------------------------

const lossOf = (p: { w: NDArray; b: NDArray }, xb: NDArray) => ({ loss: np.tanh(np.matmul(xb, p.w).add(p.b)).sum(), n: xb.sum() })
const model = exportOnnx(lossOf, { opset: 18 })({ w: x, b: x }, x)
const bytes: Uint8Array = model
const asModel: OnnxModel = model
const ran = runOnnx(model, { w: x, b: x }, x)
same<typeof ran, Promise<{ loss: NDArray; n: NDArray }>>()
// @ts-expect-error -- the model takes the arguments of the function it was exported from
void runOnnx(model, x)
const session = onnxSession(model, { executionProviders: ['cuda', 'cpu'], graphOptimizationLevel: 'basic' })
const text: string = exportStableHlo(lossOf)({ w: x, b: x }, x)
const refused: string | null = new ExportError('m', 'onnx', 'lu').primitive
const lawRun: Promise<void> = laws.exportsLike(f, fc.constant([x]), (g, args) => runOnnx(exportOnnx(g)(...args), ...args))
void [bytes, asModel, session, text, refused, lawRun]
