/**
 * Graph pictures of jaxprs, for people who look rather than read:
 *
 *   toDot(makeJaxpr(f)(x, y))                      // Graphviz DOT text
 *   toMermaid(makeJaxpr(f)(x, y))                  // Mermaid flowchart text
 *   toDot(j, { values: { args: [x, y] } })          // edges carry the forward values
 *   toDot(j, { values: { args: [x, y], grad: true } }) // … and ∂out/∂(each variable)
 *
 * Nodes are the jaxpr's inputs and constants (named a, b, … as in its text form), one node per
 * equation (`d = add a b` with its params, literals inline) and its outputs; each edge is a
 * variable, labelled `name:aval`. Sub-jaxprs of jit, cond, while, scan, checkpoint and custom
 * rules are clusters hung off their equation.
 */
import { ValueError } from '../core/errors'
import { checkOptions, opt } from '../core/validate'
import type { ClosedJaxpr, Jaxpr } from '../ir/jaxpr'
import { renderDot } from './dot'
import { buildGraph, type Graph } from './model'
import { renderMermaid } from './mermaid'
import { type ValuesSpec, constsOf, recordValues } from './values'

export type { ValuesSpec } from './values'

export interface GraphOptions {
  /**
   * Evaluate the jaxpr on `args` and label every edge with its variable's value; with
   * `grad: true` (the jaxpr must have one scalar float output) also with the gradient of the
   * output with respect to that variable, as `value / gradient`.
   */
  readonly values?: ValuesSpec
  /** How many levels of sub-jaxprs to draw: 0 draws none. Default: all. */
  readonly depth?: number
  /** Top to bottom (default) or left to right. */
  readonly direction?: 'TB' | 'LR'
  /** A title above the picture. */
  readonly title?: string
  /** Arrays with at most this many elements are printed in full, bigger ones by shape. Default 6. */
  readonly maxElements?: number
  /** Significant digits of printed numbers. Default 4. */
  readonly digits?: number
}

const checkCount = (x: number | undefined, name: string, min: number, what: string): void => {
  if (x !== undefined && !(x === Infinity || (Number.isInteger(x) && x >= min))) {
    throw new ValueError(`${what}: opts.${name} must be an integer >= ${min}, got ${x}`)
  }
}

/** The directions both renderers accept; anything else is an error, never pasted into the text. */
const DIRECTIONS = ['TB', 'LR'] as const

const graphOf = (j: Jaxpr | ClosedJaxpr, opts: GraphOptions, what: string): Graph => {
  checkOptions(opts, { direction: opt.oneOf(...DIRECTIONS), title: opt.string, values: { ok: (v) => typeof v === 'object' && v !== null, expected: 'an object { args, consts?, grad? }' } }, what)
  if (opts.values !== undefined) {
    checkOptions(opts.values, { args: opt.list, consts: opt.list, grad: opt.boolean }, `${what} values`)
    if (opts.values.args === undefined) throw new ValueError(`${what}: values needs args, the arguments given to makeJaxpr: { values: { args: [x, y] } }`)
  }
  checkCount(opts.depth, 'depth', 0, what)
  checkCount(opts.maxElements, 'maxElements', 0, what)
  if (opts.digits !== undefined && !(Number.isInteger(opts.digits) && opts.digits >= 1 && opts.digits <= 17)) {
    throw new ValueError(`${what}: opts.digits must be an integer from 1 to 17, got ${opts.digits}`)
  }
  const jaxpr = 'jaxpr' in j ? j.jaxpr : j
  const spec = opts.values
  const rec = spec === undefined ? null : recordValues(jaxpr, constsOf(j), spec, what)
  return buildGraph(jaxpr, rec, {
    depth: opts.depth ?? Infinity,
    maxElements: opts.maxElements ?? 6,
    digits: opts.digits ?? 4,
    title: opts.title ?? null,
    values: spec === undefined ? 'none' : spec.grad === true ? 'grads' : 'values',
  })
}

/** Graphviz DOT text of the computation graph (render with `dot -Tsvg`). */
export const toDot = (j: Jaxpr | ClosedJaxpr, opts: GraphOptions = {}): string =>
  renderDot(graphOf(j, opts, 'toDot'), opts.direction ?? 'TB')

/** Mermaid flowchart text of the computation graph (a ```mermaid block in Markdown). */
export const toMermaid = (j: Jaxpr | ClosedJaxpr, opts: GraphOptions = {}): string =>
  renderMermaid(graphOf(j, opts, 'toMermaid'), opts.direction ?? 'TB')
