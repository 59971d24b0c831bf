/**
 * Export layer (ONNX): the lowering table — one entry per primitive, a lowering or a refusal —
 * and the walk that lowers a jaxpr with it.
 */
import { type Atom, type Jaxpr, isLit } from '../../ir/jaxpr'
import type { PrimName } from '../../ir/params'
import { elemOf } from './builder'
import { controlEntries } from './control'
import { binaryEntries, bitwiseEntries, unaryEntries } from './elementwise'
import { indexingEntries } from './indexing'
import { refuseOnnx, structuralEntries } from './structural'
import type { OnnxEntry, OnnxTable, SubLower, Val } from './types'

export const ONNX_TABLE: OnnxTable = {
  ...unaryEntries,
  ...binaryEntries,
  ...bitwiseEntries,
  ...structuralEntries,
  ...indexingEntries,
  ...controlEntries,
}

/** The primitives that lower to ONNX and those refused (with the reason), for documentation and tests. */
export const onnxCoverage = (): { readonly exported: readonly PrimName[]; readonly refused: ReadonlyMap<PrimName, string> } => {
  const exported: PrimName[] = []
  const refused = new Map<PrimName, string>()
  for (const [prim, entry] of Object.entries(ONNX_TABLE) as [PrimName, OnnxTable[PrimName]][]) {
    if ('refuse' in entry) refused.set(prim, entry.refuse)
    else exported.push(prim)
  }
  return { exported, refused }
}

export const lowerJaxpr: SubLower = (g, jaxpr: Jaxpr, inputs) => {
  const env = new Map<unknown, string>()
  jaxpr.inVars.forEach((v, i) => env.set(v, inputs[i]))
  const read = (a: Atom): Val => {
    if (isLit(a)) return { name: g.scalar(elemOf(a.aval.dtype), a.value), aval: a.aval }
    const name = env.get(a)
    if (name === undefined) throw new Error(`internal: exportOnnx: unbound variable in a jaxpr`)
    return { name, aval: a.aval }
  }
  for (const e of jaxpr.eqns) {
    const entry = ONNX_TABLE[e.prim] as OnnxEntry<PrimName>
    if ('refuse' in entry) refuseOnnx(e.prim, entry.refuse)
    else {
      const outs = entry.lower(g, e.inputs.map(read), e.params, e.outVars.map((v) => v.aval), lowerJaxpr)
      e.outVars.forEach((v, i) => env.set(v, outs[i]))
    }
  }
  return jaxpr.outs.map((a) => read(a).name)
}
