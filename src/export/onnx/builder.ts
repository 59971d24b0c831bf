/**
 * Export layer (ONNX): a graph under construction. Nodes are appended in program order (which
 * is a topological order); every value gets a fresh name from one counter shared by the whole
 * model, so a subgraph (a Loop or If body) can read any value of its enclosing graphs by name,
 * as ONNX's scoping allows, and never shadows one.
 */
import type { Shape } from '../../ir/aval'
import type { DType } from '../../ir/dtypes'
import { onnx } from './proto/onnx.pb.js'

/** ONNX tensor element types (TensorProto.DataType). */
export const ElemType = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11, uint32: 12 } as const
export type OnnxElem = keyof typeof ElemType

export const elemOf = (d: DType): OnnxElem => d

export type Attr =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly graph: onnx.IGraphProto }
  | { readonly tensor: onnx.ITensorProto }

const A = onnx.AttributeProto.AttributeType

const attrProto = (name: string, a: Attr): onnx.IAttributeProto => {
  if ('int' in a) return { name, type: A.INT, i: a.int }
  if ('ints' in a) return { name, type: A.INTS, ints: [...a.ints] }
  if ('float' in a) return { name, type: A.FLOAT, f: a.float }
  if ('string' in a) return { name, type: A.STRING, s: new TextEncoder().encode(a.string) }
  if ('graph' in a) return { name, type: A.GRAPH, g: a.graph }
  return { name, type: A.TENSOR, t: a.tensor }
}

/** Little-endian bytes of a typed array (ONNX raw_data). */
const rawBytes = (elem: OnnxElem, values: ArrayLike<number>): Uint8Array => {
  const n = values.length
  switch (elem) {
    case 'float64': return new Uint8Array(Float64Array.from(values).buffer)
    case 'float32': return new Uint8Array(Float32Array.from(values).buffer)
    case 'int32': return new Uint8Array(Int32Array.from(values).buffer)
    case 'uint32': return new Uint8Array(Uint32Array.from(values).buffer)
    case 'int64': {
      const b = new BigInt64Array(n)
      for (let i = 0; i < n; i++) b[i] = BigInt(values[i])
      return new Uint8Array(b.buffer)
    }
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0))
  }
}

export const tensorProto = (elem: OnnxElem, dims: Shape, values: ArrayLike<number>): onnx.ITensorProto => ({
  dims: [...dims],
  dataType: ElemType[elem],
  rawData: rawBytes(elem, values),
})

export const valueInfo = (name: string, elem: OnnxElem, shape: Shape): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: ElemType[elem], shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
})

/** Names shared by a model and all its subgraphs. */
export class Names {
  private n = 0
  fresh(hint = 't'): string {
    return `${hint}_${this.n++}`
  }
}

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = []
  private readonly consts = new Map<string, string>()
  constructor(readonly names: Names, readonly opset: number) {}

  /** A node with `nOut` fresh outputs. */
  nodeN(op: string, inputs: readonly string[], nOut: number, attrs: Readonly<Record<string, Attr>> = {}): string[] {
    const outs = Array.from({ length: nOut }, () => this.names.fresh())
    this.nodes.push({
      opType: op,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
    })
    return outs
  }

  /** A node with one fresh output. */
  op(op: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}): string {
    return this.nodeN(op, inputs, 1, attrs)[0]
  }

  /** A node whose output names are given (graph outputs, loop-carried values). */
  opTo(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}): void {
    this.nodes.push({
      opType: op,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
    })
  }

  /** A constant tensor (a Constant node, so it works in subgraphs too); small scalars are shared. */
  constant(elem: OnnxElem, dims: Shape, values: ArrayLike<number>): string {
    const key = values.length <= 8 ? `${elem}|${dims.join(',')}|${Array.from(values, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}` : null
    if (key !== null) {
      const hit = this.consts.get(key)
      if (hit !== undefined) return hit
    }
    const name = this.op('Constant', [], { value: { tensor: tensorProto(elem, dims, values) } })
    if (key !== null) this.consts.set(key, name)
    return name
  }

  scalar(elem: OnnxElem, v: number): string {
    return this.constant(elem, [], [v])
  }

  /** A 1-d int64 constant (shapes, axes, starts). */
  ints(values: readonly number[]): string {
    return this.constant('int64', [values.length], values)
  }

  /** A subgraph builder sharing this model's names. */
  child(): GraphBuilder {
    return new GraphBuilder(this.names, this.opset)
  }

  graph(name: string, inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[], initializer: onnx.ITensorProto[] = []): onnx.IGraphProto {
    return { name, node: this.nodes, input: inputs, output: outputs, initializer }
  }
}
