/** Pytree utilities (function first, as in JAX). */
export { flatten, unflatten, map, leaves, structure, treedefEq, treedefStr, numLeaves, broadcastPrefix, leafPaths } from './treedef'
export type { TreeDef, JsTree } from './treedef'
export type { Arrays, Like, ArgsLike, Jacobian, Shapes, LeafOf, MapLeaves } from './types'
