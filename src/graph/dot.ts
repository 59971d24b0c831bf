/**
 * Graph pictures: Graphviz DOT text of a graph model (`dot -Tsvg graph.dot > graph.svg`).
 * Every label is a double-quoted DOT string: backslashes and quotes are escaped, so no user
 * text can close the string or start a Graphviz escape (\N, \G, \l, …); lines are joined by
 * the `\n` escape, which Graphviz centres.
 */
import type { Graph, GraphCluster, GraphEdge, GraphNode, NodeKind } from './model'

/** The body of a DOT double-quoted string; control characters become spaces. */
const escape = (s: string): string =>
  s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[\u0000-\u001f\u007f]/g, ' ')

/** A DOT double-quoted string. */
export const dotString = (s: string): string => `"${escape(s)}"`

/** Lines of a label, joined by DOT's centred line break `\n`. */
const label = (lines: readonly string[]): string => `"${lines.map(escape).join('\\n')}"`

const STYLE: Record<NodeKind, string> = {
  input: 'shape=ellipse, style=filled, fillcolor="#dbeafe", color="#3b82f6"',
  const: 'shape=box3d, style=filled, fillcolor="#e5e7eb", color="#6b7280"',
  op: 'shape=box, style="rounded,filled", fillcolor="#fef3c7", color="#d97706"',
  call: 'shape=box, style="rounded,filled,bold", fillcolor="#ede9fe", color="#7c3aed"',
  output: 'shape=doublecircle, style=filled, fillcolor="#dcfce7", color="#16a34a"',
  empty: 'shape=plaintext',
}

const nodeLine = (n: GraphNode, indent: string): string => `${indent}${n.id} [label=${label(n.lines)}, ${STYLE[n.kind]}];`

const clusterLines = (c: GraphCluster, indent: string): string[] => [
  `${indent}subgraph cluster_${c.id} {`,
  `${indent}  label=${dotString(c.title)}; style="dashed,rounded"; color="#7c3aed"; fontcolor="#5b21b6";`,
  ...c.nodes.map((n) => nodeLine(n, indent + '  ')),
  ...c.clusters.flatMap((s) => clusterLines(s, indent + '  ')),
  `${indent}}`,
]

const edgeLine = (e: GraphEdge): string => {
  const attrs = [`label=${label(e.lines)}`]
  if (e.cluster !== null) attrs.push(`lhead=cluster_${e.cluster}`, 'style=dashed', 'color="#7c3aed"', 'fontcolor="#5b21b6"')
  return `  ${e.from} -> ${e.to} [${attrs.join(', ')}];`
}

export const renderDot = (g: Graph, direction: 'TB' | 'LR'): string => {
  // Only the two known words reach the text, whatever the caller passed.
  const graphAttrs = [`rankdir=${direction === 'LR' ? 'LR' : 'TB'}`, 'compound=true', 'fontname="Helvetica"', 'fontsize=12']
  if (g.title.length > 0) graphAttrs.push(`label=${label(g.title)}`, 'labelloc=t')
  return [
    'digraph jaxpr {',
    `  graph [${graphAttrs.join(', ')}];`,
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9, color="#374151"];',
    ...g.nodes.map((n) => nodeLine(n, '  ')),
    ...g.clusters.flatMap((c) => clusterLines(c, '  ')),
    ...g.edges.map(edgeLine),
    '}',
    '',
  ].join('\n')
}
