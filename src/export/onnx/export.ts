/**
 * Export layer (ONNX): `exportOnnx(f, { opset })(...exampleArgs)` — trace `f` at the example
 * arguments' shapes (after every transformation `f` already carries: grad, vmap, jacfwd …),
 * lower its jaxpr with the table of ./table.ts, and encode the ModelProto with the static
 * protobuf module generated from ./proto/onnx.proto.
 */
import { ValueError } from '../../core/errors'
import type { Tracer } from '../../core/tracer'
import type { ArraysOf, ExampleArgs, ExportableFn } from '../types'
import { signatureToJson, traceForExport } from '../signature'
import { GraphBuilder, Names, elemOf, tensorProto, valueInfo } from './builder'
import { onnx } from './proto/onnx.pb.js'
import { lowerJaxpr } from './table'

/** Options of `exportOnnx`. */
export interface OnnxExportOptions {
  /** The ONNX opset to target: 17 to 21 (default 18). Bitwise primitives need 18 or later. */
  readonly opset?: number
  /** Run leibniz's simplification passes (inlining of jit calls, DCE, CSE, folding) on the
   *  traced program first, as jit does (default true). */
  readonly simplify?: boolean
}

declare const OUT: unique symbol
declare const ARGS: unique symbol

/**
 * An exported ONNX model: the encoded bytes, typed (for `runOnnx`) with the output tree and the
 * argument list of the function it came from. Any `Uint8Array` holding a model made by
 * `exportOnnx` (read back from a file, say) is accepted where an `OnnxModel` is.
 */
export type OnnxModel<Out = unknown, Args extends readonly unknown[] = readonly unknown[]> = Uint8Array & {
  readonly [OUT]?: Out
  readonly [ARGS]?: Args
}

export const SIGNATURE_KEY = 'leibniz.signature'
export const DEFAULT_OPSET = 18
const OPSETS = [17, 18, 19, 20, 21]
/** The IR version that goes with an opset (ONNX's versioning table). */
const irVersionOf = (opset: number): number => (opset <= 18 ? 8 : opset <= 20 ? 9 : 10)

/** The version of leibniz that wrote a model (its producer_version). */
const PRODUCER_VERSION = '0.1.0'

export const exportOnnx =
  <F extends ExportableFn>(f: F, opts: OnnxExportOptions = {}) =>
  (...exampleArgs: ExampleArgs<F>): OnnxModel<ArraysOf<ReturnType<F>>, ExampleArgs<F>> => {
    const opset = opts.opset ?? DEFAULT_OPSET
    if (!OPSETS.includes(opset)) {
      throw new ValueError(`exportOnnx: opset must be one of ${OPSETS.join(', ')}, got ${String(opset)}`)
    }
    const t = traceForExport(f, exampleArgs, 'exportOnnx', opts.simplify ?? true)
    const names = new Names()
    const g = new GraphBuilder(names, opset)
    // Constants of the traced program become initializers of the main graph.
    const initializer: onnx.ITensorProto[] = []
    const constNames = t.consts.map((c: Tracer) => {
      const name = names.fresh('const')
      initializer.push({ ...tensorProto(elemOf(c.dtype), c.shape, c.toTypedArray()), name })
      return name
    })
    const outs = lowerJaxpr(g, t.jaxpr, [...constNames, ...t.inNames])
    outs.forEach((o, i) => g.opTo('Identity', [o], [t.outNames[i]]))
    const { inAvals, outAvals } = t.signature
    const graph = g.graph(
      'leibniz',
      t.inNames.map((n, i) => valueInfo(n, elemOf(inAvals[i].dtype), inAvals[i].shape)),
      t.outNames.map((n, i) => valueInfo(n, elemOf(outAvals[i].dtype), outAvals[i].shape)),
      initializer,
    )
    const model: onnx.IModelProto = {
      irVersion: irVersionOf(opset),
      producerName: 'leibniz',
      producerVersion: PRODUCER_VERSION,
      opsetImport: [{ domain: '', version: opset }],
      graph,
      metadataProps: [{ key: SIGNATURE_KEY, value: signatureToJson(t.signature) }],
    }
    return onnx.ModelProto.encode(model).finish() as OnnxModel<ArraysOf<ReturnType<F>>, ExampleArgs<F>>
  }
