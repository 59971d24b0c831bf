/**
 * Export layer: implicit differentiation exports as its solver. `custom_linear_solve` takes
 * (matvecConsts, vecmatConsts, solveConsts, transposeSolveConsts, b) and `custom_root`
 * (fConsts, solveConsts, …, x0); the value is the solver's program applied to its own
 * constants and the last operand. The derivative rules are not needed to compute it.
 */

/** The solver's inputs: the constants of group `solveIndex`, then the operands after all groups. */
export const solveInputs = <T>(ins: readonly T[], numConsts: readonly number[], solveIndex: number): T[] => {
  const start = numConsts.slice(0, solveIndex).reduce((a, b) => a + b, 0)
  const all = numConsts.reduce((a, b) => a + b, 0)
  return [...ins.slice(start, start + numConsts[solveIndex]), ...ins.slice(all)]
}
