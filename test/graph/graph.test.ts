import { describe, expect, it } from 'vitest'
import { np, lax, jit, checkpoint, makeJaxpr, ShapeError, ValueError, NonDifferentiableError } from '../../src'
import type { Array } from '../../src'
import { toDot, toMermaid } from '../../src/graph'
import { formatScalar, formatValue } from '../../src/graph/format'
import { recordValues } from '../../src/graph/values'
import { ConcreteArray } from '../../src/core/array'
import { Jaxpr } from '../../src/ir/jaxpr'

// ---- small readers of the two formats ------------------------------------------------------

interface Parsed {
  nodes: Map<string, { lines: string[]; kind: string }>
  edges: { from: string; to: string; lines: string[]; dashed: boolean }[]
  clusters: { id: string; title: string }[]
}

const dotUnescape = (s: string): string[] =>
  s.split('\\n').map((l) => l.replace(/\\(.)/g, '$1'))

const STR = String.raw`"((?:[^"\\]|\\.)*)"`

const parseDot = (text: string): Parsed => {
  const out: Parsed = { nodes: new Map(), edges: [], clusters: [] }
  let cluster: string | null = null
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null
    if ((m = line.match(/^\s*subgraph (cluster_\d+) \{$/))) cluster = m[1]
    else if (cluster !== null && (m = line.match(new RegExp(`^\\s*label=${STR};`)))) {
      out.clusters.push({ id: cluster, title: dotUnescape(m[1]).join('\n') })
      cluster = null
    } else if ((m = line.match(new RegExp(`^\\s*(n\\d+) \\[label=${STR}, shape=(\\w+)`)))) {
      out.nodes.set(m[1], { lines: dotUnescape(m[2]), kind: m[3] })
    } else if ((m = line.match(new RegExp(`^\\s*(n\\d+) -> (n\\d+) \\[label=${STR}(.*)\\];$`)))) {
      out.edges.push({ from: m[1], to: m[2], lines: dotUnescape(m[3]), dashed: m[4].includes('dashed') })
    }
  }
  return out
}

const mmdUnescape = (s: string): string[] =>
  s.split('<br>').map((l) => l.replace(/#(\d+);/g, (_, c) => String.fromCharCode(Number(c))))

const MMD_NODE = /^\s*(n\d+)(\(\[|\[\(|\[\[|\(\(|\[)"([^"]*)"(\]\)|\)\]|\]\]|\)\)|\]):::(\w+)$/
const MMD_EDGE = /^\s*(n\d+) (-->|-\.->)\|"([^"]*)"\| ([ns]\d+)$/
const MMD_SUB = /^\s*subgraph (s\d+) \["([^"]*)"\]$/

const parseMermaid = (text: string): Parsed => {
  const out: Parsed = { nodes: new Map(), edges: [], clusters: [] }
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null
    if ((m = line.match(MMD_NODE))) out.nodes.set(m[1], { lines: mmdUnescape(m[3]), kind: m[5] })
    else if ((m = line.match(MMD_EDGE))) out.edges.push({ from: m[1], to: m[4], lines: mmdUnescape(m[3]), dashed: m[2] === '-.->' })
    else if ((m = line.match(MMD_SUB))) out.clusters.push({ id: m[1], title: mmdUnescape(m[2]).join('\n') })
  }
  return out
}

/** Lex DOT text: every character outside a quoted string must belong to a known token, and
 *  every bare word must be ours (ids, keywords, attribute names and values we emit). */
const checkDotSyntax = (text: string): void => {
  const ours = new Set([
    'digraph', 'jaxpr', 'subgraph', 'graph', 'node', 'edge', 'label', 'labelloc', 't', 'rankdir', 'TB', 'LR',
    'compound', 'true', 'fontname', 'fontsize', 'fontcolor', 'shape', 'style', 'fillcolor', 'color', 'lhead',
    'dashed', 'ellipse', 'box', 'box3d', 'doublecircle', 'plaintext', 'filled',
  ])
  const token = /\s+|"(?:[^"\\]|\\.)*"|->|[{}[\];,=]|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?/y
  let depth = 0
  let i = 0
  while (i < text.length) {
    token.lastIndex = i
    const m = token.exec(text)
    if (m === null) throw new Error(`DOT: unexpected character at ${i}: ${JSON.stringify(text.slice(i, i + 20))}`)
    const t = m[0]
    if (/^[A-Za-z_]/.test(t) && !ours.has(t) && !/^(n\d+|cluster_\d+)$/.test(t)) throw new Error(`DOT: stray word ${t}`)
    if (t.startsWith('"') && t.includes('\n')) throw new Error('DOT: raw newline in a string')
    if (t === '{') depth++
    if (t === '}') depth--
    if (depth < 0) throw new Error('DOT: unbalanced }')
    i += t.length
  }
  expect(depth).toBe(0)
}

/** Every Mermaid line is one of the forms we emit; labels hold no raw quote or markup. */
const checkMermaidSyntax = (text: string): void => {
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  let k = 0
  if (lines[0] === '---') {
    expect(lines[1]).toMatch(/^title: "(?:[^"\\]|\\.)*"$/)
    expect(lines[2]).toBe('---')
    k = 3
  }
  expect(lines[k]).toMatch(/^flowchart (TB|LR)$/)
  let depth = 0
  for (const line of lines.slice(k + 1)) {
    const ok =
      /^\s*classDef \w+ [\w:#,-]+$/.test(line) || MMD_NODE.test(line) || MMD_EDGE.test(line) || MMD_SUB.test(line) || /^\s*end$/.test(line)
    if (!ok) throw new Error(`Mermaid: unexpected line ${JSON.stringify(line)}`)
    if (MMD_SUB.test(line)) depth++
    if (/^\s*end$/.test(line)) depth--
    for (const [, body] of line.matchAll(/"([^"]*)"/g)) expect(body.replace(/<br>/g, '')).not.toMatch(/[<>`*_|\\]/)
  }
  expect(depth).toBe(0)
}

const both = (j: Parameters<typeof toDot>[0], opts: Parameters<typeof toDot>[1] = {}): [string, Parsed][] => {
  const d = toDot(j, opts)
  const m = toMermaid(j, opts)
  checkDotSyntax(d)
  checkMermaidSyntax(m)
  return [
    ['dot', parseDot(d)],
    ['mermaid', parseMermaid(m)],
  ]
}

const nodeWith = (g: Parsed, first: string): string => {
  const ids = [...g.nodes].filter(([, n]) => n.lines[0] === first).map(([id]) => id)
  expect(ids, `one node labelled ${first}`).toHaveLength(1)
  return ids[0]
}
const edgeFrom = (g: Parsed, from: string, varLabel: string) => {
  const es = g.edges.filter((e) => e.from === from && e.lines[0] === varLabel)
  expect(es.length, `an edge ${varLabel} from ${from}`).toBeGreaterThan(0)
  return es
}

// ---- the required picture ------------------------------------------------------------------

describe('f = (x + y)·z at x = −2, y = 5, z = −4', () => {
  const f = (x: Array, y: Array, z: Array) => x.add(y).mul(z)
  const j = makeJaxpr(f)(-2, 5, -4)

  it.each(both(j, { values: { args: [-2, 5, -4], grad: true } }))('%s carries values and gradients', (_, g) => {
    const a = nodeWith(g, 'a:f64[]')
    const b = nodeWith(g, 'b:f64[]')
    const c = nodeWith(g, 'c:f64[]')
    const add = nodeWith(g, 'd = add a b')
    const mul = nodeWith(g, 'e = mul d c')
    const out = nodeWith(g, 'out')
    const edge = (from: string, to: string) => g.edges.filter((e) => e.from === from && e.to === to).map((e) => e.lines)
    expect(edge(a, add)).toEqual([['a:f64[]', '-2 / -4']]) // x = −2, df/dx = −4
    expect(edge(b, add)).toEqual([['b:f64[]', '5 / -4']]) // y = 5, df/dy = −4
    expect(edge(c, mul)).toEqual([['c:f64[]', '-4 / 3']]) // z = −4, df/dz = x + y = 3
    expect(edge(add, mul)).toEqual([['d:f64[]', '3 / -4']]) // x + y = 3, df/d(x+y) = z = −4
    expect(edge(mul, out)).toEqual([['e:f64[]', '-12 / 1']]) // f = −12
    expect(g.edges).toHaveLength(5)
    expect(g.nodes.size).toBe(6)
  })

  it.each(both(j, { values: { args: [-2, 5, -4] } }))('%s carries values alone without grad', (_, g) => {
    expect(g.edges.map((e) => e.lines[1]).sort()).toEqual(['-12', '-2', '-4', '3', '5'])
  })

  it('names the inputs as the text form does, and says what the labels mean', () => {
    expect(String(j)).toContain('lambda a:f64[] b:f64[] c:f64[]')
    expect(toDot(j, { values: { args: [-2, 5, -4], grad: true } })).toContain('value / ∂out/∂variable')
    expect(toMermaid(j, { values: { args: [-2, 5, -4] }, title: 'f' })).toMatch(/^---\ntitle: "f — edge labels: variable:type, then value"\n---\n/)
    expect(toDot(j)).not.toContain('label="edge labels')
  })
})

// ---- structure -----------------------------------------------------------------------------

describe('structure', () => {
  it.each(both(makeJaxpr((a: Array, b: Array) => np.sum(np.sin(np.multiply(a, b))))(np.zeros([3]), np.array(2.0))))(
    '%s: sum(sin(a·b)) has 6 nodes and 5 edges labelled with avals',
    (_, g) => {
      expect(g.nodes.size).toBe(6)
      expect(g.edges.map((e) => e.lines.join(' ')).sort()).toEqual(['a:f64[3]', 'b:f64[]', 'c:f64[3]', 'd:f64[3]', 'e:f64[]'])
      nodeWith(g, 'e = reduce_sum d')
      expect(g.nodes.get(nodeWith(g, 'e = reduce_sum d'))?.lines).toEqual(['e = reduce_sum d', 'axes=(0,)'])
      expect(g.clusters).toHaveLength(0)
    },
  )

  it.each(
    both(makeJaxpr((x: Array) => [x.mul(2.5).add(np.array([1, 2, 3])), lax.integerPow(x, 3)])(np.zeros([3])), {
      values: { args: [np.array([1, 2, 3])] },
    }),
  )('%s: constants, literals inline, params and several outputs', (_, g) => {
    // { lambda a:f64[3] ; b:f64[3] . let c = mul b 2.5; d = add c a; e = integer_pow[y=3] b in ( d e ) }
    const a = nodeWith(g, 'a:f64[3]')
    expect(edgeFrom(g, a, 'a:f64[3]')[0].lines[1]).toBe('[1, 2, 3]') // the constant's value
    nodeWith(g, 'c = mul b 2.5')
    expect(g.nodes.get(nodeWith(g, 'e = integer_pow b'))?.lines[1]).toBe('y=3')
    const d = edgeFrom(g, nodeWith(g, 'd = add c a'), 'd:f64[3]')[0]
    expect(g.nodes.get(d.to)?.lines).toEqual(['out 0'])
    expect(d.lines[1]).toBe('[3.5, 7, 10.5]')
    const e = edgeFrom(g, nodeWith(g, 'e = integer_pow b'), 'e:f64[3]')[0]
    expect(g.nodes.get(e.to)?.lines).toEqual(['out 1'])
    expect(e.lines[1]).toBe('[1, 8, 27]')
    expect(g.edges).toHaveLength(6) // b→mul, c→add, a→add, b→pow, d→out0, e→out1
    expect(g.nodes.size).toBe(7)
  })

  it('draws a constant as its own kind of node, a literal output inline, an unused input with its value', () => {
    const closed = makeJaxpr((x: Array, _unused: Array) => [x, 2])(np.array(1), np.array(7))
    const dot = parseDot(toDot(closed, { values: { args: [np.array(1), np.array(7)] } }))
    expect([...dot.nodes.values()].map((n) => n.lines)).toEqual([['a:f64[]'], ['b:f64[]', '7'], ['out 0'], ['out 1 = 2.0']])
    const withConst = parseDot(toDot(makeJaxpr((x: Array) => x.mul(np.array([1, 2])))(np.array(1))))
    expect(withConst.nodes.get(nodeWith(withConst, 'a:f64[2]'))?.kind).toBe('box3d')
    expect(withConst.nodes.get(nodeWith(withConst, 'b:f64[]'))?.kind).toBe('ellipse')
  })

  it('names variables exactly as the text form, past z', () => {
    const f = (x: Array) => {
      let y = x
      for (let i = 0; i < 30; i++) y = y.sin()
      return y
    }
    const j = makeJaxpr(f)(np.array(0.5))
    const text = String(j)
    const g = parseDot(toDot(j))
    for (const n of g.nodes.values()) {
      const m = n.lines[0].match(/^(\w+) = (\w+) (\w+)$/)
      if (m) expect(text).toContain(`${m[1]}:f64[] = ${m[2]} ${m[3]}`)
    }
    nodeWith(g, 'be = sin bd')
    expect(g.edges.filter((e) => e.lines[0] === 'be:f64[]')).toHaveLength(1)
  })

  it('a multiple-output equation labels each edge with its variable', () => {
    const j = makeJaxpr((x: Array) => {
      const [c, ys] = lax.scan((c: Array, xi: Array) => [c.add(xi), c.mul(xi)], x.sum(), x)
      return c.add(ys.sum())
    })(np.array([1, 2, 3]))
    const g = parseDot(toDot(j, { depth: 0 }))
    const scan = nodeWith(g, 'c d = scan b a')
    expect(g.nodes.get(scan)?.lines).toEqual(['c d = scan b a', 'numCarry=1', 'length=3', 'reverse=false'])
    expect(g.edges.filter((e) => e.from === scan).map((e) => e.lines[0]).sort()).toEqual(['c:f64[]', 'd:f64[3]'])
  })
})

// ---- sub-jaxprs ----------------------------------------------------------------------------

describe('sub-jaxprs as clusters', () => {
  const inner = jit(function inner(u: Array) {
    return checkpoint((v: Array) => v.exp())(u.sin())
  })
  const f = (x: Array, y: Array) => {
    const a = lax.cond(x.sum().gt(0), (u: Array) => u.sin(), (u: Array) => u.cos(), y)
    const [c] = lax.scan((c: Array, xi: Array) => [c.add(xi), c.mul(xi)], x.sum(), y)
    const w = lax.whileLoop((s: Array) => s.lt(10), (s: Array) => s.mul(2), x.sum())
    const k = checkpoint((z: Array) => z.exp())(a)
    return k.sum().add(c).add(w).add(inner(x).sum())
  }
  const args = [np.array([1, 2]), np.array([3, 4])] as const
  const j = makeJaxpr(f)(...args)

  it.each(both(j))('%s: one cluster per sub-jaxpr, hung off its equation by a dashed edge', (_, g) => {
    const titles = g.clusters.map((c) => c.title).sort()
    expect(titles).toEqual([
      'checkpoint(fn) body', 'checkpoint(fn) body', 'cond branch 0', 'cond branch 1', 'jit(inner) body', 'scan body', 'while body', 'while cond',
    ])
    const dashed = g.edges.filter((e) => e.dashed)
    expect(dashed.map((e) => e.lines[0]).sort()).toEqual(['body', 'body', 'body', 'body', 'body', 'branch 0', 'branch 1', 'cond'])
    const cond = [...g.nodes].find(([, n]) => / = cond /.test(n.lines[0]))?.[0]
    expect(dashed.filter((e) => e.from === cond)).toHaveLength(2)
  })

  it('depth limits how many levels are drawn', () => {
    expect(parseDot(toDot(j, { depth: 0 })).clusters).toHaveLength(0)
    const one = parseDot(toDot(j, { depth: 1 })).clusters.map((c) => c.title)
    expect(one).toContain('jit(inner) body')
    expect(one.filter((t) => t === 'checkpoint(fn) body')).toHaveLength(1)
    expect(one).toHaveLength(7)
    expect(parseDot(toDot(j, { depth: 2 })).clusters).toHaveLength(8)
    expect(parseMermaid(toMermaid(j, { depth: 1 })).clusters).toHaveLength(7)
  })

  it('values reach inside jit, checkpoint and the cond branch that ran, not inside loops', () => {
    const g = parseDot(toDot(j, { values: { args } }))
    expect(g.clusters.map((c) => c.title)).toContain('cond branch 1 (taken)')
    expect(g.clusters.map((c) => c.title)).toContain('cond branch 0')
    // inner(x) = checkpoint(exp)(sin(x)): the nested checkpoint body's input edge is sin(x)
    const labels = g.edges.map((e) => e.lines.join(' | '))
    const s = [Math.sin(1), Math.sin(2)].map((v) => formatScalar(v, 'float64', 4))
    expect(labels).toContain(`a:f64[2] | [${s.join(', ')}]`)
    const taken = [Math.sin(3), Math.sin(4)].map((v) => formatScalar(v, 'float64', 4))
    expect(labels).toContain(`b:f64[2] | [${taken.join(', ')}]`)
    // loop bodies carry types only
    const inLoops = g.edges.filter((e) => e.lines[0] === 'b:bool[]')
    expect(inLoops.length).toBeGreaterThan(0)
    for (const e of inLoops) expect(e.lines).toHaveLength(1)
  })
})

// ---- values and gradients, against independent numbers ------------------------------------

describe('recorded values and gradients', () => {
  it('adjoints of intermediates in sin(x·w).sum() match the chain rule', () => {
    const w = [0.3, -1.2, 2.0]
    const x = [1.5, 0.25, -0.7]
    const j = makeJaxpr((x: Array) => np.sin(x.mul(np.array(w))).sum())(np.array(x))
    // { lambda a ; b . let c = mul b a; d = sin c; e = reduce_sum d in ( e ) }
    const rec = recordValues(j.jaxpr, j.consts, { args: [np.array(x)], grad: true }, 'test')
    const [cVar] = j.jaxpr.eqns[0].outVars
    const [dVar] = j.jaxpr.eqns[1].outVars
    const xVar = j.jaxpr.inVars[0]
    const wVar = j.jaxpr.constVars[0]
    const get = (m: Map<unknown, { tolist(): unknown }>, v: unknown) => m.get(v)?.tolist() as number[]
    const c = x.map((xi, i) => xi * w[i])
    const close = (got: number[], want: number[]) => got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 12))
    close(get(rec.values, cVar), c)
    close(get(rec.grads, cVar), c.map(Math.cos)) // ∂/∂c Σ sin c = cos c
    close(get(rec.grads, dVar), [1, 1, 1]) // ∂/∂d Σ d = 1
    close(get(rec.grads, xVar), c.map((ci, i) => Math.cos(ci) * w[i]))
    close(get(rec.grads, wVar), c.map((ci, i) => Math.cos(ci) * x[i]))
  })

  it.each(both(makeJaxpr((x: Array) => x.mul(x).add(x))(3), { values: { args: [3], grad: true } }))(
    '%s: a variable used twice carries its total adjoint on each edge',
    (_, g) => {
      // f = x² + x at 3: f = 12, ∂f/∂x = 2x + 1 = 7, ∂f/∂(x²) = 1
      const a = edgeFrom(g, nodeWith(g, 'a:f64[]'), 'a:f64[]')
      expect(a).toHaveLength(3)
      for (const e of a) expect(e.lines[1]).toBe('3 / 7')
      expect(edgeFrom(g, nodeWith(g, 'b = mul a a'), 'b:f64[]')[0].lines[1]).toBe('9 / 1')
    },
  )

  it('gradients through jit and the taken cond branch, non-float variables without one', () => {
    const h = jit(function h(u: Array) { return u.mul(u) })
    const f = (x: Array) => lax.cond(x.gt(0), (u: Array) => u.sin(), (u: Array) => u.cos(), h(x))
    const j = makeJaxpr(f)(np.array(0.5))
    const g = parseDot(toDot(j, { values: { args: [np.array(1.5)], grad: true } }))
    const fmt = (v: number) => formatScalar(v, 'float64', 4)
    const labels = g.edges.map((e) => e.lines.join(' | '))
    // inside h: b = a·a = 2.25 with ∂/∂b sin(b) = cos(2.25)
    expect(labels).toContain(`b:f64[] | 2.25 / ${fmt(Math.cos(2.25))}`)
    // inside the taken branch (sin): its input a = 2.25, adjoint cos(2.25)
    expect(labels).toContain(`a:f64[] | 2.25 / ${fmt(Math.cos(2.25))}`)
    // the outer input: ∂/∂x sin(x²) = 2x cos(x²)
    expect(labels).toContain(`a:f64[] | 1.5 / ${fmt(3 * Math.cos(2.25))}`)
    expect(labels).toContain('b:bool[] | true')
    expect(labels).toContain('d:i32[] | 1')
  })

  it('an unused loop does not stop the gradient; a used one says why it cannot be differentiated', () => {
    const loop = (s: Array) => lax.whileLoop((t: Array) => t.lt(10), (t: Array) => t.mul(2), s)
    const unused = makeJaxpr((x: Array) => {
      loop(x)
      return x.mul(3)
    })(np.array(1.0))
    const g = parseDot(toDot(unused, { values: { args: [np.array(1.0)], grad: true }, depth: 0 }))
    expect(g.nodes.get(nodeWith(g, 'b = while a'))?.lines).toContain('b:f64[] = 16 / 0 (unused)')
    expect(edgeFrom(g, nodeWith(g, 'a:f64[]'), 'a:f64[]').map((e) => e.lines[1])).toEqual(['1 / 3', '1 / 3'])
    const used = makeJaxpr((x: Array) => loop(x).mul(3))(np.array(1.0))
    expect(() => toDot(used, { values: { args: [np.array(1.0)], grad: true } })).toThrow(NonDifferentiableError)
    expect(toDot(used, { values: { args: [np.array(1.0)] } })).toContain('16')
  })

  it('a bare Jaxpr takes its constants from values.consts', () => {
    const closed = makeJaxpr((x: Array) => x.mul(np.array([1, 2])).sum())(np.array(1))
    const bare: Jaxpr = closed.jaxpr
    expect(() => toDot(bare, { values: { args: [2] } })).toThrow(ValueError)
    const g = parseDot(toDot(bare, { values: { args: [2], consts: [np.array([10, 20])], grad: true } }))
    expect(edgeFrom(g, nodeWith(g, 'c = mul b a'), 'c:f64[2]')[0].lines[1]).toBe('[20, 40] / [1, 1]')
  })
})

// ---- errors and options --------------------------------------------------------------------

describe('errors', () => {
  const j = makeJaxpr((x: Array) => x.sin())(np.zeros([3]))
  it('grad needs one scalar float output', () => {
    expect(() => toDot(j, { values: { args: [np.zeros([3])], grad: true } })).toThrow(ShapeError)
    expect(() => toMermaid(j, { values: { args: [np.zeros([3])], grad: true } })).toThrow(/toMermaid: values.grad needs a jaxpr with one scalar float output, got \(f64\[3\]\)/)
  })
  it('arguments must match the jaxpr inputs', () => {
    expect(() => toDot(j, { values: { args: [] } })).toThrow(ValueError)
    expect(() => toDot(j, { values: { args: [np.zeros([3]), 1] } })).toThrow(/got 2 argument array\(s\) for a jaxpr with 1 input\(s\) \(f64\[3\]\)/)
    expect(() => toDot(j, { values: { args: [np.zeros([4])] } })).toThrow(ShapeError)
    expect(() => toDot(j, { values: { args: [np.zeros([3], { dtype: 'float32' })] } })).toThrow(/argument 0 is f32\[3\] but the jaxpr's input 0 is f64\[3\]/)
  })
  it('options are checked', () => {
    expect(() => toDot(j, { depth: -1 })).toThrow(ValueError)
    expect(() => toDot(j, { maxElements: 1.5 })).toThrow(/maxElements must be an integer >= 0/)
    expect(() => toMermaid(j, { digits: 0 })).toThrow(/digits must be an integer from 1 to 17/)
  })
})

describe('options', () => {
  it('direction, maxElements and digits', () => {
    const j = makeJaxpr((x: Array) => x.div(3))(np.ones([4]))
    expect(toDot(j, { direction: 'LR' })).toContain('rankdir=LR')
    expect(toMermaid(j, { direction: 'LR' })).toContain('flowchart LR')
    const big = parseDot(toDot(j, { values: { args: [np.ones([4])] }, maxElements: 3 }))
    expect(big.edges.map((e) => e.lines[1]).sort()).toEqual(['4 values', '4 values'])
    const precise = parseDot(toDot(j, { values: { args: [np.ones([4])] }, digits: 2 }))
    expect(precise.edges.map((e) => e.lines[1])).toContain('[0.33, 0.33, 0.33, 0.33]')
  })
})

// ---- escaping ------------------------------------------------------------------------------

describe('escaping', () => {
  const nasty = 'evil"] ; n0 -> n1 [label="x\\" end\nsubgraph #quot; <b>*_`|\\'
  const g = (x: Array) => x.sin()
  Object.defineProperty(g, 'name', { value: nasty })
  const j = makeJaxpr((x: Array) => jit(g)(x).mul(2))(np.array([1, 2, 3]))
  const flat = nasty.replace(/\n/g, ' ')

  it('DOT: user text stays inside strings and reads back unchanged', () => {
    const text = toDot(j, { title: nasty })
    checkDotSyntax(text)
    const p = parseDot(text)
    expect(p.clusters.map((c) => c.title)).toEqual([`jit(${flat}) body`])
    expect([...p.nodes.values()].find((n) => n.lines[0] === 'b = jit a')?.lines[1]).toBe(`name=${flat}`)
    expect(p.nodes.size).toBe(7) // a, jit, mul, out and the body's a, sin, out
    expect(p.edges).toHaveLength(6)
  })

  it('Mermaid: user text is entity-coded and reads back unchanged', () => {
    const text = toMermaid(j, { title: nasty })
    checkMermaidSyntax(text)
    const p = parseMermaid(text)
    expect(p.clusters.map((c) => c.title)).toEqual([`jit(${flat}) body`])
    expect([...p.nodes.values()].find((n) => n.lines[0] === 'b = jit a')?.lines[1]).toBe(`name=${flat}`)
    expect(p.nodes.size).toBe(7) // a, jit, mul, out and the body's a, sin, out
    expect(p.edges).toHaveLength(6)
    expect(JSON.parse(text.split('\n')[1].slice('title: '.length))).toBe(`${nasty.split('\n').join(' — ')}`)
  })

  it('node ids are generated, never user text', () => {
    for (const text of [toDot(j), toMermaid(j)]) {
      const ids = [...text.matchAll(/^\s*(\w+)(?: \[|\(|\[)/gm)].map((m) => m[1]).filter((w) => !['graph', 'node', 'edge'].includes(w))
      expect(ids.length).toBeGreaterThan(0)
      for (const id of ids) expect(id).toMatch(/^n\d+$/)
    }
  })
})

// ---- value formatting ----------------------------------------------------------------------

describe('value formatting', () => {
  it('scalars with ~4 significant digits', () => {
    expect(formatScalar(-12, 'float64', 4)).toBe('-12')
    expect(formatScalar(1 / 3, 'float64', 4)).toBe('0.3333')
    expect(formatScalar(-2 / 3, 'float32', 4)).toBe('-0.6667')
    expect(formatScalar(123.456, 'float64', 4)).toBe('123.5')
    expect(formatScalar(1234567, 'float64', 4)).toBe('1.235e6')
    expect(formatScalar(2e-7, 'float64', 4)).toBe('2e-7')
    expect(formatScalar(0, 'float64', 4)).toBe('0')
    expect(formatScalar(-0, 'float64', 4)).toBe('-0')
    expect(formatScalar(NaN, 'float64', 4)).toBe('nan')
    expect(formatScalar(-Infinity, 'float32', 4)).toBe('-inf')
    expect(formatScalar(123456789, 'int32', 4)).toBe('123456789')
    expect(formatScalar(1, 'bool', 4)).toBe('true')
  })
  it('small arrays in full, big ones by shape', () => {
    const m = new ConcreteArray(new Float64Array([1, 2.5, 3, 4]), [2, 2], 'float64')
    expect(formatValue(m, 6, 4)).toBe('[[1, 2.5], [3, 4]]')
    expect(formatValue(m, 3, 4)).toBe('2×2 values')
    expect(formatValue(new ConcreteArray(new Float64Array(300), [3, 100], 'float64'), 6, 4)).toBe('3×100 values')
    expect(formatValue(new ConcreteArray(new Float64Array(0), [0, 2], 'float64'), 6, 4)).toBe('[]')
    expect(formatValue(new ConcreteArray(new Uint8Array([1, 0]), [2], 'bool'), 6, 4)).toBe('[true, false]')
    expect(formatValue(new ConcreteArray(new Int32Array([7]), [], 'int32'), 6, 4)).toBe('7')
  })
})
