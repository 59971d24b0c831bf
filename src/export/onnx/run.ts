/**
 * Export layer (ONNX): running an exported model on ONNX Runtime with leibniz Arrays in and
 * out. onnxruntime-node (or onnxruntime-web) is an optional peer dependency, loaded on first
 * use; nothing here imports it statically, so `leibniz/export` loads without it.
 *
 * Graph optimizations are pinned to 'basic' (constant folding and redundant-node removal,
 * which compute in the graph's own types). ORT's 'extended' and 'all' levels fuse a MatMul
 * with a following scale into a FusedMatMul whose scale attribute is a float32: in a float64
 * program that silently rounds the scale (a relative error of ~1e-9 after one step of an ODE
 * integrator, growing with the steps). Pass `graphOptimizationLevel` to `onnxSession` to
 * choose otherwise for float32 programs.
 */
import { ConcreteArray } from '../../core/array'
import { DTypeError, ExportError, ShapeError, TreeMismatchError, ValueError } from '../../core/errors'
import type { Tracer } from '../../core/tracer'
import { avalStr, shapeEq } from '../../ir/aval'
import { type DType, castScalar } from '../../ir/dtypes'
import { flattenArrays } from '../../transforms/flat'
import { treedefEq, treedefStr, unflatten } from '../../tree/treedef'
import { type Signature, leafNames, signatureFromJson } from '../signature'
import { SIGNATURE_KEY, type OnnxModel } from './export'
import { onnx } from './proto/onnx.pb.js'

type Data = Float64Array | Float32Array | Int32Array | Uint8Array

/** The part of an ONNX Runtime tensor that leibniz uses. */
export interface OrtTensorLike {
  readonly type: string
  readonly data: unknown
  readonly dims: readonly number[]
}

/** The part of an onnxruntime module (onnxruntime-node or onnxruntime-web) that leibniz uses. */
export interface OrtModuleLike {
  readonly Tensor: new (type: 'float64' | 'float32' | 'int32' | 'bool', data: Data, dims: readonly number[]) => OrtTensorLike
  readonly InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<{
      run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>
    }>
  }
}

/** Options of `onnxSession`. */
export interface OnnxSessionOptions {
  /** The onnxruntime module to use; by default onnxruntime-node, else onnxruntime-web. */
  readonly ort?: OrtModuleLike
  /** ONNX Runtime execution providers in order of preference (default ['cpu']); e.g. ['cuda', 'cpu']. */
  readonly executionProviders?: readonly string[]
  /** ORT's graph optimization level; default 'basic', the highest level exact in float64. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'
  /** Threads ORT may use within an operator (ORT's default: one per core). */
  readonly intraOpNumThreads?: number
}

let defaultOrt: Promise<OrtModuleLike> | null = null

// Through a variable, so bundlers do not try to resolve the optional peers at build time.
const importOptional = (name: string): Promise<unknown> => import(/* @vite-ignore */ name)

const loadOrt = (): Promise<OrtModuleLike> => {
  defaultOrt ??= (async () => {
    for (const name of ['onnxruntime-node', 'onnxruntime-web']) {
      try {
        const m = (await importOptional(name)) as OrtModuleLike & { default?: OrtModuleLike }
        return m.InferenceSession !== undefined ? m : (m.default as OrtModuleLike)
      } catch {
        // try the next one
      }
    }
    defaultOrt = null
    throw new ExportError(
      'runOnnx: no ONNX Runtime found. Install the optional peer dependency: `npm install onnxruntime-node` ' +
        '(in a browser: onnxruntime-web), or pass the module as onnxSession(model, { ort }).',
      'onnx',
    )
  })()
  return defaultOrt
}

/** The signature exportOnnx stored in the model. */
export const modelSignature = (model: Uint8Array): Signature => {
  if (!(model instanceof Uint8Array)) throw new ValueError(`runOnnx: the model must be the Uint8Array exportOnnx returned, got ${typeof model}`)
  let decoded: onnx.ModelProto
  try {
    decoded = onnx.ModelProto.decode(model)
  } catch (e) {
    throw new ValueError(`runOnnx: the bytes are not an ONNX model (${(e as Error).message})`)
  }
  const entry = decoded.metadataProps.find((p) => p.key === SIGNATURE_KEY)
  if (entry?.value == null) throw new ValueError('runOnnx: the model carries no leibniz signature; pass a model made by exportOnnx')
  return signatureFromJson(entry.value)
}

const toData = (x: Tracer, dtype: DType, where: string): Data => {
  const data = x.toTypedArray()
  if (x.dtype === dtype) return data
  // A JS number (weakly typed) takes the model's dtype, as it would in a call of the function.
  if (x.weakType) return dtype === 'float64' ? Float64Array.from(data) : dtype === 'float32' ? Float32Array.from(data) : dtype === 'int32' ? Int32Array.from(data, (v) => castScalar(v, 'int32')) : Uint8Array.from(data, (v) => castScalar(v, 'bool'))
  throw new DTypeError(`${where}: expected ${dtype}, got ${avalStr(x.aval)}`)
}

const fromTensor = (t: OrtTensorLike, dtype: DType, shape: readonly number[]): Tracer => {
  const d = t.data as Data
  const data = dtype === 'float64' ? Float64Array.from(d) : dtype === 'float32' ? Float32Array.from(d) : dtype === 'int32' ? Int32Array.from(d) : Uint8Array.from(d)
  return new ConcreteArray(data, shape, dtype)
}

/**
 * A reusable runner of an exported model: `const run = await onnxSession(model)`, then
 * `await run(...args)` as often as needed (one ORT session, created once).
 */
export const onnxSession = async <Out, Args extends readonly unknown[]>(
  model: OnnxModel<Out, Args>,
  opts: OnnxSessionOptions = {},
): Promise<(...args: Args) => Promise<Out>> => {
  const sig = modelSignature(model)
  const ort = opts.ort ?? (await loadOrt())
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'basic',
    executionProviders: [...(opts.executionProviders ?? ['cpu'])],
    logSeverityLevel: 3,
    ...(opts.intraOpNumThreads !== undefined ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
  })
  const inNames = sig.inTree.kind === 'array' ? sig.inTree.children.flatMap((c, i) => leafNames(c, `arg${i}`)) : leafNames(sig.inTree, 'arg')
  const outNames = leafNames(sig.outTree, 'out')
  return async (...args: Args): Promise<Out> => {
    const [flat, tree] = flattenArrays(args, 'runOnnx arguments')
    if (!treedefEq(tree, sig.inTree)) {
      throw new TreeMismatchError(`runOnnx: the model was exported for arguments ${treedefStr(sig.inTree)}, got ${treedefStr(tree)}`)
    }
    const feeds: Record<string, OrtTensorLike> = {}
    flat.forEach((x, i) => {
      const want = sig.inAvals[i]
      if (!shapeEq(x.shape, want.shape)) {
        throw new ShapeError(`runOnnx: input ${inNames[i]} was exported as ${avalStr(want)}, got ${avalStr(x.aval)}; export again at the new shape`)
      }
      feeds[inNames[i]] = new ort.Tensor(want.dtype, toData(x, want.dtype, `runOnnx: input ${inNames[i]}`), [...want.shape])
    })
    const results = await session.run(feeds)
    const outs = outNames.map((n, i) => fromTensor(results[n], sig.outAvals[i].dtype, sig.outAvals[i].shape))
    return unflatten<Out>(sig.outTree, outs)
  }
}

const sessions = new WeakMap<Uint8Array, Promise<(...args: readonly unknown[]) => Promise<unknown>>>()

/**
 * `runOnnx(model, ...args)`: run an exported model on ONNX Runtime's CPU provider; the outputs
 * come back as leibniz Arrays in the function's output structure. The session is created on
 * the first call with a model and reused after.
 */
export const runOnnx = <Out, Args extends readonly unknown[]>(model: OnnxModel<Out, Args>, ...args: Args): Promise<Out> => {
  let s = sessions.get(model)
  if (s === undefined) {
    s = onnxSession(model) as Promise<(...args: readonly unknown[]) => Promise<unknown>>
    sessions.set(model, s)
    s.catch(() => sessions.delete(model))
  }
  return s.then((run) => run(...args) as Promise<Out>)
}
