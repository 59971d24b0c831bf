/**
 * Backend: a transposed contraction computed transposed. Reverse mode writes the weight
 * gradient of `x·W` as `transpose(dot_general(dY, x))` (contracting the batch), and the
 * transpose would copy the whole gradient once more. Without batch axes,
 *
 *   transpose(dot_general(x, y), [y free axes…, x free axes…]) = dot_general(y, x)
 *
 * with the contracting axes swapped: the same products summed over the same k in the same
 * order, so the result is bit for bit the same, and the matmul kernel writes it directly.
 * Applied when the contraction has no other use and is not an output.
 * Then contractions read transposed operands in place (`readThroughTransposes`).
 */
import { type Atom, type Eqn, Jaxpr, type Var, makeEqn } from '../ir/jaxpr'
import type { ParamsMap } from '../ir/params'

export const foldDotTransposes = (j: Jaxpr): Jaxpr => {
  // (both rewrites need a transpose and a contraction: most programs lack one or the other;
  // an indexed loop, as this runs cold on every program a first call compiles)
  let transposes = false
  let dots = false
  for (let k = 0; k < j.eqns.length && !(transposes && dots); k++) {
    const prim = j.eqns[k].prim
    transposes ||= prim === 'transpose'
    dots ||= prim === 'dot_general'
  }
  if (!transposes || !dots) return j
  const uses = new Map<Var, number>()
  const count = (a: Atom) => a._tag === 'Var' && uses.set(a, (uses.get(a) ?? 0) + 1)
  const producer = new Map<Var, Eqn>()
  // (indexed loops, no callback per equation: the cold code of a first call allocates for each)
  for (let k = 0; k < j.eqns.length; k++) {
    const e = j.eqns[k]
    for (let i = 0; i < e.inputs.length; i++) count(e.inputs[i])
  }
  j.outs.forEach(count)
  for (let k = 0; k < j.eqns.length; k++) {
    const e = j.eqns[k]
    for (let i = 0; i < e.outVars.length; i++) producer.set(e.outVars[i], e)
  }
  const replaced = new Map<Eqn, Eqn>()
  const dropped = new Set<Eqn>()
  for (let k = 0; k < j.eqns.length; k++) {
    const e = j.eqns[k]
    if (e.prim !== 'transpose' || e.inputs[0]._tag !== 'Var') continue
    const v = e.inputs[0]
    const d = producer.get(v)
    if (d === undefined || d.prim !== 'dot_general' || uses.get(v) !== 1) continue
    const p = d.params as ParamsMap['dot_general']
    const dn = p.dimensionNumbers
    if (dn.lhsBatch.length > 0) continue
    const [x, y] = d.inputs
    const nx = x.aval.shape.length - dn.lhsContracting.length
    const ny = y.aval.shape.length - dn.rhsContracting.length
    const perm = (e.params as ParamsMap['transpose']).permutation
    const swap = [...Array(ny).keys()].map((i) => nx + i).concat([...Array(nx).keys()])
    if (perm.length !== swap.length || perm.some((q, i) => q !== swap[i])) continue
    const swapped = { lhsContracting: dn.rhsContracting, rhsContracting: dn.lhsContracting, lhsBatch: [], rhsBatch: [] }
    replaced.set(e, makeEqn('dot_general', [y, x], { ...p, dimensionNumbers: swapped }, e.outVars))
    dropped.add(d)
  }
  // the new contraction takes the transpose's place (after both operands exist)
  const eqns = j.eqns.filter((e) => !dropped.has(e)).map((e) => readThroughTransposes(replaced.get(e) ?? e, producer))
  if (replaced.size === 0 && eqns.every((e, i) => e === j.eqns[i])) return j
  return new Jaxpr(j.constVars, j.inVars, eqns, j.outs)
}

/**
 * dot_general(transpose(a, perm), b) = dot_general(a, b) with a's axes renamed through perm,
 * when perm keeps a's free axes in order (they are the output's axes): the matmul kernel then
 * reads a in place through its strides instead of a copy (likewise for b). The transpose stays
 * when something else uses it; the contraction no longer waits for it.
 */
const readThroughTransposes = (e: Eqn, producer: ReadonlyMap<Var, Eqn>): Eqn => {
  if (e.prim !== 'dot_general') return e
  const p = e.params as ParamsMap['dot_general']
  let dn = p.dimensionNumbers
  const inputs = [...e.inputs]
  for (const side of [0, 1] as const) {
    const a = inputs[side]
    const t = a._tag === 'Var' ? producer.get(a) : undefined
    if (t === undefined || t.prim !== 'transpose') continue
    const perm = (t.params as ParamsMap['transpose']).permutation
    const [contracting, batch] = side === 0 ? [dn.lhsContracting, dn.lhsBatch] : [dn.rhsContracting, dn.rhsBatch]
    const free = [...perm.keys()].filter((d) => !contracting.includes(d) && !batch.includes(d)).map((d) => perm[d])
    if (free.some((d, i) => i > 0 && d < free[i - 1])) continue
    const c = contracting.map((d) => perm[d])
    const b = batch.map((d) => perm[d])
    dn = side === 0 ? { ...dn, lhsContracting: c, lhsBatch: b } : { ...dn, rhsContracting: c, rhsBatch: b }
    inputs[side] = t.inputs[0]
  }
  return inputs.every((a, i) => a === e.inputs[i]) ? e : makeEqn('dot_general', inputs, { ...p, dimensionNumbers: dn }, e.outVars)
}
