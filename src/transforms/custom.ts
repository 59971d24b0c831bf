/**
 * Transforms: customJvp, customVjp, checkpoint, stopGradient. Each user function and rule is
 * traced to a jaxpr at call time, so the primitive's params are plain IR data.
 */
import { type Tracer, bind, bind1, noTransformActive } from '../core/tracer'
import { TreeMismatchError } from '../core/errors'
import { requireSync, show } from '../core/validate'
import { avalStr } from '../ir/aval'
import { isTracerLike } from '../primitives/util'
import type { ShapedArray } from '../ir/aval'
import { hoistConsts } from '../interpret/jvp'
import { traceToJaxpr } from '../interpret/stage'
import { zerosOf } from '../primitives/util'
import { type TreeDef, flatten, map, treedefEq, treedefStr, unflatten } from '../tree/treedef'
import { checkTangentAvals, flattenArrays, flattenFun } from './flat'
import type { AnyFn, Arrays, Like } from '../tree/types'

/** `x` with a zero derivative (leafwise over a pytree). */
export const stopGradient = <T>(x: T): Arrays<T> =>
  map((l: unknown) => bind1('stop_gradient', [flattenArrays(l, 'stopGradient')[0][0]], {}), x) as Arrays<T>

const fnName = (f: Function): string => f.name || 'fn'

/** `[f64[3], {w: f64[2]}]`: the structure of an argument list with its leaves' avals. */
const argsStr = (args: readonly unknown[]): string => {
  const [leaves, def] = flatten(args)
  let k = 0
  const go = (d: TreeDef): string => {
    switch (d.kind) {
      case 'leaf': {
        const l = leaves[k++]
        return isTracerLike(l) ? avalStr(l.aval) : typeof l === 'number' ? 'f64[]' : '*'
      }
      case 'none': return String(d.value)
      case 'array': return `[${d.children.map(go).join(', ')}]`
      case 'object': return `{${d.keys.map((key, j) => `${key}: ${go(d.children[j])}`).join(', ')}}`
    }
  }
  return go(def)
}

/** What a bwd returned, for messages: its structure when it is a pytree. */
const returnedStr = (x: unknown): string =>
  Array.isArray(x) ? `a JS array of ${x.length}: ${argsStr(x)}` : isTracerLike(x) ? `one Array ${avalStr(x.aval)} (not in a list)` : show(x)

/**
 * A call with no transformation active: nothing can be differentiated, batched or staged, so
 * the rules are never needed and `f` runs directly (what the primitive's impl would compute,
 * without tracing `f` and its rules to jaxprs first, on every call).
 */
const eagerCall = <F extends AnyFn>(f: F, xs: Tracer[], inTree: TreeDef, what: string): Arrays<ReturnType<F>> => {
  const { flat, outTree } = flattenFun(f, inTree, what)
  const outs = flat(...xs)
  return unflatten(outTree(), outs)
}

/**
 * `f` with a user JVP rule: `jvpRule(primals, tangents) => [out, tangentOut]`, where primals
 * and tangents are argument lists. The rule's tangent output must be linear in the tangents
 * (reverse mode transposes it).
 */
export const customJvp =
  <F extends AnyFn>(
    f: F,
    jvpRule: (
      primals: Arrays<Parameters<F>>,
      tangents: Arrays<Parameters<F>>,
    ) => readonly [Like<Arrays<ReturnType<F>>>, Like<Arrays<ReturnType<F>>>],
  ) =>
  (...args: Parameters<F>): Arrays<ReturnType<F>> => {
    const name = fnName(f)
    const [xs, inTree] = flattenArrays(args, `customJvp(${name}) arguments`)
    if (noTransformActive()) return eagerCall(f, xs, inTree, `customJvp(${name})`)
    const avals = xs.map((x) => x.aval)
    const { flat, outTree } = flattenFun(f, inTree, `customJvp(${name})`)
    const call = traceToJaxpr(flat, avals)
    const n = xs.length
    const rule = traceToJaxpr((...pt: Tracer[]) => {
      const primals = unflatten<Arrays<Parameters<F>>>(inTree, pt.slice(0, n))
      const tangents = unflatten<Arrays<Parameters<F>>>(inTree, pt.slice(n))
      const r = requireSync(jvpRule(primals, tangents), `customJvp(${name}) rule`)
      if (!Array.isArray(r) || r.length !== 2) throw new TypeError(`customJvp(${name}): the rule must return [out, tangentOut]`)
      const [o, oTree] = flattenArrays(r[0], `customJvp(${name}) rule output`)
      const [t, tTree] = flattenArrays(r[1], `customJvp(${name}) rule tangent output`)
      for (const [d, what] of [[oTree, 'primal output'], [tTree, 'tangent output']] as const) {
        if (!treedefEq(d, outTree())) {
          throw new TreeMismatchError(`customJvp(${name}): the rule's ${what} has structure ${treedefStr(d)}, but the function returns ${treedefStr(outTree())}`)
        }
      }
      checkTangentAvals(o.map((v) => v.aval), t.map((v) => v.aval), `customJvp(${name}) rule tangent output`)
      return [...o, ...t]
    }, [...avals, ...avals])
    const outs = bind('custom_jvp_call', [...call.consts, ...rule.consts, ...xs], {
      jaxpr: hoistConsts(call.jaxpr),
      numConsts: call.consts.length,
      name,
      jvpJaxpr: hoistConsts(rule.jaxpr),
      jvpNumConsts: rule.consts.length,
    })
    return unflatten(outTree(), outs)
  }

/**
 * `f` (flat lists of Arrays) whose derivative is the jvp rule registered as `rule`
 * (src/higher/custom.ts): the library's own elementwise functions. Only `f` is traced when the
 * function is called; the rule runs when the call is differentiated.
 */
export const withRegisteredJvp =
  (rule: string, f: (...xs: Tracer[]) => Tracer[]) =>
  (...xs: Tracer[]): Tracer[] => {
    if (noTransformActive()) return f(...xs)
    const call = traceToJaxpr(f, xs.map((x) => x.aval))
    return bind('custom_jvp_call', [...call.consts, ...xs], {
      jaxpr: hoistConsts(call.jaxpr),
      numConsts: call.consts.length,
      name: rule,
      jvpNumConsts: 0,
      jvpRule: rule,
    })
  }

/** The cotangents `bwd` returns: one per argument, with its structure, or `null` for zero. */
export type Cotangents<P extends readonly unknown[]> = { readonly [K in keyof P]: Like<Arrays<P[K]>> | null }

/**
 * `f` with a user VJP: `fwd(...args) => [out, residuals]`, `bwd(residuals, ct) => cotangents`
 * (an array, one per argument; `null` for an argument means a zero cotangent). Residuals
 * reach `bwd` as Arrays with the structure `fwd` gave them; `ct` has the output's structure.
 */
export const customVjp =
  <F extends AnyFn, const Res>(
    f: F,
    fwd: (...args: Parameters<F>) => readonly [Like<Arrays<ReturnType<F>>>, Res],
    bwd: (residuals: Arrays<Res>, ct: Arrays<ReturnType<F>>) => Cotangents<Parameters<F>>,
  ) =>
  (...args: Parameters<F>): Arrays<ReturnType<F>> => {
    const name = fnName(f)
    const [xs, inTree] = flattenArrays(args, `customVjp(${name}) arguments`)
    if (noTransformActive()) return eagerCall(f, xs, inTree, `customVjp(${name})`)
    const avals = xs.map((x) => x.aval)
    const { flat, outTree } = flattenFun(f, inTree, `customVjp(${name})`)
    const call = traceToJaxpr(flat, avals)
    let resTree: TreeDef | undefined
    let numOut = 0
    const fwdJ = traceToJaxpr((...p: Tracer[]) => {
      const r = requireSync(fwd(...unflatten<Parameters<F>>(inTree, p)), `customVjp(${name}) fwd`)
      if (!Array.isArray(r) || r.length !== 2) throw new TypeError(`customVjp(${name}): fwd must return [out, residuals]`)
      const [o, oTree] = flattenArrays(r[0], `customVjp(${name}) fwd output`)
      if (!treedefEq(oTree, outTree())) {
        throw new TreeMismatchError(`customVjp(${name}): fwd's output has structure ${treedefStr(oTree)}, but the function returns ${treedefStr(outTree())}`)
      }
      const [res, rt] = flattenArrays(r[1], `customVjp(${name}) residuals`)
      resTree = rt
      numOut = o.length
      return [...o, ...res]
    }, avals)
    const resAvals: ShapedArray[] = fwdJ.jaxpr.outAvals.slice(numOut)
    const outAvals = call.jaxpr.outAvals
    const bwdJ = traceToJaxpr((...rc: Tracer[]) => {
      const res = unflatten<Arrays<Res>>(resTree as TreeDef, rc.slice(0, resAvals.length))
      const ct = unflatten<Arrays<ReturnType<F>>>(outTree(), rc.slice(resAvals.length))
      const grads: readonly unknown[] = requireSync(bwd(res, ct), `customVjp(${name}) bwd`)
      if (!Array.isArray(grads) || grads.length !== args.length) {
        throw new TreeMismatchError(
          `customVjp(${name}): bwd must return a JS array of ${args.length} cotangent(s), one per argument of f, ` +
            `shaped like the arguments ${argsStr(args)}; got ${returnedStr(grads)}. ` +
            `Wrap a single cotangent in a list ([ct]) and use null for an argument with a zero cotangent.`,
        )
      }
      const out: Tracer[] = []
      grads.forEach((g, i) => {
        const [argLeaves, argTree] = flatten(args[i])
        if (g === null || g === undefined) {
          argLeaves.forEach((_, k) => out.push(zerosOf(flattenArrays(args[i], 'customVjp')[0][k].aval)))
          return
        }
        const [gl, gTree] = flattenArrays(g, `customVjp(${name}) bwd cotangent ${i}`)
        if (!treedefEq(gTree, argTree)) {
          throw new TreeMismatchError(
            `customVjp(${name}): bwd's cotangent ${i} has structure ${treedefStr(gTree)}, but argument ${i} is ${treedefStr(argTree)}; ` +
              `each cotangent must have its argument's structure (arguments: ${argsStr(args)})`,
          )
        }
        out.push(...gl)
      })
      checkTangentAvals(avals, out.map((o) => o.aval), `customVjp(${name}) bwd cotangents`)
      return out
    }, [...resAvals, ...outAvals])
    const outs = bind('custom_vjp_call', [...call.consts, ...fwdJ.consts, ...bwdJ.consts, ...xs], {
      jaxpr: hoistConsts(call.jaxpr),
      numConsts: call.consts.length,
      name,
      fwdJaxpr: hoistConsts(fwdJ.jaxpr),
      fwdNumConsts: fwdJ.consts.length,
      bwdJaxpr: hoistConsts(bwdJ.jaxpr),
      bwdNumConsts: bwdJ.consts.length,
      numResiduals: resAvals.length,
    })
    return unflatten(outTree(), outs)
  }

/** `f` whose intermediates are recomputed in the backward pass instead of stored. */
export const checkpoint =
  <F extends AnyFn>(f: F) =>
  (...args: Parameters<F>): Arrays<ReturnType<F>> => {
    const name = fnName(f)
    const [xs, inTree] = flattenArrays(args, `checkpoint(${name}) arguments`)
    const { flat, outTree } = flattenFun(f, inTree, `checkpoint(${name})`)
    const closed = traceToJaxpr(flat, xs.map((x) => x.aval))
    const outs = bind('checkpoint', [...closed.consts, ...xs], { jaxpr: hoistConsts(closed.jaxpr), numConsts: closed.consts.length, name })
    return unflatten(outTree(), outs)
  }
