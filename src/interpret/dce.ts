/**
 * Interpreters: dead-code elimination. The pass lives in src/passes/dce.ts (with the rest of
 * the optimization passes); it is re-exported here for the interpreters that split jaxprs.
 */
export { dceJaxpr } from '../passes/dce'
