/**
 * Export layer (ONNX): higher-order primitives. Call-like primitives (jit, checkpoint, the
 * custom-derivative calls) are inlined: the program they stand for is their primal body, and
 * their derivative rules were already applied when the function was transformed. Control flow
 * maps onto ONNX's: cond → nested If, while → Loop with a condition, scan → Loop with a trip
 * count whose scan outputs are the stacked ys. Sub-jaxprs read their constants from the
 * enclosing graph by name (ONNX's outer scope).
 */
import type { ShapedArray } from '../../ir/aval'
import type { Jaxpr } from '../../ir/jaxpr'
import { type GraphBuilder, type OnnxElem, elemOf, valueInfo } from './builder'
import type { OnnxTable, SubLower, Val } from './types'
import { solveInputs } from '../solve'

type G = GraphBuilder

/** A subgraph that computes `body` on top of `g`'s scope and exposes its results as outputs. */
const subgraph = (
  g: G,
  name: string,
  inputs: readonly { name: string; elem: OnnxElem; shape: readonly number[] }[],
  body: (c: G) => { name: string; aval: ShapedArray | { elem: OnnxElem; shape: readonly number[] } }[],
) => {
  const c = g.child()
  const results = body(c)
  const outs = results.map((r) => {
    const out = g.names.fresh('out')
    c.opTo('Identity', [r.name], [out])
    const elem = 'dtype' in r.aval ? elemOf(r.aval.dtype) : r.aval.elem
    return valueInfo(out, elem, r.aval.shape)
  })
  return c.graph(g.names.fresh(name), inputs.map((i) => valueInfo(i.name, i.elem, i.shape)), outs)
}

const call = (g: G, ins: readonly Val[], jaxpr: Jaxpr, sub: SubLower): string[] => sub(g, jaxpr, ins.map((v) => v.name))

const BIG = 2 ** 62

/** Reverse axis 0 (a Slice with step −1). */
const flip0 = (g: G, x: string): string => g.op('Slice', [x, g.ints([-1]), g.ints([-BIG]), g.ints([0]), g.ints([-1])])

export const controlEntries: Pick<
  OnnxTable,
  'jit' | 'checkpoint' | 'custom_jvp_call' | 'custom_vjp_call' | 'custom_vjp_lin' | 'cond' | 'while' | 'scan' | 'custom_linear_solve' | 'custom_root' | 'debug_callback'
> = {
  jit: { lower: (g, ins, p, _o, sub) => call(g, ins, p.jaxpr, sub) },
  custom_linear_solve: { lower: (g, ins, p, _o, sub) => call(g, solveInputs(ins, p.numConsts, 2), p.solveJaxpr, sub) },
  custom_root: { lower: (g, ins, p, _o, sub) => call(g, solveInputs(ins, p.numConsts, 1), p.solveJaxpr, sub) },
  debug_callback: { refuse: 'a host callback (debug.print / debug.callback) runs JavaScript, which an exported model cannot call; remove it before exporting' },
  checkpoint: { lower: (g, ins, p, _o, sub) => call(g, ins, p.jaxpr, sub) },
  custom_jvp_call: { lower: (g, ins, p, _o, sub) => call(g, ins, p.jaxpr, sub) },
  // inputs (consts, fwdConsts, bwdConsts, primals); the primal body takes (consts, primals).
  custom_vjp_call: {
    lower: (g, ins, p, _o, sub) => call(g, [...ins.slice(0, p.numConsts), ...ins.slice(p.numConsts + p.fwdNumConsts + p.bwdNumConsts)], p.jaxpr, sub),
  },
  custom_vjp_lin: {
    refuse: 'it is the linear map of a customVjp function that exists only to be transposed; export grad/vjp of the function (which runs its bwd rule) rather than its jvp or linearization',
  },
  cond: {
    // branches[clamp(index)]: If(index ≤ 0, b₀, If(index ≤ 1, b₁, … b_{n−1})).
    lower: (g, [index, ...ops], p, outs, sub) => {
      const branch = (c: G, i: number): { name: string; aval: ShapedArray }[] => {
        if (i === p.branches.length - 1) return sub(c, p.branches[i], ops.map((o) => o.name)).map((name, k) => ({ name, aval: outs[k] }))
        const thenG = subgraph(c, 'then', [], (cc) => sub(cc, p.branches[i], ops.map((o) => o.name)).map((name, k) => ({ name, aval: outs[k] })))
        const elseG = subgraph(c, 'else', [], (cc) => branch(cc, i + 1))
        const pred = c.op('LessOrEqual', [index.name, c.scalar('int32', i)])
        return c.nodeN('If', [pred], outs.length, { then_branch: { graph: thenG }, else_branch: { graph: elseG } }).map((name, k) => ({ name, aval: outs[k] }))
      }
      return branch(g, 0).map((r) => r.name)
    },
  },
  while: {
    // Loop(M = none, cond₀ = cond(carry₀)); body: carry' = body(carry), cond' = cond(carry').
    lower: (g, ins, p, outs, sub) => {
      const condConsts = ins.slice(0, p.condNumConsts).map((v) => v.name)
      const bodyConsts = ins.slice(p.condNumConsts, p.condNumConsts + p.bodyNumConsts).map((v) => v.name)
      const carry = ins.slice(p.condNumConsts + p.bodyNumConsts)
      const [c0] = sub(g, p.condJaxpr, [...condConsts, ...carry.map((v) => v.name)])
      const carryIn = carry.map((v) => ({ name: g.names.fresh('carry'), elem: elemOf(v.aval.dtype), shape: v.aval.shape }))
      const body = subgraph(g, 'while_body', [
        { name: g.names.fresh('iter'), elem: 'int64', shape: [] },
        { name: g.names.fresh('cond'), elem: 'bool', shape: [] },
        ...carryIn,
      ], (c) => {
        const next = sub(c, p.bodyJaxpr, [...bodyConsts, ...carryIn.map((v) => v.name)])
        const [cn] = sub(c, p.condJaxpr, [...condConsts, ...next])
        return [{ name: cn, aval: { elem: 'bool', shape: [] } }, ...next.map((name, k) => ({ name, aval: outs[k] }))]
      })
      return g.nodeN('Loop', ['', c0, ...carry.map((v) => v.name)], outs.length, { body: { graph: body } })
    },
  },
  scan: {
    // Loop(M = length); body step t reads xs[t] (xs[length−1−t] reversed) and emits ys[t] as a
    // scan output, which Loop stacks on a new axis 0 (flipped afterwards when reversed).
    lower: (g, ins, p, outs, sub) => {
      const consts = ins.slice(0, p.numConsts).map((v) => v.name)
      const carry = ins.slice(p.numConsts, p.numConsts + p.numCarry)
      const xs = ins.slice(p.numConsts + p.numCarry)
      const ysAvals = outs.slice(p.numCarry)
      if (p.length === 0) {
        return [
          ...carry.map((v) => g.op('Identity', [v.name])),
          ...ysAvals.map((a) => g.constant(elemOf(a.dtype), a.shape, [])),
        ]
      }
      const carryIn = carry.map((v) => ({ name: g.names.fresh('carry'), elem: elemOf(v.aval.dtype), shape: v.aval.shape }))
      const iter = g.names.fresh('iter')
      const body = subgraph(g, 'scan_body', [
        { name: iter, elem: 'int64', shape: [] },
        { name: g.names.fresh('cond'), elem: 'bool', shape: [] },
        ...carryIn,
      ], (c) => {
        const t = p.reverse ? c.op('Sub', [c.scalar('int64', p.length - 1), iter]) : iter
        const xt = xs.map((x) => c.op('Gather', [x.name, t], { axis: { int: 0 } }))
        const res = sub(c, p.jaxpr, [...consts, ...carryIn.map((v) => v.name), ...xt])
        const yes = c.constant('bool', [], [1])
        return [
          { name: yes, aval: { elem: 'bool', shape: [] } },
          ...res.map((name, k) => ({ name, aval: k < p.numCarry ? outs[k] : { elem: elemOf(outs[k].dtype), shape: outs[k].shape.slice(1) } })),
        ]
      })
      const loopOuts = g.nodeN('Loop', [g.constant('int64', [], [p.length]), g.constant('bool', [], [1]), ...carry.map((v) => v.name)], outs.length, { body: { graph: body } })
      return loopOuts.map((name, k) => (k >= p.numCarry && p.reverse ? flip0(g, name) : name))
    },
  },
}
