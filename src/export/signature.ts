/**
 * Export layer: tracing a function for export, and its signature — the pytree structures and
 * avals of its inputs and outputs, and the names of the exported values, which follow the
 * pytree paths (`arg0`, `arg1.w`, `out.loss`, `out[1]`). The signature travels inside the
 * exported model as JSON, so `runOnnx` can check arguments and rebuild the output tree;
 * reading it back validates every field (a model file is outside data).
 */
import { ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'
import { type ShapedArray, shaped } from '../ir/aval'
import { DTYPES, type DType } from '../ir/dtypes'
import type { ClosedJaxpr, Jaxpr } from '../ir/jaxpr'
import { hoistConsts } from '../interpret/jvp'
import { traceToJaxpr } from '../interpret/stage'
import { optimize } from '../passes'
import { flattenArrays, flattenFun, requireFunction } from '../transforms/flat'
import type { TreeDef } from '../tree/treedef'
import type { ExportableFn } from './types'

export interface Signature {
  readonly inTree: TreeDef
  readonly outTree: TreeDef
  readonly inAvals: readonly ShapedArray[]
  readonly outAvals: readonly ShapedArray[]
}

export interface Traced {
  /** the simplified program (as jit runs it); its leading inVars are the constants */
  readonly jaxpr: Jaxpr
  readonly consts: readonly Tracer[]
  readonly signature: Signature
  readonly inNames: readonly string[]
  readonly outNames: readonly string[]
}

/** Identifier-safe names of a tree's leaves, unique, under `root`. */
export const leafNames = (def: TreeDef, root: string): string[] => {
  const out: string[] = []
  const go = (d: TreeDef, path: string): void => {
    if (d.kind === 'leaf') out.push(path)
    else if (d.kind === 'array') d.children.forEach((c, i) => go(c, `${path}[${i}]`))
    else if (d.kind === 'object') d.children.forEach((c, i) => go(c, `${path}.${d.keys[i].replace(/[^A-Za-z0-9_]/g, '_')}`))
  }
  go(def, root)
  const seen = new Map<string, number>()
  return out.map((n) => {
    const k = seen.get(n) ?? 0
    seen.set(n, k + 1)
    return k === 0 ? n : `${n}_${k}`
  })
}

/** Arguments are named `arg0`, `arg1.w`, …: the argument list's own level is spelled as a prefix. */
const argNames = (def: TreeDef): string[] => {
  if (def.kind !== 'array') return leafNames(def, 'arg')
  return def.children.flatMap((c, i) => leafNames(c, `arg${i}`))
}

export const traceForExport = (f: ExportableFn, args: readonly unknown[], where: string, simplify = true): Traced => {
  requireFunction(f, where)
  const [flat, inTree] = flattenArrays(args, `${where} arguments`)
  const { flat: ff, outTree } = flattenFun(f, inTree, where)
  const closed: ClosedJaxpr<Tracer> = traceToJaxpr(ff, flat.map((x) => x.aval))
  const jaxpr = simplify ? optimize(hoistConsts(closed.jaxpr), { all: true }) : hoistConsts(closed.jaxpr)
  const out = outTree()
  return {
    jaxpr,
    consts: closed.consts,
    signature: { inTree, outTree: out, inAvals: flat.map((x) => x.aval), outAvals: closed.jaxpr.outAvals },
    inNames: argNames(inTree),
    outNames: leafNames(out, 'out'),
  }
}

// ---- the signature as JSON -----------------------------------------------------------------

export const signatureToJson = (s: Signature): string =>
  JSON.stringify({
    inTree: s.inTree,
    outTree: s.outTree,
    inAvals: s.inAvals.map((a) => ({ shape: a.shape, dtype: a.dtype })),
    outAvals: s.outAvals.map((a) => ({ shape: a.shape, dtype: a.dtype })),
  })

const bad = (what: string): never => {
  throw new ValueError(`runOnnx: the model's leibniz signature is malformed (${what}); pass a model made by exportOnnx`)
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

const readTree = (x: unknown, depth = 0): TreeDef => {
  if (depth > 100 || !isObj(x)) return bad('tree node')
  switch (x.kind) {
    case 'leaf': return { kind: 'leaf' }
    case 'none': return { kind: 'none', value: x.value === null ? null : undefined }
    case 'array':
      if (!Array.isArray(x.children)) return bad('array children')
      return { kind: 'array', children: x.children.map((c) => readTree(c, depth + 1)) }
    case 'object': {
      const { keys, children } = x
      if (!Array.isArray(keys) || !Array.isArray(children) || keys.length !== children.length || !keys.every((k) => typeof k === 'string')) return bad('object node')
      return { kind: 'object', keys: keys as string[], children: children.map((c) => readTree(c, depth + 1)) }
    }
    default: return bad('tree node kind')
  }
}

const readAvals = (x: unknown): ShapedArray[] => {
  if (!Array.isArray(x)) return bad('avals')
  return x.map((a) => {
    if (!isObj(a) || !Array.isArray(a.shape) || !a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return bad('aval shape')
    if (!DTYPES.includes(a.dtype as DType)) return bad('aval dtype')
    return shaped(a.shape as number[], a.dtype as DType)
  })
}

export const signatureFromJson = (text: string): Signature => {
  let x: unknown
  try {
    x = JSON.parse(text)
  } catch {
    return bad('not JSON')
  }
  if (!isObj(x)) return bad('not an object')
  return { inTree: readTree(x.inTree), outTree: readTree(x.outTree), inAvals: readAvals(x.inAvals), outAvals: readAvals(x.outAvals) }
}
