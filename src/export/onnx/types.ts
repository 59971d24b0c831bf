/**
 * Export layer (ONNX): the shape of a lowering rule. A rule receives the graph being built, the
 * names and avals of its inputs, its typed params and its output avals, and returns the names
 * of its outputs. Higher-order primitives lower their sub-jaxprs through `sub`.
 */
import type { ShapedArray } from '../../ir/aval'
import type { Jaxpr } from '../../ir/jaxpr'
import type { ParamsMap, PrimName } from '../../ir/params'
import type { GraphBuilder } from './builder'

/** A value of the graph: its ONNX name and what leibniz knows of it. */
export interface Val {
  readonly name: string
  readonly aval: ShapedArray
}

/** Lower a jaxpr into graph `g`, its inputs bound to the given names; returns its outputs. */
export type SubLower = (g: GraphBuilder, jaxpr: Jaxpr, inputs: readonly string[]) => string[]

export type OnnxLowering<P extends PrimName> = (
  g: GraphBuilder,
  ins: readonly Val[],
  params: ParamsMap[P],
  outs: readonly ShapedArray[],
  sub: SubLower,
) => string[]

/** Either a lowering, or a refusal that says why (it becomes an ExportError naming the primitive). */
export type OnnxEntry<P extends PrimName> = { readonly lower: OnnxLowering<P> } | { readonly refuse: string }

/** One entry per primitive: a primitive added to `ParamsMap` without one does not compile. */
export type OnnxTable = { readonly [P in PrimName]: OnnxEntry<P> }
