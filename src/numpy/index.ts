/**
 * The `np` namespace: NumPy / jax.numpy names in camelCase, built only from lax-level
 * primitive wrappers. Importing it installs the Array methods (`x.add(y).sum()`).
 */
import './methods'

export * from './creation'
export * from './elementwise'
export * from './reductions'
export * from './shape'
export * from './indexing'
export * from './contract'
export * from './mathext'
export * from './calculus'
export * from './search'
export * from './stats'
export * from './matrix'
export * from './setops'
export * from './convolve'
export * as linalg from './linalg_namespace'
export type { ArrayLike } from './promote'
