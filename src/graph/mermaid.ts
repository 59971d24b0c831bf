/**
 * Graph pictures: Mermaid flowchart text of a graph model (renders in GitHub Markdown in a
 * ```mermaid block, and in mermaid.live). Every label is a double-quoted Mermaid string in
 * which each character that means something to Mermaid, to HTML labels or to Markdown
 * (" # & < > | ` * _ ~ \ and control characters) is written as a numeric entity code
 * (#34;), so no user text can close the string or inject markup; lines are joined by <br>.
 * Nodes are declared inside their subgraphs first, edges after, so nodes stay where they
 * belong.
 */
import type { Graph, GraphCluster, GraphEdge, GraphNode, NodeKind } from './model'

const SPECIAL = /["#&<>|`*_~\\\u0000-\u001f\u007f]/g

/** Text safe inside a Mermaid double-quoted label. */
export const mermaidText = (s: string): string => s.replace(SPECIAL, (c) => `#${c.charCodeAt(0)};`)

const label = (lines: readonly string[]): string => `"${lines.map(mermaidText).join('<br>')}"`

const SHAPE: Record<NodeKind, readonly [string, string]> = {
  input: ['([', '])'],
  const: ['[(', ')]'],
  op: ['[', ']'],
  call: ['[[', ']]'],
  output: ['((', '))'],
  empty: ['[', ']'],
}

const CLASS: Record<NodeKind, string> = {
  input: 'gInput', const: 'gConst', op: 'gOp', call: 'gCall', output: 'gOutput', empty: 'gEmpty',
}

const CLASS_DEFS = [
  'classDef gInput fill:#dbeafe,stroke:#3b82f6',
  'classDef gConst fill:#e5e7eb,stroke:#6b7280',
  'classDef gOp fill:#fef3c7,stroke:#d97706',
  'classDef gCall fill:#ede9fe,stroke:#7c3aed',
  'classDef gOutput fill:#dcfce7,stroke:#16a34a',
  'classDef gEmpty fill:none,stroke:none',
]

const nodeLine = (n: GraphNode, indent: string): string => {
  const [open, close] = SHAPE[n.kind]
  return `${indent}${n.id}${open}${label(n.lines)}${close}:::${CLASS[n.kind]}`
}

const clusterLines = (c: GraphCluster, indent: string): string[] => [
  `${indent}subgraph s${c.id} [${label([c.title])}]`,
  ...c.nodes.map((n) => nodeLine(n, indent + '  ')),
  ...c.clusters.flatMap((s) => clusterLines(s, indent + '  ')),
  `${indent}end`,
]

const edgeLine = (e: GraphEdge): string =>
  e.cluster === null ? `  ${e.from} -->|${label(e.lines)}| ${e.to}` : `  ${e.from} -.->|${label(e.lines)}| s${e.cluster}`

export const renderMermaid = (g: Graph, direction: 'TB' | 'LR'): string => {
  // The title goes in YAML front matter; a JSON string is a valid YAML double-quoted scalar.
  const front = g.title.length > 0 ? ['---', `title: ${JSON.stringify(g.title.join(' — '))}`, '---'] : []
  return [
    ...front,
    // Only the two known words reach the text, whatever the caller passed.
    `flowchart ${direction === 'LR' ? 'LR' : 'TB'}`,
    ...CLASS_DEFS.map((d) => `  ${d}`),
    ...g.nodes.map((n) => nodeLine(n, '  ')),
    ...g.clusters.flatMap((c) => clusterLines(c, '  ')),
    ...g.edges.map(edgeLine),
    '',
  ].join('\n')
}
