/**
 * Transforms: customGradient, as jax.custom_gradient — a function that returns its value
 * together with its own vector-Jacobian product.
 *
 * Built on customVjp: the forward rule runs `f`, then traces the returned `vjp` closure to a
 * jaxpr at the output's avals. The arrays that closure captures from the forward computation
 * are that jaxpr's constants; they become the residuals, and the backward rule evaluates the
 * jaxpr on (residuals, ct). So the rule is IR data like any customVjp rule: it runs under jit
 * and vmap, and reverse mode of any order differentiates it. Forward mode is not defined
 * (the rule only pulls cotangents back): a NonDifferentiableError, as JAX.
 */
import type { Tracer } from '../core/tracer'
import { TreeMismatchError } from '../core/errors'
import { requireSync, show } from '../core/validate'
import { evalJaxpr } from '../interpret/eval'
import { traceToJaxpr } from '../interpret/stage'
import type { Jaxpr } from '../ir/jaxpr'
import { zerosOf } from '../primitives/util'
import { type TreeDef, flatten, treedefEq, treedefStr, unflatten } from '../tree/treedef'
import type { Arrays, Like } from '../tree/types'
import { type Cotangents, customVjp } from './custom'
import { flattenArrays } from './flat'

/** What `f` returns: its value and the vjp of that value (one cotangent per argument). */
export type WithGradient<A extends readonly unknown[], Out> = readonly [Like<Out>, (ct: Arrays<Out>) => Cotangents<A>]

/**
 * `f` whose reverse-mode derivative is the one it returns: `f(...args) => [value, vjp]`, with
 * `vjp(ct)` (ct shaped like the value) returning one cotangent per argument, each shaped like
 * its argument (`null` for zero). `vjp` may use anything `f` computed.
 */
export const customGradient =
  <A extends readonly unknown[], Out>(f: (...args: A) => WithGradient<A, Out>) =>
  (...args: A): Arrays<Out> => {
    const name = `customGradient(${f.name || 'fn'})`
    const call = (...xs: A): WithGradient<A, Out> => {
      const r = requireSync(f(...xs), name)
      if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'function') {
        throw new TypeError(`${name}: f must return [value, vjp] with vjp a function of the output cotangent, got ${show(r)}`)
      }
      return r as unknown as WithGradient<A, Out>
    }
    let vjpJaxpr: Jaxpr | undefined
    const argTrees: TreeDef[] = args.map((a) => flatten(a)[1])
    const primal = (...xs: A): Like<Out> => call(...xs)[0]
    Object.defineProperty(primal, 'name', { value: name })
    const fwd = (...xs: A): readonly [Like<Out>, Tracer[]] => {
      const [value, vjp] = call(...xs)
      const [outs, outTree] = flattenArrays(value, `${name} value`)
      const argLeaves = xs.map((x) => flattenArrays(x, `${name} arguments`)[0])
      // the vjp as a jaxpr of the output cotangents; what it closes over becomes its consts
      const traced = traceToJaxpr((...cts: Tracer[]) => {
        const grads: readonly unknown[] = requireSync(vjp(unflatten<Arrays<Out>>(outTree, cts)), `${name} vjp`)
        if (!Array.isArray(grads) || grads.length !== xs.length) {
          throw new TreeMismatchError(
            `${name}: vjp must return a JS array of ${xs.length} cotangent(s), one per argument; got ${show(grads)}. ` +
              `Wrap a single cotangent in a list ([ct]) and use null for an argument with a zero cotangent.`,
          )
        }
        return grads.flatMap((g, i) => {
          if (g === null || g === undefined) return argLeaves[i].map((l) => zerosOf(l.aval))
          const [gl, gTree] = flattenArrays(g, `${name} vjp cotangent ${i}`)
          if (!treedefEq(gTree, argTrees[i])) {
            throw new TreeMismatchError(`${name}: vjp's cotangent ${i} has structure ${treedefStr(gTree)}, but argument ${i} is ${treedefStr(argTrees[i])}`)
          }
          return gl
        })
      }, outs.map((o) => o.aval))
      vjpJaxpr = traced.jaxpr
      return [value, [...traced.consts]]
    }
    const bwd = (res: Tracer[], ct: Arrays<Out>): Cotangents<A> => {
      const [cts] = flattenArrays(ct, `${name} cotangent`)
      const flat = evalJaxpr(vjpJaxpr as Jaxpr, res, cts)
      let k = 0
      return argTrees.map((t) => {
        const n = countLeaves(t)
        const part = flat.slice(k, k + n)
        k += n
        return unflatten(t, part)
      }) as unknown as Cotangents<A>
    }
    const g = customVjp(primal as (...xs: A) => Out, fwd as never, bwd as never) as unknown as (...xs: A) => Arrays<Out>
    return g(...args)
  }

const countLeaves = (t: TreeDef): number => {
  switch (t.kind) {
    case 'leaf': return 1
    case 'none': return 0
    case 'array':
    case 'object': return t.children.reduce((s, c) => s + countLeaves(c), 0)
  }
}
