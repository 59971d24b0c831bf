/**
 * Graph pictures: a jaxpr as a neutral graph — nodes, edges and nested clusters — that the
 * DOT and Mermaid printers render. Nodes are producers (inputs, constants, one per equation,
 * outputs); an edge is a variable on its way to a use, labelled `name:aval` as the text form
 * names it, plus its value (and gradient) when the picture carries values. Sub-jaxprs of
 * higher-order primitives are clusters hung off their equation by a dashed edge.
 *
 * Node and cluster ids are generated (n0, n1, …); user text (jit names, params) only ever
 * appears in labels, which the printers escape.
 */
import { avalStr } from '../ir/aval'
import { type Atom, type Eqn, Jaxpr, type Var } from '../ir/jaxpr'
import { formatParam, litStr, varNames } from '../ir/pretty'
import { formatValue } from './format'
import type { Recorded } from './values'

export type NodeKind = 'input' | 'const' | 'op' | 'call' | 'output' | 'empty'

export interface GraphNode {
  readonly id: string
  readonly kind: NodeKind
  readonly lines: readonly string[]
}

export interface GraphEdge {
  readonly from: string
  readonly to: string
  readonly lines: readonly string[]
  /** set on the dashed edge from a higher-order equation to its sub-jaxpr's cluster */
  readonly cluster: number | null
}

export interface GraphCluster {
  readonly id: number
  readonly title: string
  readonly nodes: GraphNode[]
  readonly clusters: GraphCluster[]
}

export interface Graph {
  readonly title: readonly string[]
  readonly nodes: GraphNode[]
  readonly clusters: GraphCluster[]
  readonly edges: GraphEdge[]
}

export interface ModelOptions {
  readonly depth: number
  readonly maxElements: number
  readonly digits: number
  readonly title: string | null
  readonly values: 'none' | 'values' | 'grads'
}

/** Longest label line; longer ones (big params, many operands) end in `…`. */
const MAX_LINE = 80
const clip = (s: string): string => {
  const one = s.replace(/[\r\n\t]+/g, ' ')
  return one.length > MAX_LINE ? `${one.slice(0, MAX_LINE - 1)}…` : one
}

interface Sub {
  readonly key: string
  readonly role: string
  readonly jaxpr: Jaxpr
}

const roleOf = (key: string): string => (key === 'jaxpr' ? 'body' : key.endsWith('Jaxpr') ? key.slice(0, -5) : key)
const singular = (key: string): string => (key.endsWith('es') ? key.slice(0, -2) : key.endsWith('s') ? key.slice(0, -1) : key)

/** The sub-jaxprs among an equation's params, in params order. */
export const subJaxprs = (e: Eqn): Sub[] => {
  const subs: Sub[] = []
  for (const [k, v] of Object.entries(e.params as object)) {
    if (v instanceof Jaxpr) subs.push({ key: k, role: roleOf(k), jaxpr: v })
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Jaxpr)) {
      v.forEach((x: Jaxpr, i) => subs.push({ key: `${k}.${i}`, role: `${singular(k)} ${i}`, jaxpr: x }))
    }
  }
  return subs
}

/** Params worth a line: not sub-jaxprs (they are drawn), not a count of zero constants. */
const paramLines = (e: Eqn): string[] =>
  Object.entries(e.params as object)
    .filter(([k, v]) => {
      if (v instanceof Jaxpr || (Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Jaxpr))) return false
      return !(/numConsts$/i.test(k) && v === 0)
    })
    .map(([k, v]) => clip(`${k}=${formatParam(v, '')}`))

interface Container {
  readonly nodes: GraphNode[]
  readonly clusters: GraphCluster[]
}

class Builder {
  private nextNode = 0
  private nextCluster = 0
  readonly edges: GraphEdge[] = []
  constructor(private readonly opts: ModelOptions) {}

  private node(into: Container, kind: NodeKind, lines: readonly string[]): string {
    const id = `n${this.nextNode++}`
    into.nodes.push({ id, kind, lines: lines.map(clip) })
    return id
  }

  private valueLine(v: Var, rec: Recorded | null): string | null {
    const x = rec?.values.get(v)
    if (rec === null || x === undefined) return null
    const { maxElements, digits } = this.opts
    const g = rec.grads.get(v)
    const val = formatValue(x, maxElements, digits)
    return g === undefined ? val : `${val} / ${formatValue(g, maxElements, digits)}`
  }

  jaxpr(j: Jaxpr, into: Container, level: number, rec: Recorded | null): void {
    const names = varNames(j)
    const name = (v: Var): string => names.get(v) as string
    const binder = (v: Var): string => `${name(v)}:${avalStr(v.aval)}`
    const atom = (a: Atom): string => (a._tag === 'Var' ? name(a) : litStr(a))
    const used = new Set<Var>()
    for (const e of j.eqns) for (const a of e.inputs) if (a._tag === 'Var') used.add(a)
    for (const a of j.outs) if (a._tag === 'Var') used.add(a)

    const producer = new Map<Var, string>()
    const source = (kind: 'input' | 'const', v: Var): void => {
      const line = used.has(v) ? null : this.valueLine(v, rec)
      producer.set(v, this.node(into, kind, line === null ? [binder(v)] : [binder(v), line]))
    }
    const edgeTo = (v: Var, to: string): void => {
      let from = producer.get(v)
      // A variable no one binds (an ill-formed jaxpr) still gets a node, so the picture shows it.
      if (from === undefined) producer.set(v, (from = this.node(into, 'input', [`${binder(v)} (unbound)`])))
      const line = this.valueLine(v, rec)
      this.edges.push({ from, to, lines: line === null ? [binder(v)] : [binder(v), line], cluster: null })
    }
    j.constVars.forEach((v) => source('const', v))
    j.inVars.forEach((v) => source('input', v))

    j.eqns.forEach((e, i) => {
      const subs = subJaxprs(e)
      const outs = e.outVars.map(name).join(' ')
      const head = `${outs ? outs + ' = ' : ''}${e.prim}${e.inputs.length ? ' ' + e.inputs.map(atom).join(' ') : ''}`
      // An output no one uses has no edge to carry its value: the node shows it.
      const unused = e.outVars.flatMap((v) => {
        const line = used.has(v) ? null : this.valueLine(v, rec)
        return line === null ? [] : [`${binder(v)} = ${line} (unused)`]
      })
      const id = this.node(into, subs.length > 0 ? 'call' : 'op', [head, ...paramLines(e), ...unused])
      for (const a of e.inputs) if (a._tag === 'Var') edgeTo(a, id)
      e.outVars.forEach((v) => producer.set(v, id))
      if (level >= this.opts.depth) return
      const callName = typeof (e.params as { name?: unknown }).name === 'string' ? `(${(e.params as { name: string }).name})` : ''
      for (const s of subs) {
        const inner = rec?.subs.get(i)?.get(s.key) ?? null
        const taken = e.prim === 'cond' && inner !== null ? ' (taken)' : ''
        const cluster: GraphCluster = { id: this.nextCluster++, title: clip(`${e.prim}${callName} ${s.role}${taken}`), nodes: [], clusters: [] }
        into.clusters.push(cluster)
        this.jaxpr(s.jaxpr, cluster, level + 1, inner)
        const anchor = firstNode(cluster) ?? this.node(cluster, 'empty', ['(empty)'])
        this.edges.push({ from: id, to: anchor, lines: [s.role], cluster: cluster.id })
      }
    })

    j.outs.forEach((a, k) => {
      const label = j.outs.length === 1 ? 'out' : `out ${k}`
      if (a._tag === 'Lit') this.node(into, 'output', [`${label} = ${litStr(a)}`])
      else edgeTo(a, this.node(into, 'output', [label]))
    })
  }
}

const firstNode = (c: GraphCluster): string | null => {
  if (c.nodes.length > 0) return c.nodes[0].id
  for (const s of c.clusters) {
    const n = firstNode(s)
    if (n !== null) return n
  }
  return null
}

const legend = (values: ModelOptions['values']): string | null =>
  values === 'grads'
    ? 'edge labels: variable:type, then value / ∂out/∂variable'
    : values === 'values'
      ? 'edge labels: variable:type, then value'
      : null

export const buildGraph = (j: Jaxpr, rec: Recorded | null, opts: ModelOptions): Graph => {
  const b = new Builder(opts)
  const top: Container = { nodes: [], clusters: [] }
  b.jaxpr(j, top, 0, rec)
  const title = [...(opts.title === null ? [] : opts.title.split(/\r?\n/)), legend(opts.values)].filter((s): s is string => s !== null).map(clip)
  return { title, nodes: top.nodes, clusters: top.clusters, edges: b.edges }
}
