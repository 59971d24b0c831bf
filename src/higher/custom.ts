/**
 * Higher-order primitives: user-defined derivatives.
 *
 * custom_jvp_call  — inputs (consts, jvpConsts, primals); evaluates `jaxpr`, differentiates
 *                    with `jvpJaxpr` (reverse mode transposes the rule's linear tangent part).
 * custom_vjp_call  — inputs (consts, fwdConsts, bwdConsts, primals); evaluates `jaxpr`; under
 *                    differentiation runs `fwdJaxpr` and emits custom_vjp_lin, whose transpose
 *                    is `bwdJaxpr`.
 * custom_vjp_lin   — the linear map of a customVjp function at a point; it only exists to be
 *                    transposed (forward mode through a customVjp function is an error, as JAX).
 * Rules are traced to jaxprs when the function is called, so every rule is plain IR data.
 */
import { NonDifferentiableError } from '../core/errors'
import { type RuleTable, type Tangent, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import { shaped } from '../ir/aval'
import type { Jaxpr } from '../ir/jaxpr'
import { batchJaxpr } from '../interpret/batch'
import { evalJaxpr } from '../interpret/eval'
import { batchToFront, instantiate } from '../primitives/util'

const closedOverTangent = (name: string): NonDifferentiableError =>
  new NonDifferentiableError(
    `${name}: a value the function closes over is being differentiated. Custom-rule functions must ` +
      `receive everything they differentiate as arguments; pass the closed-over array as an extra argument.`,
  )

const forwardOfCustomVjp = (name: string): NonDifferentiableError =>
  new NonDifferentiableError(
    `${name}: forward-mode differentiation (jvp, jacfwd, hvp's outer jvp) of a customVjp or customGradient function ` +
      `is not defined — its rule only says how to pull cotangents back. Use customJvp (which supports both modes), or reverse mode.`,
  )

/** Move every batched input to axis 0 and broadcast the unbatched ones (so cotangents line up). */
const allToFront = (axisSize: number, xs: readonly Tracer[], bdims: readonly (number | null)[]): Tracer[] =>
  xs.map((x, i) => batchToFront(x, bdims[i], axisSize))

/**
 * A registered jvp rule: tangent outputs from (primals, tangents, outs), where `outs` are the
 * call's own outputs (bound again, so a rule written in them differentiates through the same
 * rule). Written in primitive wrappers and elementwise in its operands' shapes (a batched call
 * runs it on batched operands).
 */
export type RegisteredJvpRule = (primals: readonly Tracer[], tangents: readonly Tracer[], outs: readonly Tracer[]) => Tracer[]

const registeredRules = new Map<string, RegisteredJvpRule>()

/** Register the jvp rule `name` (the library's own elementwise functions; a name is set once). */
export const registerJvpRule = (name: string, rule: RegisteredJvpRule): void => {
  if (registeredRules.has(name)) throw new Error(`internal: jvp rule ${name} registered twice`)
  registeredRules.set(name, rule)
}

const registered = (name: string): RegisteredJvpRule => {
  const r = registeredRules.get(name)
  if (r === undefined) throw new Error(`internal: no jvp rule registered as ${name}`)
  return r
}

export const customRules: Pick<RuleTable, 'custom_jvp_call' | 'custom_vjp_call' | 'custom_vjp_lin'> = {
  custom_jvp_call: {
    abstractEval: (_avals, p) => p.jaxpr.outAvals,
    impl: (xs, p) => evalJaxpr(p.jaxpr, [], [...xs.slice(0, p.numConsts), ...xs.slice(p.numConsts + p.jvpNumConsts)]) as never,
    // The user's rule, evaluated on (primals, tangents): its primal output is used too, as JAX.
    // A registered rule is run here, on the primals and the call's own outputs.
    jvp: (primals, tangents, p) => {
      const nc = p.numConsts + p.jvpNumConsts
      if (tangents.slice(0, nc).some((t) => !isZero(t))) throw closedOverTangent(p.name)
      const xs = primals.slice(nc)
      const ts = tangents.slice(nc).map(instantiate)
      if (p.jvpRule !== undefined) {
        const outs = bind('custom_jvp_call', primals, p)
        return [outs, registered(p.jvpRule)(xs, ts, outs)]
      }
      const jvpConsts = primals.slice(p.numConsts, nc)
      const outs = evalJaxpr(p.jvpJaxpr as Jaxpr, [], [...jvpConsts, ...xs, ...ts])
      const n = p.jaxpr.outs.length
      return [outs.slice(0, n), outs.slice(n)]
    },
    batch: (axisSize, xs, bdims, p) => {
      const nc = p.numConsts + p.jvpNumConsts
      const primals = allToFront(axisSize, xs.slice(nc), bdims.slice(nc))
      const pd = primals.map(() => 0)
      const call = batchJaxpr(p.jaxpr, axisSize, [...bdims.slice(0, p.numConsts), ...pd], true)
      if (p.jvpRule !== undefined) {
        const outs = bind('custom_jvp_call', [...call.consts, ...xs.slice(0, p.numConsts), ...primals], {
          jaxpr: call.jaxpr,
          numConsts: call.consts.length + p.numConsts,
          name: p.name,
          jvpNumConsts: 0,
          jvpRule: p.jvpRule,
        })
        return [outs, outs.map(() => 0)]
      }
      const jvp = batchJaxpr(p.jvpJaxpr as Jaxpr, axisSize, [...bdims.slice(p.numConsts, nc), ...pd, ...pd], true)
      const outs = bind('custom_jvp_call', [...call.consts, ...xs.slice(0, p.numConsts), ...jvp.consts, ...xs.slice(p.numConsts, nc), ...primals], {
        jaxpr: call.jaxpr,
        numConsts: call.consts.length + p.numConsts,
        name: p.name,
        jvpJaxpr: jvp.jaxpr,
        jvpNumConsts: jvp.consts.length + p.jvpNumConsts,
      })
      return [outs, outs.map(() => 0)]
    },
  },

  custom_vjp_call: {
    abstractEval: (_avals, p) => p.jaxpr.outAvals,
    impl: (xs, p) => evalJaxpr(p.jaxpr, [], [...xs.slice(0, p.numConsts), ...xs.slice(p.numConsts + p.fwdNumConsts + p.bwdNumConsts)]) as never,
    jvp: (primals, tangents, p) => {
      const nc = p.numConsts + p.fwdNumConsts + p.bwdNumConsts
      if (tangents.slice(0, nc).some((t) => !isZero(t))) throw closedOverTangent(p.name)
      const fwdConsts = primals.slice(p.numConsts, p.numConsts + p.fwdNumConsts)
      const bwdConsts = primals.slice(p.numConsts + p.fwdNumConsts, nc)
      const xs = primals.slice(nc)
      const fwdOuts = evalJaxpr(p.fwdJaxpr, [], [...fwdConsts, ...xs])
      const n = p.jaxpr.outs.length
      const outs = fwdOuts.slice(0, n)
      const res = fwdOuts.slice(n)
      const touts = bind('custom_vjp_lin', [...bwdConsts, ...res, ...tangents.slice(nc).map(instantiate)], {
        bwdJaxpr: p.bwdJaxpr,
        bwdNumConsts: p.bwdNumConsts,
        numResiduals: p.numResiduals,
        outAvals: p.jaxpr.outAvals,
        name: p.name,
      })
      return [outs, touts]
    },
    batch: (axisSize, xs, bdims, p) => {
      const [c, f, b] = [p.numConsts, p.fwdNumConsts, p.bwdNumConsts]
      const nc = c + f + b
      const primals = allToFront(axisSize, xs.slice(nc), bdims.slice(nc))
      const pd = primals.map(() => 0)
      const call = batchJaxpr(p.jaxpr, axisSize, [...bdims.slice(0, c), ...pd], true)
      const fwd = batchJaxpr(p.fwdJaxpr, axisSize, [...bdims.slice(c, c + f), ...pd], true)
      const numCts = p.jaxpr.outs.length
      const bwd = batchJaxpr(
        p.bwdJaxpr,
        axisSize,
        [...bdims.slice(c + f, nc), ...Array<number>(p.numResiduals + numCts).fill(0)],
        true,
      )
      const outs = bind(
        'custom_vjp_call',
        [...call.consts, ...xs.slice(0, c), ...fwd.consts, ...xs.slice(c, c + f), ...bwd.consts, ...xs.slice(c + f, nc), ...primals],
        {
          jaxpr: call.jaxpr,
          numConsts: call.consts.length + c,
          name: p.name,
          fwdJaxpr: fwd.jaxpr,
          fwdNumConsts: fwd.consts.length + f,
          bwdJaxpr: bwd.jaxpr,
          bwdNumConsts: bwd.consts.length + b,
          numResiduals: p.numResiduals,
        },
      )
      return [outs, outs.map(() => 0)]
    },
  },

  custom_vjp_lin: {
    abstractEval: (_avals, p) => [...p.outAvals],
    impl: (_xs, p) => {
      throw forwardOfCustomVjp(p.name)
    },
    jvp: (_primals, _tangents, p) => {
      throw forwardOfCustomVjp(p.name)
    },
    // ctᵢ ↦ bwd(residuals, ct): the user's backward rule.
    transpose: (cts, args, p) => {
      const nres = p.bwdNumConsts + p.numResiduals
      const fixed = args.slice(0, nres) as Tracer[]
      const grads = evalJaxpr(p.bwdJaxpr, [], [...fixed, ...cts.map(instantiate)])
      const tangentArgs = args.slice(nres)
      if (grads.length !== tangentArgs.length) {
        throw new TypeError(`${p.name}: the backward rule returned ${grads.length} cotangents for ${tangentArgs.length} arguments`)
      }
      return [...fixed.map(() => null), ...grads.map((g): Tangent => g)]
    },
    batch: (axisSize, xs, bdims, p) => {
      const front = allToFront(axisSize, xs, bdims)
      const nres = p.bwdNumConsts + p.numResiduals
      const bwd = batchJaxpr(p.bwdJaxpr, axisSize, [...Array<number>(nres).fill(0), ...p.outAvals.map(() => 0)], true)
      const outs = bind('custom_vjp_lin', [...bwd.consts, ...front], {
        bwdJaxpr: bwd.jaxpr,
        bwdNumConsts: bwd.consts.length + p.bwdNumConsts,
        numResiduals: p.numResiduals,
        outAvals: p.outAvals.map((a) => shaped([axisSize, ...a.shape], a.dtype, a.weakType)),
        name: p.name,
      })
      return [outs, outs.map(() => 0)]
    },
  },
}

