/**
 * Backend: index maps — how a value is addressed from a kernel's loop coordinates.
 *
 * A `coords` map gives each coordinate of the value as an affine function of the loop
 * coordinates; a `flat` map gives only its row-major flat index (what is left after a reshape
 * that is not affine per coordinate). Structural primitives transform the map of their output
 * into the map of their operand, so they cost nothing at run time:
 *   broadcast_in_dim  operand coord j = output coord bdims[j] (0 where the operand has size 1)
 *   transpose         operand coord perm[k] = output coord k
 *   squeeze           the squeezed coords are 0
 *   slice             operand coord k = start_k + stride_k · output coord k
 *   reshape           per coordinate when the regrouping is affine, else a flat index
 * `null` means the composition is not affine: the planner then materializes a value.
 */
import { type Shape, sizeOf, stridesOf } from '../ir/aval'
import type { Eqn } from '../ir/jaxpr'
import type { Affine } from './kernel'

export type IndexMap =
  | { readonly kind: 'coords'; readonly cs: readonly Affine[] }
  | { readonly kind: 'flat'; readonly a: Affine }

// (made for every kernel a first call plans, in cold code: plain loops, no callbacks made per
// call, as each closure and each for-of iterator result is an allocation there)
const zero = (r: number): Affine => ({ off: 0, st: new Array<number>(r).fill(0) })
const add = (x: Affine, y: Affine): Affine => {
  const st = new Array<number>(x.st.length)
  for (let d = 0; d < st.length; d++) st[d] = x.st[d] + y.st[d]
  return { off: x.off + y.off, st }
}
const scale = (x: Affine, k: number): Affine => {
  const st = new Array<number>(x.st.length)
  for (let d = 0; d < st.length; d++) st[d] = x.st[d] * k
  return { off: x.off * k, st }
}
const shift = (x: Affine, k: number): Affine => ({ off: x.off + k, st: x.st })

/** Loop coordinate d of a nest of rank r, as an affine. */
const unit = (r: number, d: number): Affine => {
  const st = new Array<number>(r).fill(0)
  if (d >= 0 && d < r) st[d] = 1
  return { off: 0, st }
}

/** The identity map of a value whose shape is the loop domain: one per rank, shared (maps are
 *  immutable; its key is then made once). */
export const identityMap = (rank: number): IndexMap => (identityMaps[rank] ??= makeIdentityMap(rank))

const identityMaps: IndexMap[] = []
const makeIdentityMap = (rank: number): IndexMap => {
  const cs = new Array<Affine>(rank)
  for (let d = 0; d < rank; d++) {
    const a = unit(rank, d)
    Object.freeze(a.st)
    cs[d] = Object.freeze(a)
  }
  return Object.freeze({ kind: 'coords', cs: Object.freeze(cs) })
}

/** The map of a 0-d value (every element of the loop reads its only element): one object, so
 *  its key is made once (maps are immutable). */
const SCALAR_MAP: IndexMap = Object.freeze({ kind: 'coords', cs: Object.freeze([]) })
export const scalarMap = (): IndexMap => SCALAR_MAP

/** A map selecting loop coordinates: value coord k = loop coord dims[k]. */
export const selectMap = (loopRank: number, dims: readonly number[]): IndexMap => ({ kind: 'coords', cs: dims.map((d) => unit(loopRank, d)) })

/** The row-major flat index into a value of `shape`. */
export const toFlat = (m: IndexMap, shape: Shape, loopRank: number): Affine => {
  if (m.kind === 'flat') return m.a
  // Σ_k rm[k]·c_k over the coordinates of extent > 1, summed in one array (the same sums, in
  // the same order, as adding scaled copies)
  const rm = stridesOf(shape)
  const st = new Array<number>(loopRank).fill(0)
  let off = 0
  for (let k = 0; k < m.cs.length; k++) {
    if (shape[k] === 1) continue
    const c = m.cs[k]
    off += c.off * rm[k]
    for (let d = 0; d < loopRank; d++) st[d] += c.st[d] * rm[k]
  }
  return { off, st }
}

const keys = new WeakMap<IndexMap, string>()

/** A string identifying a map (memoized: maps are immutable). */
export const mapKey = (m: IndexMap): string => {
  let k = keys.get(m)
  if (k === undefined) {
    k = m.kind === 'flat' ? `f${m.a.off}:${m.a.st.join(',')}` : `c${m.cs.map((c) => `${c.off}:${c.st.join(',')}`).join(';')}`
    keys.set(m, k)
  }
  return k
}

/** The operand's map for a structural equation whose output has map `m`; null when not affine. */
export const operandMap = (e: Eqn, m: IndexMap, extents: readonly number[]): IndexMap | null => {
  const u = e.inputs[0].aval.shape
  const v = e.outVars[0].aval.shape
  const r = extents.length
  const sameSize = sizeOf(u) === sizeOf(v)
  switch (e.prim) {
    case 'reshape':
      if (m.kind === 'flat') return m
      return reshapeCoords(u, v, m.cs, extents) ?? { kind: 'flat', a: toFlat(m, v, r) }
    case 'squeeze': {
      if (m.kind === 'flat') return m
      const p = e.params as { dimensions: readonly number[] }
      const dims = new Set(p.dimensions.map((d) => (d < 0 ? d + u.length : d)))
      let k = 0
      return { kind: 'coords', cs: u.map((_, j) => (dims.has(j) ? zero(r) : m.cs[k++])) }
    }
    case 'broadcast_in_dim': {
      const p = e.params as { broadcastDimensions: readonly number[] }
      if (m.kind === 'flat') return sameSize ? m : null
      return { kind: 'coords', cs: u.map((d, j) => (d === 1 ? zero(r) : m.cs[p.broadcastDimensions[j]])) }
    }
    case 'transpose': {
      if (m.kind === 'flat') return null
      const p = e.params as { permutation: readonly number[] }
      const cs = new Array<Affine>(u.length)
      p.permutation.forEach((q, k) => (cs[q] = m.cs[k]))
      return { kind: 'coords', cs }
    }
    case 'slice': {
      if (m.kind === 'flat') return null
      const p = e.params as { startIndices: readonly number[]; strides: readonly number[] | null }
      return { kind: 'coords', cs: m.cs.map((c, k) => shift(scale(c, p.strides?.[k] ?? 1), p.startIndices[k])) }
    }
    default:
      return null
  }
}

/**
 * The operand coordinates of v = reshape(u) from v's coordinates, when each is affine in the
 * loop coordinates. Size-1 axes are dropped; the remaining axes fall into groups of equal
 * products. A group with one u axis gets the group's flat index; a group with several u axes
 * needs the flat index to decompose digit by digit: each loop coordinate must move exactly one
 * u axis (its coefficient a multiple of that axis's stride within the group) and every u
 * coordinate must stay in range over the whole loop domain.
 */
const reshapeCoords = (u: Shape, v: Shape, cs: readonly Affine[], extents: readonly number[]): IndexMap | null => {
  const r = extents.length
  const ua = u.map((d, j) => j).filter((j) => u[j] !== 1)
  const va = v.map((d, k) => k).filter((k) => v[k] !== 1)
  const out: Affine[] = u.map(() => zero(r))
  let i = 0
  let j = 0
  while (i < ua.length || j < va.length) {
    if (i >= ua.length || j >= va.length) return null
    const gu = [ua[i++]]
    const gv = [va[j++]]
    let pu = u[gu[0]]
    let pv = v[gv[0]]
    while (pu !== pv) {
      if (pu < pv) {
        if (i >= ua.length) return null
        gu.push(ua[i]); pu *= u[ua[i++]]
      } else {
        if (j >= va.length) return null
        gv.push(va[j]); pv *= v[va[j++]]
      }
    }
    // the group's flat index, from v's coordinates
    const vs = stridesOf(gv.map((k) => v[k]))
    const g = gv.reduce((acc, k, q) => add(acc, scale(cs[k], vs[q])), zero(r))
    if (gu.length === 1) {
      out[gu[0]] = g
      continue
    }
    const us = stridesOf(gu.map((q) => u[q]))
    if (g.off < 0) return null
    const parts = gu.map((q, t) => ({ off: Math.floor(g.off / us[t]) % u[q], st: new Array<number>(r).fill(0) }))
    for (let d = 0; d < r; d++) {
      const a = g.st[d]
      if (a === 0 || extents[d] === 1) continue
      const t = us.findIndex((s) => Math.abs(a) >= s && a % s === 0)
      if (t < 0) return null
      parts[t].st[d] = a / us[t]
    }
    for (let t = 0; t < gu.length; t++) {
      let lo = parts[t].off
      let hi = parts[t].off
      parts[t].st.forEach((s, d) => (s > 0 ? (hi += s * (extents[d] - 1)) : (lo += s * (extents[d] - 1))))
      if (lo < 0 || hi >= u[gu[t]]) return null
      out[gu[t]] = parts[t]
    }
    // the offsets' digits must recompose the offset exactly (no borrow across digits)
    if (parts.reduce((s, p, t) => s + p.off * us[t], 0) !== g.off) return null
  }
  return { kind: 'coords', cs: out }
}
