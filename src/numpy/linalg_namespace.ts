/**
 * NumPy layer: the `np.linalg` namespace — solve, inv, det, slogdet, cholesky, norm
 * (linalg.ts) and the decompositions with what is built on them (decomp.ts).
 */
export * from './linalg'
export * from './decomp'
